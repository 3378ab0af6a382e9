//! The person's file and the journal's checkpoint in the web interface (docs/web.md): the release
//! date and its steps as the core computes them, the custody history, the intake record, the
//! incidents and contacts of the person's cases, not-found outside the scope, Spanish without
//! missing texts, and an inclusion proof that verifies against the signed checkpoint.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;

use common::{TestServer, actor};
use custodia_core::sentence::{self, SentenceInput, SentenceProfile};
use custodia_core::{Date, Term};
use custodia_i18n::Language;
use custodia_journal::merkle::{self, Hash};
use custodia_store::prelude::*;
use serde_json::json;

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const GJILAN: &str = "examples/agreements/dk-xk-gjilan.toml";
const PASSWORD: &str = "a long enough passphrase";
/// P-1's jail credit, days.
const CREDIT: u32 = 45;

/// A browser without JavaScript: keeps cookies, follows no redirect by itself.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    accept_language: Option<&'static str>,
}

/// An answer: its status and its body.
struct Page {
    status: u16,
    html: String,
}

impl Browser {
    fn new(server: &TestServer) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: server.base.clone(), client, cookies: BTreeMap::new(), accept_language: None }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let mut request = request;
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header("cookie", jar.join("; "));
        }
        if let Some(lang) = self.accept_language {
            request = request.header("accept-language", lang);
        }
        let response = request.send().await.unwrap();
        for line in response.headers().get_all("set-cookie") {
            let line = line.to_str().unwrap();
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
        let status = response.status().as_u16();
        Page { status, html: response.text().await.unwrap() }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn sign_in(&mut self, name: &str) {
        let form = self.get("/").await;
        let marker = r#"name="csrf" value=""#;
        let at = form.html.find(marker).expect("a CSRF field") + marker.len();
        let csrf = form.html[at..].split('"').next().unwrap().to_owned();
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([("csrf", csrf.as_str()), ("name", name), ("password", PASSWORD)])
            .finish();
        let request = self
            .client
            .post(format!("{}/sign-in", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        assert_eq!(self.send(request).await.status, 303, "{name} signs in");
    }
}

/// Catalogue keys shown instead of a text (`web-…`).
fn unresolved_keys(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("web-") {
        let before = rest[..at].chars().next_back();
        let key: String = rest[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).collect();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '/') {
            found.push(key.clone());
        }
        rest = &rest[at + key.len().max(4)..];
    }
    found
}

/// One `<main>`, the language, no missing text, no script or inline style.
fn assert_sound_page(page: &Page, lang: &str) {
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.html.matches("<main").count(), 1, "exactly one <main>");
    assert!(page.html.contains(&format!("<html lang=\"{lang}\"")));
    assert_eq!(unresolved_keys(&page.html), Vec::<String>::new(), "texts without a message");
    assert!(!page.html.contains("<script") && !page.html.contains(" style=\""));
}

/// The text of the `<code class="hash">` in the table row headed `header`.
fn hash_in_row(html: &str, header: &str) -> String {
    let row = format!(">{header}</th>");
    let at = html.find(&row).unwrap_or_else(|| panic!("no row {header}: {html}")) + row.len();
    let marker = r#"<code class="hash">"#;
    let start = at + html[at..].find(marker).unwrap() + marker.len();
    html[start..].split('<').next().unwrap().to_owned()
}

/// The number in the table row headed `header`.
fn number_in_row(html: &str, header: &str) -> u64 {
    let row = format!(">{header}</th><td class=\"number\">");
    let at = html.find(&row).unwrap_or_else(|| panic!("no row {header}")) + row.len();
    html[at..].split('<').next().unwrap().parse().unwrap()
}

async fn user_with_password(server: &TestServer, name: &str, role: &str, agreements: &[&str]) {
    let user = custodia_store::access::NewUser {
        name: name.into(),
        name_key: name.into(),
        role: role.into(),
        agreements: agreements.iter().map(|a| (*a).to_owned()).collect(),
        facilities: vec!["*".into()],
        password_hash: Some(custodia_server::auth::hash_password(PASSWORD).unwrap()),
    };
    server.store.create_user(&user, &actor("setup")).await.unwrap();
}

