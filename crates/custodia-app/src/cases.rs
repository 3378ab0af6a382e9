//! Cases and their transitions, holds and override approvals (docs/lifecycle.md).
//!
//! A transition is prepared here (scope, capability, every field, the override approval it cites)
//! and committed by the store with [`decide`], the core's rules on the facts read in the commit's
//! transaction. The command line commits one prepared call at once ([`App::transition`]); the
//! server queues prepared calls and commits many in one transaction (its group commit), then
//! settles each with [`App::finish_transition`]. Both edges thus run the same checks.

use custodia_core::Date;
use custodia_core::agreement::Party;
use custodia_core::custody::{
    CaseChange, CaseFacts, Command, Decline, Finding, HoldOrder, IntakeRecord, Override, ReasonCode,
};
use custodia_core::eligibility::Rule;
use custodia_core::lifecycle::CaseState;
use custodia_store::cases::{CaseCall, CaseRequest, CaseRowOutcome, OverrideApproval, PlacementRequest};
use custodia_store::prelude::*;
use custodia_store::{CaseWithSendingId, Identifier, PersonData, StoreError, Timestamp};

use crate::access::{Capability, Principal};
use crate::error::{AppError, AppResult};
use crate::fields::{MAX_ID_BYTES, MAX_NOTE_BYTES, MAX_SHORT_TEXT_BYTES, at_most, required_text};
use crate::{App, actor};
use custodia_i18n::Text;

/// Where to place a person (admission and moves).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// Above the cell's standard capacity: the approval another user recorded for this case and
    /// cell ([`App::approve_override`]); used once (docs/capacity.md#override).
    pub override_approval: Option<i64>,
}

/// The admission record (docs/lifecycle.md; Nelson Mandela Rules 7–8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    /// Commitment-order reference.
    pub commitment_order: String,
    /// The receiving state's identifier (inmate number); blank is none.
    pub receiving_id: Option<String>,
    /// Admission date.
    pub admitted_on: Date,
    /// Hour of admission, 0–23.
    pub hour: u8,
    /// Visible injuries ("none" is an answer).
    pub visible_injuries: String,
    /// Property taken into safekeeping.
    pub property: String,
    /// Next of kin.
    pub next_of_kin: String,
}

/// A reviewer's finding as a user states it: the rule's code, `pass` or `fail`, and the evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingRequest {
    /// The rule's code (`E02`).
    pub rule: String,
    /// `pass` or `fail`.
    pub finding: String,
    /// What the reviewer saw (`birth certificate seen`).
    pub evidence: String,
}

/// A court order as a legal officer records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRequest {
    /// The court or authority.
    pub authority: String,
    /// The order's reference.
    pub reference: String,
    /// `stop` or `return`.
    pub order: String,
}

/// What a transition does, with its own facts. No action states a screening decision: the
/// register computes it (docs/lifecycle.md#safeguards).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseAction {
    /// Screen the case on the step's day.
    Screen,
    /// Resolve the unknown rules, each with a finding and its evidence (the caller is the reviewer).
    ResolveReview(Vec<FindingRequest>),
    /// A second user confirms the review resolution.
    ConfirmReview,
    /// One state's approval.
    Approve(Party),
    /// The transfer is scheduled.
    Schedule,
    /// The transfer leaves.
    Depart,
    /// Admission to a cell.
    Admit {
        /// The admission record.
        admission: Admission,
        /// Where.
        placement: Placement,
    },
    /// A move to another cell.
    Move(Placement),
    /// The return is planned for a date.
    ScheduleReturn(Date),
    /// Returned to the sending state.
    Return,
    /// A transfer in transit turned back to the sending state (allowed under any hold).
    TurnBack,
    /// Released, to a country (ISO 3166-1 alpha-2).
    Release(String),
    /// Removed to the destination of the removal order (ISO 3166-1 alpha-2).
    Remove(String),
    /// A death is recorded, with the report of its incident.
    RecordDeath(String),
    /// The sending state withdraws the case.
    Withdraw,
    /// The receiving state refuses the case.
    Refuse,
    /// A legal hold: a court order.
    PlaceHold(HoldRequest),
    /// A legal officer asks to lift a hold, citing the lifting decision's reference.
    LiftHold {
        /// The hold's reference.
        reference: String,
        /// The lifting decision's reference.
        decision_reference: String,
    },
    /// A second legal officer confirms the lifting, or the decision of a challenge.
    ConfirmLift(String),
    /// A legal officer decides the person's challenge (docs/rights.md#challenges) with written
    /// reasons; a second confirms it with `ConfirmLift`.
    DecideChallenge {
        /// The challenge's reference.
        reference: String,
        /// `upheld` (the transfer does not go ahead) or `dismissed`.
        outcome: String,
        /// The written reasons.
        reasons: String,
    },
}

