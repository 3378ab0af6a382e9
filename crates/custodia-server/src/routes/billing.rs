//! Billing (docs/billing.md, docs/access.md): invoices and credit notes drawn from the custody records, drafted by one
//! finance officer and issued by another (the two-person rule), and the reports built on them —
//! sustainability (docs/billing.md) and the legal-basis audit (docs/oversight.md#legal-basis).
//!
//! A draft is recomputed at issue and issued only when it is the same byte for byte; an issued
//! document never changes. `GET /api/v1/invoices/{id}?format=canonical` answers the stored
//! canonical JSON of an issued document, whose SHA-256 is the document's hash; `?format=csv` its
//! CSV export. The use cases are the application layer's (`custodia_app::billing`); this module
//! parses the requests and renders the answers.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use custodia_app::billing::{self as app_billing, DraftInvoice as DraftRequest, ExportFormat, Invoice};
use custodia_core::billing::ExtraFields;
use custodia_core::ledger::{self, Document};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody as Json, PathParam as Path, QueryParams as Query};
use crate::state::AppState;
use crate::wire::{Page, PageQuery, date};

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_invoices, get_invoice, draft_invoice, issue_invoice, draft_credit_note, sustainability, legal_basis),
    components(schemas(
        InvoiceView,
        InvoiceDocumentView,
        InvoiceLineView,
        DraftInvoice,
        ExtraRequest,
        CreditNoteRequest,
        SustainabilityReport,
        SustainabilityRowView,
        LegalBasisFinding,
        Page<InvoiceView>
    )),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/invoices", get(list_invoices).post(draft_invoice))
        .route("/api/v1/invoices/credit-notes", post(draft_credit_note))
        .route("/api/v1/invoices/{id}", get(get_invoice))
        .route("/api/v1/invoices/{id}/issue", post(issue_invoice))
        .route("/api/v1/reports/sustainability", get(sustainability))
        .route("/api/v1/reports/legal-basis", get(legal_basis))
}

// ---------------------------------------------------------------------------------------------
// Wire types
// ---------------------------------------------------------------------------------------------

/// A line of a document.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceLineView {
    /// `PERSON_DAYS`, `CAPITA`, `ENVELOPE_LIMIT`, `ADJUSTMENT`, `EXTRA:<code>`, …
    pub code: String,
    /// For people.
    pub description: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price, minor units.
    pub unit_price_minor: i64,
    /// Amount, minor units (rounded once, half to even).
    pub amount_minor: i64,
    /// For an `ADJUSTMENT`, the period it corrects.
    pub refers_to: Option<String>,
}

/// An invoice or credit note as drawn from the records.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceDocumentView {
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// The document number.
    pub number: String,
    /// The agreement.
    pub agreement_id: String,
    /// The agreement version it was computed under.
    pub agreement_version: i64,
    /// `YYYY-MM`.
    pub period: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// The lines.
    pub lines: Vec<InvoiceLineView>,
    /// The total, minor units.
    pub total_minor: i64,
    /// Σ pop(d) over the period's covered days.
    pub person_days: i64,
    /// Warnings (an envelope reached, …).
    pub warnings: Vec<String>,
}

/// A stored document, drafted or issued.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceView {
    /// The draft id (the `{id}` of its paths).
    pub id: i64,
    /// The document number.
    pub number: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// `YYYY-MM`.
    pub period: String,
    /// `draft` or `issued`.
    pub status: String,
    /// The total, minor units.
    pub total_minor: i64,
    /// SHA-256 (lowercase hex) of the stored canonical JSON (`?format=canonical`).
    pub sha256: String,
    /// Who prepared it (the first person).
    pub prepared_by: String,
    /// The `invoice.drafted` journal event.
    pub prepared_event: i64,
    /// Who issued it (the second person); null for a draft.
    pub issued_by: Option<String>,
    /// When it was issued, RFC 3339 UTC.
    pub issued_at: Option<String>,
    /// The `invoice.issued` journal event.
    pub issued_event: Option<i64>,
    /// The document.
    pub document: InvoiceDocumentView,
}

fn document_view(doc: &Document) -> InvoiceDocumentView {
    InvoiceDocumentView {
        kind: doc.kind.as_str().to_owned(),
        number: doc.number.clone(),
        agreement_id: doc.agreement_id.clone(),
        agreement_version: doc.agreement_version,
        period: doc.period.clone(),
        currency: doc.currency.clone(),
        lines: doc
            .lines
            .iter()
            .map(|l| InvoiceLineView {
                code: l.line.code.clone(),
                description: l.line.description.clone(),
                quantity: l.line.quantity,
                unit_price_minor: l.line.unit_price_minor,
                amount_minor: l.line.amount_minor,
                refers_to: l.refers_to.clone(),
            })
            .collect(),
        total_minor: doc.total_minor,
        person_days: doc.person_days,
        warnings: doc.warnings.clone(),
    }
}

