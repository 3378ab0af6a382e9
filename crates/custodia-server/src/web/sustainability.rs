//! `/agreements/{id}/sustainability`: the application layer's sustainability report (issued
//! documents against the receiving state's prison budget and the sending state's cost of holding
//! the same person-days at home) in both views — cash (as invoiced) and accrual (spread over the
//! days charged for) — with the journeys of the custody records and their cost: a chart of each
//! view per month and the same numbers as tables, per month and per agreement year.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use custodia_app::billing::{SustainabilityReport, SustainabilityRequest};
use custodia_core::ledger::SustainabilityRow;
use maud::{Markup, html};
use serde::Deserialize;

use super::chart::LineChart;
use super::context::Web;
use super::layout;
use super::oversight_format::{percent, whole_units};
use crate::error::ApiError;
use crate::state::AppState;

/// The report's parameters, as the API's (empty means not given).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SustainabilityQuery {
    receiving_budget_minor: Option<String>,
    home_cost_per_day_minor: Option<String>,
}

/// An optional whole number; its range is the application layer's rule.
fn amount(field: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            ApiError::invalid(field, custodia_i18n::Text::new("INVALID.integer").arg("value", format!("{v:?}")))
        }),
    }
}

fn parameters_form(web: &Web, id: &str, q: &SustainabilityQuery) -> Markup {
    html! {
        form method="get" action={ "/agreements/" (id) "/sustainability" } {
            p {
                label for="receiving_budget_minor" { (web.t("web-sustainability-budget")) }
                input id="receiving_budget_minor" name="receiving_budget_minor" type="number" min="1"
                    value=(q.receiving_budget_minor.as_deref().unwrap_or_default());
            }
            p {
                label for="home_cost_per_day_minor" { (web.t("web-sustainability-home-cost")) }
                input id="home_cost_per_day_minor" name="home_cost_per_day_minor" type="number" min="0"
                    value=(q.home_cost_per_day_minor.as_deref().unwrap_or_default());
            }
            p { button type="submit" { (web.t("web-sustainability-show")) } }
        }
    }
}

/// Which view a chart shows.
#[derive(Clone, Copy)]
enum View {
    Cash,
    Accrual,
}

fn chart(web: &Web, report: &SustainabilityReport, view: View) -> Markup {
    let months = &report.report.months;
    let currency = report.currency.as_str();
    let (id, prefix, of): (&'static str, &str, fn(&SustainabilityRow) -> i64) = match view {
        View::Cash => ("invoiced", "web-sustainability", |r| r.invoiced_minor),
        View::Accrual => ("accrued", "web-sustainability-accrual", |r| r.accrued_minor),
    };
    let key = |k: &str| format!("{prefix}-{k}");
    let total: i64 = months.iter().fold(0i64, |a, r| a.saturating_add(of(r)));
    let values: Vec<i64> = months.iter().map(|r| whole_units(of(r), currency)).collect();
    let chart = LineChart {
        id,
        title: web.ta(&key("chart-title"), &[("currency", currency.into())]),
        description: web.ta(
            &key("chart-desc"),
            &[
                ("months", i64::try_from(months.len()).unwrap_or(0).into()),
                ("total", custodia_i18n::format_money(web.lang, total, currency).into()),
            ],
        ),
        series_label: web.t(match view {
            View::Cash => "web-sustainability-invoiced",
            View::Accrual => "web-sustainability-accrued",
        }),
        x_labels: months.iter().map(|r| r.label.clone()).collect(),
        values,
        levels: Vec::new(),
    };
    html! {
        figure {
            (chart.svg())
            figcaption { (web.t(&key("chart-caption"))) }
        }
    }
}

fn rows_table(web: &Web, caption: &str, rows: &[SustainabilityRow], currency: &str) -> Markup {
    let money = |minor: i64| custodia_i18n::format_money(web.lang, minor, currency);
    let share = |bp: Option<i64>| bp.map_or_else(|| "—".to_owned(), |bp| percent(web, bp));
    html! {
        table {
            caption { (caption) }
            thead { tr {
                th scope="col" { (web.t("web-sustainability-period")) }
                th scope="col" { (web.t("web-sustainability-days")) }
                th scope="col" class="number" { (web.t("web-sustainability-documents")) }
                th scope="col" class="number" { (web.t("web-sustainability-person-days")) }
                th scope="col" class="number" { (web.t("web-sustainability-invoiced")) }
                th scope="col" class="number" { (web.t("web-sustainability-home-cost-total")) }
                th scope="col" class="number" { (web.t("web-sustainability-saving")) }
                th scope="col" class="number" { (web.t("web-sustainability-budget-share")) }
                th scope="col" class="number" { (web.t("web-sustainability-accrued")) }
                th scope="col" class="number" { (web.t("web-sustainability-saving-accrual")) }
                th scope="col" class="number" { (web.t("web-sustainability-budget-share-accrual")) }
                th scope="col" class="number" { (web.t("web-sustainability-departures")) }
                th scope="col" class="number" { (web.t("web-sustainability-returns")) }
                th scope="col" class="number" { (web.t("web-sustainability-transport")) }
            } }
            tbody {
                @for r in rows {
                    tr {
                        th scope="row" { (r.label) }
                        td { (custodia_i18n::format_date(web.lang, r.from)) " – " (custodia_i18n::format_date(web.lang, r.to)) }
                        td class="number" { (r.documents) }
                        td class="number" { (r.person_days) }
                        td class="number" { (money(r.invoiced_minor)) }
                        td class="number" { (money(r.home_cost_minor)) }
                        td class="number" { (money(r.sending_state_saving_minor)) }
                        td class="number" { (share(r.budget_share_bp)) }
                        td class="number" { (money(r.accrued_minor)) }
                        td class="number" { (money(r.accrual_saving_minor)) }
                        td class="number" { (share(r.accrual_budget_share_bp)) }
                        td class="number" { (r.departures) }
                        td class="number" { (r.returns) }
                        td class="number" { (r.transport_minor.map_or_else(|| web.t("web-sustainability-not-priced"), money)) }
                    }
                }
            }
        }
    }
}

