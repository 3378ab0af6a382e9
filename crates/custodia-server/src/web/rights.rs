//! `/agreements/{id}/rights`: the detainee's side of an agreement (docs/rights.md) — the
//! inspector's report for a facility and a period (a table and its chart), the complaints and the
//! records of care the reader may read. The health file shows to medical officers only, as
//! everywhere: the application layer has taken it out for anyone else.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custodia_app::inspection::{report_label, report_lines, report_svg};
use custodia_core::Date;
use custodia_store::CareItem;
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::context::Web;
use super::layout;
use crate::error::ApiError;
use crate::state::AppState;

/// The report's facility and period, as the form sends them.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RightsQuery {
    facility: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn day(field: &str, text: Option<&str>, default: Date) -> Result<Date, ApiError> {
    match text.filter(|t| !t.is_empty()) {
        Some(t) => crate::wire::date(field, t),
        None => Ok(default),
    }
}

fn report_form(web: &Web, id: &str, facilities: &[String], facility: &str, from: Date, to: Date) -> Markup {
    html! {
        form method="get" action={ "/agreements/" (id) "/rights" } {
            label for="facility" { (web.t("web-rights-facility")) }
            " "
            select id="facility" name="facility" {
                @for f in facilities { option value=(f) selected[f == facility] { (f) } }
            }
            " "
            label for="from" { (web.t("web-rights-from")) }
            " "
            input id="from" name="from" type="date" value=(from.to_string());
            " "
            label for="to" { (web.t("web-rights-to")) }
            " "
            input id="to" name="to" type="date" value=(to.to_string());
            " "
            button type="submit" { (web.t("web-rights-show")) }
        }
    }
}

fn report_table(web: &Web, report: &custodia_core::inspection::InspectionReport) -> Markup {
    html! {
        figure {
            (PreEscaped(report_svg(report, web.lang)))
            figcaption { (web.t("web-rights-chart-caption")) }
        }
        table {
            caption { (web.t("web-rights-report-caption")) }
            tbody {
                @for line in report_lines(report) {
                    tr { th scope="row" { (report_label(web.lang, &line)) } td class="number" { (line.value) } }
                }
            }
        }
    }
}

fn complaints_table(web: &Web, rows: &[custodia_store::ComplaintRow]) -> Markup {
    if rows.is_empty() {
        return html! { p { (web.t("web-rights-no-complaints")) } };
    }
    html! {
        table {
            caption { (web.t("web-rights-complaints-caption")) }
            thead { tr {
                th scope="col" class="number" { (web.t("web-rights-id")) }
                th scope="col" { (web.t("web-rights-case")) }
                th scope="col" { (web.t("web-rights-category")) }
                th scope="col" { (web.t("web-rights-made")) }
                th scope="col" { (web.t("web-rights-state")) }
            } }
            tbody {
                @for row in rows {
                    @let c = &row.complaint;
                    @let state = match &c.answer {
                        Some(_) if c.answered_late() => "web-rights-answered-late",
                        Some(_) => "web-rights-answered",
                        None => "web-rights-unanswered",
                    };
                    tr {
                        td class="number" { (row.id) }
                        td { a href={ "/cases/" (row.case_id) } { (row.case_id) } }
                        td { (web.t(&format!("complaint-category-{}", c.category.as_str()))) }
                        td { (c.filed_at) }
                        td { (web.t(state)) }
                    }
                }
            }
        }
    }
}

