//! Oversight (SPEC §9): incidents and their mandatory notifications (§9.1), inspections and the
//! states of their recommendations (§9.2), and the consular and family contact log (§9.5).
//!
//! Reports are never edited: a correction is an addendum appended to the report. A death, a
//! disappearance or a serious injury opens three notifications (next of kin, the sending state, an
//! independent authority), each due within the agreement's `[oversight]` hours. A record of an
//! agreement (or a facility) outside the caller's scope answers 404, like a missing one.

use custodia_store::prelude::*;
use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use custodia_core::incidents::{IncidentKind, Notification, Recipient};
use custodia_core::oversight::{Contact, ContactMeans, Inspection, RecommendationState};
use custodia_store::incidents::IncidentRow;
use custodia_store::{IncidentUpdate, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::{Capability, Principal};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody as Json, PathParam as Path, QueryParams as Query};
use crate::routes::agreements::{agreement_in_scope, require_agreement};
use crate::state::AppState;
use crate::wire::{Page, PageQuery, date, text, timestamp};

/// Longest report or addendum, in bytes.
pub const MAX_REPORT_BYTES: usize = 20_000;
/// Longest finding, recommendation or note, in bytes.
pub const MAX_ITEM_BYTES: usize = 4_000;
/// Most findings, and most recommendations, of one inspection.
pub const MAX_ITEMS: usize = 200;
/// Longest name (an inspecting body, a contact), in bytes.
pub const MAX_NAME_BYTES: usize = 200;
/// Tolerated clock skew for times reported by clients, in seconds.
const CLOCK_SKEW_SECONDS: i64 = 300;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        list_incidents,
        get_incident,
        file_incident,
        notify_incident,
        add_addendum,
        list_inspections,
        file_inspection,
        move_recommendation,
        list_contacts,
        log_contact
    ),
    components(schemas(
        IncidentView,
        NotificationView,
        AddendumView,
        FileIncident,
        NotificationSent,
        AddendumRequest,
        InspectionView,
        RecommendationView,
        FileInspection,
        RecommendationMove,
        ContactView,
        LogContact,
        Page<IncidentView>,
        Page<InspectionView>,
        Page<ContactView>
    )),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/incidents", get(list_incidents).post(file_incident))
        .route("/api/v1/incidents/{id}", get(get_incident))
        .route("/api/v1/incidents/{id}/notifications", post(notify_incident))
        .route("/api/v1/incidents/{id}/addenda", post(add_addendum))
        .route("/api/v1/inspections", get(list_inspections).post(file_inspection))
        .route("/api/v1/inspections/{id}/recommendations/{index}", post(move_recommendation))
        .route("/api/v1/contacts", get(list_contacts).post(log_contact))
}

fn store_actor(who: &Principal) -> custodia_store::Actor {
    custodia_store::Actor { name: who.name.clone(), recorded_at: crate::clock::now(), occurred_at: None }
}

/// 400 when a reported time lies in the future (beyond a small clock skew).
fn not_future(field: &str, at: &Timestamp) -> ApiResult<()> {
    let now = crate::clock::now();
    if at.unix_seconds() > now.unix_seconds().saturating_add(CLOCK_SKEW_SECONDS) {
        return Err(ApiError::invalid(field, format!("{} is in the future (now is {})", at.as_str(), now.as_str())));
    }
    Ok(())
}

/// Whether a record of `agreement_id`, about case `case_id` if any, is in the caller's scope: the
/// agreement must be, and a facility-scoped caller sees a case's records only when the case is
/// placed in one of their facilities (or not placed at all).
async fn sees_record(state: &AppState, who: &Principal, agreement_id: &str, case_id: Option<i64>) -> ApiResult<bool> {
    if !who.sees_agreement(agreement_id) {
        return Ok(false);
    }
    match (case_id, &who.facilities) {
        (Some(case_id), Some(_)) => {
            let facility = state.store.case_row(case_id).await?.and_then(|row| row.facility_id);
            Ok(who.sees(agreement_id, facility.as_deref()))
        }
        _ => Ok(true),
    }
}

