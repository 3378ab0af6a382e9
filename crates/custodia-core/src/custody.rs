//! A case's custody rules, docs/lifecycle.md and docs/capacity.md: each command is checked by a pure function that returns
//! the event to record or a coded refusal. Facts that live elsewhere — who the users are, how full
//! a cell is, what the clock says — come in as parameters.

use std::fmt;

use crate::agreement::{Agreement, Party};
use crate::date::Date;
use crate::eligibility::{Decision, Outcome, Rule};
use crate::lifecycle::{Action, CaseState, Refusal as LifecycleRefusal, next_state, states_allowing};
use crate::person_owned::Person;
use crate::safeguards::{ScreeningRecord, legal_basis, screen_on};

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
    /// The person's challenge of the transfer is not decided (docs/rights.md#challenges): it
    /// blocks like a hold, until two legal officers decide it.
    ChallengePending {
        /// What was asked.
        step: &'static str,
        /// The references of the pending challenges.
        challenges: Vec<String>,
    },
    /// Both states have not approved yet.
    NotApproved {
        /// The states whose approval is missing (`sending`, `receiving`).
        missing: Vec<&'static str>,
    },
    /// The same user cannot give both approvals, or both halves of a two-person step.
    SameApprover {
        /// The user who already gave the first one.
        user: String,
        /// What that user gave (`the sending approval`, `the review resolution`…).
        gave: &'static str,
    },
    /// The register's screening on the step's day fails these rules (docs/rules.md).
    NotEligible {
        /// The failing rules (from the rules, or from a confirmed review's findings).
        failed: Vec<Rule>,
        /// The day screened.
        on: Date,
    },
    /// The register's screening on the step's day leaves these rules unknown, and no confirmed
    /// review resolves them.
    NeedsReview {
        /// The unknown rules not resolved by a confirmed review.
        unknown: Vec<Rule>,
        /// The day screened.
        on: Date,
    },
    /// A review names a rule that is not unknown: a review resolves unknowns only.
    NotUnknown {
        /// The rule.
        rule: Rule,
    },
    /// A review leaves unknown rules without a finding.
    IncompleteReview {
        /// The unknown rules without a finding.
        missing: Vec<Rule>,
    },
    /// No legal basis on the step's day (docs/lifecycle.md#legal-basis).
    NoLegalBasis {
        /// Why, for a person to read.
        why: String,
    },
    /// The agreement has ended: nobody new is proposed, approved, scheduled, sent or admitted.
    AgreementEnded {
        /// Its last day.
        ends: Date,
        /// The step's day.
        on: Date,
    },
    /// No commitment-order reference (Nelson Mandela Rules 7).
    NoCommitmentOrder,
    /// The intake record is missing or incomplete (Nelson Mandela Rules 7–8).
    NoIntakeRecord {
        /// The fields not answered.
        missing: Vec<&'static str>,
    },
    /// Placing would exceed the cell's floor capacity: never allowed.
    CapacityFloor {
        /// `cell A-101`.
        place: String,
        /// People there now.
        current: u32,
        /// The floor capacity.
        floor: u32,
    },
    /// Admitting would exceed the places the agreement contracts in the facility.
    ContractedPlaces {
        /// The facility.
        facility_id: String,
        /// People in custody there under the agreement now.
        current: u32,
        /// Its contracted places.
        places: u32,
    },
    /// Placing would exceed the standard capacity: needs an override by two different users.
    NeedsOverride {
        /// `cell A-101`.
        place: String,
        /// People there now.
        current: u32,
        /// The standard capacity.
        standard: u32,
        /// The floor capacity.
        floor: u32,
    },
    /// The hold does not exist, was already lifted, or has no lifting to confirm.
    UnknownHold {
        /// The reference asked for.
        reference: String,
    },
    /// A written reason is required.
    NoReason {
        /// What is missing (`a reason`, `the review's justification`…).
        what: &'static str,
    },
    /// A removal to a country other than the record's removal destination.
    WrongDestination {
        /// The country asked for.
        asked: String,
        /// The record's removal destination, if any.
        record: Option<String>,
    },
}

impl Refusal {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::OnHold { .. } => "ON_HOLD",
            Self::ChallengePending { .. } => "CHALLENGE_PENDING",
            Self::NotApproved { .. } => "NOT_APPROVED",
            Self::SameApprover { .. } => "SAME_APPROVER",
            Self::NotEligible { .. } => "NOT_ELIGIBLE",
            Self::NeedsReview { .. } => "NEEDS_REVIEW",
            Self::NotUnknown { .. } => "NOT_UNKNOWN",
            Self::IncompleteReview { .. } => "INCOMPLETE_REVIEW",
            Self::NoLegalBasis { .. } => "NO_LEGAL_BASIS",
            Self::AgreementEnded { .. } => "AGREEMENT_ENDED",
            Self::NoCommitmentOrder => "NO_COMMITMENT_ORDER",
            Self::NoIntakeRecord { .. } => "NO_INTAKE_RECORD",
            Self::CapacityFloor { .. } => "CAPACITY_FLOOR",
            Self::ContractedPlaces { .. } => "CONTRACTED_PLACES",
            Self::NeedsOverride { .. } => "NEEDS_OVERRIDE",
            Self::UnknownHold { .. } => "UNKNOWN_HOLD",
            Self::NoReason { .. } => "NO_REASON",
            Self::WrongDestination { .. } => "WRONG_DESTINATION",
        }
    }

    fn write_facts(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidTransition { state, step, needs } => write!(f, "case is {state}; {step} needs {needs}"),
            Self::OnHold { step, holds } => {
                write!(f, "a legal hold stands ({}); {step} waits until it is lifted", holds.join(", "))
            }
            Self::ChallengePending { step, challenges } => write!(
                f,
                "the person's challenge ({}) is not decided; {step} waits until two legal officers decide it",
                challenges.join(", ")
            ),
            Self::NotApproved { missing } => {
                write!(f, "admission needs both states' approvals; missing: {}", missing.join(", "))
            }
            Self::SameApprover { user, gave } => {
                write!(f, "{user} already gave {gave}; the second needs a different user")
            }
            Self::NotEligible { failed, on } => write!(f, "{} (screened on {on})", codes(failed, "")),
            Self::NeedsReview { unknown, on } => write!(
                f,
                "{} (screened on {on}); a confirmed review must resolve every unknown rule",
                codes(unknown, "?")
            ),
            Self::NotUnknown { rule } => {
                write!(f, "{} is not unknown in the case's screening; a review resolves unknowns only", rule.code())
            }
            Self::IncompleteReview { missing } => {
                write!(f, "no finding for {}; a review states a finding for every unknown rule", codes(missing, "?"))
            }
            Self::NoLegalBasis { why } => f.write_str(why),
            Self::AgreementEnded { ends, on } => write!(f, "the agreement ended on {ends}; the step's day is {on}"),
            Self::NoCommitmentOrder => f.write_str("admission needs a commitment-order reference"),
            Self::NoIntakeRecord { missing } => write!(f, "the intake record lacks {}", missing.join(", ")),
            Self::CapacityFloor { place, current, floor } => write!(f, "{place} holds {current} of floor {floor}"),
            Self::ContractedPlaces { facility_id, current, places } => {
                write!(f, "{current} held in {facility_id} for {places} contracted places")
            }
            Self::NeedsOverride { place, current, standard, floor } => write!(
                f,
                "{place} holds {current} of standard {standard} (floor {floor}); one more needs an override by two different users with a reason"
            ),
            Self::UnknownHold { reference } => write!(f, "no standing hold has the reference {reference:?}"),
            Self::NoReason { what } => write!(f, "{what} must not be empty"),
            Self::WrongDestination { asked, record: Some(record) } => {
                write!(f, "the removal order sends the person to {record}, not {asked}")
            }
            Self::WrongDestination { asked, record: None } => {
                write!(f, "no final removal order with a destination is on record (asked: {asked})")
            }
        }
    }
}

