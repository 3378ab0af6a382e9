//! `/agreements/{id}/forecast`: the application layer's forecast (docs/forecast.md) of an
//! agreement from the register's people and custody, asked for with a form (intake and horizon,
//! runs and seed), shown as the chart every edge draws and the same numbers as tables.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use custodia_app::forecast::ForecastReport;
use custodia_core::forecast::{LimitKind, Percentiles};
use maud::{Markup, PreEscaped, html};

use super::context::Web;
use super::layout;
use super::sustainability::refused_part;
use crate::error::ApiError;
use crate::routes::forecast::ForecastQuery;
use crate::state::AppState;

/// The form's values when the page is first opened.
const DEFAULT_MONTHS: &str = "24";
const DEFAULT_RUNS: &str = "200";

fn value<'a>(given: Option<&'a str>, default: &'a str) -> &'a str {
    given.filter(|v| !v.trim().is_empty()).unwrap_or(default)
}

fn parameters_form(web: &Web, id: &str, q: &ForecastQuery) -> Markup {
    html! {
        form method="get" action={ "/agreements/" (id) "/forecast" } {
            p {
                label for="intake_per_month" { (web.t("web-forecast-intake")) }
                input id="intake_per_month" name="intake_per_month" type="number" min="0" required
                    value=(q.intake_per_month.as_deref().unwrap_or_default());
            }
            p {
                label for="months" { (web.t("web-forecast-months")) }
                input id="months" name="months" type="number" min="1" max="240" required
                    value=(value(q.months.as_deref(), DEFAULT_MONTHS));
            }
            p {
                label for="runs" { (web.t("web-forecast-runs")) }
                input id="runs" name="runs" type="number" min="1" value=(value(q.runs.as_deref(), DEFAULT_RUNS));
            }
            p {
                label for="seed" { (web.t("web-forecast-seed")) }
                input id="seed" name="seed" type="number" min="0" value=(value(q.seed.as_deref(), "1"));
            }
            p {
                label for="from" { (web.t("web-forecast-from")) }
                input id="from" name="from" type="date" value=(q.from.as_deref().unwrap_or_default());
            }
            p { button type="submit" { (web.t("web-forecast-show")) } }
        }
    }
}

fn three(q: Percentiles, show: &dyn Fn(i64) -> String) -> Markup {
    html! { (show(q.p5)) " / " (show(q.p50)) " / " (show(q.p95)) }
}

fn limits_table(web: &Web, report: &ForecastReport) -> Markup {
    let money = |minor: i64| custodia_i18n::format_money(web.lang, minor, &report.currency);
    html! {
        table {
            caption { (web.t("web-forecast-limits-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-forecast-limit")) }
                th scope="col" class="number" { (web.t("web-forecast-limit-value")) }
                th scope="col" { (web.t("web-forecast-first-month")) }
            } }
            tbody {
                @for l in &report.limits {
                    tr {
                        th scope="row" { (web.t(&format!("forecast-limit-{}", l.kind.as_str()))) }
                        td class="number" {
                            @match (l.value, l.kind) {
                                (None, _) => (web.t("web-forecast-not-known")),
                                (Some(v), LimitKind::FeeEnvelope) => (money(v)),
                                (Some(v), _) => (v),
                            }
                        }
                        td {
                            @match (l.value, report.first_month_label(l)) {
                                (None, _) => "—",
                                (Some(_), None) => (web.t("web-forecast-not-reached")),
                                (Some(_), Some(month)) => (web.ta("web-forecast-reached", &[
                                    ("month", month.into()),
                                    ("runs", i64::from(l.runs_exceeding).into()),
                                    ("total", report.request.runs.into()),
                                ])),
                            }
                        }
                    }
                }
            }
        }
    }
}

fn months_table(web: &Web, report: &ForecastReport) -> Markup {
    let money = |minor: i64| custodia_i18n::format_money(web.lang, minor, &report.currency);
    let count = |n: i64| n.to_string();
    html! {
        table {
            caption { (web.t("web-forecast-months-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-forecast-month")) }
                th scope="col" class="number" { (web.t("web-forecast-population")) }
                th scope="col" class="number" { (web.t("web-forecast-returns")) }
                th scope="col" class="number" { (web.t("web-forecast-person-days")) }
                th scope="col" class="number" { (web.t("web-forecast-invoiced")) }
                th scope="col" class="number" { (web.t("web-forecast-home-cost")) }
            } }
            tbody {
                @for m in &report.months {
                    tr {
                        th scope="row" { (ForecastReport::month_label(m)) }
                        td class="number" { (three(m.population, &count)) }
                        td class="number" { (three(m.returns_due, &count)) }
                        td class="number" { (three(m.person_days, &count)) }
                        td class="number" { (three(m.invoiced_minor, &money)) }
                        td class="number" { (three(m.home_cost_minor, &money)) }
                    }
                }
            }
        }
    }
}

fn report_body(web: &Web, report: &ForecastReport) -> Markup {
    let r = &report.request;
    html! {
        p { (web.ta("web-forecast-summary", &[
            ("eligible", i64::try_from(report.eligible).unwrap_or(i64::MAX).into()),
            ("held", i64::try_from(report.in_custody).unwrap_or(i64::MAX).into()),
            ("runs", r.runs.into()),
            ("seed", r.seed.to_string().into()),
            ("from", custodia_i18n::format_date(web.lang, r.from).into()),
        ])) }
        (limits_table(web, report))
        figure {
            (PreEscaped(custodia_app::forecast::report_svg(report, web.lang)))
            figcaption { (web.t("web-forecast-chart-caption")) }
        }
        (months_table(web, report))
    }
}

/// `GET /agreements/{id}/forecast?intake_per_month=…&months=…&runs=…&seed=…&from=…`: the form
/// alone until an intake is given.
pub(crate) async fn page(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<ForecastQuery>,
) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    // Out of scope or missing: "not found", before anything else.
    let today = match state.app.today_at(&user.who, &id, None, &crate::clock::now()).await {
        Ok(today) => today,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let asked = q.intake_per_month.as_deref().is_some_and(|v| !v.trim().is_empty());
    let answer = if asked {
        let report = match q.request(today) {
            Ok(request) => state.app.forecast(&user.who, &id, &request).await.map_err(ApiError::from),
            Err(e) => Err(e),
        };
        Some(report)
    } else {
        None
    };
    let title = web.ta("web-forecast-title", &[("agreement", id.as_str().into())]);
    let (status, shown) = match &answer {
        None => (StatusCode::OK, html! {}),
        Some(Ok(report)) => (StatusCode::OK, report_body(&web, report)),
        Some(Err(e)) => (e.status, refused_part(&web, e)),
    };
    let body = html! {
        p { a href={ "/agreements/" (id) } { (web.t("web-oversight-back-to-agreement")) } }
        p { (web.t("web-forecast-intro")) }
        (parameters_form(&web, &id, &q))
        (shown)
    };
    layout::respond(status, layout::document(&web, &title, body))
}
