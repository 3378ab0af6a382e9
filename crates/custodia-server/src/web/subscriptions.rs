//! `/agreements/{id}/subscriptions`: who is told of the agreement's alerts (docs/alerts.md) — the
//! subscriptions in force with a button to end each, a form to add one (webhook or e-mail), and
//! the delivery log. Forms post to the same use cases as the API.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use custodia_app::notify::SubscriptionRequest;
use custodia_core::alerts::AlertKind;
use custodia_store::notifications::{DeliveryRow, SubscriptionRow};
use maud::{Markup, html};

use super::context::{Fields, SignedIn, Web};
use super::layout::{self, csrf_field};
use crate::state::AppState;

fn subscriptions_table(web: &Web, user: &SignedIn, id: &str, rows: &[SubscriptionRow]) -> Markup {
    if rows.is_empty() {
        return html! { p { (web.t("web-subscriptions-none")) } };
    }
    html! {
        table {
            caption { (web.t("web-subscriptions-caption")) }
            thead { tr {
                th scope="col" class="number" { "#" }
                th scope="col" { (web.t("web-subscriptions-channel")) }
                th scope="col" { (web.t("web-subscriptions-target")) }
                th scope="col" { (web.t("web-subscriptions-severity")) }
                th scope="col" { (web.t("web-subscriptions-kinds")) }
                th scope="col" { (web.t("web-subscriptions-created-by")) }
                th scope="col" { (web.t("web-subscriptions-action")) }
            } }
            tbody { @for s in rows { tr {
                td class="number" { (s.id) }
                td { (web.t(&format!("web-subscriptions-channel-{}", s.channel))) }
                td { code { (s.target) } }
                td { (web.t(&format!("web-subscriptions-severity-{}", s.min_severity))) }
                td { @if s.kinds.is_empty() { (web.t("web-subscriptions-every-kind")) } @else {
                    @for (i, k) in s.kinds.iter().enumerate() { @if i > 0 { ", " } code { (k) } }
                } }
                td { (s.created_by) }
                td { form class="inline" method="post" action={ "/agreements/" (id) "/subscriptions/" (s.id) "/remove" } {
                    (csrf_field(user))
                    button type="submit" { (web.t("web-subscriptions-remove")) }
                } }
            } } }
        }
    }
}

fn add_form(web: &Web, user: &SignedIn, id: &str) -> Markup {
    html! {
        form method="post" action={ "/agreements/" (id) "/subscriptions" } {
            (csrf_field(user))
            p { label for="channel" { (web.t("web-subscriptions-channel")) } " "
                select id="channel" name="channel" {
                    option value="webhook" { (web.t("web-subscriptions-channel-webhook")) }
                    option value="email" { (web.t("web-subscriptions-channel-email")) }
                } }
            p { label for="url" { (web.t("web-subscriptions-url")) } " " input id="url" name="url" type="url"; }
            p { label for="secret" { (web.t("web-subscriptions-secret")) } " "
                input id="secret" name="secret" type="password" autocomplete="off"; }
            p { label for="email" { (web.t("web-subscriptions-email")) } " " input id="email" name="email" type="email"; }
            p { label for="min_severity" { (web.t("web-subscriptions-severity")) } " "
                select id="min_severity" name="min_severity" {
                    option value="warning" { (web.t("web-subscriptions-severity-warning")) }
                    option value="critical" { (web.t("web-subscriptions-severity-critical")) }
                } }
            fieldset {
                legend { (web.t("web-subscriptions-kinds-legend")) }
                @for kind in AlertKind::ALL {
                    @let field = format!("kind-{}", kind.code());
                    input id=(field) type="checkbox" name="kinds" value=(kind.code());
                    " " label for=(field) { code { (kind.code()) } } " "
                }
            }
            p { button type="submit" { (web.t("web-subscriptions-add")) } }
        }
    }
}

