//! A case's custody rules, docs/lifecycle.md and docs/capacity.md: each command is checked by a pure function that returns
//! the event to record or a coded refusal. Facts that live elsewhere — who the users are, how full
//! a cell is, what the clock says — come in as parameters.

use std::fmt;

use crate::agreement::Party;
use crate::date::Date;
use crate::eligibility::Decision;
use crate::lifecycle::{Action, CaseState, Refusal as LifecycleRefusal, next_state, states_allowing};

/// Why a command is refused, with the facts that refuse it. Codes are stable: deprecated, never
/// reused or deleted; [`Refusal::code`] gives the code alone and `Display` gives `CODE: facts`
/// (`INVALID_TRANSITION: case is in_custody; depart needs scheduled`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// The action is not allowed from the case's state.
    InvalidTransition {
        /// Where the case is.
        state: CaseState,
        /// What was asked (`depart`, `confirm_review`…).
        step: &'static str,
        /// What the step needs instead (`scheduled`, `a review not yet confirmed`…).
        needs: String,
    },
    /// A legal hold stands.
    OnHold {
        /// What was asked.
        step: &'static str,
        /// The references of the standing holds.
        holds: Vec<String>,
    },
    /// Both states have not approved yet.
    NotApproved {
        /// The states whose approval is missing (`sending`, `receiving`).
        missing: Vec<&'static str>,
    },
    /// The same user cannot give both approvals, or both halves of an override.
    SameApprover {
        /// The user who already gave the first one.
        user: String,
        /// What that user gave (`the sending approval`, `the review resolution`…).
        gave: &'static str,
    },
    /// The screening decision is not eligible (nor a confirmed review).
    NotEligible {
        /// The decision on record, if any.
        decision: Option<Decision>,
    },
    /// No final conviction or final removal order is on record.
    NoLegalBasis,
    /// No commitment-order reference (Nelson Mandela Rules 7).
    NoCommitmentOrder,
    /// The intake record is missing or incomplete (Nelson Mandela Rules 7–8).
    NoIntakeRecord {
        /// The fields not answered.
        missing: Vec<&'static str>,
    },
    /// Placing would exceed the cell's floor capacity or the contracted places: never allowed.
    CapacityFloor {
        /// `cell A-101`, or `the agreement` for its contracted places.
        place: String,
        /// People there now.
        current: u32,
        /// The floor capacity (contracted places for the agreement).
        floor: u32,
    },
    /// Placing would exceed the standard capacity: needs an override by two different users.
    NeedsOverride {
        /// `cell A-101`, or `the agreement` for its contracted places.
        place: String,
        /// People there now.
        current: u32,
        /// The standard capacity.
        standard: u32,
        /// The floor capacity.
        floor: u32,
    },
    /// The hold does not exist or was already lifted.
    UnknownHold {
        /// The reference asked for.
        reference: String,
    },
    /// A written reason is required.
    NoReason {
        /// What is missing (`a reason`, `the review's justification`…).
        what: &'static str,
    },
}

impl Refusal {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::OnHold { .. } => "ON_HOLD",
            Self::NotApproved { .. } => "NOT_APPROVED",
            Self::SameApprover { .. } => "SAME_APPROVER",
            Self::NotEligible { .. } => "NOT_ELIGIBLE",
            Self::NoLegalBasis => "NO_LEGAL_BASIS",
            Self::NoCommitmentOrder => "NO_COMMITMENT_ORDER",
            Self::NoIntakeRecord { .. } => "NO_INTAKE_RECORD",
            Self::CapacityFloor { .. } => "CAPACITY_FLOOR",
            Self::NeedsOverride { .. } => "NEEDS_OVERRIDE",
            Self::UnknownHold { .. } => "UNKNOWN_HOLD",
            Self::NoReason { .. } => "NO_REASON",
        }
    }

    fn write_facts(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidTransition { state, step, needs } => write!(f, "case is {state}; {step} needs {needs}"),
            Self::OnHold { step, holds } => {
                write!(f, "a legal hold stands ({}); {step} waits until it is lifted", holds.join(", "))
            }
            Self::NotApproved { missing } => {
                write!(f, "admission needs both states' approvals; missing: {}", missing.join(", "))
            }
            Self::SameApprover { user, gave } => {
                write!(f, "{user} already gave {gave}; the second needs a different user")
            }
            Self::NotEligible { decision: None } => f.write_str("the case has not been screened"),
            Self::NotEligible { decision: Some(Decision::Review) } => {
                f.write_str("the screening decision is review, not yet resolved to eligible and confirmed")
            }
            Self::NotEligible { decision: Some(d) } => write!(f, "the screening decision is {d}"),
            Self::NoLegalBasis => f.write_str("no final conviction or final removal order is on record"),
            Self::NoCommitmentOrder => f.write_str("admission needs a commitment-order reference"),
            Self::NoIntakeRecord { missing } => write!(f, "the intake record lacks {}", missing.join(", ")),
            Self::CapacityFloor { place, current, floor } => write!(f, "{place} holds {current} of floor {floor}"),
            Self::NeedsOverride { place, current, standard, floor } => write!(
                f,
                "{place} holds {current} of standard {standard} (floor {floor}); one more needs an override by two different users with a reason"
            ),
            Self::UnknownHold { reference } => write!(f, "no standing hold has the reference {reference:?}"),
            Self::NoReason { what } => write!(f, "{what} must not be empty"),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.code())?;
        self.write_facts(f)
    }
}

