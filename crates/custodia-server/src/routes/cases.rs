//! Cases and their transitions (docs/lifecycle.md), and legal holds.
//!
//! `GET /api/v1/cases/{id}` answers an `ETag` (the case's version); a transition sent with
//! `If-Match` is refused with 412 when the case moved on meanwhile. A refused transition answers
//! 409 with the rule's code (`ON_HOLD`, `SAME_APPROVER`, …) and changes nothing.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use custodia_app::cases::{self as app, CaseAction, FindingRequest, HoldRecord, TransitionRequest};
use custodia_core::agreement::Party;
use custodia_store::cases::CaseRow;
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
    paths(list_cases, propose_case, get_case, transition, approve_override, list_holds, place_hold, lift_hold, confirm_lift, decide_challenge),
    components(schemas(CaseView, HoldView, ScreeningView, RuleOutcomeView, ReviewView, FindingView, ProposeCase, Transition, Admission, Placement, OverrideRequest, ApproveOverride, OverrideApprovalView, HoldRequest, LiftRequest, ConfirmLiftRequest, DecideChallengeRequest, Page<CaseView>)),
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
        .route("/api/v1/holds/confirm-lift", post(confirm_lift))
        .route("/api/v1/holds/decide-challenge", post(decide_challenge))
}

/// A legal hold on a case: a court order.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HoldView {
    /// The case.
    pub case_id: i64,
    /// The court or authority.
    pub authority: String,
    /// Reference of the court order.
    pub reference: String,
    /// `stop` (no scheduling, departure or admission), `return` (and the person must be brought
    /// back) or `challenge` (the person contests the transfer; as `stop` until decided).
    pub order: String,
    /// Who recorded it.
    pub placed_by: String,
    /// The day it was recorded (the facility's day).
    pub placed_on: String,
    /// The lifting decision's reference, once a legal officer asked to lift it (a challenge:
    /// the decision's written reasons).
    pub lifting_reference: Option<String>,
    /// A challenge's decision, once given: `upheld` (confirmed, the case is withdrawn) or
    /// `dismissed`.
    pub decision: Option<String>,
    /// Who asked to lift it.
    pub lifting_by: Option<String>,
    /// The second legal officer who confirmed the lifting (null while the hold stands).
    pub lifted_by: Option<String>,
    /// Whether it stands.
    pub stands: bool,
}

/// One rule's outcome in the register's screening.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RuleOutcomeView {
    /// The rule (`E07`).
    pub rule: String,
    /// `pass`, `fail` or `unknown`.
    pub outcome: String,
}

/// The screening the register computed at the case's last screening step.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ScreeningView {
    /// The day screened (the facility's day).
    pub on: String,
    /// `eligible`, `ineligible` or `review`.
    pub decision: String,
    /// The `reasons` string (`E02?;E07`).
    pub reasons: String,
    /// Every configured rule's outcome.
    pub outcomes: Vec<RuleOutcomeView>,
}

/// A reviewer's finding on an unknown rule.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingView {
    /// The rule (`E02`).
    pub rule: String,
    /// `pass` or `fail`.
    pub finding: String,
    /// The evidence (`birth certificate seen`).
    pub evidence: String,
}

/// The resolution of a review.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReviewView {
    /// One finding per unknown rule.
    pub findings: Vec<FindingView>,
    /// Who resolved it.
    pub reviewer: String,
    /// Who confirmed it (null until a second user does).
    pub confirmed_by: Option<String>,
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
    /// The decision the register computed at the last screening step.
    pub decision: Option<String>,
    /// That screening, with every rule's outcome.
    pub screening: Option<ScreeningView>,
    /// The review of unknown rules, if any.
    pub review: Option<ReviewView>,
    /// Who gave the sending state's approval.
    pub sending_approval: Option<String>,
    /// Who gave the receiving state's approval.
    pub receiving_approval: Option<String>,
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
    /// The country a release or removal sent the person to.
    pub destination: Option<String>,
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
        decision: c.decision().map(|d| d.as_str().to_owned()),
        screening: c.screening.as_ref().map(|s| ScreeningView {
            on: s.on.to_string(),
            decision: s.decision().as_str().to_owned(),
            reasons: s.reasons(),
            outcomes: s
                .outcomes
                .iter()
                .map(|(r, o)| RuleOutcomeView { rule: r.code().to_owned(), outcome: o.as_str().to_owned() })
                .collect(),
        }),
        review: c.review.as_ref().map(|r| ReviewView {
            findings: r
                .findings
                .iter()
                .map(|f| FindingView {
                    rule: f.rule.code().to_owned(),
                    finding: if f.passes { "pass" } else { "fail" }.to_owned(),
                    evidence: f.evidence.clone(),
                })
                .collect(),
            reviewer: r.reviewer.clone(),
            confirmed_by: r.confirmed_by.clone(),
        }),
        sending_approval: c.sending_approval.clone(),
        receiving_approval: c.receiving_approval.clone(),
        holds: holds(row),
        facility_id: row.facility_id.clone(),
        cell_id: c.cell_id.clone(),
        admitted_on: c.intake.as_ref().map(|i| i.admitted_on.to_string()),
        return_on: c.return_on.map(|d| d.to_string()),
        destination: c.destination.clone(),
        version: row.version,
    }
}

