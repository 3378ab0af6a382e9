//! Cases and their transitions (SPEC §7), and legal holds.
//!
//! `GET /api/v1/cases/{id}` answers an `ETag` (the case's version); a transition sent with
//! `If-Match` is refused with 412 when the case moved on meanwhile. A refused transition answers
//! 409 with the rule's code (`ON_HOLD`, `SAME_APPROVER`, …) and changes nothing.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use custodia_core::agreement::Party;
use custodia_core::custody::{Actor as CaseActor, Command, IntakeRecord, Override};
use custodia_core::eligibility::Decision;
use custodia_store::cases::{CaseRequest, CaseRow, PlacementRequest};
use custodia_store::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::{Capability, Principal};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody as Json, PathParam as Path, QueryParams as Query};
use crate::state::AppState;
use crate::wire::{Page, PageQuery, date, text, timestamp};

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_cases, propose_case, get_case, transition, approve_override, list_holds, place_hold, lift_hold),
    components(schemas(CaseView, HoldView, ProposeCase, Transition, Admission, Placement, OverrideRequest, ApproveOverride, OverrideApprovalView, HoldRequest, Page<CaseView>)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/cases", get(list_cases).post(propose_case))
        .route("/api/v1/cases/{id}", get(get_case))
        .route("/api/v1/cases/{id}/transitions", post(transition))
        .route("/api/v1/cases/{id}/override-approvals", post(approve_override))
        .route("/api/v1/holds", get(list_holds).post(place_hold))
        .route("/api/v1/holds/lift", post(lift_hold))
}

/// A legal hold on a case.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HoldView {
    /// The case.
    pub case_id: i64,
    /// Reference of the court order.
    pub reference: String,
    /// Who placed it.
    pub placed_by: String,
    /// Who lifted it (null while it stands).
    pub lifted_by: Option<String>,
}

/// A case as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CaseView {
    /// The case id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The person's Custodia id.
    pub person_id: i64,
    /// The sending state's id of the person.
    pub sending_person_id: String,
    /// Lifecycle state (`proposed`, `screened`, …, `in_custody`, …).
    pub state: String,
    /// The screening decision, once screened.
    pub decision: Option<String>,
    /// Who gave the sending state's approval.
    pub sending_approval: Option<String>,
    /// Who gave the receiving state's approval.
    pub receiving_approval: Option<String>,
    /// A final conviction or removal order is on record.
    pub legal_basis: bool,
    /// Holds, lifted ones included.
    pub holds: Vec<HoldView>,
    /// The facility while placed.
    pub facility_id: Option<String>,
    /// The cell while placed.
    pub cell_id: Option<String>,
    /// The intake date, once admitted.
    pub admitted_on: Option<String>,
    /// The planned return.
    pub return_on: Option<String>,
    /// The version (also the `ETag`).
    pub version: i64,
}

fn view(row: &CaseRow, sending_id: &str) -> CaseView {
    let c = &row.case;
    CaseView {
        id: row.id,
        agreement_id: row.agreement_id.clone(),
        person_id: row.person_id,
        sending_person_id: sending_id.to_owned(),
        state: c.state.as_str().to_owned(),
        decision: c.decision.map(|d| d.as_str().to_owned()),
        sending_approval: c.sending_approval.clone(),
        receiving_approval: c.receiving_approval.clone(),
        legal_basis: c.legal_basis,
        holds: holds(row),
        facility_id: row.facility_id.clone(),
        cell_id: c.cell_id.clone(),
        admitted_on: c.intake.as_ref().map(|i| i.admitted_on.to_string()),
        return_on: c.return_on.map(|d| d.to_string()),
        version: row.version,
    }
}

fn holds(row: &CaseRow) -> Vec<HoldView> {
    row.case
        .holds
        .iter()
        .map(|h| HoldView {
            case_id: row.id,
            reference: h.reference.clone(),
            placed_by: h.placed_by.clone(),
            lifted_by: h.lifted_by.clone(),
        })
        .collect()
}

fn etag(row: &CaseRow) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{}\"", row.version)).unwrap_or(HeaderValue::from_static("\"0\""))
}

fn with_etag(status: StatusCode, row: &CaseRow, sending_id: &str) -> Response {
    let mut response = (status, axum::Json(view(row, sending_id))).into_response();
    response.headers_mut().insert(header::ETAG, etag(row));
    response
}

/// The case, if it exists and is in the caller's scope (404 otherwise, alike).
pub async fn case_in_scope(state: &AppState, who: &Principal, id: i64) -> ApiResult<(CaseRow, String)> {
    let found = state.app.case(who, id).await?;
    Ok((found.case, found.sending_id))
}