impl From<LifecycleRefusal> for Refusal {
    fn from(r: LifecycleRefusal) -> Self {
        match r {
            LifecycleRefusal::InvalidTransition { from, action } => {
                Self::InvalidTransition { state: from, step: action.as_str(), needs: states_allowing(action) }
            }
            LifecycleRefusal::OnHold { action, .. } => Self::OnHold { step: action.as_str(), holds: Vec::new() },
        }
    }
}

/// A coded reason for a case step, such as `FLIGHT_LEFT` or `COURT_ORDER`: a capital letter, then
/// capital letters, digits and `_`, at most 64 characters in all. Codes, not prose, so reports
/// can count them and no personal detail slips into the journal through a free-text field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReasonCode(String);

/// Why a reason code was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReasonCodeError {
    /// Not of the form `[A-Z][A-Z0-9_]*`.
    #[error("reason: must be a code like FLIGHT_LEFT (capital letters, digits and _)")]
    NotACode,
    /// Longer than [`ReasonCode::MAX_LEN`].
    #[error("reason: must be a code of at most 64 characters")]
    TooLong,
}

impl ReasonCode {
    /// The longest code, in characters.
    pub const MAX_LEN: usize = 64;

    /// Checks `text` is a code: `[A-Z][A-Z0-9_]{0,63}`.
    pub fn parse(text: &str) -> Result<Self, ReasonCodeError> {
        let mut bytes = text.bytes();
        let starts_with_letter = bytes.next().is_some_and(|b| b.is_ascii_uppercase());
        if !starts_with_letter || !bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
            return Err(ReasonCodeError::NotACode);
        }
        if text.len() > Self::MAX_LEN {
            return Err(ReasonCodeError::TooLong);
        }
        Ok(Self(text.to_owned()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<ReasonCode> for String {
    fn from(code: ReasonCode) -> Self {
        code.0
    }
}

/// The intake record of Nelson Mandela Rules 7–8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntakeRecord {
    /// Date of admission.
    pub admitted_on: Date,
    /// Hour of admission, 0–23.
    pub hour: u8,
    /// Visible injuries ("none" is an answer; empty is not).
    pub visible_injuries: String,
    /// Property taken into safekeeping.
    pub property: String,
    /// Next of kin (name and how to reach them).
    pub next_of_kin: String,
}

impl IntakeRecord {
    /// Every field answered.
    pub fn is_complete(&self) -> bool {
        self.missing().is_empty()
    }

    /// The fields not answered (an hour outside 0–23 is not an answer).
    pub fn missing(&self) -> Vec<&'static str> {
        let answered = [
            ("hour", self.hour < 24),
            ("visible_injuries", !self.visible_injuries.trim().is_empty()),
            ("property", !self.property.trim().is_empty()),
            ("next_of_kin", !self.next_of_kin.trim().is_empty()),
        ];
        answered.into_iter().filter(|(_, ok)| !ok).map(|(name, _)| name).collect()
    }
}

/// How full a place is, derived from custody records by the caller (never typed in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occupancy {
    /// People there now.
    pub current: u32,
    /// Standard capacity (docs/capacity.md).
    pub standard: u32,
    /// Floor capacity: never exceeded.
    pub floor: u32,
}

/// An override allowing a placement between standard and floor capacity: two different users and a
/// written reason (docs/capacity.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    /// First approver.
    pub first: String,
    /// Second approver, a different user.
    pub second: String,
    /// Why.
    pub reason: String,
}

/// Where a person is to be placed, and how full it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The cell.
    pub cell_id: String,
    /// The cell's occupancy before the placement.
    pub cell: Occupancy,
    /// People in custody under the agreement before the placement, against contracted places
    /// (standard = floor = contracted places).
    pub agreement: Occupancy,
    /// The override, when needed.
    pub override_by: Option<Override>,
}

