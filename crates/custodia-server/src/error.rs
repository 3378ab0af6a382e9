//! The one place where failures become HTTP answers. Every error body is
//! `{"code": …, "message": …, "field": …}` with a stable `code`; internal details are logged,
//! never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custodia_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code: `UNAUTHENTICATED`, `NOT_FOUND`, `FORBIDDEN`, `INVALID`, `REFUSED`,
    /// `CONFLICT`, `PRECONDITION_FAILED`, `RATE_LIMITED`, `PAYLOAD_TOO_LARGE`, `INTERNAL`, or a
    /// domain refusal code such as `ON_HOLD` or `SAME_APPROVER`.
    pub code: String,
    /// For people.
    pub message: String,
    /// The request field at fault, when there is one.
    pub field: Option<String>,
}

/// A failed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>, field: Option<&str>) -> Self {
        Self {
            status,
            body: ErrorBody { code: code.to_owned(), message: message.into(), field: field.map(str::to_owned) },
        }
    }

    /// 401: no token, or a bad one.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "a valid bearer token is required", None)
    }

    /// 404: absent, or out of the caller's scope (never told apart).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", what, None)
    }

    /// 403: in scope, but the role may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message, None)
    }

    /// 400: a field of the request is wrong.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID", message, Some(field))
    }

    /// 409: a rule refuses the request; `code` is the rule's own code.
    pub fn refused(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message, None)
    }

    /// 409: the request conflicts with another (an idempotency key reused with another body).
    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "CONFLICT", message, field)
    }

    /// 412: `If-Match` names an older version.
    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, "PRECONDITION_FAILED", message, Some("If-Match"))
    }

    /// 413.
    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", "the request body is too large", None)
    }

    /// 429.
    pub fn rate_limited() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "too many requests from this address; retry later",
            None,
        )
    }

    /// 500: logged with its detail; the client gets none.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error (logged)", None)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(message) => Self::not_found(message),
            StoreError::Refused(message) => Self::refused("REFUSED", message),
            StoreError::Stale(message) => Self::precondition_failed(message),
            other => Self::internal(other),
        }
    }
}

impl From<custodia_app::AppError> for ApiError {
    fn from(e: custodia_app::AppError) -> Self {
        use custodia_app::AppError as E;
        match e {
            E::Unauthenticated(message) => Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message, None),
            E::NotFound(message) => Self::not_found(message),
            E::Forbidden(message) => Self::forbidden(message),
            E::Invalid { field, message } => Self::invalid(&field, message),
            E::Refused { code, message } => Self::refused(&code, message),
            E::Conflict { field, message } => Self::conflict(field.as_deref(), message),
            E::Stale(message) => Self::precondition_failed(message),
            E::Internal(detail) => Self::internal(detail),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;
