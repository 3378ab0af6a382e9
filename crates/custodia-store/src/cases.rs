//! Cases in the register: the core's [`Case`] as stored JSON, and the facts a command is decided
//! on (the case, the agreement in force, the occupancy of a cell and of a facility), read in the
//! command's transaction and handed to the caller's decision.

use std::time::Duration;

use custodia_core::Date;
use custodia_core::capacity::{Cell, CellKind};
use custodia_core::custody::{
    Case, CaseChange, CaseFacts, Decline, Finding, Hold, HoldOrder, IntakeRecord, Lifting, ReviewResolution,
};
pub use custodia_core::custody::{CaseRequest, PlacementRequest};
use custodia_core::eligibility::{Decision, Outcome, Rule};
use custodia_core::lifecycle::CaseState;
use custodia_core::safeguards::ScreeningRecord;
use serde_json::{Value, json};
use sqlx::Row;

use crate::backend::{
    PERSON_SELECT, PostgresStore, SqliteStore, case_row_from, person_from_event, person_from_row, store_trait,
};
use crate::bulk::Dialect;
use crate::events::{EventData, Head, NewEvent};
use crate::record::PersonData;
use crate::{Actor, StoreError};

/// What [`Cases::cases_page`] reads.
#[derive(Clone, Copy, Debug)]
pub struct CasesPage<'a> {
    /// The agreement.
    pub agreement_id: &'a str,
    /// Only cases in this state (its stored name, e.g. `in_custody`).
    pub state: Option<&'a str>,
    /// Only cases placed in these facilities, or not placed yet; `None` for every facility.
    pub facilities: Option<&'a [String]>,
    /// Case ids above this one.
    pub after: i64,
    /// At most this many.
    pub limit: u32,
}

/// The case as the JSON stored in `cases.record` and carried by its events: the register's
/// screening with every rule's outcome, the review's findings, the holds with their authority,
/// order and lifting.
pub(crate) fn case_json(case: &Case) -> Value {
    let date = |d: &Date| d.to_string();
    json!({
        "state": case.state.as_str(),
        "decision": case.decision().map(Decision::as_str),
        "screening": case.screening.as_ref().map(|s| json!({
            "on": date(&s.on),
            "outcomes": s.outcomes.iter().map(|(rule, outcome)| (rule.code().to_owned(), Value::from(outcome.as_str()))).collect::<serde_json::Map<_, _>>(),
        })),
        "review": case.review.as_ref().map(|r| json!({
            "findings": r.findings.iter().map(|f| json!({"rule": f.rule.code(), "finding": if f.passes { "pass" } else { "fail" }, "evidence": f.evidence})).collect::<Vec<_>>(),
            "on": date(&r.on),
            "reviewer": r.reviewer,
            "confirmed_by": r.confirmed_by,
        })),
        "sending_approval": case.sending_approval,
        "receiving_approval": case.receiving_approval,
        "holds": case.holds.iter().map(|h| json!({
            "reference": h.reference,
            "authority": h.authority,
            "order": h.order.as_str(),
            "placed_by": h.placed_by,
            "placed_on": date(&h.placed_on),
            "lifting": h.lifting.as_ref().map(|l| {
                let mut lifting = json!({"decision_reference": l.decision_reference, "by": l.by, "confirmed_by": l.confirmed_by});
                // Only a challenge's decision is upheld or not (docs/rights.md#challenges).
                if h.order == HoldOrder::Challenge
                    && let Some(members) = lifting.as_object_mut()
                {
                    members.insert("upheld".into(), json!(l.upheld));
                }
                lifting
            }),
        })).collect::<Vec<_>>(),
        "departed_at_unix": case.departed_at_unix,
        "commitment_order": case.commitment_order,
        "intake": case.intake.as_ref().map(|i| json!({
            "admitted_on": i.admitted_on.to_string(),
            "hour": i.hour,
            "visible_injuries": i.visible_injuries,
            "property": i.property,
            "next_of_kin": i.next_of_kin,
        })),
        "cell_id": case.cell_id,
        "return_on": case.return_on.map(|d| d.to_string()),
        "destination": case.destination,
    })
}

fn bad_record(what: &str) -> StoreError {
    StoreError::Inconsistent(format!("case record: {what}"))
}

