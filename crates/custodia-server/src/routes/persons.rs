//! Persons (SPEC §2, §3, §5, §11): the sending state's person files, each person's whole file
//! with the identifiers of both states, their cases and legal basis, and eligibility screening —
//! of one stored person, or of a whole person file (nothing stored).
//!
//! Every successful read of a person's file (the file itself, its legal basis, a screening of the
//! stored person) is written to the read log. A person is in the caller's scope through an
//! agreement in scope whose sending state is the person's, unless every case of the person under
//! that agreement is placed in a facility outside the caller's scope; anything out of scope answers
//! 404 like a person that does not exist.

use custodia_store::prelude::*;
use std::collections::{HashMap, HashSet};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use custodia_core::eligibility::{Language, Outcome, Screener, SentenceFacts};
use custodia_core::person::{Column, PersonHeader, PersonRecord, RowError};
use custodia_core::table::Table;
use custodia_core::{Agreement, Date};
use custodia_store::cases::CaseRow;
use custodia_store::{PersonData, PersonsFile};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::{Capability, Principal};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::routes::agreements::agreement_in_scope;
use crate::state::AppState;
use crate::wire::{Page, PageQuery, date};

/// Most data rows one import request may carry (larger files: `custodia import persons`).
pub const MAX_IMPORT_ROWS: usize = 100_000;
/// Most data rows one screening request may carry (larger files: `custodia screen`).
pub const MAX_SCREEN_ROWS: usize = 250_000;
/// Invalid rows listed in an error message (the count is always given).
const MAX_LISTED_PROBLEMS: usize = 100;
/// The reason of a row whose person_id an earlier row already used (SPEC §2, as `custodia screen`).
const DUPLICATE: &str = "person_id: the same person_id appears in an earlier row";

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_persons, import_persons, get_person, get_legal_basis, screen_person, screen_batch),
    components(schemas(
        PersonSummary, Page<PersonSummary>, PersonFileView, PersonRecordView, IdentifierView, AliasView,
        PersonCaseView, LegalBasisView, ConvictionView, CustodyBasisView, ImportPersons, ImportedPersons,
        ScreenPerson, PersonScreeningView, ReasonView, ScreenBatch, ScreenRowView, ScreenSummary,
        BatchScreeningView
    )),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/persons", get(list_persons).post(import_persons))
        .route("/api/v1/persons/{id}", get(get_person))
        .route("/api/v1/persons/{id}/legal-basis", get(get_legal_basis))
        .route("/api/v1/persons/{id}/screening", post(screen_person))
        .route("/api/v1/screenings", post(screen_batch))
}

// ---------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------

/// A person in a list: who they are, not their file.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonSummary {
    /// The Custodia id.
    pub id: i64,
    /// The sending state's `person_id`.
    pub sending_id: String,
    /// Family name.
    pub family_name: String,
    /// Given names.
    pub given_names: String,
    /// ISO 3166 codes, as written (empty when unknown).
    pub nationalities: Vec<String>,
    /// Security class (null when unknown).
    pub security_class: Option<String>,
}

/// Every SPEC §2 column as the register holds it: text exactly as written, null for unknown.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonRecordView {
    /// The sending state's `person_id`.
    pub person_id: String,
    /// `family_name`.
    pub family_name: String,
    /// `given_names`.
    pub given_names: String,
    /// `birth_date`.
    pub birth_date: Option<String>,
    /// `nationalities`, codes joined by `;` as written.
    pub nationalities: Option<String>,
    /// `conviction`.
    pub conviction: Option<String>,
    /// `offence_category`.
    pub offence_category: Option<String>,
    /// `sentence_start`.
    pub sentence_start: Option<String>,
    /// `sentence_term`.
    pub sentence_term: Option<String>,
    /// `jail_credit_days` (null when the cell was empty; the rules read it as 0).
    pub jail_credit_days: Option<u32>,
    /// `security_class`.
    pub security_class: Option<String>,
    /// `consent`.
    pub consent: Option<String>,
    /// `removal_order`.
    pub removal_order: Option<String>,
    /// `torture_risk`.
    pub torture_risk: Option<String>,
    /// `torture_risk_assessed_on`.
    pub torture_risk_assessed_on: Option<String>,
    /// `care_needs`.
    pub care_needs: Option<String>,
}

/// An identifier of the person in one state's registers.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct IdentifierView {
    /// ISO 3166 state.
    pub state: String,
    /// `person_id` (the sending state's export id), `inmate_number`, …
    pub scheme: String,
    /// The identifier.
    pub value: String,
}

/// Another name the person is known by.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AliasView {
    /// Family name.
    pub family_name: String,
    /// Given names.
    pub given_names: String,
}

/// A case of the person.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonCaseView {
    /// The case id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// Lifecycle state.
    pub state: String,
    /// The screening decision recorded on the case.
    pub decision: Option<String>,
    /// The facility while placed.
    pub facility_id: Option<String>,
    /// The cell while placed.
    pub cell_id: Option<String>,
    /// Admission date, once admitted.
    pub admitted_on: Option<String>,
    /// Planned return.
    pub return_on: Option<String>,
    /// Whether a legal hold stands.
    pub on_hold: bool,
}

