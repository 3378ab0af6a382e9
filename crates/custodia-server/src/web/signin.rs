//! Signing in and out, and the language switch.
//!
//! The sign-in form is protected against cross-site posting by a token in a cookie that the form
//! repeats (there is no session yet); signing in goes through the application layer's password
//! sign-in under the API's failed-attempt limits.

use axum::extract::{Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::context::{Fields, LANG_COOKIE, Web};
use super::layout;
use super::session::{self, ABSOLUTE};
use crate::state::AppState;

/// The cookie holding the sign-in form's token.
const SIGN_IN_COOKIE: &str = "custodia_sign_in";

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The sign-in page, with a fresh form token; `problem` is a refusal to show (code, message).
pub(crate) fn sign_in_page(web: &Web, status: StatusCode, problem: Option<(&str, String)>) -> Response {
    let Ok(token) = session::random_secret() else {
        return layout::refusal(web, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", &web.t("web-no-randomness"));
    };
    let body = html! {
        @if let Some((code, message)) = &problem {
            div class="refusal" role="alert" {
                p { strong { (web.t("web-refusal-code")) " " code { (code) } } }
                p { (message) }
            }
        }
        form class="sign-in" method="post" action="/sign-in" {
            input type="hidden" name="csrf" value=(token);
            p {
                label for="name" { (web.t("web-sign-in-name")) }
                input id="name" name="name" type="text" autocomplete="username" required maxlength="100";
            }
            p {
                label for="password" { (web.t("web-sign-in-password")) }
                input id="password" name="password" type="password" autocomplete="current-password" required;
            }
            p { button type="submit" { (web.t("web-sign-in")) } }
        }
    };
    let response = layout::respond(status, layout::document(web, &web.t("web-sign-in-title"), body));
    with_cookie(response, &web.cookie(SIGN_IN_COOKIE, &token, 3600))
}

/// `POST /sign-in`: a session for a good name and password.
pub(crate) async fn sign_in(State(state): State<AppState>, web: Web, parts: Parts, fields: Fields) -> Response {
    let sent = fields.get("csrf").unwrap_or_default();
    let expected = super::context::cookie(&parts.headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same_secret(sent, expected) {
        return layout::csrf_refusal(&web);
    }
    let (name, password) = (fields.get("name").unwrap_or_default(), fields.get("password").unwrap_or_default());
    let lifetime = i64::try_from(ABSOLUTE.as_secs()).unwrap_or(i64::MAX);
    let expires =
        custodia_store::Timestamp::from_unix_seconds(crate::clock::now().unix_seconds().saturating_add(lifetime));
    let issued =
        match crate::routes::users::limited_sign_in(&state, &parts, name, password, expires.ok().as_ref()).await {
            Ok(issued) => issued,
            Err(refused) => {
                let message = custodia_i18n::for_code(
                    web.lang,
                    &format!("web-sign-in-{}", refused.body.code),
                    &[],
                    &refused.body.message,
                )
                .into_owned();
                return sign_in_page(&web, refused.status, Some((&refused.body.code, message)));
            }
        };
    let hash = crate::auth::token_hash(&issued.secret);
    let Ok((id, _)) = state.web_sessions.start(hash, issued.row.id, crate::clock::instant()) else {
        return layout::refusal(&web, StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", &web.t("web-no-randomness"));
    };
    let mut response =
        with_cookie(Redirect::to("/").into_response(), &web.cookie(session::COOKIE, &id, ABSOLUTE.as_secs()));
    // The user's own language (docs/languages.md#choice) follows them to this browser.
    if let Some(language) = crate::auth::principal_for_hash(&state, &parts, &hash).await.ok().and_then(|w| w.language) {
        response = with_cookie(response, &web.cookie(LANG_COOKIE, custodia_i18n::code(language), LANG_COOKIE_SECS));
    }
    with_cookie(response, &web.cookie(SIGN_IN_COOKIE, "", 0))
}

/// How long the language cookie lasts: a year.
const LANG_COOKIE_SECS: u64 = 365 * 24 * 3600;

/// `POST /language`: the signed-in user's own language for the pages (`language` = `es`, `en`, or
/// empty to follow the browser), journalled through the application layer and applied to this
/// browser at once; then back to the home page.
pub(crate) async fn save_language(State(state): State<AppState>, web: Web, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let chosen = match fields.get("language").unwrap_or_default() {
        "" => None,
        other => match custodia_i18n::parse_language(other) {
            Some(language) => Some(language),
            None => return layout::refusal(&web, StatusCode::BAD_REQUEST, "INVALID", &web.t("web-language-unknown")),
        },
    };
    if let Err(e) = state.app.set_own_language(&user.who, chosen, &crate::clock::now()).await {
        return layout::app_refusal(&web, &e);
    }
    // Cached principals carry the old choice: forget them on this server.
    state.tokens.clear();
    let cookie = match chosen {
        Some(language) => web.cookie(LANG_COOKIE, custodia_i18n::code(language), LANG_COOKIE_SECS),
        None => web.cookie(LANG_COOKIE, "", 0),
    };
    with_cookie(Redirect::to("/").into_response(), &cookie)
}

/// `POST /sign-out`: ends the session and revokes its token.
pub(crate) async fn sign_out(State(state): State<AppState>, web: Web, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    state.web_sessions.end(&user.id);
    if let Err(e) = state.app.revoke_token(&user.who, user.session.token_id, &crate::clock::now()).await {
        tracing::warn!(error = %e, "the session's token could not be revoked; it expires with the session");
    }
    state.tokens.clear();
    with_cookie(Redirect::to("/").into_response(), &web.cookie(session::COOKIE, "", 0))
}

/// The switch's query.
#[derive(Debug, Deserialize)]
pub(crate) struct Switch {
    to: String,
    back: Option<String>,
}

/// A path on this server to go back to (never another site: `//host`, `/\host`).
fn local_path(back: Option<&str>) -> &str {
    match back {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p,
        _ => "/",
    }
}

/// `GET /language?to=es&back=/cases`: remembers the language in a cookie and goes back.
pub(crate) async fn switch_language(web: Web, Query(switch): Query<Switch>) -> Response {
    let Some(language) = custodia_i18n::parse_language(&switch.to) else {
        return layout::refusal(&web, StatusCode::BAD_REQUEST, "INVALID", &web.t("web-language-unknown"));
    };
    let back = local_path(switch.back.as_deref());
    let cookie = web.cookie(LANG_COOKIE, custodia_i18n::code(language), LANG_COOKIE_SECS);
    with_cookie(Redirect::to(back).into_response(), &cookie)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_goes_back_only_to_this_server() {
        assert_eq!(local_path(Some("/cases?state=proposed")), "/cases?state=proposed");
        for away in [None, Some("https://evil.example/"), Some("//evil.example"), Some("/\\evil"), Some("")] {
            assert_eq!(local_path(away), "/");
        }
    }
}