impl CaseAction {
    /// The action's name, as recorded in the event (`screen`, `place_hold` …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Screen => "screen",
            Self::ResolveReview(_) => "resolve_review",
            Self::ConfirmReview => "confirm_review",
            Self::Approve(_) => "approve",
            Self::Schedule => "schedule",
            Self::Depart => "depart",
            Self::Admit { .. } => "admit",
            Self::Move(_) => "move",
            Self::ScheduleReturn(_) => "schedule_return",
            Self::Return => "return",
            Self::TurnBack => "turn_back",
            Self::Release(_) => "release",
            Self::Remove(_) => "remove",
            Self::RecordDeath(_) => "record_death",
            Self::Withdraw => "withdraw",
            Self::Refuse => "refuse",
            Self::PlaceHold(_) => "place_hold",
            Self::LiftHold { .. } => "lift_hold",
            Self::ConfirmLift(_) => "confirm_lift",
            Self::DecideChallenge { .. } => "decide_challenge",
        }
    }

    /// The capability the action needs (docs/access.md).
    pub fn capability(&self) -> Capability {
        use Capability as C;
        match self {
            Self::Screen
            | Self::Schedule
            | Self::Depart
            | Self::ScheduleReturn(_)
            | Self::Withdraw
            | Self::TurnBack
            | Self::Approve(Party::Sending) => C::SendingCaseStep,
            Self::Approve(Party::Receiving) | Self::Refuse => C::ReceivingCaseStep,
            Self::ResolveReview(_)
            | Self::ConfirmReview
            | Self::PlaceHold(_)
            | Self::LiftHold { .. }
            | Self::ConfirmLift(_)
            | Self::DecideChallenge { .. } => C::LegalCaseStep,
            Self::Admit { .. }
            | Self::Move(_)
            | Self::Return
            | Self::Release(_)
            | Self::Remove(_)
            | Self::RecordDeath(_) => C::FacilityCaseStep,
        }
    }
}

/// A transition as a user asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransitionRequest {
    /// What to do.
    pub action: CaseAction,
    /// A coded reason ([`ReasonCode`]: `FLIGHT_LEFT`, `COURT_ORDER` …).
    pub reason: String,
    /// When it happened, if earlier than now.
    pub occurred_at: Option<Timestamp>,
    /// Refused as stale unless the case is still at this version (HTTP `If-Match`).
    pub expected_version: Option<i64>,
}

/// A checked transition, ready to commit ([`PreparedTransition::call`]) alone or in a group.
#[derive(Clone, Debug)]
pub struct PreparedTransition {
    /// The store call; commit it with [`decide`].
    pub call: CaseCall,
    /// The sending state's id of the case's person (for rendering the result).
    pub sending_id: String,
    /// The override approval the placement cites, marked used once the transition is recorded.
    approval: Option<i64>,
}

/// A recorded transition.
#[derive(Clone, Debug)]
pub struct Transitioned {
    /// The case after it.
    pub case: CaseWithSendingId,
    /// Something the operator should review although the transition stands (an override
    /// approval used twice concurrently).
    pub warning: Option<String>,
}

/// The refusal of opening a case under an agreement for a person not imported under it.
pub const NOT_IMPORTED_UNDER_AGREEMENT: &str = "NOT_IMPORTED_UNDER_AGREEMENT";

/// A case with the identifiers of its person.
#[derive(Clone, Debug)]
pub struct CaseDetail {
    /// The case.
    pub case: CaseWithSendingId,
    /// The person's identifiers in either state.
    pub identifiers: Vec<Identifier>,
}

