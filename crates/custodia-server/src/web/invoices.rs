//! `/agreements/{id}/invoices` (the documents of an agreement, and the forms to draft an invoice of
//! a period or the settling credit note) and `/invoices/{id}` (a document with its lines, the form
//! to issue a draft — posted to `/invoices/{id}/issue` like "waiting for you" — the verification,
//! and the exports of an issued document, the same bytes as the API's and the command line's).
//!
//! Every step is the application layer's (`custodia_app::billing`): its roles, scopes and the
//! two-person rule; a refusal shows its code and changes nothing.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use custodia_app::access::Capability;
use custodia_app::billing::{DraftInvoice, ExportFormat, Invoice, InvoiceCheck};
use maud::{Markup, html};
use serde::Deserialize;

use super::context::{Fields, SignedIn, Web};
use super::layout::{self, csrf_field};
use super::oversight_format::moment_text;
use crate::state::AppState;

/// `web-invoice-kind-…` of a document kind.
fn kind_text(web: &Web, kind: &str) -> String {
    web.t(&format!("web-invoice-kind-{kind}"))
}

/// `web-invoice-status-…`: draft or issued.
fn status_text(web: &Web, invoice: &Invoice) -> String {
    web.t(if invoice.is_issued() { "web-invoice-status-issued" } else { "web-invoice-status-draft" })
}

fn money(web: &Web, minor: i64, currency: &str) -> String {
    custodia_i18n::format_money(web.lang, minor, currency)
}

/// Whether the user's role drafts and issues invoices (the forms are offered only then; the
/// application layer decides either way).
fn may_bill(user: &SignedIn) -> bool {
    user.who.role.may(Capability::Invoices)
}

fn list_table(web: &Web, invoices: &[Invoice]) -> Markup {
    html! {
        table {
            caption { (web.t("web-invoices-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-invoices-number")) }
                th scope="col" { (web.t("web-invoices-kind")) }
                th scope="col" { (web.t("web-invoices-period")) }
                th scope="col" { (web.t("web-invoices-status")) }
                th scope="col" class="number" { (web.t("web-invoices-total")) }
            } }
            tbody {
                @for i in invoices {
                    tr {
                        th scope="row" { a href={ "/invoices/" (i.row.id) } { (i.row.number) } }
                        td { (kind_text(web, &i.row.kind)) }
                        td { (i.row.period) }
                        td { (status_text(web, i)) }
                        td class="number" { (money(web, i.row.total_minor, &i.document.currency)) }
                    }
                }
            }
        }
    }
}

fn draft_forms(web: &Web, user: &SignedIn, id: &str) -> Markup {
    html! {
        section class="actions" aria-labelledby="draft-title" {
            h2 id="draft-title" { (web.t("web-invoices-draft-title")) }
            form method="post" action={ "/agreements/" (id) "/invoices" } {
                (csrf_field(user))
                input type="hidden" name="kind" value="invoice";
                p {
                    label for="draft-period" { (web.t("web-invoices-draft-period")) }
                    input id="draft-period" name="period" type="text" required pattern="[0-9]{4}-[0-9]{2}" maxlength="7";
                }
                p { button type="submit" { (web.t("web-invoices-draft-submit")) } }
            }
            form method="post" action={ "/agreements/" (id) "/invoices" } {
                (csrf_field(user))
                input type="hidden" name="kind" value="credit_note";
                p { (web.t("web-invoices-credit-note-intro")) }
                p { button type="submit" { (web.t("web-invoices-credit-note-submit")) } }
            }
            p { (web.t("web-invoices-two-person")) }
        }
    }
}

