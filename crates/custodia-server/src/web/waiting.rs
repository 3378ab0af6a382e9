//! `/waiting`: every two-person step the signed-in user may complete (from the application
//! layer's list), each completed by one button here or one link to its case page; and the posts
//! those buttons make, each through its own use case (which enforces the two-person rule).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use custodia_app::AppError;
use custodia_app::waiting::{StepKind, WaitingStep};
use maud::{Markup, html};

use super::context::{Fields, SignedIn, Web};
use super::layout::{self, csrf_field};
use crate::state::AppState;

/// A one-button form posting to `action`.
fn button(user: &SignedIn, action: &str, label: &str) -> Markup {
    html! {
        form class="inline" method="post" action=(action) {
            (csrf_field(user))
            button type="submit" { (label) }
        }
    }
}

/// The one click that completes (or opens) a step.
fn step_action(web: &Web, user: &SignedIn, step: &WaitingStep) -> Markup {
    let r = &step.record;
    match step.kind {
        StepKind::CaseApproval | StepKind::ReviewToConfirm | StepKind::HoldLift | StepKind::OverrideToUse => {
            html! { a href={ "/cases/" (r) "#actions" } { (web.t("web-waiting-open-case")) } }
        }
        StepKind::InvoiceToIssue => button(user, &format!("/invoices/{r}/issue"), &web.t("web-waiting-issue")),
        StepKind::CellChange => button(user, &format!("/cell-changes/{r}/confirm"), &web.t("web-waiting-confirm")),
        StepKind::UserChange => button(user, &format!("/user-changes/{r}/confirm"), &web.t("web-waiting-confirm")),
        StepKind::UserEnable => button(user, &format!("/users/{r}/enable"), &web.t("web-waiting-confirm")),
        StepKind::AmendmentToApprove => {
            let agreement = step.agreement_id.as_deref().unwrap_or_default();
            button(user, &format!("/agreements/{agreement}/amendments/{r}/approve"), &web.t("web-waiting-approve"))
        }
    }
}

fn steps_table(web: &Web, user: &SignedIn, steps: &[WaitingStep]) -> Markup {
    html! {
        table {
            caption { (web.t("web-waiting-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-waiting-what")) }
                th scope="col" { (web.t("web-waiting-agreement")) }
                th scope="col" { (web.t("web-waiting-record")) }
                th scope="col" { (web.t("web-waiting-started-by")) }
                th scope="col" { (web.t("web-waiting-action")) }
            } }
            tbody {
                @for step in steps {
                    tr {
                        td { (web.t(&format!("web-step-{}", step.kind.as_str()))) }
                        td { (step.agreement_id.as_deref().unwrap_or("—")) }
                        td { (step.record) }
                        td { (step.started_by.as_deref().unwrap_or("—")) }
                        td { (step_action(web, user, step)) }
                    }
                }
            }
        }
    }
}

/// `GET /waiting`.
pub(crate) async fn waiting(State(state): State<AppState>, web: Web) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let steps = match state.app.waiting_for(&user.who).await {
        Ok(steps) => steps,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let body = html! {
        p { (web.t("web-waiting-intro")) }
        @if steps.is_empty() { p { (web.t("web-waiting-none")) } } @else { (steps_table(&web, user, &steps)) }
    };
    layout::page(&web, &web.t("web-nav-waiting"), body)
}

/// Runs a posted step for a user whose form carries the session's CSRF token, then goes back to
/// `/waiting`; a refusal shows its code and message and changes nothing.
async fn complete<F, Fut, T>(web: Web, fields: Fields, run: F) -> Response
where
    F: FnOnce(crate::auth::Principal) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let who = match web.user_with_csrf(&fields) {
        Ok(user) => user.who.clone(),
        Err(refused) => return *refused,
    };
    match run(who).await {
        Ok(_) => Redirect::to("/waiting").into_response(),
        Err(e) => layout::app_refusal(&web, &e),
    }
}

/// `POST /invoices/{id}/issue` (from "waiting for you", or from the invoice's page with
/// `back=invoice`, which goes back to that page once issued).
pub(crate) async fn issue_invoice(State(s): State<AppState>, web: Web, Path(id): Path<i64>, f: Fields) -> Response {
    let to_invoice = f.get("back") == Some("invoice");
    let done = complete(web, f, |who| async move { s.app.issue_invoice(&who, id, &crate::clock::now()).await }).await;
    let issued = done.headers().get(axum::http::header::LOCATION).is_some_and(|to| to == "/waiting");
    if to_invoice && issued {
        return Redirect::to(&format!("/invoices/{id}")).into_response();
    }
    done
}

/// `POST /cell-changes/{id}/confirm`.
pub(crate) async fn confirm_cells(State(s): State<AppState>, web: Web, Path(id): Path<i64>, f: Fields) -> Response {
    complete(web, f, |who| async move { s.app.confirm_cell_change(&who, id, &crate::clock::now()).await }).await
}

/// `POST /user-changes/{id}/confirm`.
pub(crate) async fn confirm_user(State(s): State<AppState>, web: Web, Path(id): Path<i64>, f: Fields) -> Response {
    let tokens = s.clone();
    let done = complete(web, f, |who| async move { s.app.confirm_user_change(&who, id, &crate::clock::now()).await });
    let response = done.await;
    // A confirmed change may change a role or scopes: cached tokens are checked again.
    tokens.tokens.clear();
    response
}

/// `POST /users/{name}/enable`.
pub(crate) async fn enable_user(State(s): State<AppState>, web: Web, Path(name): Path<String>, f: Fields) -> Response {
    complete(web, f, |who| async move { s.app.enable_user(&who, &name, &crate::clock::now()).await }).await
}

/// `POST /agreements/{id}/amendments/{proposal}/approve`.
pub(crate) async fn approve_amendment(
    State(s): State<AppState>,
    web: Web,
    Path((id, proposal)): Path<(String, i64)>,
    f: Fields,
) -> Response {
    complete(web, f, |who| async move { s.app.approve_amendment(&who, &id, proposal, &crate::clock::now()).await })
        .await
}
