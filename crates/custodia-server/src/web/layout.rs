//! The frame of every page: landmarks (header, nav, main, footer), a skip link, `<html lang>`, the
//! language switch and the sign-out form; and the pages that refuse.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::context::{SignedIn, Web};

/// The hidden field carrying the session's CSRF token (in every form of a signed-in page).
pub(crate) fn csrf_field(user: &SignedIn) -> Markup {
    html! { input type="hidden" name="csrf" value=(user.session.csrf); }
}

fn language_switch(web: &Web) -> Markup {
    let back: String = form_urlencoded::byte_serialize(web.path.as_bytes()).collect();
    html! {
        nav class="languages" aria-label=(web.t("web-language-switch")) {
            ul {
                @for language in custodia_i18n::LANGUAGES {
                    @let code = custodia_i18n::code(language);
                    li {
                        @if language == web.lang {
                            span lang=(code) aria-current="true" { (custodia_i18n::own_name(language)) }
                        } @else {
                            a lang=(code) hreflang=(code) href={ "/language?to=" (code) "&back=" (back) } {
                                (custodia_i18n::own_name(language))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn user_bar(web: &Web, user: &SignedIn) -> Markup {
    html! {
        nav class="site" aria-label=(web.t("web-nav-label")) {
            ul {
                li { a href="/" { (web.t("web-nav-home")) } }
                li { a href="/waiting" { (web.t("web-nav-waiting")) } }
                li { a href="/cases" { (web.t("web-nav-cases")) } }
                li { a href="/journal" { (web.t("web-nav-journal")) } }
            }
        }
        form class="sign-out" method="post" action="/sign-out" {
            (csrf_field(user))
            span class="who" { (user.who.name) " · " (web.t(&format!("web-role-{}", user.who.role.as_str()))) }
            button type="submit" { (web.t("web-sign-out")) }
        }
    }
}

/// A whole page.
pub(crate) fn document(web: &Web, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(custodia_i18n::code(web.lang)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Custodia" }
                link rel="stylesheet" href="/assets/web.css";
                link rel="icon" href=(crate::locator_page::ICON_PATH) type="image/svg+xml";
            }
            body {
                a class="skip" href="#main" { (web.t("web-skip-to-content")) }
                header {
                    p class="brand" { a href="/" { "Custodia" } }
                    (language_switch(web))
                    @if let Some(user) = &web.signed_in { (user_bar(web, user)) }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
                footer { p { (web.t("web-footer")) } }
            }
        }
    }
}

/// A page answer with the page policy.
pub(crate) fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut response =
        (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string()).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(super::PAGE_CSP));
    response
}

/// A page (200).
pub(crate) fn page(web: &Web, title: &str, body: Markup) -> Response {
    respond(StatusCode::OK, document(web, title, body))
}

/// A refusal: its code, the explained message, and where to go on.
pub(crate) fn refusal(web: &Web, status: StatusCode, code: &str, message: &str) -> Response {
    let body = html! {
        div class="refusal" role="alert" {
            p { strong { (web.t("web-refusal-code")) " " code { (code) } } }
            p { (message) }
        }
        p { a href="/" { (web.t("web-back-home")) } }
    };
    respond(status, document(web, &web.t("web-refused-title"), body))
}

/// The refusal of a form without the session's CSRF token.
pub(crate) fn csrf_refusal(web: &Web) -> Response {
    refusal(web, StatusCode::FORBIDDEN, "CSRF_TOKEN", &web.t("web-csrf-refused"))
}

/// The refusal of an application-layer error: its code and its message.
pub(crate) fn app_refusal(web: &Web, error: &custodia_app::AppError) -> Response {
    api_refusal(web, &crate::error::ApiError::from(error.clone()))
}

/// The refusal of an edge error (a form the API's reading refuses): its code and message.
pub(crate) fn api_refusal(web: &Web, api: &crate::error::ApiError) -> Response {
    let message = api.text.render(web.lang);
    let explained = match &api.body.field {
        Some(field) => format!("{message} ({}: {field})", web.t("web-field")),
        None => message,
    };
    refusal(web, api.status, &api.body.code, &explained)
}