/// How to read the two views and the transport figures, and what may be counted twice.
fn notes(web: &Web, report: &SustainabilityReport) -> Markup {
    let r = &report.report;
    html! {
        p { (web.t("web-sustainability-views")) }
        p { (web.t(if r.transport_priced { "web-sustainability-transport-priced" } else { "web-sustainability-transport-unpriced" })) }
        @if !r.transport_extras_months.is_empty() || r.journeys_outside_term > 0 {
            div class="refusal" role="note" {
                @if !r.transport_extras_months.is_empty() {
                    p { (web.ta("web-sustainability-double-count", &[("months", r.transport_extras_months.join(", ").into())])) }
                }
                @if r.journeys_outside_term > 0 {
                    p { (web.ta("web-sustainability-outside-term", &[("count", i64::try_from(r.journeys_outside_term).unwrap_or(i64::MAX).into())])) }
                }
            }
        }
    }
}

fn report_body(web: &Web, report: &SustainabilityReport) -> Markup {
    let currency = report.currency.as_str();
    let money = |minor: i64| custodia_i18n::format_money(web.lang, minor, currency);
    html! {
        table {
            caption { (web.t("web-sustainability-figures")) }
            tbody {
                tr { th scope="row" { (web.t("web-sustainability-currency")) } td { (currency) } }
                tr { th scope="row" { (web.t("web-sustainability-home-cost-used")) } td class="number" { (money(report.home_cost_per_day_minor)) } }
                tr { th scope="row" { (web.t("web-sustainability-budget-used")) } td class="number" {
                    (report.receiving_budget_minor.map_or_else(|| web.t("web-sustainability-no-budget"), money))
                } }
            }
        }
        (notes(web, report))
        h2 { (web.t("web-sustainability-by-month")) }
        (chart(web, report, View::Cash))
        (chart(web, report, View::Accrual))
        (rows_table(web, &web.t("web-sustainability-months-caption"), &report.report.months, currency))
        h2 { (web.t("web-sustainability-by-year")) }
        (rows_table(web, &web.t("web-sustainability-years-caption"), &report.report.years, currency))
    }
}

/// `GET /agreements/{id}/sustainability?receiving_budget_minor=…&home_cost_per_day_minor=…`.
pub(crate) async fn report(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<SustainabilityQuery>,
) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    // Out of scope or missing: "not found", before anything else.
    if let Err(e) = state.app.agreement(&user.who, &id).await {
        return layout::app_refusal(&web, &e);
    }
    let asked = amount("receiving_budget_minor", q.receiving_budget_minor.as_deref()).and_then(|budget| {
        Ok(SustainabilityRequest {
            agreement_id: id.clone(),
            receiving_budget_minor: budget,
            home_cost_per_day_minor: amount("home_cost_per_day_minor", q.home_cost_per_day_minor.as_deref())?,
        })
    });
    let answer = match asked {
        Ok(request) => state.app.sustainability(&user.who, &request).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let title = web.ta("web-sustainability-title", &[("agreement", id.as_str().into())]);
    let (status, shown) = match &answer {
        Ok(report) => (StatusCode::OK, report_body(&web, report)),
        Err(e) => (e.status, refused_part(&web, e)),
    };
    let body = html! {
        p { a href={ "/agreements/" (id) } { (web.t("web-oversight-back-to-agreement")) } }
        p { (web.t("web-sustainability-intro")) }
        (parameters_form(&web, &id, &q))
        (shown)
    };
    layout::respond(status, layout::document(&web, &title, body))
}

/// A refused report: its code and explanation, beside the form to ask again.
pub(crate) fn refused_part(web: &Web, api: &ApiError) -> Markup {
    let message = custodia_i18n::for_code(web.lang, &api.body.code, &[], &api.body.message);
    html! {
        div class="refusal" role="alert" {
            p { strong { (web.t("web-refusal-code")) " " code { (api.body.code) } } }
            p { (message) @if let Some(field) = &api.body.field { " (" (web.t("web-field")) ": " (field) ")" } }
        }
    }
}
