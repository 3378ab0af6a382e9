//! The web interface for staff (docs/web.md): server-rendered pages at `/`, in Spanish and English,
//! calling the application layer with the same roles, scopes and two-person rules as the API.
//!
//! Pages work without JavaScript (plain forms, full-page posts). Every form posts the session's
//! CSRF token; every page carries a policy without inline script or style.

mod case_forms;
mod cases;
mod chart;
mod context;
mod facility;
mod forecast;
mod incidents;
mod inspections;
mod invoices;
mod journal;
mod layout;
mod oversight_format;
mod overview;
mod pages;
mod person;
mod rights;
pub mod session;
mod signin;
mod subscriptions;
mod sustainability;
mod waiting;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub use context::{Fields, SignedIn, Web};

/// The web interface's stylesheet, embedded.
pub const CSS: &str = include_str!("../../assets/web.css");

/// The policy of every page: own stylesheet and forms to this server only; no script at all.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                            frame-ancestors 'none'; base-uri 'none'";

/// The web routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/assets/web.css", get(stylesheet))
        .route("/language", get(signin::switch_language).post(signin::save_language))
        .route("/sign-in", post(signin::sign_in))
        .route("/sign-out", post(signin::sign_out))
        .route("/agreements/{id}", get(overview::overview))
        .route("/agreements/{id}/facilities/{facility}", get(facility::cells))
        .route("/agreements/{id}/invoices", get(invoices::list).post(invoices::draft))
        .route("/invoices/{id}", get(invoices::show))
        .route("/invoices/{id}/verify", post(invoices::verify))
        .route("/invoices/{id}/export", get(invoices::export))
        .route("/agreements/{id}/sustainability", get(sustainability::report))
        .route("/agreements/{id}/forecast", get(forecast::page))
        .route("/agreements/{id}/incidents", get(incidents::list))
        .route("/incidents/{id}", get(incidents::show))
        .route("/incidents/{id}/notifications", post(incidents::notify))
        .route("/agreements/{id}/inspections", get(inspections::list))
        .route("/agreements/{id}/subscriptions", get(subscriptions::page).post(subscriptions::add))
        .route("/agreements/{id}/subscriptions/{subscription}/remove", post(subscriptions::remove))
        .route("/agreements/{id}/rights", get(rights::page).post(rights::post))
        .route("/inspections/{id}/recommendations/{index}", post(inspections::move_recommendation))
        .route("/waiting", get(waiting::waiting))
        .route("/invoices/{id}/issue", post(waiting::issue_invoice))
        .route("/cell-changes/{id}/confirm", post(waiting::confirm_cells))
        .route("/user-changes/{id}/confirm", post(waiting::confirm_user))
        .route("/users/{name}/enable", post(waiting::enable_user))
        .route("/agreements/{id}/amendments/{proposal}/approve", post(waiting::approve_amendment))
        .route("/cases", get(cases::list).post(cases::propose))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/actions", post(cases::act))
        .route("/persons/{id}", get(person::show))
        .route("/journal", get(journal::show))
}

async fn stylesheet() -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}
