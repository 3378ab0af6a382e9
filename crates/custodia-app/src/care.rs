//! Health care, visits and calls, and solitary confinement (docs/rights.md), for every edge.
//!
//! The health file — an examination's findings and the injuries it documents — is read only by
//! medical officers. Everyone else in scope reads an examination as who examined, when, why and
//! the fitness for custody, transfer and solitary confinement: the findings are taken out here,
//! before any edge sees the record ([`CareRecord::health_file_withheld`]).

use std::collections::HashMap;

use custodia_core::Date;
use custodia_core::alerts::Alert;
use custodia_core::care::{
    CareFacts, Contact, ContactKind, ExamPurpose, Examination, Fitness, FitnessFor, IntakeLink, Placement,
    PlacementEnd, Refusal, RefusalGround,
};
use custodia_i18n::Text;
use custodia_store::prelude::*;
use custodia_store::{CareItem, CareRow, StoreError, Timestamp};

use crate::access::{Capability, Principal, Role};
use crate::error::{AppError, AppResult};
use crate::fields::{MAX_NOTE_BYTES, MAX_SHORT_TEXT_BYTES, is_not, required_text};
use crate::{App, actor};

/// Longest findings or injuries text of an examination, in bytes.
pub const MAX_HEALTH_TEXT_BYTES: usize = 8_000;
/// Tolerated clock skew for a time given as past, seconds.
const CLOCK_SKEW_SECONDS: i64 = 300;

/// A person's examinations, visits and placements.
type CaseCare = (Vec<Examination>, Vec<Contact>, Vec<Placement>);

/// Who reads the health file: medical officers only.
pub fn reads_health_file(role: Role) -> bool {
    role == Role::MedicalOfficer
}

/// An examination to record.
#[derive(Clone, Debug)]
pub struct NewExamination {
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person examined.
    pub case_id: i64,
    /// `admission`, `solitary_review`, `transfer` or `other`.
    pub purpose: String,
    /// The examining doctor or nurse (name and qualification).
    pub examiner: String,
    /// When (default: now; never in the future).
    pub examined_at: Option<Timestamp>,
    /// `fit` or `unfit` for custody.
    pub fit_for_custody: String,
    /// `fit` or `unfit` for a transfer.
    pub fit_for_transfer: String,
    /// `fit` or `unfit` for solitary confinement.
    pub fit_for_solitary: String,
    /// The findings (health file).
    pub findings: String,
    /// The injuries documented (health file); required when the intake recorded visible injuries.
    pub injuries: Option<String>,
}

/// A visit or call to record.
#[derive(Clone, Debug)]
pub struct NewVisit {
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person visited.
    pub case_id: i64,
    /// `family_visit`, `family_call`, `consular_visit` or `counsel_visit`.
    pub kind: String,
    /// Who visited or called.
    pub visitor: String,
    /// When (default: now; never in the future).
    pub at: Option<Timestamp>,
    /// `held` or `refused`.
    pub outcome: String,
    /// For a refusal: `capacity`, `security`, `discipline`, `declined`, `visitor_absent`, `other`.
    pub ground: Option<String>,
    /// For a refusal: the reason in words.
    pub reason: Option<String>,
}

/// A placement in solitary confinement to record.
#[derive(Clone, Debug)]
pub struct NewPlacement {
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person placed.
    pub case_id: i64,
    /// Why.
    pub reason: String,
    /// When it started (default: now; never in the future).
    pub start_at: Option<Timestamp>,
}

/// A record of care as the caller may read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CareRecord {
    /// The record; an examination's findings and injuries are empty when withheld.
    pub row: CareRow,
    /// The caller may not read the health file: the findings and injuries were taken out.
    pub health_file_withheld: bool,
}

