//! `Idempotency-Key` on every POST: the first answer (anything but a 5xx) is kept per user and
//! key; a repeat with the same method, path and body gets that answer again and changes nothing; a
//! repeat with another body is a 409. A key being answered right now is a 409 too.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custodia_i18n::Text;
use custodia_store::access::KeptAnswer;
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Set on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// Longest key accepted.
pub const MAX_KEY_BYTES: usize = 200;
/// Largest answer kept.
const MAX_KEPT_BYTES: usize = 8 << 20;

struct InFlight<'a> {
    state: &'a AppState,
    key: (String, String),
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut set) = self.state.in_flight.lock() {
            set.remove(&self.key);
        }
    }
}

/// The middleware.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !request.headers().contains_key(HEADER) {
        return next.run(request).await;
    }
    match keyed(&state, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn keyed(state: &AppState, request: Request, next: Next) -> Result<Response, Response> {
    let key = request
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_BYTES && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            ApiError::invalid("Idempotency-Key", Text::new("INVALID.key").count("max", MAX_KEY_BYTES)).into_response()
        })?;
    let (mut parts, body) = request.into_parts();
    let who = Principal::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
    let bytes = to_bytes(body, state.config.max_body_bytes).await.map_err(|_| {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(crate::error::ErrorBody {
                code: "PAYLOAD_TOO_LARGE".into(),
                message: format!("the body is larger than {} bytes", state.config.max_body_bytes),
                field: None,
            }),
        )
            .into_response()
    })?;
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str());
    hasher.update([0]);
    hasher.update(parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or_default());
    hasher.update([0]);
    hasher.update(&bytes);
    let request_sha256 = hasher.finalize().to_vec();

    let slot = (who.name.clone(), key.clone());
    {
        let mut set = state.in_flight.lock().map_err(|_| ApiError::internal("lock").into_response())?;
        if !set.insert(slot.clone()) {
            return Err(
                ApiError::conflict(Some("Idempotency-Key"), Text::new("CONFLICT.key-in-flight")).into_response()
            );
        }
    }
    let _guard = InFlight { state, key: slot };
    if let Some(kept) = state.app.kept_answer(&who, &key).await.map_err(|e| ApiError::from(e).into_response())? {
        if kept.request_sha256 != request_sha256 {
            return Err(ApiError::conflict(Some("Idempotency-Key"), Text::new("CONFLICT.key-reused")).into_response());
        }
        let status = StatusCode::from_u16(kept.outcome).unwrap_or(StatusCode::OK);
        let mut response = (status, kept.response).into_response();
        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
        return Ok(response);
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if response.status().is_server_error() {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, MAX_KEPT_BYTES).await.map_err(|e| ApiError::internal(e).into_response())?;
    let answer = KeptAnswer {
        request_sha256,
        outcome: parts.status.as_u16(),
        response: String::from_utf8_lossy(&bytes).into_owned(),
    };
    state
        .app
        .keep_answer(&who, &key, &answer, &crate::clock::now())
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    Ok(Response::from_parts(parts, Body::from(bytes)))
}
