//! Health care, visits and calls, and solitary confinement (docs/rights.md#health,
//! docs/rights.md#visits, docs/rights.md#solitary).
//!
//! An examination's findings and injuries (the health file) are shown to medical officers only;
//! everyone else in scope reads `health_file_withheld: true` and the fitness.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use custodia_app::care::{CareRecord, NewExamination, NewPlacement, NewVisit};
use custodia_store::CareItem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{JsonBody as Json, Lang, PathParam as Path, QueryParams as Query};
use crate::routes::oversight::AgreementListQuery;
use crate::state::AppState;
use crate::wire::{Page, PageQuery, timestamp};

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_care, get_care, record_examination, record_visit, place_in_solitary, end_solitary, inspection_report),
    components(schemas(ReportLineView, CareView, ExaminationView, VisitView, PlacementView, RecordExamination, RecordVisit,
        PlaceInSolitary, EndSolitary, Page<CareView>)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/care", get(list_care))
        .route("/api/v1/care/{id}", get(get_care))
        .route("/api/v1/examinations", post(record_examination))
        .route("/api/v1/visits", post(record_visit))
        .route("/api/v1/solitary", post(place_in_solitary))
        .route("/api/v1/solitary/{id}/end", post(end_solitary))
        .route("/api/v1/reports/inspection", get(inspection_report))
}

/// A medical examination.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ExaminationView {
    /// `admission`, `solitary_review`, `transfer` or `other`.
    pub purpose: String,
    /// The examining doctor or nurse.
    pub examiner: String,
    /// When, RFC 3339 UTC.
    pub examined_at: String,
    /// `fit` or `unfit` for custody.
    pub fit_for_custody: String,
    /// `fit` or `unfit` for a transfer.
    pub fit_for_transfer: String,
    /// `fit` or `unfit` for solitary confinement.
    pub fit_for_solitary: String,
    /// The findings: medical officers only.
    pub findings: Option<String>,
    /// The injuries documented: medical officers only.
    pub injuries: Option<String>,
    /// The caller may not read the health file (findings and injuries).
    pub health_file_withheld: bool,
    /// For an admission examination: the intake's day and the visible injuries it recorded.
    pub intake_admitted_on: Option<String>,
    /// Visible injuries as the intake recorded them.
    pub intake_visible_injuries: Option<String>,
}

/// A visit or call.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitView {
    /// `family_visit`, `family_call`, `consular_visit` or `counsel_visit`.
    pub kind: String,
    /// Who visited or called.
    pub visitor: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// `held` or `refused`.
    pub outcome: String,
    /// The ground of a refusal.
    pub ground: Option<String>,
    /// The reason of a refusal.
    pub reason: Option<String>,
}

/// A placement in solitary confinement.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PlacementView {
    /// When it started, RFC 3339 UTC.
    pub start_at: String,
    /// Why.
    pub reason: String,
    /// Who authorised it.
    pub authorised_by: String,
    /// When it ended, if it did.
    pub ended_at: Option<String>,
    /// Who ended it.
    pub ended_by: Option<String>,
}

/// A record of care: exactly one of `examination`, `visit` and `placement`, as `kind` says.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CareView {
    /// The record id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person.
    pub case_id: i64,
    /// `examination`, `visit` or `placement`.
    pub kind: String,
    /// The examination.
    pub examination: Option<ExaminationView>,
    /// The visit or call.
    pub visit: Option<VisitView>,
    /// The placement.
    pub placement: Option<PlacementView>,
}

fn care_view(record: &CareRecord) -> CareView {
    let row = &record.row;
    let (mut examination, mut visit, mut placement) = (None, None, None);
    match &row.item {
        CareItem::Examination(e) => {
            let shown = |text: Option<&str>| if record.health_file_withheld { None } else { text.map(str::to_owned) };
            examination = Some(ExaminationView {
                purpose: e.purpose.as_str().to_owned(),
                examiner: e.examiner.clone(),
                examined_at: e.examined_at.clone(),
                fit_for_custody: e.fitness.custody.as_str().to_owned(),
                fit_for_transfer: e.fitness.transfer.as_str().to_owned(),
                fit_for_solitary: e.fitness.solitary.as_str().to_owned(),
                findings: shown(Some(&e.findings)),
                injuries: shown(e.injuries.as_deref()),
                health_file_withheld: record.health_file_withheld,
                intake_admitted_on: e.intake.as_ref().map(|i| i.admitted_on.to_string()),
                intake_visible_injuries: e.intake.as_ref().map(|i| i.visible_injuries.clone()),
            });
        }
        CareItem::Visit(v) => {
            visit = Some(VisitView {
                kind: v.kind.as_str().to_owned(),
                visitor: v.visitor.clone(),
                at: v.at.clone(),
                outcome: if v.held() { "held" } else { "refused" }.to_owned(),
                ground: v.refusal.as_ref().map(|r| r.ground.as_str().to_owned()),
                reason: v.refusal.as_ref().map(|r| r.reason.clone()),
            });
        }
        CareItem::Placement(p) => {
            placement = Some(PlacementView {
                start_at: p.start_at.clone(),
                reason: p.reason.clone(),
                authorised_by: p.authorised_by.clone(),
                ended_at: p.end.as_ref().map(|e| e.at.clone()),
                ended_by: p.end.as_ref().map(|e| e.by.clone()),
            });
        }
    }
    CareView {
        id: row.id,
        agreement_id: row.agreement_id.clone(),
        case_id: row.case_id,
        kind: row.item.kind().to_owned(),
        examination,
        visit,
        placement,
    }
}

