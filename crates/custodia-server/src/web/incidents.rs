//! `/agreements/{id}/incidents` (the incidents of an agreement in the user's scope, and every
//! mandatory notification they owe with its deadline and where it stands — the application
//! layer's notifications report) and `/incidents/{id}` (an incident: its report and addenda, its
//! notifications, its investigation), where a role that files incidents records a notification
//! as sent through the application layer (late when after its deadline).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use custodia_app::access::Capability;
use custodia_app::oversight::NotificationLine;
use custodia_core::incidents::{NotificationStatus, hours_minutes};
use custodia_store::incidents::IncidentRow;
use maud::{Markup, html};

use super::context::{Fields, SignedIn, Web};
use super::layout::{self, csrf_field};
use super::oversight_format::{moment_text, moment_unix};
use crate::state::AppState;

fn kind_text(web: &Web, kind: custodia_core::incidents::IncidentKind) -> String {
    web.t(&format!("web-incident-kind-{}", kind.as_str()))
}

fn recipient_text(web: &Web, recipient: custodia_core::incidents::Recipient) -> String {
    web.t(&format!("web-recipient-{}", recipient.as_str()))
}

/// The status, marked as needing attention when overdue or sent late.
fn status_cell(web: &Web, status: NotificationStatus, late_by: Option<i64>) -> Markup {
    let text = web.t(&format!("web-notification-{}", status.as_str()));
    let late = late_by.map(hours_minutes);
    html! {
        @match status {
            NotificationStatus::Overdue | NotificationStatus::SentLate => {
                strong class="critical" { (text) }
                @if let Some(late) = late { " " (web.ta("web-incidents-late-by", &[("late", late.into())])) }
            },
            _ => { (text) },
        }
    }
}

fn case_link(case: Option<i64>) -> Markup {
    html! { @match case { Some(c) => a href={ "/cases/" (c) } { (c) }, None => "—" } }
}

fn incidents_table(web: &Web, incidents: &[IncidentRow]) -> Markup {
    html! {
        table {
            caption { (web.t("web-incidents-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-incidents-incident")) }
                th scope="col" { (web.t("web-incidents-kind")) }
                th scope="col" { (web.t("web-incidents-occurred")) }
                th scope="col" { (web.t("web-incidents-case")) }
                th scope="col" class="number" { (web.t("web-incidents-notifications")) }
                th scope="col" { (web.t("web-incidents-investigation")) }
            } }
            tbody {
                @for i in incidents {
                    tr {
                        th scope="row" { a href={ "/incidents/" (i.id) } { (i.id) } }
                        td { (kind_text(web, i.kind)) }
                        td { (moment_text(web, &i.occurred_at)) }
                        td { (case_link(i.case_id)) }
                        td class="number" { (i.notifications.len()) }
                        td { (i.investigation.as_ref().map_or_else(|| "—".to_owned(),
                            |inv| web.t(&format!("web-investigation-{}", inv.state().as_str())))) }
                    }
                }
            }
        }
    }
}

fn notifications_table(web: &Web, lines: &[NotificationLine]) -> Markup {
    html! {
        table {
            caption { (web.t("web-incidents-notifications-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-incidents-incident")) }
                th scope="col" { (web.t("web-incidents-kind")) }
                th scope="col" { (web.t("web-incidents-recipient")) }
                th scope="col" { (web.t("web-incidents-deadline")) }
                th scope="col" { (web.t("web-incidents-sent")) }
                th scope="col" { (web.t("web-incidents-status")) }
            } }
            tbody {
                @for n in lines {
                    tr {
                        th scope="row" { a href={ "/incidents/" (n.incident_id) } { (n.incident_id) } }
                        td { (kind_text(web, n.kind)) }
                        td { (recipient_text(web, n.recipient)) }
                        td { (moment_unix(web, n.due_at_unix)) }
                        td { (n.sent_at_unix.map_or_else(|| "—".to_owned(), |s| moment_unix(web, s))) }
                        td { (status_cell(web, n.status, n.late_by_seconds)) }
                    }
                }
            }
        }
    }
}

