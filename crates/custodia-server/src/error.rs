//! The one place where failures become HTTP answers. Every error body is
//! `{"code": …, "message": …, "field": …}` with a stable `code`; internal details are logged,
//! never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custodia_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code: `UNAUTHENTICATED`, `NOT_FOUND`, `FORBIDDEN`, `INVALID`, `REFUSED`,
    /// `CONFLICT`, `PRECONDITION_FAILED`, `RATE_LIMITED`, `PAYLOAD_TOO_LARGE`,
    /// `METHOD_NOT_ALLOWED`, `UNSUPPORTED_MEDIA_TYPE`, `HEADERS_TOO_LARGE`, `TIMEOUT`, `INTERNAL`, or a
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
    /// `Retry-After`, in seconds (429).
    pub retry_after_secs: Option<u64>,
    /// `WWW-Authenticate` (401).
    pub www_authenticate: Option<String>,
}

/// The `WWW-Authenticate` challenge of a request without a token (RFC 6750).
const BEARER: &str = "Bearer realm=\"custodia\"";

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>, field: Option<&str>) -> Self {
        Self {
            status,
            body: ErrorBody { code: code.to_owned(), message: message.into(), field: field.map(str::to_owned) },
            retry_after_secs: None,
            www_authenticate: None,
        }
    }

    /// 401: no token (`WWW-Authenticate: Bearer`, no error attribute, as RFC 6750 §3.1 asks).
    pub fn unauthenticated() -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "a valid bearer token is required", None);
        e.www_authenticate = Some(BEARER.to_owned());
        e
    }

    /// 401: a token that identifies nobody (unknown, revoked, expired, a disabled user's):
    /// `WWW-Authenticate: Bearer … error="invalid_token"`.
    pub fn invalid_token(message: impl Into<String>) -> Self {
        let message = message.into();
        let description: String = message.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect();
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message, None);
        e.www_authenticate = Some(format!("{BEARER}, error=\"invalid_token\", error_description=\"{description}\""));
        e
    }

    /// 401: a wrong user name or password at sign-in.
    pub fn sign_in_refused(message: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", message, None);
        e.www_authenticate = Some(BEARER.to_owned());
        e
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

    /// 429, with `Retry-After` (whole seconds, rounded up).
    pub fn rate_limited(retry_after: std::time::Duration) -> Self {
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            format!("too many attempts from this address; retry in {seconds} s"),
            None,
        );
        e.retry_after_secs = Some(seconds.max(1));
        e
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
            E::Unauthenticated(message) => Self::invalid_token(message),
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
        let mut response = (self.status, Json(self.body)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(challenge) = self.www_authenticate.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// Most request headers, and most bytes of names and values together, before 431.
pub const MAX_HEADERS: usize = 64;
/// See [`MAX_HEADERS`].
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// A layer that gives every error the API's body: answers the framework makes itself (405 for a
/// method a route does not have, 413 from the body limit, 415, 422 …) carry no JSON, so their
/// body is replaced by `{code, message, field}` (their headers, such as `Allow`, are kept); and
/// requests with too many or too large headers answer 431 the same way.
pub async fn json_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let headers = request.headers();
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "HEADERS_TOO_LARGE",
            format!("at most {MAX_HEADERS} headers of {MAX_HEADER_BYTES} bytes in all"),
            None,
        )
        .into_response();
    }
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    // Pages of the web interface explain their refusals in HTML.
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (code, message) = status_code_and_message(status);
    let (mut parts, _) = response.into_parts();
    let body = ErrorBody { code: code.to_owned(), message: message.to_owned(), field: None };
    let fresh = Json(body).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, fresh.into_body())
}

/// The code and message of an error status the framework answered by itself.
fn status_code_and_message(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("NOT_FOUND", "no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => ("METHOD_NOT_ALLOWED", "the resource does not allow this method (see Allow)"),
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("UNSUPPORTED_MEDIA_TYPE", "the body must be application/json"),
        StatusCode::UNPROCESSABLE_ENTITY => ("INVALID", "the request could not be read"),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ("HEADERS_TOO_LARGE", "the request headers are too large"),
        StatusCode::TOO_MANY_REQUESTS => ("RATE_LIMITED", "too many requests; retry later"),
        StatusCode::REQUEST_TIMEOUT => ("TIMEOUT", "the request took too long"),
        s if s.is_server_error() => ("INTERNAL", "internal error"),
        _ => ("INVALID", "the request was refused"),
    }
}

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;