fn text_in(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn date_in(v: &Value, key: &str) -> Result<Option<Date>, StoreError> {
    text_in(v, key).map(|t| Date::parse(&t).map_err(|e| bad_record(&format!("{key}: {e}")))).transpose()
}

fn screening_from(v: &Value) -> Result<Option<ScreeningRecord>, StoreError> {
    let Some(s) = v.get("screening").filter(|s| !s.is_null()) else { return Ok(None) };
    let on = date_in(s, "on")?.ok_or_else(|| bad_record("screening.on"))?;
    let mut outcomes = Vec::new();
    for (code, outcome) in s.get("outcomes").and_then(Value::as_object).into_iter().flatten() {
        let rule = Rule::parse(code).ok_or_else(|| bad_record("screening.outcomes"))?;
        let outcome = outcome.as_str().and_then(Outcome::parse).ok_or_else(|| bad_record("screening.outcomes"))?;
        outcomes.push((rule, outcome));
    }
    outcomes.sort_by_key(|(rule, _)| *rule);
    Ok(Some(ScreeningRecord { on, outcomes }))
}

fn review_from(v: &Value) -> Result<Option<ReviewResolution>, StoreError> {
    let Some(r) = v.get("review").filter(|r| !r.is_null()) else { return Ok(None) };
    let mut findings = Vec::new();
    for f in r.get("findings").and_then(Value::as_array).into_iter().flatten() {
        findings.push(Finding {
            rule: text_in(f, "rule").and_then(|c| Rule::parse(&c)).ok_or_else(|| bad_record("review.findings.rule"))?,
            passes: text_in(f, "finding").as_deref() == Some("pass"),
            evidence: text_in(f, "evidence").unwrap_or_default(),
        });
    }
    Ok(Some(ReviewResolution {
        findings,
        on: date_in(r, "on")?.ok_or_else(|| bad_record("review.on"))?,
        reviewer: text_in(r, "reviewer").unwrap_or_default(),
        confirmed_by: text_in(r, "confirmed_by"),
    }))
}

fn holds_from(v: &Value) -> Result<Vec<Hold>, StoreError> {
    let mut holds = Vec::new();
    for h in v.get("holds").and_then(Value::as_array).into_iter().flatten() {
        let lifting = h.get("lifting").filter(|l| !l.is_null()).map(|l| Lifting {
            decision_reference: text_in(l, "decision_reference").unwrap_or_default(),
            upheld: l.get("upheld").and_then(Value::as_bool).unwrap_or(false),
            by: text_in(l, "by").unwrap_or_default(),
            confirmed_by: text_in(l, "confirmed_by"),
        });
        holds.push(Hold {
            reference: text_in(h, "reference").unwrap_or_default(),
            authority: text_in(h, "authority").unwrap_or_default(),
            order: text_in(h, "order").and_then(|o| HoldOrder::parse(&o)).ok_or_else(|| bad_record("holds.order"))?,
            placed_by: text_in(h, "placed_by").unwrap_or_default(),
            placed_on: date_in(h, "placed_on")?.ok_or_else(|| bad_record("holds.placed_on"))?,
            lifting,
        });
    }
    Ok(holds)
}

fn intake_from(v: &Value) -> Result<Option<IntakeRecord>, StoreError> {
    let Some(i) = v.get("intake").filter(|i| !i.is_null()) else { return Ok(None) };
    Ok(Some(IntakeRecord {
        admitted_on: date_in(i, "admitted_on")?.ok_or_else(|| bad_record("intake.admitted_on"))?,
        hour: i
            .get("hour")
            .and_then(Value::as_u64)
            .and_then(|h| u8::try_from(h).ok())
            .ok_or_else(|| bad_record("intake.hour"))?,
        visible_injuries: text_in(i, "visible_injuries").unwrap_or_default(),
        property: text_in(i, "property").unwrap_or_default(),
        next_of_kin: text_in(i, "next_of_kin").unwrap_or_default(),
    }))
}

/// Reads a case written by [`case_json`].
pub(crate) fn case_from_json(text: &str) -> Result<Case, StoreError> {
    let v: Value = serde_json::from_str(text).map_err(|e| bad_record(&e.to_string()))?;
    Ok(Case {
        state: text_in(&v, "state").and_then(|s| CaseState::parse(&s)).ok_or_else(|| bad_record("state"))?,
        screening: screening_from(&v)?,
        review: review_from(&v)?,
        sending_approval: text_in(&v, "sending_approval"),
        receiving_approval: text_in(&v, "receiving_approval"),
        holds: holds_from(&v)?,
        departed_at_unix: v.get("departed_at_unix").and_then(Value::as_i64),
        commitment_order: text_in(&v, "commitment_order"),
        intake: intake_from(&v)?,
        cell_id: text_in(&v, "cell_id"),
        return_on: date_in(&v, "return_on")?,
        destination: text_in(&v, "destination"),
    })
}

/// A stored case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    /// The case id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The person's Custodia id.
    pub person_id: i64,
    /// The facility while placed.
    pub facility_id: Option<String>,
    /// Its version: 1 when proposed, one more with every transition (the HTTP `ETag`).
    pub version: i64,
    /// The case.
    pub case: Case,
}

/// A second user's approval of a placement above standard capacity, for one case and cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideApproval {
    /// Its id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// Why.
    pub reason: String,
    /// The approving user.
    pub approved_by: String,
    /// Whether a placement has used it.
    pub used: bool,
}

/// Where a case is, without its record (occupancy is counted from these).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CasePlace {
    /// The case id.
    pub case_id: i64,
    /// The person's Custodia id.
    pub person_id: i64,
    /// The facility while placed.
    pub facility_id: Option<String>,
    /// The cell while placed.
    pub cell_id: Option<String>,
    /// The state's name (`in_custody`…).
    pub state: String,
}

/// A case with the sending state's id of its person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseWithSendingId {
    /// The case.
    pub case: CaseRow,
    /// The person's id in the sending state.
    pub sending_id: String,
}

/// A case with its person's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseWithPerson {
    /// The case.
    pub case: CaseRow,
    /// The person's record.
    pub person: PersonData,
}

/// The caller's decision on a case command, from the facts the register read in the command's
/// transaction: the change to record, or why not (nothing is written). Normally
/// `|facts, call| custodia_core::custody::decide(facts, &call.request, &call.actor)`.
pub type Decide = dyn Fn(&CaseFacts, &CaseCall) -> Result<CaseChange, Decline> + Sync;