/// One page of an agreement's cases, by id.
#[derive(Clone, Debug)]
pub struct CasePage {
    /// The cases.
    pub items: Vec<CaseWithSendingId>,
    /// The cursor of the next page, when there is one.
    pub next_after: Option<i64>,
}

/// A legal hold on a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRecord {
    /// The case.
    pub case_id: i64,
    /// The court or authority.
    pub authority: String,
    /// Reference of the court order.
    pub reference: String,
    /// `stop` or `return`.
    pub order: String,
    /// Who recorded it.
    pub placed_by: String,
    /// The day it was recorded.
    pub placed_on: Date,
    /// The lifting decision's reference, once a legal officer asked to lift it.
    pub lifting_reference: Option<String>,
    /// Who asked to lift it.
    pub lifting_by: Option<String>,
    /// The second legal officer who confirmed the lifting (none while it stands).
    pub lifted_by: Option<String>,
    /// A challenge's decision, once a legal officer gave it: `upheld` or `dismissed`.
    pub decision: Option<&'static str>,
}

impl HoldRecord {
    /// The hold stands until its lifting is confirmed.
    pub fn stands(&self) -> bool {
        self.lifted_by.is_none()
    }
}

/// The rules of a case command: the core's, on the facts the register read in the commit's
/// transaction. Every edge commits with this one.
pub fn decide(facts: &CaseFacts, call: &CaseCall) -> Result<CaseChange, Decline> {
    custodia_core::custody::decide(facts, &call.request, &call.actor)
}

/// Opens a case on the day of `now` in the agreement's first facility's zone: refused when the
/// agreement has ended or the person's current record gives no legal basis that day.
pub fn opener(now: &Timestamp) -> impl Fn(&custodia_core::Agreement, &PersonData) -> OpenOutcome + Sync + use<> {
    let now_unix = now.unix_seconds();
    move |agreement, person| {
        custodia_core::custody::open_case(agreement, person, agreement.default_time_zone().local_date(now_unix))
    }
}

/// What opening a case gives.
pub type OpenOutcome = Result<custodia_core::custody::Case, custodia_core::custody::Refusal>;

/// One recorded step of a case (from its `case.transition` event).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineEntry {
    /// The action (`screen`, `approve` …).
    pub action: String,
    /// The state before.
    pub from: String,
    /// The state after.
    pub to: String,
    /// The coded reason.
    pub reason: String,
    /// Who.
    pub by: String,
    /// The step's day.
    pub day: String,
}

/// The entry of a `case.transition` event body, if it is about case `id`.
fn timeline_entry(body: &str, id: i64) -> Option<TimelineEntry> {
    let event: serde_json::Value = serde_json::from_str(body).ok()?;
    let data = event.get("data")?;
    if data.get("case_id")?.as_i64()? != id {
        return None;
    }
    let text = |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    Some(TimelineEntry {
        action: text(data.get("action")),
        from: text(data.get("from")),
        to: text(data.get("to")),
        reason: text(data.get("reason")),
        by: text(event.get("actor")),
        day: text(data.get("day")),
    })
}

/// The holds of a case, lifted ones included.
pub fn holds_of(case: &custodia_store::cases::CaseRow) -> Vec<HoldRecord> {
    case.case
        .holds
        .iter()
        .map(|h| HoldRecord {
            case_id: case.id,
            authority: h.authority.clone(),
            reference: h.reference.clone(),
            order: h.order.as_str().to_owned(),
            placed_by: h.placed_by.clone(),
            placed_on: h.placed_on,
            lifting_reference: h.lifting.as_ref().map(|l| l.decision_reference.clone()),
            lifting_by: h.lifting.as_ref().map(|l| l.by.clone()),
            lifted_by: h.lifting.as_ref().and_then(|l| l.confirmed_by.clone()),
            decision: h
                .lifting
                .as_ref()
                .filter(|_| h.order == HoldOrder::Challenge)
                .map(|l| if l.upheld { "upheld" } else { "dismissed" }),
        })
        .collect()
}

/// A coded reason of a case step.
pub fn reason_code(field: &str, value: &str) -> AppResult<String> {
    ReasonCode::parse(value).map(String::from).map_err(|e| AppError::invalid(field, e.to_string()))
}

