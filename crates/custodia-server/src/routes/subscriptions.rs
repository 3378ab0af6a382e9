//! Subscriptions to an agreement's alerts and their delivery log (docs/alerts.md): the server's
//! scheduler delivers new and resolved alerts to each subscription by webhook or e-mail.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use custodia_app::notify::SubscriptionRequest;
use custodia_store::notifications::{DeliveryRow, SubscriptionRow};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam};
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_subscriptions, create_subscription, delete_subscription, list_deliveries),
    components(schemas(SubscriptionView, NewSubscriptionBody, DeliveryView)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agreements/{id}/subscriptions", get(list_subscriptions).post(create_subscription))
        .route("/api/v1/agreements/{id}/subscriptions/{subscription}", axum::routing::delete(delete_subscription))
        .route("/api/v1/agreements/{id}/deliveries", get(list_deliveries))
}

/// A subscription (its secret is never answered).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionView {
    /// Subscription id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// `warning` (every alert) or `critical`.
    pub min_severity: String,
    /// Alert codes delivered; empty for every kind.
    pub kinds: Vec<String>,
    /// `webhook` or `email`.
    pub channel: String,
    /// The webhook URL (`webhook`).
    pub url: Option<String>,
    /// The address (`email`).
    pub email: Option<String>,
    /// Who subscribed.
    pub created_by: String,
}

impl From<SubscriptionRow> for SubscriptionView {
    fn from(s: SubscriptionRow) -> Self {
        let (url, email) = if s.channel == "email" { (None, Some(s.target)) } else { (Some(s.target), None) };
        Self {
            id: s.id,
            agreement_id: s.agreement_id,
            min_severity: s.min_severity,
            kinds: s.kinds,
            channel: s.channel,
            url,
            email,
            created_by: s.created_by,
        }
    }
}

/// A new subscription: a webhook (`url`, `secret`) or an e-mail address (`email`).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriptionBody {
    /// `webhook` or `email`.
    pub channel: String,
    /// `warning` (every alert, the default) or `critical`.
    pub min_severity: Option<String>,
    /// Alert codes (`HELD_BEYOND_RELEASE` …); empty or absent for every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// `webhook`: an `http://` or `https://` URL (at most 2,000 bytes).
    pub url: Option<String>,
    /// `webhook`: the signing secret, 16 to 256 bytes (docs/alerts.md#signatures).
    pub secret: Option<String>,
    /// `email`: the address.
    pub email: Option<String>,
}

/// One line of the delivery log.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    /// Delivery id (the `Custodia-Delivery` header).
    pub id: i64,
    /// The subscription.
    pub subscription_id: i64,
    /// The alert's code.
    pub code: String,
    /// The alert's subject.
    pub subject: String,
    /// `new` or `resolved`.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (POSIX seconds), while pending.
    pub next_attempt_at: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered (RFC 3339 UTC).
    pub delivered_at: Option<String>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(d: DeliveryRow) -> Self {
        Self {
            next_attempt_at: (d.status == "pending").then_some(d.next_attempt_at),
            id: d.id,
            subscription_id: d.subscription_id,
            code: d.kind,
            subject: d.subject,
            event: d.event,
            status: d.status,
            attempts: d.attempts,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
        }
    }
}

/// The agreement's subscriptions in force.
#[utoipa::path(get, path = "/api/v1/agreements/{id}/subscriptions", tag = "alerts",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, body = [SubscriptionView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_subscriptions(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<String>,
) -> ApiResult<axum::Json<Vec<SubscriptionView>>> {
    let rows = state.app.subscriptions(&who, &id).await?;
    Ok(axum::Json(rows.into_iter().map(SubscriptionView::from).collect()))
}

/// Subscribes to the agreement's alerts (new and resolved ones are delivered).
#[utoipa::path(post, path = "/api/v1/agreements/{id}/subscriptions", tag = "alerts", request_body = NewSubscriptionBody,
    params(("id" = String, Path, description = "Agreement id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = SubscriptionView), (status = 400, body = ErrorBody, description = "a field, named"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn create_subscription(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<NewSubscriptionBody>,
) -> ApiResult<(StatusCode, axum::Json<SubscriptionView>)> {
    let request = SubscriptionRequest {
        min_severity: body.min_severity,
        kinds: body.kinds,
        channel: body.channel,
        url: body.url,
        secret: body.secret,
        email: body.email,
    };
    let row = state.app.subscribe(&who, &id, &request, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(row.into())))
}

/// Ends a subscription; what it still owed is not sent. Ending it again answers 204 and writes
/// nothing.
#[utoipa::path(delete, path = "/api/v1/agreements/{id}/subscriptions/{subscription}", tag = "alerts",
    params(("id" = String, Path, description = "Agreement id"), ("subscription" = i64, Path, description = "Subscription id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn delete_subscription(
    State(state): State<AppState>,
    who: Principal,
    PathParam((id, subscription)): PathParam<(String, i64)>,
) -> ApiResult<StatusCode> {
    state.app.unsubscribe(&who, &id, subscription, &crate::clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The agreement's delivery log, newest first (at most 500 lines).
#[utoipa::path(get, path = "/api/v1/agreements/{id}/deliveries", tag = "alerts",
    params(("id" = String, Path, description = "Agreement id")),
    responses((status = 200, body = [DeliveryView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<String>,
) -> ApiResult<axum::Json<Vec<DeliveryView>>> {
    let rows = state.app.deliveries(&who, &id).await?;
    Ok(axum::Json(rows.into_iter().map(DeliveryView::from).collect()))
}
