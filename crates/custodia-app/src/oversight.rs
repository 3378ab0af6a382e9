//! Oversight (docs/oversight.md): incidents and their mandatory notifications, inspections and the
//! states of their recommendations, the consular and family contact log, and the legal-basis audit.
//!
//! Reports are never edited: a correction is an addendum. A record of an agreement outside the
//! caller's scope, or about a case placed in a facility outside it, is "not found", like a missing
//! one.

use std::collections::HashMap;

use custodia_core::Date;
use custodia_core::incidents::{
    Finding, IncidentKind, InvestigationRefusal, InvestigationState, NotificationStatus, Recipient,
};
use custodia_core::lifecycle::CaseState;
use custodia_core::oversight::{Contact, ContactMeans, Inspection, RecommendationState};
use custodia_store::incidents::IncidentRow;
use custodia_store::prelude::*;
use custodia_store::{ContactRow, IncidentUpdate, InspectionRow, StoreError, Timestamp};

use crate::access::{Capability, Principal};
use crate::error::{AppError, AppResult};
pub(crate) use crate::fields::required_text;
use crate::{App, actor};
use custodia_i18n::Text;

/// Longest report or addendum, in bytes.
pub const MAX_REPORT_BYTES: usize = 20_000;
/// Longest finding, recommendation or note, in bytes.
pub const MAX_ITEM_BYTES: usize = 4_000;
/// Most findings, and most recommendations, of one inspection.
pub const MAX_ITEMS: usize = 200;
/// Longest name (an inspecting body, a contact), in bytes.
pub const MAX_NAME_BYTES: usize = 200;
/// Tolerated clock skew for reported times, in seconds.
const CLOCK_SKEW_SECONDS: i64 = 300;

/// An incident to file.
#[derive(Clone, Debug)]
pub struct NewIncident {
    /// The agreement.
    pub agreement_id: String,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// The kind.
    pub kind: IncidentKind,
    /// When it happened (not in the future).
    pub occurred_at: Timestamp,
    /// The report.
    pub report: String,
}

/// An inspection visit to file (every recommendation starts `open`).
#[derive(Clone, Debug)]
pub struct NewInspection {
    /// The agreement.
    pub agreement_id: String,
    /// The inspecting body: one the agreement names.
    pub body: String,
    /// First day of the visit.
    pub from: Date,
    /// Last day of the visit.
    pub to: Date,
    /// Findings.
    pub findings: Vec<String>,
    /// Recommendations.
    pub recommendations: Vec<String>,
}

/// A contact to log.
#[derive(Clone, Debug)]
pub struct NewContact {
    /// The agreement.
    pub agreement_id: String,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// Who was contacted.
    pub contact: String,
    /// When (not in the future).
    pub at: Timestamp,
    /// By what means.
    pub means: ContactMeans,
    /// What was said or arranged (may be empty).
    pub note: String,
}

/// One line of the notifications report (docs/oversight.md#notifications-report): a notification an
/// incident owes, where it stands, and how late it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationLine {
    /// The incident.
    pub incident_id: i64,
    /// Its kind.
    pub kind: IncidentKind,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// Who is owed it.
    pub recipient: Recipient,
    /// Its deadline, Unix seconds.
    pub due_at_unix: i64,
    /// When it was sent, Unix seconds.
    pub sent_at_unix: Option<i64>,
    /// `pending`, `overdue`, `sent_on_time` or `sent_late` at the time of the report.
    pub status: NotificationStatus,
    /// How late: sent late — deadline to sending; overdue — deadline to the report's time.
    pub late_by_seconds: Option<i64>,
}

/// A case whose legal basis is missing, expired or on hold (docs/oversight.md#legal-basis).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalBasisFinding {
    /// The case.
    pub case_id: i64,
    /// The sending state's id of the person.
    pub person_id: String,
    /// The case's state.
    pub state: CaseState,
    /// What is wrong: `missing: …`, `expired: …`, `on hold: …`.
    pub problems: Vec<String>,
}

/// Refuses a reported time in the future (beyond a small clock skew).
fn not_future(field: &str, at: &Timestamp, now: &Timestamp) -> AppResult<()> {
    if at.unix_seconds() > now.unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(AppError::invalid(
            field,
            Text::new("INVALID.in-future").arg("at", at.as_str()).arg("now", now.as_str()),
        ));
    }
    Ok(())
}