/// The conviction as the sending state exported it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConvictionView {
    /// `final`, `appeal_pending`, `none`, or null when unknown.
    pub status: Option<String>,
    /// Offence category.
    pub offence_category: Option<String>,
    /// Commencement of the sentence.
    pub sentence_start: Option<String>,
    /// Term imposed, as written.
    pub sentence_term: Option<String>,
    /// Prior-custody credit in days.
    pub jail_credit_days: Option<u32>,
}

/// The legal basis of one custody case: who is responsible, under which order, until when.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CustodyBasisView {
    /// The case.
    pub case_id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// Lifecycle state of the case.
    pub state: String,
    /// The state legally responsible for the person (ISO 3166): never "the other state".
    pub legal_custodian: String,
    /// Whose law governs execution of the sentence (ISO 3166).
    pub governing_law: String,
    /// The commitment order, once admitted.
    pub commitment_order: Option<String>,
    /// References of the legal holds that stand.
    pub standing_holds: Vec<String>,
    /// The agreement's sentence profile.
    pub sentence_profile: String,
    /// Whether the sentence is for life.
    pub life_sentence: bool,
    /// Projected release under the profile (null for life or unknown).
    pub projected_release: Option<String>,
    /// The day the person must be back in the sending state (null when the release is).
    pub return_by: Option<String>,
}

/// The legal basis for holding a person (SPEC §3, §7, §9.3).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LegalBasisView {
    /// The Custodia id.
    pub person_id: i64,
    /// The sending state (ISO 3166).
    pub sending_state: String,
    /// A final conviction or a final removal order is on record.
    pub on_record: bool,
    /// The conviction.
    pub conviction: ConvictionView,
    /// The removal order: `final`, `pending`, `none`, or null when unknown.
    pub removal_order: Option<String>,
    /// Sequence number of the journal event that carries the current record.
    pub recorded_event_seq: i64,
    /// Per case: the custodian, the governing law, the commitment order, the holds, the dates.
    pub custody: Vec<CustodyBasisView>,
}

/// A person's whole file.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonFileView {
    /// The Custodia id.
    pub id: i64,
    /// The sending state (ISO 3166).
    pub sending_state: String,
    /// The record's version (1, then one more per amendment).
    pub version: i64,
    /// Every SPEC §2 column, as stored.
    pub record: PersonRecordView,
    /// Identifiers of both states (the sending state's `person_id` first).
    pub identifiers: Vec<IdentifierView>,
    /// Aliases.
    pub aliases: Vec<AliasView>,
    /// The person's cases in the caller's scope.
    pub cases: Vec<PersonCaseView>,
    /// The legal basis.
    pub legal_basis: LegalBasisView,
}

/// A person file to import (SPEC §2 CSV).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportPersons {
    /// The agreement whose sending state exported the file.
    pub agreement_id: String,
    /// The CSV text with its header row.
    pub csv: String,
}

/// What an import did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportedPersons {
    /// The agreement.
    pub agreement_id: String,
    /// Data rows read.
    pub rows: u64,
    /// New people registered.
    pub added: u64,
    /// People whose record changed (one amendment each).
    pub amended: u64,
    /// Rows identical to the register (nothing written).
    pub unchanged: u64,
    /// Header names that are no column of a person file (ignored), in file order.
    pub unknown_columns: Vec<String>,
    /// Columns of a person file the header lacks (unknown for every row).
    pub missing_columns: Vec<String>,
}

/// Screening one stored person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenPerson {
    /// The agreement whose rules apply.
    pub agreement_id: String,
    /// The day the rules are evaluated on, YYYY-MM-DD.
    pub as_of: String,
    /// Language of the messages: `en` (default) or `es`.
    pub lang: Option<String>,
}

/// A rule that did not pass.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReasonView {
    /// As in the SPEC §5 reasons: `E07` for a failure, `E02?` for an unknown; `INPUT` when the
    /// record cannot be read.
    pub code: String,
    /// The rule (`E07`), null for `INPUT`.
    pub rule: Option<String>,
    /// `fail`, `unknown`, or `invalid`.
    pub outcome: String,
    /// What the rule requires (or what is wrong with the record).
    pub message: String,
    /// The rule's legal source.
    pub citation: Option<String>,
}

/// The screening of one stored person.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonScreeningView {
    /// The Custodia id.
    pub person_id: i64,
    /// The sending state's `person_id`.
    pub sending_id: String,
    /// The agreement.
    pub agreement_id: String,
    /// The day.
    pub as_of: String,
    /// `eligible`, `ineligible`, `review`, or `invalid` when the record cannot be read.
    pub decision: String,
    /// Every rule that did not pass, by number.
    pub reasons: Vec<ReasonView>,
    /// The SPEC §5 reasons string (`E07;E15?`), empty when eligible.
    pub reasons_text: String,
}