/// Rule codes joined by `;`, each followed by `suffix` (`E02?;E15?`).
fn codes(rules: &[Rule], suffix: &str) -> String {
    rules.iter().map(|r| format!("{}{suffix}", r.code())).collect::<Vec<_>>().join(";")
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
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// The cell's occupancy before the placement.
    pub cell: Occupancy,
    /// People in custody under the agreement in the facility before the placement, and its
    /// contracted places (as standard and floor); `None` for a move within the same facility.
    pub contracted: Option<Occupancy>,
    /// The override, when needed.
    pub override_by: Option<Override>,
}

/// Checks a placement of one more person (docs/capacity.md): up to the standard capacity is
/// allowed; between standard and floor only with an override by two different users with a
/// reason; beyond the floor never. An admission beyond the facility's contracted places is refused
/// `CONTRACTED_PLACES`.
pub fn check_placement(placement: &Placement) -> Result<(), Refusal> {
    if let Some(Occupancy { current, floor, .. }) = placement.contracted
        && current.saturating_add(1) > floor
    {
        return Err(Refusal::ContractedPlaces { facility_id: placement.facility_id.clone(), current, places: floor });
    }
    let Occupancy { current, standard, floor } = placement.cell;
    let place = format!("cell {}", placement.cell_id);
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
    Ok(())
}

/// What a court order demands (docs/lifecycle.md#court-orders), or the person's own challenge
/// (docs/rights.md#challenges).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HoldOrder {
    /// No scheduling, departure or admission.
    Stop,
    /// As `stop`, and the person must be brought back (turn back, schedule the return, return).
    Return,
    /// The person contests the screening decision or the transfer, before departure: as `stop`
    /// until two legal officers decide it (`decide_challenge`, `confirm_lift`); upheld, the case is
    /// withdrawn.
    Challenge,
}

impl HoldOrder {
    /// `stop`, `return` or `challenge`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Return => "return",
            Self::Challenge => "challenge",
        }
    }

    /// The order named `stop`, `return` or `challenge`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Stop, Self::Return, Self::Challenge].into_iter().find(|o| o.as_str() == text)
    }
}

/// The lifting of a hold: one legal officer cites the lifting decision, a second confirms. For a
/// challenge, the decision's written reasons and whether it is upheld.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifting {
    /// The lifting decision's reference (a challenge: the decision's written reasons).
    pub decision_reference: String,
    /// A challenge decided in the person's favour: confirmed, the case is withdrawn. Always false
    /// for a court order.
    pub upheld: bool,
    /// The legal officer who asked to lift it.
    pub by: String,
    /// The second legal officer who confirmed; the hold stands until then.
    pub confirmed_by: Option<String>,
}

/// A legal hold on a case: a court order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    /// The order's reference.
    pub reference: String,
    /// The court or authority that made it.
    pub authority: String,
    /// What it orders.
    pub order: HoldOrder,
    /// Who recorded it.
    pub placed_by: String,
    /// The day it was recorded (the facility's day).
    pub placed_on: Date,
    /// Its lifting, once asked for.
    pub lifting: Option<Lifting>,
}

impl Hold {
    /// The hold stands until a second legal officer confirms its lifting.
    pub fn stands(&self) -> bool {
        self.lifting.as_ref().is_none_or(|l| l.confirmed_by.is_none())
    }
}

/// Who does something, when it happened, when it was recorded, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user.
    pub user: String,
    /// When it happened (RFC 3339, UTC).
    pub occurred_at: String,
    /// The same instant, seconds since the Unix epoch: its day is taken in the facility's zone.
    pub occurred_at_unix: i64,
    /// When it was recorded.
    pub recorded_at: String,
    /// A coded reason (e.g. `COURT_ORDER`, `SENTENCE_SERVED`).
    pub reason: String,
}

/// A reviewer's finding on one unknown rule, with its evidence (`E02: birth certificate seen`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Whether the evidence shows the rule met.
    pub passes: bool,
    /// What the reviewer saw.
    pub evidence: String,
}

/// What can be asked of a case. No command states a decision: the register computes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Screen the case: the register computes the decision on the step's day.
    Screen,
    /// Screen an open case again after its person's record changed; the state does not change.
    Rescreen,
    /// Resolve the unknown rules of the screening on the step's day, each with a finding and its
    /// evidence (docs/rules.md#review); the acting user is the reviewer.
    ResolveReview {
        /// One finding per unknown rule.
        findings: Vec<Finding>,
    },
    /// Confirm the resolution: a second user, not the reviewer.
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
    /// A transfer in transit turned back to the sending state.
    TurnBack,
    /// Released to a country.
    Release {
        /// ISO 3166-1 alpha-2 code of the country the person is released to.
        to: String,
    },
    /// Removed to the destination of the removal order.
    Remove {
        /// ISO 3166-1 alpha-2 code; must be the record's `removal_destination`.
        to: String,
    },
    /// Died.
    RecordDeath,
    /// Withdrawn.
    Withdraw,
    /// Refused.
    Refuse,
    /// Place a legal hold (a court order).
    PlaceHold {
        /// The court or authority.
        authority: String,
        /// The order's reference.
        reference: String,
        /// What it orders.
        order: HoldOrder,
    },
    /// Ask to lift a hold, citing the lifting decision; it stands until a second legal officer
    /// confirms.
    LiftHold {
        /// The hold's reference.
        reference: String,
        /// The lifting decision's reference.
        decision_reference: String,
    },
    /// Confirm the lifting of a hold or the decision of a challenge (a second legal officer).
    ConfirmLift {
        /// The hold's reference.
        reference: String,
    },
    /// Decide the person's challenge with written reasons (docs/rights.md#challenges); it stands
    /// until a second legal officer confirms.
    DecideChallenge {
        /// The challenge's reference.
        reference: String,
        /// Upheld (the transfer does not go ahead) or dismissed (it may).
        upheld: bool,
        /// The written reasons.
        reasons: String,
    },
}

/// A reviewer's resolution of the unknown rules and its confirmation by a second user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewResolution {
    /// One finding per unknown rule.
    pub findings: Vec<Finding>,
    /// The day of the screening it resolves.
    pub on: Date,
    /// Who resolved it.
    pub reviewer: String,
    /// Who confirmed it, a different user.
    pub confirmed_by: Option<String>,
}

impl ReviewResolution {
    /// Every finding passes.
    pub fn eligible(&self) -> bool {
        self.findings.iter().all(|f| f.passes)
    }
}

