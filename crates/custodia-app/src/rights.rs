//! The detainee's side (docs/rights.md): requests and complaints with their answer deadline.
//!
//! A confidential complaint is read only by the inspecting bodies and the sending state's officers
//! (inspectors, sending and legal officers): to anyone else — the facility, the receiving state's
//! officers, finance, auditors, admins — it does not exist ("not found", like a record out of
//! scope). The same holds for its alert.

use custodia_core::alerts::Alert;
use custodia_core::rights::{Answer, Complaint, ComplaintCategory, ComplaintFacts, Escalation, answer_due_unix};
use custodia_i18n::Text;
use custodia_store::prelude::*;
use custodia_store::{ComplaintChange, ComplaintRow, StoreError, Timestamp};

use crate::access::{Capability, Principal, Role};
use crate::error::{AppError, AppResult};
use crate::fields::required_text;
use crate::{App, actor};

/// Longest complaint or answer, in bytes.
pub const MAX_COMPLAINT_BYTES: usize = 8_000;
/// Longest inspecting body's name, in bytes.
const MAX_BODY_BYTES: usize = 200;
/// Tolerated clock skew for the time a complaint was made, seconds.
const CLOCK_SKEW_SECONDS: i64 = 300;

/// A complaint to file.
#[derive(Clone, Debug)]
pub struct NewComplaint {
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person it is by or for.
    pub case_id: i64,
    /// `conditions`, `treatment`, `health`, `legal`, `family`, `property` or `other`.
    pub category: String,
    /// Readable only by the inspecting bodies and the sending state's officers.
    pub confidential: bool,
    /// The complaint in the detainee's words.
    pub text: String,
    /// It alleges torture or ill-treatment (the allegation's incident is opened with it).
    pub alleges_ill_treatment: bool,
    /// When it was made (default: now; never in the future).
    pub made_at: Option<Timestamp>,
}

/// Who reads confidential complaints: the inspecting bodies and the sending state's officers.
pub fn reads_confidential(role: Role) -> bool {
    matches!(role, Role::Inspector | Role::SendingOfficer | Role::LegalOfficer)
}

fn refused(e: StoreError) -> AppError {
    match e {
        StoreError::Refused(detail) => {
            let code = detail.split_once(':').map_or(detail.as_str(), |(code, _)| code);
            match code {
                "ALREADY_ANSWERED" => AppError::rule("ALREADY_ANSWERED", Text::new("ALREADY_ANSWERED")),
                "ALREADY_ESCALATED" => AppError::rule("ALREADY_ESCALATED", Text::new("ALREADY_ESCALATED")),
                "UNKNOWN_BODY" => AppError::invalid("body", Text::new("UNKNOWN_BODY")),
                _ => AppError::from(StoreError::Refused(detail)),
            }
        }
        other => AppError::from(other),
    }
}

impl App {
    /// Whether the caller may read `row`: in scope (its case's facility) and, when confidential,
    /// an inspecting body or a sending state's officer.
    async fn reads_complaint(&self, who: &Principal, row: &ComplaintRow) -> AppResult<bool> {
        if row.complaint.confidential && !reads_confidential(who.role) {
            return Ok(false);
        }
        self.sees_record(who, &row.agreement_id, Some(row.case_id)).await
    }

