//! `/agreements/{id}`: an agreement at a glance — population over time against contracted places,
//! standard, floor and stated capacity (a chart and its table), open alerts by severity, returns
//! due and revenue to date. Every figure comes from the application layer.

use axum::extract::{Path, State};
use axum::response::Response;
use custodia_app::AppError;
use custodia_core::Date;
use custodia_core::alerts::{Alert, AlertKind, Severity};
use maud::{Markup, html};

use super::chart::{Level, LineChart};
use super::context::Web;
use super::layout;
use crate::state::AppState;

/// Most points of the population chart (months; a longer term is sampled).
const MAX_POINTS: usize = 60;
/// Most alerts listed (all are counted).
const MAX_ALERTS_LISTED: usize = 50;

/// The first day of each month from `starts` to `until`, then `until` itself; at most
/// [`MAX_POINTS`] (every k-th month for a long term).
fn sample_days(starts: Date, until: Date) -> Vec<Date> {
    if until < starts {
        return Vec::new();
    }
    let mut months = Vec::new();
    let (mut year, mut month) = (starts.year(), starts.month());
    while let Ok(day) = Date::from_ymd(year, month, 1) {
        if day > until || months.len() > 1200 {
            break;
        }
        months.push(day.max(starts));
        (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    }
    let step = months.len().div_ceil(MAX_POINTS).max(1);
    let mut days: Vec<Date> = months.into_iter().step_by(step).collect();
    if days.last().is_none_or(|d| *d < until) {
        days.push(until);
    }
    days
}

/// The capacity levels summed over the facilities the user sees.
struct Totals {
    contracted: i64,
    standard: i64,
    floor: i64,
    stated: i64,
    in_custody: i64,
}

fn totals(figures: &[custodia_app::cells::FacilityFigures]) -> Totals {
    let sum = |f: &dyn Fn(&custodia_app::cells::FacilityFigures) -> u64| {
        figures.iter().map(f).fold(0i64, |a, b| a.saturating_add(i64::try_from(b).unwrap_or(i64::MAX)))
    };
    Totals {
        contracted: sum(&|f| u64::from(f.contracted_places)),
        standard: sum(&|f| f.standard_capacity),
        floor: sum(&|f| f.floor_capacity),
        stated: sum(&|f| u64::from(f.stated_capacity)),
        in_custody: sum(&|f| f.in_custody),
    }
}

fn population_chart(web: &Web, days: &[Date], values: Vec<i64>, t: &Totals) -> LineChart {
    let levels = [
        ("contracted", "web-overview-contracted", t.contracted),
        ("standard", "web-overview-standard", t.standard),
        ("floor", "web-overview-floor", t.floor),
        ("stated", "web-overview-stated", t.stated),
    ];
    LineChart {
        id: "population",
        title: web.t("web-overview-chart-title"),
        description: web.ta(
            "web-overview-chart-desc",
            &[("in_custody", t.in_custody.into()), ("stated", t.stated.into()), ("standard", t.standard.into())],
        ),
        series_label: web.t("web-overview-in-custody"),
        x_labels: days.iter().map(|d| d.to_string()).collect(),
        values,
        levels: levels.iter().map(|(class, key, value)| Level { class, label: web.t(key), value: *value }).collect(),
    }
}

fn population_table(web: &Web, days: &[Date], values: &[i64], t: &Totals) -> Markup {
    html! {
        table {
            caption { (web.t("web-overview-table-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-overview-day")) }
                th scope="col" class="number" { (web.t("web-overview-in-custody")) }
                th scope="col" class="number" { (web.t("web-overview-contracted")) }
                th scope="col" class="number" { (web.t("web-overview-standard")) }
                th scope="col" class="number" { (web.t("web-overview-floor")) }
                th scope="col" class="number" { (web.t("web-overview-stated")) }
            } }
            tbody {
                @for (day, value) in days.iter().zip(values) {
                    tr {
                        th scope="row" { (custodia_i18n::format_date(web.lang, *day)) }
                        td class="number" { (value) }
                        td class="number" { (t.contracted) }
                        td class="number" { (t.standard) }
                        td class="number" { (t.floor) }
                        td class="number" { (t.stated) }
                    }
                }
            }
        }
    }
}

