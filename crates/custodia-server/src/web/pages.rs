//! The home page: the sign-in page for anyone not signed in, else the agreements in scope.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::context::Web;
use super::layout;
use crate::state::AppState;

/// `GET /`.
pub(crate) async fn home(State(state): State<AppState>, web: Web) -> Response {
    let Some(user) = &web.signed_in else {
        return super::signin::sign_in_page(&web, StatusCode::OK, None);
    };
    let agreements = match state.app.agreements(&user.who).await {
        Ok(found) => found,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let body = html! {
        p { (web.ta("web-home-welcome", &[("name", user.who.name.as_str().into())])) }
        h2 { (web.t("web-home-agreements")) }
        @if agreements.is_empty() {
            p { (web.t("web-home-no-agreements")) }
        } @else {
            ul class="agreements" {
                @for record in &agreements {
                    @let id = record.agreement.id.as_str();
                    li {
                        a href={ "/agreements/" (id) } { (record.agreement.title) }
                        " (" (id) ") · "
                        a href={ "/cases?agreement=" (id) } { (web.t("web-home-cases-of")) }
                    }
                }
            }
        }
        p { a href="/waiting" { (web.t("web-nav-waiting")) } }
        (own_language_form(&web, user))
    };
    layout::page(&web, &web.t("web-home-title"), body)
}

/// The user's own language for the pages, kept in the register so it follows them to any browser
/// (the switch at the top changes only this browser).
fn own_language_form(web: &Web, user: &super::SignedIn) -> maud::Markup {
    let own = user.who.language;
    html! {
        form method="post" action="/language" class="own-language" {
            h2 { (web.t("web-own-language")) }
            (layout::csrf_field(user))
            p {
                label for="own-language" { (web.t("web-own-language-label")) }
                select id="own-language" name="language" {
                    option value="" selected[own.is_none()] { (web.t("web-own-language-browser")) }
                    @for language in custodia_i18n::LANGUAGES {
                        option value=(custodia_i18n::code(language)) lang=(custodia_i18n::code(language))
                            selected[own == Some(language)] { (custodia_i18n::own_name(language)) }
                    }
                }
            }
            p { button type="submit" { (web.t("web-own-language-save")) } }
        }
    }
}
