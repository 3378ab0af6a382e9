//! Extractors that answer bad input with the API's error body (`{code, message, field}`) instead
//! of the framework's plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The name in backticks of a serde message ("missing field `reason`" → `reason`).
fn field_of(message: &str) -> String {
    message.split('`').nth(1).map(str::to_owned).unwrap_or_else(|| "body".to_owned())
}

/// A JSON body.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::JsonDataError(e)) => {
                let text = e.body_text();
                Err(ApiError::invalid(&field_of(&text), detail(text)))
            }
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::invalid("body", detail(e.body_text()))),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::invalid("Content-Type", custodia_i18n::Text::new("INVALID.json")))
            }
            Err(JsonRejection::BytesRejection(e)) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::payload_too_large())
            }
            Err(other) => Err(ApiError::invalid("body", detail(other.body_text()))),
        }
    }
}

/// The JSON reader's own words about a field (English), framed in the reader's language.
fn detail(text: String) -> custodia_i18n::Text {
    custodia_i18n::Text::new("INVALID.detail").arg("detail", text)
}

/// Query parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state).await.map(|q| Self(q.0)).map_err(
            |e: QueryRejection| {
                let text = e.body_text();
                ApiError::invalid(&field_of(&text).replace("body", "query"), detail(text))
            },
        )
    }
}

/// Path parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e: PathRejection| ApiError::invalid("path", detail(e.body_text())))
    }
}

/// The reader's language, from `Accept-Language` (English when it names neither Spanish nor
/// English; docs/languages.md). Never refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(pub custodia_i18n::Language);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(Self(header.map_or(custodia_i18n::Language::En, custodia_i18n::from_accept_language)))
    }
}