/// What a step is decided on besides the case: the agreement in force, the person's current
/// record and the step's day in the facility's time zone.
#[derive(Clone, Copy, Debug)]
pub struct StepContext<'a> {
    /// The agreement version in force.
    pub agreement: &'a Agreement,
    /// The person's current record.
    pub person: &'a Person,
    /// The step's day.
    pub day: Date,
}

/// A case: its state and what the register recorded at each step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Where it is.
    pub state: CaseState,
    /// The last screening the register computed, with every rule's outcome.
    pub screening: Option<ScreeningRecord>,
    /// The resolution of the unknown rules, once a reviewer made one.
    pub review: Option<ReviewResolution>,
    /// Approvals by state: the approving user.
    pub sending_approval: Option<String>,
    /// Approval by the receiving state.
    pub receiving_approval: Option<String>,
    /// Holds, lifted ones included (the history is kept).
    pub holds: Vec<Hold>,
    /// When the transfer left (seconds since the Unix epoch), once it did.
    pub departed_at_unix: Option<i64>,
    /// The commitment order, once admitted.
    pub commitment_order: Option<String>,
    /// The intake record, once admitted.
    pub intake: Option<IntakeRecord>,
    /// The current cell, while in custody.
    pub cell_id: Option<String>,
    /// Planned return date.
    pub return_on: Option<Date>,
    /// The country a release or removal sent the person to.
    pub destination: Option<String>,
}

impl Default for Case {
    fn default() -> Self {
        Self::new()
    }
}

impl Case {
    /// A new case (state `proposed`).
    pub fn new() -> Self {
        Self {
            state: CaseState::Proposed,
            screening: None,
            review: None,
            sending_approval: None,
            receiving_approval: None,
            holds: Vec::new(),
            departed_at_unix: None,
            commitment_order: None,
            intake: None,
            cell_id: None,
            return_on: None,
            destination: None,
        }
    }

    /// The decision of the last screening.
    pub fn decision(&self) -> Option<Decision> {
        self.screening.as_ref().map(ScreeningRecord::decision)
    }

    /// Whether a hold stands.
    pub fn on_hold(&self) -> bool {
        self.holds.iter().any(Hold::stands)
    }

    /// The standing holds that order the person brought back.
    pub fn return_orders(&self) -> impl Iterator<Item = &Hold> {
        self.holds.iter().filter(|h| h.stands() && h.order == HoldOrder::Return)
    }

    /// The day custody began (the admission's day), once admitted.
    pub fn custody_since(&self) -> Option<Date> {
        self.intake.as_ref().map(|i| i.admitted_on)
    }

    fn transition(&self, action: Action) -> Result<CaseState, Refusal> {
        next_state(self.state, action, self.on_hold()).map_err(|refusal| match Refusal::from(refusal) {
            Refusal::OnHold { step, .. } => {
                let challenges: Vec<String> = self
                    .holds
                    .iter()
                    .filter(|h| h.stands() && h.order == HoldOrder::Challenge)
                    .map(|h| h.reference.clone())
                    .collect();
                if challenges.is_empty() {
                    Refusal::OnHold { step, holds: self.standing_holds() }
                } else {
                    Refusal::ChallengePending { step, challenges }
                }
            }
            other => other,
        })
    }

    fn standing_holds(&self) -> Vec<String> {
        self.holds.iter().filter(|h| h.stands()).map(|h| h.reference.clone()).collect()
    }

    /// An invalid transition from the current state: `step` needs `needs`.
    fn invalid(&self, step: &'static str, needs: &str) -> Refusal {
        Refusal::InvalidTransition { state: self.state, step, needs: needs.to_owned() }
    }

    /// The screening on the step's day, and whether it lets the case go on: no rule fails and
    /// every unknown rule has a passing finding in a confirmed review (docs/rules.md#review).
    fn eligible_on(&self, ctx: &StepContext<'_>) -> (ScreeningRecord, Result<(), Refusal>) {
        let screening = screen_on(ctx.agreement, ctx.person, ctx.day);
        let verdict = self.verdict(&screening);
        (screening, verdict)
    }

    fn verdict(&self, screening: &ScreeningRecord) -> Result<(), Refusal> {
        let failed = screening.rules(Outcome::Fail);
        if !failed.is_empty() {
            return Err(Refusal::NotEligible { failed, on: screening.on });
        }
        let confirmed = self.review.as_ref().filter(|r| r.confirmed_by.is_some());
        let finding = |rule: Rule| confirmed.and_then(|r| r.findings.iter().find(|f| f.rule == rule));
        let unknown = screening.rules(Outcome::Unknown);
        let failed_by_review: Vec<Rule> =
            unknown.iter().copied().filter(|r| finding(*r).is_some_and(|f| !f.passes)).collect();
        if !failed_by_review.is_empty() {
            return Err(Refusal::NotEligible { failed: failed_by_review, on: screening.on });
        }
        let unresolved: Vec<Rule> = unknown.into_iter().filter(|r| finding(*r).is_none()).collect();
        if !unresolved.is_empty() {
            return Err(Refusal::NeedsReview { unknown: unresolved, on: screening.on });
        }
        Ok(())
    }

    /// A step that takes the case towards custody (proposal, approval, scheduling, departure,
    /// admission) is refused after the agreement's end.
    fn before_end(ctx: &StepContext<'_>) -> Result<(), Refusal> {
        if ctx.day > ctx.agreement.ends {
            return Err(Refusal::AgreementEnded { ends: ctx.agreement.ends, on: ctx.day });
        }
        Ok(())
    }

    fn basis(&self, ctx: &StepContext<'_>) -> Result<(), Refusal> {
        legal_basis(ctx.agreement, ctx.person, ctx.day, self.custody_since())
            .map(|_| ())
            .map_err(|no| Refusal::NoLegalBasis { why: format!("on {}: {no}", ctx.day) })
    }