fn refused(e: StoreError) -> AppError {
    match e {
        StoreError::Refused(detail) => {
            let code = detail.split_once(':').map_or(detail.as_str(), |(code, _)| code);
            match code {
                "NOT_IN_CUSTODY" => AppError::rule("NOT_IN_CUSTODY", Text::new("NOT_IN_CUSTODY")),
                "COUNSEL_NOT_REFUSABLE" => AppError::rule("COUNSEL_NOT_REFUSABLE", Text::new("COUNSEL_NOT_REFUSABLE")),
                "INJURIES_UNDOCUMENTED" => AppError::rule("INJURIES_UNDOCUMENTED", Text::new("INJURIES_UNDOCUMENTED")),
                "UNFIT_FOR_SOLITARY" => AppError::rule("UNFIT_FOR_SOLITARY", Text::new("UNFIT_FOR_SOLITARY")),
                "ALREADY_IN_SOLITARY" => AppError::rule("ALREADY_IN_SOLITARY", Text::new("ALREADY_IN_SOLITARY")),
                "ALREADY_ENDED" => AppError::rule("ALREADY_ENDED", Text::new("ALREADY_ENDED")),
                "END_BEFORE_START" => AppError::invalid("at", Text::new("END_BEFORE_START")),
                _ => AppError::from(StoreError::Refused(detail)),
            }
        }
        other => AppError::from(other),
    }
}

/// A time given as when something happened: now when not given, never in the future.
fn past_time(field: &str, given: Option<&Timestamp>, now: &Timestamp) -> AppResult<Timestamp> {
    let at = given.cloned().unwrap_or_else(|| now.clone());
    if at.unix_seconds() > now.unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(AppError::invalid(
            field,
            Text::new("INVALID.in-future").arg("at", at.as_str()).arg("now", now.as_str()),
        ));
    }
    Ok(at)
}

fn fitness(field: &str, text: &str) -> AppResult<Fitness> {
    Fitness::parse(text).ok_or_else(|| AppError::invalid(field, is_not(text, &["fit", "unfit"])))
}

fn one_of<T: Copy>(field: &str, text: &str, all: &[T], name: impl Fn(T) -> &'static str) -> AppResult<T> {
    all.iter().copied().find(|v| name(*v) == text).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        AppError::invalid(field, is_not(text, &names))
    })
}

/// The record with its health file taken out unless the caller reads it.
fn as_read_by(who: &Principal, row: CareRow) -> CareRecord {
    match row.item {
        CareItem::Examination(e) if !reads_health_file(who.role) => CareRecord {
            row: CareRow {
                item: CareItem::Examination(Examination { findings: String::new(), injuries: None, ..e }),
                ..row
            },
            health_file_withheld: true,
        },
        item => CareRecord { row: CareRow { item, ..row }, health_file_withheld: false },
    }
}

impl App {
    /// The case, in the caller's scope and of the agreement named.
    async fn case_of(
        &self,
        who: &Principal,
        agreement_id: &str,
        case_id: i64,
    ) -> AppResult<custodia_store::CaseWithSendingId> {
        let case = self.case(who, case_id).await?;
        if case.case.agreement_id != agreement_id {
            return Err(AppError::invalid(
                "case_id",
                Text::new("INVALID.other-agreement")
                    .arg("case", case_id.to_string())
                    .arg("of", &case.case.agreement_id)
                    .arg("agreement", agreement_id),
            ));
        }
        Ok(case)
    }

    /// Records a medical examination of the person of a case in the caller's scope (medical
    /// officers). An admission examination links the case's intake; when the intake recorded
    /// visible injuries it must document them (`INJURIES_UNDOCUMENTED`).
    pub async fn record_examination(
        &self,
        who: &Principal,
        new: &NewExamination,
        now: &Timestamp,
    ) -> AppResult<CareRecord> {
        self.agreement(who, &new.agreement_id).await?;
        who.require(Capability::RecordExamination)?;
        let purpose = one_of("purpose", &new.purpose, &ExamPurpose::ALL, ExamPurpose::as_str)?;
        let examiner = required_text("examiner", &new.examiner, MAX_SHORT_TEXT_BYTES)?;
        let fitness = FitnessFor {
            custody: fitness("fit_for_custody", &new.fit_for_custody)?,
            transfer: fitness("fit_for_transfer", &new.fit_for_transfer)?,
            solitary: fitness("fit_for_solitary", &new.fit_for_solitary)?,
        };
        let findings = required_text("findings", &new.findings, MAX_HEALTH_TEXT_BYTES)?;
        let injuries = match new.injuries.as_deref().map(str::trim).filter(|i| !i.is_empty()) {
            Some(text) => Some(required_text("injuries", text, MAX_HEALTH_TEXT_BYTES)?),
            None => None,
        };
        let at = past_time("examined_at", new.examined_at.as_ref(), now)?;
        let case = self.case_of(who, &new.agreement_id, new.case_id).await?;
        let intake = match (purpose, &case.case.case.intake) {
            (ExamPurpose::Admission, Some(intake)) => {
                Some(IntakeLink { admitted_on: intake.admitted_on, visible_injuries: intake.visible_injuries.clone() })
            }
            (ExamPurpose::Admission, None) => {
                return Err(AppError::invalid("purpose", Text::new("INVALID.not-admitted")));
            }
            _ => None,
        };
        let exam = Examination {
            purpose,
            examiner,
            examined_at: at.as_str().to_owned(),
            examined_at_unix: at.unix_seconds(),
            fitness,
            findings,
            injuries,
            intake,
        };
        let by = actor(who, now, Some(at));
        let row = self.store().record_care(&new.agreement_id, new.case_id, &CareItem::Examination(exam), &by).await;
        Ok(as_read_by(who, row.map_err(refused)?))
    }