/// Keeps the items whose case the caller sees (one case lookup per distinct case, and none at all
/// for callers not scoped to facilities).
async fn visible<T>(
    state: &AppState,
    who: &Principal,
    agreement_id: &str,
    items: Vec<T>,
    case_of: impl Fn(&T) -> Option<i64>,
) -> ApiResult<Vec<T>> {
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
                    let v = sees_record(state, who, agreement_id, Some(case_id)).await?;
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

/// The case named by a request, checked: in the caller's scope (404 otherwise) and a case of the
/// agreement (400 otherwise).
async fn check_case(state: &AppState, who: &Principal, agreement_id: &str, case_id: Option<i64>) -> ApiResult<()> {
    if let Some(case_id) = case_id {
        let (row, _) = crate::routes::cases::case_in_scope(state, who, case_id).await?;
        if row.agreement_id != agreement_id {
            return Err(ApiError::invalid(
                "case_id",
                format!("case {case_id} is a case of {}, not of {agreement_id}", row.agreement_id),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Incidents (§9.1)
// ---------------------------------------------------------------------------------------------

/// A mandatory notification of an incident.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    /// `next_of_kin`, `sending_state` or `independent_authority`.
    pub recipient: String,
    /// Deadline, RFC 3339 UTC.
    pub due_at: String,
    /// When it was sent (null while pending).
    pub sent_at: Option<String>,
    /// `pending`, `overdue` (pending and past its deadline now), `sent` or `sent_late`.
    pub status: String,
}

/// A correction or addition to an incident report.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AddendumView {
    /// Who wrote it.
    pub author: String,
    /// The text.
    pub text: String,
}

/// An incident.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct IncidentView {
    /// The incident id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// `death`, `serious_injury`, `disappearance`, `use_of_force`, `torture_allegation`,
    /// `hunger_strike` or `other`.
    pub kind: String,
    /// When it happened, RFC 3339 UTC.
    pub occurred_at: String,
    /// The report as first filed (never edited).
    pub report: String,
    /// Corrections and additions, in order.
    pub addenda: Vec<AddendumView>,
    /// The mandatory notifications (empty for kinds that open none).
    pub notifications: Vec<NotificationView>,
}

fn unix_text(seconds: i64) -> String {
    Timestamp::from_unix_seconds(seconds).map(|t| t.as_str().to_owned()).unwrap_or_else(|_| seconds.to_string())
}

fn notification_view(n: &Notification, now_unix: i64) -> NotificationView {
    let status = match n.sent_at_unix {
        Some(_) if n.was_late() => "sent_late",
        Some(_) => "sent",
        None if n.is_overdue(now_unix) => "overdue",
        None => "pending",
    };
    NotificationView {
        recipient: n.recipient.as_str().to_owned(),
        due_at: unix_text(n.due_at_unix),
        sent_at: n.sent_at_unix.map(unix_text),
        status: status.to_owned(),
    }
}

fn incident_view(row: &IncidentRow) -> IncidentView {
    let now = crate::clock::now().unix_seconds();
    IncidentView {
        id: row.id,
        agreement_id: row.agreement_id.clone(),
        case_id: row.case_id,
        kind: row.kind.as_str().to_owned(),
        occurred_at: row.occurred_at.clone(),
        report: row.report.original.clone(),
        addenda: row
            .report
            .addenda
            .iter()
            .map(|(author, text)| AddendumView { author: author.clone(), text: text.clone() })
            .collect(),
        notifications: row.notifications.iter().map(|n| notification_view(n, now)).collect(),
    }
}

/// The incident, if it exists and is in the caller's scope (404 otherwise, alike).
async fn incident_in_scope(state: &AppState, who: &Principal, id: i64) -> ApiResult<IncidentRow> {
    let missing = || ApiError::not_found(format!("incident {id} does not exist"));
    let row = state.store.incident(id).await?.ok_or_else(missing)?;
    if sees_record(state, who, &row.agreement_id, row.case_id).await? { Ok(row) } else { Err(missing()) }
}

/// Filters of a list of an agreement's records.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgreementListQuery {
    /// The agreement (required).
    pub agreement: String,
    /// Cursor: items with a greater id.
    pub after: Option<i64>,
    /// Page size.
    pub limit: Option<u32>,
}

/// The incidents of an agreement, by id.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", params(AgreementListQuery),
    responses((status = 200, body = Page<IncidentView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_incidents(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AgreementListQuery>,
) -> ApiResult<axum::Json<Page<IncidentView>>> {
    let (after, limit) = PageQuery { after: q.after, limit: q.limit }.resolve(state.config.max_page_items)?;
    require_agreement(&state, &who, &q.agreement).await?;
    let rows = state.store.incidents(&q.agreement).await?;
    let rows = visible(&state, &who, &q.agreement, rows, |r| r.case_id).await?;
    Ok(axum::Json(Page::of(rows.iter().map(incident_view), |i| i.id, after, limit)))
}

/// One incident, with its addenda and notifications.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", params(("id" = i64, Path, description = "Incident id")),
    responses((status = 200, body = IncidentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_incident(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<IncidentView>> {
    Ok(axum::Json(incident_view(&incident_in_scope(&state, &who, id).await?)))
}

/// Filing an incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileIncident {
    /// The agreement.
    pub agreement_id: String,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// `death`, `serious_injury`, `disappearance`, `use_of_force`, `torture_allegation`,
    /// `hunger_strike` or `other`.
    pub kind: String,
    /// When it happened, YYYY-MM-DDTHH:MM:SSZ (not in the future).
    pub occurred_at: String,
    /// The report (never edited afterwards: corrections are addenda).
    pub report: String,
}

/// Files an incident; a death, disappearance or serious injury opens its three notifications with
/// the agreement's deadlines.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = FileIncident,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = IncidentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn file_incident(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<FileIncident>,
) -> ApiResult<(StatusCode, axum::Json<IncidentView>)> {
    require_agreement(&state, &who, &body.agreement_id).await?;
    who.require(Capability::FileIncident)?;
    let kind = IncidentKind::parse(&body.kind).ok_or_else(|| {
        ApiError::invalid(
            "kind",
            "must be death, serious_injury, disappearance, use_of_force, torture_allegation, hunger_strike or other",
        )
    })?;
    let occurred_at = timestamp("occurred_at", &body.occurred_at)?;
    not_future("occurred_at", &occurred_at)?;
    let report = text("report", &body.report, MAX_REPORT_BYTES)?;
    check_case(&state, &who, &body.agreement_id, body.case_id).await?;
    let row = state
        .store
        .file_incident(&body.agreement_id, body.case_id, kind, &occurred_at, &report, &store_actor(&who))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(incident_view(&row))))
}

/// A mandatory notification that was sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSent {
    /// `next_of_kin`, `sending_state` or `independent_authority`.
    pub recipient: String,
    /// When it was sent, YYYY-MM-DDTHH:MM:SSZ (not before the incident, not in the future).
    pub at: String,
}

/// Records a mandatory notification as sent (late when after its deadline; the record says so).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/notifications", tag = "incidents", request_body = NotificationSent,
    params(("id" = i64, Path, description = "Incident id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = IncidentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`NOT_PENDING`: no pending notification of this recipient")))]