/// The caller's opening of a case for a person, from the agreement in force and the person's
/// record as the register holds them in the proposal's transaction (normally
/// `custodia_core::custody::open_case` on the proposal's day): the new case, or the refusal.
pub type OpenCase =
    dyn Fn(&custodia_core::Agreement, &PersonData) -> Result<Case, custodia_core::custody::Refusal> + Sync;

/// One case command for [`Cases::act_on_cases`] (group commit).
#[derive(Clone, Debug)]
pub struct CaseCall {
    /// The case.
    pub id: i64,
    /// Refused with `StoreError::Stale` unless the case is at this version.
    pub expected_version: Option<i64>,
    /// The action's name, recorded in the event.
    pub action: String,
    /// The command.
    pub request: CaseRequest,
    /// Who, when and why, for the decision (its reason and time are recorded in the event).
    pub actor: custodia_core::custody::Actor,
    /// Who and when, for the journal.
    pub store_actor: crate::Actor,
    /// For `record_death`: the report of the death incident filed in the same transaction.
    pub report: Option<String>,
}

impl CaseCall {
    /// A command on case `id` at whatever version it is.
    pub fn new(
        id: i64,
        action: &str,
        request: CaseRequest,
        actor: custodia_core::custody::Actor,
        store_actor: crate::Actor,
    ) -> Self {
        Self { id, expected_version: None, action: action.to_owned(), request, actor, store_actor, report: None }
    }
}

/// The outcome of a case command in a group commit: the stored case after it (with its new
/// version), or the coded refusal (nothing written).
pub type CaseRowOutcome = Result<CaseRow, custodia_core::custody::Refusal>;

store_trait! {
    /// Cases: proposal, commands (decided by the caller), and reads.
    pub trait Cases {
        /// Opens a case for a person of the agreement's sending state (by the sending state's
        /// `person_id`); `open` makes the initial case from the person's record.
        /// A refused proposal writes nothing.
        fn propose_case(&self, agreement_id: &str, sending_id: &str, open: &OpenCase, actor: &Actor) -> Result<CaseRowOutcome, StoreError>;
        /// A stored case.
        fn case_row(&self, id: i64) -> Result<Option<CaseRow>, StoreError>;
        /// Every case of one person (under any agreement), in case order.
        fn cases_of_person(&self, person_id: i64) -> Result<Vec<CaseRow>, StoreError>;
        /// Where the cases of an agreement are, without their records, in case order. Occupancy
        /// is counted from these.
        fn case_places(&self, agreement_id: &str) -> Result<Vec<CasePlace>, StoreError>;
        /// One case with the sending state's id of its person (no record parsed: the fast path
        /// of case reads).
        fn case_with_sending_id(&self, id: i64) -> Result<Option<CaseWithSendingId>, StoreError>;
        /// One case with the person's record.
        fn case_with_person(&self, id: i64) -> Result<Option<CaseWithPerson>, StoreError>;
        /// Every case of an agreement with the person's record, in case order.
        fn cases_with_persons(&self, agreement_id: &str) -> Result<Vec<CaseWithPerson>, StoreError>;
        /// One page of an agreement's cases in case order, keyset-paged in SQL: ids above `after`,
        /// in `state` if given, placed in one of `facilities` (or not placed yet) if given; at most
        /// `limit`.
        fn cases_page(&self, page: &CasesPage<'_>) -> Result<Vec<CaseWithPerson>, StoreError>;
        /// Records a second user's approval of a placement above standard capacity, for one
        /// case and cell (`case.override_approved` event).
        fn approve_override(&self, case_id: i64, facility_id: &str, cell_id: &str, reason: &str, actor: &Actor) -> Result<i64, StoreError>;
        /// An override approval, by id.
        fn override_approval(&self, id: i64) -> Result<Option<OverrideApproval>, StoreError>;
        /// The override approvals of an agreement's cases that no placement has used yet, by id.
        fn unused_override_approvals(&self, agreement_id: &str) -> Result<Vec<OverrideApproval>, StoreError>;
        /// Marks an approval used by the case's last event (`case.override_used`); refused when it
        /// was used already.
        fn use_override_approval(&self, id: i64, case_id: i64, actor: &Actor) -> Result<(), StoreError>;
        /// One case command: reads the facts (the case, the agreement in force, the cell and the
        /// occupancy of the cell and of the facility), asks `decide`, and records the change it
        /// returns (the new state and a `case.transition` event) — or writes nothing when it declines.
        /// Refused with [`StoreError::Stale`] unless the case is at `call.expected_version`.
        fn act_on_case(&self, call: &CaseCall, decide: &Decide) -> Result<CaseRowOutcome, StoreError>;
        /// Several case commands in one transaction — group commit: all that succeed are
        /// committed (one fsync) together, in order. A command is checked before it writes
        /// anything, so a refused one leaves nothing behind; if the database fails part-way
        /// through a command, the whole batch is rolled back and each command is retried in a
        /// transaction of its own, so one failure never takes the others with it.
        fn act_on_cases(&self, calls: &[CaseCall], decide: &Decide) -> Result<Vec<Result<CaseRowOutcome, StoreError>>, StoreError>;
        /// The `case.transition` events of an agreement, in journal order: their bodies.
        fn case_transition_bodies(&self, agreement_id: &str) -> Result<Vec<String>, StoreError>;
        /// The custody steps of an agreement, in journal order: the bodies of its `case.transition`
        /// events from or to `in_custody` or `return_scheduled` (every admission, move, return,
        /// release, death and removal), read through the partial index `events_custody_steps`
        /// (migration 0016) — a subsequence of [`Cases::case_transition_bodies`].
        fn custody_step_bodies(&self, agreement_id: &str) -> Result<Vec<String>, StoreError>;
    }
}

/// An override approval's columns ([`override_approval_from`]), from `override_approvals o`.
const OVERRIDE_APPROVAL_SELECT: &str =
    "SELECT o.id, o.case_id, o.facility_id, o.cell_id, o.reason, o.approved_by, o.used_seq FROM override_approvals o";

/// An override approval from a row of [`OVERRIDE_APPROVAL_SELECT`].
fn override_approval_from<R: sqlx::Row>(r: &R) -> Result<OverrideApproval, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(OverrideApproval {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        facility_id: r.try_get("facility_id")?,
        cell_id: r.try_get("cell_id")?,
        reason: r.try_get("reason")?,
        approved_by: r.try_get("approved_by")?,
        used: r.try_get::<Option<i64>, _>("used_seq")?.is_some(),
    })
}