    /// Records a visit or call, held or refused with a ground and a reason, for a person held in
    /// the caller's scope. Counsel is never refused for capacity (`COUNSEL_NOT_REFUSABLE`) and
    /// no record of a visit holds what was said.
    pub async fn record_visit(&self, who: &Principal, new: &NewVisit, now: &Timestamp) -> AppResult<CareRecord> {
        self.agreement(who, &new.agreement_id).await?;
        who.require(Capability::RecordVisit)?;
        let kind = one_of("kind", &new.kind, &ContactKind::ALL, ContactKind::as_str)?;
        let visitor = required_text("visitor", &new.visitor, MAX_SHORT_TEXT_BYTES)?;
        let refusal = match new.outcome.as_str() {
            "held" => {
                for (field, value) in [("ground", &new.ground), ("reason", &new.reason)] {
                    if value.is_some() {
                        return Err(AppError::invalid(field, Text::new("INVALID.only-refused")));
                    }
                }
                None
            }
            "refused" => {
                let ground = new.ground.as_deref().unwrap_or_default();
                let ground = one_of("ground", ground, &RefusalGround::ALL, RefusalGround::as_str)?;
                let reason = required_text("reason", new.reason.as_deref().unwrap_or_default(), MAX_NOTE_BYTES)?;
                Some(Refusal { ground, reason })
            }
            other => return Err(AppError::invalid("outcome", is_not(other, &["held", "refused"]))),
        };
        let at = past_time("at", new.at.as_ref(), now)?;
        self.case_of(who, &new.agreement_id, new.case_id).await?;
        let contact = Contact { kind, visitor, at: at.as_str().to_owned(), at_unix: at.unix_seconds(), refusal };
        let by = actor(who, now, Some(at));
        let row = self.store().record_care(&new.agreement_id, new.case_id, &CareItem::Visit(contact), &by).await;
        Ok(as_read_by(who, row.map_err(refused)?))
    }

    /// Places a person held in the caller's scope in solitary confinement; the caller is its
    /// authoriser. Refused when the latest examination found them unfit for it
    /// (`UNFIT_FOR_SOLITARY`) or they are placed already (`ALREADY_IN_SOLITARY`).
    pub async fn place_in_solitary(
        &self,
        who: &Principal,
        new: &NewPlacement,
        now: &Timestamp,
    ) -> AppResult<CareRecord> {
        self.agreement(who, &new.agreement_id).await?;
        who.require(Capability::Segregation)?;
        let reason = required_text("reason", &new.reason, MAX_NOTE_BYTES)?;
        let at = past_time("start_at", new.start_at.as_ref(), now)?;
        self.case_of(who, &new.agreement_id, new.case_id).await?;
        let placement = Placement {
            start_at: at.as_str().to_owned(),
            start_at_unix: at.unix_seconds(),
            reason,
            authorised_by: who.name.clone(),
            end: None,
        };
        let by = actor(who, now, Some(at));
        let row = self.store().record_care(&new.agreement_id, new.case_id, &CareItem::Placement(placement), &by).await;
        Ok(as_read_by(who, row.map_err(refused)?))
    }

