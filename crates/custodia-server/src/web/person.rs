//! `/persons/{id}`: a person's file, in the caller's scope only (out of scope is "not found", as
//! in the API): identity and the identifiers of both states the caller may see, the legal basis
//! for holding them today (the alerts' computation), the sentence arithmetic step by step (the
//! core's), the custody history (each case's steps), the intake records, the incidents and
//! contacts of their cases, the family-contact text of their agreements, and the inclusion proof
//! of the event carrying their current record against the journal's latest checkpoint.
//!
//! The file is read through the application layer's `person_file`, so the read is logged like
//! the API's.

use axum::extract::{Path, State};
use axum::response::Response;
use custodia_app::AppError;
use custodia_app::persons::{PersonFile, PersonInScope};
use custodia_core::safeguards::{Basis, NoBasis};
use custodia_core::sentence::SentenceDates;
use custodia_core::{Agreement, Date, SentenceInput, SentenceProfile};
use custodia_journal::merkle;
use custodia_store::cases::CaseRow;
use maud::{Markup, html};

use super::context::Web;
use super::journal::instant;
use super::layout;
use crate::auth::Principal;
use crate::state::AppState;

fn date(web: &Web, day: Date) -> String {
    custodia_i18n::format_date(web.lang, day)
}

/// A stored day (`YYYY-MM-DD`, or an instant) for people; as written when it is no date.
fn day_text(web: &Web, text: &str) -> String {
    if text.len() > 10 {
        return instant(web, text);
    }
    Date::parse(text).map_or_else(|_| text.to_owned(), |d| date(web, d))
}

fn or_unknown(web: &Web, value: Option<&str>) -> String {
    value.filter(|v| !v.is_empty()).map_or_else(|| web.t("web-person-unknown"), str::to_owned)
}

fn identity(web: &Web, file: &PersonFile) -> Markup {
    let p = &file.person;
    let r = &p.record;
    let birth = r.birth_date.as_deref().map(|b| day_text(web, b));
    let rows = [
        ("web-person-sending-id", r.sending_id.clone()),
        ("web-person-family-name", r.family_name.clone()),
        ("web-person-given-names", r.given_names.clone()),
        ("web-person-birth-date", or_unknown(web, birth.as_deref())),
        ("web-person-nationalities", or_unknown(web, r.nationalities.as_deref())),
        ("web-person-sending-state", p.sending_state.clone()),
        ("web-person-security-class", or_unknown(web, r.security_class.as_deref())),
        ("web-person-care-needs", or_unknown(web, r.care_needs.as_deref())),
        ("web-person-version", p.version.to_string()),
    ];
    html! {
        h2 { (web.t("web-person-identity")) }
        table {
            caption { (web.t("web-person-identity")) }
            tbody { @for (key, value) in &rows { tr { th scope="row" { (web.t(key)) } td { (value) } } } }
        }
        @if !file.aliases.is_empty() {
            p { (web.t("web-person-aliases")) ": "
                @for (i, (family, given)) in file.aliases.iter().enumerate() {
                    @if i > 0 { "; " } (family) ", " (given)
                }
            }
        }
        h2 { (web.t("web-person-identifiers")) }
        table {
            caption { (web.t("web-person-identifiers-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-person-identifier-state")) }
                th scope="col" { (web.t("web-person-identifier-scheme")) }
                th scope="col" { (web.t("web-person-identifier-value")) }
            } }
            tbody {
                @for i in &file.identifiers {
                    tr { td { (i.state) } td { code { (i.scheme) } } td { (i.value) } }
                }
            }
        }
    }
}