    /// The complaints of an agreement the caller may read, by id.
    pub async fn complaints(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<ComplaintRow>> {
        self.agreement(who, agreement_id).await?;
        let mut out = Vec::new();
        for row in self.store().complaints(agreement_id).await? {
            if self.reads_complaint(who, &row).await? {
                out.push(row);
            }
        }
        Ok(out)
    }

    /// A page of the complaints the caller may read: at most `count` with ids above `after`, read
    /// from the store a keyset page at a time (never the agreement's every complaint).
    pub async fn complaints_page(
        &self,
        who: &Principal,
        agreement_id: &str,
        after: i64,
        count: usize,
    ) -> AppResult<Vec<ComplaintRow>> {
        self.agreement(who, agreement_id).await?;
        let fetch = |from, n| async move { Ok(self.store().complaints_after(agreement_id, from, n).await?) };
        let keep = |rows: Vec<ComplaintRow>| async move {
            let mut kept = Vec::with_capacity(rows.len());
            for row in rows {
                if self.reads_complaint(who, &row).await? {
                    kept.push(row);
                }
            }
            Ok(kept)
        };
        crate::paging::keyset(after, count, fetch, |r: &ComplaintRow| r.id, keep).await
    }

    /// One complaint, if the caller may read it ("not found" otherwise, alike).
    pub async fn complaint(&self, who: &Principal, id: i64) -> AppResult<ComplaintRow> {
        let missing = || AppError::no_such("complaint", id);
        let row = self.store().complaint(id).await?.ok_or_else(missing)?;
        if self.reads_complaint(who, &row).await? { Ok(row) } else { Err(missing()) }
    }

    /// Records a request or complaint by or for the person of a case in the caller's scope; its
    /// answer is due `complaint_answer_days` after it was made. A confidential one is recorded
    /// only by those who may read it (it reaches them directly, through counsel or the consul).
    pub async fn file_complaint(
        &self,
        who: &Principal,
        new: &NewComplaint,
        now: &Timestamp,
    ) -> AppResult<ComplaintRow> {
        let agreement = self.agreement(who, &new.agreement_id).await?.agreement;
        who.require(Capability::FileComplaint)?;
        let category = ComplaintCategory::parse(&new.category).ok_or_else(|| {
            let names: Vec<&str> = ComplaintCategory::ALL.iter().map(|c| c.as_str()).collect();
            AppError::invalid("category", crate::fields::is_not(&new.category, &names))
        })?;
        if new.confidential && !reads_confidential(who.role) {
            return Err(AppError::invalid("confidential", Text::new("INVALID.confidential-filer")));
        }
        let text = required_text("text", &new.text, MAX_COMPLAINT_BYTES)?;
        let made_at = new.made_at.clone().unwrap_or_else(|| now.clone());
        if made_at.unix_seconds() > now.unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) {
            return Err(AppError::invalid(
                "made_at",
                Text::new("INVALID.in-future").arg("at", made_at.as_str()).arg("now", now.as_str()),
            ));
        }
        let case = self.case(who, new.case_id).await?;
        if case.case.agreement_id != new.agreement_id {
            return Err(AppError::invalid(
                "case_id",
                Text::new("INVALID.other-agreement")
                    .arg("case", new.case_id.to_string())
                    .arg("of", &case.case.agreement_id)
                    .arg("agreement", &new.agreement_id),
            ));
        }
        let complaint = Complaint {
            category,
            confidential: new.confidential,
            text,
            filed_by: who.name.clone(),
            filed_at: made_at.as_str().to_owned(),
            filed_at_unix: made_at.unix_seconds(),
            due_at_unix: answer_due_unix(made_at.unix_seconds(), agreement.rights.complaint_answer_days),
            alleges_ill_treatment: new.alleges_ill_treatment,
            incident_id: None,
            answer: None,
            escalation: None,
        };
        let by = actor(who, now, Some(made_at));
        Ok(self.store().file_complaint(&new.agreement_id, new.case_id, &complaint, &by).await?)
    }

    /// Answers a complaint the caller may read (never twice: `ALREADY_ANSWERED`).
    pub async fn answer_complaint(
        &self,
        who: &Principal,
        id: i64,
        text: &str,
        now: &Timestamp,
    ) -> AppResult<ComplaintRow> {
        self.complaint(who, id).await?;
        who.require(Capability::AnswerComplaint)?;
        let text = required_text("text", text, MAX_COMPLAINT_BYTES)?;
        let answer = Answer { text, by: who.name.clone(), at: now.as_str().to_owned(), at_unix: now.unix_seconds() };
        self.store()
            .change_complaint(id, &ComplaintChange::Answered(answer), &actor(who, now, None))
            .await
            .map_err(refused)
    }

    /// Escalates a complaint the caller may read to an inspecting body the agreement names (once:
    /// `ALREADY_ESCALATED`; another body: `UNKNOWN_BODY`).
    pub async fn escalate_complaint(
        &self,
        who: &Principal,
        id: i64,
        body: &str,
        now: &Timestamp,
    ) -> AppResult<ComplaintRow> {
        self.complaint(who, id).await?;
        who.require(Capability::FileComplaint)?;
        let body = required_text("body", body, MAX_BODY_BYTES)?;
        let escalation = Escalation { body, by: who.name.clone(), at: now.as_str().to_owned() };
        self.store()
            .change_complaint(id, &ComplaintChange::Escalated(escalation), &actor(who, now, None))
            .await
            .map_err(refused)
    }

    /// `COMPLAINT_UNANSWERED` warnings at the end of `end_unix` for the complaints the caller may
    /// read (subjects `complaint-<id>`).
    pub(crate) async fn complaint_alerts(
        &self,
        who: &Principal,
        agreement_id: &str,
        end_unix: i64,
    ) -> AppResult<Vec<Alert>> {
        let rows = self.complaints(who, agreement_id).await?;
        let subjects: Vec<String> = rows.iter().map(|r| format!("complaint-{}", r.id)).collect();
        let facts: Vec<ComplaintFacts<'_>> = rows
            .iter()
            .zip(&subjects)
            .map(|(r, subject)| ComplaintFacts { subject, complaint: &r.complaint })
            .collect();
        Ok(custodia_core::rights::unanswered_complaints(&facts, end_unix))
    }
}