    /// Ends a placement in solitary confinement in the caller's scope (`ALREADY_ENDED`).
    pub async fn end_solitary(
        &self,
        who: &Principal,
        id: i64,
        at: Option<&Timestamp>,
        now: &Timestamp,
    ) -> AppResult<CareRecord> {
        let record = self.care_record(who, id).await?;
        who.require(Capability::Segregation)?;
        if !matches!(record.row.item, CareItem::Placement(_)) {
            let kind = record.row.item.kind();
            return Err(AppError::invalid(
                "id",
                Text::new("INVALID.not-placement").arg("id", id.to_string()).arg("kind", kind),
            ));
        }
        let at = past_time("at", at, now)?;
        let end = PlacementEnd { at: at.as_str().to_owned(), at_unix: at.unix_seconds(), by: who.name.clone() };
        let row = self.store().end_placement(id, &end, &actor(who, now, Some(at))).await.map_err(refused)?;
        Ok(as_read_by(who, row))
    }

    /// The records of care of an agreement the caller sees, by id, health files withheld from
    /// all but medical officers.
    pub async fn care_records(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<CareRecord>> {
        self.agreement(who, agreement_id).await?;
        let rows = self.store().care_records(agreement_id).await?;
        let rows = self.visible(who, agreement_id, rows, |r| Some(r.case_id)).await?;
        Ok(rows.into_iter().map(|r| as_read_by(who, r)).collect())
    }

    /// A page of the records of care the caller sees: at most `count` with ids above `after`,
    /// read from the store a keyset page at a time.
    pub async fn care_page(
        &self,
        who: &Principal,
        agreement_id: &str,
        after: i64,
        count: usize,
    ) -> AppResult<Vec<CareRecord>> {
        self.agreement(who, agreement_id).await?;
        let fetch = |from, n| async move { Ok(self.store().care_records_after(agreement_id, from, n).await?) };
        let keep = |rows| self.visible(who, agreement_id, rows, |r: &CareRow| Some(r.case_id));
        let rows = crate::paging::keyset(after, count, fetch, |r: &CareRow| r.id, keep).await?;
        Ok(rows.into_iter().map(|r| as_read_by(who, r)).collect())
    }

    /// One record of care, if the caller sees it ("not found" otherwise).
    pub async fn care_record(&self, who: &Principal, id: i64) -> AppResult<CareRecord> {
        let missing = || AppError::no_such("care-record", id);
        let row = self.store().care_record(id).await?.ok_or_else(missing)?;
        if self.sees_record(who, &row.agreement_id, Some(row.case_id)).await? {
            Ok(as_read_by(who, row))
        } else {
            Err(missing())
        }
    }

    /// The care alerts (`MEDICAL_EXAM_OVERDUE`, `VISITS_BELOW_MINIMUM`,
    /// `CONSULAR_ACCESS_OVERDUE`, `PROLONGED_SOLITARY`, `SOLITARY_REVIEW_OVERDUE`) of the people
    /// held under the agreement in the caller's scope, on `on` (judged at the end of that day in
    /// each facility's zone).
    pub(crate) async fn care_alerts(
        &self,
        who: &Principal,
        agreement: &custodia_core::Agreement,
        rows: &[custodia_store::CaseWithPerson],
        on: Date,
    ) -> AppResult<Vec<Alert>> {
        let mut by_case: HashMap<i64, CaseCare> = HashMap::new();
        for r in self.store().care_records(agreement.id.as_str()).await? {
            let entry = by_case.entry(r.case_id).or_default();
            match r.item {
                CareItem::Examination(e) => entry.0.push(e),
                CareItem::Visit(v) => entry.1.push(v),
                CareItem::Placement(p) => entry.2.push(p),
            }
        }
        let none = (Vec::new(), Vec::new(), Vec::new());
        let mut out = Vec::new();
        for row in rows {
            let case = &row.case;
            let held = case.case.state.holds_place();
            let (Some(intake), Some(facility)) = (&case.case.intake, case.facility_id.as_deref()) else { continue };
            if !held || !who.sees(&case.agreement_id, Some(facility)) {
                continue;
            }
            let zone = agreement.time_zone_of(facility);
            let admitted_at_unix = zone.start_of_day(intake.admitted_on) + i64::from(intake.hour) * 3_600;
            let (examinations, contacts, placements) = by_case.get(&case.id).unwrap_or(&none);
            let subject = format!("case-{}/{}", case.id, row.person.sending_id);
            let facts = CareFacts {
                subject: &subject,
                admitted_at_unix,
                admitted_on: intake.admitted_on,
                examinations,
                contacts,
                placements,
            };
            out.extend(custodia_core::care::care_alerts(&[facts], &agreement.rights, on, zone.end_of_day(on)));
        }
        Ok(out)
    }
}