/// Checks a placement of one more person (docs/capacity.md): up to the standard capacity is allowed; between
/// standard and floor only with an override by two different users with a reason; beyond the
/// floor never. The agreement's contracted places cap the number in custody the same way.
pub fn check_placement(placement: &Placement) -> Result<(), Refusal> {
    let places =
        [(format!("cell {}", placement.cell_id), placement.cell), ("the agreement".to_owned(), placement.agreement)];
    for (place, occupancy) in places {
        let Occupancy { current, standard, floor } = occupancy;
        let after = current.saturating_add(1);
        if after > floor {
            return Err(Refusal::CapacityFloor { place, current, floor });
        }
        if after > standard {
            match &placement.override_by {
                None => return Err(Refusal::NeedsOverride { place, current, standard, floor }),
                Some(o) if o.reason.trim().is_empty() => {
                    return Err(Refusal::NoReason { what: "the override's written reason" });
                }
                Some(o) if o.first == o.second => {
                    return Err(Refusal::SameApprover { user: o.first.clone(), gave: "the first override approval" });
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// A legal hold on a case (e.g. a court order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    /// Its reference (court order number…).
    pub reference: String,
    /// Who placed it.
    pub placed_by: String,
    /// Who lifted it, once lifted.
    pub lifted_by: Option<String>,
}

/// Who does something, when it happened, when it was recorded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user: String,
    /// When it happened.
    pub occurred_at: String,
    /// When it was recorded.
    pub recorded_at: String,
    /// A coded reason (e.g. `COURT_ORDER`, `SENTENCE_SERVED`).
    pub reason: String,
}

/// What can be asked of a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Record the screening decision (a `review` needs a confirmation before admission).
    Screen {
        /// The decision.
        decision: Decision,
    },
    /// Resolve a `review` decision to eligible or ineligible, with a written justification
    /// (docs/rules.md); the acting user is the reviewer.
    ResolveReview {
        /// Resolved to eligible (else ineligible).
        eligible: bool,
        /// Why.
        justification: String,
    },
    /// Confirm the resolution: a second user, not the reviewer (docs/rules.md).
    ConfirmReview,
    /// One state's approval; the case becomes approved when both states approved, by two users.
    Approve {
        /// Which state approves.
        state: Party,
    },
    /// Schedule the transfer.
    Schedule,
    /// The transfer leaves.
    Depart,
    /// Admission (docs/lifecycle.md).
    Admit {
        /// Commitment-order reference.
        commitment_order: String,
        /// Intake record.
        intake: IntakeRecord,
        /// Where.
        placement: Placement,
    },
    /// Move to another cell.
    Move {
        /// Where.
        placement: Placement,
    },
    /// Schedule the return.
    ScheduleReturn {
        /// Planned date.
        on: Date,
    },
    /// Returned to the sending state.
    Return,
    /// Released.
    Release,
    /// Died.
    RecordDeath,
    /// Withdrawn.
    Withdraw,
    /// Refused.
    Refuse,
    /// Place a legal hold.
    PlaceHold {
        /// Reference of the order.
        reference: String,
    },
    /// Lift a legal hold.
    LiftHold {
        /// Reference of the order.
        reference: String,
    },
}

/// A reviewer's resolution of a `review` decision and its confirmation by a second user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewResolution {
    /// Resolved to eligible (else ineligible).
    pub eligible: bool,
    /// The written justification.
    pub justification: String,
    /// Who resolved it.
    pub reviewer: String,
    /// Who confirmed it, a different user.
    pub confirmed_by: Option<String>,
}

/// A case and the facts its rules need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Where it is.
    pub state: CaseState,
    /// The screening decision, once screened.
    pub decision: Option<Decision>,
    /// The resolution of a `review` decision, once a reviewer made one.
    pub review: Option<ReviewResolution>,
    /// Approvals by state: the approving user.
    pub sending_approval: Option<String>,
    /// Approval by the receiving state.
    pub receiving_approval: Option<String>,
    /// A final conviction or a final removal order is on record.
    pub legal_basis: bool,
    /// Holds, lifted ones included (the history is kept).
    pub holds: Vec<Hold>,
    /// The commitment order, once admitted.
    pub commitment_order: Option<String>,
    /// The intake record, once admitted.
    pub intake: Option<IntakeRecord>,
    /// The current cell, while in custody.
    pub cell_id: Option<String>,
    /// Planned return date.
    pub return_on: Option<Date>,
}

impl Case {
    /// A new case for a person, with whether a legal basis is on record.
    pub fn new(legal_basis: bool) -> Self {
        Self {
            state: CaseState::Proposed,
            decision: None,
            review: None,
            sending_approval: None,
            receiving_approval: None,
            legal_basis,
            holds: Vec::new(),
            commitment_order: None,
            intake: None,
            cell_id: None,
            return_on: None,
        }
    }

    /// Whether a hold stands.
    pub fn on_hold(&self) -> bool {
        self.holds.iter().any(|h| h.lifted_by.is_none())
    }

    fn eligible(&self) -> bool {
        match self.decision {
            Some(Decision::Eligible) => true,
            Some(Decision::Review) => self.review.as_ref().is_some_and(|r| r.eligible && r.confirmed_by.is_some()),
            _ => false,
        }
    }

    fn transition(&self, action: Action) -> Result<CaseState, Refusal> {
        next_state(self.state, action, self.on_hold()).map_err(|refusal| match Refusal::from(refusal) {
            Refusal::OnHold { step, .. } => Refusal::OnHold { step, holds: self.standing_holds() },
            other => other,
        })
    }

    fn standing_holds(&self) -> Vec<String> {
        self.holds.iter().filter(|h| h.lifted_by.is_none()).map(|h| h.reference.clone()).collect()
    }

    /// An invalid transition from the current state: `step` needs `needs`.
    fn invalid(&self, step: &'static str, needs: &str) -> Refusal {
        Refusal::InvalidTransition { state: self.state, step, needs: needs.to_owned() }
    }

