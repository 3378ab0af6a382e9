//! Agreements (SPEC §1): list, read, import. A changed file for an existing agreement is an
//! amendment: a new version with an effective date.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use custodia_core::Agreement;
use custodia_store::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::{Capability, Principal};
use crate::error::{ApiError, ApiResult, ErrorBody};
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

/// The current version of a stored agreement the caller sees (404 otherwise).
pub async fn agreement_in_scope(state: &AppState, who: &Principal, id: &str) -> ApiResult<(i64, Agreement, String)> {
    who.agreement_in_scope(id)?;
    let custodia_store::AgreementSource { version, source } = state
        .store
        .agreement_source(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("agreement {id} does not exist")))?;
    let agreement =
        Agreement::from_toml(&source).map_err(|e| ApiError::internal(format!("stored agreement {id}: {e}")))?;
    Ok((version, agreement, source))
}

/// 404 unless the agreement exists and is in the caller's scope.
pub async fn require_agreement(state: &AppState, who: &Principal, id: &str) -> ApiResult<()> {
    who.agreement_in_scope(id)?;
    match state.store.agreement_source(id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::not_found(format!("agreement {id} does not exist"))),
    }
}

/// The agreements in the caller's scope.
#[utoipa::path(get, path = "/api/v1/agreements", tag = "agreements",
    responses((status = 200, body = [AgreementView]), (status = 401, body = ErrorBody)))]
async fn list_agreements(State(state): State<AppState>, who: Principal) -> ApiResult<axum::Json<Vec<AgreementView>>> {
    let mut out = Vec::new();
    for custodia_store::AgreementVersion { agreement_id: id, .. } in state.store.agreement_ids().await? {
        if who.sees_agreement(&id) {
            let (version, agreement, _) = agreement_in_scope(&state, &who, &id).await?;
            out.push(view(&agreement, version, None));
        }
    }
    Ok(axum::Json(out))
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
    Ok(axum::Json(view(&agreement, version, Some(source))))
}

/// An agreement file to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportAgreement {
    /// The agreement file (TOML, SPEC §1).
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
    let agreement = Agreement::from_toml(&body.source_toml).map_err(|e| {
        let field =
            e.problems.first().map(|p| format!("source_toml.{}", p.path)).unwrap_or_else(|| "source_toml".into());
        ApiError::invalid(&field, e.to_string())
    })?;
    // Out of scope answers 404 (as every record outside the caller's scope), before the role.
    who.agreement_in_scope(agreement.id.as_str())?;
    who.require(Capability::ManageAgreements)?;
    let effective_from = body.effective_from.as_deref().map(|d| crate::wire::date("effective_from", d)).transpose()?;
    let actor = custodia_store::Actor { name: who.name.clone(), recorded_at: crate::clock::now(), occurred_at: None };
    let file = custodia_store::AgreementFile { agreement: &agreement, source: &body.source_toml, effective_from };
    let id = agreement.id.as_str().to_owned();
    match state.store.agreement_source(&id).await? {
        // A changed file for an existing agreement is an amendment: proposed now, applied when
        // another user approves it (SPEC §11).
        Some(current) if current.source != body.source_toml => {
            let proposal = state.store.propose_amendment(&file, &actor).await?;
            let (version, stored, _) = agreement_in_scope(&state, &who, &id).await?;
            Ok((
                StatusCode::ACCEPTED,
                axum::Json(ImportedAgreement {
                    outcome: "proposed".into(),
                    proposal_id: Some(proposal),
                    agreement: view(&stored, version, None),
                }),
            ))
        }
        _ => {
            let outcome = state.store.import_agreement(&file, &actor).await?;
            let (version, stored, _) = agreement_in_scope(&state, &who, &id).await?;
            let (status, word) =
                if outcome.changed { (StatusCode::CREATED, "created") } else { (StatusCode::OK, "unchanged") };
            Ok((
                status,
                axum::Json(ImportedAgreement {
                    outcome: word.into(),
                    proposal_id: None,
                    agreement: view(&stored, version, None),
                }),
            ))
        }
    }
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
    require_agreement(&state, &who, &id).await?;
    who.require(Capability::ManageAgreements)?;
    let actor = custodia_store::Actor { name: who.name.clone(), recorded_at: crate::clock::now(), occurred_at: None };
    let outcome = state.store.approve_amendment(&id, proposal, &actor).await.map_err(|e| match e {
        custodia_store::StoreError::Refused(m) if m.starts_with("two-person rule") => {
            ApiError::refused("TWO_PERSON_RULE", m)
        }
        other => ApiError::from(other),
    })?;
    let (version, stored, _) = agreement_in_scope(&state, &who, &id).await?;
    let word = if outcome.changed { "amended" } else { "unchanged" };
    Ok(axum::Json(ImportedAgreement {
        outcome: word.into(),
        proposal_id: Some(proposal),
        agreement: view(&stored, version, None),
    }))
}
