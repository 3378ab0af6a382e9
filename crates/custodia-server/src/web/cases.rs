//! `/cases` (a filtered list) and `/cases/{id}`: the timeline, the rule outcomes of the decision,
//! approvals, holds with their orders, and as forms only the actions the user's role may take.
//! A posted action goes through the application layer like the API's; a refusal shows its code.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use custodia_app::cases::{CaseAction, HoldRequest, TimelineEntry, TransitionRequest};
use custodia_core::custody::Case;
use maud::{Markup, html};
use serde::Deserialize;

use super::case_forms;
use super::context::{Fields, Web};
use super::layout;
use crate::state::AppState;

/// Most cases a list page shows.
const PAGE_CASES: usize = 200;

/// The list's filter.
#[derive(Debug, Deserialize)]
pub(crate) struct CaseFilter {
    agreement: Option<String>,
    state: Option<String>,
}

fn filter_form(web: &Web, agreements: &[String], filter: &CaseFilter) -> Markup {
    let chosen = |a: &str| filter.agreement.as_deref() == Some(a);
    html! {
        form method="get" action="/cases" {
            p {
                label for="agreement" { (web.t("web-cases-agreement")) }
                select id="agreement" name="agreement" {
                    @for a in agreements { option value=(a) selected[chosen(a)] { (a) } }
                }
            }
            p {
                label for="state" { (web.t("web-cases-state")) }
                select id="state" name="state" {
                    option value="" { (web.t("web-cases-any-state")) }
                    @for s in custodia_core::lifecycle::CaseState::ALL {
                        option value=(s.as_str()) selected[filter.state.as_deref() == Some(s.as_str())] { (s.as_str()) }
                    }
                }
            }
            p { button type="submit" { (web.t("web-cases-filter")) } }
        }
    }
}

/// The form that opens a case for a person of the agreement, by the sending state's id (the
/// application layer refuses a person not imported, no legal basis today, or an ended agreement).
fn propose_form(web: &Web, user: &super::SignedIn, agreement: &str) -> Markup {
    html! {
        form method="post" action="/cases" class="propose" {
            h2 { (web.t("web-cases-propose")) }
            (layout::csrf_field(user))
            input type="hidden" name="agreement" value=(agreement);
            p {
                label for="propose-person" { (web.t("web-cases-propose-person")) }
                input id="propose-person" name="person_id" type="text" required maxlength="64";
            }
            p { button type="submit" { (web.t("web-cases-propose")) } }
        }
    }
}

/// `POST /cases`: opens a case (state `proposed`), then its page.
pub(crate) async fn propose(State(state): State<AppState>, web: Web, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let agreement = fields.get("agreement").unwrap_or_default();
    let person = fields.get("person_id").unwrap_or_default();
    match state.app.propose_case(&user.who, agreement, person, None, &crate::clock::now()).await {
        Ok(opened) => Redirect::to(&format!("/cases/{}", opened.case.id)).into_response(),
        Err(e) => layout::app_refusal(&web, &e),
    }
}