async fn notify_incident(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Json(body): Json<NotificationSent>,
) -> ApiResult<axum::Json<IncidentView>> {
    let row = incident_in_scope(&state, &who, id).await?;
    who.require(Capability::FileIncident)?;
    let recipient: Recipient = custodia_store::incidents::parse_recipient(&body.recipient)
        .ok_or_else(|| ApiError::invalid("recipient", "must be next_of_kin, sending_state or independent_authority"))?;
    let at = timestamp("at", &body.at)?;
    not_future("at", &at)?;
    let occurred = Timestamp::parse(&row.occurred_at).map(|t| t.unix_seconds()).unwrap_or(i64::MIN);
    if at.unix_seconds() < occurred {
        return Err(ApiError::invalid("at", format!("is before the incident occurred ({})", row.occurred_at)));
    }
    let not_pending = || {
        let why = if row.notifications.iter().any(|n| n.recipient == recipient) {
            "was already recorded as sent"
        } else {
            "is not required for this incident"
        };
        ApiError::refused("NOT_PENDING", format!("the notification of {} {why}", recipient.as_str()))
    };
    if !row.notifications.iter().any(|n| n.recipient == recipient && n.sent_at_unix.is_none()) {
        return Err(not_pending());
    }
    let update = IncidentUpdate::Notified { recipient, at };
    let updated = state.store.update_incident(id, &update, &store_actor(&who)).await.map_err(|e| match e {
        // Another request recorded it meanwhile.
        custodia_store::StoreError::NotFound(_) => not_pending(),
        other => ApiError::from(other),
    })?;
    Ok(axum::Json(incident_view(&updated)))
}