/// [`Cases::custody_step_bodies`]: the condition repeats the partial index's exactly, so the
/// database reads only the index's events.
fn custody_steps_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "SELECT body FROM events WHERE agreement_id = $1 AND kind = 'case.transition' \
             AND (body ->> '$.data.from' IN ('in_custody', 'return_scheduled') \
             OR body ->> '$.data.to' IN ('in_custody', 'return_scheduled')) ORDER BY seq"
        }
        Dialect::Postgres => {
            "SELECT body FROM events WHERE agreement_id = $1 AND kind = 'case.transition' \
             AND (((body::json) #>> '{data,from}') IN ('in_custody', 'return_scheduled') \
             OR ((body::json) #>> '{data,to}') IN ('in_custody', 'return_scheduled')) ORDER BY seq"
        }
    }
}

/// The members of an event body that [`custody_step_in`] reads.
#[derive(serde::Deserialize)]
struct StepEnvelope<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    agreement_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    data: Option<StepData<'a>>,
    seq: u64,
}

#[derive(serde::Deserialize)]
struct StepData<'a> {
    #[serde(borrow, default)]
    from: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    to: Option<std::borrow::Cow<'a, str>>,
}

/// Whether the event `body` is one of agreement `agreement_id`'s custody steps — what
/// [`Cases::custody_step_bodies`] selects in SQL, decided on the body alone, so that a reader who
/// has the new events need not read every step again: `Some(Some(seq))` for a step (its journal
/// position), `Some(None)` for any other event, `None` for a body that is not an event (the caller
/// then reads the steps from the register).
pub fn custody_step_in(body: &str, agreement_id: &str) -> Option<Option<u64>> {
    let event: StepEnvelope<'_> = serde_json::from_str(body).ok()?;
    let ours = event.kind == "case.transition" && event.agreement_id.as_deref() == Some(agreement_id);
    // A custody state is one that holds a place (in custody, or its return scheduled).
    let custody = event.data.is_some_and(|d| {
        [d.from, d.to].iter().flatten().any(|state| CaseState::parse(state).is_some_and(CaseState::holds_place))
    });
    Some((ours && custody).then_some(event.seq))
}