fn hold_view(h: HoldRecord) -> HoldView {
    let stands = h.stands();
    HoldView {
        case_id: h.case_id,
        authority: h.authority,
        reference: h.reference,
        order: h.order,
        placed_by: h.placed_by,
        placed_on: h.placed_on.to_string(),
        lifting_reference: h.lifting_reference,
        decision: h.decision.map(str::to_owned),
        lifting_by: h.lifting_by,
        lifted_by: h.lifted_by,
        stands,
    }
}

fn holds(row: &CaseRow) -> Vec<HoldView> {
    app::holds_of(row).into_iter().map(hold_view).collect()
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
    let page = state.app.cases(&who, &q.agreement, q.state.as_deref(), after, limit).await?;
    Ok(axum::Json(Page {
        items: page.items.iter().map(|c| view(&c.case, &c.sending_id)).collect(),
        next_after: page.next_after,
    }))
}

/// Opening a case for a person of the sending state.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeCase {
    /// The agreement.
    pub agreement_id: String,
    /// The sending state's id of the person (as in the imported person file).
    pub person_id: String,
    /// When it happened, RFC 3339 with any offset (default: now): its day is the proposal's day
    /// for the legal basis and the agreement's term.
    pub occurred_at: Option<String>,
}

/// Opens a case (state `proposed`).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = ProposeCase,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Refused by a rule (`AGREEMENT_ENDED`, `NO_LEGAL_BASIS`; `code` names it), or an `Idempotency-Key` reused with another body")))]
async fn propose_case(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<ProposeCase>,
) -> ApiResult<Response> {
    let occurred_at = body.occurred_at.as_deref().map(|t| timestamp("occurred_at", t)).transpose()?;
    let case = state
        .app
        .propose_case(&who, &body.agreement_id, &body.person_id, occurred_at.as_ref(), &crate::clock::now())
        .await?;
    Ok(with_etag(StatusCode::CREATED, &case.case, &case.sending_id))
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
    /// Placing above the standard capacity needs two people (docs/capacity.md): another user first records
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

/// The admission record (docs/lifecycle.md; Nelson Mandela Rules 7–8).
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
    /// `move`, `schedule_return`, `return`, `turn_back`, `release`, `remove`, `record_death`,
    /// `withdraw`, `refuse`. No action states a decision: the register computes it.
    pub action: String,
    /// A coded reason (`FLIGHT_LEFT`, `SENTENCE_SERVED`, …).
    pub reason: String,
    /// When it happened, RFC 3339 with any offset, kept in UTC (default: now).
    pub occurred_at: Option<String>,
    /// `resolve_review`: one finding (pass or fail, with evidence) per unknown rule.
    pub findings: Option<Vec<FindingView>>,
    /// `release` and `remove`: the country (ISO 3166-1 alpha-2) the person goes to.
    pub to: Option<String>,
    /// `record_death`: the report of the death incident filed with it.
    pub report: Option<String>,
    /// `approve`: sending or receiving.
    pub party: Option<String>,
    /// `admit`: the admission record.
    pub admission: Option<Admission>,
    /// `admit` and `move`: where.
    pub placement: Option<Placement>,
    /// `schedule_return`: the planned date, YYYY-MM-DD.
    pub return_on: Option<String>,
}

fn missing(field: &str, action: &str) -> ApiError {
    ApiError::invalid(field, custodia_i18n::Text::new("INVALID.required-for").arg("action", action))
}

fn placement(p: Option<Placement>, action: &str) -> ApiResult<app::Placement> {
    let p = p.ok_or_else(|| missing("placement", action))?;
    Ok(app::Placement {
        facility_id: p.facility_id,
        cell_id: p.cell_id,
        override_approval: p.override_by.map(|o| o.approval_id),
    })
}