/// `GET /agreements/{id}/incidents`.
pub(crate) async fn list(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let now = crate::clock::now();
    let found =
        tokio::try_join!(state.app.incidents(&user.who, &id), state.app.notifications_report(&user.who, &id, &now));
    let (incidents, lines) = match found {
        Ok(both) => both,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let body = html! {
        p { a href={ "/agreements/" (id) } { (web.t("web-oversight-back-to-agreement")) } }
        p { (web.ta("web-incidents-as-of", &[("now", moment_text(&web, now.as_str()).into())])) }
        @if incidents.is_empty() { p { (web.t("web-incidents-none")) } } @else {
            (incidents_table(&web, &incidents))
            h2 { (web.t("web-incidents-notifications-title")) }
            @if lines.is_empty() { p { (web.t("web-incidents-no-notifications")) } } @else { (notifications_table(&web, &lines)) }
        }
    };
    layout::page(&web, &web.ta("web-incidents-title", &[("agreement", id.as_str().into())]), body)
}

/// The form recording a notification as sent (for a role that files incidents, while it is not).
fn notify_form(
    web: &Web,
    user: &SignedIn,
    row: &IncidentRow,
    recipient: custodia_core::incidents::Recipient,
) -> Markup {
    let field = format!("sent-{}", recipient.as_str());
    html! {
        form method="post" action={ "/incidents/" (row.id) "/notifications" } {
            (csrf_field(user))
            input type="hidden" name="recipient" value=(recipient.as_str());
            label for=(field) { (web.t("web-incident-sent-at")) }
            " "
            input id=(field) name="at" type="datetime-local" required;
            " "
            button type="submit" { (web.t("web-incident-record-sent")) }
        }
    }
}

fn incident_body(web: &Web, user: &SignedIn, row: &IncidentRow, now_unix: i64) -> Markup {
    let may_record = user.who.role.may(Capability::FileIncident);
    html! {
        p { a href={ "/agreements/" (row.agreement_id) "/incidents" } { (web.t("web-incident-back-to-list")) } }
        table {
            caption { (web.t("web-incident-summary")) }
            tbody {
                tr { th scope="row" { (web.t("web-incidents-kind")) } td { (kind_text(web, row.kind)) } }
                tr { th scope="row" { (web.t("web-incidents-occurred")) } td { (moment_text(web, &row.occurred_at)) } }
                tr { th scope="row" { (web.t("web-incidents-case")) } td { (case_link(row.case_id)) } }
                tr { th scope="row" { (web.t("web-invoice-agreement")) } td { a href={ "/agreements/" (row.agreement_id) } { (row.agreement_id) } } }
            }
        }
        h2 { (web.t("web-incident-report")) }
        p class="report" { (row.report.original) }
        @for (author, text) in &row.report.addenda {
            h3 { (web.ta("web-incident-addendum-by", &[("author", author.as_str().into())])) }
            p class="report" { (text) }
        }
        h2 { (web.t("web-incidents-notifications-title")) }
        @if row.notifications.is_empty() { p { (web.t("web-incidents-no-notifications")) } } @else {
            table {
                caption { (web.t("web-incidents-notifications-caption")) }
                thead { tr {
                    th scope="col" { (web.t("web-incidents-recipient")) }
                    th scope="col" { (web.t("web-incidents-deadline")) }
                    th scope="col" { (web.t("web-incidents-sent")) }
                    th scope="col" { (web.t("web-incidents-status")) }
                    @if may_record { th scope="col" { (web.t("web-incident-record")) } }
                } }
                tbody {
                    @for n in &row.notifications {
                        tr {
                            th scope="row" { (recipient_text(web, n.recipient)) }
                            td { (moment_unix(web, n.due_at_unix)) }
                            td { (n.sent_at_unix.map_or_else(|| "—".to_owned(), |s| moment_unix(web, s))) }
                            td { (status_cell(web, n.status(now_unix), n.late_by_seconds(now_unix))) }
                            @if may_record {
                                td { @if n.sent_at_unix.is_none() { (notify_form(web, user, row, n.recipient)) } }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(inv) = &row.investigation {
            h2 { (web.t("web-incidents-investigation")) }
            p { (web.ta("web-incident-investigation-state", &[
                ("state", web.t(&format!("web-investigation-{}", inv.state().as_str())).into()),
                ("due", moment_unix(web, inv.due_at_unix()).into()),
            ])) }
            @if inv.is_overdue(now_unix) { p { strong class="critical" { (web.t("web-incident-investigation-overdue")) } } }
        }
    }
}

/// `GET /incidents/{id}`.
pub(crate) async fn show(State(state): State<AppState>, web: Web, Path(id): Path<i64>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    match state.app.incident(&user.who, id).await {
        Ok(row) => {
            let body = incident_body(&web, user, &row, crate::clock::now().unix_seconds());
            let title = web.ta("web-incident-title", &[("id", id.into()), ("kind", kind_text(&web, row.kind).into())]);
            layout::page(&web, &title, body)
        }
        Err(e) => layout::app_refusal(&web, &e),
    }
}

/// A moment from a form: `YYYY-MM-DDTHH:MM` (a `datetime-local` field, read as UTC), with
/// seconds, or RFC 3339 as the API takes it.
fn form_moment(value: &str) -> String {
    let value = value.trim();
    match value.len() {
        16 => format!("{value}:00Z"),
        19 => format!("{value}Z"),
        _ => value.to_owned(),
    }
}

/// `POST /incidents/{id}/notifications`: records a notification as sent, then back to the incident.
pub(crate) async fn notify(State(state): State<AppState>, web: Web, Path(id): Path<i64>, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let asked = fields.get("recipient").unwrap_or_default();
    let Some(recipient) = custodia_store::incidents::parse_recipient(asked) else {
        let text = custodia_app::fields::must_be(&["next_of_kin", "sending_state", "independent_authority"]);
        return layout::api_refusal(&web, &crate::error::ApiError::invalid("recipient", text));
    };
    let at = match crate::wire::timestamp("at", &form_moment(fields.get("at").unwrap_or_default())) {
        Ok(at) => at,
        Err(e) => return layout::api_refusal(&web, &e),
    };
    match state.app.notify_incident(&user.who, id, recipient, &at, &crate::clock::now()).await {
        Ok(_) => Redirect::to(&format!("/incidents/{id}")).into_response(),
        Err(e) => layout::app_refusal(&web, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::form_moment;

    #[test]
    fn a_datetime_local_field_is_read_as_utc() {
        assert_eq!(form_moment("2026-01-10T12:00"), "2026-01-10T12:00:00Z");
        assert_eq!(form_moment(" 2026-01-10T12:00:30 "), "2026-01-10T12:00:30Z");
        assert_eq!(form_moment("2026-01-10T12:00:00+02:00"), "2026-01-10T12:00:00+02:00");
    }
}
