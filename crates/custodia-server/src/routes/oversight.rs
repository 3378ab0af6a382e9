//! Oversight (docs/oversight.md): incidents and their mandatory notifications (docs/oversight.md#incidents), inspections and the
//! states of their recommendations (docs/oversight.md#inspections), and the consular and family contact log (docs/oversight.md#contacts).
//!
//! Reports are never edited: a correction is an addendum appended to the report. A death, a
//! disappearance or a serious injury opens three notifications (next of kin, the sending state, an
//! independent authority), each due within the agreement's `[oversight]` hours. A record of an
//! agreement (or a facility) outside the caller's scope answers 404, like a missing one.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use custodia_app::oversight::{NewContact, NewIncident, NewInspection};
use custodia_core::incidents::{
    Finding, IncidentKind, Investigation, InvestigationState, Notification, Recipient, hours_minutes,
};
use custodia_core::oversight::{ContactMeans, RecommendationState};
use custodia_store::incidents::IncidentRow;
use custodia_store::{ContactRow, InspectionRow, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody as Json, PathParam as Path, QueryParams as Query};
use crate::state::AppState;
use crate::wire::{Page, PageQuery, date, timestamp};

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(
        list_incidents,
        get_incident,
        file_incident,
        notify_incident,
        add_addendum,
        move_investigation,
        notifications_report,
        list_inspections,
        file_inspection,
        move_recommendation,
        list_contacts,
        log_contact
    ),
    components(schemas(
        IncidentView,
        MedicalRecordView,
        NotificationView,
        AddendumView,
        FileIncident,
        NotificationSent,
        AddendumRequest,
        InvestigationView,
        InvestigationStepView,
        InvestigationMove,
        NotificationReportLine,
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
        .route("/api/v1/incidents/{id}/investigation", post(move_investigation))
        .route("/api/v1/reports/notifications", get(notifications_report))
        .route("/api/v1/inspections", get(list_inspections).post(file_inspection))
        .route("/api/v1/inspections/{id}/recommendations/{index}", post(move_recommendation))
        .route("/api/v1/contacts", get(list_contacts).post(log_contact))
}

// ---------------------------------------------------------------------------------------------
// Incidents (docs/oversight.md#incidents)
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
    /// `pending`, `overdue` (not sent and past its deadline now), `sent_on_time` or `sent_late`
    /// (sent after its deadline: it stays late).
    pub status: String,
    /// How late, in hours and minutes (`26h 05m`): from the deadline to when it was sent
    /// (`sent_late`) or to now (`overdue`); null otherwise.
    pub late_by: Option<String>,
    /// The same lateness in seconds.
    pub late_by_seconds: Option<i64>,
}

/// One move of an investigation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InvestigationStepView {
    /// The state entered: `investigating` or `closed`.
    pub state: String,
    /// The finding (closing only).
    pub finding: Option<String>,
    /// Who recorded the move.
    pub by: String,
    /// When, RFC 3339 UTC.
    pub at: String,
}

/// The investigation of an allegation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InvestigationView {
    /// `open`, `investigating` or `closed`.
    pub state: String,
    /// `substantiated`, `unsubstantiated` or `inconclusive` once closed; null before.
    pub finding: Option<String>,
    /// To be closed by (30 days after the allegation), RFC 3339 UTC.
    pub due_at: String,
    /// Not closed and past `due_at` now (the `INVESTIGATION_OVERDUE` warning).
    pub overdue: bool,
    /// The moves, in order.
    pub steps: Vec<InvestigationStepView>,
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
    /// The investigation (a torture allegation opens one; null for other kinds).
    pub investigation: Option<InvestigationView>,
    /// For a death in custody: the person's last medical examination (docs/rights.md#health);
    /// null for other kinds.
    pub medical_record: Option<MedicalRecordView>,
}

/// The last medical examination a death names; its findings are read by medical officers at
/// `/api/v1/care/{examination_id}`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MedicalRecordView {
    /// The examination's record id; null when no examination was ever recorded.
    pub examination_id: Option<i64>,
    /// When it was made, RFC 3339 UTC.
    pub examined_at: Option<String>,
    /// Who examined.
    pub examiner: Option<String>,
}

fn unix_text(seconds: i64) -> String {
    Timestamp::from_unix_seconds(seconds).map(|t| t.as_str().to_owned()).unwrap_or_else(|_| seconds.to_string())
}