impl App {
    /// The case with the sending state's id of its person, if it exists and is in the caller's
    /// scope (its agreement, and its facility once placed); "not found" otherwise, alike.
    pub async fn case(&self, who: &Principal, id: i64) -> AppResult<CaseWithSendingId> {
        match self.store().case_with_sending_id(id).await? {
            Some(found) if who.sees(&found.case.agreement_id, found.case.facility_id.as_deref()) => Ok(found),
            _ => Err(AppError::no_such("case", id)),
        }
    }

    /// Every recorded step of a case, in journal order.
    pub async fn case_timeline(&self, who: &Principal, id: i64) -> AppResult<Vec<TimelineEntry>> {
        let found = self.case(who, id).await?;
        // The person's transitions (index `events_by_person`), not the whole agreement's.
        let bodies = self.store().transitions_of_person(&found.case.agreement_id, found.case.person_id).await?;
        Ok(bodies.iter().filter_map(|body| timeline_entry(body, id)).collect())
    }

    /// The case and its person's identifiers.
    pub async fn case_detail(&self, who: &Principal, id: i64) -> AppResult<CaseDetail> {
        let case = self.case(who, id).await?;
        let identifiers = self.visible_identifiers(who, case.case.person_id).await?;
        Ok(CaseDetail { case, identifiers })
    }