macro_rules! cases_sql {
    ($name:ident, $db:ty, $dialect:expr) => {
        impl Cases for $name {
            async fn propose_case(&self, agreement_id: &str, sending_id: &str, open: &OpenCase, actor: &Actor) -> Result<CaseRowOutcome, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let agreement = Self::agreement_in(&mut tx, agreement_id).await?;
                let found = sqlx::query(&format!("{PERSON_SELECT} WHERE p.sending_state = $1 AND p.sending_id = $2"))
                    .bind(agreement.sending_state.as_str().to_owned())
                    .bind(sending_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("person {sending_id} of {} is not in the register", agreement.sending_state)))?;
                let (person_id, _, _, record) = person_from_row(&found)?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM cases").fetch_one(&mut *tx).await?.try_get("next")?;
                let case = match open(&agreement, &record) {
                    Ok(case) => case,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let data = json!({"case_id": id, "record": case_json(&case)});
                let seq = Self::record_event(&mut tx, &mut head, NewEvent { kind: "case.proposed", agreement_id: Some(agreement_id.to_owned()), person_id: Some(person_id), data: EventData::Json(data) }, actor).await?;
                sqlx::query(
                    "INSERT INTO cases (id, agreement_id, person_id, state, facility_id, cell_id, record, version, last_event_seq) \
                     VALUES ($1, $2, $3, $4, NULL, NULL, $5, 1, $6)",
                )
                .bind(id)
                .bind(agreement_id.to_owned())
                .bind(person_id)
                .bind(case.state.as_str())
                .bind(case_json(&case).to_string())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(Ok(CaseRow { id, agreement_id: agreement_id.to_owned(), person_id, facility_id: None, version: 1, case }))
            }

            async fn case_row(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
                let row = sqlx::query("SELECT id, agreement_id, person_id, facility_id, version, record FROM cases WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    None => Ok(None),
                    Some(row) => Ok(Some(case_row_from(&row)?)),
                }
            }

            async fn cases_of_person(&self, person_id: i64) -> Result<Vec<CaseRow>, StoreError> {
                let rows = sqlx::query("SELECT id, agreement_id, person_id, facility_id, version, record FROM cases WHERE person_id = $1 ORDER BY id")
                    .bind(person_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(case_row_from).collect()
            }

            async fn case_places(&self, agreement_id: &str) -> Result<Vec<CasePlace>, StoreError> {
                let rows = sqlx::query("SELECT id, person_id, facility_id, cell_id, state FROM cases WHERE agreement_id = $1 ORDER BY id")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(CasePlace {
                            case_id: r.try_get("id")?,
                            person_id: r.try_get("person_id")?,
                            facility_id: r.try_get("facility_id")?,
                            cell_id: r.try_get("cell_id")?,
                            state: r.try_get("state")?,
                        })
                    })
                    .collect()
            }

            async fn case_with_sending_id(&self, id: i64) -> Result<Option<CaseWithSendingId>, StoreError> {
                // The hot read of the API: on a SQLite file it is answered on the calling thread
                // from a read-only connection kept per thread (an indexed read takes microseconds,
                // less than handing it to the pool's thread and back).
                if let Some(file) = self.reader() {
                    return sqlite_case_with_sending_id(&file, id);
                }
                let row = sqlx::query(
                    "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, p.sending_id FROM cases c \
                     JOIN persons p ON p.id = c.person_id WHERE c.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some(CaseWithSendingId { case: case_row_from(&row)?, sending_id: row.try_get("sending_id")? }))
            }

            async fn case_with_person(&self, id: i64) -> Result<Option<CaseWithPerson>, StoreError> {
                let row = sqlx::query(
                    "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, e.body FROM cases c \
                     JOIN persons p ON p.id = c.person_id JOIN events e ON e.seq = p.last_event_seq WHERE c.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let person = person_from_event(row.try_get("person_id")?, &row.try_get::<String, _>("body")?)?;
                Ok(Some(CaseWithPerson { case: case_row_from(&row)?, person }))
            }

            async fn cases_page(&self, page: &CasesPage<'_>) -> Result<Vec<CaseWithPerson>, StoreError> {
                let facilities = page.facilities.map(|list| {
                    let mut rows = crate::bulk::JsonRows::with_capacity(list.len() * 16 + 8);
                    rows.row();
                    for f in list {
                        rows.text(f);
                    }
                    rows.finish()
                });
                let (state_is_null, facilities_is_null) = match $dialect {
                    Dialect::Postgres => ("$3::text IS NULL", "$4::text IS NULL"),
                    Dialect::Sqlite => ("$3 IS NULL", "$4 IS NULL"),
                };
                let sql = format!(
                    "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, e.body FROM cases c \
                     JOIN persons p ON p.id = c.person_id JOIN events e ON e.seq = p.last_event_seq \
                     WHERE c.agreement_id = $1 AND c.id > $2 AND ({state_is_null} OR c.state = $3) \
                     AND ({facilities_is_null} OR c.facility_id IS NULL OR c.facility_id IN ({})) \
                     ORDER BY c.id LIMIT $5",
                    crate::backend::text_list_sql($dialect, "$4")
                );
                let rows = sqlx::query(&sql)
                    .bind(page.agreement_id.to_owned())
                    .bind(page.after)
                    .bind(page.state.map(str::to_owned))
                    .bind(facilities)
                    .bind(i64::from(page.limit))
                    .fetch_all(&self.pool)
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let person = person_from_event(row.try_get("person_id")?, &row.try_get::<String, _>("body")?)?;
                    out.push(CaseWithPerson { case: case_row_from(&row)?, person });
                }
                Ok(out)
            }

            async fn cases_with_persons(&self, agreement_id: &str) -> Result<Vec<CaseWithPerson>, StoreError> {
                let all = CasesPage { agreement_id, state: None, facilities: None, after: 0, limit: u32::MAX };
                self.cases_page(&all).await
            }

            async fn approve_override(&self, case_id: i64, facility_id: &str, cell_id: &str, reason: &str, actor: &Actor) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let case = sqlx::query("SELECT agreement_id, person_id FROM cases WHERE id = $1")
                    .bind(case_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("case {case_id} does not exist")))?;
                let agreement_id: String = case.try_get("agreement_id")?;
                let person_id: i64 = case.try_get("person_id")?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM override_approvals").fetch_one(&mut *tx).await?.try_get("next")?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "case.override_approved",
                        agreement_id: Some(agreement_id),
                        person_id: Some(person_id),
                        data: EventData::Json(json!({"approval_id": id, "case_id": case_id, "facility_id": facility_id, "cell_id": cell_id, "reason": reason})),
                    }, actor).await?;
                sqlx::query("INSERT INTO override_approvals (id, case_id, facility_id, cell_id, reason, approved_by, approved_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(case_id)
                    .bind(facility_id.to_owned())
                    .bind(cell_id.to_owned())
                    .bind(reason.to_owned())
                    .bind(actor.name.clone())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn override_approval(&self, id: i64) -> Result<Option<OverrideApproval>, StoreError> {
                let row = sqlx::query(&format!("{OVERRIDE_APPROVAL_SELECT} WHERE o.id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(override_approval_from).transpose()
            }

            async fn unused_override_approvals(&self, agreement_id: &str) -> Result<Vec<OverrideApproval>, StoreError> {
                let rows = sqlx::query(&format!(
                    "{OVERRIDE_APPROVAL_SELECT} JOIN cases c ON c.id = o.case_id \
                     WHERE c.agreement_id = $1 AND o.used_seq IS NULL ORDER BY o.id"
                ))
                .bind(agreement_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(override_approval_from).collect()
            }

            async fn use_override_approval(&self, id: i64, case_id: i64, actor: &Actor) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let case = sqlx::query("SELECT agreement_id, person_id, last_event_seq FROM cases WHERE id = $1")
                    .bind(case_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("case {case_id} does not exist")))?;
                let used_seq: i64 = case.try_get("last_event_seq")?;
                let done = sqlx::query("UPDATE override_approvals SET used_seq = $3 WHERE id = $1 AND case_id = $2 AND used_seq IS NULL")
                    .bind(id)
                    .bind(case_id)
                    .bind(used_seq)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Refused(format!("override approval {id} is already used")));
                }
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "case.override_used",
                        agreement_id: Some(case.try_get("agreement_id")?),
                        person_id: Some(case.try_get("person_id")?),
                        data: EventData::Json(json!({"approval_id": id, "case_id": case_id, "used_seq": used_seq})),
                    }, actor).await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn act_on_case(&self, call: &CaseCall, decide: &Decide) -> Result<CaseRowOutcome, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let outcome = Self::act_in(&mut tx, &mut head, call, decide).await?;
                if outcome.is_ok() {
                    Self::save_head(&mut tx, &head).await?;
                    tx.commit().await?;
                }
                Ok(outcome)
            }

            async fn act_on_cases(&self, calls: &[CaseCall], decide: &Decide) -> Result<Vec<Result<CaseRowOutcome, StoreError>>, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let mut out = Vec::with_capacity(calls.len());
                let mut failed = false;
                for call in calls {
                    match Self::act_in(&mut tx, &mut head, call, decide).await {
                        // Written, refused (nothing written) or stale (nothing written).
                        result @ (Ok(_) | Err(StoreError::Stale(_)) | Err(StoreError::NotFound(_))) => out.push(result),
                        Err(_) => {
                            failed = true;
                            break;
                        }
                    }
                }
                if !failed {
                    Self::save_head(&mut tx, &head).await?;
                    tx.commit().await?;
                    return Ok(out);
                }
                tx.rollback().await?;
                let mut out = Vec::with_capacity(calls.len());
                for call in calls {
                    let result = async {
                        let mut tx = self.pool.begin().await?;
                        let mut head = Self::lock_head(&mut tx).await?;
                        let outcome = Self::act_in(&mut tx, &mut head, call, decide).await?;
                        if outcome.is_ok() {
                            Self::save_head(&mut tx, &head).await?;
                            tx.commit().await?;
                        }
                        Ok(outcome)
                    };
                    out.push(result.await);
                }
                Ok(out)
            }

            async fn case_transition_bodies(&self, agreement_id: &str) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query("SELECT body FROM events WHERE agreement_id = $1 AND kind = 'case.transition' ORDER BY seq")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| r.try_get::<String, _>("body").map_err(StoreError::from)).collect()
            }

            async fn custody_step_bodies(&self, agreement_id: &str) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query(custody_steps_sql($dialect)).bind(agreement_id.to_owned()).fetch_all(&self.pool).await?;
                rows.iter().map(|r| r.try_get::<String, _>("body").map_err(StoreError::from)).collect()
            }
        }

        impl $name {
            async fn act_in(tx: &mut sqlx::Transaction<'_, $db>, head: &mut Head, call: &CaseCall, decide: &Decide) -> Result<CaseRowOutcome, StoreError> {
                let CaseCall { id, expected_version, action, request, actor, store_actor, report } = call;
                let id = *id;
                let placement_of = request.placement();
                // Everything the decision needs, in one statement (each statement costs a round
                // trip to the database's thread; a busy server runs thousands of these a second):
                // the case, the current agreement's file, and for a placement the cell and the
                // occupancy of the cell and of the facility, derived from the cases in custody.
                let row = sqlx::query(
                    "SELECT c.agreement_id, c.person_id, c.facility_id, c.record, c.version, \
                       (SELECT a.current_version FROM agreements a WHERE a.id = c.agreement_id) AS agreement_version, \
                       (SELECT v.source_sha256 FROM agreements a JOIN agreement_versions v \
                          ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = c.agreement_id) AS agreement_sha256, \
                       (SELECT e.body FROM persons p JOIN events e ON e.seq = p.last_event_seq WHERE p.id = c.person_id) AS person_body, \
                       (SELECT k.kind FROM cells k WHERE k.agreement_id = c.agreement_id AND k.facility_id = $2 AND k.cell_id = $3) AS cell_kind, \
                       (SELECT k.area_m2 FROM cells k WHERE k.agreement_id = c.agreement_id AND k.facility_id = $2 AND k.cell_id = $3) AS cell_area, \
                       (SELECT k.beds FROM cells k WHERE k.agreement_id = c.agreement_id AND k.facility_id = $2 AND k.cell_id = $3) AS cell_beds, \
                       (SELECT count(*) FROM cases x WHERE x.agreement_id = c.agreement_id AND x.facility_id = $2 AND x.id <> c.id \
                          AND x.cell_id = $3 AND x.state IN ('in_custody', 'return_scheduled')) AS in_cell, \
                       (SELECT count(*) FROM cases x WHERE x.agreement_id = c.agreement_id AND x.facility_id = $2 AND x.id <> c.id \
                          AND x.state IN ('in_custody', 'return_scheduled')) AS in_facility \
                     FROM cases c WHERE c.id = $1",
                )
                .bind(id)
                .bind(placement_of.map(|p| p.facility_id.clone()))
                .bind(placement_of.map(|p| p.cell_id.clone()))
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("case {id} does not exist")))?;
                let agreement_id: String = row.try_get("agreement_id")?;
                let person_id: i64 = row.try_get("person_id")?;
                let version: i64 = row.try_get("version")?;
                if let Some(expected) = *expected_version
                    && expected != version
                {
                    return Err(StoreError::Stale(format!("case {id} is at version {version}, not {expected}")));
                }
                let (agreement_version, digest) = match (row.try_get::<Option<i64>, _>("agreement_version")?, row.try_get::<Option<Vec<u8>>, _>("agreement_sha256")?) {
                    (Some(version), Some(digest)) => (version, digest),
                    _ => return Err(StoreError::NotFound(format!("agreement {agreement_id} is not in the register: import the agreement file first"))),
                };
                let cell = match (placement_of, row.try_get::<Option<String>, _>("cell_kind")?) {
                    (Some(placement), Some(kind)) => Some(cell_from(placement, &kind, row.try_get("cell_area")?, row.try_get("cell_beds")?)?),
                    _ => None,
                };
                let in_place = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
                let person_body: Option<String> = row.try_get("person_body")?;
                let person_body = person_body.ok_or_else(|| StoreError::Inconsistent(format!("case {id}: its person has no record")))?;
                let facts = CaseFacts {
                    case: case_from_json(&row.try_get::<String, _>("record")?)?,
                    agreement: Self::agreement_version_in(tx, &agreement_id, agreement_version, &digest).await?.agreement,
                    person: person_from_event(person_id, &person_body)?,
                    facility_id: row.try_get("facility_id")?,
                    cell,
                    in_cell: in_place(row.try_get::<i64, _>("in_cell")?),
                    in_facility: in_place(row.try_get::<i64, _>("in_facility")?),
                };
                let change = match decide(&facts, call) {
                    Ok(change) => change,
                    Err(Decline::Refused(refusal)) => return Ok(Err(refusal)),
                    Err(Decline::Unknown(what)) => return Err(StoreError::NotFound(what)),
                };
                // The receiving state's identifier given at intake joins the person's identifiers.
                if let Some(value) = &change.receiving_id {
                    sqlx::query(
                        "INSERT INTO person_identifiers (person_id, state, scheme, value, agreement_id) VALUES ($1, $2, 'inmate_number', $3, $4) \
                         ON CONFLICT (state, scheme, value) DO NOTHING",
                    )
                    .bind(person_id)
                    .bind(facts.agreement.receiving_state.as_str().to_owned())
                    .bind(value.clone())
                    .bind(agreement_id.clone())
                    .execute(&mut **tx)
                    .await?;
                }
                let data = transition_json(id, action, &facts.case, &change, actor);
                let seq = Self::record_event(tx, head, NewEvent { kind: "case.transition", agreement_id: Some(agreement_id.clone()), person_id: Some(person_id), data: EventData::Json(data) }, store_actor).await?;
                let CaseChange { case: next, facility_id, .. } = change;
                sqlx::query("UPDATE cases SET state = $1, facility_id = $2, cell_id = $3, record = $4, version = $5, last_event_seq = $6 WHERE id = $7")
                    .bind(next.state.as_str())
                    .bind(facility_id.clone())
                    .bind(next.cell_id.clone())
                    .bind(case_json(&next).to_string())
                    .bind(version + 1)
                    .bind(seq)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                // No death without its incident: filed with its notifications in this transaction
                // (docs/oversight.md#incidents).
                if next.state == CaseState::Deceased && facts.case.state != CaseState::Deceased {
                    let occurred_at = store_actor.occurred_at.as_ref().unwrap_or(&store_actor.recorded_at);
                    let report = report.as_deref().unwrap_or("death recorded on the case; no report given");
                    let filing = crate::oversight::IncidentFiling {
                        agreement_id: &agreement_id,
                        case_id: Some(id),
                        person_id: Some(person_id),
                        kind: custodia_core::incidents::IncidentKind::Death,
                        occurred_at,
                        report,
                    };
                    Self::file_incident_in(tx, head, &filing, store_actor).await?;
                }
                Ok(Ok(CaseRow { id, agreement_id, person_id, facility_id, version: version + 1, case: next }))
            }
        }
    };
}

