//! The routes: one module per resource group, each with its router and its OpenAPI part.

use axum::Router;

use crate::state::AppState;

pub mod agreements;
pub mod alerts;
pub mod billing;
pub mod care;
pub mod cases;
pub mod facilities;
pub mod forecast;
pub mod health;
pub mod journal;
pub mod locator;
pub mod oversight;
pub mod persons;
pub mod rights;
pub mod subscriptions;
pub mod users;

/// Every route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::routes())
        .merge(locator::routes())
        .merge(agreements::routes())
        .merge(users::routes())
        .merge(cases::routes())
        .merge(persons::routes())
        .merge(facilities::routes())
        .merge(alerts::routes())
        .merge(subscriptions::routes())
        .merge(oversight::routes())
        .merge(rights::routes())
        .merge(care::routes())
        .merge(billing::routes())
        .merge(forecast::routes())
        .merge(journal::routes())
        .merge(crate::web::routes())
        .fallback(|| async { crate::error::ApiError::not_found("no such resource") })
}

/// The OpenAPI parts of every module.
pub fn apis() -> Vec<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    vec![
        health::Api::openapi(),
        locator::Api::openapi(),
        agreements::Api::openapi(),
        users::Api::openapi(),
        cases::Api::openapi(),
        persons::Api::openapi(),
        facilities::Api::openapi(),
        alerts::Api::openapi(),
        subscriptions::Api::openapi(),
        oversight::Api::openapi(),
        rights::Api::openapi(),
        care::Api::openapi(),
        billing::Api::openapi(),
        forecast::Api::openapi(),
        journal::Api::openapi(),
    ]
}