    /// Checks `command` by `actor` on the step's context and, if allowed, returns the case after
    /// it. The caller records the change (with `actor`) as an event in the same transaction; a
    /// refusal changes nothing.
    pub fn apply(&self, command: &Command, actor: &Actor, ctx: &StepContext<'_>) -> Result<Case, Refusal> {
        if actor.reason.trim().is_empty() {
            return Err(Refusal::NoReason { what: "the reason" });
        }
        let mut next = self.clone();
        match command {
            Command::Screen => {
                next.state = self.transition(Action::Screen)?;
                next.screening = Some(screen_on(ctx.agreement, ctx.person, ctx.day));
            }
            Command::Rescreen => {
                if self.state.is_final() {
                    return Err(self.invalid("rescreen", "a case that has not ended"));
                }
                // A person already held is re-screened on the day the last step screened them
                // (departure or admission): the question is whether the amended record would have
                // let them go, not whether time has since passed (docs/lifecycle.md#rescreening).
                let on = crate::alerts::held_screening_day(self, ctx.day);
                next.screening = Some(screen_on(ctx.agreement, ctx.person, on));
            }
            Command::ResolveReview { findings } => next = self.resolve_review(findings, actor, ctx)?,
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
            Command::Approve { state } => next = self.approve(*state, actor, ctx)?,
            Command::Schedule => {
                next.state = self.transition(Action::Schedule)?;
                Self::before_end(ctx)?;
            }
            Command::Depart => {
                next.state = self.transition(Action::Depart)?;
                Self::before_end(ctx)?;
                self.basis(ctx)?;
                let (screening, verdict) = self.eligible_on(ctx);
                verdict?;
                next.screening = Some(screening);
                next.departed_at_unix = Some(actor.occurred_at_unix);
            }
            Command::Admit { commitment_order, intake, placement } => {
                next = self.admit(commitment_order, intake, placement, ctx)?;
            }
            Command::Move { placement } => {
                if !self.state.holds_place() {
                    return Err(self.invalid("move", "in_custody or return_scheduled"));
                }
                check_placement(placement)?;
                next.cell_id = Some(placement.cell_id.clone());
            }
            Command::ScheduleReturn { on } => {
                next.state = self.transition(Action::ScheduleReturn)?;
                next.return_on = Some(*on);
            }
            Command::Return | Command::TurnBack | Command::RecordDeath => {
                let action = match command {
                    Command::Return => Action::Return,
                    Command::TurnBack => Action::TurnBack,
                    _ => Action::RecordDeath,
                };
                next.state = self.transition(action)?;
                next.cell_id = None;
            }
            Command::Release { to } => {
                next.state = self.transition(Action::Release)?;
                next.cell_id = None;
                next.destination = Some(to.clone());
            }
            Command::Remove { to } => {
                next.state = self.transition(Action::Remove)?;
                let record = (ctx.person.removal_order.as_deref() == Some("final"))
                    .then(|| ctx.person.removal_destination.clone())
                    .flatten();
                if record.as_deref() != Some(to.as_str()) {
                    return Err(Refusal::WrongDestination { asked: to.clone(), record });
                }
                next.cell_id = None;
                next.destination = Some(to.clone());
            }
            Command::Withdraw => next.state = self.transition(Action::Withdraw)?,
            Command::Refuse => next.state = self.transition(Action::Refuse)?,
            Command::PlaceHold { authority, reference, order } => {
                if self.state.is_final() {
                    return Err(self.invalid("place_hold", "a case that has not ended"));
                }
                let departed = !matches!(
                    self.state,
                    CaseState::Proposed | CaseState::Screened | CaseState::Approved | CaseState::Scheduled
                );
                if *order == HoldOrder::Challenge && departed {
                    return Err(
                        self.invalid("place_hold", "a case not yet departed (a challenge comes before departure)")
                    );
                }
                if reference.trim().is_empty() {
                    return Err(Refusal::NoReason { what: "the hold's reference" });
                }
                if authority.trim().is_empty() {
                    return Err(Refusal::NoReason { what: "the hold's authority" });
                }
                next.holds.push(Hold {
                    reference: reference.clone(),
                    authority: authority.clone(),
                    order: *order,
                    placed_by: actor.user.clone(),
                    placed_on: ctx.day,
                    lifting: None,
                });
            }
            Command::LiftHold { reference, decision_reference } => {
                if decision_reference.trim().is_empty() {
                    return Err(Refusal::NoReason { what: "the lifting decision's reference" });
                }
                // A challenge is decided, with reasons, not lifted (`DecideChallenge`).
                let hold = next
                    .holds
                    .iter_mut()
                    .find(|h| &h.reference == reference && h.lifting.is_none() && h.order != HoldOrder::Challenge)
                    .ok_or_else(|| Refusal::UnknownHold { reference: reference.clone() })?;
                hold.lifting = Some(Lifting {
                    decision_reference: decision_reference.clone(),
                    upheld: false,
                    by: actor.user.clone(),
                    confirmed_by: None,
                });
            }
            Command::DecideChallenge { reference, upheld, reasons } => {
                if reasons.trim().is_empty() {
                    return Err(Refusal::NoReason { what: "the decision's written reasons" });
                }
                let challenge = next
                    .holds
                    .iter_mut()
                    .find(|h| &h.reference == reference && h.lifting.is_none() && h.order == HoldOrder::Challenge)
                    .ok_or_else(|| Refusal::UnknownHold { reference: reference.clone() })?;
                challenge.lifting = Some(Lifting {
                    decision_reference: reasons.clone(),
                    upheld: *upheld,
                    by: actor.user.clone(),
                    confirmed_by: None,
                });
            }
            Command::ConfirmLift { reference } => {
                let lifting = next
                    .holds
                    .iter_mut()
                    .filter(|h| &h.reference == reference)
                    .find_map(|h| h.lifting.as_mut().filter(|l| l.confirmed_by.is_none()))
                    .ok_or_else(|| Refusal::UnknownHold { reference: reference.clone() })?;
                if lifting.by == actor.user {
                    return Err(Refusal::SameApprover { user: actor.user.clone(), gave: "the lifting of the hold" });
                }
                lifting.confirmed_by = Some(actor.user.clone());
                // An upheld challenge, confirmed: the transfer does not go ahead.
                if lifting.upheld {
                    next.state = self.transition(Action::Withdraw)?;
                }
            }
        }
        Ok(next)
    }

    fn resolve_review(&self, findings: &[Finding], actor: &Actor, ctx: &StepContext<'_>) -> Result<Case, Refusal> {
        let open = matches!(
            self.state,
            CaseState::Screened | CaseState::Approved | CaseState::Scheduled | CaseState::InTransit
        );
        if !open {
            return Err(self.invalid("resolve_review", "screened, approved, scheduled or in_transit"));
        }
        let screening = screen_on(ctx.agreement, ctx.person, ctx.day);
        let failed = screening.rules(Outcome::Fail);
        if !failed.is_empty() {
            return Err(Refusal::NotEligible { failed, on: ctx.day });
        }
        let unknown = screening.rules(Outcome::Unknown);
        if let Some(f) = findings.iter().find(|f| !unknown.contains(&f.rule)) {
            return Err(Refusal::NotUnknown { rule: f.rule });
        }
        if findings.iter().any(|f| f.evidence.trim().is_empty()) {
            return Err(Refusal::NoReason { what: "each finding's evidence" });
        }
        let missing: Vec<Rule> = unknown.into_iter().filter(|r| !findings.iter().any(|f| f.rule == *r)).collect();
        if !missing.is_empty() {
            return Err(Refusal::IncompleteReview { missing });
        }
        let mut next = self.clone();
        next.screening = Some(screening);
        next.review = Some(ReviewResolution {
            findings: findings.to_vec(),
            on: ctx.day,
            reviewer: actor.user.clone(),
            confirmed_by: None,
        });
        Ok(next)
    }

    fn approve(&self, state: Party, actor: &Actor, ctx: &StepContext<'_>) -> Result<Case, Refusal> {
        if self.state != CaseState::Screened {
            return Err(self.invalid("approve", "screened"));
        }
        Self::before_end(ctx)?;
        self.basis(ctx)?;
        let (screening, verdict) = self.eligible_on(ctx);
        verdict?;
        let (other, gave) = match state {
            Party::Sending => (&self.receiving_approval, "the receiving approval"),
            Party::Receiving => (&self.sending_approval, "the sending approval"),
        };
        if other.as_deref() == Some(actor.user.as_str()) {
            return Err(Refusal::SameApprover { user: actor.user.clone(), gave });
        }
        let mut next = self.clone();
        next.screening = Some(screening);
        match state {
            Party::Sending => next.sending_approval = Some(actor.user.clone()),
            Party::Receiving => next.receiving_approval = Some(actor.user.clone()),
        }
        if next.sending_approval.is_some() && next.receiving_approval.is_some() {
            next.state = self.transition(Action::Approve)?;
        }
        Ok(next)
    }