/// The records of care of an agreement in the caller's scope, by id.
#[utoipa::path(get, path = "/api/v1/care", tag = "care", params(AgreementListQuery),
    responses((status = 200, body = Page<CareView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_care(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AgreementListQuery>,
) -> ApiResult<axum::Json<Page<CareView>>> {
    let (after, limit) = PageQuery { after: q.after, limit: q.limit }.resolve(state.config.max_page_items)?;
    let rows = state.app.care_page(&who, &q.agreement, after, limit.saturating_add(1)).await?;
    Ok(axum::Json(Page::of(rows.iter().map(care_view), |c| c.id, after, limit)))
}

/// One record of care.
#[utoipa::path(get, path = "/api/v1/care/{id}", tag = "care", params(("id" = i64, Path, description = "Record id")),
    responses((status = 200, body = CareView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_care(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<CareView>> {
    Ok(axum::Json(care_view(&state.app.care_record(&who, id).await?)))
}

/// Recording a medical examination.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordExamination {
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person examined.
    pub case_id: i64,
    /// `admission`, `solitary_review`, `transfer` or `other`.
    pub purpose: String,
    /// The examining doctor or nurse (name and qualification).
    pub examiner: String,
    /// When, RFC 3339 with any offset (default: now; not in the future).
    pub examined_at: Option<String>,
    /// `fit` or `unfit`.
    pub fit_for_custody: String,
    /// `fit` or `unfit`.
    pub fit_for_transfer: String,
    /// `fit` or `unfit`.
    pub fit_for_solitary: String,
    /// The findings (health file).
    pub findings: String,
    /// The injuries documented (health file); required when the intake recorded visible injuries.
    pub injuries: Option<String>,
}

/// Records a medical examination (medical officers; `INJURIES_UNDOCUMENTED`).
#[utoipa::path(post, path = "/api/v1/examinations", tag = "care", request_body = RecordExamination,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = CareView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn record_examination(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<RecordExamination>,
) -> ApiResult<(StatusCode, axum::Json<CareView>)> {
    let new = NewExamination {
        examined_at: body.examined_at.as_deref().map(|t| timestamp("examined_at", t)).transpose()?,
        agreement_id: body.agreement_id,
        case_id: body.case_id,
        purpose: body.purpose,
        examiner: body.examiner,
        fit_for_custody: body.fit_for_custody,
        fit_for_transfer: body.fit_for_transfer,
        fit_for_solitary: body.fit_for_solitary,
        findings: body.findings,
        injuries: body.injuries,
    };
    let record = state.app.record_examination(&who, &new, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(care_view(&record))))
}

/// Recording a visit or call. There is no field for what was said: a counsel visit's content is
/// never recorded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordVisit {
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person visited.
    pub case_id: i64,
    /// `family_visit`, `family_call`, `consular_visit` or `counsel_visit`.
    pub kind: String,
    /// Who visited or called.
    pub visitor: String,
    /// When, RFC 3339 with any offset (default: now; not in the future).
    pub at: Option<String>,
    /// `held` or `refused`.
    pub outcome: String,
    /// For a refusal: `capacity`, `security`, `discipline`, `declined`, `visitor_absent` or `other`.
    pub ground: Option<String>,
    /// For a refusal: the reason in words.
    pub reason: Option<String>,
}

/// Records a visit or call, held or refused (`COUNSEL_NOT_REFUSABLE`, `NOT_IN_CUSTODY`).
#[utoipa::path(post, path = "/api/v1/visits", tag = "care", request_body = RecordVisit,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = CareView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn record_visit(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<RecordVisit>,
) -> ApiResult<(StatusCode, axum::Json<CareView>)> {
    let new = NewVisit {
        at: body.at.as_deref().map(|t| timestamp("at", t)).transpose()?,
        agreement_id: body.agreement_id,
        case_id: body.case_id,
        kind: body.kind,
        visitor: body.visitor,
        outcome: body.outcome,
        ground: body.ground,
        reason: body.reason,
    };
    let record = state.app.record_visit(&who, &new, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(care_view(&record))))
}