/// A correction or addition to a report.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddendumRequest {
    /// The text.
    pub text: String,
}

/// Appends an addendum to an incident report; the report and earlier addenda stay as they were.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/addenda", tag = "incidents", request_body = AddendumRequest,
    params(("id" = i64, Path, description = "Incident id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = IncidentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn add_addendum(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Json(body): Json<AddendumRequest>,
) -> ApiResult<axum::Json<IncidentView>> {
    incident_in_scope(&state, &who, id).await?;
    who.require(Capability::FileIncident)?;
    let text = text("text", &body.text, MAX_REPORT_BYTES)?;
    let updated = state.store.update_incident(id, &IncidentUpdate::Addendum { text }, &store_actor(&who)).await?;
    Ok(axum::Json(incident_view(&updated)))
}

// ---------------------------------------------------------------------------------------------
// Inspections (§9.2)
// ---------------------------------------------------------------------------------------------

/// A recommendation of an inspection.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RecommendationView {
    /// Its index (from 0, in filing order): the `{index}` of its path.
    pub index: usize,
    /// The text.
    pub text: String,
    /// `open`, `accepted`, `implemented` or `rejected`.
    pub state: String,
}

/// An inspection visit.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InspectionView {
    /// The inspection id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The inspecting body.
    pub body: String,
    /// First day of the visit.
    pub from: String,
    /// Last day of the visit (inclusive).
    pub to: String,
    /// Findings, as written.
    pub findings: Vec<String>,
    /// Recommendations and their states.
    pub recommendations: Vec<RecommendationView>,
}

fn inspection_view(id: i64, agreement_id: &str, i: &Inspection) -> InspectionView {
    InspectionView {
        id,
        agreement_id: agreement_id.to_owned(),
        body: i.body.clone(),
        from: i.from.to_string(),
        to: i.to.to_string(),
        findings: i.findings.clone(),
        recommendations: i
            .recommendations
            .iter()
            .enumerate()
            .map(|(index, (text, state))| RecommendationView {
                index,
                text: text.clone(),
                state: state.as_str().to_owned(),
            })
            .collect(),
    }
}

