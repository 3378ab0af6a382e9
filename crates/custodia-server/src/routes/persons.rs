//! Persons (docs/person-file.md, docs/person-file.md#identity, docs/rules.md, docs/access.md): the sending state's person files, each person's whole file
//! with the identifiers of both states, their cases and legal basis, and eligibility screening —
//! of one stored person, or of a whole person file (nothing stored).
//!
//! Every successful read of a person's file (the file itself, its legal basis, a screening of the
//! stored person) is written to the read log. A person is in the caller's scope through an
//! agreement in scope whose sending state is the person's, unless every case of the person under
//! that agreement is placed in a facility outside the caller's scope; anything out of scope answers
//! 404 like a person that does not exist.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use custodia_app::persons::{
    FileScreening, LegalBasis, PersonFile, PersonScreening, PersonsImport, PersonsUpload, ReadLog,
};
use custodia_app::{AppError, AppResult};
use custodia_store::PersonData;
use custodia_store::cases::CaseRow;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::state::AppState;
use crate::wire::{Page, PageQuery};

/// Most data rows one import request may carry (larger files: `custodia import persons`).
pub const MAX_IMPORT_ROWS: usize = 100_000;
/// Most data rows one screening request may carry (larger files: `custodia screen`).
pub const MAX_SCREEN_ROWS: usize = 250_000;

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

/// Every docs/person-file.md column as the register holds it: text exactly as written, null for unknown.
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
    /// `removal_destination`: the country a removal order sends the person to.
    pub removal_destination: Option<String>,
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

/// The legal basis for holding a person (docs/person-file.md#identity, docs/lifecycle.md, docs/oversight.md#legal-basis).
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
    /// Every docs/person-file.md column, as stored.
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

/// A person file to import (docs/person-file.md CSV).
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
    /// Open cases of amended people, screened again with the new record
    /// (docs/lifecycle.md#rescreening).
    pub rescreened: Vec<RescreenedView>,
}

/// An open case screened again after its person's record was amended.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RescreenedView {
    /// The case.
    pub case_id: i64,
    /// The sending state's id of the person.
    pub person_id: String,
    /// The case's state.
    pub state: String,
    /// The new decision.
    pub decision: String,
    /// The failing rules; held with any is the critical alert `INELIGIBLE_IN_CUSTODY`.
    pub failed: Vec<String>,
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
    /// As in the docs/rules.md reasons: `E07` for a failure, `E02?` for an unknown; `INPUT` when the
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
    /// The docs/rules.md reasons string (`E07;E15?`), empty when eligible.
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
    /// The person file (docs/person-file.md CSV with its header row).
    pub csv: String,
}

/// One row's outcome, exactly as a line of `custodia screen --format jsonl` (docs/command-line.md).
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
// The read log
// ---------------------------------------------------------------------------------------------

/// The server's read log: the app decides that a read is logged, the state's writer batches it.
impl ReadLog for AppState {
    async fn log_read(&self, who: &Principal, person_id: i64, purpose: &'static str) -> AppResult<()> {
        AppState::log_read(self, who, person_id, purpose).await.map_err(|e| AppError::Internal(e.body.message))
    }
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
        removal_destination: p.removal_destination.clone(),
    }
}

fn case_view(row: &CaseRow) -> PersonCaseView {
    let c = &row.case;
    PersonCaseView {
        id: row.id,
        agreement_id: row.agreement_id.clone(),
        state: c.state.as_str().to_owned(),
        decision: c.decision().map(|d| d.as_str().to_owned()),
        facility_id: row.facility_id.clone(),
        cell_id: c.cell_id.clone(),
        admitted_on: c.intake.as_ref().map(|i| i.admitted_on.to_string()),
        return_on: c.return_on.map(|d| d.to_string()),
        on_hold: c.on_hold(),
    }
}

fn legal_basis_view(b: LegalBasis) -> LegalBasisView {
    let c = b.conviction;
    LegalBasisView {
        person_id: b.person_id,
        sending_state: b.sending_state,
        on_record: b.on_record,
        conviction: ConvictionView {
            status: c.status,
            offence_category: c.offence_category,
            sentence_start: c.sentence_start,
            sentence_term: c.sentence_term,
            jail_credit_days: c.jail_credit_days,
        },
        removal_order: b.removal_order,
        recorded_event_seq: b.recorded_event_seq,
        custody: b
            .custody
            .into_iter()
            .map(|k| CustodyBasisView {
                case_id: k.case_id,
                agreement_id: k.agreement_id,
                state: k.state.as_str().to_owned(),
                legal_custodian: k.legal_custodian,
                governing_law: k.governing_law,
                commitment_order: k.commitment_order,
                standing_holds: k.standing_holds,
                sentence_profile: k.sentence_profile,
                life_sentence: k.life_sentence,
                projected_release: k.projected_release.map(|d| d.to_string()),
                return_by: k.return_by.map(|d| d.to_string()),
            })
            .collect(),
    }
}