/// CECOT and Gjilan; P-1 (a jail credit of 45 days) admitted to CECOT on 2025-03-20, with an
/// incident and a contact logged on the case; `ana`, an auditor of every agreement, and `dan`,
/// an auditor of Gjilan only. P-1's register id and case.
async fn cecot_with_p1_admitted() -> (TestServer, i64, i64) {
    let server = TestServer::start(&[CECOT, GJILAN]).await;
    let mut person = common::person("P-1", "Doe", "1990-01-01", "high");
    person.torture_risk_assessed_on = Some("2025-03-01".into());
    person.jail_credit_days = Some(CREDIT);
    common::import_persons(&server, common::CECOT_ID, "US", vec![person]).await;
    common::import_cells(&server, common::CECOT_ID, &[("cecot", "C-1", "shared", "100", 20)]).await;
    let staff = common::staff(&server).await;
    let case = common::admit(&server, &staff, "P-1", "C-1", "2025-03-20").await;
    let incident = json!({
        "agreement_id": common::CECOT_ID, "case_id": case, "kind": "hunger_strike",
        "occurred_at": "2025-04-02T09:00:00Z", "report": "Refused meals for three days."
    });
    let (status, body) = server.post(&staff.facility, "/api/v1/incidents", incident).await;
    assert_eq!(status, 201, "{body}");
    let contact = json!({
        "agreement_id": common::CECOT_ID, "case_id": case, "contact": "Consul of Venezuela",
        "at": "2025-04-03T15:00:00Z", "means": "phone", "note": "Visit arranged."
    });
    let (status, body) = server.post(&staff.receiver, "/api/v1/contacts", contact).await;
    assert_eq!(status, 201, "{body}");
    user_with_password(&server, "ana", "auditor", &["*"]).await;
    user_with_password(&server, "dan", "auditor", &["dk-xk-gjilan"]).await;
    let person = server.store.case_with_sending_id(case).await.unwrap().unwrap().case.person_id;
    (server, person, case)
}