/// Filters of the case list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// The agreement (required).
    pub agreement: String,
    /// Only cases in this state.
    pub state: Option<String>,
    /// Cursor.
    pub after: Option<i64>,
    /// Page size.
    pub limit: Option<u32>,
}

/// The cases of an agreement, by id.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = Page<CaseView>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_cases(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<CaseQuery>,
) -> ApiResult<axum::Json<Page<CaseView>>> {
    let (after, limit) = PageQuery { after: q.after, limit: q.limit }.resolve(state.config.max_page_items)?;
    crate::routes::agreements::require_agreement(&state, &who, &q.agreement).await?;
    if let Some(s) = &q.state
        && custodia_core::lifecycle::CaseState::parse(s).is_none()
    {
        return Err(ApiError::invalid("state", format!("{s:?} is not a case state")));
    }
    let rows = state.store.cases_with_persons(&q.agreement).await?;
    let items = rows
        .iter()
        .filter(|r| who.sees(&r.case.agreement_id, r.case.facility_id.as_deref()))
        .filter(|r| q.state.as_deref().is_none_or(|s| r.case.case.state.as_str() == s))
        .map(|r| view(&r.case, &r.person.sending_id));
    Ok(axum::Json(Page::of(items, |c| c.id, after, limit)))
}

/// A new case, with the legal basis the person's record gives (docs/lifecycle.md).
pub fn open_case(person: &custodia_store::PersonData) -> custodia_core::custody::Case {
    custodia_core::custody::Case::new(custodia_core::custody::legal_basis_on_record(
        person.conviction.as_deref(),
        person.removal_order.as_deref(),
    ))
}

/// Opening a case for a person of the sending state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeCase {
    /// The agreement.
    pub agreement_id: String,
    /// The sending state's id of the person (as in the imported person file).
    pub person_id: String,
}

/// Opens a case (state `proposed`).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = ProposeCase,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn propose_case(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<ProposeCase>,
) -> ApiResult<Response> {
    crate::routes::agreements::require_agreement(&state, &who, &body.agreement_id).await?;
    who.require(Capability::ProposeCase)?;
    let person_id = text("person_id", &body.person_id, 256)?;
    let actor = store_actor(&who, None);
    let row = state.store.propose_case(&body.agreement_id, &person_id, &open_case, &actor).await?;
    let (row, person) = case_in_scope(&state, &who, row.id).await?;
    Ok(with_etag(StatusCode::CREATED, &row, &person))
}

/// One case.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases", params(("id" = i64, Path, description = "Case id")),
    responses((status = 200, body = CaseView, headers(("ETag" = String, description = "The case's version"))), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_case(State(state): State<AppState>, who: Principal, Path(id): Path<i64>) -> ApiResult<Response> {
    let (row, person) = case_in_scope(&state, &who, id).await?;
    Ok(with_etag(StatusCode::OK, &row, &person))
}

/// Where to place a person, with an override when the cell is above its standard capacity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// Placing above the standard capacity needs two people (SPEC §6): another user first records
    /// an approval for this case and cell (`POST /api/v1/cases/{id}/override-approvals`); the
    /// caller, the first approver, cites it here. An approval is used once.
    pub override_by: Option<OverrideRequest>,
}

/// The approval a placement above standard capacity cites.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverrideRequest {
    /// The approval recorded by another user for this case and cell.
    pub approval_id: i64,
}

/// A second user's approval of a placement above the cell's standard capacity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveOverride {
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// Why the standard may be exceeded.
    pub reason: String,
}

/// A recorded override approval.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverrideApprovalView {
    /// Cite it as `placement.override_by.approval_id`.
    pub approval_id: i64,
    /// The case.
    pub case_id: i64,
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// Who approved.
    pub approved_by: String,
}

/// The admission record (SPEC §7; Nelson Mandela Rules 7–8).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Admission {
    /// Commitment-order reference.
    pub commitment_order: String,
    /// The receiving state's identifier (inmate number).
    pub receiving_id: Option<String>,
    /// Admission date, YYYY-MM-DD.
    pub admitted_on: String,
    /// Hour of admission, 0–23.
    pub hour: u8,
    /// Visible injuries ("none" is an answer).
    pub visible_injuries: String,
    /// Property taken into safekeeping.
    pub property: String,
    /// Next of kin.
    pub next_of_kin: String,
}

