//! Wire types shared by several routes. Each route module keeps its own request and answer types;
//! core types are never the JSON contract.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// Paging of a list: items after the cursor `after`, at most `limit` (capped by the server's
/// `max_page_items`; default 100).
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Return items after this cursor (the `next_after` of the previous page).
    pub after: Option<i64>,
    /// At most this many items (1..=max_page_items; default 100).
    pub limit: Option<u32>,
}

impl PageQuery {
    /// The cursor and the limit, checked.
    pub fn resolve(&self, max: u32) -> Result<(i64, usize), ApiError> {
        let limit = self.limit.unwrap_or(100.min(max));
        if limit == 0 || limit > max {
            return Err(ApiError::invalid("limit", custodia_i18n::Text::new("INVALID.range").count("max", max)));
        }
        Ok((self.after.unwrap_or(0), usize::try_from(limit).unwrap_or(usize::MAX)))
    }
}

/// A page of items and the cursor of the next page (null on the last).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `after` for the next page; null when there is none.
    pub next_after: Option<i64>,
}

impl<T> Page<T> {
    /// A page from items sorted by `key`, after `after`, at most `limit`.
    pub fn of(items: impl IntoIterator<Item = T>, key: impl Fn(&T) -> i64, after: i64, limit: usize) -> Self {
        let mut out: Vec<T> = items.into_iter().filter(|i| key(i) > after).take(limit.saturating_add(1)).collect();
        let next_after = if out.len() > limit {
            out.truncate(limit);
            out.last().map(&key)
        } else {
            None
        };
        Page { items: out, next_after }
    }
}

/// Parses a civil date field.
pub fn date(field: &str, text: &str) -> Result<custodia_core::Date, ApiError> {
    custodia_app::fields::date(field, text).map_err(ApiError::from)
}

/// Parses an RFC 3339 timestamp field with any offset; it is kept in UTC.
pub fn timestamp(field: &str, text: &str) -> Result<custodia_store::Timestamp, ApiError> {
    custodia_store::Timestamp::parse(text).map_err(|e| ApiError::invalid(field, e))
}

/// A coded reason of a case step (`FLIGHT_LEFT`): see [`custodia_core::custody::ReasonCode`].
pub fn reason_code(field: &str, value: &str) -> Result<String, ApiError> {
    custodia_core::custody::ReasonCode::parse(value)
        .map(String::from)
        .map_err(|e| ApiError::invalid(field, e.to_string()))
}

/// A required, non-empty text field of at most `max` bytes.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    custodia_app::fields::required_text(field, value, max).map_err(ApiError::from)
}