fn care_summary(web: &Web, record: &custodia_app::care::CareRecord) -> (String, String, String) {
    match &record.row.item {
        CareItem::Examination(e) => {
            let fitness = web.ta(
                "web-rights-fitness",
                &[
                    ("custody", e.fitness.custody.as_str().into()),
                    ("transfer", e.fitness.transfer.as_str().into()),
                    ("solitary", e.fitness.solitary.as_str().into()),
                ],
            );
            let file =
                if record.health_file_withheld { web.t("web-rights-health-file-withheld") } else { e.findings.clone() };
            (web.t("web-rights-examination"), e.examined_at.clone(), format!("{} — {fitness}; {file}", e.examiner))
        }
        CareItem::Visit(v) => {
            let outcome = match &v.refusal {
                Some(r) => format!("{} ({}: {})", web.t("web-rights-refused"), r.ground.as_str(), r.reason),
                None => web.t("web-rights-held"),
            };
            (v.kind.as_str().to_owned(), v.at.clone(), format!("{} — {outcome}", v.visitor))
        }
        CareItem::Placement(p) => {
            let end = p.end.as_ref().map_or_else(|| web.t("web-rights-ongoing"), |e| e.at.clone());
            (web.t("web-rights-solitary"), p.start_at.clone(), format!("{} — {} → {end}", p.reason, p.authorised_by))
        }
    }
}

fn care_table(web: &Web, records: &[custodia_app::care::CareRecord]) -> Markup {
    if records.is_empty() {
        return html! { p { (web.t("web-rights-no-care")) } };
    }
    html! {
        table {
            caption { (web.t("web-rights-care-caption")) }
            thead { tr {
                th scope="col" class="number" { (web.t("web-rights-id")) }
                th scope="col" { (web.t("web-rights-case")) }
                th scope="col" { (web.t("web-rights-kind")) }
                th scope="col" { (web.t("web-rights-when")) }
                th scope="col" { (web.t("web-rights-what")) }
            } }
            tbody {
                @for record in records {
                    @let (kind, when, what) = care_summary(web, record);
                    tr {
                        td class="number" { (record.row.id) }
                        td { a href={ "/cases/" (record.row.case_id) } { (record.row.case_id) } }
                        td { (kind) }
                        td { (when) }
                        td { (what) }
                    }
                }
            }
        }
    }
}

/// `GET /agreements/{id}/rights?facility=…&from=…&to=…`.
pub(crate) async fn page(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<String>,
    Query(q): Query<RightsQuery>,
) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let agreement = match state.app.agreement(&user.who, &id).await {
        Ok(found) => found.agreement,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let facilities: Vec<String> =
        agreement.facilities.iter().map(|f| f.id.as_str().to_owned()).filter(|f| user.who.sees(&id, Some(f))).collect();
    let facility = q.facility.clone().or_else(|| facilities.first().cloned()).unwrap_or_default();
    let today = match state.app.today_at(&user.who, &id, None, &crate::clock::now()).await {
        Ok(day) => day,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let period = day("from", q.from.as_deref(), agreement.starts)
        .and_then(|from| Ok((from, day("to", q.to.as_deref(), today.min(agreement.ends))?)));
    let (status, report) = match period {
        Ok((from, to)) => match state.app.inspection_report(&user.who, &id, &facility, from, to).await {
            Ok(report) => (StatusCode::OK, (report_table(&web, &report), from, to)),
            Err(e) => {
                let api = ApiError::from(e);
                (api.status, (refused(&web, &api), from, to))
            }
        },
        Err(api) => (api.status, (refused(&web, &api), agreement.starts, today)),
    };
    let (shown, from, to) = report;
    let complaints = state.app.complaints(&user.who, &id).await.unwrap_or_default();
    let care = state.app.care_records(&user.who, &id).await.unwrap_or_default();
    let body = html! {
        p { a href={ "/agreements/" (id) } { (web.t("web-oversight-back-to-agreement")) } }
        p { (web.t("web-rights-intro")) }
        h2 { (web.t("web-rights-report")) }
        (report_form(&web, &id, &facilities, &facility, from, to))
        (shown)
        h2 { (web.t("web-rights-complaints")) }
        (complaints_table(&web, &complaints))
        h2 { (web.t("web-rights-care")) }
        (care_table(&web, &care))
    };
    let title = web.ta("web-rights-title", &[("agreement", id.as_str().into())]);
    (status, layout::page(&web, &title, body)).into_response()
}

fn refused(web: &Web, api: &ApiError) -> Markup {
    html! { p class="refusal" { code { (api.body.code) } " " (api.text.render(web.lang)) } }
}
