//! The forecast of an agreement (docs/forecast.md): `GET /api/v1/agreements/{id}/forecast`. The
//! application layer's one forecast (`custodia_app::forecast`) over the register's people and
//! custody, at most `MAX_ARRIVALS_PER_REQUEST` arrivals a request, computed off the async workers.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use custodia_app::forecast::{ForecastReport, ForecastRequest};
use custodia_core::forecast::{IntakeModel, Percentiles};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{PathParam as Path, QueryParams as Query};
use crate::routes::billing::amount_param;
use crate::state::AppState;
use crate::wire::date;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(forecast),
    components(schemas(ForecastView, ForecastMonthView, ForecastLimitView, PercentilesView)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/agreements/{id}/forecast", get(forecast))
}

/// Parameters of a forecast (as `custodia forecast`'s flags; empty means absent).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// Arrivals a month, 0 to 100,000 (required).
    #[param(value_type = i64)]
    pub intake_per_month: Option<String>,
    /// Months, 1 to 240 (required).
    #[param(value_type = i64)]
    pub months: Option<String>,
    /// Runs, 1 to 100,000 (default 1,000); runs × months × intake at most 60,000,000.
    #[param(value_type = Option<i64>)]
    pub runs: Option<String>,
    /// The seed, 0 to 2⁶³ − 1 (default 1).
    #[param(value_type = Option<i64>)]
    pub seed: Option<String>,
    /// `fixed` (default) or `binomial`.
    pub intake_model: Option<String>,
    /// The first day arrivals come, YYYY-MM-DD (default: today in the agreement's time zone).
    pub from: Option<String>,
    /// The sending state's cost of a person-day at home, minor units (default: the US figure for a
    /// US agreement billed in USD).
    #[param(value_type = Option<i64>)]
    pub home_cost_per_day_minor: Option<String>,
}

impl ForecastQuery {
    /// The request these parameters ask for, `from` defaulting to `today`.
    pub(crate) fn request(&self, today: custodia_core::Date) -> ApiResult<ForecastRequest> {
        let required = |field: &str, value: Option<i64>| {
            value.ok_or_else(|| ApiError::invalid(field, custodia_app::fields::required()))
        };
        let intake_model = match self.intake_model.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
            None => IntakeModel::Fixed,
            Some(m) => IntakeModel::parse(m).ok_or_else(|| {
                ApiError::invalid("intake_model", custodia_app::fields::not_one_of(m, &["fixed", "binomial"]))
            })?,
        };
        let seed = amount_param("seed", self.seed.as_deref())?.unwrap_or(1);
        let seed = u64::try_from(seed).map_err(|_| {
            ApiError::invalid(
                "seed",
                custodia_i18n::Text::new("INVALID.between").count("min", 0).count("max", i64::MAX),
            )
        })?;
        Ok(ForecastRequest {
            intake_per_month: required(
                "intake_per_month",
                amount_param("intake_per_month", self.intake_per_month.as_deref())?,
            )?,
            months: required("months", amount_param("months", self.months.as_deref())?)?,
            runs: amount_param("runs", self.runs.as_deref())?.unwrap_or(1_000),
            seed,
            intake_model,
            from: match self.from.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
                Some(text) => date("from", text)?,
                None => today,
            },
            home_cost_per_day_minor: amount_param("home_cost_per_day_minor", self.home_cost_per_day_minor.as_deref())?,
        })
    }
}

/// The 5th, 50th and 95th percentiles over the runs (nearest rank).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct PercentilesView {
    /// 5th.
    pub p5: i64,
    /// 50th.
    pub p50: i64,
    /// 95th.
    pub p95: i64,
}

fn percentiles(q: Percentiles) -> PercentilesView {
    PercentilesView { p5: q.p5, p50: q.p50, p95: q.p95 }
}