fn invoice_view(invoice: &Invoice) -> InvoiceView {
    let row = &invoice.row;
    InvoiceView {
        id: row.id,
        number: row.number.clone(),
        kind: row.kind.clone(),
        period: row.period.clone(),
        status: if row.issued.is_some() { "issued" } else { "draft" }.to_owned(),
        total_minor: row.total_minor,
        sha256: row.sha256_hex(),
        prepared_by: row.prepared_by.clone(),
        prepared_event: row.prepared_seq,
        issued_by: row.issued.as_ref().map(|i| i.issued_by.clone()),
        issued_at: row.issued.as_ref().map(|i| i.issued_at.clone()),
        issued_event: row.issued.as_ref().map(|i| i.issued_seq),
        document: document_view(&invoice.document),
    }
}

// ---------------------------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------------------------

/// Filters of the invoice list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceQuery {
    /// The agreement (required).
    pub agreement: String,
    /// Cursor: documents with a greater id.
    pub after: Option<i64>,
    /// Page size.
    pub limit: Option<u32>,
}

/// The documents of an agreement, drafts and issued, in the order they were drafted.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices", params(InvoiceQuery),
    responses((status = 200, body = Page<InvoiceView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_invoices(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<InvoiceQuery>,
) -> ApiResult<axum::Json<Page<InvoiceView>>> {
    let (after, limit) = PageQuery { after: q.after, limit: q.limit }.resolve(state.config.max_page_items)?;
    let invoices = state.app.invoices_page(&who, &q.agreement, after, limit.saturating_add(1)).await?;
    let page = Page::of(invoices, |i| i.row.id, after, limit);
    Ok(axum::Json(Page { items: page.items.iter().map(invoice_view).collect(), next_after: page.next_after }))
}

/// How to answer a document.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceFormat {
    /// `json` (default: the document with its hash and who prepared and issued it), `canonical`
    /// (the stored canonical JSON, byte for byte: its SHA-256 is `sha256`) or `csv` (one row per
    /// line); `canonical` and `csv` export issued documents only.
    pub format: Option<String>,
}

fn with_type(body: Vec<u8>, content_type: &'static str, sha256: &str) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(sha256) {
        response.headers_mut().insert("x-document-sha256", v);
    }
    response
}

/// One document: the JSON view, the stored canonical JSON, or the CSV export.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "invoices",
    params(("id" = i64, Path, description = "Draft id"), InvoiceFormat),
    responses(
        (status = 200, description = "The document", content(
            (InvoiceView = "application/json"),
            (String = "text/csv"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`NOT_ISSUED`: only issued documents are exported (canonical JSON or CSV)")))]
async fn get_invoice(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Query(q): Query<InvoiceFormat>,
) -> ApiResult<Response> {
    let (format, content_type) = match q.format.as_deref().unwrap_or("json") {
        "json" => return Ok(axum::Json(invoice_view(&state.app.invoice(&who, id).await?)).into_response()),
        "canonical" => (ExportFormat::Canonical, "application/json"),
        "csv" => (ExportFormat::Csv, "text/csv; charset=utf-8"),
        other => {
            return Err(ApiError::invalid(
                "format",
                custodia_i18n::Text::new("INVALID.format").arg("value", format!("{other:?}")),
            ));
        }
    };
    let exported = state.app.export_invoice(&who, id, format).await?;
    Ok(with_type(exported.bytes, content_type, &exported.sha256))
}

/// An extras row: billed as an `EXTRA:<code>` line in the month it occurred.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraRequest {
    /// When it occurred, YYYY-MM-DD (in the period).
    pub date: String,
    /// Its code (transport, medical, interpreter…).
    pub code: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Amount, a positive integer of minor units.
    pub amount_minor: i64,
}

/// Drafting the invoice of a period.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftInvoice {
    /// The agreement.
    pub agreement_id: String,
    /// The billing period, YYYY-MM: in the term, and over (as of today in the agreement's time
    /// zone, its first facility's).
    pub period: String,
    /// Extras of the period.
    #[serde(default)]
    pub extras: Vec<ExtraRequest>,
}

/// Drafts the invoice of a period from the custody records (the first of two people). Refused
/// (409) when the period is not over, already issued, or an earlier period is not issued yet.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "invoices", request_body = DraftInvoice,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = InvoiceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn draft_invoice(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<DraftInvoice>,
) -> ApiResult<(StatusCode, axum::Json<InvoiceView>)> {
    let extras = body
        .extras
        .into_iter()
        .map(|e| ExtraFields {
            date: e.date,
            code: e.code,
            description: e.description,
            amount_minor: e.amount_minor.to_string(),
        })
        .collect();
    let request = DraftRequest { agreement_id: body.agreement_id, period: body.period, extras, on: None };
    let drafted = state.app.draft_invoice(&who, &request, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(invoice_view(&drafted))))
}