fn basis_text(web: &Web, basis: &Result<Basis, NoBasis>, day: Date) -> Markup {
    match basis {
        Ok(Basis::Conviction { release: Some(release) }) => {
            html! { (web.ta("web-person-basis-conviction", &[("release", date(web, *release).into())])) }
        }
        Ok(Basis::Conviction { release: None }) => html! { (web.t("web-person-basis-life")) },
        Ok(Basis::Removal { destination, until }) => html! {
            (web.ta("web-person-basis-removal", &[
                ("destination", destination.as_str().into()),
                ("until", date(web, *until).into()),
            ]))
        },
        Err(no @ NoBasis::Served { release }) => {
            let args = [("release", date(web, *release).into())];
            html! { strong class="critical" { code { (no.code()) } } " " (custodia_i18n::for_code(web.lang, no.code(), &args, &no.to_string())) }
        }
        Err(no @ NoBasis::Missing { why }) => {
            let args = [("day", date(web, day).into()), ("why", why.as_str().into())];
            html! { strong class="critical" { code { (no.code()) } } " " (custodia_i18n::for_code(web.lang, no.code(), &args, &no.to_string())) }
        }
    }
}

/// The legal basis today, per case (per agreement for a person without a case in scope).
fn legal_basis(web: &Web, file: &PersonFile, now: &custodia_store::Timestamp) -> Markup {
    let p = &file.person;
    let mut rows: Vec<(Option<&CaseRow>, &Agreement)> = Vec::new();
    for agreement in &p.agreements {
        let cases: Vec<&CaseRow> = p.cases.iter().filter(|c| c.agreement_id == agreement.id.as_str()).collect();
        if cases.is_empty() {
            rows.push((None, agreement));
        }
        rows.extend(cases.into_iter().map(|c| (Some(c), agreement)));
    }
    let custody = |case: i64| file.legal_basis.custody.iter().find(|k| k.case_id == case);
    html! {
        h2 { (web.t("web-person-legal-basis")) }
        p { (web.t(if file.legal_basis.on_record { "web-person-on-record" } else { "web-person-not-on-record" })) }
        table {
            caption { (web.t("web-person-legal-basis-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-person-case")) }
                th scope="col" { (web.t("web-person-agreement")) }
                th scope="col" { (web.t("web-person-day")) }
                th scope="col" { (web.t("web-person-basis")) }
                th scope="col" { (web.t("web-person-custodian")) }
                th scope="col" { (web.t("web-person-return-by")) }
            } }
            tbody {
                @for (case, agreement) in &rows {
                    @let day = custodia_app::days::today_in(agreement, case.and_then(|c| c.facility_id.as_deref()), now);
                    @let id = agreement.id.as_str();
                    tr {
                        td { @match case { Some(c) => { a href={ "/cases/" (c.id) } { (c.id) } }, None => { "—" } } }
                        td { (id) }
                        td { (date(web, day)) }
                        td { @match p.basis_on(id, *case, day) {
                            Some(basis) => { (basis_text(web, &basis, day)) },
                            None => { "—" },
                        } }
                        @let k = case.and_then(|c| custody(c.id));
                        td { (k.map_or("—", |k| k.legal_custodian.as_str())) }
                        td { (k.and_then(|k| k.return_by).map_or_else(|| "—".to_owned(), |d| date(web, d))) }
                    }
                }
            }
        }
    }
}

