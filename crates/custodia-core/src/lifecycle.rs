//! The transfer and custody lifecycle of a case, docs/lifecycle.md: one state enum and one transition table.
//!
//! Every allowed move is a row of [`TRANSITIONS`]; anything else is refused with
//! [`Refusal::InvalidTransition`]. The state diagram in `docs/lifecycle.md` is generated from the
//! table by [`mermaid_diagram`], and a test fails when the committed diagram is stale.

use std::fmt;

/// Where a case is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseState {
    /// Put forward by the sending state.
    Proposed,
    /// Screened against the agreement's rules.
    Screened,
    /// Approved by both states, by two different users.
    Approved,
    /// A transfer is scheduled.
    Scheduled,
    /// On the way to the receiving state.
    InTransit,
    /// Admitted and held in a facility.
    InCustody,
    /// Return to the sending state is scheduled.
    ReturnScheduled,
    /// Back in the sending state: custody under the agreement ended.
    Returned,
    /// Released from custody: custody ended.
    Released,
    /// Died: custody ended.
    Deceased,
    /// Removed to the destination of a removal order: custody ended.
    Removed,
    /// Withdrawn before transit.
    Withdrawn,
    /// Refused before transit.
    Refused,
}

impl CaseState {
    /// Every state, in lifecycle order.
    pub const ALL: [CaseState; 13] = [
        Self::Proposed,
        Self::Screened,
        Self::Approved,
        Self::Scheduled,
        Self::InTransit,
        Self::InCustody,
        Self::ReturnScheduled,
        Self::Returned,
        Self::Released,
        Self::Deceased,
        Self::Removed,
        Self::Withdrawn,
        Self::Refused,
    ];

    /// The name used in files, events and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Screened => "screened",
            Self::Approved => "approved",
            Self::Scheduled => "scheduled",
            Self::InTransit => "in_transit",
            Self::InCustody => "in_custody",
            Self::ReturnScheduled => "return_scheduled",
            Self::Returned => "returned",
            Self::Released => "released",
            Self::Deceased => "deceased",
            Self::Removed => "removed",
            Self::Withdrawn => "withdrawn",
            Self::Refused => "refused",
        }
    }

    /// Parses a state name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// No transition leaves this state.
    pub fn is_final(self) -> bool {
        !TRANSITIONS.iter().any(|t| t.from == self)
    }

    /// The person is physically held under the agreement (in transit or in custody).
    pub const fn is_held(self) -> bool {
        matches!(self, Self::InTransit | Self::InCustody | Self::ReturnScheduled)
    }

    /// In custody in the receiving state (in custody, or with the return scheduled): the case holds
    /// a place in a cell of its facility.
    pub const fn holds_place(self) -> bool {
        matches!(self, Self::InCustody | Self::ReturnScheduled)
    }

    /// A legal hold forbids entering this state (docs/lifecycle.md: scheduled, in transit, in custody).
    pub const fn blocked_by_hold(self) -> bool {
        matches!(self, Self::Scheduled | Self::InTransit | Self::InCustody)
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an actor asks to do to a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Record the screening decision.
    Screen,
    /// Both states have approved.
    Approve,
    /// Schedule the transfer.
    Schedule,
    /// The transfer leaves.
    Depart,
    /// Admission to a facility.
    Admit,
    /// Schedule the return.
    ScheduleReturn,
    /// Hand-over back to the sending state.
    Return,
    /// Release from custody.
    Release,
    /// Record a death.
    RecordDeath,
    /// Withdraw the case.
    Withdraw,
    /// Bring a person in transit back to the sending state (allowed under any hold).
    TurnBack,
    /// Remove the person to the destination of their removal order.
    Remove,
    /// Refuse the case.
    Refuse,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 13] = [
        Self::Screen,
        Self::Approve,
        Self::Schedule,
        Self::Depart,
        Self::Admit,
        Self::ScheduleReturn,
        Self::Return,
        Self::Release,
        Self::RecordDeath,
        Self::Withdraw,
        Self::Refuse,
        Self::TurnBack,
        Self::Remove,
    ];

    /// The name used on the command line and in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Screen => "screen",
            Self::Approve => "approve",
            Self::Schedule => "schedule",
            Self::Depart => "depart",
            Self::Admit => "admit",
            Self::ScheduleReturn => "schedule_return",
            Self::Return => "return",
            Self::Release => "release",
            Self::RecordDeath => "record_death",
            Self::Withdraw => "withdraw",
            Self::Refuse => "refuse",
            Self::TurnBack => "turn_back",
            Self::Remove => "remove",
        }
    }
}