cases_sql!(SqliteStore, sqlx::Sqlite, Dialect::Sqlite);
cases_sql!(PostgresStore, sqlx::Postgres, Dialect::Postgres);

thread_local! {
    /// A read-only connection to a SQLite file, per thread, for the hottest reads, with the file
    /// and the store's opening it was made for.
    static READER: std::cell::RefCell<Option<(SqliteReader, rusqlite::Connection)>> = const { std::cell::RefCell::new(None) };
}

/// The file and the opening of the store ([`SqliteStore::opened`]) a thread's reader reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SqliteReader {
    pub path: std::path::PathBuf,
    pub opened: u64,
}

impl SqliteStore {
    /// This store's key to the threads' readers, when it is a file.
    pub(crate) fn reader(&self) -> Option<SqliteReader> {
        self.file.as_ref().map(|path| SqliteReader { path: path.clone(), opened: self.opened })
    }
}

impl PostgresStore {
    /// PostgreSQL has no file to read directly.
    #[allow(clippy::unused_self)]
    pub(crate) const fn reader(&self) -> Option<SqliteReader> {
        None
    }
}

/// A number no other opening of a store in this process has.
pub(crate) fn next_opening() -> u64 {
    static OPENINGS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    OPENINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Runs `read` on this thread's read-only connection to the SQLite file at `path` (opened on first
/// use): for the hottest reads, answered on the calling thread in microseconds instead of through
/// the pool's thread and back. Each statement reads the latest committed state (WAL).
pub(crate) fn with_sqlite_reader<T>(
    file: &SqliteReader,
    read: impl FnOnce(&rusqlite::Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    use rusqlite::OpenFlags;
    READER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(f, _)| f != file) {
            let conn = rusqlite::Connection::open_with_flags(
                &file.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(Duration::from_secs(10))?;
            *slot = Some((file.clone(), conn));
        }
        match slot.as_ref() {
            Some((_, conn)) => read(conn),
            None => Err(StoreError::Inconsistent("the SQLite reader did not open".into())),
        }
    })
}