/// Issues a draft (the second person): recomputed from the records as they stand and issued only
/// when identical; then immutable. The user who prepared it may not issue it (`TWO_PERSON_RULE`).
#[utoipa::path(post, path = "/api/v1/invoices/{id}/issue", tag = "invoices",
    params(("id" = i64, Path, description = "Draft id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = InvoiceView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`TWO_PERSON_RULE` (the preparer may not issue), or `REFUSED` (already issued, stale draft, …)")))]
async fn issue_invoice(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<InvoiceView>> {
    let issued = state.app.issue_invoice(&who, id, &crate::clock::now()).await?;
    Ok(axum::Json(invoice_view(&issued)))
}

/// Drafting the credit note of an agreement that has ended.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNoteRequest {
    /// The agreement.
    pub agreement_id: String,
}

/// Drafts the credit note that settles an agreement once it has ended and every period is
/// issued (issue it like an invoice).
#[utoipa::path(post, path = "/api/v1/invoices/credit-notes", tag = "invoices", request_body = CreditNoteRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = InvoiceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn draft_credit_note(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<CreditNoteRequest>,
) -> ApiResult<(StatusCode, axum::Json<InvoiceView>)> {
    let drafted = state.app.draft_credit_note(&who, &body.agreement_id, None, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(invoice_view(&drafted))))
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

/// Parameters of the sustainability report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SustainabilityQuery {
    /// The agreement (required).
    pub agreement: String,
    /// The receiving state's annual prison budget, minor units of the agreement's currency (≥ 1).
    #[param(value_type = Option<i64>)]
    pub receiving_budget_minor: Option<String>,
    /// The sending state's cost of holding one person for a day at home, minor units (≥ 0); the
    /// default, 12080 (US Bureau of Prisons FY2023), applies only to US agreements billed in USD.
    #[param(value_type = Option<i64>)]
    pub home_cost_per_day_minor: Option<String>,
}

/// An optional integer query parameter (empty means absent); its range is the app's rule.
pub(crate) fn amount_param(field: &str, value: Option<&str>) -> ApiResult<Option<i64>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            ApiError::invalid(field, custodia_i18n::Text::new("INVALID.integer").arg("value", format!("{v:?}")))
        }),
    }
}

/// A row of the sustainability report (a month, or an agreement year).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SustainabilityRowView {
    /// `YYYY-MM`, or `year N`.
    pub label: String,
    /// First day covered.
    pub from: String,
    /// Last day covered.
    pub to: String,
    /// Cash view: the issued documents' totals, in the month each was issued for.
    pub invoiced_minor: i64,
    /// Accrual view: the issued documents' lines spread over the days they cover (per-capita
    /// coverage over its days, an adjustment in the period it corrects).
    pub accrued_minor: i64,
    /// Person-days billed.
    pub person_days: i64,
    /// What the same person-days would have cost at home.
    pub home_cost_minor: i64,
    /// Departures to the receiving state in the custody records (`depart`).
    pub departures: i64,
    /// Journeys back in the custody records (`return`, `turn_back`).
    pub returns: i64,
    /// The journeys priced by the agreement's `[extras_tariff]`; null when it has none (counted,
    /// not priced).
    pub transport_minor: Option<i64>,
    /// Cash view: `home_cost_minor − invoiced_minor − transport_minor` (transport 0 when not
    /// priced).
    pub sending_state_saving_minor: i64,
    /// Accrual view: `home_cost_minor − accrued_minor − transport_minor`.
    pub accrual_saving_minor: i64,
    /// Cash view: invoiced revenue as a share of the receiving state's prison budget, basis
    /// points (null without a budget).
    pub budget_share_bp: Option<i64>,
    /// Accrual view: accrued revenue as a share of the prison budget, basis points (null without
    /// a budget).
    pub accrual_budget_share_bp: Option<i64>,
    /// Issued documents counted (0: not invoiced yet).
    pub documents: usize,
}