fn file_view(f: PersonFile) -> PersonFileView {
    let p = &f.person;
    PersonFileView {
        id: p.id,
        sending_state: p.sending_state.clone(),
        version: p.version,
        record: record_view(&p.record),
        identifiers: f
            .identifiers
            .into_iter()
            .map(|i| IdentifierView { state: i.state, scheme: i.scheme, value: i.value })
            .collect(),
        aliases: f
            .aliases
            .into_iter()
            .map(|(family_name, given_names)| AliasView { family_name, given_names })
            .collect(),
        cases: p.cases.iter().map(case_view).collect(),
        legal_basis: legal_basis_view(f.legal_basis),
    }
}

fn screening_view(s: PersonScreening) -> PersonScreeningView {
    PersonScreeningView {
        person_id: s.person_id,
        sending_id: s.sending_id,
        agreement_id: s.agreement_id,
        as_of: s.as_of.to_string(),
        decision: s.decision,
        reasons: s
            .reasons
            .into_iter()
            .map(|r| ReasonView {
                code: r.code,
                rule: r.rule,
                outcome: r.outcome,
                message: r.message,
                citation: r.citation,
            })
            .collect(),
        reasons_text: s.reasons_text,
    }
}

fn batch_view(s: FileScreening) -> BatchScreeningView {
    let c = s.counts;
    BatchScreeningView {
        agreement_id: s.agreement_id,
        as_of: s.as_of.to_string(),
        rows: s
            .rows
            .into_iter()
            .map(|r| ScreenRowView { person_id: r.person_id, decision: r.decision.to_owned(), reasons: r.reasons })
            .collect(),
        summary: ScreenSummary {
            rows: c.rows,
            eligible: c.eligible,
            ineligible: c.ineligible,
            review: c.review,
            invalid: c.invalid,
        },
        unknown_columns: s.unknown_columns,
        missing_columns: s.missing_columns,
    }
}

/// At most this many bytes in an id field of a body (agreement ids are at most 64).
fn short(field: &str, value: &str) -> ApiResult<()> {
    if value.is_empty() || value.len() > 64 {
        return Err(ApiError::invalid(field, custodia_app::fields::length(64)));
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
    let entries = state.app.persons(&who, &q.agreement, after, limit.saturating_add(1)).await?;
    let items: Vec<PersonSummary> = entries.iter().map(|e| summary(e.id, &e.record)).collect();
    Ok(axum::Json(Page::of(items, |p| p.id, after, limit)))
}

/// A person's whole file: every docs/person-file.md column as stored, the identifiers of both states, the
/// aliases, the cases and the legal basis. Every read is logged (docs/access.md).
#[utoipa::path(get, path = "/api/v1/persons/{id}", tag = "persons", params(("id" = i64, Path, description = "Custodia id")),
    responses((status = 200, body = PersonFileView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_person(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
) -> ApiResult<axum::Json<PersonFileView>> {
    Ok(axum::Json(file_view(state.app.person_file(&who, id, &state).await?)))
}

/// The legal basis for holding a person: the conviction and removal order on record and, per
/// case, the custodian state, the governing law, the commitment order, the holds and the dates.
/// Every read is logged (docs/access.md).
#[utoipa::path(get, path = "/api/v1/persons/{id}/legal-basis", tag = "persons", params(("id" = i64, Path, description = "Custodia id")),
    responses((status = 200, body = LegalBasisView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn get_legal_basis(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
) -> ApiResult<axum::Json<LegalBasisView>> {
    Ok(axum::Json(legal_basis_view(state.app.legal_basis(&who, id, &state).await?)))
}

/// Imports a person file of the agreement's sending state (docs/person-file.md): new people are registered,
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
    let upload = PersonsUpload {
        agreement_id: &body.agreement_id,
        csv: body.csv.as_bytes(),
        delimiter: None,
        skip_invalid: false,
        max_rows: Some(MAX_IMPORT_ROWS),
    };
    let imported = match state.app.import_persons(&who, upload, &crate::clock::now()).await? {
        PersonsImport::Imported(imported) => imported,
        PersonsImport::Refused(refused) => return Err(refused.error().into()),
    };
    let status = if imported.added > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        axum::Json(ImportedPersons {
            agreement_id: imported.agreement_id,
            rows: imported.rows,
            added: imported.added,
            amended: imported.amended,
            unchanged: imported.unchanged,
            unknown_columns: imported.unknown_columns,
            missing_columns: imported.missing_columns,
            rescreened: imported
                .rescreened
                .into_iter()
                .map(|r| RescreenedView {
                    case_id: r.case_id,
                    person_id: r.person_id,
                    state: r.state.as_str().to_owned(),
                    decision: r.decision.as_str().to_owned(),
                    failed: r.failed,
                })
                .collect(),
        }),
    ))
}

/// Screens one stored person against the agreement's rules on `as_of` (docs/rules.md). Nothing is
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
    let screening =
        state.app.screen_person(&who, id, &body.agreement_id, &body.as_of, body.lang.as_deref(), &state).await?;
    Ok(axum::Json(screening_view(screening)))
}

/// Screens a person file against the agreement's rules on `as_of` and answers the docs/command-line.md
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
    let screening = state
        .app
        .screen_file(&who, &body.agreement_id, body.csv.as_bytes(), &body.as_of, Some(MAX_SCREEN_ROWS))
        .await?;
    Ok(axum::Json(batch_view(screening)))
}