fn sqlite_case_with_sending_id(file: &SqliteReader, id: i64) -> Result<Option<CaseWithSendingId>, StoreError> {
    with_sqlite_reader(file, |conn| {
        let mut statement = conn.prepare_cached(
            "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, p.sending_id FROM cases c \
             JOIN persons p ON p.id = c.person_id WHERE c.id = ?1",
        )?;
        let mut rows = statement.query([id])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let record: String = row.get(5)?;
        Ok(Some(CaseWithSendingId {
            case: CaseRow {
                id: row.get(0)?,
                agreement_id: row.get(1)?,
                person_id: row.get(2)?,
                facility_id: row.get(3)?,
                version: row.get(4)?,
                case: case_from_json(&record)?,
            },
            sending_id: row.get(6)?,
        }))
    })
}

/// The cell a placement names, from its stored columns.
fn cell_from(
    placement: &PlacementRequest,
    kind: &str,
    area: Option<String>,
    beds: Option<i64>,
) -> Result<Cell, StoreError> {
    let bad = |what: &str| StoreError::Inconsistent(format!("cell: {what}"));
    Ok(Cell {
        facility_id: custodia_core::FacilityId::parse(&placement.facility_id).map_err(|e| bad(&e.to_string()))?,
        cell_id: placement.cell_id.clone(),
        unit: String::new(),
        kind: CellKind::parse(kind).ok_or_else(|| bad("kind"))?,
        area_m2: custodia_core::Decimal::parse(&area.unwrap_or_default()).map_err(|e| bad(&e.to_string()))?,
        beds: u32::try_from(beds.unwrap_or(-1)).map_err(|_| bad("beds"))?,
    })
}