/// A transition of a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// `screen`, `resolve_review`, `confirm_review`, `approve`, `schedule`, `depart`, `admit`,
    /// `move`, `schedule_return`, `return`, `release`, `record_death`, `withdraw`, `refuse`.
    pub action: String,
    /// A coded reason (`FLIGHT_LEFT`, `SENTENCE_SERVED`, …).
    pub reason: String,
    /// When it happened, YYYY-MM-DDTHH:MM:SSZ (default: now).
    pub occurred_at: Option<String>,
    /// `screen`: eligible, ineligible or review.
    pub decision: Option<String>,
    /// `resolve_review`: resolved to eligible (else ineligible).
    pub eligible: Option<bool>,
    /// `resolve_review`: the written justification.
    pub justification: Option<String>,
    /// `approve`: sending or receiving.
    pub party: Option<String>,
    /// `admit`: the admission record.
    pub admission: Option<Admission>,
    /// `admit` and `move`: where.
    pub placement: Option<Placement>,
    /// `schedule_return`: the planned date, YYYY-MM-DD.
    pub return_on: Option<String>,
}

fn store_actor(who: &Principal, occurred_at: Option<custodia_store::Timestamp>) -> custodia_store::Actor {
    custodia_store::Actor { name: who.name.clone(), recorded_at: crate::clock::now(), occurred_at }
}

fn missing(field: &str, action: &str) -> ApiError {
    ApiError::invalid(field, format!("is required for {action}"))
}

async fn placement(
    state: &AppState,
    who: &Principal,
    case_id: i64,
    p: Option<Placement>,
    action: &str,
) -> ApiResult<(PlacementRequest, Option<i64>)> {
    let p = p.ok_or_else(|| missing("placement", action))?;
    let facility_id = text("placement.facility_id", &p.facility_id, 64)?;
    let cell_id = text("placement.cell_id", &p.cell_id, 64)?;
    let (override_by, approval) = match p.override_by {
        None => (None, None),
        Some(o) => {
            let field = "placement.override_by.approval_id";
            let approval = state
                .store
                .override_approval(o.approval_id)
                .await?
                .filter(|a| a.case_id == case_id && a.facility_id == facility_id && a.cell_id == cell_id)
                .ok_or_else(|| ApiError::invalid(field, "is not an approval for this case and cell"))?;
            if approval.used {
                return Err(ApiError::refused(
                    "APPROVAL_USED",
                    format!("override approval {} is already used", approval.id),
                ));
            }
            if approval.approved_by == who.name {
                return Err(ApiError::refused(
                    "SAME_APPROVER",
                    "an override needs two people: the approval must be another user's",
                ));
            }
            (
                Some(Override { first: who.name.clone(), second: approval.approved_by, reason: approval.reason }),
                Some(approval.id),
            )
        }
    };
    Ok((PlacementRequest { facility_id, cell_id, override_by }, approval))
}