/// The action a transition body asks for (its fields are checked by the application).
pub(crate) fn action_of(t: Transition) -> ApiResult<CaseAction> {
    Ok(match t.action.as_str() {
        "screen" => CaseAction::Screen,
        "resolve_review" => CaseAction::ResolveReview(
            t.findings
                .ok_or_else(|| missing("findings", "resolve_review"))?
                .into_iter()
                .map(|f| FindingRequest { rule: f.rule, finding: f.finding, evidence: f.evidence })
                .collect(),
        ),
        "confirm_review" => CaseAction::ConfirmReview,
        "approve" => match t.party.as_deref() {
            Some("sending") => CaseAction::Approve(Party::Sending),
            Some("receiving") => CaseAction::Approve(Party::Receiving),
            _ => return Err(ApiError::invalid("party", custodia_app::fields::must_be(&["sending", "receiving"]))),
        },
        "schedule" => CaseAction::Schedule,
        "depart" => CaseAction::Depart,
        "admit" => {
            let a = t.admission.ok_or_else(|| missing("admission", "admit"))?;
            let admission = app::Admission {
                commitment_order: a.commitment_order,
                receiving_id: a.receiving_id,
                admitted_on: date("admission.admitted_on", &a.admitted_on)?,
                hour: a.hour,
                visible_injuries: a.visible_injuries,
                property: a.property,
                next_of_kin: a.next_of_kin,
            };
            CaseAction::Admit { admission, placement: placement(t.placement, "admit")? }
        }
        "move" => CaseAction::Move(placement(t.placement, "move")?),
        "schedule_return" => CaseAction::ScheduleReturn(date(
            "return_on",
            t.return_on.as_deref().ok_or_else(|| missing("return_on", "schedule_return"))?,
        )?),
        "return" => CaseAction::Return,
        "turn_back" => CaseAction::TurnBack,
        "release" => CaseAction::Release(t.to.ok_or_else(|| missing("to", "release"))?),
        "remove" => CaseAction::Remove(t.to.ok_or_else(|| missing("to", "remove"))?),
        "record_death" => CaseAction::RecordDeath(t.report.ok_or_else(|| missing("report", "record_death"))?),
        "withdraw" => CaseAction::Withdraw,
        "refuse" => CaseAction::Refuse,
        other => {
            return Err(ApiError::invalid(
                "action",
                custodia_i18n::Text::new("INVALID.action").arg("value", format!("{other:?}")),
            ));
        }
    })
}

fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = value.to_str().map_err(|_| ApiError::invalid("If-Match", custodia_i18n::Text::new("INVALID.etag")))?;
    let inner = text.trim().trim_start_matches("W/").trim_matches('"');
    inner.parse::<i64>().map(Some).map_err(|_| {
        ApiError::invalid("If-Match", custodia_i18n::Text::new("INVALID.etag-of").arg("value", format!("{text:?}")))
    })
}

/// Checks a transition in the application, commits it with whatever else is queued (group
/// commit) and answers the case after it.
async fn apply(state: &AppState, who: &Principal, id: i64, request: TransitionRequest) -> ApiResult<Response> {
    let prepared = state.app.prepare_transition(who, id, request, &crate::clock::now()).await?;
    let outcome = state.committer.act(prepared.call.clone()).await;
    let done = state.app.finish_transition(prepared, outcome).await?;
    if let Some(warning) = &done.warning {
        tracing::warn!(case = id, "{warning}");
    }
    // The stored case after the transition, as the commit returned it (no second read).
    Ok(with_etag(StatusCode::OK, &done.case.case, &done.case.sending_id))
}

/// Moves a case through its lifecycle (docs/lifecycle.md); `If-Match` guards against a concurrent change.
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
    let expected_version = if_match(&headers)?;
    let occurred_at = body.occurred_at.as_deref().map(|t| timestamp("occurred_at", t)).transpose()?;
    let reason = body.reason.clone();
    let request = TransitionRequest { action: action_of(body)?, reason, occurred_at, expected_version };
    apply(&state, &who, id, request).await
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
    let approval = state
        .app
        .approve_override(&who, id, &body.facility_id, &body.cell_id, &body.reason, &crate::clock::now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(OverrideApprovalView {
            approval_id: approval.id,
            case_id: approval.case_id,
            facility_id: approval.facility_id,
            cell_id: approval.cell_id,
            approved_by: approval.approved_by,
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
    let holds = state.app.holds(&who, &q.agreement, q.standing).await?;
    Ok(axum::Json(holds.into_iter().map(hold_view).collect()))
}

/// A court order placed as a legal hold.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// The case.
    pub case_id: i64,
    /// The court or authority that made the order.
    pub authority: String,
    /// Reference of the court order.
    pub reference: String,
    /// `stop` (no scheduling, departure or admission) or `return` (as stop, and bring the person back).
    pub order: String,
    /// A coded reason (`COURT_ORDER`, …).
    pub reason: String,
    /// When it happened, RFC 3339 with any offset (default: now).
    pub occurred_at: Option<String>,
}

/// A legal officer's request to lift a hold, citing the lifting decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiftRequest {
    /// The case.
    pub case_id: i64,
    /// Reference of the hold's court order.
    pub reference: String,
    /// Reference of the decision that lifts it.
    pub decision_reference: String,
    /// A coded reason (`ORDER_VACATED`, …).
    pub reason: String,
    /// When it happened, RFC 3339 with any offset (default: now).
    pub occurred_at: Option<String>,
}