fn list_items(field: &str, list: &[String]) -> AppResult<Vec<String>> {
    if list.len() > MAX_ITEMS {
        return Err(AppError::invalid(field, crate::fields::items(MAX_ITEMS)));
    }
    list.iter().enumerate().map(|(i, t)| required_text(&format!("{field}[{i}]"), t, MAX_ITEM_BYTES)).collect()
}

fn not_pending(row: &IncidentRow, recipient: Recipient) -> AppError {
    let why = if row.notifications.iter().any(|n| n.recipient == recipient) { "sent" } else { "not-required" };
    AppError::rule("NOT_PENDING", Text::new("NOT_PENDING").arg("recipient", recipient.as_str()).arg("why", why))
}

fn recommendation_refused(from: RecommendationState, to: RecommendationState) -> AppError {
    AppError::rule(
        "RECOMMENDATION_STATE",
        Text::new("RECOMMENDATION_STATE").arg("from", from.as_str()).arg("to", to.as_str()),
    )
}

fn investigation_refused(refusal: InvestigationRefusal) -> AppError {
    match refusal {
        // A finding on a move that is not closing is a wrong field, not a rule.
        InvestigationRefusal::FindingWithoutClosing => AppError::invalid("finding", Text::new("FINDING_NOT_CLOSING")),
        InvestigationRefusal::FindingRequired => AppError::rule("FINDING_REQUIRED", Text::new("FINDING_REQUIRED")),
        InvestigationRefusal::IllegalMove { from, to } => AppError::rule(
            "INVESTIGATION_STATE",
            Text::new("INVESTIGATION_STATE").arg("from", from.as_str()).arg("to", to.as_str()),
        ),
    }
}

impl App {
    /// Whether a record of `agreement_id`, about case `case_id` if any, is in the caller's scope: a
    /// facility-scoped caller sees a case's records only while the case is unplaced or placed in
    /// one of their facilities.
    pub(crate) async fn sees_record(
        &self,
        who: &Principal,
        agreement_id: &str,
        case_id: Option<i64>,
    ) -> AppResult<bool> {
        if !who.sees_agreement(agreement_id) {
            return Ok(false);
        }
        match (case_id, &who.facilities) {
            (Some(case_id), Some(_)) => {
                let facility = self.store().case_row(case_id).await?.and_then(|row| row.facility_id);
                Ok(who.sees(agreement_id, facility.as_deref()))
            }
            _ => Ok(true),
        }
    }