fn sentence_steps(web: &Web, input: &SentenceInput, dates: &SentenceDates) -> Markup {
    let days = |n: u32| web.ta("web-person-days", &[("days", i64::from(n).into())]);
    let on = |d: Option<Date>| d.map_or_else(|| "—".to_owned(), |d| date(web, d));
    let (gct_step, gct_op, last_step, last_op) = match input.profile {
        SentenceProfile::UsFederal => (
            web.t("web-person-step-gct"),
            web.ta(
                "web-person-op-gct",
                &[("days", i64::from(dates.gct_days).into()), ("rate", i64::from(input.gct_rate).into())],
            ),
            web.t("web-person-step-weekday"),
            web.t("web-person-op-weekday"),
        ),
        SentenceProfile::TwoThirds => (
            web.t("web-person-step-two-thirds"),
            web.t("web-person-op-two-thirds"),
            web.t("web-person-step-not-before-start"),
            web.t("web-person-op-not-before-start"),
        ),
    };
    html! {
        table class="steps" {
            caption { (web.ta("web-person-sentence-caption", &[("profile", input.profile.as_str().into())])) }
            thead { tr {
                th scope="col" { (web.t("web-person-step")) }
                th scope="col" { (web.t("web-person-operation")) }
                th scope="col" { (web.t("web-person-result")) }
            } }
            tbody {
                tr { th scope="row" { (web.t("web-person-step-start")) } td { "S" } td { (date(web, dates.start_date)) } }
                tr { th scope="row" { (web.t("web-person-step-full-term")) }
                     td { (web.ta("web-person-op-term", &[("term", input.term.to_string().into())])) }
                     td { (on(dates.full_term_date)) } }
                tr { th scope="row" { (web.t("web-person-step-credit")) }
                     td { "− " (days(input.jail_credit_days)) }
                     td { (on(dates.adjusted_full_term_date)) } }
                tr { th scope="row" { (gct_step) } td { (gct_op) } td { (on(dates.statutory_release_date)) } }
                tr { th scope="row" { (last_step) } td { (last_op) } td { strong { (on(dates.projected_release_date)) } } }
            }
        }
        @if dates.already_due { p { (web.t("web-person-already-due")) } }
    }
}

fn sentence(web: &Web, p: &PersonInScope) -> Markup {
    html! {
        h2 { (web.t("web-person-sentence")) }
        p { (web.ta("web-person-sentence-record", &[
            ("conviction", or_unknown(web, p.record.conviction.as_deref()).into()),
            ("start", or_unknown(web, p.record.sentence_start.as_deref()).into()),
            ("term", or_unknown(web, p.record.sentence_term.as_deref()).into()),
            ("credit", i64::from(p.record.jail_credit_days.unwrap_or(0)).into()),
        ])) }
        @for agreement in &p.agreements {
            @let id = agreement.id.as_str();
            @match p.sentence_under(id) {
                Some((input, dates)) if dates.projected_release_date.is_some() => {
                    (sentence_steps(web, &input, &dates))
                    p { (web.ta("web-person-release", &[
                        ("agreement", id.into()),
                        ("release", dates.projected_release_date.map(|d| date(web, d)).unwrap_or_default().into()),
                    ])) }
                },
                Some(_) => { p { (web.t("web-person-life")) } },
                None => { p { (web.t("web-person-no-sentence")) } },
            }
        }
    }
}

/// The custody history: each case's steps, its intake record.
async fn history(state: &AppState, web: &Web, who: &Principal, p: &PersonInScope) -> Markup {
    let mut parts = Vec::new();
    for row in &p.cases {
        let steps = match state.app.case_timeline(who, row.id).await {
            Ok(steps) => html! {
                table {
                    caption { (web.ta("web-person-case-steps", &[("case", row.id.into())])) }
                    thead { tr {
                        th scope="col" { (web.t("web-case-day")) }
                        th scope="col" { (web.t("web-case-action")) }
                        th scope="col" { (web.t("web-person-state")) }
                        th scope="col" { (web.t("web-case-by")) }
                        th scope="col" { (web.t("web-case-reason")) }
                    } }
                    tbody {
                        @for e in &steps {
                            tr {
                                td { (day_text(web, &e.day)) }
                                td { (e.action) }
                                td { (e.from) " → " (e.to) }
                                td { (e.by) }
                                td { code { (e.reason) } }
                            }
                        }
                    }
                }
            },
            Err(e) => refused_part(web, &e),
        };
        let case = &row.case;
        parts.push(html! {
            h3 { a href={ "/cases/" (row.id) } { (web.ta("web-case-title", &[("id", row.id.into())])) } }
            p { (web.ta("web-person-case-summary", &[
                ("agreement", row.agreement_id.as_str().into()),
                ("state", case.state.as_str().into()),
                ("facility", row.facility_id.clone().unwrap_or_else(|| "—".into()).into()),
                ("cell", case.cell_id.clone().unwrap_or_else(|| "—".into()).into()),
            ])) }
            (steps)
            @if let Some(intake) = &case.intake {
                table {
                    caption { (web.ta("web-person-intake-caption", &[("case", row.id.into())])) }
                    tbody {
                        tr { th scope="row" { (web.t("web-field-admission-commitment_order")) } td { (case.commitment_order.as_deref().unwrap_or("—")) } }
                        tr { th scope="row" { (web.t("web-field-admission-admitted_on")) } td { (date(web, intake.admitted_on)) } }
                        tr { th scope="row" { (web.t("web-field-admission-hour")) } td class="number" { (intake.hour) } }
                        tr { th scope="row" { (web.t("web-field-admission-visible_injuries")) } td { (intake.visible_injuries) } }
                        tr { th scope="row" { (web.t("web-field-admission-property")) } td { (intake.property) } }
                        tr { th scope="row" { (web.t("web-field-admission-next_of_kin")) } td { (intake.next_of_kin) } }
                    }
                }
            } @else {
                p { (web.t("web-person-no-intake")) }
            }
        });
    }
    html! {
        h2 { (web.t("web-person-history")) }
        @if parts.is_empty() { p { (web.t("web-person-no-cases")) } }
        @for part in parts { (part) }
    }
}

