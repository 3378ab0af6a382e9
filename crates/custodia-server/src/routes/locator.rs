//! The public locator (docs/oversight.md#locator): no login; rate-limited per client address; only agreements
//! with `public_locator = true`; by the sending state's person id, or family name plus birth year.
//! It answers status, facility, country and since-date — nothing else about the person — as JSON
//! for programs and as a page for people (the client's `Accept`, [`wants_page`]).

use axum::Router;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodia_app::AppError;
use custodia_i18n::Arg;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryParams;
use crate::locator_page::{self, Fields, Outcome};
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(paths(locate), components(schemas(Located)))]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/locator", get(locate))
        .route(locator_page::CSS_PATH, get(locator_page::stylesheet))
        .route(locator_page::ICON_PATH, get(locator_page::icon))
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

/// The question: a person id, or a family name and birth year (documentation of the query; the
/// handler reads [`SentQuery`]).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocatorQuery {
    /// The sending state's person id.
    pub person_id: Option<String>,
    /// Family name, or any one of a person's family names; case and accents are ignored
    /// (`Garcia` finds `García`, `Torres` finds `Torres Rivas`).
    pub family_name: Option<String>,
    /// Year of birth, with `family_name`.
    pub birth_year: Option<i32>,
    /// The page's language, `es` or `en` (else `Accept-Language`); JSON answers ignore it.
    pub lang: Option<String>,
}

/// The query as sent: texts, an empty field (as a form sends it) being absent.
#[derive(Debug, Default, Deserialize)]
struct SentQuery {
    person_id: Option<String>,
    family_name: Option<String>,
    birth_year: Option<String>,
    lang: Option<String>,
}

impl SentQuery {
    fn fields(&self) -> Fields {
        let present = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        Fields {
            person_id: present(&self.person_id),
            family_name: present(&self.family_name),
            birth_year: present(&self.birth_year),
        }
    }
}

/// The application's question from the fields.
fn question(fields: &Fields) -> Result<custodia_app::locator::LocatorQuery, AppError> {
    let birth_year = match &fields.birth_year {
        Some(year) => {
            Some(year.parse::<i32>().map_err(|_| AppError::invalid("birth_year", "give a year from 1850 to 2100"))?)
        }
        None => None,
    };
    Ok(custodia_app::locator::LocatorQuery {
        person_id: fields.person_id.clone(),
        family_name: fields.family_name.clone(),
        birth_year,
    })
}