/// A legal officer's decision of the person's challenge (docs/rights.md#challenges).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideChallengeRequest {
    /// The case.
    pub case_id: i64,
    /// Reference of the challenge.
    pub reference: String,
    /// `upheld` (the transfer does not go ahead: confirmed, the case is withdrawn) or `dismissed`.
    pub outcome: String,
    /// The decision's written reasons.
    pub reasons: String,
    /// A coded reason (`CHALLENGE_DECIDED`, …).
    pub reason: String,
    /// When it happened, RFC 3339 with any offset (default: now).
    pub occurred_at: Option<String>,
}

/// A second legal officer's confirmation of a lifting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmLiftRequest {
    /// The case.
    pub case_id: i64,
    /// Reference of the hold's court order.
    pub reference: String,
    /// A coded reason (`ORDER_VACATED`, …).
    pub reason: String,
    /// When it happened, RFC 3339 with any offset (default: now).
    pub occurred_at: Option<String>,
}

/// Places a legal hold (a court order): the case cannot be scheduled, depart or be admitted while
/// it stands; a `return` order also wants the person brought back (turn back, schedule the return).
#[utoipa::path(post, path = "/api/v1/holds", tag = "holds", request_body = HoldRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn place_hold(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<HoldRequest>,
) -> ApiResult<Response> {
    let action = CaseAction::PlaceHold(app::HoldRequest {
        authority: body.authority,
        reference: body.reference,
        order: body.order,
    });
    hold_step(&state, &who, body.case_id, action, body.reason, body.occurred_at.as_deref()).await
}

/// Asks to lift a legal hold, citing the lifting decision; the hold stands until a second legal
/// officer confirms (`/api/v1/holds/confirm-lift`).
#[utoipa::path(post, path = "/api/v1/holds/lift", tag = "holds", request_body = LiftRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn lift_hold(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<LiftRequest>,
) -> ApiResult<Response> {
    let action = CaseAction::LiftHold { reference: body.reference, decision_reference: body.decision_reference };
    hold_step(&state, &who, body.case_id, action, body.reason, body.occurred_at.as_deref()).await
}

/// Decides the person's challenge with written reasons; it stands until a second legal officer
/// confirms (`/api/v1/holds/confirm-lift`): dismissed, the transfer may go ahead; upheld, the case
/// is withdrawn.
#[utoipa::path(post, path = "/api/v1/holds/decide-challenge", tag = "holds", request_body = DecideChallengeRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decide_challenge(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<DecideChallengeRequest>,
) -> ApiResult<Response> {
    let action =
        CaseAction::DecideChallenge { reference: body.reference, outcome: body.outcome, reasons: body.reasons };
    hold_step(&state, &who, body.case_id, action, body.reason, body.occurred_at.as_deref()).await
}

/// Confirms the lifting of a hold: a second legal officer, not the one who asked (the record of
/// the hold stays).
#[utoipa::path(post, path = "/api/v1/holds/confirm-lift", tag = "holds", request_body = ConfirmLiftRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn confirm_lift(
    State(state): State<AppState>,
    who: Principal,
    Json(body): Json<ConfirmLiftRequest>,
) -> ApiResult<Response> {
    let action = CaseAction::ConfirmLift(body.reference);
    hold_step(&state, &who, body.case_id, action, body.reason, body.occurred_at.as_deref()).await
}

/// A hold's step (place, lift, decide, confirm) on `case_id`, as a case transition.
async fn hold_step(
    state: &AppState,
    who: &Principal,
    case_id: i64,
    action: CaseAction,
    reason: String,
    occurred_at: Option<&str>,
) -> ApiResult<Response> {
    let occurred_at = occurred_at.map(|t| timestamp("occurred_at", t)).transpose()?;
    let request = TransitionRequest { action, reason, occurred_at, expected_version: None };
    apply(state, who, case_id, request).await
}