/// The incidents and contacts of the person's cases, and how their family may ask after them.
async fn oversight(state: &AppState, web: &Web, who: &Principal, p: &PersonInScope) -> Markup {
    let ids: Vec<i64> = p.cases.iter().map(|c| c.id).collect();
    let concerns = |case: Option<i64>| case.is_some_and(|c| ids.contains(&c));
    let mut incidents = Vec::new();
    let mut contacts = Vec::new();
    let mut refused = Vec::new();
    for agreement in &p.agreements {
        let id = agreement.id.as_str();
        match state.app.incidents(who, id).await {
            Ok(rows) => incidents.extend(rows.into_iter().filter(|r| concerns(r.case_id))),
            Err(e) => refused.push(refused_part(web, &e)),
        }
        match state.app.contacts(who, id).await {
            Ok(rows) => contacts.extend(rows.into_iter().filter(|r| concerns(r.case_id))),
            Err(e) => refused.push(refused_part(web, &e)),
        }
    }
    html! {
        h2 { (web.t("web-person-incidents")) }
        @if incidents.is_empty() { p { (web.t("web-person-no-incidents")) } } @else {
            table {
                caption { (web.t("web-person-incidents")) }
                thead { tr {
                    th scope="col" { (web.t("web-person-incident")) }
                    th scope="col" { (web.t("web-person-case")) }
                    th scope="col" { (web.t("web-person-incident-kind")) }
                    th scope="col" { (web.t("web-person-occurred")) }
                    th scope="col" { (web.t("web-person-report")) }
                } }
                tbody {
                    @for i in &incidents {
                        tr {
                            td class="number" { (i.id) }
                            td { (i.case_id.map(|c| c.to_string()).unwrap_or_default()) }
                            td { code { (i.kind.as_str()) } }
                            td { (instant(web, &i.occurred_at)) }
                            td { (i.report.original) }
                        }
                    }
                }
            }
        }
        h2 { (web.t("web-person-contacts")) }
        @if contacts.is_empty() { p { (web.t("web-person-no-contacts")) } } @else {
            table {
                caption { (web.t("web-person-contacts")) }
                thead { tr {
                    th scope="col" { (web.t("web-person-contact-at")) }
                    th scope="col" { (web.t("web-person-contact-who")) }
                    th scope="col" { (web.t("web-person-contact-means")) }
                    th scope="col" { (web.t("web-person-contact-note")) }
                } }
                tbody {
                    @for c in &contacts {
                        tr {
                            td { (instant(web, &c.contact.at)) }
                            td { (c.contact.contact) }
                            td { code { (c.contact.means.as_str()) } }
                            td { (c.contact.note) }
                        }
                    }
                }
            }
        }
        @for r in refused { (r) }
        h3 { (web.t("web-person-family-contact")) }
        @for agreement in &p.agreements {
            @match &agreement.oversight.family_contact {
                Some(text) => { p { (agreement.id.as_str()) ": " (text) } },
                None => { p { (agreement.id.as_str()) ": " (web.t("web-person-no-family-contact")) } },
            }
        }
    }
}