/// Where someone held under an agreement is: JSON (200 with an empty list when nothing matches)
/// unless the client prefers a page (`Accept: text/html`, as browsers send), then the page.
#[utoipa::path(get, path = "/locator", tag = "locator", params(LocatorQuery), security(()),
    responses(
        (status = 200, description = "JSON; or the HTML page when `Accept` prefers `text/html`", content(
            ([Located] = "application/json"), (String = "text/html"))),
        (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn locate(
    State(state): State<AppState>,
    parts: Parts,
    sent: Result<QueryParams<SentQuery>, ApiError>,
) -> Response {
    let limited = state.locator.take(&state.client(&parts), crate::clock::instant()).err();
    if wants_page(&parts.headers) {
        return page(&state, &parts.headers, sent.map(|QueryParams(q)| q), limited).await;
    }
    if let Some(retry_after) = limited {
        return ApiError::rate_limited(retry_after).into_response();
    }
    let found = match sent.and_then(|QueryParams(q)| Ok(question(&q.fields())?)) {
        Ok(query) => state.app.locate(query).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match found {
        Ok(found) => axum::Json(found.into_iter().map(wire).collect::<Vec<_>>()).into_response(),
        Err(e) => e.into_response(),
    }
}

fn wire(l: custodia_app::locator::Located) -> Located {
    Located { status: l.status.as_str().to_owned(), facility: l.facility, country: l.country, since: l.since }
}

/// The page: the form alone when nothing was asked, else the answer or the reason it was refused
/// (in the page's language, with the status the JSON answer would have).
async fn page(
    state: &AppState,
    headers: &HeaderMap,
    sent: Result<SentQuery, ApiError>,
    limited: Option<std::time::Duration>,
) -> Response {
    let sent = sent.ok();
    let language = locator_page::language(sent.as_ref().and_then(|q| q.lang.as_deref()), headers);
    let fields = sent.as_ref().map(SentQuery::fields).unwrap_or_default();
    if let Some(retry_after) = limited {
        let e = ApiError::rate_limited(retry_after);
        let seconds = e.retry_after_secs.unwrap_or(1);
        let outcome = Outcome::Refused("locator-rate-limited", vec![("seconds", Arg::Int(i64::from(seconds)))]);
        let mut response = locator_page::answer(e.status, language, &fields, &outcome);
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    if sent.is_none() {
        return locator_page::answer(
            StatusCode::BAD_REQUEST,
            language,
            &fields,
            &Outcome::Refused("locator-error-query", Vec::new()),
        );
    }
    if fields.person_id.is_none() && fields.family_name.is_none() && fields.birth_year.is_none() {
        return locator_page::answer(StatusCode::OK, language, &fields, &Outcome::Form);
    }
    let found = match question(&fields) {
        Ok(query) => state.app.locate(query).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(found) => locator_page::answer(StatusCode::OK, language, &fields, &Outcome::Found(found)),
        Err(e) => {
            let key = match &e {
                AppError::Invalid { field, .. } if field == "person_id" => "locator-error-person_id",
                AppError::Invalid { field, .. } if field == "family_name" => "locator-error-family_name",
                AppError::Invalid { .. } => "locator-error-birth_year",
                _ => "locator-unavailable",
            };
            let status = ApiError::from(e).status;
            locator_page::answer(status, language, &fields, &Outcome::Refused(key, Vec::new()))
        }
    }
}

/// Whether the client prefers a page: `Accept` lists `text/html` (or XHTML) above
/// `application/json`. Browsers do; `Accept: application/json`, `*/*` and no `Accept` get JSON.
pub fn wants_page(headers: &HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let (mut html, mut json) = (0u16, 0u16);
    for range in accept.split(',').take(32) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let weight = parts.find_map(|p| p.trim().strip_prefix("q=").map(thousandths)).unwrap_or(1000);
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = html.max(weight),
            "application/json" => json = json.max(weight),
            _ => {}
        }
    }
    html > json
}

/// A quality value (`1`, `0.9`, `0.125`) in thousandths; 0 when malformed.
fn thousandths(q: &str) -> u16 {
    let (whole, fraction) = q.trim().split_once('.').unwrap_or((q.trim(), ""));
    let digits = format!("{fraction:0<3}");
    match (whole, digits.get(..3).and_then(|d| d.parse::<u16>().ok())) {
        ("1", Some(0)) => 1000,
        ("0", Some(f)) if fraction.len() <= 3 => f,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn browsers_get_the_page_and_programs_json() {
        // Chromium's and Firefox's navigation headers.
        assert!(wants_page(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
        )));
        assert!(wants_page(&accept("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")));
        assert!(!wants_page(&accept("application/json")));
        assert!(!wants_page(&accept("*/*")));
        assert!(!wants_page(&HeaderMap::new()));
        assert!(!wants_page(&accept("text/html;q=0.5, application/json")));
        assert!(!wants_page(&accept("text/html, application/json")));
        assert!(wants_page(&accept("application/json;q=0.2, text/html;q=0.9")));
        assert!(!wants_page(&accept("text/html;q=0")));
    }

    #[test]
    fn quality_values_in_thousandths() {
        assert_eq!(thousandths("1"), 1000);
        assert_eq!(thousandths("1.0"), 1000);
        assert_eq!(thousandths("0.9"), 900);
        assert_eq!(thousandths("0.125"), 125);
        assert_eq!(thousandths("0.1234"), 0);
        assert_eq!(thousandths("2"), 0);
        assert_eq!(thousandths("x"), 0);
    }
}