    /// The agreement's cases the caller sees, in `state` if given (`in_custody` …), by id after
    /// `after`, at most `limit`.
    pub async fn cases(
        &self,
        who: &Principal,
        agreement_id: &str,
        state: Option<&str>,
        after: i64,
        limit: usize,
    ) -> AppResult<CasePage> {
        self.agreement(who, agreement_id).await?;
        let state = state
            .map(|s| {
                CaseState::parse(s).ok_or_else(|| {
                    AppError::invalid("state", Text::new("INVALID.case-state").arg("value", format!("{s:?}")))
                })
            })
            .transpose()?;
        // Keyset paging, scope and filter in SQL: one page read, whatever the agreement's size.
        let page = custodia_store::CasesPage {
            agreement_id,
            state: state.map(CaseState::as_str),
            facilities: who.facilities.as_deref(),
            after,
            limit: u32::try_from(limit.saturating_add(1)).unwrap_or(u32::MAX),
        };
        let rows = self.store().cases_page(&page).await?;
        debug_assert!(rows.iter().all(|r| who.sees(&r.case.agreement_id, r.case.facility_id.as_deref())));
        let mut items: Vec<CaseWithSendingId> =
            rows.into_iter().map(|r| CaseWithSendingId { case: r.case, sending_id: r.person.sending_id }).collect();
        let next_after = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|c| c.case.id)
        } else {
            None
        };
        Ok(CasePage { items, next_after })
    }

    /// The legal holds of the agreement's cases the caller sees; only standing ones if asked.
    pub async fn holds(&self, who: &Principal, agreement_id: &str, standing_only: bool) -> AppResult<Vec<HoldRecord>> {
        self.agreement(who, agreement_id).await?;
        // The cases as the alerts read them, remembered by journal size (facts.rs).
        let facts = self.alert_facts(agreement_id).await?;
        Ok(facts
            .rows
            .iter()
            .filter(|r| who.sees(&r.case.agreement_id, r.case.facility_id.as_deref()))
            .flat_map(|r| holds_of(&r.case))
            .filter(|h| !standing_only || h.stands())
            .collect())
    }

    /// Opens a case (state `proposed`) for a person of the agreement's sending state, by the
    /// sending state's id: refused `NO_LEGAL_BASIS` when the person's current record gives none
    /// today, `AGREEMENT_ENDED` after the agreement's end (nothing written).
    pub async fn propose_case(
        &self,
        who: &Principal,
        agreement_id: &str,
        sending_person_id: &str,
        occurred_at: Option<&Timestamp>,
        now: &Timestamp,
    ) -> AppResult<CaseWithSendingId> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        who.require(Capability::ProposeCase)?;
        let person_id = required_text("person_id", sending_person_id, MAX_ID_BYTES)?;
        self.refuse_person_not_imported(who, &agreement, &person_id).await?;
        // The proposal's day is when it happened (a proposal recorded late keeps its day).
        let open = opener(occurred_at.unwrap_or(now));
        let row = self
            .store()
            .propose_case(agreement_id, &person_id, &open, &actor(who, now, occurred_at.cloned()))
            .await?
            .map_err(|refusal| {
                AppError::rule(
                    refusal.code(),
                    Text::new("msg-person-propose-refused")
                        .arg("person", person_id.to_string())
                        .nest("reason", custodia_i18n::facts::refusal(&refusal)),
                )
            })?;
        self.case(who, row.id).await
    }

    /// A case under an agreement is opened only for a person imported under it (docs/access.md):
    /// a person outside the caller's scope is "not found"; one in scope but imported under other
    /// agreements only is refused `NOT_IMPORTED_UNDER_AGREEMENT`. (A person is never unlinked from
    /// an agreement, so checking before the store's transaction cannot race.)
    async fn refuse_person_not_imported(
        &self,
        who: &Principal,
        agreement: &custodia_core::Agreement,
        sending_id: &str,
    ) -> AppResult<()> {
        let missing = || {
            AppError::NotFound(
                Text::new("NOT_FOUND.person-of").arg("id", sending_id).arg("state", agreement.sending_state.as_str()),
            )
        };
        let person_id =
            self.store().person_id_of(agreement.sending_state.as_str(), sending_id).await?.ok_or_else(missing)?;
        // Out of scope reads as not found; anything else (the database failing) stays what it is.
        if let Err(e) = self.person_in_scope(who, person_id, None).await {
            return Err(if matches!(e, AppError::NotFound(_)) { missing() } else { e });
        }
        if self.store().person_agreements(person_id).await?.iter().any(|a| a == agreement.id.as_str()) {
            return Ok(());
        }
        Err(AppError::rule(
            NOT_IMPORTED_UNDER_AGREEMENT,
            Text::new(NOT_IMPORTED_UNDER_AGREEMENT).arg("person", sending_id).arg("agreement", agreement.id.as_str()),
        ))
    }

    /// Records the caller's approval of placing this case's person in a cell above its standard
    /// capacity (never above the floor). The officer who then admits or moves the person cites it;
    /// the two must differ. Facility and receiving officers approve.
    pub async fn approve_override(
        &self,
        who: &Principal,
        case_id: i64,
        facility_id: &str,
        cell_id: &str,
        reason: &str,
        now: &Timestamp,
    ) -> AppResult<OverrideApproval> {
        let found = self.case(who, case_id).await?;
        if !(who.role.may(Capability::FacilityCaseStep) || who.role.may(Capability::ReceivingCaseStep)) {
            return Err(AppError::Forbidden(Text::new("FORBIDDEN.overrides").arg("role", who.role.as_str())));
        }
        let facility_id = required_text("facility_id", facility_id, 64)?;
        // The facility must be one of the case's agreement, and in the caller's scope.
        self.facility_in_scope(who, &found.case.agreement_id, &facility_id).await?;
        let cell_id = required_text("cell_id", cell_id, 64)?;
        let reason = required_text("reason", reason, MAX_NOTE_BYTES)?;
        let id =
            self.store().approve_override(case_id, &facility_id, &cell_id, &reason, &actor(who, now, None)).await?;
        Ok(OverrideApproval { id, case_id, facility_id, cell_id, reason, approved_by: who.name.clone(), used: false })
    }

    /// Checks a transition (scope, then capability, then every field and the override approval
    /// it cites) and builds the store call. Nothing is written.
    pub async fn prepare_transition(
        &self,
        who: &Principal,
        id: i64,
        request: TransitionRequest,
        now: &Timestamp,
    ) -> AppResult<PreparedTransition> {
        let found = self.case(who, id).await?;
        who.require(request.action.capability())?;
        let reason = reason_code("reason", &request.reason)?;
        let action = request.action.name();
        let report = match &request.action {
            CaseAction::RecordDeath(report) => Some(required_text("report", report, 8000)?),
            _ => None,
        };
        let (case_request, approval) = self.case_request(who, &found.case, request.action).await?;
        let store_actor = actor(who, now, request.occurred_at.clone());
        let occurred_at = request.occurred_at.as_ref().unwrap_or(now);
        let case_actor = custodia_core::custody::Actor {
            user: who.name.clone(),
            occurred_at: occurred_at.as_str().to_owned(),
            occurred_at_unix: occurred_at.unix_seconds(),
            recorded_at: now.as_str().to_owned(),
            reason,
        };
        let mut call = CaseCall::new(id, action, case_request, case_actor, store_actor);
        call.expected_version = request.expected_version;
        call.report = report;
        Ok(PreparedTransition { call, sending_id: found.sending_id, approval })
    }

    /// Settles a committed transition: the case after it, or the rule's refusal (nothing
    /// written); the cited override approval is marked used.
    pub async fn finish_transition(
        &self,
        prepared: PreparedTransition,
        outcome: Result<CaseRowOutcome, StoreError>,
    ) -> AppResult<Transitioned> {
        let PreparedTransition { call, sending_id, approval } = prepared;
        let row = outcome?.map_err(|refusal| {
            AppError::rule(
                refusal.code(),
                Text::new("msg-case-step-refused")
                    .arg("case", call.id.to_string())
                    .arg("step", call.action.to_string())
                    .nest("reason", custodia_i18n::facts::refusal(&refusal)),
            )
        })?;
        // The transition stands (it was checked with the approval); a concurrent second use of
        // the same approval is reported for review.
        let warning = match approval {
            Some(approval) => self
                .store()
                .use_override_approval(approval, call.id, &call.store_actor)
                .await
                .err()
                .map(|e| format!("override approval {approval} used twice (case {}): {e}", call.id)),
            None => None,
        };
        Ok(Transitioned { case: CaseWithSendingId { case: row, sending_id }, warning })
    }

    /// Checks and commits one transition at once.
    pub async fn transition(
        &self,
        who: &Principal,
        id: i64,
        request: TransitionRequest,
        now: &Timestamp,
    ) -> AppResult<Transitioned> {
        let prepared = self.prepare_transition(who, id, request, now).await?;
        let outcome = self.store().act_on_case(&prepared.call, &decide).await;
        self.finish_transition(prepared, outcome).await
    }

    /// The core's request for an action, its fields checked.
    async fn case_request(
        &self,
        who: &Principal,
        case: &custodia_store::cases::CaseRow,
        action: CaseAction,
    ) -> AppResult<(CaseRequest, Option<i64>)> {
        let plain = |c: Command| Ok((CaseRequest::Plain(c), None));
        match action {
            CaseAction::Screen => plain(Command::Screen),
            CaseAction::ResolveReview(findings) => plain(Command::ResolveReview { findings: findings_of(findings)? }),
            CaseAction::ConfirmReview => plain(Command::ConfirmReview),
            CaseAction::Approve(state) => plain(Command::Approve { state }),
            CaseAction::Schedule => plain(Command::Schedule),
            CaseAction::Depart => plain(Command::Depart),
            CaseAction::Admit { admission: a, placement } => {
                if a.hour > 23 {
                    return Err(AppError::invalid(
                        "admission.hour",
                        Text::new("INVALID.between").count("min", 0).count("max", 23),
                    ));
                }
                admission_within_limits(&a)?;
                let (placement, approval) = self.placement(who, case, placement).await?;
                let request = CaseRequest::Admit {
                    receiving_id: a.receiving_id.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()),
                    commitment_order: a.commitment_order,
                    intake: IntakeRecord {
                        admitted_on: a.admitted_on,
                        hour: a.hour,
                        visible_injuries: a.visible_injuries,
                        property: a.property,
                        next_of_kin: a.next_of_kin,
                    },
                    placement,
                };
                Ok((request, approval))
            }
            CaseAction::Move(placement) => {
                let (placement, approval) = self.placement(who, case, placement).await?;
                Ok((CaseRequest::Move { placement }, approval))
            }
            CaseAction::ScheduleReturn(on) => plain(Command::ScheduleReturn { on }),
            CaseAction::Return => plain(Command::Return),
            CaseAction::TurnBack => plain(Command::TurnBack),
            CaseAction::Release(to) => plain(Command::Release { to: country("to", &to)? }),
            CaseAction::Remove(to) => plain(Command::Remove { to: country("to", &to)? }),
            CaseAction::RecordDeath(report) => {
                required_text("report", &report, 8000)?;
                plain(Command::RecordDeath)
            }
            CaseAction::Withdraw => plain(Command::Withdraw),
            CaseAction::Refuse => plain(Command::Refuse),
            CaseAction::PlaceHold(h) => plain(Command::PlaceHold {
                authority: required_text("authority", &h.authority, MAX_SHORT_TEXT_BYTES)?,
                reference: required_text("reference", &h.reference, MAX_SHORT_TEXT_BYTES)?,
                order: HoldOrder::parse(&h.order).ok_or_else(|| {
                    AppError::invalid("order", crate::fields::is_not(&h.order, &["stop", "return", "challenge"]))
                })?,
            }),
            CaseAction::LiftHold { reference, decision_reference } => plain(Command::LiftHold {
                reference: required_text("reference", &reference, MAX_SHORT_TEXT_BYTES)?,
                decision_reference: required_text("decision_reference", &decision_reference, MAX_SHORT_TEXT_BYTES)?,
            }),
            CaseAction::ConfirmLift(reference) => {
                plain(Command::ConfirmLift { reference: required_text("reference", &reference, MAX_SHORT_TEXT_BYTES)? })
            }
            CaseAction::DecideChallenge { reference, outcome, reasons } => plain(Command::DecideChallenge {
                reference: required_text("reference", &reference, MAX_SHORT_TEXT_BYTES)?,
                upheld: match outcome.as_str() {
                    "upheld" => true,
                    "dismissed" => false,
                    other => {
                        return Err(AppError::invalid(
                            "outcome",
                            crate::fields::is_not(other, &["upheld", "dismissed"]),
                        ));
                    }
                },
                reasons: required_text("reasons", &reasons, MAX_NOTE_BYTES)?,
            }),
        }
    }

    /// A placement, with the override its cited approval gives: another user's, for this case and
    /// cell, not used yet. The caller is the first approver, the approval's author the second.
    async fn placement(
        &self,
        who: &Principal,
        case: &custodia_store::cases::CaseRow,
        p: Placement,
    ) -> AppResult<(PlacementRequest, Option<i64>)> {
        let case_id = case.id;
        let facility_id = required_text("placement.facility_id", &p.facility_id, 64)?;
        self.facility_in_scope(who, &case.agreement_id, &facility_id).await?;
        let cell_id = required_text("placement.cell_id", &p.cell_id, 64)?;
        let Some(approval_id) = p.override_approval else {
            return Ok((PlacementRequest { facility_id, cell_id, override_by: None }, None));
        };
        let approval = self
            .store()
            .override_approval(approval_id)
            .await?
            .filter(|a| a.case_id == case_id && a.facility_id == facility_id && a.cell_id == cell_id)
            .ok_or_else(|| AppError::invalid("placement.override_by.approval_id", Text::new("INVALID.approval")))?;
        if approval.used {
            return Err(AppError::rule("APPROVAL_USED", Text::new("APPROVAL_USED").arg("id", approval.id.to_string())));
        }
        if approval.approved_by == who.name {
            return Err(AppError::rule("SAME_APPROVER", Text::new("SAME_APPROVER.override")));
        }
        let override_by = Override { first: who.name.clone(), second: approval.approved_by, reason: approval.reason };
        Ok((PlacementRequest { facility_id, cell_id, override_by: Some(override_by) }, Some(approval.id)))
    }
}