/// Screening a person file without storing anything.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreenBatch {
    /// The agreement whose rules apply.
    pub agreement_id: String,
    /// The day the rules are evaluated on, YYYY-MM-DD.
    pub as_of: String,
    /// The person file (SPEC §2 CSV with its header row).
    pub csv: String,
}

/// One row's outcome, exactly as a line of `custodia screen --format jsonl` (SPEC §12).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ScreenRowView {
    /// The row's `person_id` as it was (even empty).
    pub person_id: String,
    /// `eligible`, `ineligible`, `review`, or `invalid`.
    pub decision: String,
    /// `E07;E15?`; `INPUT: …` for an invalid row; empty when eligible.
    pub reasons: String,
}

/// Counts per decision.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct ScreenSummary {
    /// Data rows.
    pub rows: u64,
    /// Eligible.
    pub eligible: u64,
    /// Ineligible.
    pub ineligible: u64,
    /// Review.
    pub review: u64,
    /// Invalid.
    pub invalid: u64,
}

impl ScreenSummary {
    fn add(&mut self, decision: &str) {
        self.rows += 1;
        match decision {
            "eligible" => self.eligible += 1,
            "ineligible" => self.ineligible += 1,
            "review" => self.review += 1,
            _ => self.invalid += 1,
        }
    }
}

/// The screening of a person file.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchScreeningView {
    /// The agreement.
    pub agreement_id: String,
    /// The day.
    pub as_of: String,
    /// One per data row, in input order.
    pub rows: Vec<ScreenRowView>,
    /// Counts.
    pub summary: ScreenSummary,
    /// Header names that are no column of a person file (ignored), in file order.
    pub unknown_columns: Vec<String>,
    /// Columns of a person file the header lacks (unknown for every row).
    pub missing_columns: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Scope
// ---------------------------------------------------------------------------------------------

/// Whether the caller sees a person under an agreement, given the facilities of the person's cases
/// under it: the agreement must be in scope, and a person with cases is seen through at least one
/// of them (a case not placed is seen by everyone scoped to the agreement).
fn visible_under<'a>(who: &Principal, agreement_id: &str, places: impl IntoIterator<Item = Option<&'a str>>) -> bool {
    if !who.sees_agreement(agreement_id) {
        return false;
    }
    let mut any = false;
    for facility in places {
        if who.sees(agreement_id, facility) {
            return true;
        }
        any = true;
    }
    !any
}

/// A person the caller sees, with what their file needs.
#[derive(Debug)]
struct ScopedPerson {
    id: i64,
    sending_state: String,
    version: i64,
    event_seq: i64,
    record: PersonData,
    /// The agreements through which the caller sees the person.
    agreements: Vec<Agreement>,
    /// The person's cases the caller sees.
    cases: Vec<CaseRow>,
}

impl ScopedPerson {
    fn agreement(&self, id: &str) -> Option<&Agreement> {
        self.agreements.iter().find(|a| a.id.as_str() == id)
    }
}