/// `GET /agreements/{id}/invoices`.
pub(crate) async fn list(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let invoices = match state.app.invoices(&user.who, &id).await {
        Ok(found) => found,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let body = html! {
        p { a href={ "/agreements/" (id) } { (web.t("web-oversight-back-to-agreement")) } }
        @if invoices.is_empty() { p { (web.t("web-invoices-none")) } } @else { (list_table(&web, &invoices)) }
        @if may_bill(user) { (draft_forms(&web, user, &id)) }
    };
    layout::page(&web, &web.ta("web-invoices-title", &[("agreement", id.as_str().into())]), body)
}

/// `POST /agreements/{id}/invoices`: drafts the invoice of a period (or the credit note), then
/// shows it.
pub(crate) async fn draft(State(state): State<AppState>, web: Web, Path(id): Path<String>, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let now = crate::clock::now();
    let drafted = if fields.get("kind") == Some("credit_note") {
        state.app.draft_credit_note(&user.who, &id, None, &now).await
    } else {
        let period = fields.get("period").unwrap_or_default().trim().to_owned();
        let request = DraftInvoice { agreement_id: id.clone(), period, extras: Vec::new(), on: None };
        state.app.draft_invoice(&user.who, &request, &now).await
    };
    match drafted {
        Ok(invoice) => Redirect::to(&format!("/invoices/{}", invoice.row.id)).into_response(),
        Err(e) => layout::app_refusal(&web, &e),
    }
}

fn summary(web: &Web, invoice: &Invoice) -> Markup {
    let (row, doc) = (&invoice.row, &invoice.document);
    let issued = row.issued.as_ref();
    html! {
        table {
            caption { (web.t("web-invoice-summary")) }
            tbody {
                tr { th scope="row" { (web.t("web-invoices-kind")) } td { (kind_text(web, &row.kind)) } }
                tr { th scope="row" { (web.t("web-invoice-agreement")) } td { a href={ "/agreements/" (row.agreement_id) } { (row.agreement_id) } } }
                tr { th scope="row" { (web.t("web-invoices-period")) } td { (row.period) } }
                tr { th scope="row" { (web.t("web-invoices-status")) } td { (status_text(web, invoice)) } }
                tr { th scope="row" { (web.t("web-invoice-prepared-by")) } td { (row.prepared_by) } }
                tr { th scope="row" { (web.t("web-invoice-issued-by")) } td { (issued.map_or("—", |i| i.issued_by.as_str())) } }
                tr { th scope="row" { (web.t("web-invoice-issued-at")) } td { (issued.map_or_else(|| "—".to_owned(), |i| moment_text(web, &i.issued_at))) } }
                tr { th scope="row" { (web.t("web-invoice-person-days")) } td class="number" { (doc.person_days) } }
                tr { th scope="row" { (web.t("web-invoices-total")) } td class="number" { strong { (money(web, row.total_minor, &doc.currency)) } } }
                tr { th scope="row" { (web.t("web-invoice-sha256")) } td { code { (row.sha256_hex()) } } }
            }
        }
    }
}

fn lines(web: &Web, invoice: &Invoice) -> Markup {
    let doc = &invoice.document;
    html! {
        h2 { (web.t("web-invoice-lines")) }
        table {
            caption { (web.t("web-invoice-lines")) }
            thead { tr {
                th scope="col" { (web.t("web-invoice-code")) }
                th scope="col" { (web.t("web-invoice-description")) }
                th scope="col" { (web.t("web-invoice-refers-to")) }
                th scope="col" class="number" { (web.t("web-invoice-quantity")) }
                th scope="col" class="number" { (web.t("web-invoice-unit-price")) }
                th scope="col" class="number" { (web.t("web-invoice-amount")) }
            } }
            tbody {
                @for l in &doc.lines {
                    tr {
                        td { code { (l.line.code) } }
                        td { (l.line.description) }
                        td { (l.refers_to.as_deref().unwrap_or("—")) }
                        td class="number" { (l.line.quantity) }
                        td class="number" { (money(web, l.line.unit_price_minor, &doc.currency)) }
                        td class="number" { (money(web, l.line.amount_minor, &doc.currency)) }
                    }
                }
            }
            tfoot { tr {
                th scope="row" colspan="5" { (web.t("web-invoices-total")) }
                td class="number" { strong { (money(web, doc.total_minor, &doc.currency)) } }
            } }
        }
        @if !doc.warnings.is_empty() {
            h2 { (web.t("web-invoice-warnings")) }
            ul { @for w in &doc.warnings { li lang="en" { (w) } } }
        }
    }
}

fn verification(web: &Web, check: &InvoiceCheck) -> Markup {
    let events = check.events.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    html! {
        section id="verification" aria-labelledby="verification-title" {
            h2 id="verification-title" { (web.t("web-invoice-verification")) }
            @if check.problems.is_empty() {
                p class="ok" role="status" { strong { (web.t("web-invoice-verified-ok")) } " "
                    (web.ta("web-invoice-verified-events", &[("events", events.into())])) }
            } @else {
                div class="refusal" role="alert" {
                    p { strong { (web.ta("web-invoice-verified-problems", &[("count", i64::try_from(check.problems.len()).unwrap_or(0).into())])) } }
                    ul { @for p in &check.problems { li lang="en" { (p) } } }
                }
            }
        }
    }
}

fn actions(web: &Web, user: &SignedIn, invoice: &Invoice) -> Markup {
    let id = invoice.row.id;
    html! {
        section id="actions" class="actions" aria-labelledby="actions-title" {
            h2 id="actions-title" { (web.t("web-invoice-actions")) }
            @if !invoice.is_issued() && may_bill(user) {
                form method="post" action={ "/invoices/" (id) "/issue" } {
                    (csrf_field(user))
                    input type="hidden" name="back" value="invoice";
                    p { (web.t("web-invoices-two-person")) }
                    p { button type="submit" { (web.t("web-invoice-issue")) } }
                }
            }
            form method="post" action={ "/invoices/" (id) "/verify" } {
                (csrf_field(user))
                p { (web.t("web-invoice-verify-intro")) }
                p { button type="submit" { (web.t("web-invoice-verify")) } }
            }
            h3 { (web.t("web-invoice-export")) }
            @if invoice.is_issued() {
                ul {
                    li { a href={ "/invoices/" (id) "/export?format=csv" } download { (web.t("web-invoice-export-csv")) } }
                    li { a href={ "/invoices/" (id) "/export?format=canonical" } download { (web.t("web-invoice-export-canonical")) } }
                }
            } @else {
                p { (web.t("web-invoice-export-draft")) }
            }
        }
    }
}

fn invoice_page(web: &Web, user: &SignedIn, invoice: &Invoice, check: Option<&InvoiceCheck>) -> Response {
    let body = html! {
        p { a href={ "/agreements/" (invoice.row.agreement_id) "/invoices" } { (web.t("web-invoice-back-to-list")) } }
        @if let Some(check) = check { (verification(web, check)) }
        (summary(web, invoice))
        (lines(web, invoice))
        (actions(web, user, invoice))
    };
    let title = web.ta(
        "web-invoice-title",
        &[("kind", kind_text(web, &invoice.row.kind).into()), ("number", invoice.row.number.as_str().into())],
    );
    layout::page(web, &title, body)
}

/// `GET /invoices/{id}`.
pub(crate) async fn show(State(state): State<AppState>, web: Web, Path(id): Path<i64>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    match state.app.invoice(&user.who, id).await {
        Ok(invoice) => invoice_page(&web, user, &invoice, None),
        Err(e) => layout::app_refusal(&web, &e),
    }
}

/// `POST /invoices/{id}/verify`: the application layer's check of the stored document against
/// its hash and its journal events, shown on the document's page (nothing is written).
pub(crate) async fn verify(State(state): State<AppState>, web: Web, Path(id): Path<i64>, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    match state.app.verify_invoice(&user.who, id).await {
        Ok(check) => invoice_page(&web, user, &check.invoice, Some(&check)),
        Err(e) => layout::app_refusal(&web, &e),
    }
}

/// The export asked for.
#[derive(Debug, Deserialize)]
pub(crate) struct ExportQuery {
    format: Option<String>,
}

/// A file name from a document number: letters, digits, `-` and `_` only.
fn file_name(number: &str, extension: &str) -> String {
    let stem: String =
        number.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    format!("{stem}.{extension}")
}

/// `GET /invoices/{id}/export?format=csv|canonical`: the same bytes as
/// `GET /api/v1/invoices/{id}?format=…` and `custodia invoices export`, as a download.
pub(crate) async fn export(
    State(state): State<AppState>,
    web: Web,
    Path(id): Path<i64>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let (format, content_type, extension) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (ExportFormat::Csv, "text/csv; charset=utf-8", "csv"),
        "canonical" => (ExportFormat::Canonical, "application/json", "json"),
        other => {
            let text = custodia_i18n::Text::new("INVALID.format").arg("value", format!("{other:?}"));
            return layout::api_refusal(&web, &crate::error::ApiError::invalid("format", text));
        }
    };
    let (number, exported) = match state.app.invoice(&user.who, id).await {
        Ok(invoice) => match state.app.export_invoice(&user.who, id, format).await {
            Ok(exported) => (invoice.row.number, exported),
            Err(e) => return layout::app_refusal(&web, &e),
        },
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let mut response = (StatusCode::OK, exported.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = format!("attachment; filename=\"{}\"", file_name(&number, extension));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&exported.sha256) {
        headers.insert("x-document-sha256", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn a_download_is_named_after_the_document_number_safely() {
        assert_eq!(file_name("US-SV-CECOT/2025-03", "csv"), "US-SV-CECOT_2025-03.csv");
        assert_eq!(file_name("a\"b\r\n", "json"), "a_b__.json");
    }
}
