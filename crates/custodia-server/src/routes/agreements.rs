//! Agreements (docs/agreement-file.md): list, read, import. A changed file for an existing agreement is an
//! amendment: a new version with an effective date.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use custodia_core::Agreement;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use custodia_app::agreements::Imported;

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam};
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_agreements, get_agreement, import_agreement, approve_amendment),
    components(schemas(AgreementView, FacilityView, ImportAgreement, ImportedAgreement)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agreements", get(list_agreements).post(import_agreement))
        .route("/api/v1/agreements/{id}", get(get_agreement))
        .route("/api/v1/agreements/{id}/amendments/{proposal}/approve", axum::routing::post(approve_amendment))
}

/// A facility of an agreement.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FacilityView {
    /// Facility id.
    pub id: String,
    /// Name.
    pub name: String,
    /// ISO 3166 country.
    pub country: String,
    /// The capacity the receiving state states.
    pub stated_capacity: u32,
    /// Places the agreement contracts.
    pub contracted_places: u32,
}

/// An agreement.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AgreementView {
    /// Agreement id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Sending state (ISO 3166).
    pub sending_state: String,
    /// Receiving state.
    pub receiving_state: String,
    /// First day.
    pub starts: String,
    /// Last day.
    pub ends: String,
    /// ISO 4217 currency of the fees.
    pub currency: String,
    /// The fee model.
    pub fee_model: String,
    /// Whether the public locator answers for it.
    pub public_locator: bool,
    /// The current version (1, then one more per amendment).
    pub version: i64,
    /// Facilities.
    pub facilities: Vec<FacilityView>,
    /// The agreement file of the current version (single reads only).
    pub source_toml: Option<String>,
}

fn view(a: &Agreement, version: i64, source: Option<String>) -> AgreementView {
    AgreementView {
        id: a.id.as_str().to_owned(),
        title: a.title.clone(),
        sending_state: a.sending_state.as_str().to_owned(),
        receiving_state: a.receiving_state.as_str().to_owned(),
        starts: a.starts.to_string(),
        ends: a.ends.to_string(),
        currency: a.currency.as_str().to_owned(),
        fee_model: a.fees.model().to_owned(),
        public_locator: a.public_locator,
        version,
        facilities: a
            .facilities
            .iter()
            .map(|f| FacilityView {
                id: f.id.as_str().to_owned(),
                name: f.name.clone(),
                country: f.country.as_str().to_owned(),
                stated_capacity: f.stated_capacity,
                contracted_places: f.contracted_places,
            })
            .collect(),
        source_toml: source,
    }
}

/// The agreement, if it exists and is in the caller's scope (404 otherwise, alike).
pub async fn agreement_in_scope(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> ApiResult<(i64, std::sync::Arc<Agreement>, std::sync::Arc<str>)> {
    let record = state.app.agreement(who, id).await?;
    Ok((record.version, record.agreement, record.source))
}

/// 404 unless the agreement exists and is in scope.
pub async fn require_agreement(state: &AppState, who: &Principal, id: &str) -> ApiResult<()> {
    state.app.agreement(who, id).await.map(|_| ())?;
    Ok(())
}

/// The agreements in the caller's scope.
#[utoipa::path(get, path = "/api/v1/agreements", tag = "agreements",
    responses((status = 200, body = [AgreementView]), (status = 401, body = ErrorBody)))]
async fn list_agreements(State(state): State<AppState>, who: Principal) -> ApiResult<axum::Json<Vec<AgreementView>>> {
    let records = state.app.agreements(&who).await?;
    Ok(axum::Json(records.iter().map(|r| view(&r.agreement, r.version, None)).collect()))
}

/// One agreement, with its file.
#[utoipa::path(get, path = "/api/v1/agreements/{id}", tag = "agreements", params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, body = AgreementView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_agreement(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<String>,
) -> ApiResult<axum::Json<AgreementView>> {
    let (version, agreement, source) = agreement_in_scope(&state, &who, &id).await?;
    Ok(axum::Json(view(&agreement, version, Some(source.to_string()))))
}

/// An agreement file to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportAgreement {
    /// The agreement file (TOML, docs/agreement-file.md).
    pub source_toml: String,
    /// For an amendment, the day the new version takes effect (default: the agreement's start).
    pub effective_from: Option<String>,
}

/// The outcome of an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedAgreement {
    /// `created`, `unchanged`, `proposed` (an amendment waiting for a second user) or `amended`.
    pub outcome: String,
    /// The amendment proposal, when one was made or approved.
    pub proposal_id: Option<i64>,
    /// The agreement.
    pub agreement: AgreementView,
}

/// Imports an agreement file: a new agreement (201), nothing when the file is unchanged (200), or,
/// for a changed file of an existing agreement, an amendment proposal (202) that another user
/// approves at `/agreements/{id}/amendments/{proposal}/approve`. Every problem of the file is
/// listed; nothing is written then.
#[utoipa::path(post, path = "/api/v1/agreements", tag = "agreements", request_body = ImportAgreement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = ImportedAgreement), (status = 201, body = ImportedAgreement), (status = 202, body = ImportedAgreement), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn import_agreement(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<ImportAgreement>,
) -> ApiResult<(StatusCode, axum::Json<ImportedAgreement>)> {
    let effective_from = body.effective_from.as_deref().map(|d| crate::wire::date("effective_from", d)).transpose()?;
    let (imported, record) =
        state.app.import_agreement(&who, &body.source_toml, effective_from, &crate::clock::now()).await?;
    let (status, outcome, proposal_id) = match imported {
        Imported::Created => (StatusCode::CREATED, "created", None),
        Imported::Unchanged => (StatusCode::OK, "unchanged", None),
        Imported::Proposed { proposal } => (StatusCode::ACCEPTED, "proposed", Some(proposal)),
    };
    Ok((
        status,
        axum::Json(ImportedAgreement {
            outcome: outcome.into(),
            proposal_id,
            agreement: view(&record.agreement, record.version, None),
        }),
    ))
}

/// Approves a proposed amendment: another user than its proposer; the new version applies at once.
#[utoipa::path(post, path = "/api/v1/agreements/{id}/amendments/{proposal}/approve", tag = "agreements",
    params(("id" = String, Path, description = "Agreement id"), ("proposal" = i64, Path, description = "Proposal id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = ImportedAgreement), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "TWO_PERSON_RULE, or already approved")))]
async fn approve_amendment(
    State(state): State<AppState>,
    who: Principal,
    PathParam((id, proposal)): PathParam<(String, i64)>,
) -> ApiResult<axum::Json<ImportedAgreement>> {
    let (changed, record) = state.app.approve_amendment(&who, &id, proposal, &crate::clock::now()).await?;
    Ok(axum::Json(ImportedAgreement {
        outcome: if changed { "amended" } else { "unchanged" }.into(),
        proposal_id: Some(proposal),
        agreement: view(&record.agreement, record.version, None),
    }))
}