/// The person, if they exist and the caller sees them (through `under` only, when given); 404
/// otherwise, alike.
async fn person_in_scope(state: &AppState, who: &Principal, id: i64, under: Option<&str>) -> ApiResult<ScopedPerson> {
    let missing = || ApiError::not_found(format!("person {id} does not exist"));
    let Some(custodia_store::PersonRow { sending_state, version, record_seq: event_seq, record, .. }) =
        state.store.person_by_id(id).await?
    else {
        return Err(missing());
    };
    let all_cases = state.store.cases_of_person(id).await?;
    let mut agreements = Vec::new();
    for custodia_store::AgreementVersion { agreement_id, .. } in state.store.agreement_ids().await? {
        if under.is_some_and(|u| u != agreement_id) || !who.sees_agreement(&agreement_id) {
            continue;
        }
        let (_, agreement, _) = agreement_in_scope(state, who, &agreement_id).await?;
        if agreement.sending_state.as_str() != sending_state {
            continue;
        }
        let places = all_cases.iter().filter(|c| c.agreement_id == agreement_id).map(|c| c.facility_id.as_deref());
        if visible_under(who, &agreement_id, places) {
            agreements.push(agreement);
        }
    }
    if agreements.is_empty() {
        return Err(missing());
    }
    let cases = all_cases
        .into_iter()
        .filter(|c| {
            who.sees(&c.agreement_id, c.facility_id.as_deref())
                && agreements.iter().any(|a| a.id.as_str() == c.agreement_id)
        })
        .collect();
    Ok(ScopedPerson { id, sending_state, version, event_seq, record, agreements, cases })
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

fn summary(id: i64, p: &PersonData) -> PersonSummary {
    PersonSummary {
        id,
        sending_id: p.sending_id.clone(),
        family_name: p.family_name.clone(),
        given_names: p.given_names.clone(),
        nationalities: p
            .nationalities
            .as_deref()
            .map(|n| n.split(';').filter(|c| !c.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default(),
        security_class: p.security_class.clone(),
    }
}

fn record_view(p: &PersonData) -> PersonRecordView {
    PersonRecordView {
        person_id: p.sending_id.clone(),
        family_name: p.family_name.clone(),
        given_names: p.given_names.clone(),
        birth_date: p.birth_date.clone(),
        nationalities: p.nationalities.clone(),
        conviction: p.conviction.clone(),
        offence_category: p.offence_category.clone(),
        sentence_start: p.sentence_start.clone(),
        sentence_term: p.sentence_term.clone(),
        jail_credit_days: p.jail_credit_days,
        security_class: p.security_class.clone(),
        consent: p.consent.clone(),
        removal_order: p.removal_order.clone(),
        torture_risk: p.torture_risk.clone(),
        torture_risk_assessed_on: p.torture_risk_assessed_on.clone(),
        care_needs: p.care_needs.clone(),
    }
}

fn case_view(row: &CaseRow) -> PersonCaseView {
    let c = &row.case;
    PersonCaseView {
        id: row.id,
        agreement_id: row.agreement_id.clone(),
        state: c.state.as_str().to_owned(),
        decision: c.decision.map(|d| d.as_str().to_owned()),
        facility_id: row.facility_id.clone(),
        cell_id: c.cell_id.clone(),
        admitted_on: c.intake.as_ref().map(|i| i.admitted_on.to_string()),
        return_on: c.return_on.map(|d| d.to_string()),
        on_hold: c.on_hold(),
    }
}

fn legal_basis(p: &ScopedPerson) -> LegalBasisView {
    let r = &p.record;
    let final_ = |v: &Option<String>| v.as_deref() == Some("final");
    let custody = p
        .cases
        .iter()
        .filter_map(|row| {
            let agreement = p.agreement(&row.agreement_id)?;
            let party_state = |party: custodia_core::agreement::Party| match party {
                custodia_core::agreement::Party::Sending => agreement.sending_state.as_str().to_owned(),
                custodia_core::agreement::Party::Receiving => agreement.receiving_state.as_str().to_owned(),
            };
            let facts = r
                .with_record(|record| Screener::new(agreement).sentence_facts(record))
                .ok()
                .and_then(Result::ok)
                .unwrap_or(SentenceFacts::Unknown);
            let release = match facts {
                SentenceFacts::Fixed { projected_release, .. } => Some(projected_release),
                _ => None,
            };
            Some(CustodyBasisView {
                case_id: row.id,
                agreement_id: row.agreement_id.clone(),
                state: row.case.state.as_str().to_owned(),
                legal_custodian: party_state(agreement.legal_custodian),
                governing_law: party_state(agreement.governing_law),
                commitment_order: row.case.commitment_order.clone(),
                standing_holds: row
                    .case
                    .holds
                    .iter()
                    .filter(|h| h.lifted_by.is_none())
                    .map(|h| h.reference.clone())
                    .collect(),
                sentence_profile: agreement.sentence_profile.as_str().to_owned(),
                life_sentence: facts == SentenceFacts::Life,
                projected_release: release.map(|d| d.to_string()),
                return_by: release
                    .and_then(|d| custodia_core::alerts::return_by(d, agreement.return_before_release_days))
                    .map(|d| d.to_string()),
            })
        })
        .collect();
    LegalBasisView {
        person_id: p.id,
        sending_state: p.sending_state.clone(),
        on_record: final_(&r.conviction) || final_(&r.removal_order),
        conviction: ConvictionView {
            status: r.conviction.clone(),
            offence_category: r.offence_category.clone(),
            sentence_start: r.sentence_start.clone(),
            sentence_term: r.sentence_term.clone(),
            jail_credit_days: r.jail_credit_days,
        },
        removal_order: r.removal_order.clone(),
        recorded_event_seq: p.event_seq,
        custody,
    }
}

// ---------------------------------------------------------------------------------------------
// Person files (CSV)
// ---------------------------------------------------------------------------------------------

/// Why a row cannot be read: the column at fault (if one is) and the message (`column: why`).
#[derive(Clone, Debug)]
struct RowIssue {
    column: Option<&'static str>,
    message: String,
}

impl From<RowError> for RowIssue {
    fn from(e: RowError) -> Self {
        Self { column: e.column.map(Column::name), message: e.to_string() }
    }
}

/// A readable row.
struct ReadRow<'r> {
    record: PersonRecord<'r>,
    /// An earlier row has the same `person_id`.
    duplicate: bool,
}

/// Header names that are no column, and columns the header lacks, for the answers.
type ColumnLists = (Vec<String>, Vec<String>);

/// Reads a person file's header through the one table reader (`custodia_core::table`).
fn read_table(csv: &[u8]) -> ApiResult<(Table<'_>, PersonHeader)> {
    let table = Table::read(csv, None, PersonHeader::COLUMNS).map_err(|e| ApiError::invalid("csv", e.to_string()))?;
    let header = PersonHeader::from_header(table.header().clone());
    Ok((table, header))
}

fn column_lists(header: &PersonHeader) -> ColumnLists {
    let table = header.table();
    (table.unknown().to_vec(), table.missing().iter().map(|c| (*c).to_owned()).collect())
}

/// Visits every non-blank data row in order with its line number, its raw `person_id` and the
/// row (or why it cannot be read, exactly as `custodia screen` says), until `visit` answers
/// false. Every earlier row counts for duplicates, valid or not; empty ids are never duplicates
/// (`docs/person-file.md`).
fn each_row(
    table: &Table<'_>,
    header: &PersonHeader,
    mut visit: impl FnMut(u64, &[u8], Result<ReadRow<'_>, RowIssue>) -> bool,
) {
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let id_position = header.position(Column::PersonId).unwrap_or(0);
    let mut rows = table.rows();
    while let Some(row) = rows.next() {
        let id = row.fields.get(id_position).unwrap_or_default();
        let duplicate = !id.is_empty() && !seen.insert(id.to_vec());
        let read = PersonRecord::from_row(header, &row).map(|record| ReadRow { record, duplicate });
        if !visit(row.line, id, read.map_err(RowIssue::from)) {
            break;
        }
    }
}

/// Reads a person file for import: every row valid as `custodia screen` reads it (values and
/// sentence), or 400 listing the invalid rows (by line) and naming the first bad column as
/// `field`.
fn read_import(screener: &Screener, csv: &[u8]) -> ApiResult<(Vec<PersonData>, ColumnLists)> {
    let (table, header) = read_table(csv)?;
    let mut persons = Vec::new();
    let mut problems: Vec<(u64, RowIssue)> = Vec::new();
    let mut rows = 0usize;
    each_row(&table, &header, |line, _, row| {
        rows += 1;
        if rows > MAX_IMPORT_ROWS {
            return false;
        }
        let checked = row.and_then(|read| screener.check(&read.record).map(|()| read).map_err(RowIssue::from));
        match checked {
            Err(issue) => problems.push((line, issue)),
            Ok(read) if read.duplicate => {
                problems.push((line, RowIssue { column: Some("person_id"), message: DUPLICATE.into() }));
            }
            Ok(read) => {
                if problems.is_empty() {
                    persons.push(PersonData::from_record(&read.record));
                }
            }
        }
        true
    });
    if rows > MAX_IMPORT_ROWS {
        return Err(ApiError::invalid(
            "csv",
            format!("more than {MAX_IMPORT_ROWS} rows: send the file in parts, or use custodia import persons"),
        ));
    }
    if let Some((_, first)) = problems.first() {
        let field = first.column.unwrap_or("csv");
        let mut message = format!("{} invalid rows: nothing was imported", problems.len());
        for (line, issue) in problems.iter().take(MAX_LISTED_PROBLEMS) {
            message.push_str(&format!("\nline {line}: {}", issue.message));
        }
        if problems.len() > MAX_LISTED_PROBLEMS {
            message.push_str(&format!("\n… and {} more", problems.len() - MAX_LISTED_PROBLEMS));
        }
        return Err(ApiError::invalid(field, message));
    }
    Ok((persons, column_lists(&header)))
}

/// Screens a person file as `custodia screen` does (SPEC §12): one row per data row, in order.
fn screen_file(
    screener: &Screener,
    csv: &[u8],
    as_of: Date,
) -> ApiResult<(Vec<ScreenRowView>, ScreenSummary, ColumnLists)> {
    let (table, header) = read_table(csv)?;
    let mut rows = Vec::new();
    let mut summary = ScreenSummary::default();
    let mut too_many = false;
    each_row(&table, &header, |_, id, row| {
        if rows.len() >= MAX_SCREEN_ROWS {
            too_many = true;
            return false;
        }
        let (decision, reasons) = match row {
            Err(issue) => ("invalid", format!("INPUT: {}", issue.message)),
            // A row that is already invalid keeps its own reason.
            Ok(read) => match screener.screen(&read.record, as_of) {
                Err(e) => ("invalid", format!("INPUT: {e}")),
                Ok(_) if read.duplicate => ("invalid", format!("INPUT: {DUPLICATE}")),
                Ok(s) => (s.decision().as_str(), s.reasons()),
            },
        };
        summary.add(decision);
        rows.push(ScreenRowView {
            person_id: String::from_utf8_lossy(id).into_owned(),
            decision: decision.to_owned(),
            reasons,
        });
        true
    });
    if too_many {
        return Err(ApiError::invalid(
            "csv",
            format!("more than {MAX_SCREEN_ROWS} rows: send the file in parts, or use custodia screen"),
        ));
    }
    Ok((rows, summary, column_lists(&header)))
}

fn language(lang: Option<&str>) -> ApiResult<Language> {
    match lang {
        None | Some("en") => Ok(Language::En),
        Some("es") => Ok(Language::Es),
        Some(other) => Err(ApiError::invalid("lang", format!("{other:?} is not a language: en or es"))),
    }
}

/// At most this many bytes in an id field of a body (agreement ids are at most 64).
fn short(field: &str, value: &str) -> ApiResult<()> {
    if value.is_empty() || value.len() > 64 {
        return Err(ApiError::invalid(field, "must be 1 to 64 characters"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

/// Filters of the person list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonQuery {
    /// The agreement (required): its sending state's persons are listed.
    pub agreement: String,
    /// Cursor: list persons with a Custodia id above it.
    pub after: Option<i64>,
    /// Page size (1..=max_page_items; default 100).
    pub limit: Option<u32>,
}

/// The persons of an agreement's sending state, by Custodia id: a summary of each (reading the
/// whole file is `GET /api/v1/persons/{id}`).
#[utoipa::path(get, path = "/api/v1/persons", tag = "persons", params(PersonQuery),
    responses((status = 200, body = Page<PersonSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_persons(
    State(state): State<AppState>,
    who: Principal,
    QueryParams(q): QueryParams<PersonQuery>,
) -> ApiResult<axum::Json<Page<PersonSummary>>> {
    let (after, limit) = PageQuery { after: q.after, limit: q.limit }.resolve(state.config.max_page_items)?;
    let (_, agreement, _) = agreement_in_scope(&state, &who, &q.agreement).await?;
    // Only a caller limited to some facilities needs to know where the persons' cases are.
    let places: Option<HashMap<i64, Vec<Option<String>>>> = match who.facilities {
        None => None,
        Some(_) => {
            let mut map: HashMap<i64, Vec<Option<String>>> = HashMap::new();
            for place in state.store.case_places(&q.agreement).await? {
                map.entry(place.person_id).or_default().push(place.facility_id);
            }
            Some(map)
        }
    };
    let wanted = limit.saturating_add(1);
    let batch = u32::try_from(wanted).unwrap_or(u32::MAX);
    let mut items = Vec::with_capacity(wanted.min(1024));
    let mut cursor = after;
    'pages: loop {
        let rows = state.store.persons_of_state(agreement.sending_state.as_str(), cursor, batch).await?;
        let Some(last) = rows.last() else { break };
        cursor = last.id;
        let fetched = rows.len();
        for custodia_store::PersonEntry { id, record: person } in &rows {
            let visible = places.as_ref().is_none_or(|m| {
                visible_under(&who, &q.agreement, m.get(id).into_iter().flatten().map(Option::as_deref))
            });
            if visible {
                items.push(summary(*id, person));
                if items.len() >= wanted {
                    break 'pages;
                }
            }
        }
        if fetched < wanted {
            break;
        }
    }
    Ok(axum::Json(Page::of(items, |p| p.id, after, limit)))
}

/// A person's whole file: every SPEC §2 column as stored, the identifiers of both states, the
/// aliases, the cases and the legal basis. Every read is logged (SPEC §11).
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = i64, Path, description = "Custodia id")),
    responses((status = 200, body = PersonFileView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
) -> ApiResult<axum::Json<PersonFileView>> {
    let p = person_in_scope(&state, &who, id, None).await?;
    let mut identifiers = vec![IdentifierView {
        state: p.sending_state.clone(),
        scheme: "person_id".into(),
        value: p.record.sending_id.clone(),
    }];
    identifiers.extend(state.store.identifiers(id).await?.into_iter().map(|i| IdentifierView {
        state: i.state,
        scheme: i.scheme,
        value: i.value,
    }));
    let aliases = state
        .store
        .aliases_of_person(id)
        .await?
        .into_iter()
        .map(|a| AliasView { family_name: a.family_name, given_names: a.given_names })
        .collect();
    let view = PersonFileView {
        id: p.id,
        sending_state: p.sending_state.clone(),
        version: p.version,
        record: record_view(&p.record),
        identifiers,
        aliases,
        cases: p.cases.iter().map(case_view).collect(),
        legal_basis: legal_basis(&p),
    };
    state.log_read(&who, id, "GET /api/v1/persons/{id}").await?;
    Ok(axum::Json(view))
}

/// The legal basis for holding a person: the conviction and removal order on record and, per
/// case, the custodian state, the governing law, the commitment order, the holds and the dates.
/// Every read is logged (SPEC §11).
#[utoipa::path(get, path = "/api/v1/persons/{id}/legal-basis", tag = "persons", params(("id" = i64, Path, description = "Custodia id")),
    responses((status = 200, body = LegalBasisView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_legal_basis(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
) -> ApiResult<axum::Json<LegalBasisView>> {
    let p = person_in_scope(&state, &who, id, None).await?;
    let view = legal_basis(&p);
    state.log_read(&who, id, "GET /api/v1/persons/{id}/legal-basis").await?;
    Ok(axum::Json(view))
}

/// Imports a person file of the agreement's sending state (SPEC §2): new people are registered,
/// changed ones amended, identical ones left alone. All or nothing: an invalid row (listed with
/// its line number and column) means nothing is written, and `field` names the first bad column.
#[utoipa::path(post, path = "/api/v1/persons", tag = "persons", request_body = ImportPersons,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = ImportedPersons, description = "Nobody new"), (status = 201, body = ImportedPersons, description = "People registered"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn import_persons(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<ImportPersons>,
) -> ApiResult<(StatusCode, axum::Json<ImportedPersons>)> {
    short("agreement_id", &body.agreement_id)?;
    let (_, agreement, _) = agreement_in_scope(&state, &who, &body.agreement_id).await?;
    who.require(Capability::ImportPersons)?;
    let csv = body.csv;
    let screener = Screener::new(&agreement);
    let (persons, (unknown_columns, missing_columns)) =
        tokio::task::spawn_blocking(move || read_import(&screener, csv.as_bytes()))
            .await
            .map_err(ApiError::internal)??;
    let rows = persons.len() as u64;
    let actor = custodia_store::Actor { name: who.name.clone(), recorded_at: crate::clock::now(), occurred_at: None };
    let file = PersonsFile {
        agreement_id: agreement.id.as_str(),
        sending_state: agreement.sending_state,
        persons: Box::new(persons.into_iter()),
    };
    let outcome = state.store.import_persons(file, &actor).await?;
    let status = if outcome.added > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        axum::Json(ImportedPersons {
            agreement_id: agreement.id.as_str().to_owned(),
            rows,
            added: outcome.added,
            amended: outcome.amended,
            unchanged: outcome.unchanged,
            unknown_columns,
            missing_columns,
        }),
    ))
}

/// Screens one stored person against the agreement's rules on `as_of` (SPEC §5). Nothing is
/// recorded on a case (that is the case's `screen` transition); the read is logged.
#[utoipa::path(post, path = "/api/v1/persons/{id}/screening", tag = "persons", request_body = ScreenPerson,
    params(("id" = i64, Path, description = "Custodia id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = PersonScreeningView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn screen_person(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
    JsonBody(body): JsonBody<ScreenPerson>,
) -> ApiResult<axum::Json<PersonScreeningView>> {
    short("agreement_id", &body.agreement_id)?;
    let (_, agreement, _) = agreement_in_scope(&state, &who, &body.agreement_id).await?;
    let p = person_in_scope(&state, &who, id, Some(agreement.id.as_str())).await?;
    who.require(Capability::ScreenPersons)?;
    let as_of = date("as_of", &body.as_of)?;
    let language = language(body.lang.as_deref())?;
    let screener = Screener::new(&agreement);
    let screening = p.record.with_record(|record| screener.screen(record, as_of)).and_then(|r| r);
    let (decision, reasons, reasons_text) = match screening {
        Ok(s) => {
            let reasons = s
                .outcomes()
                .filter(|(_, o)| *o != Outcome::Pass)
                .map(|(rule, outcome)| ReasonView {
                    code: match outcome {
                        Outcome::Unknown => format!("{}?", rule.code()),
                        _ => rule.code().to_owned(),
                    },
                    rule: Some(rule.code().to_owned()),
                    outcome: outcome.as_str().to_owned(),
                    message: rule.message(language).to_owned(),
                    citation: Some(rule.citation().to_owned()),
                })
                .collect();
            (s.decision().as_str().to_owned(), reasons, s.reasons())
        }
        Err(e) => {
            let message = e.to_string();
            let reason = ReasonView {
                code: "INPUT".into(),
                rule: None,
                outcome: "invalid".into(),
                message: message.clone(),
                citation: None,
            };
            ("invalid".to_owned(), vec![reason], format!("INPUT: {message}"))
        }
    };
    let view = PersonScreeningView {
        person_id: p.id,
        sending_id: p.record.sending_id.clone(),
        agreement_id: agreement.id.as_str().to_owned(),
        as_of: as_of.to_string(),
        decision,
        reasons,
        reasons_text,
    };
    state.log_read(&who, id, "POST /api/v1/persons/{id}/screening").await?;
    Ok(axum::Json(view))
}

/// Screens a person file against the agreement's rules on `as_of` and answers the SPEC §12
/// `screen` output — one `{person_id, decision, reasons}` per data row, in input order — with the
/// counts. Nothing is stored. Bodies above the server's `max_body_bytes` answer 413.
#[utoipa::path(post, path = "/api/v1/screenings", tag = "persons", request_body = ScreenBatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = BatchScreeningView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn screen_batch(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<ScreenBatch>,
) -> ApiResult<axum::Json<BatchScreeningView>> {
    short("agreement_id", &body.agreement_id)?;
    let (_, agreement, _) = agreement_in_scope(&state, &who, &body.agreement_id).await?;
    who.require(Capability::ScreenPersons)?;
    let as_of = date("as_of", &body.as_of)?;
    let screener = Screener::new(&agreement);
    let csv = body.csv;
    let (rows, summary, (unknown_columns, missing_columns)) =
        tokio::task::spawn_blocking(move || screen_file(&screener, csv.as_bytes(), as_of))
            .await
            .map_err(ApiError::internal)??;
    Ok(axum::Json(BatchScreeningView {
        agreement_id: agreement.id.as_str().to_owned(),
        as_of: as_of.to_string(),
        rows,
        summary,
        unknown_columns,
        missing_columns,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cecot() -> Screener {
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/agreements/us-sv-cecot.toml"))
                .unwrap();
        Screener::new(&Agreement::from_toml(&source).unwrap())
    }

    const HEADER: &str = "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,torture_risk_assessed_on,care_needs";

    #[test]
    fn import_lists_every_bad_row_by_line_and_names_the_first_column() {
        let csv = format!(
            "\u{feff}{HEADER}\n\nP1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,5y,,medium,,final,no_risk,2025-05-01,no\n\
             P2,Roe,John,1990-02-30,VE,final,drug,2024-01-01,5y,,medium,,final,no_risk,2025-05-01,no\n\
             P1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,5y,,medium,,final,no_risk,2025-05-01,no\n"
        );
        let e = read_import(&cecot(), csv.as_bytes()).unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("birth_date"), "{e:?}");
        assert!(e.body.message.starts_with("2 invalid rows"), "{}", e.body.message);
        assert!(e.body.message.contains("line 4: birth_date:"), "{}", e.body.message);
        assert!(e.body.message.contains("line 5: person_id: the same"), "{}", e.body.message);
    }

    #[test]
    fn import_reads_valid_rows_exactly() {
        let csv = format!("{HEADER}\nP1,Doe,Jane,1990-02-28,US;SV,final,drug,2024-01-01,5y,,medium,,final,,,no\n");
        let (persons, (unknown, missing)) = read_import(&cecot(), csv.as_bytes()).unwrap();
        assert!(unknown.is_empty() && missing.is_empty(), "{unknown:?} {missing:?}");
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0].nationalities.as_deref(), Some("US;SV"));
        assert_eq!(persons[0].jail_credit_days, None, "an empty credit stays empty");
        assert_eq!(read_import(&cecot(), b"\n\n").unwrap_err().body.field.as_deref(), Some("csv"));
        assert_eq!(read_import(&cecot(), b"name\nx\n").unwrap_err().body.field.as_deref(), Some("csv"));
    }

    #[test]
    fn import_rejects_jail_credit_that_screen_rejects() {
        let csv = "person_id,sentence_start,sentence_term,jail_credit_days\nP1,2024-01-01,5y,99999999999999999999\n";
        let e = read_import(&cecot(), csv.as_bytes()).unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("jail_credit_days"), "{e:?}");
        assert!(e.body.message.contains("line 2: jail_credit_days: "), "{}", e.body.message);
        let (rows, ..) = screen_file(&cecot(), csv.as_bytes(), Date::parse("2025-06-01").unwrap()).unwrap();
        assert_eq!(rows[0].decision, "invalid");
        let line = e.body.message.lines().nth(1).unwrap().trim_start_matches("line 2: ").to_owned();
        assert_eq!(rows[0].reasons, format!("INPUT: {line}"), "the same message in both");
        // A term that ends beyond the calendar: screen calls the row invalid, so does the import.
        let csv = "person_id,sentence_start,sentence_term\nP1,9999-01-01,5y\n";
        let e = read_import(&cecot(), csv.as_bytes()).unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("sentence_term"), "{e:?}");
    }

    #[test]
    fn header_typo_is_listed_in_the_answers() {
        let csv = "person_id;convction;nationalities\nP1;final;\"US;SV\"\r";
        let (persons, (unknown, missing)) = read_import(&cecot(), csv.as_bytes()).unwrap();
        assert_eq!(persons[0].nationalities.as_deref(), Some("US;SV"), "semicolons detected, bare CR read");
        assert_eq!(unknown, ["convction"]);
        assert!(missing.contains(&"conviction".to_owned()), "{missing:?}");
        let (_, _, (unknown, _)) = screen_file(&cecot(), csv.as_bytes(), Date::parse("2025-06-01").unwrap()).unwrap();
        assert_eq!(unknown, ["convction"]);
    }

    #[test]
    fn screening_a_file_matches_the_cli_contract() {
        let screener = cecot();
        let csv = format!(
            "{HEADER}\nP1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no\n\
             P2,Roe,John,1990-02-28,US,final,drug,2024-01-01,60m,0,medium,,final,,,no\n\
             P1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no\n\
             ,x\n\
             P4,\"a\"b,,,,,,,,,,,,,,\n"
        );
        let (rows, summary, _) = screen_file(&screener, csv.as_bytes(), Date::parse("2025-06-01").unwrap()).unwrap();
        let got: Vec<(&str, &str, &str)> =
            rows.iter().map(|r| (r.person_id.as_str(), r.decision.as_str(), r.reasons.as_str())).collect();
        assert_eq!(got[0], ("P1", "eligible", ""));
        assert_eq!(got[1], ("P2", "ineligible", "E07;E15?"));
        assert_eq!(got[2], ("P1", "invalid", "INPUT: person_id: the same person_id appears in an earlier row"));
        assert_eq!(got[3].1, "invalid");
        assert!(got[3].2.starts_with("INPUT: row has 2 fields"), "{}", got[3].2);
        assert_eq!(got[4], ("P4", "invalid", "INPUT: family_name: has text after its closing quote"));
        assert_eq!((summary.rows, summary.eligible, summary.ineligible, summary.invalid), (5, 1, 1, 3));
    }
}
