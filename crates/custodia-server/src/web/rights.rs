//! `/agreements/{id}/rights`: the detainee's side of an agreement (docs/rights.md) — the
//! inspector's report for a facility and a period (a table and its chart), the complaints and the
//! records of care the reader may read. The health file shows to medical officers only, as
//! everywhere: the application layer has taken it out for anyone else.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use custodia_app::access::{Capability, Principal};
use custodia_app::care::{NewExamination, NewPlacement, NewVisit};
use custodia_app::inspection::{report_label, report_lines, report_svg};
use custodia_app::rights::NewComplaint;
use custodia_core::Date;
use custodia_store::{CareItem, ComplaintRow};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;

use super::context::{Fields, SignedIn, Web};
use super::layout::{self, csrf_field};
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

fn complaints_table(web: &Web, rows: &[ComplaintRow]) -> Markup {
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

/// For a facility officer, a button ending an ongoing placement.
fn end_form(web: &Web, user: &SignedIn, record: &custodia_app::care::CareRecord) -> Markup {
    let ongoing = matches!(&record.row.item, CareItem::Placement(p) if p.end.is_none());
    if !ongoing || !user.who.role.may(Capability::Segregation) {
        return html! {};
    }
    html! {
        form class="inline" method="post" action={ "/agreements/" (record.row.agreement_id) "/rights" } {
            (csrf_field(user))
            input type="hidden" name="form" value="end";
            input type="hidden" name="id" value=(record.row.id);
            button type="submit" { (web.t("web-rights-end")) }
        }
    }
}

fn care_table(web: &Web, user: &SignedIn, records: &[custodia_app::care::CareRecord]) -> Markup {
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
                th scope="col" { (web.t("web-rights-action")) }
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
                        td { (end_form(web, user, record)) }
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
    let bodies: Vec<&str> = agreement.oversight.inspection_bodies.iter().map(String::as_str).collect();
    let body = html! {
        p { a href={ "/agreements/" (id) } { (web.t("web-oversight-back-to-agreement")) } }
        p { (web.t("web-rights-intro")) }
        h2 { (web.t("web-rights-report")) }
        (report_form(&web, &id, &facilities, &facility, from, to))
        (shown)
        h2 { (web.t("web-rights-complaints")) }
        (complaints_table(&web, &complaints))
        h2 { (web.t("web-rights-care")) }
        (care_table(&web, user, &care))
        (forms(&web, user, &id, &complaints, &bodies))
    };
    let title = web.ta("web-rights-title", &[("agreement", id.as_str().into())]);
    (status, layout::page(&web, &title, body)).into_response()
}

fn refused(web: &Web, api: &ApiError) -> Markup {
    html! { p class="refusal" { code { (api.body.code) } " " (api.text.render(web.lang)) } }
}

fn select(web: &Web, id: &str, name: &str, label: &str, options: &[&str], prefix: Option<&str>) -> Markup {
    html! {
        p {
            label for=(id) { (web.t(label)) }
            " "
            select id=(id) name=(name) {
                @for o in options {
                    option value=(o) { @if let Some(p) = prefix { (web.t(&format!("{p}{o}"))) } @else { (o) } }
                }
            }
        }
    }
}

fn text_field(web: &Web, id: &str, name: &str, label: &str, required: bool) -> Markup {
    html! {
        p {
            label for=(id) { (web.t(label)) }
            " "
            input id=(id) name=(name) type="text" required[required];
        }
    }
}

/// The forms the reader's role may use: record a visit or call, an examination, a complaint, a
/// placement in solitary confinement. Each posts to the application layer, which refuses as it
/// refuses the API.
fn forms(web: &Web, user: &SignedIn, id: &str, complaints: &[ComplaintRow], bodies: &[&str]) -> Markup {
    let who: &Principal = &user.who;
    let open: Vec<i64> = complaints.iter().filter(|r| r.complaint.answer.is_none()).map(|r| r.id).collect();
    let (open, unescalated) = (
        open.as_slice(),
        &complaints.iter().filter(|r| r.complaint.escalation.is_none()).map(|r| r.id).collect::<Vec<_>>()[..],
    );
    let action = format!("/agreements/{id}/rights");
    html! {
        @if who.role.may(Capability::RecordVisit) {
            h2 { (web.t("web-rights-record-visit")) }
            form method="post" action=(action) {
                (csrf_field(user))
                input type="hidden" name="form" value="visit";
                (text_field(web, "visit-case", "case_id", "web-rights-case", true))
                (select(web, "visit-kind", "kind", "web-rights-kind", &["family_visit", "family_call", "consular_visit", "counsel_visit"], None))
                (text_field(web, "visit-visitor", "visitor", "web-rights-visitor", true))
                (select(web, "visit-outcome", "outcome", "web-rights-outcome", &["held", "refused"], Some("web-rights-")))
                (select(web, "visit-ground", "ground", "web-rights-ground", &["", "capacity", "security", "discipline", "declined", "visitor_absent", "other"], None))
                (text_field(web, "visit-reason", "reason", "web-rights-reason", false))
                button type="submit" { (web.t("web-rights-record")) }
            }
        }
        @if who.role.may(Capability::RecordExamination) {
            h2 { (web.t("web-rights-record-examination")) }
            form method="post" action=(action) {
                (csrf_field(user))
                input type="hidden" name="form" value="examination";
                (text_field(web, "exam-case", "case_id", "web-rights-case", true))
                (select(web, "exam-purpose", "purpose", "web-rights-purpose", &["admission", "solitary_review", "transfer", "other"], None))
                (text_field(web, "exam-examiner", "examiner", "web-rights-examiner", true))
                (select(web, "exam-custody", "fit_for_custody", "web-rights-fit-custody", &["fit", "unfit"], None))
                (select(web, "exam-transfer", "fit_for_transfer", "web-rights-fit-transfer", &["fit", "unfit"], None))
                (select(web, "exam-solitary", "fit_for_solitary", "web-rights-fit-solitary", &["fit", "unfit"], None))
                (text_field(web, "exam-findings", "findings", "web-rights-findings", true))
                (text_field(web, "exam-injuries", "injuries", "web-rights-injuries", false))
                button type="submit" { (web.t("web-rights-record")) }
            }
        }
        @if who.role.may(Capability::FileComplaint) {
            h2 { (web.t("web-rights-file-complaint")) }
            form method="post" action=(action) {
                (csrf_field(user))
                input type="hidden" name="form" value="complaint";
                (text_field(web, "complaint-case", "case_id", "web-rights-case", true))
                (select(web, "complaint-category", "category", "web-rights-category", &["conditions", "treatment", "health", "legal", "family", "property", "other"], Some("complaint-category-")))
                (text_field(web, "complaint-text", "text", "web-rights-words", true))
                @if custodia_app::rights::reads_confidential(who.role) {
                    (checkbox(web, "complaint-confidential", "confidential", "web-rights-confidential"))
                }
                (checkbox(web, "complaint-alleges", "alleges_ill_treatment", "web-rights-alleges"))
                button type="submit" { (web.t("web-rights-record")) }
            }
        }
        @if !open.is_empty() && who.role.may(Capability::AnswerComplaint) {
            h2 { (web.t("web-rights-answer")) }
            form method="post" action=(action) {
                (csrf_field(user))
                input type="hidden" name="form" value="answer";
                (complaint_choice(web, "answer-id", open))
                (text_field(web, "answer-text", "text", "web-rights-answer-text", true))
                button type="submit" { (web.t("web-rights-record")) }
            }
        }
        @if !unescalated.is_empty() && !bodies.is_empty() && who.role.may(Capability::FileComplaint) {
            h2 { (web.t("web-rights-escalate")) }
            form method="post" action=(action) {
                (csrf_field(user))
                input type="hidden" name="form" value="escalate";
                (complaint_choice(web, "escalate-id", unescalated))
                (select(web, "escalate-body", "body", "web-rights-body", bodies, None))
                button type="submit" { (web.t("web-rights-escalate-button")) }
            }
        }
        @if who.role.may(Capability::Segregation) {
            h2 { (web.t("web-rights-place")) }
            form method="post" action=(action) {
                (csrf_field(user))
                input type="hidden" name="form" value="placement";
                (text_field(web, "place-case", "case_id", "web-rights-case", true))
                (text_field(web, "place-reason", "reason", "web-rights-reason", true))
                button type="submit" { (web.t("web-rights-record")) }
            }
        }
    }
}

fn checkbox(web: &Web, id: &str, name: &str, label: &str) -> Markup {
    html! {
        p {
            input id=(id) name=(name) type="checkbox" value="yes";
            " "
            label for=(id) { (web.t(label)) }
        }
    }
}

/// A choice among the complaints a form may act on, by number.
fn complaint_choice(web: &Web, id: &str, complaints: &[i64]) -> Markup {
    html! {
        p {
            label for=(id) { (web.t("web-rights-complaint-no")) }
            " "
            select id=(id) name="id" {
                @for n in complaints { option value=(n) { (n) } }
            }
        }
    }
}

fn number(fields: &Fields, name: &str) -> Result<i64, ApiError> {
    let text = fields.get(name).unwrap_or_default().trim();
    text.parse().map_err(|_| {
        ApiError::invalid(name, custodia_i18n::Text::new("INVALID.integer").arg("value", format!("{text:?}")))
    })
}

fn optional(fields: &Fields, name: &str) -> Option<String> {
    fields.get(name).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

fn field(fields: &Fields, name: &str) -> String {
    fields.get(name).unwrap_or_default().to_owned()
}

/// `POST /agreements/{id}/rights`: one of the page's forms (`form` names which), then back to
/// the page; a refusal is shown with its code, and nothing is written.
pub(crate) async fn post(State(state): State<AppState>, web: Web, Path(id): Path<String>, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let (who, now) = (&user.who, crate::clock::now());
    let app = &state.app;
    let done = match fields.get("form").unwrap_or_default() {
        "visit" => match number(&fields, "case_id") {
            Ok(case_id) => {
                let new = NewVisit {
                    agreement_id: id.clone(),
                    case_id,
                    kind: field(&fields, "kind"),
                    visitor: field(&fields, "visitor"),
                    at: None,
                    outcome: field(&fields, "outcome"),
                    ground: optional(&fields, "ground"),
                    reason: optional(&fields, "reason"),
                };
                app.record_visit(who, &new, &now).await.map(|_| ()).map_err(ApiError::from)
            }
            Err(e) => Err(e),
        },
        "examination" => match number(&fields, "case_id") {
            Ok(case_id) => {
                let new = NewExamination {
                    agreement_id: id.clone(),
                    case_id,
                    purpose: field(&fields, "purpose"),
                    examiner: field(&fields, "examiner"),
                    examined_at: None,
                    fit_for_custody: field(&fields, "fit_for_custody"),
                    fit_for_transfer: field(&fields, "fit_for_transfer"),
                    fit_for_solitary: field(&fields, "fit_for_solitary"),
                    findings: field(&fields, "findings"),
                    injuries: optional(&fields, "injuries"),
                };
                app.record_examination(who, &new, &now).await.map(|_| ()).map_err(ApiError::from)
            }
            Err(e) => Err(e),
        },
        "complaint" => match number(&fields, "case_id") {
            Ok(case_id) => {
                let new = NewComplaint {
                    agreement_id: id.clone(),
                    case_id,
                    category: field(&fields, "category"),
                    confidential: fields.get("confidential").is_some(),
                    text: field(&fields, "text"),
                    alleges_ill_treatment: fields.get("alleges_ill_treatment").is_some(),
                    made_at: None,
                };
                app.file_complaint(who, &new, &now).await.map(|_| ()).map_err(ApiError::from)
            }
            Err(e) => Err(e),
        },
        "placement" => match number(&fields, "case_id") {
            Ok(case_id) => {
                let new = NewPlacement {
                    agreement_id: id.clone(),
                    case_id,
                    reason: field(&fields, "reason"),
                    start_at: None,
                };
                app.place_in_solitary(who, &new, &now).await.map(|_| ()).map_err(ApiError::from)
            }
            Err(e) => Err(e),
        },
        "answer" => match number(&fields, "id") {
            Ok(complaint) => app
                .answer_complaint(who, complaint, &field(&fields, "text"), &now)
                .await
                .map(|_| ())
                .map_err(ApiError::from),
            Err(e) => Err(e),
        },
        "escalate" => match number(&fields, "id") {
            Ok(complaint) => app
                .escalate_complaint(who, complaint, &field(&fields, "body"), &now)
                .await
                .map(|_| ())
                .map_err(ApiError::from),
            Err(e) => Err(e),
        },
        "end" => match number(&fields, "id") {
            Ok(record) => app.end_solitary(who, record, None, &now).await.map(|_| ()).map_err(ApiError::from),
            Err(e) => Err(e),
        },
        other => Err(ApiError::invalid(
            "form",
            custodia_app::fields::is_not(
                other,
                &["visit", "examination", "complaint", "answer", "escalate", "placement", "end"],
            ),
        )),
    };
    match done {
        Ok(()) => Redirect::to(&format!("/agreements/{id}/rights")).into_response(),
        Err(e) => layout::api_refusal(&web, &e),
    }
}