    /// Checks `command` by `actor` and, if allowed, returns the case after it. The caller records the
    /// change (with `actor`) as an event in the same transaction; a refusal changes nothing.
    pub fn apply(&self, command: &Command, actor: &Actor) -> Result<Case, Refusal> {
        if actor.reason.trim().is_empty() {
            return Err(Refusal::NoReason { what: "the reason" });
        }
        let mut next = self.clone();
        match command {
            Command::Screen { decision } => {
                next.state = self.transition(Action::Screen)?;
                next.decision = Some(*decision);
            }
            Command::ResolveReview { eligible, justification } => {
                if self.decision != Some(Decision::Review)
                    || self.review.as_ref().is_some_and(|r| r.confirmed_by.is_some())
                {
                    return Err(self.invalid("resolve_review", "a review decision not yet confirmed"));
                }
                if justification.trim().is_empty() {
                    return Err(Refusal::NoReason { what: "the review's justification" });
                }
                next.review = Some(ReviewResolution {
                    eligible: *eligible,
                    justification: justification.clone(),
                    reviewer: actor.user.clone(),
                    confirmed_by: None,
                });
            }
            Command::ConfirmReview => {
                let needs = "a resolved review not yet confirmed";
                let review = next.review.as_mut().ok_or_else(|| self.invalid("confirm_review", needs))?;
                if review.confirmed_by.is_some() {
                    return Err(self.invalid("confirm_review", needs));
                }
                if review.reviewer == actor.user {
                    return Err(Refusal::SameApprover { user: actor.user.clone(), gave: "the review resolution" });
                }
                review.confirmed_by = Some(actor.user.clone());
            }
            Command::Approve { state } => {
                if self.state != CaseState::Screened {
                    return Err(self.invalid("approve", "screened"));
                }
                if !self.eligible() {
                    return Err(Refusal::NotEligible { decision: self.decision });
                }
                let (other, gave) = match state {
                    Party::Sending => (&self.receiving_approval, "the receiving approval"),
                    Party::Receiving => (&self.sending_approval, "the sending approval"),
                };
                if other.as_deref() == Some(actor.user.as_str()) {
                    return Err(Refusal::SameApprover { user: actor.user.clone(), gave });
                }
                match state {
                    Party::Sending => next.sending_approval = Some(actor.user.clone()),
                    Party::Receiving => next.receiving_approval = Some(actor.user.clone()),
                }
                if next.sending_approval.is_some() && next.receiving_approval.is_some() {
                    next.state = self.transition(Action::Approve)?;
                }
            }
            Command::Schedule => next.state = self.transition(Action::Schedule)?,
            Command::Depart => {
                if !self.legal_basis {
                    return Err(Refusal::NoLegalBasis);
                }
                next.state = self.transition(Action::Depart)?;
            }
            Command::Admit { commitment_order, intake, placement } => {
                next.state = self.transition(Action::Admit)?;
                if self.sending_approval.is_none() || self.receiving_approval.is_none() {
                    let missing = [("sending", &self.sending_approval), ("receiving", &self.receiving_approval)];
                    let missing = missing.into_iter().filter(|(_, a)| a.is_none()).map(|(party, _)| party).collect();
                    return Err(Refusal::NotApproved { missing });
                }
                if !self.eligible() {
                    return Err(Refusal::NotEligible { decision: self.decision });
                }
                if !self.legal_basis {
                    return Err(Refusal::NoLegalBasis);
                }
                if commitment_order.trim().is_empty() {
                    return Err(Refusal::NoCommitmentOrder);
                }
                if !intake.is_complete() {
                    return Err(Refusal::NoIntakeRecord { missing: intake.missing() });
                }
                check_placement(placement)?;
                next.commitment_order = Some(commitment_order.clone());
                next.intake = Some(intake.clone());
                next.cell_id = Some(placement.cell_id.clone());
            }
            Command::Move { placement } => {
                if !matches!(self.state, CaseState::InCustody | CaseState::ReturnScheduled) {
                    return Err(self.invalid("move", "in_custody or return_scheduled"));
                }
                check_placement(placement)?;
                next.cell_id = Some(placement.cell_id.clone());
            }
            Command::ScheduleReturn { on } => {
                next.state = self.transition(Action::ScheduleReturn)?;
                next.return_on = Some(*on);
            }
            Command::Return | Command::Release | Command::RecordDeath => {
                let action = match command {
                    Command::Return => Action::Return,
                    Command::Release => Action::Release,
                    _ => Action::RecordDeath,
                };
                next.state = self.transition(action)?;
                next.cell_id = None;
            }
            Command::Withdraw => next.state = self.transition(Action::Withdraw)?,
            Command::Refuse => next.state = self.transition(Action::Refuse)?,
            Command::PlaceHold { reference } => {
                if self.state.is_final() {
                    return Err(self.invalid("place_hold", "a case that has not ended"));
                }
                if reference.trim().is_empty() {
                    return Err(Refusal::NoReason { what: "the hold's reference" });
                }
                next.holds.push(Hold { reference: reference.clone(), placed_by: actor.user.clone(), lifted_by: None });
            }
            Command::LiftHold { reference } => {
                let hold = next
                    .holds
                    .iter_mut()
                    .find(|h| &h.reference == reference && h.lifted_by.is_none())
                    .ok_or_else(|| Refusal::UnknownHold { reference: reference.clone() })?;
                hold.lifted_by = Some(actor.user.clone());
            }
        }
        Ok(next)
    }
}

/// Whether a person's exported record gives a legal basis for holding them: a final conviction
/// or a final removal order (docs/lifecycle.md). Takes the two fields of the record as exported.
pub fn legal_basis_on_record(conviction: Option<&str>, removal_order: Option<&str>) -> bool {
    conviction == Some("final") || removal_order == Some("final")
}

/// Where a command places the person: a registered cell, and the override when one is needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementRequest {
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// Override approvers and reason, for a placement above standard capacity.
    pub override_by: Option<Override>,
}

/// What an operator asks of a stored case; the occupancy comes from the register's records
/// ([`CaseFacts`]), never from the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseRequest {
    /// A command that needs no placement.
    Plain(Command),
    /// Admission to a cell.
    Admit {
        /// The receiving state's identifier of the person (inmate number), recorded at intake.
        receiving_id: Option<String>,
        /// Commitment order.
        commitment_order: String,
        /// Intake record.
        intake: IntakeRecord,
        /// Where.
        placement: PlacementRequest,
    },
    /// A move to another cell.
    Move {
        /// Where.
        placement: PlacementRequest,
    },
}

impl CaseRequest {
    /// The placement the request asks for, if any.
    pub fn placement(&self) -> Option<&PlacementRequest> {
        match self {
            Self::Admit { placement, .. } | Self::Move { placement } => Some(placement),
            Self::Plain(_) => None,
        }
    }
}