fn deliveries_table(web: &Web, rows: &[DeliveryRow]) -> Markup {
    if rows.is_empty() {
        return html! { p { (web.t("web-deliveries-none")) } };
    }
    html! {
        table {
            caption { (web.t("web-deliveries-caption")) }
            thead { tr {
                th scope="col" class="number" { "#" }
                th scope="col" class="number" { (web.t("web-deliveries-subscription")) }
                th scope="col" { (web.t("web-deliveries-alert")) }
                th scope="col" { (web.t("web-deliveries-event")) }
                th scope="col" { (web.t("web-deliveries-status")) }
                th scope="col" class="number" { (web.t("web-deliveries-attempts")) }
                th scope="col" { (web.t("web-deliveries-detail")) }
            } }
            tbody { @for d in rows { tr {
                td class="number" { (d.id) }
                td class="number" { (d.subscription_id) }
                td { code { (d.kind) } " " (d.subject) }
                td { (web.t(&format!("web-deliveries-event-{}", d.event))) }
                td { (web.t(&format!("web-deliveries-status-{}", d.status))) }
                td class="number" { (d.attempts) }
                td { @if let Some(at) = &d.delivered_at { (at) } @else if let Some(e) = &d.last_error { (e) } }
            } } }
        }
    }
}

/// `GET /agreements/{id}/subscriptions`.
pub(crate) async fn page(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let subscriptions = match state.app.subscriptions(&user.who, &id).await {
        Ok(rows) => rows,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let deliveries = match state.app.deliveries(&user.who, &id).await {
        Ok(rows) => rows,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let body = html! {
        p { a href={ "/agreements/" (id) } { (web.t("web-oversight-back-to-agreement")) } }
        p { (web.t("web-subscriptions-intro")) }
        section aria-labelledby="subscriptions" {
            h2 id="subscriptions" { (web.t("web-subscriptions-heading")) }
            (subscriptions_table(&web, user, &id, &subscriptions))
        }
        section aria-labelledby="add" {
            h2 id="add" { (web.t("web-subscriptions-add-heading")) }
            (add_form(&web, user, &id))
        }
        section aria-labelledby="deliveries" {
            h2 id="deliveries" { (web.t("web-deliveries-heading")) }
            (deliveries_table(&web, &deliveries))
        }
    };
    layout::page(&web, &web.ta("web-subscriptions-title", &[("agreement", id.as_str().into())]), body)
}

/// A posted text field, `None` when left empty.
fn filled(fields: &Fields, name: &str) -> Option<String> {
    fields.get(name).filter(|v| !v.trim().is_empty()).map(str::to_owned)
}

/// `POST /agreements/{id}/subscriptions`: subscribes, then back to the page.
pub(crate) async fn add(State(state): State<AppState>, web: Web, Path(id): Path<String>, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let channel = fields.get("channel").unwrap_or_default().to_owned();
    let email = channel == "email";
    let request = SubscriptionRequest {
        min_severity: filled(&fields, "min_severity"),
        kinds: fields.all("kinds").into_iter().map(str::to_owned).collect(),
        url: filled(&fields, "url").filter(|_| !email),
        secret: filled(&fields, "secret").filter(|_| !email),
        email: filled(&fields, "email").filter(|_| email),
        channel,
    };
    match state.app.subscribe(&user.who, &id, &request, &crate::clock::now()).await {
        Ok(_) => Redirect::to(&format!("/agreements/{id}/subscriptions")).into_response(),
        Err(e) => layout::app_refusal(&web, &e),
    }
}

/// `POST /agreements/{id}/subscriptions/{subscription}/remove`: ends it, then back to the page.
pub(crate) async fn remove(
    State(state): State<AppState>,
    web: Web,
    Path((id, subscription)): Path<(String, i64)>,
    fields: Fields,
) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    match state.app.unsubscribe(&user.who, &id, subscription, &crate::clock::now()).await {
        Ok(()) => Redirect::to(&format!("/agreements/{id}/subscriptions")).into_response(),
        Err(e) => layout::app_refusal(&web, &e),
    }
}