/// The request and the capability an action needs.
async fn request_for(
    state: &AppState,
    who: &Principal,
    case_id: i64,
    t: Transition,
) -> ApiResult<(&'static str, CaseRequest, Capability, Option<i64>)> {
    use Capability as C;
    let plain = |c: Command| CaseRequest::Plain(c);
    let mut approval = None;
    let (action, request, capability) = match t.action.as_str() {
        "screen" => {
            let d = t.decision.ok_or_else(|| missing("decision", "screen"))?;
            let decision = [Decision::Eligible, Decision::Ineligible, Decision::Review]
                .into_iter()
                .find(|x| x.as_str() == d)
                .ok_or_else(|| ApiError::invalid("decision", "must be eligible, ineligible or review"))?;
            ("screen", plain(Command::Screen { decision }), C::SendingCaseStep)
        }
        "resolve_review" => (
            "resolve_review",
            plain(Command::ResolveReview {
                eligible: t.eligible.ok_or_else(|| missing("eligible", "resolve_review"))?,
                justification: text(
                    "justification",
                    t.justification.as_deref().ok_or_else(|| missing("justification", "resolve_review"))?,
                    4000,
                )?,
            }),
            C::LegalCaseStep,
        ),
        "confirm_review" => ("confirm_review", plain(Command::ConfirmReview), C::LegalCaseStep),
        "approve" => match t.party.as_deref() {
            Some("sending") => ("approve", plain(Command::Approve { state: Party::Sending }), C::SendingCaseStep),
            Some("receiving") => ("approve", plain(Command::Approve { state: Party::Receiving }), C::ReceivingCaseStep),
            _ => return Err(ApiError::invalid("party", "must be sending or receiving")),
        },
        "schedule" => ("schedule", plain(Command::Schedule), C::SendingCaseStep),
        "depart" => ("depart", plain(Command::Depart), C::SendingCaseStep),
        "admit" => {
            let a = t.admission.ok_or_else(|| missing("admission", "admit"))?;
            if a.hour > 23 {
                return Err(ApiError::invalid("admission.hour", "must be 0 to 23"));
            }
            let request = CaseRequest::Admit {
                receiving_id: a.receiving_id.filter(|r| !r.trim().is_empty()),
                commitment_order: a.commitment_order,
                intake: IntakeRecord {
                    admitted_on: date("admission.admitted_on", &a.admitted_on)?,
                    hour: a.hour,
                    visible_injuries: a.visible_injuries,
                    property: a.property,
                    next_of_kin: a.next_of_kin,
                },
                placement: {
                    let (p, a) = placement(state, who, case_id, t.placement, "admit").await?;
                    approval = a;
                    p
                },
            };
            ("admit", request, C::FacilityCaseStep)
        }
        "move" => (
            "move",
            CaseRequest::Move {
                placement: {
                    let (p, a) = placement(state, who, case_id, t.placement, "move").await?;
                    approval = a;
                    p
                },
            },
            C::FacilityCaseStep,
        ),
        "schedule_return" => {
            let on = date("return_on", t.return_on.as_deref().ok_or_else(|| missing("return_on", "schedule_return"))?)?;
            ("schedule_return", plain(Command::ScheduleReturn { on }), C::SendingCaseStep)
        }
        "return" => ("return", plain(Command::Return), C::FacilityCaseStep),
        "release" => ("release", plain(Command::Release), C::FacilityCaseStep),
        "record_death" => ("record_death", plain(Command::RecordDeath), C::FacilityCaseStep),
        "withdraw" => ("withdraw", plain(Command::Withdraw), C::SendingCaseStep),
        "refuse" => ("refuse", plain(Command::Refuse), C::ReceivingCaseStep),
        other => {
            return Err(ApiError::invalid(
                "action",
                format!("{other:?} is not an action (place and lift holds at /api/v1/holds)"),
            ));
        }
    };
    Ok((action, request, capability, approval))
}

fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().map_err(|_| ApiError::invalid("If-Match", "must be an ETag"))?;
    let inner = text.trim().trim_start_matches("W/").trim_matches('"');
    inner
        .parse::<i64>()
        .map(Some)
        .map_err(|_| ApiError::invalid("If-Match", format!("{text:?} is not an ETag of this API")))
}

/// Applies a request to a case the caller sees, mapping refusals to 409 with their code.
#[allow(clippy::too_many_arguments)]
async fn apply(
    state: &AppState,
    who: &Principal,
    id: i64,
    expected: Option<i64>,
    action: &str,
    request: CaseRequest,
    occurred_at: Option<custodia_store::Timestamp>,
    reason: &str,
    sending_id: &str,
) -> ApiResult<Response> {
    let actor = store_actor(who, occurred_at.clone());
    let case_actor = CaseActor {
        user: who.name.clone(),
        occurred_at: occurred_at.as_ref().unwrap_or(&actor.recorded_at).as_str().to_owned(),
        recorded_at: actor.recorded_at.as_str().to_owned(),
        reason: reason.to_owned(),
    };
    let call = custodia_store::cases::CaseCall {
        id,
        expected_version: expected,
        action: action.to_owned(),
        request,
        actor: case_actor,
        store_actor: actor,
    };
    let outcome = state.committer.act(call).await.map_err(|e| match e {
        custodia_store::StoreError::Stale(m) => ApiError::precondition_failed(m),
        other => ApiError::from(other),
    })?;
    match outcome {
        // The stored case after the transition, as the commit returned it (no second read).
        Ok(row) => Ok(with_etag(StatusCode::OK, &row, sending_id)),
        Err(refusal) => Err(ApiError::refused(refusal.code(), format!("{action} refused: {refusal}"))),
    }
}