/// Placing a person in solitary confinement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceInSolitary {
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person placed.
    pub case_id: i64,
    /// Why.
    pub reason: String,
    /// When it started, RFC 3339 with any offset (default: now; not in the future).
    pub start_at: Option<String>,
}

/// Places a person in solitary confinement; the caller authorises it (`UNFIT_FOR_SOLITARY`,
/// `ALREADY_IN_SOLITARY`, `NOT_IN_CUSTODY`).
#[utoipa::path(post, path = "/api/v1/solitary", tag = "care", request_body = PlaceInSolitary,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = CareView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn place_in_solitary(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<PlaceInSolitary>,
) -> ApiResult<(StatusCode, axum::Json<CareView>)> {
    let new = NewPlacement {
        start_at: body.start_at.as_deref().map(|t| timestamp("start_at", t)).transpose()?,
        agreement_id: body.agreement_id,
        case_id: body.case_id,
        reason: body.reason,
    };
    let record = state.app.place_in_solitary(&who, &new, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(care_view(&record))))
}

/// Ending a placement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndSolitary {
    /// When it ended, RFC 3339 with any offset (default: now; not in the future).
    pub at: Option<String>,
}

/// Ends a placement in solitary confinement (`ALREADY_ENDED`).
#[utoipa::path(post, path = "/api/v1/solitary/{id}/end", tag = "care", request_body = EndSolitary,
    params(("id" = i64, Path, description = "Placement record id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CareView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn end_solitary(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Json(body): Json<EndSolitary>,
) -> ApiResult<axum::Json<CareView>> {
    let at = body.at.as_deref().map(|t| timestamp("at", t)).transpose()?;
    Ok(axum::Json(care_view(&state.app.end_solitary(&who, id, at.as_ref(), &crate::clock::now()).await?)))
}

/// The facility, the period and the format of an inspector's report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    /// The agreement (required).
    pub agreement: String,
    /// The facility (required).
    pub facility: String,
    /// First day, YYYY-MM-DD.
    pub from: String,
    /// Last day, YYYY-MM-DD (the period is at most 3,660 days).
    pub to: String,
    /// `json` (default), `csv` or `svg`; labels in the language of `Accept-Language`.
    pub format: Option<String>,
}

/// One figure of the report.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportLineView {
    /// Stable key: `complaints-filed`, `admissions`, `solitary-days`, … (docs/rights.md#report).
    pub metric: String,
    /// The complaint category of the complaint lines.
    pub category: Option<String>,
    /// The label, in the language of `Accept-Language`.
    pub label: String,
    /// The figure.
    pub value: i64,
}

/// The inspector's report for a facility and a period (docs/rights.md#report): complaints by
/// category and their answers, examinations on time, visits against the minimum, solitary
/// confinement, allegations and their investigations; as JSON lines, CSV or an SVG chart.
#[utoipa::path(get, path = "/api/v1/reports/inspection", tag = "care", params(InspectionQuery),
    responses((status = 200, body = [ReportLineView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn inspection_report(
    State(state): State<AppState>,
    who: Principal,
    Lang(language): Lang,
    Query(q): Query<InspectionQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    use custodia_app::inspection::{report_csv, report_lines, report_svg};
    let from = crate::wire::date("from", &q.from)?;
    let to = crate::wire::date("to", &q.to)?;
    let format = q.format.as_deref().unwrap_or("json");
    if !["json", "csv", "svg"].contains(&format) {
        let text = custodia_app::fields::is_not(format, &["json", "csv", "svg"]);
        return Err(custodia_app::AppError::invalid("format", text).into());
    }
    let report = state.app.inspection_report(&who, &q.agreement, &q.facility, from, to).await?;
    let typed = |content_type: &'static str, body: String| {
        ([(axum::http::header::CONTENT_TYPE, content_type)], body).into_response()
    };
    Ok(match format {
        "csv" => typed("text/csv; charset=utf-8", report_csv(&report, language)),
        "svg" => typed("image/svg+xml", report_svg(&report, language)),
        _ => {
            let lines: Vec<ReportLineView> = report_lines(&report)
                .into_iter()
                .map(|l| ReportLineView {
                    label: custodia_app::inspection::report_label(language, &l),
                    metric: l.metric.to_owned(),
                    category: l.category.map(str::to_owned),
                    value: l.value,
                })
                .collect();
            axum::Json(lines).into_response()
        }
    })
}