/// The inspections of an agreement, by id.
#[utoipa::path(get, path = "/api/v1/inspections", tag = "inspections", params(AgreementListQuery),
    responses((status = 200, body = Page<InspectionView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_inspections(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AgreementListQuery>,
) -> ApiResult<axum::Json<Page<InspectionView>>> {
    let (after, limit) = PageQuery { after: q.after, limit: q.limit }.resolve(state.config.max_page_items)?;
    require_agreement(&state, &who, &q.agreement).await?;
    let rows = state.store.inspections(&q.agreement).await?;
    let items = rows.iter().map(|r| inspection_view(r.id, &q.agreement, &r.inspection));
    Ok(axum::Json(Page::of(items, |i| i.id, after, limit)))
}

/// Filing an inspection visit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileInspection {
    /// The agreement.
    pub agreement_id: String,
    /// The inspecting body: one of the agreement's `oversight.inspection_bodies`.
    pub body: String,
    /// First day of the visit, YYYY-MM-DD.
    pub from: String,
    /// Last day of the visit, YYYY-MM-DD (not before `from`).
    pub to: String,
    /// Findings, as written.
    #[serde(default)]
    pub findings: Vec<String>,
    /// Recommendations (all filed `open`).
    #[serde(default)]
    pub recommendations: Vec<String>,
}

fn items(field: &str, list: &[String]) -> ApiResult<Vec<String>> {
    if list.len() > MAX_ITEMS {
        return Err(ApiError::invalid(field, format!("at most {MAX_ITEMS} items")));
    }
    list.iter().enumerate().map(|(i, t)| text(&format!("{field}[{i}]"), t, MAX_ITEM_BYTES)).collect()
}

/// Files an inspection visit with its findings and recommendations (all `open`). The body must be
/// one the agreement names.
#[utoipa::path(post, path = "/api/v1/inspections", tag = "inspections", request_body = FileInspection,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = InspectionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn file_inspection(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<FileInspection>,
) -> ApiResult<(StatusCode, axum::Json<InspectionView>)> {
    let (_, agreement, _) = agreement_in_scope(&state, &who, &body.agreement_id).await?;
    who.require(Capability::FileInspection)?;
    if body.body.len() > MAX_NAME_BYTES {
        return Err(ApiError::invalid("body", format!("must be at most {MAX_NAME_BYTES} bytes")));
    }
    let inspection = Inspection {
        body: body.body.clone(),
        from: date("from", &body.from)?,
        to: date("to", &body.to)?,
        findings: items("findings", &body.findings)?,
        recommendations: items("recommendations", &body.recommendations)?
            .into_iter()
            .map(|r| (r, RecommendationState::Open))
            .collect(),
    };
    if let Err(problem) = inspection.validate(&agreement.oversight.inspection_bodies) {
        let field = problem.split(':').next().unwrap_or("body").to_owned();
        let message = if field == "body" {
            format!("{}; the agreement names: {}", problem, agreement.oversight.inspection_bodies.join(", "))
        } else {
            problem
        };
        return Err(ApiError::invalid(&field, message));
    }
    let id = state.store.file_inspection(&body.agreement_id, &inspection, &store_actor(&who)).await?;
    Ok((StatusCode::CREATED, axum::Json(inspection_view(id, &body.agreement_id, &inspection))))
}

/// A recommendation's new state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecommendationMove {
    /// `accepted`, `implemented` or `rejected` (open → accepted | rejected, accepted →
    /// implemented | rejected).
    pub state: String,
}

