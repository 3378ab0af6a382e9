//! The public locator (docs/oversight.md#locator): no login; rate-limited per client address; only agreements
//! with `public_locator = true`; by the sending state's person id, or family name plus birth year.
//! It answers status, facility, country and since-date — nothing else about the person.

use axum::Router;
use axum::extract::State;
use axum::http::request::Parts;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::QueryParams;
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(paths(locate), components(schemas(Located)))]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/locator", get(locate))
}

/// What the locator may say about a person.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Located {
    /// `in_transit`, `in_custody`, `return_scheduled`, `returned`, `released` or `deceased`.
    pub status: String,
    /// The facility's name (while held there).
    pub facility: Option<String>,
    /// ISO 3166 country where the person is, or was last held.
    pub country: String,
    /// The date of the last change of status (YYYY-MM-DD).
    pub since: String,
}

/// The question: a person id, or a family name and birth year.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocatorQuery {
    /// The sending state's person id.
    pub person_id: Option<String>,
    /// Family name (case-insensitive, exact).
    pub family_name: Option<String>,
    /// Year of birth, with `family_name`.
    pub birth_year: Option<i32>,
}

/// Where someone held under an agreement is (200 with an empty list when nothing matches).
#[utoipa::path(get, path = "/locator", tag = "locator", params(LocatorQuery), security(()),
    responses((status = 200, body = [Located]), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn locate(
    State(state): State<AppState>,
    parts: Parts,
    QueryParams(q): QueryParams<LocatorQuery>,
) -> ApiResult<axum::Json<Vec<Located>>> {
    if let Err(retry_after) = state.locator.take(&state.client(&parts), crate::clock::instant()) {
        return Err(ApiError::rate_limited(retry_after));
    }
    let query = custodia_app::locator::LocatorQuery {
        person_id: q.person_id,
        family_name: q.family_name,
        birth_year: q.birth_year,
    };
    let found = state.app.locate(query).await?;
    Ok(axum::Json(
        found
            .into_iter()
            .map(|l| Located {
                status: l.status.as_str().to_owned(),
                facility: l.facility,
                country: l.country,
                since: l.since,
            })
            .collect(),
    ))
}