fn notification_view(n: &Notification, now_unix: i64) -> NotificationView {
    let late_by_seconds = n.late_by_seconds(now_unix);
    NotificationView {
        recipient: n.recipient.as_str().to_owned(),
        due_at: unix_text(n.due_at_unix),
        sent_at: n.sent_at_unix.map(unix_text),
        status: n.status(now_unix).as_str().to_owned(),
        late_by: late_by_seconds.map(hours_minutes),
        late_by_seconds,
    }
}

fn investigation_view(i: &Investigation, now_unix: i64) -> InvestigationView {
    InvestigationView {
        state: i.state().as_str().to_owned(),
        finding: i.finding().map(|f| f.as_str().to_owned()),
        due_at: unix_text(i.due_at_unix()),
        overdue: i.is_overdue(now_unix),
        steps: i
            .steps
            .iter()
            .map(|s| InvestigationStepView {
                state: s.state.as_str().to_owned(),
                finding: s.finding.map(|f| f.as_str().to_owned()),
                by: s.by.clone(),
                at: unix_text(s.at_unix),
            })
            .collect(),
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
        investigation: row.investigation.as_ref().map(|i| investigation_view(i, now)),
        medical_record: row.last_examination.as_ref().map(|link| MedicalRecordView {
            examination_id: link.as_ref().map(|l| l.id),
            examined_at: link.as_ref().map(|l| l.examined_at.clone()),
            examiner: link.as_ref().map(|l| l.examiner.clone()),
        }),
    }
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
    let rows = state.app.incidents_page(&who, &q.agreement, after, limit.saturating_add(1)).await?;
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
    Ok(axum::Json(incident_view(&state.app.incident(&who, id).await?)))
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
    /// When it happened, RFC 3339 with any offset (not in the future).
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
    let kind = IncidentKind::parse(&body.kind).ok_or_else(|| {
        ApiError::invalid(
            "kind",
            custodia_app::fields::must_be(&[
                "death",
                "serious_injury",
                "disappearance",
                "use_of_force",
                "torture_allegation",
                "hunger_strike",
                "other",
            ]),
        )
    })?;
    let new = NewIncident {
        agreement_id: body.agreement_id,
        case_id: body.case_id,
        kind,
        occurred_at: timestamp("occurred_at", &body.occurred_at)?,
        report: body.report,
    };
    let row = state.app.file_incident(&who, &new, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(incident_view(&row))))
}

/// A mandatory notification that was sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSent {
    /// `next_of_kin`, `sending_state` or `independent_authority`.
    pub recipient: String,
    /// When it was sent, RFC 3339 with any offset (not before the incident, not in the future).
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
    let recipient: Recipient = custodia_store::incidents::parse_recipient(&body.recipient).ok_or_else(|| {
        ApiError::invalid(
            "recipient",
            custodia_app::fields::must_be(&["next_of_kin", "sending_state", "independent_authority"]),
        )
    })?;
    let at = timestamp("at", &body.at)?;
    let updated = state.app.notify_incident(&who, id, recipient, &at, &crate::clock::now()).await?;
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
    let updated = state.app.add_addendum(&who, id, &body.text, &crate::clock::now()).await?;
    Ok(axum::Json(incident_view(&updated)))
}

/// A move of an investigation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvestigationMove {
    /// `investigating` (from `open`) or `closed` (from `investigating`).
    pub status: String,
    /// `substantiated`, `unsubstantiated` or `inconclusive`: required to close, refused otherwise.
    pub finding: Option<String>,
}

/// Moves the investigation of a torture allegation: `open → investigating → closed`, closing with a
/// finding. Legal officers and inspectors; each move is a journal event naming who and when.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/investigation", tag = "incidents", request_body = InvestigationMove,
    params(("id" = i64, Path, description = "Incident id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = IncidentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`INVESTIGATION_STATE`: not a move of open → investigating → closed; \
            `FINDING_REQUIRED`: closing without a finding; `NO_INVESTIGATION`: the incident has none")))]
async fn move_investigation(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Json(body): Json<InvestigationMove>,
) -> ApiResult<axum::Json<IncidentView>> {
    let to = InvestigationState::parse(&body.status)
        .filter(|s| *s != InvestigationState::Open)
        .ok_or_else(|| ApiError::invalid("status", custodia_app::fields::must_be(&["investigating", "closed"])))?;
    let finding = body
        .finding
        .as_deref()
        .map(|f| {
            Finding::parse(f).ok_or_else(|| {
                ApiError::invalid(
                    "finding",
                    custodia_app::fields::must_be(&["substantiated", "unsubstantiated", "inconclusive"]),
                )
            })
        })
        .transpose()?;
    let updated = state.app.move_investigation(&who, id, to, finding, &crate::clock::now()).await?;
    Ok(axum::Json(incident_view(&updated)))
}