/// The sustainability report (as `custodia report sustainability --json`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SustainabilityReport {
    /// The agreement.
    pub agreement_id: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// The home cost per person-day used.
    pub home_cost_per_day_minor: i64,
    /// The receiving state's annual prison budget, if given.
    pub receiving_budget_minor: Option<i64>,
    /// One row per period of the term.
    pub months: Vec<SustainabilityRowView>,
    /// One row per agreement year.
    pub years: Vec<SustainabilityRowView>,
    /// Whether the agreement's `[extras_tariff]` prices the journeys.
    pub transport_priced: bool,
    /// What the reader must know (transport possibly counted twice, journeys outside the term).
    pub warnings: Vec<String>,
}

fn sustainability_rows(rows: &[ledger::SustainabilityRow]) -> Vec<SustainabilityRowView> {
    rows.iter()
        .map(|r| SustainabilityRowView {
            label: r.label.clone(),
            from: r.from.to_string(),
            to: r.to.to_string(),
            invoiced_minor: r.invoiced_minor,
            accrued_minor: r.accrued_minor,
            person_days: r.person_days,
            home_cost_minor: r.home_cost_minor,
            departures: r.departures,
            returns: r.returns,
            transport_minor: r.transport_minor,
            sending_state_saving_minor: r.sending_state_saving_minor,
            accrual_saving_minor: r.accrual_saving_minor,
            budget_share_bp: r.budget_share_bp,
            accrual_budget_share_bp: r.accrual_budget_share_bp,
            documents: r.documents,
        })
        .collect()
}

/// Invoiced revenue (issued documents) against the receiving state's prison budget and the sending
/// state's cost of holding the same person-days at home, per month and per agreement year, in two
/// views (cash: as invoiced; accrual: spread over the days charged for), with the journeys of the
/// custody records priced by the agreement's extras tariff.
#[utoipa::path(get, path = "/api/v1/reports/sustainability", tag = "reports", params(SustainabilityQuery),
    responses((status = 200, body = SustainabilityReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn sustainability(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<SustainabilityQuery>,
) -> ApiResult<axum::Json<SustainabilityReport>> {
    let request = app_billing::SustainabilityRequest {
        agreement_id: q.agreement,
        receiving_budget_minor: amount_param("receiving_budget_minor", q.receiving_budget_minor.as_deref())?,
        home_cost_per_day_minor: amount_param("home_cost_per_day_minor", q.home_cost_per_day_minor.as_deref())?,
    };
    let report = state.app.sustainability(&who, &request).await?;
    Ok(axum::Json(SustainabilityReport {
        agreement_id: report.agreement_id,
        currency: report.currency,
        home_cost_per_day_minor: report.home_cost_per_day_minor,
        receiving_budget_minor: report.receiving_budget_minor,
        months: sustainability_rows(&report.report.months),
        years: sustainability_rows(&report.report.years),
        transport_priced: report.report.transport_priced,
        warnings: report.report.warnings,
    }))
}

/// Parameters of the legal-basis audit.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LegalBasisQuery {
    /// The agreement (required).
    pub agreement: String,
    /// The day of the audit, YYYY-MM-DD (default: today in the agreement's time zone, its first
    /// facility's).
    pub on: Option<String>,
}

/// A case whose legal basis is missing, expired or on hold.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LegalBasisFinding {
    /// The case.
    pub case_id: i64,
    /// The sending state's id of the person.
    pub person_id: String,
    /// The case's state (`in_transit`, `in_custody`, `return_scheduled`).
    pub state: String,
    /// What is wrong: `missing: …`, `expired: …`, `on hold: …`.
    pub problems: Vec<String>,
}

/// The legal-basis audit (docs/oversight.md#legal-basis; as `custodia report legal-basis --json`): everyone held under
/// the agreement, in the caller's scope, whose legal basis is missing, expired (past the projected
/// release) or on hold.
#[utoipa::path(get, path = "/api/v1/reports/legal-basis", tag = "reports", params(LegalBasisQuery),
    responses((status = 200, body = [LegalBasisFinding]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn legal_basis(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<LegalBasisQuery>,
) -> ApiResult<axum::Json<Vec<LegalBasisFinding>>> {
    let on = match q.on.as_deref() {
        Some(d) => date("on", d)?,
        None => state.app.today_at(&who, &q.agreement, None, &crate::clock::now()).await?,
    };
    let findings = state
        .app
        .legal_basis_report(&who, &q.agreement, on)
        .await?
        .into_iter()
        .map(|f| LegalBasisFinding {
            case_id: f.case_id,
            person_id: f.person_id,
            state: f.state.as_str().to_owned(),
            problems: f.problems,
        })
        .collect();
    Ok(axum::Json(findings))
}
