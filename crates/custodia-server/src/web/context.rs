//! What every page needs from its request: the language, the signed-in user (if any), whether the
//! browser came over TLS; and a form's fields.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use custodia_i18n::{Arg, Language};

use super::layout;
use super::session::{self, Session};
use crate::auth::Principal;
use crate::state::AppState;

/// The language cookie the switch sets.
pub(crate) const LANG_COOKIE: &str = "lang";

/// A signed-in user and their session.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The user, as an API token of theirs would resolve.
    pub who: Principal,
    /// The session.
    pub session: Session,
    /// The session's id (from the cookie).
    pub id: String,
}

/// A page request.
#[derive(Clone, Debug)]
pub struct Web {
    /// The page's language.
    pub lang: Language,
    /// The user, when signed in.
    pub signed_in: Option<SignedIn>,
    /// The path (and query) asked for, for the language switch to come back to.
    pub path: String,
    /// Whether cookies get `Secure`: configured, or a trusted proxy says the browser used https.
    pub secure: bool,
}

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// The language: the switch's cookie, else the signed-in user's own choice, else
/// `Accept-Language`, else English (docs/languages.md#choice).
pub(crate) fn language(headers: &HeaderMap, own: Option<Language>) -> Language {
    if let Some(chosen) = cookie(headers, LANG_COOKIE).and_then(custodia_i18n::parse_language).or(own) {
        return chosen;
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    custodia_i18n::from_accept_language(accept)
}

/// Whether the browser reached us over TLS: the `web_secure_cookies` setting, or a trusted
/// proxy's `X-Forwarded-Proto: https` (the header is ignored from anyone else).
fn over_tls(state: &AppState, parts: &Parts) -> bool {
    if state.config.web_secure_cookies {
        return true;
    }
    let peer = crate::state::client_address(parts);
    let trusted = state.config.trusted_proxies.iter().any(|net| net.contains(&peer));
    let proto = parts.headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok());
    trusted && proto.is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

async fn signed_in(state: &AppState, parts: &Parts) -> Option<SignedIn> {
    let id = cookie(&parts.headers, session::COOKIE)?;
    let session = state.web_sessions.touch(id, crate::clock::instant())?;
    match crate::auth::principal_for_hash(state, parts, &session.token_hash).await {
        Ok(who) => Some(SignedIn { who, session, id: id.to_owned() }),
        Err(_) => {
            // The token was revoked, expired or its user disabled: the session ends with it.
            state.web_sessions.end(id);
            None
        }
    }
}

impl FromRequestParts<AppState> for Web {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let signed_in = signed_in(state, parts).await;
        Ok(Self {
            lang: language(&parts.headers, signed_in.as_ref().and_then(|u| u.who.language)),
            signed_in,
            path,
            secure: over_tls(state, parts),
        })
    }
}

impl Web {
    /// A text of the catalogue in the page's language.
    pub fn t(&self, key: &str) -> String {
        custodia_i18n::text(self.lang, key, &[])
    }

    /// A text with arguments.
    pub fn ta(&self, key: &str, args: &[(&str, Arg)]) -> String {
        custodia_i18n::text(self.lang, key, args)
    }

    /// The signed-in user, or the sign-in page's address to go to.
    pub fn user(&self) -> Result<&SignedIn, Box<Response>> {
        self.signed_in.as_ref().ok_or_else(|| Box::new(axum::response::Redirect::to("/").into_response()))
    }

    /// The signed-in user whose form carries the session's CSRF token; a refusal page naming the
    /// rule otherwise (nothing is done).
    pub fn user_with_csrf(&self, fields: &Fields) -> Result<&SignedIn, Box<Response>> {
        let user = self.user()?;
        let sent = fields.get("csrf").unwrap_or_default();
        if session::same_secret(sent, &user.session.csrf) {
            Ok(user)
        } else {
            Err(Box::new(layout::csrf_refusal(self)))
        }
    }

    /// A `Set-Cookie` value: `HttpOnly; SameSite=Strict; Path=/`, and `Secure` over TLS.
    pub fn cookie(&self, name: &str, value: &str, max_age_secs: u64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
    }
}

/// Most bytes of a form.
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;

/// The fields of a posted form (`application/x-www-form-urlencoded`).
#[derive(Clone, Debug, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }
}

impl FromRequest<AppState> for Fields {
    type Rejection = Response;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Self::Rejection> {
        let body = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
            .await
            .map_err(|_| (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response())?;
        Ok(Self(form_urlencoded::parse(&body).map(|(n, v)| (n.into_owned(), v.into_owned())).collect()))
    }
}