    fn admit(
        &self,
        commitment_order: &str,
        intake: &IntakeRecord,
        placement: &Placement,
        ctx: &StepContext<'_>,
    ) -> Result<Case, Refusal> {
        let mut next = self.clone();
        next.state = self.transition(Action::Admit)?;
        if self.sending_approval.is_none() || self.receiving_approval.is_none() {
            let missing = [("sending", &self.sending_approval), ("receiving", &self.receiving_approval)];
            let missing = missing.into_iter().filter(|(_, a)| a.is_none()).map(|(party, _)| party).collect();
            return Err(Refusal::NotApproved { missing });
        }
        Self::before_end(ctx)?;
        self.basis(ctx)?;
        let (screening, verdict) = self.eligible_on(ctx);
        verdict?;
        if commitment_order.trim().is_empty() {
            return Err(Refusal::NoCommitmentOrder);
        }
        if !intake.is_complete() {
            return Err(Refusal::NoIntakeRecord { missing: intake.missing() });
        }
        check_placement(placement)?;
        next.screening = Some(screening);
        next.commitment_order = Some(commitment_order.to_owned());
        next.intake = Some(intake.clone());
        next.cell_id = Some(placement.cell_id.clone());
        Ok(next)
    }
}

/// Opens a case for a person (state `proposed`) on `day`: refused `AGREEMENT_ENDED` after the
/// agreement's end and `NO_LEGAL_BASIS` when the person's current record gives none that day.
pub fn open_case(agreement: &Agreement, person: &Person, day: Date) -> Result<Case, Refusal> {
    let case = Case::new();
    let ctx = StepContext { agreement, person, day };
    Case::before_end(&ctx)?;
    case.basis(&ctx)?;
    Ok(case)
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
    /// The agreement in force (shared: the store keeps each parsed version).
    pub agreement: std::sync::Arc<crate::Agreement>,
    /// The person's current record.
    pub person: Person,
    /// The facility the case is placed in now.
    pub facility_id: Option<String>,
    /// The cell the request names, when it names one and it is registered.
    pub cell: Option<crate::capacity::Cell>,
    /// Other people in custody in that cell.
    pub in_cell: u32,
    /// Other people in custody in that cell's facility under the agreement.
    pub in_facility: u32,
}