/// One month of a forecast.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ForecastMonthView {
    /// `YYYY-MM`.
    pub month: String,
    /// The most people in custody on a day of the month.
    pub population: PercentilesView,
    /// Returns due in the month.
    pub returns_due: PercentilesView,
    /// Person-days.
    pub person_days: PercentilesView,
    /// The invoice total under the fee model, minor units.
    pub invoiced_minor: PercentilesView,
    /// The sending state's cost of the same person-days at home, minor units.
    pub home_cost_minor: PercentilesView,
}

/// When a limit is first exceeded by at least 5 % of runs.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ForecastLimitView {
    /// `contracted_places`, `standard_capacity`, `floor_capacity` or `fee_envelope`.
    pub limit: String,
    /// Its value (people, or minor units for the envelope); null when not known.
    pub value: Option<i64>,
    /// The first month `YYYY-MM` in which at least 5 % of runs exceed it; null if none.
    pub first_month: Option<String>,
    /// Runs exceeding it in that month.
    pub runs_exceeding: u32,
}

/// A forecast (as `custodia forecast --json`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ForecastView {
    /// The agreement.
    pub agreement_id: String,
    /// ISO 4217 currency of the amounts.
    pub currency: String,
    /// The first day arrivals come.
    pub from: String,
    /// Arrivals a month.
    pub intake_per_month: i64,
    /// `fixed` or `binomial`.
    pub intake_model: String,
    /// Months forecast.
    pub months_asked: i64,
    /// Runs.
    pub runs: i64,
    /// The seed.
    pub seed: u64,
    /// The home cost per person-day used.
    pub home_cost_per_day_minor: i64,
    /// Always `nearest-rank`.
    pub percentile_rule: String,
    /// People of the register looked at.
    pub screened: u64,
    /// Eligible people arrivals are drawn from.
    pub eligible: usize,
    /// People in custody at the start.
    pub in_custody: usize,
    /// One entry per month.
    pub months: Vec<ForecastMonthView>,
    /// One entry per limit.
    pub limits: Vec<ForecastLimitView>,
}

/// The wire form of a report.
pub(crate) fn view(report: &ForecastReport) -> ForecastView {
    let r = &report.request;
    ForecastView {
        agreement_id: report.agreement_id.clone(),
        currency: report.currency.clone(),
        from: r.from.to_string(),
        intake_per_month: r.intake_per_month,
        intake_model: r.intake_model.as_str().to_owned(),
        months_asked: r.months,
        runs: r.runs,
        seed: r.seed,
        home_cost_per_day_minor: report.home_cost_per_day_minor,
        percentile_rule: "nearest-rank".into(),
        screened: report.screened,
        eligible: report.eligible,
        in_custody: report.in_custody,
        months: report
            .months
            .iter()
            .map(|m| ForecastMonthView {
                month: ForecastReport::month_label(m),
                population: percentiles(m.population),
                returns_due: percentiles(m.returns_due),
                person_days: percentiles(m.person_days),
                invoiced_minor: percentiles(m.invoiced_minor),
                home_cost_minor: percentiles(m.home_cost_minor),
            })
            .collect(),
        limits: report
            .limits
            .iter()
            .map(|l| ForecastLimitView {
                limit: l.kind.as_str().to_owned(),
                value: l.value,
                first_month: report.first_month_label(l),
                runs_exceeding: l.runs_exceeding,
            })
            .collect(),
    }
}

/// The forecast of an agreement in the caller's scope from the register's eligible people and
/// custody (docs/forecast.md): per month the 5th, 50th and 95th percentiles, and when each limit
/// is first exceeded by 5 % of runs. At most 60,000,000 arrivals (runs × months × intake) a
/// request (`FORECAST_TOO_LARGE`).
#[utoipa::path(get, path = "/api/v1/agreements/{id}/forecast", tag = "reports", params(("id" = String, Path, description = "Agreement id"), ForecastQuery),
    responses((status = 200, body = ForecastView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn forecast(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    Query(q): Query<ForecastQuery>,
) -> ApiResult<axum::Json<ForecastView>> {
    let today = state.app.today_at(&who, &id, None, &crate::clock::now()).await?;
    let request = q.request(today)?;
    let report = state.app.forecast(&who, &id, &request).await?;
    Ok(axum::Json(view(&report)))
}