/// `GET /cases?agreement=…&state=…`.
pub(crate) async fn list(State(state): State<AppState>, web: Web, Query(filter): Query<CaseFilter>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let agreements: Vec<String> = match state.app.agreements(&user.who).await {
        Ok(found) => found.iter().map(|r| r.agreement.id.as_str().to_owned()).collect(),
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let Some(agreement) = filter.agreement.clone().or_else(|| agreements.first().cloned()) else {
        return layout::page(&web, &web.t("web-nav-cases"), html! { p { (web.t("web-home-no-agreements")) } });
    };
    let wanted = filter.state.as_deref().filter(|s| !s.is_empty());
    let page = match state.app.cases(&user.who, &agreement, wanted, 0, PAGE_CASES).await {
        Ok(page) => page,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let may_propose = user.who.role.may(custodia_app::access::Capability::ProposeCase);
    let filter = CaseFilter { agreement: Some(agreement), ..filter };
    let body = html! {
        (filter_form(&web, &agreements, &filter))
        @if may_propose { (propose_form(&web, user, filter.agreement.as_deref().unwrap_or_default())) }
        table {
            caption { (web.ta("web-cases-caption", &[("count", i64::try_from(page.items.len()).unwrap_or(0).into())])) }
            thead { tr {
                th scope="col" { (web.t("web-cases-case")) }
                th scope="col" { (web.t("web-cases-person")) }
                th scope="col" { (web.t("web-cases-state")) }
                th scope="col" { (web.t("web-cases-facility")) }
            } }
            tbody {
                @for c in &page.items {
                    tr {
                        td { a href={ "/cases/" (c.case.id) } { (c.case.id) } }
                        td { a href={ "/persons/" (c.case.person_id) } { (c.sending_id) } }
                        td { (c.case.case.state.as_str()) }
                        td { (c.case.facility_id.as_deref().unwrap_or("—")) }
                    }
                }
            }
        }
        @if page.next_after.is_some() { p { (web.t("web-cases-more")) } }
    };
    layout::page(&web, &web.t("web-nav-cases"), body)
}

fn timeline(web: &Web, entries: &[TimelineEntry]) -> Markup {
    html! {
        h2 { (web.t("web-case-timeline")) }
        table {
            caption { (web.t("web-case-timeline")) }
            thead { tr {
                th scope="col" { (web.t("web-case-day")) }
                th scope="col" { (web.t("web-case-action")) }
                th scope="col" { (web.t("web-case-from-to")) }
                th scope="col" { (web.t("web-case-reason")) }
                th scope="col" { (web.t("web-case-by")) }
            } }
            tbody {
                @for e in entries {
                    tr { td { (e.day) } td { (e.action) } td { (e.from) " → " (e.to) } td { code { (e.reason) } } td { (e.by) } }
                }
            }
        }
    }
}

fn decision(web: &Web, case: &Case) -> Markup {
    let Some(screening) = &case.screening else { return html! { p { (web.t("web-case-not-screened")) } } };
    html! {
        h2 { (web.t("web-case-decision")) }
        p { (web.ta("web-case-screened-on", &[("day", custodia_i18n::format_date(web.lang, screening.on).into())]))
            " " strong { (screening.decision().as_str()) } }
        table {
            caption { (web.t("web-case-rule-outcomes")) }
            thead { tr { th scope="col" { (web.t("web-case-rule")) } th scope="col" { (web.t("web-case-outcome")) } } }
            tbody {
                @for (rule, outcome) in &screening.outcomes {
                    tr { th scope="row" { code { (rule.code()) } } td { (web.t(&format!("web-outcome-{}", outcome.as_str()))) } }
                }
            }
        }
        @if let Some(review) = &case.review {
            p { (web.ta("web-case-review", &[
                ("reviewer", review.reviewer.as_str().into()),
                ("confirmed", review.confirmed_by.clone().unwrap_or_else(|| "—".into()).into()),
            ])) }
        }
    }
}

fn approvals_and_holds(web: &Web, case: &Case) -> Markup {
    let who = |a: &Option<String>| a.clone().unwrap_or_else(|| "—".into());
    html! {
        h2 { (web.t("web-case-approvals")) }
        ul {
            li { (web.t("web-case-sending-approval")) ": " (who(&case.sending_approval)) }
            li { (web.t("web-case-receiving-approval")) ": " (who(&case.receiving_approval)) }
        }
        h2 { (web.t("web-case-holds")) }
        @if case.holds.is_empty() { p { (web.t("web-case-no-holds")) } } @else {
            table {
                caption { (web.t("web-case-holds")) }
                thead { tr {
                    th scope="col" { (web.t("web-case-hold-reference")) }
                    th scope="col" { (web.t("web-case-hold-authority")) }
                    th scope="col" { (web.t("web-case-hold-order")) }
                    th scope="col" { (web.t("web-case-hold-placed")) }
                    th scope="col" { (web.t("web-case-hold-lifting")) }
                } }
                tbody {
                    @for h in &case.holds {
                        tr {
                            td { (h.reference) }
                            td { (h.authority) }
                            td { (web.t(&format!("web-hold-order-{}", h.order.as_str()))) }
                            td { (h.placed_by) ", " (custodia_i18n::format_date(web.lang, h.placed_on)) }
                            td { @match &h.lifting {
                                Some(l) => {
                                    @if h.order == custodia_core::custody::HoldOrder::Challenge {
                                        (web.t(if l.upheld { "web-outcome-upheld" } else { "web-outcome-dismissed" })) ": "
                                    }
                                    (l.decision_reference) " · " (l.by) " · " (l.confirmed_by.as_deref().unwrap_or("—"))
                                },
                                None => { "—" },
                            } }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /cases/{id}`.
pub(crate) async fn show(State(state): State<AppState>, web: Web, Path(id): Path<i64>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let (found, entries) = match tokio::try_join!(state.app.case(&user.who, id), state.app.case_timeline(&user.who, id))
    {
        Ok(both) => both,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let row = &found.case;
    let body = html! {
        p { (web.ta("web-case-summary", &[
            ("person", found.sending_id.as_str().into()),
            ("agreement", row.agreement_id.as_str().into()),
            ("state", row.case.state.as_str().into()),
        ])) }
        p { a href={ "/persons/" (row.person_id) } { (web.ta("web-case-person-file", &[("person", found.sending_id.as_str().into())])) } }
        (timeline(&web, &entries))
        (decision(&web, &row.case))
        (approvals_and_holds(&web, &row.case))
        (case_forms::actions(&web, user, row))
    };
    layout::page(&web, &web.ta("web-case-title", &[("id", id.into())]), body)
}

/// The action a case form asks for (fields checked by the application layer).
fn action_of(fields: &Fields) -> Result<CaseAction, crate::error::ApiError> {
    let text = |name: &str| fields.get(name).unwrap_or_default().to_owned();
    Ok(match fields.get("action").unwrap_or_default() {
        "place_hold" => CaseAction::PlaceHold(HoldRequest {
            authority: text("authority"),
            reference: text("reference"),
            order: text("order"),
        }),
        "lift_hold" => {
            CaseAction::LiftHold { reference: text("reference"), decision_reference: text("decision_reference") }
        }
        "confirm_lift" => CaseAction::ConfirmLift(text("reference")),
        "decide_challenge" => CaseAction::DecideChallenge {
            reference: text("reference"),
            outcome: text("outcome"),
            reasons: text("reasons"),
        },
        _ => case_forms::lifecycle_action(fields)?,
    })
}

/// `POST /cases/{id}/actions`: one action on the case, then back to its page.
pub(crate) async fn act(State(state): State<AppState>, web: Web, Path(id): Path<i64>, fields: Fields) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let request = match action_of(&fields) {
        Ok(action) => TransitionRequest {
            action,
            reason: fields.get("reason").unwrap_or_default().to_owned(),
            occurred_at: None,
            expected_version: fields.get("version").and_then(|v| v.parse().ok()),
        },
        Err(e) => return layout::api_refusal(&web, &e),
    };
    match state.app.transition(&user.who, id, request, &crate::clock::now()).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => layout::app_refusal(&web, &e),
    }
}