fn alert_text(web: &Web, alert: &Alert) -> String {
    custodia_i18n::facts::alert_reason(alert).render(web.lang)
}

/// The open alerts counted by code, critical first, then by code.
fn by_code(alerts: &[Alert]) -> Vec<(&'static str, Severity, i64)> {
    let mut counts: std::collections::BTreeMap<(bool, &'static str), (Severity, i64)> = Default::default();
    for alert in alerts {
        let severity = alert.kind.severity();
        let entry = counts.entry((severity != Severity::Critical, alert.kind.code())).or_insert((severity, 0));
        entry.1 += 1;
    }
    counts.into_iter().map(|((_, code), (severity, n))| (code, severity, n)).collect()
}

fn alerts_section(web: &Web, alerts: &[Alert]) -> Markup {
    let count = |s: Severity| i64::try_from(alerts.iter().filter(|a| a.kind.severity() == s).count()).unwrap_or(0);
    html! {
        h2 { (web.t("web-overview-alerts")) }
        table {
            caption { (web.t("web-overview-alerts-by-severity")) }
            tbody {
                tr { th scope="row" class="critical" { (web.t("web-severity-critical")) } td class="number" { (count(Severity::Critical)) } }
                tr { th scope="row" { (web.t("web-severity-warning")) } td class="number" { (count(Severity::Warning)) } }
            }
        }
        @if !alerts.is_empty() {
            table {
                caption { (web.t("web-overview-alerts-by-code")) }
                thead { tr {
                    th scope="col" { (web.t("web-overview-alert-code")) }
                    th scope="col" { (web.t("web-overview-alert-severity")) }
                    th scope="col" { (web.t("web-overview-alert-count")) }
                } }
                tbody {
                    @for (code, severity, n) in by_code(alerts) {
                        tr {
                            td { code { (code) } }
                            @if severity == Severity::Critical {
                                td class="critical" { (web.t("web-severity-critical")) }
                            } @else {
                                td { (web.t("web-severity-warning")) }
                            }
                            td class="number" { (n) }
                        }
                    }
                }
            }
            ul {
                @for alert in alerts.iter().take(MAX_ALERTS_LISTED) {
                    li {
                        @if alert.kind.severity() == Severity::Critical {
                            span class="critical" { (web.t("web-severity-critical")) }
                        } @else {
                            span { (web.t("web-severity-warning")) }
                        }
                        " · " code { (alert.kind.code()) } " · " (alert.subject) " — " (alert_text(web, alert))
                    }
                }
            }
        }
    }
}

fn returns_section(web: &Web, scheduled: usize, alerts: &[Alert]) -> Markup {
    let is_return = |a: &&Alert| matches!(a.kind, AlertKind::ReturnNotScheduled | AlertKind::ReturnOverdue);
    let unscheduled = alerts.iter().filter(is_return).count();
    html! {
        h2 { (web.t("web-overview-returns")) }
        table {
            caption { (web.t("web-overview-returns")) }
            tbody {
                tr { th scope="row" { (web.t("web-overview-returns-scheduled")) } td class="number" { (scheduled) } }
                tr { th scope="row" { (web.t("web-overview-returns-alerted")) } td class="number" { (unscheduled) } }
            }
        }
    }
}

/// The parts that can each be refused on their own (a register with a person lacking a security
/// class cannot count stays; the page still shows the rest and says why).
fn population(web: &Web, days: &[Date], values: Result<Vec<i64>, AppError>, t: &Totals) -> Markup {
    match values {
        Ok(values) => html! {
            figure {
                (population_chart(web, days, values.clone(), t).svg())
                figcaption { (web.t("web-overview-chart-caption")) }
            }
            (population_table(web, days, &values, t))
        },
        Err(e) => refused_part(web, &e),
    }
}

fn refused_part(web: &Web, error: &AppError) -> Markup {
    let api = crate::error::ApiError::from(error.clone());
    let message = api.text.render(web.lang);
    html! { p class="refusal" { code { (api.body.code) } " " (message) } }
}

/// Links to the agreement's invoices, sustainability report, forecast, incidents and inspections.
fn oversight_links(web: &Web, id: &str) -> Markup {
    let pages = [
        ("invoices", "web-overview-link-invoices"),
        ("sustainability", "web-overview-link-sustainability"),
        ("forecast", "web-overview-link-forecast"),
        ("incidents", "web-overview-link-incidents"),
        ("inspections", "web-overview-link-inspections"),
        ("rights", "web-overview-link-rights"),
        ("subscriptions", "web-overview-link-subscriptions"),
    ];
    html! {
        nav aria-label=(web.t("web-overview-oversight-nav")) {
            ul { @for (page, key) in pages { li { a href={ "/agreements/" (id) "/" (page) } { (web.t(key)) } } } }
        }
    }
}

/// `GET /agreements/{id}`.
pub(crate) async fn overview(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    match overview_body(&state, &web, &user.who, &id).await {
        Ok((title, body)) => layout::page(&web, &title, body),
        Err(e) => layout::app_refusal(&web, &e),
    }
}

async fn overview_body(
    state: &AppState,
    web: &Web,
    who: &crate::auth::Principal,
    id: &str,
) -> Result<(String, Markup), AppError> {
    let agreement = state.app.agreement(who, id).await?.agreement;
    let today = custodia_app::days::today_in(&agreement, None, &crate::clock::now());
    let figures = state.app.facilities(who, id).await?;
    let t = totals(&figures);
    let days = sample_days(agreement.starts, today.min(agreement.ends));
    let glance = state.app.agreement_overview(who, id, today, &days).await?;
    let (alerts, scheduled) = (glance.alerts, glance.returns_scheduled);
    let invoices = state.app.invoices(who, id).await?;
    let revenue = invoices.iter().filter(|i| i.is_issued()).fold(0i64, |a, i| a.saturating_add(i.row.total_minor));
    let currency = agreement.currency.as_str();
    let body = html! {
        p { (web.ta("web-overview-term", &[
            ("starts", custodia_i18n::format_date(web.lang, agreement.starts).into()),
            ("ends", custodia_i18n::format_date(web.lang, agreement.ends).into()),
            ("today", custodia_i18n::format_date(web.lang, today).into()),
        ])) }
        p { a href={ "/cases?agreement=" (id) } { (web.t("web-home-cases-of")) } }
        (oversight_links(web, id))
        h2 { (web.t("web-overview-facilities")) }
        ul { @for f in &figures { li { a href={ "/agreements/" (id) "/facilities/" (f.facility_id) } { (f.name) } } } }
        h2 { (web.t("web-overview-population")) }
        (population(web, &days, glance.population, &t))
        (alerts_section(web, &alerts))
        (returns_section(web, scheduled, &alerts))
        h2 { (web.t("web-overview-revenue")) }
        p { (web.ta("web-overview-revenue-to-date", &[("amount", custodia_i18n::format_money(web.lang, revenue, currency).into())])) }
    };
    Ok((format!("{} ({id})", agreement.title), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(t: &str) -> Date {
        Date::parse(t).unwrap()
    }

    #[test]
    fn the_chart_samples_month_starts_then_today() {
        let days = sample_days(day("2025-03-14"), day("2025-06-02"));
        let shown: Vec<String> = days.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["2025-03-14", "2025-04-01", "2025-05-01", "2025-06-01", "2025-06-02"]);
        assert_eq!(sample_days(day("2025-03-14"), day("2025-03-01")), Vec::<Date>::new(), "not started");
        let long = sample_days(day("2000-01-01"), day("2030-12-31"));
        assert!(long.len() <= MAX_POINTS + 1, "{}", long.len());
        assert_eq!(long.last(), Some(&day("2030-12-31")));
    }
}