/// The inclusion proof of the event carrying the current record, against the latest checkpoint.
async fn proof(state: &AppState, web: &Web, who: &Principal, p: &PersonInScope) -> Markup {
    let signed = match super::journal::latest(state).await {
        Ok(signed) => signed,
        Err(e) => return html! { h2 { (web.t("web-person-proof")) } (refused_part(web, &e)) },
    };
    let (size, root) = (signed.checkpoint.size(), signed.checkpoint.root());
    let Ok(index) = u64::try_from(p.event_seq) else { return html! {} };
    let found = match state.app.inclusion_proof(who, index, Some(size)).await {
        Ok(found) => found,
        Err(e) => return html! { h2 { (web.t("web-person-proof")) } (refused_part(web, &e)) },
    };
    let verified = found.root_hash == root
        && merkle::verify_inclusion(&found.leaf_hash, found.leaf_index, found.tree_size, &found.path, &root).is_ok();
    html! {
        h2 { (web.t("web-person-proof")) }
        p { (web.ta("web-person-proof-intro", &[("index", i64::try_from(index).unwrap_or(0).into())])) " "
            a href="/journal" { (web.t("web-person-proof-checkpoint-link")) } }
        table class="proof" {
            caption { (web.t("web-person-proof-caption")) }
            tbody {
                tr { th scope="row" { (web.t("web-person-proof-index")) } td class="number" { (found.leaf_index) } }
                tr { th scope="row" { (web.t("web-journal-tree-size")) } td class="number" { (found.tree_size) } }
                tr { th scope="row" { (web.t("web-person-proof-leaf")) } td { code class="hash" { (found.leaf_hash.to_base64()) } } }
                @for (i, hash) in found.path.iter().enumerate() {
                    tr {
                        th scope="row" { (web.ta("web-person-proof-step", &[("step", i64::try_from(i + 1).unwrap_or(0).into())])) }
                        td { code class="hash" { (hash.to_base64()) } }
                    }
                }
                tr { th scope="row" { (web.t("web-journal-root-hash")) } td { code class="hash" { (root.to_base64()) } } }
            }
        }
        p { @if verified { strong { (web.t("web-person-proof-verified")) } } @else { strong class="critical" { (web.t("web-person-proof-failed")) } } }
    }
}

fn refused_part(web: &Web, error: &AppError) -> Markup {
    let api = crate::error::ApiError::from(error.clone());
    let message = custodia_i18n::for_code(web.lang, &api.body.code, &[], &api.body.message);
    html! { p class="refusal" { code { (api.body.code) } " " (message) } }
}

/// `GET /persons/{id}`.
pub(crate) async fn show(State(state): State<AppState>, web: Web, Path(id): Path<i64>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let file = match state.app.person_file(&user.who, id, &state).await {
        Ok(file) => file,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let now = crate::clock::now();
    let p = &file.person;
    let body = html! {
        (identity(&web, &file))
        (legal_basis(&web, &file, &now))
        (sentence(&web, p))
        (history(&state, &web, &user.who, p).await)
        (oversight(&state, &web, &user.who, p).await)
        (proof(&state, &web, &user.who, p).await)
    };
    let title = web.ta(
        "web-person-title",
        &[
            ("name", format!("{}, {}", p.record.family_name, p.record.given_names).into()),
            ("id", p.record.sending_id.as_str().into()),
        ],
    );
    layout::page(&web, &title, body)
}