/// What the register holds about a case when a command on it arrives, read in the command's
/// transaction so that the decision and the write see the same records.
#[derive(Clone, Debug)]
pub struct CaseFacts {
    /// The case as stored.
    pub case: Case,
    /// The agreement in force.
    pub agreement: crate::Agreement,
    /// The facility the case is placed in now.
    pub facility_id: Option<String>,
    /// The cell the request names, when it names one and it is registered.
    pub cell: Option<crate::capacity::Cell>,
    /// Other people in custody in that cell.
    pub in_cell: u32,
    /// Other people in custody in that cell's facility under the agreement.
    pub in_facility: u32,
}

/// What a decided command changes: the case after it and where it now is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseChange {
    /// The case after the command.
    pub case: Case,
    /// The facility after the command (none once out of custody).
    pub facility_id: Option<String>,
    /// The receiving state's identifier given at intake, to join the person's identifiers.
    pub receiving_id: Option<String>,
    /// The two approvers of a placement above standard capacity (docs/capacity.md).
    pub override_by: Option<Override>,
}

/// Why a command on a stored case is not carried out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decline {
    /// A rule refuses it (a coded refusal).
    Refused(Refusal),
    /// It names something the agreement or the register does not hold (a cell, a facility).
    Unknown(String),
}

impl From<Refusal> for Decline {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

/// Decides a command on a stored case from the facts the register holds: builds the core
/// [`Command`] (with the occupancy of the cell and of the facility), applies the rules, and says
/// what to record. Pure: the caller persists the change or the refusal.
pub fn decide(facts: &CaseFacts, request: &CaseRequest, actor: &Actor) -> Result<CaseChange, Decline> {
    let mut facility_id = facts.facility_id.clone();
    let command = match request {
        CaseRequest::Plain(command) => command.clone(),
        CaseRequest::Admit { placement, .. } | CaseRequest::Move { placement } => {
            let place = placement_of(facts, placement)?;
            facility_id = Some(placement.facility_id.clone());
            match request {
                CaseRequest::Admit { commitment_order, intake, .. } => Command::Admit {
                    commitment_order: commitment_order.clone(),
                    intake: intake.clone(),
                    placement: place,
                },
                _ => Command::Move { placement: place },
            }
        }
    };
    let next = facts.case.apply(&command, actor)?;
    if next.cell_id.is_none() {
        facility_id = None;
    }
    let receiving_id = match request {
        CaseRequest::Admit { receiving_id: Some(value), .. } if !value.trim().is_empty() => Some(value.clone()),
        _ => None,
    };
    Ok(CaseChange {
        case: next,
        facility_id,
        receiving_id,
        override_by: request.placement().and_then(|p| p.override_by.clone()),
    })
}

/// The placement a request asks for, with the occupancy of the cell and of the facility.
fn placement_of(facts: &CaseFacts, placement: &PlacementRequest) -> Result<Placement, Decline> {
    let Some(cell) = &facts.cell else {
        return Err(Decline::Unknown(format!(
            "cell {} of facility {} is not registered: import the cells first",
            placement.cell_id, placement.facility_id
        )));
    };
    let capacity = cell.capacity(&facts.agreement.standards);
    let contracted =
        facts.agreement.facility(&placement.facility_id).map(|f| f.contracted_places).ok_or_else(|| {
            Decline::Unknown(format!("facility {} is not in agreement {}", placement.facility_id, facts.agreement.id))
        })?;
    Ok(Placement {
        cell_id: placement.cell_id.clone(),
        cell: Occupancy { current: facts.in_cell, standard: capacity.standard, floor: capacity.floor },
        agreement: Occupancy { current: facts.in_facility, standard: contracted, floor: contracted },
        override_by: placement.override_by.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The refusal's code, for tests about which rule refuses.
    fn code(result: Result<Case, Refusal>) -> Result<Case, &'static str> {
        result.map_err(|r| r.code())
    }

    fn by(user: &str) -> Actor {
        Actor {
            user: user.into(),
            occurred_at: "2025-03-15T10:00:00Z".into(),
            recorded_at: "2025-03-15T10:05:00Z".into(),
            reason: "TEST".into(),
        }
    }

    const AGREEMENT: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");

    /// The facts of a case in transit whose admission names a registered single cell.
    fn facts_in_transit(in_cell: u32) -> CaseFacts {
        let mut case = Case::new(true);
        for (command, user) in [
            (Command::Screen { decision: Decision::Eligible }, "s"),
            (Command::Approve { state: Party::Sending }, "a"),
            (Command::Approve { state: Party::Receiving }, "b"),
            (Command::Schedule, "a"),
            (Command::Depart, "a"),
        ] {
            case = case.apply(&command, &by(user)).unwrap();
        }
        CaseFacts {
            case,
            agreement: crate::Agreement::from_toml(AGREEMENT).unwrap(),
            facility_id: None,
            cell: Some(crate::capacity::Cell {
                facility_id: crate::FacilityId::parse("cecot").unwrap(),
                cell_id: "iso-1".into(),
                unit: "isolation".into(),
                kind: crate::capacity::CellKind::Single,
                area_m2: crate::Decimal::parse("6.5").unwrap(),
                beds: 1,
            }),
            in_cell,
            in_facility: 0,
        }
    }

    fn admit_request(receiving_id: &str) -> CaseRequest {
        CaseRequest::Admit {
            receiving_id: Some(receiving_id.into()),
            commitment_order: "order".into(),
            intake: intake(),
            placement: PlacementRequest { facility_id: "cecot".into(), cell_id: "iso-1".into(), override_by: None },
        }
    }

    #[test]
    fn decide_places_the_person_with_the_occupancy_the_register_holds() {
        let change = decide(&facts_in_transit(0), &admit_request("SV-1"), &by("w")).unwrap();
        assert_eq!(change.case.state, CaseState::InCustody);
        assert_eq!(change.facility_id.as_deref(), Some("cecot"));
        assert_eq!(change.receiving_id.as_deref(), Some("SV-1"));
        let blank = decide(&facts_in_transit(0), &admit_request("  "), &by("w")).unwrap();
        assert_eq!(blank.receiving_id, None, "a blank inmate number is not an identifier");
        // The single cell already holds someone: beyond the floor, never allowed.
        let full = decide(&facts_in_transit(1), &admit_request("SV-1"), &by("w"));
        assert!(matches!(full, Err(Decline::Refused(Refusal::CapacityFloor { .. }))), "{full:?}");
    }

    #[test]
    fn decide_names_an_unregistered_cell_or_an_unknown_facility() {
        let mut facts = facts_in_transit(0);
        facts.cell = None;
        let Err(Decline::Unknown(what)) = decide(&facts, &admit_request("SV-1"), &by("w")) else {
            panic!("not declined")
        };
        assert!(what.contains("cell iso-1 of facility cecot is not registered"), "{what}");
        let elsewhere = CaseRequest::Move {
            placement: PlacementRequest { facility_id: "nowhere".into(), cell_id: "iso-1".into(), override_by: None },
        };
        let Err(Decline::Unknown(what)) = decide(&facts_in_transit(0), &elsewhere, &by("w")) else {
            panic!("not declined")
        };
        assert!(what.contains("facility nowhere is not in agreement us-sv-cecot"), "{what}");
    }

    #[test]
    fn a_plain_command_out_of_custody_leaves_no_facility() {
        let mut facts = facts_in_transit(0);
        facts.case = decide(&facts, &admit_request("SV-1"), &by("w")).unwrap().case;
        facts.facility_id = Some("cecot".into());
        let released = decide(&facts, &CaseRequest::Plain(Command::Release), &by("w")).unwrap();
        assert_eq!(released.case.state, CaseState::Released);
        assert_eq!(released.facility_id, None);
    }

    #[test]
    fn only_a_final_conviction_or_removal_order_is_a_legal_basis() {
        assert!(legal_basis_on_record(Some("final"), None));
        assert!(legal_basis_on_record(None, Some("final")));
        assert!(!legal_basis_on_record(Some("appeal_pending"), Some("pending")));
        assert!(!legal_basis_on_record(None, None));
    }

    fn room(current: u32) -> Placement {
        Placement {
            cell_id: "B1-C01".into(),
            cell: Occupancy { current, standard: 25, floor: 33 },
            agreement: Occupancy { current: 0, standard: 300, floor: 300 },
            override_by: None,
        }
    }

    fn intake() -> IntakeRecord {
        IntakeRecord {
            admitted_on: Date::parse("2025-03-16").unwrap(),
            hour: 6,
            visible_injuries: "none".into(),
            property: "watch, 20 USD".into(),
            next_of_kin: "sister, +58 …".into(),
        }
    }

    fn admit(placement: Placement) -> Command {
        Command::Admit { commitment_order: "US-DC-2025-117".into(), intake: intake(), placement }
    }

    fn in_transit() -> Case {
        let mut case = Case::new(true);
        for (command, user) in [
            (Command::Screen { decision: Decision::Eligible }, "screener"),
            (Command::Approve { state: Party::Sending }, "us-officer"),
            (Command::Approve { state: Party::Receiving }, "sv-officer"),
            (Command::Schedule, "us-officer"),
            (Command::Depart, "us-officer"),
        ] {
            case = case.apply(&command, &by(user)).unwrap();
        }
        assert_eq!(case.state, CaseState::InTransit);
        case
    }

    #[test]
    fn approval_needs_both_states_and_two_users() {
        let screened = Case::new(true).apply(&Command::Screen { decision: Decision::Eligible }, &by("s")).unwrap();
        let half = screened.apply(&Command::Approve { state: Party::Sending }, &by("alice")).unwrap();
        assert_eq!(half.state, CaseState::Screened);
        assert_eq!(code(half.apply(&Command::Approve { state: Party::Receiving }, &by("alice"))), Err("SAME_APPROVER"));
        let both = half.apply(&Command::Approve { state: Party::Receiving }, &by("bob")).unwrap();
        assert_eq!(both.state, CaseState::Approved);
        let ineligible = Case::new(true).apply(&Command::Screen { decision: Decision::Ineligible }, &by("s")).unwrap();
        assert_eq!(code(ineligible.apply(&Command::Approve { state: Party::Sending }, &by("a"))), Err("NOT_ELIGIBLE"));
    }

    #[test]
    fn a_review_needs_a_justified_resolution_and_a_second_user() {
        let review = Case::new(true).apply(&Command::Screen { decision: Decision::Review }, &by("s")).unwrap();
        assert_eq!(code(review.apply(&Command::Approve { state: Party::Sending }, &by("a"))), Err("NOT_ELIGIBLE"));
        assert_eq!(code(review.apply(&Command::ConfirmReview, &by("a"))), Err("INVALID_TRANSITION"));
        let resolve = Command::ResolveReview { eligible: true, justification: " ".into() };
        assert_eq!(code(review.apply(&resolve, &by("rev"))), Err("NO_REASON"));
        let resolve =
            Command::ResolveReview { eligible: true, justification: "assessment dated 2025-05-01 on file".into() };
        let resolved = review.apply(&resolve, &by("rev")).unwrap();
        assert_eq!(code(resolved.apply(&Command::Approve { state: Party::Sending }, &by("a"))), Err("NOT_ELIGIBLE"));
        assert_eq!(code(resolved.apply(&Command::ConfirmReview, &by("rev"))), Err("SAME_APPROVER"));
        let confirmed = resolved.apply(&Command::ConfirmReview, &by("other")).unwrap();
        assert!(confirmed.apply(&Command::Approve { state: Party::Sending }, &by("a")).is_ok());
        assert_eq!(
            code(confirmed.apply(&resolve, &by("rev"))),
            Err("INVALID_TRANSITION"),
            "a confirmed resolution stands"
        );
        let no = review
            .apply(&Command::ResolveReview { eligible: false, justification: "risk".into() }, &by("rev"))
            .unwrap();
        let no = no.apply(&Command::ConfirmReview, &by("other")).unwrap();
        assert_eq!(code(no.apply(&Command::Approve { state: Party::Sending }, &by("a"))), Err("NOT_ELIGIBLE"));
    }

    #[test]
    fn a_hold_placed_in_transit_blocks_admission_until_lifted() {
        let case =
            in_transit().apply(&Command::PlaceHold { reference: "J.G.G. v. Trump TRO".into() }, &by("court")).unwrap();
        assert!(case.on_hold());
        assert_eq!(code(case.apply(&admit(room(0)), &by("warden"))), Err("ON_HOLD"));
        let lifted = case.apply(&Command::LiftHold { reference: "J.G.G. v. Trump TRO".into() }, &by("court")).unwrap();
        assert_eq!(lifted.apply(&admit(room(0)), &by("warden")).unwrap().state, CaseState::InCustody);
        assert_eq!(code(lifted.apply(&Command::LiftHold { reference: "x".into() }, &by("c"))), Err("UNKNOWN_HOLD"));
    }

    #[test]
    fn admission_requirements() {
        let case = in_transit();
        let mut no_order = admit(room(0));
        if let Command::Admit { commitment_order, .. } = &mut no_order {
            commitment_order.clear();
        }
        assert_eq!(code(case.apply(&no_order, &by("w"))), Err("NO_COMMITMENT_ORDER"));
        let mut no_kin = admit(room(0));
        if let Command::Admit { intake, .. } = &mut no_kin {
            intake.next_of_kin = " ".into();
        }
        assert_eq!(code(case.apply(&no_kin, &by("w"))), Err("NO_INTAKE_RECORD"));
        let mut no_basis = case.clone();
        no_basis.legal_basis = false;
        assert_eq!(code(no_basis.apply(&admit(room(0)), &by("w"))), Err("NO_LEGAL_BASIS"));
        let mut blank_reason = by("w");
        blank_reason.reason.clear();
        assert_eq!(code(case.apply(&admit(room(0)), &blank_reason)), Err("NO_REASON"));
    }

    #[test]
    fn placement_between_standard_and_floor_needs_two_people() {
        let case = in_transit();
        assert_eq!(code(case.apply(&admit(room(25)), &by("w"))), Err("NEEDS_OVERRIDE"));
        let mut same = room(25);
        same.override_by = Some(Override { first: "a".into(), second: "a".into(), reason: "surge".into() });
        assert_eq!(code(case.apply(&admit(same), &by("w"))), Err("SAME_APPROVER"));
        let mut two = room(25);
        two.override_by = Some(Override { first: "a".into(), second: "b".into(), reason: "surge".into() });
        assert_eq!(case.apply(&admit(two.clone()), &by("w")).unwrap().state, CaseState::InCustody);
        let mut full = two;
        full.cell.current = 33;
        assert_eq!(code(case.apply(&admit(full), &by("w"))), Err("CAPACITY_FLOOR"));
        let mut contracted = room(0);
        contracted.agreement.current = 300;
        assert_eq!(code(case.apply(&admit(contracted), &by("w"))), Err("CAPACITY_FLOOR"));
    }

    fn arb_command() -> impl Strategy<Value = (Command, u8)> {
        let placement =
            (0u32..40, 0u32..310, any::<bool>(), any::<bool>()).prop_map(|(cell, agreement, has_override, same)| {
                Placement {
                    cell_id: "c".into(),
                    cell: Occupancy { current: cell, standard: 25, floor: 33 },
                    agreement: Occupancy { current: agreement, standard: 300, floor: 300 },
                    override_by: has_override.then(|| Override {
                        first: "a".into(),
                        second: if same { "a".into() } else { "b".into() },
                        reason: "r".into(),
                    }),
                }
            });
        let command = prop_oneof![
            prop_oneof![Just(Decision::Eligible), Just(Decision::Review), Just(Decision::Ineligible)]
                .prop_map(|decision| Command::Screen { decision }),
            any::<bool>().prop_map(|eligible| Command::ResolveReview { eligible, justification: "j".into() }),
            Just(Command::ConfirmReview),
            Just(Command::Approve { state: Party::Sending }),
            Just(Command::Approve { state: Party::Receiving }),
            Just(Command::Schedule),
            Just(Command::Depart),
            placement.clone().prop_map(|p| Command::Admit {
                commitment_order: "o".into(),
                intake: IntakeRecord {
                    admitted_on: Date::parse("2025-01-01").unwrap(),
                    hour: 1,
                    visible_injuries: "none".into(),
                    property: "none".into(),
                    next_of_kin: "k".into()
                },
                placement: p
            }),
            placement.prop_map(|placement| Command::Move { placement }),
            Just(Command::ScheduleReturn { on: Date::parse("2026-01-01").unwrap() }),
            Just(Command::Return),
            Just(Command::Release),
            Just(Command::RecordDeath),
            Just(Command::Withdraw),
            Just(Command::Refuse),
            Just(Command::PlaceHold { reference: "h".into() }),
            Just(Command::LiftHold { reference: "h".into() }),
        ];
        (command, 0u8..3)
    }

    proptest! {
        /// No sequence of commands ever leaves a person in custody beyond floor capacity, without a
        /// legal basis, or admitted while on hold; refused commands change nothing.
        #[test]
        fn custody_invariants_hold_for_any_command_sequence(
            legal_basis in any::<bool>(),
            commands in proptest::collection::vec(arb_command(), 1..60),
        ) {
            let mut case = Case::new(legal_basis);
            for (command, user) in commands {
                let actor = by(["alice", "bob", "carol"][usize::from(user)]);
                // A refused command returns an error and leaves `case` as it was, by construction.
                if let Ok(next) = case.apply(&command, &actor) {
                    if next.state == CaseState::InCustody && case.state != CaseState::InCustody {
                        prop_assert!(next.legal_basis, "admitted without a legal basis");
                        prop_assert!(!case.on_hold(), "admitted while on hold");
                        prop_assert!(next.intake.as_ref().is_some_and(IntakeRecord::is_complete));
                        prop_assert!(next.sending_approval.is_some() && next.receiving_approval.is_some());
                        prop_assert_ne!(&next.sending_approval, &next.receiving_approval);
                    }
                    if let Command::Admit { placement, .. } | Command::Move { placement } = &command {
                        prop_assert!(placement.cell.current < placement.cell.floor, "beyond the floor");
                        prop_assert!(placement.agreement.current < placement.agreement.floor);
                        if placement.cell.current >= placement.cell.standard {
                            let o = placement.override_by.as_ref();
                            prop_assert!(o.is_some_and(|o| o.first != o.second), "over standard without two people");
                        }
                    }
                    case = next;
                }
            }
        }
    }

    /// Issue 11: refusals showed only the code; each carries and displays the facts.
    #[test]
    fn refusals_carry_the_facts() {
        let message = |result: Result<Case, Refusal>| result.unwrap_err().to_string();
        let custody = in_transit().apply(&admit(room(0)), &by("w")).unwrap();
        assert_eq!(
            message(custody.apply(&Command::Depart, &by("a"))),
            "INVALID_TRANSITION: case is in_custody; depart needs scheduled"
        );
        let screened = Case::new(true).apply(&Command::Screen { decision: Decision::Eligible }, &by("s")).unwrap();
        let half = screened.apply(&Command::Approve { state: Party::Sending }, &by("alice")).unwrap();
        assert_eq!(
            message(half.apply(&Command::Approve { state: Party::Receiving }, &by("alice"))),
            "SAME_APPROVER: alice already gave the sending approval; the second needs a different user"
        );
        let mut full = room(3);
        full.cell_id = "A-101".into();
        full.cell = Occupancy { current: 3, standard: 2, floor: 3 };
        assert_eq!(
            message(in_transit().apply(&admit(full), &by("w"))),
            "CAPACITY_FLOOR: cell A-101 holds 3 of floor 3"
        );
        assert_eq!(
            message(in_transit().apply(&admit(room(25)), &by("w"))),
            "NEEDS_OVERRIDE: cell B1-C01 holds 25 of standard 25 (floor 33); one more needs an override by two different users with a reason"
        );
        let mut contracted = room(0);
        contracted.agreement.current = 300;
        assert_eq!(
            message(in_transit().apply(&admit(contracted), &by("w"))),
            "CAPACITY_FLOOR: the agreement holds 300 of floor 300"
        );
        let held = screened.apply(&Command::PlaceHold { reference: "CO-7".into() }, &by("judge")).unwrap();
        let approved = held
            .apply(&Command::Approve { state: Party::Sending }, &by("a"))
            .and_then(|c| c.apply(&Command::Approve { state: Party::Receiving }, &by("b")))
            .unwrap();
        assert_eq!(
            message(approved.apply(&Command::Schedule, &by("a"))),
            "ON_HOLD: a legal hold stands (CO-7); schedule waits until it is lifted"
        );
        assert_eq!(
            message(in_transit().apply(
                &Command::Admit {
                    commitment_order: "o".into(),
                    intake: IntakeRecord { next_of_kin: " ".into(), ..intake() },
                    placement: room(0)
                },
                &by("w")
            )),
            "NO_INTAKE_RECORD: the intake record lacks next_of_kin"
        );
        let unapproved = half.apply(&Command::Schedule, &by("a"));
        assert_eq!(unapproved.map_err(|r| r.code()), Err("INVALID_TRANSITION"));
        assert_eq!(Refusal::NotApproved { missing: vec!["receiving"] }.code(), "NOT_APPROVED");
    }

    /// Issue 11: `--reason` accepted any text where a coded reason is documented.
    #[test]
    fn reason_must_be_a_code() {
        for good in ["FLIGHT_LEFT", "A", "E01", "RETURNED_TO_SENDING_STATE", &"X".repeat(64)] {
            assert_eq!(ReasonCode::parse(good).map(String::from).as_deref(), Ok(good), "{good}");
        }
        for bad in ["", "flight_left", "Flight", "_X", "1ABC", "FLIGHT LEFT", "FLIGHT-LEFT", "ÉTÉ", " X"] {
            let error = ReasonCode::parse(bad).unwrap_err();
            assert_eq!(error.to_string(), "reason: must be a code like FLIGHT_LEFT (capital letters, digits and _)");
        }
        assert_eq!(ReasonCode::parse(&"X".repeat(65)), Err(ReasonCodeError::TooLong));
    }
}