/// Moves a recommendation of an inspection to a new state.
#[utoipa::path(post, path = "/api/v1/inspections/{id}/recommendations/{index}", tag = "inspections", request_body = RecommendationMove,
    params(("id" = i64, Path, description = "Inspection id"), ("index" = u32, Path, description = "Recommendation index, from 0"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = InspectionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`RECOMMENDATION_STATE`: that move is not allowed")))]
async fn move_recommendation(
    State(state): State<AppState>,
    who: Principal,
    Path((id, index)): Path<(i64, u32)>,
    Json(body): Json<RecommendationMove>,
) -> ApiResult<axum::Json<InspectionView>> {
    let missing = || ApiError::not_found(format!("inspection {id} does not exist"));
    let custodia_store::InspectionRow { agreement_id, inspection, .. } =
        state.store.inspection(id).await?.ok_or_else(missing)?;
    if !who.sees_agreement(&agreement_id) {
        return Err(missing());
    }
    who.require(Capability::FileInspection)?;
    let to = RecommendationState::parse(&body.state)
        .ok_or_else(|| ApiError::invalid("state", "must be accepted, implemented or rejected"))?;
    let index = usize::try_from(index).map_err(|_| ApiError::invalid("index", "too large"))?;
    let Some((_, from)) = inspection.recommendations.get(index) else {
        return Err(ApiError::not_found(format!("inspection {id} has no recommendation {index}")));
    };
    let refused = |from: RecommendationState| {
        ApiError::refused(
            "RECOMMENDATION_STATE",
            format!("a recommendation cannot go from {} to {}", from.as_str(), to.as_str()),
        )
    };
    if !from.can_become(to) {
        return Err(refused(*from));
    }
    let from = *from;
    let updated = state.store.update_recommendation(id, index, to, &store_actor(&who)).await.map_err(|e| match e {
        // Another request moved it meanwhile.
        custodia_store::StoreError::NotFound(_) => refused(from),
        other => ApiError::from(other),
    })?;
    Ok(axum::Json(inspection_view(id, &agreement_id, &updated)))
}

// ---------------------------------------------------------------------------------------------
// Contacts (§9.5)
// ---------------------------------------------------------------------------------------------

/// An entry of the consular and family contact log.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactView {
    /// The entry id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// Who was contacted (a consul, a family member…).
    pub contact: String,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// `visit`, `phone`, `video`, `letter` or `email`.
    pub means: String,
    /// What was said or arranged.
    pub note: String,
}

fn contact_view(id: i64, agreement_id: &str, case_id: Option<i64>, c: &Contact) -> ContactView {
    ContactView {
        id,
        agreement_id: agreement_id.to_owned(),
        case_id,
        contact: c.contact.clone(),
        at: c.at.clone(),
        means: c.means.as_str().to_owned(),
        note: c.note.clone(),
    }
}

/// The contact log of an agreement, by id.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(AgreementListQuery),
    responses((status = 200, body = Page<ContactView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_contacts(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<AgreementListQuery>,
) -> ApiResult<axum::Json<Page<ContactView>>> {
    let (after, limit) = PageQuery { after: q.after, limit: q.limit }.resolve(state.config.max_page_items)?;
    require_agreement(&state, &who, &q.agreement).await?;
    let rows = state.store.contacts(&q.agreement).await?;
    let rows = visible(&state, &who, &q.agreement, rows, |c| c.case_id).await?;
    let items = rows.iter().map(|c| contact_view(c.id, &q.agreement, c.case_id, &c.contact));
    Ok(axum::Json(Page::of(items, |c| c.id, after, limit)))
}

/// Logging a contact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogContact {
    /// The agreement.
    pub agreement_id: String,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// Who was contacted (a consul, a family member…).
    pub contact: String,
    /// When, YYYY-MM-DDTHH:MM:SSZ (not in the future).
    pub at: String,
    /// `visit`, `phone`, `video`, `letter` or `email`.
    pub means: String,
    /// What was said or arranged.
    #[serde(default)]
    pub note: String,
}

/// Logs who was contacted, when and by what means.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = LogContact,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = ContactView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn log_contact(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<LogContact>,
) -> ApiResult<(StatusCode, axum::Json<ContactView>)> {
    require_agreement(&state, &who, &body.agreement_id).await?;
    who.require(Capability::LogContact)?;
    let contact = text("contact", &body.contact, MAX_NAME_BYTES)?;
    let at = timestamp("at", &body.at)?;
    not_future("at", &at)?;
    let means = ContactMeans::parse(&body.means)
        .ok_or_else(|| ApiError::invalid("means", "must be visit, phone, video, letter or email"))?;
    if body.note.len() > MAX_ITEM_BYTES {
        return Err(ApiError::invalid("note", format!("must be at most {MAX_ITEM_BYTES} bytes")));
    }
    check_case(&state, &who, &body.agreement_id, body.case_id).await?;
    let entry = Contact { contact, at: at.as_str().to_owned(), means, note: body.note.trim().to_owned() };
    let id = state.store.log_contact(&body.agreement_id, body.case_id, &entry, &store_actor(&who)).await?;
    Ok((StatusCode::CREATED, axum::Json(contact_view(id, &body.agreement_id, body.case_id, &entry))))
}
