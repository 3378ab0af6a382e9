//! (to be written)

use axum::Router;
use utoipa::OpenApi;

use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi()]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
