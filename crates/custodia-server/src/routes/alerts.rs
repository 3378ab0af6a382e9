//! Open alerts of an agreement on a day (docs/oversight.md#alerts), assembled by the application
//! layer (`App::alerts`) as `custodia alerts --json` gets them, limited to the caller's scope.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Lang, QueryParams};
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(paths(list_alerts), components(schemas(AlertView)), security(("bearer" = [])))]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/alerts", get(list_alerts))
}

/// One open alert, as `custodia alerts --json` prints it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    /// Stable code: `RETURN_NOT_SCHEDULED`, `RETURN_OVERDUE`, `HELD_BEYOND_RELEASE`,
    /// `NO_LEGAL_BASIS`, `HOLD_IN_TRANSIT`, `CONTRACTED_PLACES_EXCEEDED`,
    /// `STANDARD_CAPACITY_EXCEEDED`, `NOTIFICATION_OVERDUE`, `INVESTIGATION_OVERDUE`, `CELL_ABOVE_STANDARD`,
    /// `OVERRIDE_EXPIRED`, `CELL_ABOVE_FLOOR`, and the case alerts of docs/lifecycle.md#alerts.
    pub code: String,
    /// `critical` or `warning`.
    pub severity: String,
    /// `case-<id>/<sending person_id>`, a facility id, `cell-<facility>/<cell>`, `incident-<id>`, or
    /// `agreement`.
    pub subject: String,
    /// Why, for a person to read, in the language of `Accept-Language` (Spanish or English).
    pub reason: String,
}

/// The agreement and the day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// The agreement (required).
    pub agreement: String,
    /// The day, YYYY-MM-DD (default: today in the agreement's time zone, its first facility's).
    pub on: Option<String>,
}

/// Every open alert of the agreement on the day, most severe first, limited to the caller's scope.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = [AlertView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_alerts(
    State(state): State<AppState>,
    who: Principal,
    Lang(language): Lang,
    QueryParams(q): QueryParams<AlertQuery>,
) -> ApiResult<axum::Json<Vec<AlertView>>> {
    let on = match q.on.as_deref() {
        Some(text) => crate::wire::date("on", text)?,
        None => state.app.today_at(&who, &q.agreement, None, &crate::clock::now()).await?,
    };
    let alerts = state.app.alerts(&who, &q.agreement, on).await?;
    let out = alerts
        .into_iter()
        .map(|a| AlertView {
            code: a.kind.code().to_owned(),
            severity: a.kind.severity().as_str().to_owned(),
            reason: custodia_i18n::facts::alert_reason(&a).render(language),
            subject: a.subject,
        })
        .collect();
    Ok(axum::Json(out))
}
