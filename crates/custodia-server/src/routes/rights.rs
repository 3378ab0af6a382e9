//! The detainee's side (docs/rights.md): requests and complaints (docs/rights.md#complaints).
//!
//! A confidential complaint answers 404 to anyone but the inspecting bodies and the sending
//! state's officers, like a record out of scope.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use custodia_app::rights::NewComplaint;
use custodia_store::ComplaintRow;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{JsonBody as Json, PathParam as Path, QueryParams as Query};
use crate::routes::oversight::AgreementListQuery;
use crate::state::AppState;
use crate::wire::{Page, PageQuery, timestamp};

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_complaints, file_complaint, get_complaint, answer_complaint, escalate_complaint),
    components(schemas(ComplaintView, AnswerView, EscalationView, FileComplaint, ComplaintAnswer, ComplaintEscalation, Page<ComplaintView>)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/complaints", get(list_complaints).post(file_complaint))
        .route("/api/v1/complaints/{id}", get(get_complaint))
        .route("/api/v1/complaints/{id}/answer", post(answer_complaint))
        .route("/api/v1/complaints/{id}/escalate", post(escalate_complaint))
}

/// A complaint's answer.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AnswerView {
    /// The answer.
    pub text: String,
    /// Who answered.
    pub by: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// Answered after its deadline.
    pub late: bool,
}

/// A complaint's escalation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EscalationView {
    /// The inspecting body.
    pub body: String,
    /// Who escalated it.
    pub by: String,
    /// When, RFC 3339 UTC.
    pub at: String,
}

/// A request or complaint.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ComplaintView {
    /// The complaint id.
    pub id: i64,
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
    /// Who recorded it.
    pub filed_by: String,
    /// When it was made, RFC 3339 UTC.
    pub made_at: String,
    /// When the answer is due (`[rights] complaint_answer_days` later), RFC 3339 UTC.
    pub due_at: String,
    /// It alleges torture or ill-treatment.
    pub alleges_ill_treatment: bool,
    /// The allegation's incident, opened with it.
    pub incident_id: Option<i64>,
    /// The answer, once given.
    pub answer: Option<AnswerView>,
    /// The escalation, once made.
    pub escalation: Option<EscalationView>,
}

fn complaint_view(row: &ComplaintRow) -> ComplaintView {
    let c = &row.complaint;
    ComplaintView {
        id: row.id,
        agreement_id: row.agreement_id.clone(),
        case_id: row.case_id,
        category: c.category.as_str().to_owned(),
        confidential: c.confidential,
        text: c.text.clone(),
        filed_by: c.filed_by.clone(),
        made_at: c.filed_at.clone(),
        due_at: custodia_store::Timestamp::from_unix_seconds(c.due_at_unix)
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default(),
        alleges_ill_treatment: c.alleges_ill_treatment,
        incident_id: c.incident_id,
        answer: c.answer.as_ref().map(|a| AnswerView {
            text: a.text.clone(),
            by: a.by.clone(),
            at: a.at.clone(),
            late: c.answered_late(),
        }),
        escalation: c.escalation.as_ref().map(|e| EscalationView {
            body: e.body.clone(),
            by: e.by.clone(),
            at: e.at.clone(),
        }),
    }
}

/// The complaints of an agreement the caller may read, by id.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", params(AgreementListQuery),
    responses((status = 200, body = Page<ComplaintView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_complaints(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AgreementListQuery>,
) -> ApiResult<axum::Json<Page<ComplaintView>>> {
    let (after, limit) = PageQuery { after: q.after, limit: q.limit }.resolve(state.config.max_page_items)?;
    let rows = state.app.complaints_page(&who, &q.agreement, after, limit.saturating_add(1)).await?;
    Ok(axum::Json(Page::of(rows.iter().map(complaint_view), |c| c.id, after, limit)))
}

/// One complaint (404 when it is confidential and the caller may not read it).
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", params(("id" = i64, Path, description = "Complaint id")),
    responses((status = 200, body = ComplaintView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_complaint(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<ComplaintView>> {
    Ok(axum::Json(complaint_view(&state.app.complaint(&who, id).await?)))
}

/// Recording a request or complaint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileComplaint {
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person it is by or for.
    pub case_id: i64,
    /// `conditions`, `treatment`, `health`, `legal`, `family`, `property` or `other`.
    pub category: String,
    /// Readable only by the inspecting bodies and the sending state's officers (recorded only by
    /// them).
    #[serde(default)]
    pub confidential: bool,
    /// The complaint in the detainee's words.
    pub text: String,
    /// It alleges torture or ill-treatment: the allegation's incident is opened with it.
    #[serde(default)]
    pub alleges_ill_treatment: bool,
    /// When it was made, RFC 3339 with any offset (default: now; not in the future).
    pub made_at: Option<String>,
}

/// Records a request or complaint by or for the person of a case; the answer is due
/// `[rights] complaint_answer_days` after it was made (`COMPLAINT_UNANSWERED` after that).
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", request_body = FileComplaint,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = ComplaintView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn file_complaint(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<FileComplaint>,
) -> ApiResult<(StatusCode, axum::Json<ComplaintView>)> {
    let new = NewComplaint {
        made_at: body.made_at.as_deref().map(|t| timestamp("made_at", t)).transpose()?,
        agreement_id: body.agreement_id,
        case_id: body.case_id,
        category: body.category,
        confidential: body.confidential,
        text: body.text,
        alleges_ill_treatment: body.alleges_ill_treatment,
    };
    let row = state.app.file_complaint(&who, &new, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(complaint_view(&row))))
}

/// A complaint's answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintAnswer {
    /// The answer.
    pub text: String,
}

/// Answers a complaint (once: `ALREADY_ANSWERED`).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/answer", tag = "complaints", request_body = ComplaintAnswer,
    params(("id" = i64, Path, description = "Complaint id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = ComplaintView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn answer_complaint(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Json(body): Json<ComplaintAnswer>,
) -> ApiResult<axum::Json<ComplaintView>> {
    Ok(axum::Json(complaint_view(&state.app.answer_complaint(&who, id, &body.text, &crate::clock::now()).await?)))
}

/// A complaint's escalation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintEscalation {
    /// An inspecting body the agreement names (`[oversight] inspection_bodies`).
    pub body: String,
}

/// Escalates a complaint to an inspecting body (once: `ALREADY_ESCALATED`).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/escalate", tag = "complaints", request_body = ComplaintEscalation,
    params(("id" = i64, Path, description = "Complaint id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = ComplaintView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn escalate_complaint(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Json(body): Json<ComplaintEscalation>,
) -> ApiResult<axum::Json<ComplaintView>> {
    Ok(axum::Json(complaint_view(&state.app.escalate_complaint(&who, id, &body.body, &crate::clock::now()).await?)))
}