/// Parameters of the notifications report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// The agreement (required).
    pub agreement: String,
}

/// One notification an incident owes, where it stands now and how late it is.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationReportLine {
    /// The incident.
    pub incident_id: i64,
    /// The incident's kind.
    pub kind: String,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// `next_of_kin`, `sending_state` or `independent_authority`.
    pub recipient: String,
    /// Deadline, RFC 3339 UTC.
    pub due_at: String,
    /// When it was sent (null while not sent).
    pub sent_at: Option<String>,
    /// `sent_on_time`, `sent_late`, `overdue` or `pending`.
    pub status: String,
    /// How late, in hours and minutes (`26h 05m`): sent late — deadline to sending; overdue —
    /// deadline to now; null otherwise.
    pub late_by: Option<String>,
    /// The same lateness in seconds.
    pub late_by_seconds: Option<i64>,
}

/// The notifications report (as `custodia report notifications --json`): every notification of the
/// agreement's incidents in the caller's scope, in incident order. A notification sent late stays
/// `sent_late` with its lateness.
#[utoipa::path(get, path = "/api/v1/reports/notifications", tag = "reports", params(NotificationsQuery),
    responses((status = 200, body = [NotificationReportLine]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn notifications_report(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<NotificationsQuery>,
) -> ApiResult<axum::Json<Vec<NotificationReportLine>>> {
    let lines = state.app.notifications_report(&who, &q.agreement, &crate::clock::now()).await?;
    Ok(axum::Json(
        lines
            .into_iter()
            .map(|l| NotificationReportLine {
                incident_id: l.incident_id,
                kind: l.kind.as_str().to_owned(),
                case_id: l.case_id,
                recipient: l.recipient.as_str().to_owned(),
                due_at: unix_text(l.due_at_unix),
                sent_at: l.sent_at_unix.map(unix_text),
                status: l.status.as_str().to_owned(),
                late_by: l.late_by_seconds.map(hours_minutes),
                late_by_seconds: l.late_by_seconds,
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Inspections (docs/oversight.md#inspections)
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

fn inspection_view(row: &InspectionRow) -> InspectionView {
    let i = &row.inspection;
    InspectionView {
        id: row.id,
        agreement_id: row.agreement_id.clone(),
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
    let rows = state.app.inspections_page(&who, &q.agreement, after, limit.saturating_add(1)).await?;
    Ok(axum::Json(Page::of(rows.iter().map(inspection_view), |i| i.id, after, limit)))
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
    let new = NewInspection {
        from: date("from", &body.from)?,
        to: date("to", &body.to)?,
        agreement_id: body.agreement_id,
        body: body.body,
        findings: body.findings,
        recommendations: body.recommendations,
    };
    let row = state.app.file_inspection(&who, &new, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(inspection_view(&row))))
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
    let to = RecommendationState::parse(&body.state).ok_or_else(|| {
        ApiError::invalid("state", custodia_app::fields::must_be(&["accepted", "implemented", "rejected"]))
    })?;
    let index = usize::try_from(index)
        .map_err(|_| ApiError::invalid("index", custodia_i18n::Text::new("INVALID.too-large")))?;
    let updated = state.app.move_recommendation(&who, id, index, to, &crate::clock::now()).await?;
    Ok(axum::Json(inspection_view(&updated)))
}

// ---------------------------------------------------------------------------------------------
// Contacts (docs/oversight.md#contacts)
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

fn contact_view(agreement_id: &str, row: &ContactRow) -> ContactView {
    let c = &row.contact;
    ContactView {
        id: row.id,
        agreement_id: agreement_id.to_owned(),
        case_id: row.case_id,
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
    let rows = state.app.contacts_page(&who, &q.agreement, after, limit.saturating_add(1)).await?;
    let items = rows.iter().map(|c| contact_view(&q.agreement, c));
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
    /// When, RFC 3339 with any offset (not in the future).
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
    let means = ContactMeans::parse(&body.means).ok_or_else(|| {
        ApiError::invalid("means", custodia_app::fields::must_be(&["visit", "phone", "video", "letter", "email"]))
    })?;
    let new = NewContact {
        at: timestamp("at", &body.at)?,
        agreement_id: body.agreement_id,
        case_id: body.case_id,
        contact: body.contact,
        means,
        note: body.note,
    };
    let row = state.app.log_contact(&who, &new, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(contact_view(&new.agreement_id, &row))))
}