impl CaseFacts {
    /// The step's day: the calendar day of `occurred_at_unix` in the time zone of the facility the
    /// step places the person in, else of the case's facility, else of the agreement's first
    /// facility (docs/lifecycle.md#days).
    pub fn day_of(&self, request: &CaseRequest, occurred_at_unix: i64) -> Date {
        let facility = request.placement().map(|p| p.facility_id.as_str()).or(self.facility_id.as_deref());
        let zone = match facility {
            Some(id) => self.agreement.time_zone_of(id),
            None => self.agreement.default_time_zone(),
        };
        zone.local_date(occurred_at_unix)
    }
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
    /// The step's day in the facility's zone.
    pub day: Date,
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
/// [`Command`] (with the occupancy of the cell and of the facility), applies the rules on the
/// step's day with the person's current record, and says what to record. Pure: the caller
/// persists the change or the refusal.
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
    let day = facts.day_of(request, actor.occurred_at_unix);
    let ctx = StepContext { agreement: &facts.agreement, person: &facts.person, day };
    let next = facts.case.apply(&command, actor, &ctx)?;
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
        day,
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
    // A move within the facility does not change its count; an admission or a move from another
    // facility takes one of its contracted places.
    let entering = facts.facility_id.as_deref() != Some(placement.facility_id.as_str());
    Ok(Placement {
        facility_id: placement.facility_id.clone(),
        cell_id: placement.cell_id.clone(),
        cell: Occupancy { current: facts.in_cell, standard: capacity.standard, floor: capacity.floor },
        contracted: entering.then_some(Occupancy {
            current: facts.in_facility,
            standard: contracted,
            floor: contracted,
        }),
        override_by: placement.override_by.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CECOT: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn agreement() -> Agreement {
        Agreement::from_toml(CECOT).unwrap()
    }

    /// A Venezuelan adult with a final 10-year conviction and a fresh no-risk assessment: eligible
    /// under the CECOT example throughout its term.
    fn venezuelan() -> Person {
        Person {
            sending_id: "V1".into(),
            birth_date: Some("1990-05-01".into()),
            nationalities: Some("VE".into()),
            conviction: Some("final".into()),
            sentence_start: Some("2024-01-01".into()),
            sentence_term: Some("10y".into()),
            torture_risk: Some("no_risk".into()),
            torture_risk_assessed_on: Some("2025-03-01".into()),
            ..Person::default()
        }
    }

    /// The refusal's code, for tests about which rule refuses.
    fn code(result: Result<Case, Refusal>) -> Result<Case, &'static str> {
        result.map_err(|r| r.code())
    }

    fn by(user: &str) -> Actor {
        Actor {
            user: user.into(),
            occurred_at: "2025-03-16T10:00:00Z".into(),
            occurred_at_unix: i64::from(d("2025-03-16").days_since_epoch()) * 86_400 + 36_000,
            recorded_at: "2025-03-16T10:05:00Z".into(),
            reason: "TEST".into(),
        }
    }

    /// Applies a command on 2025-03-16 with the person's record.
    fn step(case: &Case, command: Command, user: &str, person: &Person) -> Result<Case, Refusal> {
        let a = agreement();
        case.apply(&command, &by(user), &StepContext { agreement: &a, person, day: d("2025-03-16") })
    }

    fn room(current: u32) -> Placement {
        Placement {
            facility_id: "cecot".into(),
            cell_id: "B1-C01".into(),
            cell: Occupancy { current, standard: 25, floor: 33 },
            contracted: Some(Occupancy { current: 0, standard: 300, floor: 300 }),
            override_by: None,
        }
    }

    fn intake() -> IntakeRecord {
        IntakeRecord {
            admitted_on: d("2025-03-16"),
            hour: 6,
            visible_injuries: "none".into(),
            property: "watch, 20 USD".into(),
            next_of_kin: "sister, +58 …".into(),
        }
    }

    fn admit(placement: Placement) -> Command {
        Command::Admit { commitment_order: "US-DC-2025-117".into(), intake: intake(), placement }
    }

    fn in_transit(person: &Person) -> Case {
        let mut case = Case::new();
        for (command, user) in [
            (Command::Screen, "screener"),
            (Command::Approve { state: Party::Sending }, "us-officer"),
            (Command::Approve { state: Party::Receiving }, "sv-officer"),
            (Command::Schedule, "us-officer"),
            (Command::Depart, "us-officer"),
        ] {
            case = step(&case, command, user, person).unwrap();
        }
        assert_eq!(case.state, CaseState::InTransit);
        case
    }

    /// Issue 12: a US citizen screened `ineligible E07` could be approved and admitted because the
    /// case stored the caller's decision. The register computes it; approval is refused naming E07.
    #[test]
    fn a_citizen_is_refused_at_every_step_by_the_computed_decision() {
        let citizen = Person { nationalities: Some("US".into()), ..venezuelan() };
        let screened = step(&Case::new(), Command::Screen, "s", &citizen).unwrap();
        assert_eq!(screened.decision(), Some(Decision::Ineligible));
        let refused = step(&screened, Command::Approve { state: Party::Sending }, "a", &citizen).unwrap_err();
        assert_eq!(refused.to_string(), "NOT_ELIGIBLE: E07 (screened on 2025-03-16)");
        // Nor can a case screened while eligible carry someone who became a citizen on record.
        let case = in_transit(&venezuelan());
        assert_eq!(code(step(&case, admit(room(0)), "w", &citizen)), Err("NOT_ELIGIBLE"));
        // A 14-year-old US citizen with a torture risk fails three rules at once.
        let child =
            Person { birth_date: Some("2011-01-01".into()), torture_risk: Some("risk".into()), ..citizen.clone() };
        let refused = step(&screened, Command::Approve { state: Party::Sending }, "a", &child).unwrap_err();
        assert_eq!(
            refused,
            Refusal::NotEligible { failed: vec![Rule::E02, Rule::E07, Rule::E15], on: d("2025-03-16") }
        );
    }

    /// Issue 12: a review resolves unknowns only, rule by rule, with evidence; a failed rule can
    /// never be resolved to eligible.
    #[test]
    fn a_review_resolves_unknown_rules_only_with_evidence() {
        let undated = Person { birth_date: None, ..venezuelan() };
        let screened = step(&Case::new(), Command::Screen, "s", &undated).unwrap();
        assert_eq!(screened.decision(), Some(Decision::Review));
        let approve = Command::Approve { state: Party::Sending };
        assert_eq!(
            step(&screened, approve.clone(), "a", &undated).unwrap_err().to_string(),
            "NEEDS_REVIEW: E02? (screened on 2025-03-16); a confirmed review must resolve every unknown rule"
        );
        let finding = |rule, passes, evidence: &str| Finding { rule, passes, evidence: evidence.into() };
        let resolve = |findings| Command::ResolveReview { findings };
        assert_eq!(code(step(&screened, resolve(vec![]), "rev", &undated)), Err("INCOMPLETE_REVIEW"));
        assert_eq!(
            code(step(
                &screened,
                resolve(vec![finding(Rule::E02, true, "x"), finding(Rule::E07, true, "x")]),
                "rev",
                &undated
            )),
            Err("NOT_UNKNOWN")
        );
        assert_eq!(
            code(step(&screened, resolve(vec![finding(Rule::E02, true, " ")]), "rev", &undated)),
            Err("NO_REASON")
        );
        let resolved =
            step(&screened, resolve(vec![finding(Rule::E02, true, "birth certificate seen")]), "rev", &undated)
                .unwrap();
        assert_eq!(code(step(&resolved, approve.clone(), "a", &undated)), Err("NEEDS_REVIEW"), "not yet confirmed");
        assert_eq!(code(step(&resolved, Command::ConfirmReview, "rev", &undated)), Err("SAME_APPROVER"));
        let confirmed = step(&resolved, Command::ConfirmReview, "other", &undated).unwrap();
        assert!(step(&confirmed, approve.clone(), "a", &undated).is_ok());
        // A rule that fails outright (E01: appeal pending) cannot be resolved at all.
        let appealing = Person { conviction: Some("appeal_pending".into()), ..undated.clone() };
        let refused = step(&screened, resolve(vec![finding(Rule::E02, true, "seen")]), "rev", &appealing).unwrap_err();
        assert_eq!(refused.code(), "NOT_ELIGIBLE");
        // A negative finding makes the case ineligible on that rule.
        let no = step(&screened, resolve(vec![finding(Rule::E02, false, "minor")]), "rev", &undated).unwrap();
        let no = step(&no, Command::ConfirmReview, "other", &undated).unwrap();
        assert_eq!(
            step(&no, approve, "a", &undated).unwrap_err(),
            Refusal::NotEligible { failed: vec![Rule::E02], on: d("2025-03-16") }
        );
    }

    /// Issue 12: the decision is computed again at admission on that day; one that turned from
    /// eligible to review is refused NEEDS_REVIEW naming the unknown rules.
    #[test]
    fn a_decision_that_turned_to_review_is_refused_at_admission() {
        let case = in_transit(&venezuelan());
        let stale = Person { torture_risk_assessed_on: None, ..venezuelan() };
        let refused = step(&case, admit(room(0)), "w", &stale).unwrap_err();
        assert_eq!(refused, Refusal::NeedsReview { unknown: vec![Rule::E15], on: d("2025-03-16") });
        let admitted = step(&case, admit(room(0)), "w", &venezuelan()).unwrap();
        assert_eq!(admitted.screening.as_ref().map(|s| s.on), Some(d("2025-03-16")), "the step's screening is stored");
    }

    #[test]
    fn steps_without_a_legal_basis_or_after_the_end_are_refused() {
        let a = agreement();
        let amended = Person { conviction: Some("appeal_pending".into()), ..venezuelan() };
        assert_eq!(open_case(&a, &amended, d("2025-03-16")).unwrap_err().code(), "NO_LEGAL_BASIS");
        assert_eq!(open_case(&a, &venezuelan(), d("2026-03-15")).unwrap_err().code(), "AGREEMENT_ENDED");
        assert!(open_case(&a, &venezuelan(), d("2026-03-14")).is_ok(), "the last day is in the term");
        let case = in_transit(&venezuelan());
        let after_end = StepContext { agreement: &a, person: &venezuelan(), day: d("2026-03-15") };
        assert_eq!(code(case.apply(&admit(room(0)), &by("w"), &after_end)), Err("AGREEMENT_ENDED"));
        let deportee = Person {
            conviction: None,
            removal_order: Some("final".into()),
            removal_destination: Some("VE".into()),
            ..venezuelan()
        };
        // No basis where removal custody is forbidden; where the agreement allows it (the CECOT
        // example), the basis holds but the screening's E01 (final conviction) is unknown.
        let mut forbidding = agreement();
        forbidding.custody = crate::agreement::Custody::default();
        let ctx = StepContext { agreement: &forbidding, person: &deportee, day: d("2025-03-16") };
        assert_eq!(code(case.apply(&admit(room(0)), &by("w"), &ctx)), Err("NO_LEGAL_BASIS"));
        assert_eq!(
            step(&case, admit(room(0)), "w", &deportee).unwrap_err(),
            Refusal::NeedsReview { unknown: vec![Rule::E01], on: d("2025-03-16") }
        );
    }

    /// Issue 12: a court order that arrives while the plane is in the air: the flight can be
    /// turned back under it; admission waits; lifting needs two legal officers.
    #[test]
    fn a_court_order_in_transit_turns_the_flight_back_and_lifting_needs_two() {
        let p = venezuelan();
        let order = Command::PlaceHold {
            authority: "D.D.C.".into(),
            reference: "J.G.G. v. Trump TRO".into(),
            order: HoldOrder::Return,
        };
        let held = step(&in_transit(&p), order, "judge-clerk", &p).unwrap();
        assert!(held.on_hold());
        assert_eq!(code(step(&held, admit(room(0)), "w", &p)), Err("ON_HOLD"));
        assert_eq!(code(step(&held, Command::Withdraw, "us", &p)), Err("INVALID_TRANSITION"));
        assert_eq!(step(&held, Command::TurnBack, "us", &p).unwrap().state, CaseState::Returned);
        let lift =
            Command::LiftHold { reference: "J.G.G. v. Trump TRO".into(), decision_reference: "stay 25-5067".into() };
        let lifting = step(&held, lift, "legal-1", &p).unwrap();
        assert!(lifting.on_hold(), "a hold stands until a second legal officer confirms the lifting");
        let confirm = Command::ConfirmLift { reference: "J.G.G. v. Trump TRO".into() };
        assert_eq!(code(step(&lifting, confirm.clone(), "legal-1", &p)), Err("SAME_APPROVER"));
        let lifted = step(&lifting, confirm.clone(), "legal-2", &p).unwrap();
        assert!(!lifted.on_hold());
        assert_eq!(step(&lifted, admit(room(0)), "w", &p).unwrap().state, CaseState::InCustody);
        assert_eq!(code(step(&lifted, confirm, "legal-3", &p)), Err("UNKNOWN_HOLD"));
    }

    /// Issue 15: the person contests the transfer before departure. The challenge blocks the
    /// departure (CHALLENGE_PENDING) until one legal officer decides it with written reasons and
    /// a second confirms; dismissed, the transfer goes on; upheld, the case is withdrawn.
    #[test]
    fn a_challenge_blocks_departure_until_two_legal_officers_decide_it() {
        let p = venezuelan();
        let mut scheduled = Case::new();
        for (command, user) in [
            (Command::Screen, "screener"),
            (Command::Approve { state: Party::Sending }, "us-officer"),
            (Command::Approve { state: Party::Receiving }, "sv-officer"),
            (Command::Schedule, "us-officer"),
        ] {
            scheduled = step(&scheduled, command, user, &p).unwrap();
        }
        let challenge = |reference: &str| Command::PlaceHold {
            authority: "the person, by counsel".into(),
            reference: reference.into(),
            order: HoldOrder::Challenge,
        };
        let challenged = step(&scheduled, challenge("CH-1"), "legal-1", &p).unwrap();
        let refused = step(&challenged, Command::Depart, "us-officer", &p).unwrap_err();
        assert_eq!(refused, Refusal::ChallengePending { step: "depart", challenges: vec!["CH-1".into()] });
        // A court order's lifting does not decide a challenge; a decision needs written reasons.
        let lift = Command::LiftHold { reference: "CH-1".into(), decision_reference: "stay".into() };
        assert_eq!(code(step(&challenged, lift, "legal-1", &p)), Err("UNKNOWN_HOLD"));
        let decide = |upheld: bool, reasons: &str| Command::DecideChallenge {
            reference: "CH-1".into(),
            upheld,
            reasons: reasons.into(),
        };
        assert_eq!(code(step(&challenged, decide(false, " "), "legal-1", &p)), Err("NO_REASON"));
        let dismissed = step(&challenged, decide(false, "the screening stands: E15 assessed"), "legal-1", &p).unwrap();
        assert_eq!(code(step(&dismissed, Command::Depart, "us-officer", &p)), Err("CHALLENGE_PENDING"));
        let confirm = Command::ConfirmLift { reference: "CH-1".into() };
        assert_eq!(code(step(&dismissed, confirm.clone(), "legal-1", &p)), Err("SAME_APPROVER"));
        let decided = step(&dismissed, confirm.clone(), "legal-2", &p).unwrap();
        assert_eq!(step(&decided, Command::Depart, "us-officer", &p).unwrap().state, CaseState::InTransit);
        // Upheld and confirmed: the transfer does not go ahead.
        let upheld = step(&challenged, decide(true, "risk of torture not assessed"), "legal-1", &p).unwrap();
        let withdrawn = step(&upheld, confirm, "legal-2", &p).unwrap();
        assert_eq!(withdrawn.state, CaseState::Withdrawn);
        // A challenge comes before departure; a court order still may come later.
        let departed = step(&decided, Command::Depart, "us-officer", &p).unwrap();
        assert_eq!(code(step(&departed, challenge("CH-2"), "legal-1", &p)), Err("INVALID_TRANSITION"));
        // With a court order and a challenge standing, the challenge is named.
        let order = Command::PlaceHold { authority: "court".into(), reference: "TRO".into(), order: HoldOrder::Stop };
        let both = step(&step(&scheduled, order, "legal-1", &p).unwrap(), challenge("CH-3"), "legal-1", &p).unwrap();
        assert_eq!(code(step(&both, Command::Depart, "us-officer", &p)), Err("CHALLENGE_PENDING"));
    }

    #[test]
    fn removal_goes_to_the_record_destination_only_and_release_records_the_country() {
        let p = Person { removal_order: Some("final".into()), removal_destination: Some("VE".into()), ..venezuelan() };
        let custody = step(&in_transit(&p), admit(room(0)), "w", &p).unwrap();
        let wrong = step(&custody, Command::Remove { to: "SV".into() }, "w", &p).unwrap_err();
        assert_eq!(wrong.to_string(), "WRONG_DESTINATION: the removal order sends the person to VE, not SV");
        let removed = step(&custody, Command::Remove { to: "VE".into() }, "w", &p).unwrap();
        assert_eq!(
            (removed.state, removed.destination.as_deref(), removed.cell_id.as_deref()),
            (CaseState::Removed, Some("VE"), None)
        );
        let released = step(&custody, Command::Release { to: "US".into() }, "w", &p).unwrap();
        assert_eq!(released.destination.as_deref(), Some("US"));
    }

    #[test]
    fn placement_between_standard_and_floor_needs_two_people_and_contracted_places_bind() {
        let p = venezuelan();
        let case = in_transit(&p);
        assert_eq!(code(step(&case, admit(room(25)), "w", &p)), Err("NEEDS_OVERRIDE"));
        let mut same = room(25);
        same.override_by = Some(Override { first: "a".into(), second: "a".into(), reason: "surge".into() });
        assert_eq!(code(step(&case, admit(same), "w", &p)), Err("SAME_APPROVER"));
        let mut two = room(25);
        two.override_by = Some(Override { first: "a".into(), second: "b".into(), reason: "surge".into() });
        assert_eq!(step(&case, admit(two.clone()), "w", &p).unwrap().state, CaseState::InCustody);
        let mut full = two;
        full.cell.current = 33;
        assert_eq!(code(step(&case, admit(full), "w", &p)), Err("CAPACITY_FLOOR"));
        let mut contracted = room(0);
        contracted.contracted = Some(Occupancy { current: 300, standard: 300, floor: 300 });
        assert_eq!(
            step(&case, admit(contracted), "w", &p).unwrap_err().to_string(),
            "CONTRACTED_PLACES: 300 held in cecot for 300 contracted places"
        );
    }

    /// The facts of a case in transit whose admission names a registered single cell.
    fn facts_in_transit(in_cell: u32) -> CaseFacts {
        CaseFacts {
            case: in_transit(&venezuelan()),
            agreement: std::sync::Arc::new(agreement()),
            person: venezuelan(),
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

    /// docs/lifecycle.md#days: the step's day is the facility's calendar day.
    #[test]
    fn the_step_day_is_the_facility_day() {
        let mut facts = facts_in_transit(0);
        std::sync::Arc::make_mut(&mut facts.agreement).facilities[0].time_zone =
            crate::zone::TimeZone::parse("America/El_Salvador").unwrap();
        let evening = i64::from(d("2025-04-01").days_since_epoch()) * 86_400 + 3_600; // 01:00Z = 19:00 the day before
        assert_eq!(facts.day_of(&admit_request("x"), evening), d("2025-03-31"));
    }

    fn arb_person() -> impl Strategy<Value = Person> {
        let conviction = prop_oneof![Just(Some("final")), Just(Some("appeal_pending")), Just(None)];
        let nationality = prop_oneof![Just(Some("VE")), Just(Some("US")), Just(None)];
        let term = prop_oneof![Just(Some("10y")), Just(Some("18m")), Just(Some("life")), Just(None)];
        let risk = prop_oneof![Just(Some("no_risk")), Just(Some("risk")), Just(None)];
        let born = prop_oneof![Just(Some("1990-05-01")), Just(Some("2011-01-01")), Just(None)];
        (conviction, nationality, term, risk, born).prop_map(|(conviction, nationality, term, risk, born)| Person {
            conviction: conviction.map(Into::into),
            nationalities: nationality.map(Into::into),
            sentence_term: term.map(Into::into),
            torture_risk: risk.map(Into::into),
            birth_date: born.map(Into::into),
            ..venezuelan()
        })
    }

    fn arb_command() -> impl Strategy<Value = Command> {
        let placement =
            (0u32..40, 295u32..302, any::<bool>(), any::<bool>()).prop_map(|(cell, places, has_override, same)| {
                Placement {
                    facility_id: "cecot".into(),
                    cell_id: "c".into(),
                    cell: Occupancy { current: cell, standard: 25, floor: 33 },
                    contracted: Some(Occupancy { current: places, standard: 300, floor: 300 }),
                    override_by: has_override.then(|| Override {
                        first: "a".into(),
                        second: if same { "a".into() } else { "b".into() },
                        reason: "r".into(),
                    }),
                }
            });
        let findings = prop::collection::vec((0usize..15, any::<bool>()), 0..3).prop_map(|v| {
            v.into_iter().map(|(i, passes)| Finding { rule: Rule::ALL[i], passes, evidence: "seen".into() }).collect()
        });
        prop_oneof![
            Just(Command::Screen),
            Just(Command::Rescreen),
            findings.prop_map(|findings| Command::ResolveReview { findings }),
            Just(Command::ConfirmReview),
            Just(Command::Approve { state: Party::Sending }),
            Just(Command::Approve { state: Party::Receiving }),
            Just(Command::Schedule),
            Just(Command::Depart),
            placement.clone().prop_map(admit),
            placement.prop_map(|placement| Command::Move { placement }),
            Just(Command::ScheduleReturn { on: d("2026-01-01") }),
            Just(Command::Return),
            Just(Command::TurnBack),
            Just(Command::Release { to: "VE".into() }),
            Just(Command::RecordDeath),
            Just(Command::Withdraw),
            Just(Command::Refuse),
            Just(Command::PlaceHold { authority: "court".into(), reference: "h".into(), order: HoldOrder::Stop }),
            Just(Command::LiftHold { reference: "h".into(), decision_reference: "l".into() }),
            Just(Command::ConfirmLift { reference: "h".into() }),
            Just(Command::PlaceHold { authority: "person".into(), reference: "c".into(), order: HoldOrder::Challenge }),
            Just(Command::DecideChallenge { reference: "c".into(), upheld: false, reasons: "r".into() }),
            Just(Command::DecideChallenge { reference: "c".into(), upheld: true, reasons: "r".into() }),
            Just(Command::ConfirmLift { reference: "c".into() }),
        ]
    }

    proptest! {
        /// Issue 12: over random sequences of case commands, with the person's record amended and
        /// the days moving between steps, nobody enters custody with a failing rule or without a
        /// legal basis on that day, nor into a cell beyond its floor capacity or past the
        /// contracted places; and anyone in custody who later lacks a basis or fails a rule is
        /// flagged by the alerts on that day (docs/lifecycle.md#safeguards).
        #[test]
        fn nobody_is_in_custody_with_a_failing_rule_or_without_a_basis_unflagged(
            steps in proptest::collection::vec((arb_command(), arb_person(), 0i64..500, 0u8..3), 1..60),
        ) {
            let a = agreement();
            let mut case = Case::new();
            for (command, person, offset, user) in steps {
                let day = d("2025-03-15").add_days(offset).unwrap();
                let ctx = StepContext { agreement: &a, person: &person, day };
                let actor = by(["alice", "bob", "carol"][usize::from(user)]);
                // A refused command returns an error and leaves `case` as it was, by construction.
                if let Ok(next) = case.apply(&command, &actor, &ctx) {
                    if next.state == CaseState::InCustody && case.state != CaseState::InCustody {
                        let screening = screen_on(&a, &person, day);
                        prop_assert!(screening.rules(Outcome::Fail).is_empty(), "admitted with a failing rule");
                        prop_assert!(legal_basis(&a, &person, day, next.custody_since()).is_ok(), "admitted without a basis");
                        prop_assert!(!case.on_hold(), "admitted while on hold");
                        prop_assert!(day <= a.ends, "admitted after the agreement's end");
                        prop_assert!(next.sending_approval.is_some() && next.receiving_approval.is_some());
                        prop_assert_ne!(&next.sending_approval, &next.receiving_approval);
                    }
                    // Issue 15: nobody departs while their challenge is undecided.
                    if next.state == CaseState::InTransit && case.state != CaseState::InTransit {
                        let undecided = case.holds.iter().any(|h| h.stands() && h.order == HoldOrder::Challenge);
                        prop_assert!(!undecided, "departed with a challenge pending");
                    }
                    if let Command::Admit { placement, .. } | Command::Move { placement } = &command {
                        prop_assert!(placement.cell.current < placement.cell.floor, "beyond the floor");
                        if let Some(c) = placement.contracted { prop_assert!(c.current < c.floor, "beyond contracted places"); }
                    }
                    case = next;
                }
                if case.state.is_held() {
                    let facts = [crate::alerts::CaseFacts { case_id: "c", case: &case, person: &person, zone_day: day, now_unix: 0 }];
                    let codes: Vec<&str> = crate::alerts::case_alerts(&a, &facts).iter().map(|al| al.kind.code()).collect();
                    if legal_basis(&a, &person, day, case.custody_since()).is_err() {
                        prop_assert!(codes.contains(&"NO_LEGAL_BASIS") || codes.contains(&"HELD_BEYOND_RELEASE"), "{codes:?}");
                    }
                    let screened_on = crate::alerts::held_screening_day(&case, day);
                    if !screen_on(&a, &person, screened_on).rules(Outcome::Fail).is_empty() {
                        prop_assert!(codes.contains(&"INELIGIBLE_IN_CUSTODY"), "{codes:?}");
                    }
                }
            }
        }
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