/// The data of a `case.transition` event (its shape is pinned by the journal's readers).
fn transition_json(
    id: i64,
    action: &str,
    before: &Case,
    change: &CaseChange,
    actor: &custodia_core::custody::Actor,
) -> Value {
    // A placement above standard capacity records its two approvers (docs/capacity.md).
    let override_by =
        change.override_by.as_ref().map(|o| json!({"first": o.first, "second": o.second, "reason": o.reason}));
    json!({
        "receiving_id": change.receiving_id,
        "override": override_by,
        "case_id": id,
        "facility_id": change.facility_id,
        "action": action,
        "from": before.state.as_str(),
        "to": change.case.state.as_str(),
        "reason": actor.reason,
        "occurred_at": actor.occurred_at,
        "day": change.day.to_string(),
        "record": case_json(&change.case),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_round_trip_through_json() {
        let day = Date::parse("2025-03-16").unwrap();
        let mut case = Case::new();
        case.state = CaseState::InCustody;
        case.screening = Some(ScreeningRecord {
            on: day,
            outcomes: vec![(Rule::E01, Outcome::Pass), (Rule::E02, Outcome::Unknown)],
        });
        case.review = Some(ReviewResolution {
            findings: vec![Finding { rule: Rule::E02, passes: true, evidence: "birth certificate seen".into() }],
            on: day,
            reviewer: "r1".into(),
            confirmed_by: Some("r2".into()),
        });
        case.sending_approval = Some("us".into());
        case.receiving_approval = Some("sv".into());
        case.holds.push(Hold {
            reference: "TRO".into(),
            authority: "D.D.C.".into(),
            order: HoldOrder::Return,
            placed_by: "legal".into(),
            placed_on: day,
            lifting: Some(Lifting {
                decision_reference: "stay".into(),
                upheld: false,
                by: "l1".into(),
                confirmed_by: Some("l2".into()),
            }),
        });
        case.departed_at_unix = Some(1_742_000_000);
        case.commitment_order = Some("order-1".into());
        case.intake = Some(IntakeRecord {
            admitted_on: day,
            hour: 6,
            visible_injuries: "none".into(),
            property: "watch".into(),
            next_of_kin: "sister".into(),
        });
        case.cell_id = Some("B1-C01".into());
        case.return_on = Some(Date::parse("2026-01-01").unwrap());
        case.destination = Some("VE".into());
        let text = case_json(&case).to_string();
        assert_eq!(case_from_json(&text).unwrap(), case);
        assert_eq!(case_from_json(&case_json(&Case::new()).to_string()).unwrap(), Case::new());
    }
}
