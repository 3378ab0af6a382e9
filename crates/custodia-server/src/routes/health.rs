//! Outside `/api/v1`: liveness, readiness, Prometheus metrics, the OpenAPI document and its page.

use axum::Router;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(paths(healthz, readyz), components(schemas(Health)))]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .route("/docs", get(docs))
        .route("/docs/", get(docs))
}

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or what is wrong.
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, body = Health)))]
async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok".into() })
}

/// The register answers (a query reaches the database).
#[utoipa::path(get, path = "/readyz", tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn readyz(State(state): State<AppState>) -> (StatusCode, axum::Json<Health>) {
    match state.app.ready().await {
        Ok(_) => (StatusCode::OK, axum::Json(Health { status: "ok".into() })),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(Health { status: "database unavailable".into() }))
        }
    }
}

/// The Prometheus metrics, to whom the `metrics` setting allows (docs/http-api.md#metrics).
async fn metrics(State(state): State<AppState>, request: axum::extract::Request) -> axum::response::Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(p)| *p);
    if let Some(refused) = crate::hardening::metrics_refusal(&state, peer, request.headers()) {
        return refused;
    }
    let mut text = state.metrics.render();
    match state.app.open_alert_counts().await {
        Ok(counts) => text.push_str(&crate::metrics::render_open_alerts(&counts)),
        Err(e) => tracing::warn!(error = %e, "open alerts not read for the metrics"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::json())
}

/// The documentation page: served from the binary (no CDN), it reads `/openapi.json`.
async fn docs() -> Html<&'static str> {
    Html(crate::hardening::DOCS_PAGE)
}