    /// Keeps the items whose case the caller sees (one lookup per distinct case, none for callers
    /// not scoped to facilities).
    pub(crate) async fn visible<T>(
        &self,
        who: &Principal,
        agreement_id: &str,
        items: Vec<T>,
        case_of: impl Fn(&T) -> Option<i64>,
    ) -> AppResult<Vec<T>> {
        if who.facilities.is_none() {
            return Ok(items);
        }
        let mut seen: HashMap<i64, bool> = HashMap::new();
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let keep = match case_of(&item) {
                None => true,
                Some(case_id) => match seen.get(&case_id) {
                    Some(v) => *v,
                    None => {
                        let v = self.sees_record(who, agreement_id, Some(case_id)).await?;
                        seen.insert(case_id, v);
                        v
                    }
                },
            };
            if keep {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// The case a request names: in the caller's scope (not found otherwise) and a case of the
    /// agreement (invalid otherwise).
    async fn check_case(&self, who: &Principal, agreement_id: &str, case_id: Option<i64>) -> AppResult<()> {
        if let Some(case_id) = case_id {
            let found = self.case(who, case_id).await?;
            if found.case.agreement_id != agreement_id {
                return Err(AppError::invalid(
                    "case_id",
                    Text::new("INVALID.other-agreement")
                        .arg("case", case_id.to_string())
                        .arg("of", &found.case.agreement_id)
                        .arg("agreement", agreement_id),
                ));
            }
        }
        Ok(())
    }

    /// The incidents of an agreement the caller sees, by id.
    pub async fn incidents(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<IncidentRow>> {
        self.agreement(who, agreement_id).await?;
        let rows = self.store().incidents(agreement_id).await?;
        self.visible(who, agreement_id, rows, |r| r.case_id).await
    }

    /// A page of the incidents the caller sees: at most `count` with ids above `after`, read a
    /// keyset page at a time.
    pub async fn incidents_page(
        &self,
        who: &Principal,
        agreement_id: &str,
        after: i64,
        count: usize,
    ) -> AppResult<Vec<IncidentRow>> {
        self.agreement(who, agreement_id).await?;
        let fetch = |from, n| async move { Ok(self.store().incidents_after(agreement_id, from, n).await?) };
        let keep = |rows| self.visible(who, agreement_id, rows, |r: &IncidentRow| r.case_id);
        crate::paging::keyset(after, count, fetch, |r: &IncidentRow| r.id, keep).await
    }

    /// The incident, if it exists and is in the caller's scope ("not found" otherwise, alike).
    pub async fn incident(&self, who: &Principal, id: i64) -> AppResult<IncidentRow> {
        let missing = || AppError::no_such("incident", id);
        let row = self.store().incident(id).await?.ok_or_else(missing)?;
        if self.sees_record(who, &row.agreement_id, row.case_id).await? { Ok(row) } else { Err(missing()) }
    }

    /// Files an incident; a death, disappearance or serious injury opens its notifications with the
    /// agreement's deadlines.
    pub async fn file_incident(&self, who: &Principal, new: &NewIncident, now: &Timestamp) -> AppResult<IncidentRow> {
        self.agreement(who, &new.agreement_id).await?;
        who.require(Capability::FileIncident)?;
        not_future("occurred_at", &new.occurred_at, now)?;
        let report = required_text("report", &new.report, MAX_REPORT_BYTES)?;
        self.check_case(who, &new.agreement_id, new.case_id).await?;
        let by = actor(who, now, None);
        Ok(self.store().file_incident(&new.agreement_id, new.case_id, new.kind, &new.occurred_at, &report, &by).await?)
    }

    /// Records a mandatory notification as sent (late when after its deadline). Refused with
    /// `NOT_PENDING` unless that notification is pending.
    pub async fn notify_incident(
        &self,
        who: &Principal,
        id: i64,
        recipient: Recipient,
        at: &Timestamp,
        now: &Timestamp,
    ) -> AppResult<IncidentRow> {
        let row = self.incident(who, id).await?;
        who.require(Capability::FileIncident)?;
        not_future("at", at, now)?;
        let occurred = Timestamp::parse(&row.occurred_at).map(|t| t.unix_seconds()).unwrap_or(i64::MIN);
        if at.unix_seconds() < occurred {
            return Err(AppError::invalid(
                "at",
                Text::new("INVALID.before-incident").arg("occurred", &row.occurred_at),
            ));
        }
        if !row.notifications.iter().any(|n| n.recipient == recipient && n.sent_at_unix.is_none()) {
            return Err(not_pending(&row, recipient));
        }
        let update = IncidentUpdate::Notified { recipient, at: at.clone() };
        self.store().update_incident(id, &update, &actor(who, now, None)).await.map_err(|e| match e {
            // Another request recorded it meanwhile.
            StoreError::Refused(_) => not_pending(&row, recipient),
            other => AppError::from(other),
        })
    }

    /// Appends an addendum to an incident report; the report and earlier addenda stay as they were.
    pub async fn add_addendum(&self, who: &Principal, id: i64, text: &str, now: &Timestamp) -> AppResult<IncidentRow> {
        self.incident(who, id).await?;
        who.require(Capability::FileIncident)?;
        let text = required_text("text", text, MAX_REPORT_BYTES)?;
        Ok(self.store().update_incident(id, &IncidentUpdate::Addendum { text }, &actor(who, now, None)).await?)
    }

    /// Moves the investigation of an allegation: `open → investigating → closed`, closing with a
    /// finding. Refused with `NO_INVESTIGATION` on an incident that has none,
    /// `INVESTIGATION_STATE` for any other move, `FINDING_REQUIRED` when closing without a
    /// finding; a finding on a move that does not close is invalid (`finding`). Nothing is written
    /// when refused; each move is a journal event naming who moved it and when.
    pub async fn move_investigation(
        &self,
        who: &Principal,
        id: i64,
        to: InvestigationState,
        finding: Option<Finding>,
        now: &Timestamp,
    ) -> AppResult<IncidentRow> {
        let row = self.incident(who, id).await?;
        who.require(Capability::InvestigateAllegation)?;
        if finding.is_some() && to != InvestigationState::Closed {
            return Err(investigation_refused(InvestigationRefusal::FindingWithoutClosing));
        }
        let Some(investigation) = &row.investigation else {
            return Err(AppError::rule(
                "NO_INVESTIGATION",
                Text::new("NO_INVESTIGATION").arg("id", id.to_string()).arg("kind", row.kind.as_str()),
            ));
        };
        investigation.check_move(to, finding).map_err(investigation_refused)?;
        let update = IncidentUpdate::Investigation { to, finding };
        self.store().update_incident(id, &update, &actor(who, now, None)).await.map_err(|e| match e {
            // Another request moved it meanwhile; the store's refusal reads `CODE: message`.
            StoreError::Refused(text) => match text.split_once(": ") {
                Some((code, message)) => {
                    AppError::refused(code, Text::new("INVESTIGATION_STATE.detail").arg("detail", message))
                }
                None => {
                    AppError::rule("INVESTIGATION_STATE", Text::new("INVESTIGATION_STATE.detail").arg("detail", text))
                }
            },
            other => AppError::from(other),
        })
    }

    /// The notifications report of an agreement at `now`: every notification of every incident the
    /// caller sees, in incident order, with its status and how late it is. A notification sent
    /// late stays in it as `sent_late` with its lateness for good.
    pub async fn notifications_report(
        &self,
        who: &Principal,
        agreement_id: &str,
        now: &Timestamp,
    ) -> AppResult<Vec<NotificationLine>> {
        let now = now.unix_seconds();
        let incidents = self.incidents(who, agreement_id).await?;
        Ok(incidents
            .iter()
            .flat_map(|i| {
                i.notifications.iter().map(move |n| NotificationLine {
                    incident_id: i.id,
                    kind: i.kind,
                    case_id: i.case_id,
                    recipient: n.recipient,
                    due_at_unix: n.due_at_unix,
                    sent_at_unix: n.sent_at_unix,
                    status: n.status(now),
                    late_by_seconds: n.late_by_seconds(now),
                })
            })
            .collect())
    }

    /// The inspections of an agreement, by id.
    pub async fn inspections(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<InspectionRow>> {
        self.agreement(who, agreement_id).await?;
        Ok(self.store().inspections(agreement_id).await?)
    }

    /// A page of the agreement's inspections: at most `count` with ids above `after`, in SQL.
    pub async fn inspections_page(
        &self,
        who: &Principal,
        agreement_id: &str,
        after: i64,
        count: usize,
    ) -> AppResult<Vec<InspectionRow>> {
        self.agreement(who, agreement_id).await?;
        let n = u32::try_from(count).unwrap_or(u32::MAX);
        Ok(self.store().inspections_after(agreement_id, after, n).await?)
    }

    /// The inspection, if it exists and its agreement is in the caller's scope.
    pub async fn inspection(&self, who: &Principal, id: i64) -> AppResult<InspectionRow> {
        let missing = || AppError::no_such("inspection", id);
        let row = self.store().inspection(id).await?.ok_or_else(missing)?;
        if who.sees_agreement(&row.agreement_id) { Ok(row) } else { Err(missing()) }
    }

    /// Files an inspection visit with its findings and recommendations (all `open`); the body must
    /// be one the agreement names.
    pub async fn file_inspection(
        &self,
        who: &Principal,
        new: &NewInspection,
        now: &Timestamp,
    ) -> AppResult<InspectionRow> {
        let record = self.agreement(who, &new.agreement_id).await?;
        who.require(Capability::FileInspection)?;
        crate::fields::at_most("body", &new.body, MAX_NAME_BYTES)?;
        let inspection = Inspection {
            body: new.body.clone(),
            from: new.from,
            to: new.to,
            findings: list_items("findings", &new.findings)?,
            recommendations: list_items("recommendations", &new.recommendations)?
                .into_iter()
                .map(|r| (r, RecommendationState::Open))
                .collect(),
        };
        let bodies = &record.agreement.oversight.inspection_bodies;
        if let Err(problem) = inspection.validate(bodies) {
            let field = problem.split(':').next().unwrap_or("body").to_owned();
            let message = if field == "body" {
                format!("{problem}; the agreement names: {}", bodies.join(", "))
            } else {
                problem
            };
            return Err(AppError::invalid(&field, message));
        }
        let id = self.store().file_inspection(&new.agreement_id, &inspection, &actor(who, now, None)).await?;
        Ok(InspectionRow { id, agreement_id: new.agreement_id.clone(), inspection })
    }

    /// Moves recommendation `index` of an inspection: open → accepted | rejected, accepted →
    /// implemented | rejected; any other move is refused with `RECOMMENDATION_STATE`.
    pub async fn move_recommendation(
        &self,
        who: &Principal,
        id: i64,
        index: usize,
        to: RecommendationState,
        now: &Timestamp,
    ) -> AppResult<InspectionRow> {
        let row = self.inspection(who, id).await?;
        who.require(Capability::FileInspection)?;
        let Some((_, from)) = row.inspection.recommendations.get(index) else {
            return Err(AppError::NotFound(
                Text::new("NOT_FOUND.recommendation").arg("id", id.to_string()).arg("index", index.to_string()),
            ));
        };
        let from = *from;
        if !from.can_become(to) {
            return Err(recommendation_refused(from, to));
        }
        let updated =
            self.store().update_recommendation(id, index, to, &actor(who, now, None)).await.map_err(|e| match e {
                // Another request moved it meanwhile.
                StoreError::Refused(_) => recommendation_refused(from, to),
                other => AppError::from(other),
            })?;
        Ok(InspectionRow { inspection: updated, ..row })
    }

    /// The contact log of an agreement the caller sees, by id.
    pub async fn contacts(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<ContactRow>> {
        self.agreement(who, agreement_id).await?;
        let rows = self.store().contacts(agreement_id).await?;
        self.visible(who, agreement_id, rows, |c| c.case_id).await
    }

    /// A page of the contacts the caller sees: at most `count` with ids above `after`, read a
    /// keyset page at a time.
    pub async fn contacts_page(
        &self,
        who: &Principal,
        agreement_id: &str,
        after: i64,
        count: usize,
    ) -> AppResult<Vec<ContactRow>> {
        self.agreement(who, agreement_id).await?;
        let fetch = |from, n| async move { Ok(self.store().contacts_after(agreement_id, from, n).await?) };
        let keep = |rows| self.visible(who, agreement_id, rows, |c: &ContactRow| c.case_id);
        crate::paging::keyset(after, count, fetch, |c: &ContactRow| c.id, keep).await
    }

    /// Logs who was contacted, when and by what means.
    pub async fn log_contact(&self, who: &Principal, new: &NewContact, now: &Timestamp) -> AppResult<ContactRow> {
        self.agreement(who, &new.agreement_id).await?;
        who.require(Capability::LogContact)?;
        let contact = required_text("contact", &new.contact, MAX_NAME_BYTES)?;
        not_future("at", &new.at, now)?;
        crate::fields::at_most("note", &new.note, MAX_ITEM_BYTES)?;
        self.check_case(who, &new.agreement_id, new.case_id).await?;
        let entry =
            Contact { contact, at: new.at.as_str().to_owned(), means: new.means, note: new.note.trim().to_owned() };
        let id = self.store().log_contact(&new.agreement_id, new.case_id, &entry, &actor(who, now, None)).await?;
        Ok(ContactRow { id, case_id: new.case_id, contact: entry })
    }

    /// The legal-basis audit of an agreement on a day: everyone held, in the caller's scope, whose
    /// legal basis is missing, expired (past the projected release) or on hold.
    pub async fn legal_basis_report(
        &self,
        who: &Principal,
        agreement_id: &str,
        on: Date,
    ) -> AppResult<Vec<LegalBasisFinding>> {
        let record = self.agreement(who, agreement_id).await?;
        // The cases as the alerts read them, remembered by journal size (facts.rs).
        let facts = self.alert_facts(agreement_id).await?;
        let mut findings = Vec::new();
        for custodia_store::CaseWithPerson { case: row, person } in
            facts.rows.iter().filter(|r| who.sees(&r.case.agreement_id, r.case.facility_id.as_deref()))
        {
            if !row.case.state.is_held() {
                continue;
            }
            let mut problems = Vec::new();
            // Computed on the day from the current record (docs/lifecycle.md#legal-basis): a person
            // whose release cannot be computed is listed as missing, never skipped.
            match custodia_core::safeguards::legal_basis(&record.agreement, person, on, row.case.custody_since()) {
                Ok(_) => {}
                Err(no @ custodia_core::safeguards::NoBasis::Served { .. }) => problems.push(format!("expired: {no}")),
                Err(no) => problems.push(format!("missing: {no}")),
            }
            for hold in row.case.holds.iter().filter(|h| h.stands()) {
                problems.push(format!(
                    "on hold: {} by {} ({}; placed by {})",
                    hold.reference,
                    hold.authority,
                    hold.order.as_str(),
                    hold.placed_by
                ));
            }
            if !problems.is_empty() {
                findings.push(LegalBasisFinding {
                    case_id: row.id,
                    person_id: person.sending_id.clone(),
                    state: row.case.state,
                    problems,
                });
            }
        }
        Ok(findings)
    }
}