/// One allowed move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// State before.
    pub from: CaseState,
    /// What is done.
    pub action: Action,
    /// State after.
    pub to: CaseState,
}

const fn t(from: CaseState, action: Action, to: CaseState) -> Transition {
    Transition { from, action, to }
}

/// The lifecycle of docs/lifecycle.md. Withdrawal and refusal end a case before transit; release,
/// removal and death end custody (a death may also happen in transit); return ends it in the
/// sending state, and so does turning a transfer back while it is in transit.
pub const TRANSITIONS: [Transition; 23] = {
    use Action as A;
    use CaseState as S;
    [
        t(S::Proposed, A::Screen, S::Screened),
        t(S::Screened, A::Approve, S::Approved),
        t(S::Approved, A::Schedule, S::Scheduled),
        t(S::Scheduled, A::Depart, S::InTransit),
        t(S::InTransit, A::Admit, S::InCustody),
        t(S::InCustody, A::ScheduleReturn, S::ReturnScheduled),
        t(S::ReturnScheduled, A::Return, S::Returned),
        t(S::InCustody, A::Release, S::Released),
        t(S::ReturnScheduled, A::Release, S::Released),
        t(S::InTransit, A::TurnBack, S::Returned),
        t(S::InCustody, A::Remove, S::Removed),
        t(S::ReturnScheduled, A::Remove, S::Removed),
        t(S::InTransit, A::RecordDeath, S::Deceased),
        t(S::InCustody, A::RecordDeath, S::Deceased),
        t(S::ReturnScheduled, A::RecordDeath, S::Deceased),
        t(S::Proposed, A::Withdraw, S::Withdrawn),
        t(S::Screened, A::Withdraw, S::Withdrawn),
        t(S::Approved, A::Withdraw, S::Withdrawn),
        t(S::Scheduled, A::Withdraw, S::Withdrawn),
        t(S::Proposed, A::Refuse, S::Refused),
        t(S::Screened, A::Refuse, S::Refused),
        t(S::Approved, A::Refuse, S::Refused),
        t(S::Scheduled, A::Refuse, S::Refused),
    ]
};

/// Why a move is refused, with the facts. Codes are stable: deprecated, never reused or deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The action is not allowed from the case's state.
    InvalidTransition {
        /// Where the case is.
        from: CaseState,
        /// What was asked.
        action: Action,
    },
    /// A legal hold stands (docs/lifecycle.md) and the action would lead to `to`.
    OnHold {
        /// What was asked.
        action: Action,
        /// Where it would lead.
        to: CaseState,
    },
}

impl Refusal {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::OnHold { .. } => "ON_HOLD",
        }
    }
}

impl fmt::Display for Refusal {
    /// `CODE: facts`, e.g. `INVALID_TRANSITION: case is in_custody; depart needs scheduled`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::InvalidTransition { from, action } => {
                write!(f, "{}: case is {from}; {} needs {}", self.code(), action.as_str(), states_allowing(action))
            }
            Self::OnHold { action, to } => {
                write!(
                    f,
                    "{}: a legal hold stands; {} (to {to}) waits until it is lifted",
                    self.code(),
                    action.as_str()
                )
            }
        }
    }
}