/// Moves a case through its lifecycle (SPEC §7); `If-Match` guards against a concurrent change.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", tag = "cases", request_body = Transition,
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Refused by a rule; `code` names it"), (status = 412, body = ErrorBody)))]
async fn transition(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Json(body): Json<Transition>,
) -> ApiResult<Response> {
    let (_, sending_id) = case_in_scope(&state, &who, id).await?;
    let expected = if_match(&headers)?;
    let reason = crate::wire::reason_code("reason", &body.reason)?;
    let occurred_at = body.occurred_at.as_deref().map(|t| timestamp("occurred_at", t)).transpose()?;
    let (action, request, capability, approval) = request_for(&state, &who, id, body).await?;
    who.require(capability)?;
    let response = apply(&state, &who, id, expected, action, request, occurred_at, &reason, &sending_id).await?;
    if let Some(approval) = approval
        && let Err(e) = state.store.use_override_approval(approval, id).await
    {
        // The transition stands (it was checked with the approval); a concurrent second use of
        // the same approval is logged for review.
        tracing::warn!(approval, case = id, error = %e, "override approval used twice");
    }
    Ok(response)
}

/// Records a second user's approval of placing this case's person above the cell's standard
/// capacity (never above the floor: that is refused whatever the approvals). The user who then
/// admits or moves the person cites it; the two must differ.
#[utoipa::path(post, path = "/api/v1/cases/{id}/override-approvals", tag = "cases", request_body = ApproveOverride,
    params(("id" = i64, Path, description = "Case id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = OverrideApprovalView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn approve_override(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
    Json(body): Json<ApproveOverride>,
) -> ApiResult<(StatusCode, axum::Json<OverrideApprovalView>)> {
    case_in_scope(&state, &who, id).await?;
    if !(who.role.may(Capability::FacilityCaseStep) || who.role.may(Capability::ReceivingCaseStep)) {
        return Err(ApiError::forbidden(format!("the {} role may not approve capacity overrides", who.role.as_str())));
    }
    let facility_id = text("facility_id", &body.facility_id, 64)?;
    let cell_id = text("cell_id", &body.cell_id, 64)?;
    let reason = text("reason", &body.reason, 2000)?;
    let approval_id =
        state.store.approve_override(id, &facility_id, &cell_id, &reason, &store_actor(&who, None)).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(OverrideApprovalView {
            approval_id,
            case_id: id,
            facility_id,
            cell_id,
            approved_by: who.name.clone(),
        }),
    ))
}

/// Filter of the hold list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HoldQuery {
    /// The agreement (required).
    pub agreement: String,
    /// Only holds that stand (default false: every hold, lifted ones too).
    #[serde(default)]
    pub standing: bool,
}

/// Legal holds of an agreement's cases.
#[utoipa::path(get, path = "/api/v1/holds", tag = "holds", params(HoldQuery),
    responses((status = 200, body = [HoldView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_holds(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<HoldQuery>,
) -> ApiResult<axum::Json<Vec<HoldView>>> {
    crate::routes::agreements::require_agreement(&state, &who, &q.agreement).await?;
    let rows = state.store.cases_with_persons(&q.agreement).await?;
    let items = rows
        .iter()
        .filter(|r| who.sees(&r.case.agreement_id, r.case.facility_id.as_deref()))
        .flat_map(|r| holds(&r.case))
        .filter(|h| !q.standing || h.lifted_by.is_none())
        .collect();
    Ok(axum::Json(items))
}

/// Placing or lifting a hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// The case.
    pub case_id: i64,
    /// Reference of the court order.
    pub reference: String,
    /// A coded reason (`COURT_ORDER`, `ORDER_VACATED`, …).
    pub reason: String,
}

/// Places a legal hold: the case cannot be scheduled, depart or be admitted while it stands.
#[utoipa::path(post, path = "/api/v1/holds", tag = "holds", request_body = HoldRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn place_hold(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<HoldRequest>,
) -> ApiResult<Response> {
    hold(&state, &who, body, true).await
}

/// Lifts a legal hold (the record of it stays).
#[utoipa::path(post, path = "/api/v1/holds/lift", tag = "holds", request_body = HoldRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn lift_hold(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<HoldRequest>,
) -> ApiResult<Response> {
    hold(&state, &who, body, false).await
}

/// Places (`place`) or lifts a hold: legal officers, on a case in scope.
async fn hold(state: &AppState, who: &Principal, body: HoldRequest, place: bool) -> ApiResult<Response> {
    let (_, sending_id) = case_in_scope(state, who, body.case_id).await?;
    who.require(Capability::LegalCaseStep)?;
    let reference = text("reference", &body.reference, 200)?;
    let reason = crate::wire::reason_code("reason", &body.reason)?;
    let (action, command) = if place {
        ("place_hold", Command::PlaceHold { reference })
    } else {
        ("lift_hold", Command::LiftHold { reference })
    };
    apply(state, who, body.case_id, None, action, CaseRequest::Plain(command), None, &reason, &sending_id).await
}