#[tokio::test]
async fn the_file_shows_the_release_the_core_computes_step_by_step_and_the_custody_history() {
    let (server, person, case) = cecot_with_p1_admitted().await;
    let mut ana = Browser::new(&server);
    ana.sign_in("ana").await;
    // Linked from the case list and the case page.
    let list = ana.get("/cases?agreement=us-sv-cecot").await;
    assert!(list.html.contains(&format!(r#"<a href="/persons/{person}">P-1</a>"#)), "{}", list.html);
    let case_page = ana.get(&format!("/cases/{case}")).await;
    assert!(case_page.html.contains(&format!(r#"href="/persons/{person}""#)), "{}", case_page.html);

    let page = ana.get(&format!("/persons/{person}")).await;
    assert_sound_page(&page, "en");
    let html = &page.html;
    // The expected dates, from the core's own arithmetic (CECOT's profile is us-federal).
    let input = SentenceInput {
        jail_credit_days: CREDIT,
        ..SentenceInput::new(Date::parse("2024-01-01").unwrap(), Term::parse("60m").unwrap())
    };
    let dates = sentence::compute(&input).unwrap();
    let en = |d: Option<Date>| custodia_i18n::format_date(Language::En, d.unwrap());
    let release = en(dates.projected_release_date);
    assert!(html.contains(&format!("<strong>{release}</strong>")), "the projected release: {html}");
    assert!(html.contains(&format!("Projected release under us-sv-cecot: {release}.")));
    for (step, result) in [
        ("Sentence start", en(Some(dates.start_date))),
        ("Full term", en(dates.full_term_date)),
        ("Less jail credit", en(dates.adjusted_full_term_date)),
        ("Statutory release", en(dates.statutory_release_date)),
    ] {
        assert!(html.contains(&format!("<th scope=\"row\">{step}</th>")), "step {step}");
        assert!(html.contains(&format!("<td>{result}</td></tr>")), "{step} = {result}: {html}");
    }
    assert!(html.contains(&format!("<td>− {CREDIT} days</td>")), "the credit's step");
    assert!(html.contains(&format!("− {} days of good conduct time (54 days a year)", dates.gct_days)));
    // The legal basis today: the same release.
    assert!(html.contains(&format!("Final conviction, until the projected release on {release}.")), "{html}");
    // The custody history, step by step with its user, and the intake record.
    for (action, states, by) in [
        ("screen", "proposed → screened", "sam"),
        ("depart", "scheduled → in_transit", "sam"),
        ("admit", "in_transit → in_custody", "fred"),
    ] {
        let row = format!("<td>{action}</td><td>{states}</td><td>{by}</td>");
        assert!(html.contains(&row), "{row}: {html}");
    }
    assert!(html.contains("Maria Doe, +58 212 555 0100") && html.contains("CO-2025-0001"), "the intake record");
    // Identifiers, incidents, contacts and the family-contact text.
    assert!(html.contains("<code>person_id</code></td><td>P-1</td>"));
    assert!(html.contains("<code>hunger_strike</code>") && html.contains("Refused meals for three days."));
    assert!(html.contains("Consul of Venezuela") && html.contains("<code>phone</code>"));
    assert!(html.contains("Para preguntar por un familiar"), "CECOT's family_contact");

    // Spanish, with no text missing.
    ana.accept_language = Some("es");
    let es = ana.get(&format!("/persons/{person}")).await;
    assert_sound_page(&es, "es");
    let release_es = custodia_i18n::format_date(Language::Es, dates.projected_release_date.unwrap());
    assert!(es.html.contains("Cómputo de la condena") && es.html.contains("Historial de custodia"));
    assert!(es.html.contains(&format!("<strong>{release_es}</strong>")), "{}", es.html);
    server.stop().await;
}

#[tokio::test]
async fn a_user_scoped_elsewhere_gets_not_found_and_so_does_a_person_not_in_the_register() {
    let (server, person, _) = cecot_with_p1_admitted().await;
    let mut dan = Browser::new(&server);
    dan.sign_in("dan").await;
    let page = dan.get(&format!("/persons/{person}")).await;
    assert_eq!(page.status, 404, "{}", page.html);
    assert!(page.html.contains("NOT_FOUND") && !page.html.contains("Doe"), "{}", page.html);
    let missing = dan.get("/persons/999999").await;
    assert_eq!(missing.status, 404);
    // Not signed in: to the sign-in page.
    let mut stranger = Browser::new(&server);
    assert_eq!(stranger.get(&format!("/persons/{person}")).await.status, 303);
    server.stop().await;
}

#[tokio::test]
async fn the_inclusion_proof_on_the_page_verifies_against_the_signed_checkpoint() {
    let (server, person, _) = cecot_with_p1_admitted().await;
    let mut ana = Browser::new(&server);
    ana.sign_in("ana").await;
    let page = ana.get(&format!("/persons/{person}")).await;
    assert_sound_page(&page, "en");
    let html = &page.html;
    assert!(html.contains("The proof verifies"), "{html}");
    let index = number_in_row(html, "Event (leaf index, from 0)");
    let size = number_in_row(html, "Tree size (events)");
    let leaf = Hash::from_base64(&hash_in_row(html, "Leaf hash")).unwrap();
    let root = Hash::from_base64(&hash_in_row(html, "Root hash")).unwrap();
    let path: Vec<Hash> = (1..)
        .map(|step| format!("Audit path, step {step}"))
        .take_while(|header| html.contains(&format!(">{header}</th>")))
        .map(|header| Hash::from_base64(&hash_in_row(html, &header)).unwrap())
        .collect();
    merkle::verify_inclusion(&leaf, index, size, &path, &root).expect("the proof on the page verifies");
    // The leaf is the event carrying P-1's record, and the root is the signed checkpoint's.
    let event = server.store.events(index, index + 1).await.unwrap().remove(0);
    assert_eq!(merkle::leaf_hash(event.body.as_bytes()), leaf);
    assert!(event.body.contains(&format!("\"person_id\":{person}")), "{}", event.body);
    let token = server.user("ivy", "auditor", &["*"], &[]).await;
    let note = server
        .client
        .get(server.url("/api/v1/journal/checkpoint"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = note.lines().collect();
    let signed_size: u64 = lines[1].parse().unwrap();
    assert!(signed_size >= size, "a later checkpoint at most grew: {signed_size} < {size}");
    if signed_size == size {
        assert_eq!(lines[2], root.to_base64(), "the page's root is the signed one");
    }

    // The journal page: the same checkpoint, its signature by the register's key, no witness.
    let journal = ana.get("/journal").await;
    assert_sound_page(&journal, "en");
    assert!(page.html.contains(r#"<a href="/journal">"#), "linked from the navigation");
    let shown = number_in_row(&journal.html, "Tree size (events)");
    assert!(shown >= size);
    assert!(journal.html.contains("the register&#39;s key") || journal.html.contains("the register's key"));
    assert!(journal.html.contains("No witness has cosigned this checkpoint"));
    assert!(journal.html.contains(&format!("<td>{}</td>", lines[0])), "the origin: {}", journal.html);
    ana.accept_language = Some("es");
    let es = ana.get("/journal").await;
    assert_sound_page(&es, "es");
    assert!(es.html.contains("Último punto de control del registro de eventos"));
    server.stop().await;
}

#[tokio::test]
async fn the_two_thirds_profile_shows_its_own_steps_and_a_served_sentence_has_no_legal_basis() {
    let (server, _, _) = cecot_with_p1_admitted().await;
    let mut q1 = common::person("Q-1", "Berg", "1980-05-05", "medium");
    q1.sentence_term = Some("6y".into());
    q1.jail_credit_days = Some(10);
    let mut q2 = common::person("Q-2", "Lund", "1970-07-07", "medium");
    (q2.sentence_start, q2.removal_order, q2.removal_destination) = (Some("2010-01-01".into()), None, None);
    common::import_persons(&server, "dk-xk-gjilan", "DK", vec![q1, q2]).await;
    let persons = server.store.persons_of_agreement("dk-xk-gjilan", 0, 10).await.unwrap();
    let id_of = |sending: &str| persons.iter().find(|p| p.record.sending_id == sending).unwrap().id;
    let mut dan = Browser::new(&server);
    dan.sign_in("dan").await;
    // Gjilan's profile is two-thirds: the core's dates, and the profile's own steps.
    let page = dan.get(&format!("/persons/{}", id_of("Q-1"))).await;
    assert_sound_page(&page, "en");
    let input = SentenceInput {
        jail_credit_days: 10,
        profile: SentenceProfile::TwoThirds,
        ..SentenceInput::new(Date::parse("2024-01-01").unwrap(), Term::parse("6y").unwrap())
    };
    let dates = sentence::compute(&input).unwrap();
    let en = |d: Option<Date>| custodia_i18n::format_date(Language::En, d.unwrap());
    assert!(page.html.contains("Release date step by step (profile two-thirds)"), "{}", page.html);
    assert!(page.html.contains("<th scope=\"row\">Two thirds of the term</th>"));
    assert!(page.html.contains(&format!("<td>{}</td></tr>", en(dates.statutory_release_date))));
    assert!(page.html.contains(&format!("<strong>{}</strong>", en(dates.projected_release_date))), "{}", page.html);
    assert!(page.html.contains("No case of this person is in your scope."));
    // A sentence served long ago, no removal order: no legal basis today, with its code.
    let served = dan.get(&format!("/persons/{}", id_of("Q-2"))).await;
    assert_sound_page(&served, "en");
    assert!(served.html.contains("<code>HELD_BEYOND_RELEASE</code>"), "{}", served.html);
    dan.accept_language = Some("es");
    let es = dan.get(&format!("/persons/{}", id_of("Q-2"))).await;
    assert_sound_page(&es, "es");
    assert!(es.html.contains("la excarcelación prevista era el"), "{}", es.html);
    server.stop().await;
}