/// The states `action` is allowed from, for messages: `scheduled`, or `proposed, screened or
/// approved`.
pub fn states_allowing(action: Action) -> String {
    let states: Vec<&str> = TRANSITIONS.iter().filter(|t| t.action == action).map(|t| t.from.as_str()).collect();
    match states.split_last() {
        None => "no state".to_owned(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The state `action` leads to from `from`, or [`Refusal::InvalidTransition`]; a standing legal
/// hold refuses entering scheduled, in transit or in custody ([`Refusal::OnHold`]). The other
/// requirements of each move (approvals, eligibility, legal basis, placement, intake record) are
/// checked by the callers that hold those facts.
pub fn next_state(from: CaseState, action: Action, hold_standing: bool) -> Result<CaseState, Refusal> {
    let to = TRANSITIONS
        .iter()
        .find(|t| t.from == from && t.action == action)
        .map(|t| t.to)
        .ok_or(Refusal::InvalidTransition { from, action })?;
    if hold_standing && to.blocked_by_hold() {
        return Err(Refusal::OnHold { action, to });
    }
    Ok(to)
}

/// The state diagram as Mermaid source, generated from [`TRANSITIONS`].
pub fn mermaid_diagram() -> String {
    let mut out = String::from("stateDiagram-v2\n    [*] --> proposed\n");
    for t in TRANSITIONS {
        out.push_str(&format!("    {} --> {}: {}\n", t.from, t.to, t.action.as_str()));
    }
    for state in CaseState::ALL.into_iter().filter(|s| s.is_final()) {
        out.push_str(&format!("    {state} --> [*]\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_allowed_and_every_forbidden_move() {
        for from in CaseState::ALL {
            for action in Action::ALL {
                let allowed = TRANSITIONS.iter().find(|t| t.from == from && t.action == action);
                match (allowed, next_state(from, action, false)) {
                    (Some(t), Ok(to)) => assert_eq!(to, t.to),
                    (None, Err(Refusal::InvalidTransition { .. })) => {}
                    (expected, got) => panic!("{from} {}: table says {expected:?}, got {got:?}", action.as_str()),
                }
            }
        }
    }

    #[test]
    fn the_table_is_a_function_and_every_state_is_reachable() {
        for (i, a) in TRANSITIONS.iter().enumerate() {
            for b in TRANSITIONS.iter().skip(i + 1) {
                assert!(!(a.from == b.from && a.action == b.action), "{a:?} and {b:?}");
            }
        }
        let mut reached = vec![CaseState::Proposed];
        while let Some(next) =
            TRANSITIONS.iter().find(|t| reached.contains(&t.from) && !reached.contains(&t.to)).map(|t| t.to)
        {
            reached.push(next);
        }
        assert_eq!(reached.len(), CaseState::ALL.len());
    }

    #[test]
    fn a_hold_blocks_scheduling_transit_and_admission_only() {
        use CaseState as S;
        let on_hold = |from, action| next_state(from, action, true).map_err(Refusal::code);
        assert_eq!(on_hold(S::Approved, Action::Schedule), Err("ON_HOLD"));
        assert_eq!(on_hold(S::Scheduled, Action::Depart), Err("ON_HOLD"));
        assert_eq!(on_hold(S::InTransit, Action::Admit), Err("ON_HOLD"));
        assert_eq!(next_state(S::Scheduled, Action::Withdraw, true), Ok(S::Withdrawn));
        assert_eq!(next_state(S::InCustody, Action::ScheduleReturn, true), Ok(S::ReturnScheduled));
        assert_eq!(next_state(S::InCustody, Action::Release, true), Ok(S::Released));
        // Issue 12: a court order that arrives while the plane is in the air can end in the
        // sending state: turning back is allowed under any hold.
        assert_eq!(next_state(S::InTransit, Action::TurnBack, true), Ok(S::Returned));
        assert_eq!(next_state(S::InTransit, Action::Withdraw, true).map_err(Refusal::code), Err("INVALID_TRANSITION"));
    }

    #[test]
    fn ends_are_final() {
        for s in [
            CaseState::Returned,
            CaseState::Released,
            CaseState::Deceased,
            CaseState::Removed,
            CaseState::Withdrawn,
            CaseState::Refused,
        ] {
            assert!(s.is_final(), "{s}");
        }
        assert!(!CaseState::InCustody.is_final());
    }

    /// Issue 11: a refusal showed only its code; it names the case's state and what the action
    /// needs.
    #[test]
    fn refusals_name_the_state_and_what_the_action_needs() {
        use CaseState as S;
        let message = |from, action| next_state(from, action, false).unwrap_err().to_string();
        assert_eq!(
            message(S::InCustody, Action::Depart),
            "INVALID_TRANSITION: case is in_custody; depart needs scheduled"
        );
        assert_eq!(
            message(S::InTransit, Action::Withdraw),
            "INVALID_TRANSITION: case is in_transit; withdraw needs proposed, screened, approved or scheduled"
        );
        assert_eq!(
            next_state(S::Approved, Action::Schedule, true).unwrap_err().to_string(),
            "ON_HOLD: a legal hold stands; schedule (to scheduled) waits until it is lifted"
        );
    }

    /// The committed diagram in docs/lifecycle.md must be the one the table generates.
    #[test]
    fn committed_diagram_is_current() {
        let doc = include_str!("../../../docs/lifecycle.md");
        let generated = mermaid_diagram();
        assert!(
            doc.contains(&format!("```mermaid\n{generated}```")),
            "docs/lifecycle.md is stale; replace its mermaid block with:\n{generated}"
        );
    }
}