/// The admission record's texts are within their limits (they are kept in the journal for good).
fn admission_within_limits(a: &Admission) -> AppResult<()> {
    at_most("admission.commitment_order", &a.commitment_order, MAX_SHORT_TEXT_BYTES)?;
    at_most("admission.receiving_id", a.receiving_id.as_deref().unwrap_or_default(), MAX_ID_BYTES)?;
    at_most("admission.visible_injuries", &a.visible_injuries, MAX_NOTE_BYTES)?;
    at_most("admission.property", &a.property, MAX_NOTE_BYTES)?;
    at_most("admission.next_of_kin", &a.next_of_kin, MAX_NOTE_BYTES)
}

/// An ISO 3166-1 alpha-2 country field.
fn country(field: &str, value: &str) -> AppResult<String> {
    custodia_core::CountryCode::parse(value.trim())
        .map(|c| c.as_str().to_owned())
        .map_err(|e| AppError::invalid(field, e.to_string()))
}

/// A review's findings, each with a known rule, `pass` or `fail`, and evidence; at most one per rule.
fn findings_of(requests: Vec<FindingRequest>) -> AppResult<Vec<Finding>> {
    if requests.len() > Rule::ALL.len() {
        return Err(AppError::invalid("findings", Text::new("INVALID.one-finding")));
    }
    let mut out: Vec<Finding> = Vec::with_capacity(requests.len());
    for (i, f) in requests.into_iter().enumerate() {
        let rule = Rule::parse(f.rule.trim()).ok_or_else(|| {
            AppError::invalid(
                &format!("findings[{i}].rule"),
                Text::new("INVALID.rule").arg("value", format!("{:?}", f.rule)),
            )
        })?;
        let passes = match f.finding.trim() {
            "pass" => true,
            "fail" => false,
            other => {
                return Err(AppError::invalid(
                    &format!("findings[{i}].finding"),
                    crate::fields::is_not(other, &["pass", "fail"]),
                ));
            }
        };
        let evidence = required_text(&format!("findings[{i}].evidence"), &f.evidence, MAX_NOTE_BYTES)?;
        if out.iter().any(|o| o.rule == rule) {
            return Err(AppError::invalid(
                &format!("findings[{i}].rule"),
                Text::new("INVALID.two-findings").arg("rule", rule.code()),
            ));
        }
        out.push(Finding { rule, passes, evidence });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;

    fn principal(name: &str, role: Role) -> Principal {
        Principal { name: name.into(), role, agreements: None, facilities: None, language: None }
    }

    #[test]
    fn each_action_needs_its_states_capability() {
        let place = Placement { facility_id: "f".into(), cell_id: "c".into(), override_approval: None };
        assert_eq!(CaseAction::Approve(Party::Sending).capability(), Capability::SendingCaseStep);
        assert_eq!(CaseAction::Approve(Party::Receiving).capability(), Capability::ReceivingCaseStep);
        assert_eq!(CaseAction::Refuse.capability(), Capability::ReceivingCaseStep);
        let hold = HoldRequest { authority: "D.D.C.".into(), reference: "TRO".into(), order: "stop".into() };
        assert_eq!(CaseAction::PlaceHold(hold).capability(), Capability::LegalCaseStep);
        assert_eq!(CaseAction::ConfirmLift("TRO".into()).capability(), Capability::LegalCaseStep);
        assert_eq!(CaseAction::TurnBack.capability(), Capability::SendingCaseStep);
        assert_eq!(CaseAction::Remove("VE".into()).capability(), Capability::FacilityCaseStep);
        assert_eq!(CaseAction::ConfirmReview.capability(), Capability::LegalCaseStep);
        assert_eq!(CaseAction::Move(place).capability(), Capability::FacilityCaseStep);
        assert_eq!(CaseAction::Depart.capability(), Capability::SendingCaseStep);
        let lift = CaseAction::LiftHold { reference: "TRO".into(), decision_reference: "stay".into() };
        assert_eq!(lift.name(), "lift_hold");
    }

    #[tokio::test]
    async fn an_admin_proposes_no_case_and_an_unknown_agreement_is_not_found() {
        let dir = std::env::temp_dir().join(format!("custodia-app-cases-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = custodia_store::Store::open(&custodia_store::Target::DataDir(dir.clone())).await.unwrap();
        let app = App::new(store, [7; 32], "test".into());
        let now = Timestamp::parse("2025-03-01T08:00:00Z").unwrap();
        let admin = principal("root", Role::Admin);
        let source = include_str!("../../../examples/agreements/us-sv-cecot.toml");
        app.import_agreement(&admin, source, None, &now).await.unwrap();
        let refused = app.propose_case(&admin, "us-sv-cecot", "V1", None, &now).await.unwrap_err();
        assert_eq!(refused.code(), "FORBIDDEN");
        let officer = principal("us.officer", Role::SendingOfficer);
        let absent = app.propose_case(&officer, "xx-none", "V1", None, &now).await.unwrap_err();
        assert_eq!(absent.code(), "NOT_FOUND");
        let blank = app.propose_case(&officer, "us-sv-cecot", "  ", None, &now).await.unwrap_err();
        assert_eq!(blank, AppError::invalid("person_id", crate::fields::required()));
        let missing = app.case(&officer, 1).await.unwrap_err();
        assert_eq!(missing.code(), "NOT_FOUND");
        app.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}
