//! The web interface (docs/web.md) on a real server: the sign-in page for anyone not signed in,
//! session cookies, CSRF on every form, the page policy, languages without missing texts,
//! landmarks and labelled fields, and the role checks of the application layer behind the forms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;

use common::{TestServer, actor};
use custodia_store::prelude::*;
use serde_json::json;

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const PASSWORD: &str = "a long enough passphrase";

/// A browser without JavaScript: keeps cookies, follows no redirect by itself.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    accept_language: Option<&'static str>,
}

/// An answer: status, `Set-Cookie` lines, the policy, `Location`, the body.
struct Page {
    status: u16,
    set_cookies: Vec<String>,
    csp: String,
    location: String,
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
        let header =
            |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let (csp, location) = (header("content-security-policy"), header("location"));
        let set_cookies: Vec<String> =
            response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        for line in &set_cookies {
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status().as_u16();
        Page { status, set_cookies, csp, location, html: response.text().await.unwrap() }
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Signs in through the sign-in form.
    async fn sign_in(&mut self, name: &str, password: &str) -> Page {
        let form = self.get("/").await;
        let csrf = csrf_of(&form.html);
        self.post("/sign-in", &[("csrf", &csrf), ("name", name), ("password", password)]).await
    }
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Catalogue keys of the web interface shown instead of a text (`web-…`): keys without a message.
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

/// The value of attribute `name` in a tag's text.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    tag.find(&marker).map(|at| tag[at + marker.len()..].split('"').next().unwrap().to_owned())
}

/// Every form field a person fills in (not hidden) that no `<label for>` names.
fn unlabelled_fields(html: &str) -> Vec<String> {
    let mut unlabelled = Vec::new();
    for tag_name in ["<input", "<select", "<textarea"] {
        for (at, _) in html.match_indices(tag_name) {
            let tag = html[at..].split('>').next().unwrap();
            if attribute(tag, "type").as_deref() == Some("hidden") {
                continue;
            }
            let labelled = attribute(tag, "id").is_some_and(|id| html.contains(&format!("<label for=\"{id}\"")));
            if !labelled {
                unlabelled.push(tag.to_owned());
            }
        }
    }
    unlabelled
}

/// What every page must be: one `<main>`, a language, labelled fields, no missing text, the
/// page policy (no script, no framing).
fn assert_sound_page(page: &Page, lang: &str) {
    assert_eq!(page.html.matches("<main").count(), 1, "exactly one <main>: {}", page.html);
    assert!(page.html.contains(&format!("<html lang=\"{lang}\"")), "{}", &page.html[..200.min(page.html.len())]);
    assert!(page.html.contains("href=\"#main\""), "a skip link");
    assert_eq!(unresolved_keys(&page.html), Vec::<String>::new(), "texts without a message");
    assert!(!page.html.contains("{$"), "a message rendered without its facts: {}", page.html);
    assert_eq!(unlabelled_fields(&page.html), Vec::<String>::new(), "fields without a label");
    assert!(!page.html.contains("<script"), "no script");
    assert!(!page.html.contains(" style=\""), "no inline style");
    assert!(page.csp.contains("frame-ancestors 'none'"), "{}", page.csp);
    assert!(!page.csp.contains("unsafe-inline") && !page.csp.contains("script-src"), "{}", page.csp);
}

async fn user_with_password(server: &TestServer, name: &str, role: &str) {
    let user = custodia_store::access::NewUser {
        name: name.into(),
        name_key: name.into(),
        role: role.into(),
        agreements: vec!["*".into()],
        facilities: vec!["*".into()],
        password_hash: Some(custodia_server::auth::hash_password(PASSWORD).unwrap()),
    };
    server.store.create_user(&user, &actor("setup")).await.unwrap();
}

async fn lin_tokens(server: &TestServer) -> Vec<custodia_store::access::TokenRow> {
    server.store.tokens().await.unwrap().into_iter().filter(|t| t.user_name == "lin").collect()
}

fn session_cookie(page: &Page) -> String {
    page.set_cookies.iter().find(|c| c.starts_with("custodia_session=")).cloned().expect("a session cookie")
}

#[tokio::test]
async fn anyone_not_signed_in_gets_the_sign_in_page() {
    let server = TestServer::start(&[CECOT]).await;
    let mut browser = Browser::new(&server);
    let page = browser.get("/").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("action=\"/sign-in\"") && page.html.contains("type=\"password\""));
    assert!(!page.html.contains("action=\"/sign-out\""), "nobody to sign out");
    assert_sound_page(&page, "en");
    browser.accept_language = Some("es-SV,es;q=0.9,en;q=0.5");
    let page = browser.get("/").await;
    assert!(page.html.contains("Iniciar sesión"), "Spanish from Accept-Language");
    assert_sound_page(&page, "es");
    server.stop().await;
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_session_cookie_and_signing_out_ends_it() {
    let server = TestServer::start(&[CECOT]).await;
    user_with_password(&server, "lin", "auditor").await;
    let mut browser = Browser::new(&server);
    let wrong = browser.sign_in("lin", "not the password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.html.contains("UNAUTHENTICATED") && wrong.html.contains("Wrong user name or password"));
    assert!(!browser.cookies.contains_key("custodia_session"));
    let signed = browser.sign_in("lin", PASSWORD).await;
    assert_eq!((signed.status, signed.location.as_str()), (303, "/"));
    let cookie = session_cookie(&signed);
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP from an untrusted peer: {cookie}");
    let home = browser.get("/").await;
    assert!(home.html.contains("Signed in as lin") && home.html.contains("action=\"/sign-out\""), "{}", home.html);
    assert_sound_page(&home, "en");
    // The session is the user's: the application layer issued a `login` token for it.
    let tokens = lin_tokens(&server).await;
    assert_eq!(tokens.iter().filter(|t| t.label == "login" && t.revoked_at.is_none()).count(), 1);
    let csrf = csrf_of(&home.html);
    let out = browser.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert!(browser.get("/").await.html.contains("action=\"/sign-in\""), "signed out");
    let tokens = lin_tokens(&server).await;
    assert!(tokens.iter().all(|t| t.revoked_at.is_some()), "the session's token is revoked");
    server.stop().await;
}

#[tokio::test]
async fn cookies_are_secure_behind_a_trusted_proxy_speaking_https() {
    let server = TestServer::start_with(&[CECOT], |c| c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    user_with_password(&server, "lin", "auditor").await;
    let mut browser = Browser::new(&server);
    let form = browser.get("/").await;
    let csrf = csrf_of(&form.html);
    let fields = [("csrf", csrf.as_str()), ("name", "lin"), ("password", PASSWORD)];
    let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
    let request = browser
        .client
        .post(format!("{}/sign-in", browser.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-proto", "https")
        .body(body);
    let signed = browser.send(request).await;
    assert!(session_cookie(&signed).contains("; Secure"), "{:?}", signed.set_cookies);
    server.stop().await;
}

#[tokio::test]
async fn a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing() {
    let server = TestServer::start(&[CECOT]).await;
    user_with_password(&server, "lin", "auditor").await;
    let mut browser = Browser::new(&server);
    browser.sign_in("lin", PASSWORD).await;
    for fields in [vec![], vec![("csrf", "forged-token")]] {
        let refused = browser.post("/sign-out", &fields).await;
        assert_eq!(refused.status, 403);
        assert!(refused.html.contains("CSRF_TOKEN") && refused.html.contains("Nothing was changed"));
        assert_sound_page(&refused, "en");
        assert!(browser.get("/").await.html.contains("Signed in as lin"), "still signed in");
    }
    let tokens = lin_tokens(&server).await;
    assert!(tokens.iter().all(|t| t.revoked_at.is_none()), "no token was revoked");
    // The sign-in form itself: without the token of the form that was shown, no sign-in.
    let mut other = Browser::new(&server);
    let refused = other.post("/sign-in", &[("csrf", "x"), ("name", "lin"), ("password", PASSWORD)]).await;
    assert_eq!(refused.status, 403);
    assert!(!other.cookies.contains_key("custodia_session"));
    server.stop().await;
}

#[tokio::test]
async fn the_language_switch_remembers_the_choice_and_goes_back() {
    let server = TestServer::start(&[CECOT]).await;
    user_with_password(&server, "lin", "auditor").await;
    let mut browser = Browser::new(&server);
    browser.accept_language = Some("en");
    browser.sign_in("lin", PASSWORD).await;
    let switched = browser.get("/language?to=es&back=%2F").await;
    assert_eq!((switched.status, switched.location.as_str()), (303, "/"));
    assert!(switched.set_cookies.iter().any(|c| c.starts_with("lang=es;") && c.contains("SameSite=Strict")));
    let home = browser.get("/").await;
    assert!(home.html.contains("Sesión iniciada como lin"), "the cookie wins over Accept-Language");
    assert_sound_page(&home, "es");
    let away = browser.get("/language?to=en&back=https%3A%2F%2Fevil.example%2F").await;
    assert_eq!(away.location, "/", "never back to another site");
    assert_eq!(browser.get("/language?to=fr").await.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn a_users_own_language_is_journalled_and_follows_them_to_another_browser() {
    let server = TestServer::start(&[CECOT]).await;
    user_with_password(&server, "lin", "auditor").await;
    let mut desk = Browser::new(&server);
    desk.accept_language = Some("en");
    let home = desk.sign_in("lin", PASSWORD).await;
    assert_eq!(home.status, 303);
    let home = desk.get("/").await;
    assert!(home.html.contains(r#"<form method="post" action="/language""#), "{}", home.html);
    let csrf = csrf_of(&home.html);
    assert_eq!(desk.post("/language", &[("language", "es")]).await.status, 403, "no CSRF token, no change");
    assert_eq!(desk.post("/language", &[("csrf", &csrf), ("language", "fr")]).await.status, 400);
    assert_eq!(server.store.users().await.unwrap()[0].language, None, "nothing chosen by refused posts");
    let saved = desk.post("/language", &[("csrf", &csrf), ("language", "es")]).await;
    assert_eq!((saved.status, saved.location.as_str()), (303, "/"));
    assert!(saved.set_cookies.iter().any(|c| c.starts_with("lang=es;")));
    let events = server.store.events(0, server.store.journal_size().await.unwrap()).await.unwrap();
    assert!(events.iter().any(|e| e.body.contains("user.language_set")), "journalled");
    // Another browser asking for English: signed in, the pages are in lin's own language.
    let mut laptop = Browser::new(&server);
    laptop.accept_language = Some("en");
    assert!(laptop.get("/").await.html.contains("Sign in"), "English before signing in");
    let signed = laptop.sign_in("lin", PASSWORD).await;
    assert!(signed.set_cookies.iter().any(|c| c.starts_with("lang=es;")), "{:?}", signed.set_cookies);
    let home = laptop.get("/").await;
    assert_sound_page(&home, "es");
    assert!(home.html.contains(r#"<option value="es" lang="es" selected>"#), "{}", home.html);
    // Following the browser again: the choice is forgotten, and the cookie with it.
    let csrf = csrf_of(&home.html);
    let cleared = laptop.post("/language", &[("csrf", &csrf), ("language", "")]).await;
    assert!(cleared.set_cookies.iter().any(|c| c.starts_with("lang=;") && c.contains("Max-Age=0")));
    assert_eq!(server.store.users().await.unwrap()[0].language, None);
    assert_sound_page(&laptop.get("/").await, "en");
    server.stop().await;
}

/// CECOT with P-1 admitted on 2025-03-20 to a cell of 100 m² with 20 beds, and `ana`, an auditor
/// with a password.
async fn cecot_with_one_in_custody() -> TestServer {
    let server = TestServer::start(&[CECOT]).await;
    let persons =
        [common::person("P-1", "Doe", "1990-01-01", "high"), common::person("P-2", "Roe", "1985-06-30", "medium")].map(
            |mut p| {
                p.torture_risk_assessed_on = Some("2025-03-01".into());
                p
            },
        );
    common::import_persons(&server, common::CECOT_ID, "US", persons.into()).await;
    common::import_cells(&server, common::CECOT_ID, &[("cecot", "C-1", "shared", "100", 20)]).await;
    let staff = common::staff(&server).await;
    common::admit(&server, &staff, "P-1", "C-1", "2025-03-20").await;
    user_with_password(&server, "ana", "auditor").await;
    server
}

#[tokio::test]
async fn the_agreement_overview_charts_the_population_against_the_capacities_with_a_table() {
    let server = cecot_with_one_in_custody().await;
    let mut browser = Browser::new(&server);
    browser.sign_in("ana", PASSWORD).await;
    let page = browser.get("/agreements/us-sv-cecot").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_sound_page(&page, "en");
    let html = &page.html;
    assert!(html.contains(r#"<svg class="chart" role="img""#) && html.contains("<desc id=\"population-desc\">"));
    // The table: nobody on the first day of the term (15 March 2025), P-1 from 20 March on.
    assert!(html.contains(r#"<th scope="row">15 March 2025</th><td class="number">0</td>"#), "{html}");
    assert!(html.contains(r#"<th scope="row">1 April 2025</th><td class="number">1</td>"#), "{html}");
    // Stated capacity against contracted places, both in the table and labelled on the chart.
    assert!(html.contains(r#"<td class="number">300</td><td class="number">"#));
    assert!(html.contains("Stated capacity 40000") && html.contains("Contracted places 300"));
    // The term ended on 2026-03-14 with P-1 still held: a critical alert, counted and listed.
    assert!(html.contains("HELD_AFTER_AGREEMENT_END"), "{html}");
    assert!(!html.contains(r#"class="critical">Critical</th><td class="number">0<"#), "critical alerts counted");
    assert!(
        html.contains(r#"<td><code>HELD_AFTER_AGREEMENT_END</code></td><td class="critical">Critical</td><td class="number">1</td>"#),
        "counted by code: {html}"
    );
    assert!(html.contains("2026-03-14"), "the alert states the day the term ended");
    assert!(html.contains("Invoiced to date"), "revenue");
    browser.accept_language = Some("es");
    let es = browser.get("/agreements/us-sv-cecot").await;
    assert_sound_page(&es, "es");
    assert!(es.html.contains(r#"<th scope="row">1 de abril de 2025</th><td class="number">1</td>"#), "{}", es.html);
    assert!(es.html.contains("Capacidad declarada 40000"));
    // The facility's cells: P-1 alone in C-1 (100 m²), within the standard, in the grid and table.
    let cells = browser.get("/agreements/us-sv-cecot/facilities/cecot").await;
    assert_sound_page(&cells, "es");
    browser.accept_language = Some("en");
    let cells = browser.get("/agreements/us-sv-cecot/facilities/cecot").await;
    assert_sound_page(&cells, "en");
    assert!(cells.html.contains("<title>Cell C-1: 100 m², 1 held, standard capacity"), "{}", cells.html);
    assert!(cells.html.contains(r#"<th scope="row">C-1</th><td class="number">100</td><td class="number">1</td>"#));
    assert!(
        cells.html.contains("<td>within the standard</td>") && cells.html.contains(r#"<rect class="within-standard""#)
    );
    assert!(html.contains(r#"href="/agreements/us-sv-cecot/facilities/cecot""#), "linked from the overview");
    browser.accept_language = Some("es");
    // An agreement not in the register (or outside the scope) is "not found", as in the API.
    let missing = browser.get("/agreements/dk-xk-gjilan").await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("NOT_FOUND"));
    assert_sound_page(&missing, "es");
    // Not signed in: to the sign-in page.
    let mut stranger = Browser::new(&server);
    let away = stranger.get("/agreements/us-sv-cecot").await;
    assert_eq!((away.status, away.location.as_str()), (303, "/"));
    server.stop().await;
}

/// Today in San Salvador (UTC−6 all year), CECOT's day: the register judges a step's day in the
/// facility's zone, so a date from the UTC clock is tomorrow there for six hours of every day.
fn san_salvador_today() -> String {
    let unix_seconds = custodia_server::clock::now().unix_seconds() - 6 * 3600;
    custodia_core::Date::from_days_since_epoch(unix_seconds.div_euclid(86_400)).unwrap().to_string()
}

/// CECOT with its term extended past today (the web steps happen now), P-1 imported with a
/// torture-risk assessment from today, a case proposed for P-1 today, and `sam` (sending), `rosa`
/// (receiving) and `ana` (auditor) with passwords. The case's id.
async fn cecot_with_a_proposed_case() -> (TestServer, i64) {
    let source = common::amended_example(CECOT, "ends = 2026-03-14", "ends = 2036-03-14");
    let server = TestServer::start_sources(vec![source], |_| {}).await;
    let now = custodia_server::clock::now();
    let mut person = common::person("P-1", "Doe", "1990-01-01", "high");
    person.torture_risk_assessed_on = Some(san_salvador_today());
    common::import_persons(&server, common::CECOT_ID, "US", vec![person]).await;
    for (name, role) in [("sam", "sending_officer"), ("rosa", "receiving_officer"), ("ana", "auditor")] {
        user_with_password(&server, name, role).await;
    }
    let case = common::propose_on(&server, common::CECOT_ID, "P-1", "sam", now.as_str()).await;
    (server, case)
}

async fn case_state(server: &TestServer, case: i64) -> String {
    let found = server.store.case_with_sending_id(case).await.unwrap().unwrap();
    found.case.case.state.as_str().to_owned()
}

/// Posts an action form of a case page as the page shows it (its CSRF token and version).
async fn act(browser: &mut Browser, case: i64, action: &str, fields: &[(&str, &str)]) -> Page {
    let page = browser.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains(&format!(r#"name="action" value="{action}""#)), "no {action} form: {}", page.html);
    let csrf = csrf_of(&page.html);
    let mut all = vec![("csrf", csrf.as_str()), ("action", action)];
    all.extend_from_slice(fields);
    browser.post(&format!("/cases/{case}/actions"), &all).await
}

#[tokio::test]
async fn both_approvals_through_waiting_for_you_and_the_case_page() {
    let (server, case) = cecot_with_a_proposed_case().await;
    let mut sam = Browser::new(&server);
    sam.sign_in("sam", PASSWORD).await;
    let page = sam.get(&format!("/cases/{case}")).await;
    assert_sound_page(&page, "en");
    assert_eq!(act(&mut sam, case, "screen", &[("reason", "SCREENED")]).await.status, 303);
    assert_eq!(case_state(&server, case).await, "screened");
    let screened = sam.get(&format!("/cases/{case}")).await;
    assert!(screened.html.contains("<code>E07</code>"), "the rule outcomes of the decision");
    assert!(screened.html.contains("<td>screen</td><td>proposed → screened</td>"), "the timeline: {}", screened.html);
    assert_eq!(act(&mut sam, case, "approve", &[("party", "sending"), ("reason", "APPROVED")]).await.status, 303);
    // Rosa, of the receiving state, finds it waiting for her, one click from its form.
    let mut rosa = Browser::new(&server);
    rosa.accept_language = Some("es");
    rosa.sign_in("rosa", PASSWORD).await;
    let waiting = rosa.get("/waiting").await;
    assert_sound_page(&waiting, "es");
    assert!(waiting.html.contains(&format!(r#"href="/cases/{case}#actions""#)), "{}", waiting.html);
    assert!(waiting.html.contains("<td>sam</td>"), "started by sam");
    // Without the session's CSRF token nothing happens.
    let forged = rosa
        .post(
            &format!("/cases/{case}/actions"),
            &[("action", "approve"), ("party", "receiving"), ("reason", "APPROVED")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(case_state(&server, case).await, "screened");
    let approved = act(&mut rosa, case, "approve", &[("party", "receiving"), ("reason", "APPROVED")]).await;
    assert_eq!(approved.status, 303, "{}", approved.html);
    assert_eq!(case_state(&server, case).await, "approved");
    assert!(!rosa.get("/waiting").await.html.contains(&format!("/cases/{case}#")), "no longer waiting");
    // A step the rules refuse shows its code and changes nothing.
    let page = sam.get(&format!("/cases/{case}")).await;
    let csrf = csrf_of(&page.html);
    let again = sam
        .post(&format!("/cases/{case}/actions"), &[("csrf", &csrf), ("action", "screen"), ("reason", "SCREENED")])
        .await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert!(again.html.contains("INVALID_TRANSITION"), "{}", again.html);
    assert_sound_page(&again, "en");
    assert_eq!(case_state(&server, case).await, "approved");
    server.stop().await;
}

/// Issue 15: the person's challenge through the case page — recorded, decided with written
/// reasons by one legal officer, confirmed by a second (in Spanish), the deciding officer's own
/// confirmation refused.
#[tokio::test]
async fn a_challenge_is_recorded_decided_and_confirmed_on_the_case_page() {
    let (server, case) = cecot_with_a_proposed_case().await;
    for name in ["lena", "leo"] {
        user_with_password(&server, name, "legal_officer").await;
    }
    let mut lena = Browser::new(&server);
    lena.sign_in("lena", PASSWORD).await;
    let placed = act(
        &mut lena,
        case,
        "place_hold",
        &[
            ("authority", "the person, by counsel"),
            ("reference", "CH-1"),
            ("order", "challenge"),
            ("reason", "CHALLENGE_FILED"),
        ],
    )
    .await;
    assert_eq!(placed.status, 303, "{}", placed.html);
    let page = lena.get(&format!("/cases/{case}")).await;
    assert_sound_page(&page, "en");
    assert!(
        page.html.contains("the person&#39;s challenge") || page.html.contains("the person's challenge"),
        "{}",
        page.html
    );
    let reasons = "E15 was assessed on the record; the transfer is lawful";
    let decided = act(
        &mut lena,
        case,
        "decide_challenge",
        &[("reference", "CH-1"), ("outcome", "dismissed"), ("reasons", reasons), ("reason", "CHALLENGE_DECIDED")],
    )
    .await;
    assert_eq!(decided.status, 303, "{}", decided.html);
    let page = lena.get(&format!("/cases/{case}")).await;
    assert!(page.html.contains(&format!("dismissed: {reasons}")), "{}", page.html);
    let own = act(&mut lena, case, "confirm_lift", &[("reference", "CH-1"), ("reason", "CHALLENGE_DECIDED")]).await;
    assert_eq!(own.status, 409, "{}", own.html);
    assert!(own.html.contains("SAME_APPROVER"), "{}", own.html);
    let mut leo = Browser::new(&server);
    leo.accept_language = Some("es");
    leo.sign_in("leo", PASSWORD).await;
    let page = leo.get(&format!("/cases/{case}")).await;
    assert_sound_page(&page, "es");
    assert!(page.html.contains("desestimada"), "{}", page.html);
    let confirmed =
        act(&mut leo, case, "confirm_lift", &[("reference", "CH-1"), ("reason", "CHALLENGE_DECIDED")]).await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.html);
    let found = server.store.case_with_sending_id(case).await.unwrap().unwrap();
    assert!(found.case.case.holds.iter().all(|h| !h.stands()), "decided and confirmed, the challenge no longer stands");
    assert_eq!(case_state(&server, case).await, "proposed", "dismissed: the case goes on");
    server.stop().await;
}

#[tokio::test]
async fn a_role_that_may_not_act_sees_no_form_and_a_forged_post_is_refused_by_the_application() {
    let (server, case) = cecot_with_a_proposed_case().await;
    let mut ana = Browser::new(&server);
    ana.sign_in("ana", PASSWORD).await;
    let page = ana.get(&format!("/cases/{case}")).await;
    assert_sound_page(&page, "en");
    assert!(page.html.contains("Your role may take no action"));
    assert!(!page.html.contains(r#"name="action""#), "no action form for an auditor");
    let csrf = csrf_of(&page.html);
    let forged = ana
        .post(&format!("/cases/{case}/actions"), &[("csrf", &csrf), ("action", "screen"), ("reason", "SCREENED")])
        .await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    assert!(forged.html.contains("FORBIDDEN"), "{}", forged.html);
    assert_eq!(case_state(&server, case).await, "proposed");
    let list = ana.get("/cases?agreement=us-sv-cecot&state=proposed").await;
    assert_sound_page(&list, "en");
    assert!(list.html.contains(&format!(r#"<a href="/cases/{case}">"#)));
    let none = ana.get("/cases?agreement=us-sv-cecot&state=in_custody").await;
    assert!(!none.html.contains(&format!(r#"<a href="/cases/{case}">"#)), "filtered by state");
    assert!(ana.get("/waiting").await.html.contains("Nothing is waiting for you"));
    server.stop().await;
}

#[tokio::test]
async fn the_sending_officer_proposes_a_case_from_the_list_and_others_see_no_form() {
    let (server, first) = cecot_with_a_proposed_case().await;
    let mut person = common::person("P-2", "Roe", "1991-01-01", "high");
    person.torture_risk_assessed_on = Some(san_salvador_today());
    common::import_persons(&server, common::CECOT_ID, "US", vec![person]).await;
    let mut sam = Browser::new(&server);
    sam.sign_in("sam", PASSWORD).await;
    let list = sam.get("/cases?agreement=us-sv-cecot").await;
    assert_sound_page(&list, "en");
    assert!(list.html.contains(r#"<form method="post" action="/cases""#), "{}", list.html);
    let csrf = csrf_of(&list.html);
    let opened = sam.post("/cases", &[("csrf", &csrf), ("agreement", "us-sv-cecot"), ("person_id", "P-2")]).await;
    assert_eq!(opened.status, 303, "{}", opened.html);
    let case: i64 = opened.location.trim_start_matches("/cases/").parse().unwrap();
    assert_ne!(case, first);
    assert_eq!(case_state(&server, case).await, "proposed");
    // A person the register does not hold: refused with its code, nothing opened.
    let before = server.store.journal_size().await.unwrap();
    let refused = sam.post("/cases", &[("csrf", &csrf), ("agreement", "us-sv-cecot"), ("person_id", "P-404")]).await;
    assert_eq!(refused.status, 404, "{}", refused.html);
    assert!(refused.html.contains("NOT_FOUND"), "{}", refused.html);
    assert_sound_page(&refused, "en");
    // An auditor is offered no form, and a forged one is refused by the application layer.
    let mut ana = Browser::new(&server);
    ana.sign_in("ana", PASSWORD).await;
    let list = ana.get("/cases?agreement=us-sv-cecot").await;
    assert!(!list.html.contains(r#"method="post" action="/cases""#), "no proposal form for an auditor");
    let csrf = csrf_of(&list.html);
    let forged = ana.post("/cases", &[("csrf", &csrf), ("agreement", "us-sv-cecot"), ("person_id", "P-2")]).await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    assert!(forged.html.contains("FORBIDDEN"));
    // Only the sign-ins were journalled since.
    let events = server.store.events(before, server.store.journal_size().await.unwrap()).await.unwrap();
    assert!(events.iter().all(|e| !e.body.contains("case.proposed")), "nothing proposed by a refused post");
    server.stop().await;
}

#[tokio::test]
async fn a_cell_change_waiting_for_a_second_officer_is_confirmed_with_one_click() {
    let server = TestServer::start(&[CECOT]).await;
    let ana = server.user("ana", "facility_officer", &[common::CECOT_ID], &["cecot"]).await;
    user_with_password(&server, "ben", "facility_officer").await;
    let header = "facility_id,cell_id,unit,kind,area_m2,beds\n";
    let upload = |rows: &str| serde_json::json!({"agreement_id": "us-sv-cecot", "csv": format!("{header}{rows}")});
    let path = "/api/v1/facilities/cecot/cells";
    assert_eq!(server.post(&ana, path, upload("cecot,B-1,b,shared,9,4\n")).await.0, 201);
    let (status, proposed) = server.post(&ana, path, upload("cecot,B-1,b,shared,100,4\n")).await;
    assert_eq!(status, 202, "{proposed}");
    let change = proposed["change_id"].as_i64().unwrap();
    let mut ben = Browser::new(&server);
    ben.sign_in("ben", PASSWORD).await;
    let waiting = ben.get("/waiting").await;
    assert_sound_page(&waiting, "en");
    let action = format!(r#"action="/cell-changes/{change}/confirm""#);
    assert!(waiting.html.contains(&action) && waiting.html.contains("<td>ana</td>"), "{}", waiting.html);
    let csrf = csrf_of(&waiting.html);
    let done = ben.post(&format!("/cell-changes/{change}/confirm"), &[("csrf", &csrf)]).await;
    assert_eq!((done.status, done.location.as_str()), (303, "/waiting"), "{}", done.html);
    let (_, cells) = server.get(&ana, "/api/v1/facilities/cecot/cells?agreement=us-sv-cecot").await;
    assert_eq!(cells[0]["area_m2"], "100", "{cells}");
    assert!(ben.get("/waiting").await.html.contains("Nothing is waiting for you"));
    // Posting the same confirmation again is refused by the application layer, with its code.
    let page = ben.get("/waiting").await;
    let again = ben.post(&format!("/cell-changes/{change}/confirm"), &[("csrf", &csrf_of(&page.html))]).await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert!(again.html.contains("ALREADY_CONFIRMED"), "{}", again.html);
    assert_sound_page(&again, "en");
    server.stop().await;
}

/// A user with a password, scoped to the CECOT agreement and the facilities given.
async fn scoped_user_with_password(server: &TestServer, name: &str, role: &str, facilities: &[&str]) {
    let user = custodia_store::access::NewUser {
        name: name.into(),
        name_key: name.into(),
        role: role.into(),
        agreements: vec![common::CECOT_ID.into()],
        facilities: facilities.iter().map(|f| (*f).to_owned()).collect(),
        password_hash: Some(custodia_server::auth::hash_password(PASSWORD).unwrap()),
    };
    server.store.create_user(&user, &actor("setup")).await.unwrap();
}

#[tokio::test]
async fn an_override_approved_by_another_officer_waits_for_the_facility_officers_of_its_facility() {
    let (server, case) = cecot_with_a_proposed_case().await;
    common::import_cells(&server, common::CECOT_ID, &[("cecot", "C-1", "shared", "100", 4)]).await;
    let us = server.user("us", "sending_officer", &[common::CECOT_ID], &[]).await;
    let sv = server.user("sv", "receiving_officer", &[common::CECOT_ID], &[]).await;
    let fay = server.user("fay", "facility_officer", &[common::CECOT_ID], &["cecot"]).await;
    scoped_user_with_password(&server, "fred", "facility_officer", &["cecot"]).await;
    scoped_user_with_password(&server, "carla", "facility_officer", &["izalco"]).await;
    let approvals = format!("/api/v1/cases/{case}/override-approvals");
    let approve = json!({"facility_id": "cecot", "cell_id": "C-1", "reason": "night arrival"});
    let mut fred = Browser::new(&server);
    fred.sign_in("fred", PASSWORD).await;
    let link = format!(r#"href="/cases/{case}#actions""#);
    for (token, body) in [
        (&us, json!({"action": "screen", "reason": "S"})),
        (&us, json!({"action": "approve", "party": "sending", "reason": "A"})),
        (&sv, json!({"action": "approve", "party": "receiving", "reason": "A"})),
        (&us, json!({"action": "schedule", "reason": "F"})),
    ] {
        common::step(&server, token, case, body).await;
    }
    // An approval for a case not yet on its way is nothing a facility officer can use today.
    let (status, early) = server.post(&sv, &approvals, approve.clone()).await;
    assert_eq!(status, 201, "{early}");
    assert!(!fred.get("/waiting").await.html.contains(&link), "not placeable while scheduled");
    common::step(&server, &us, case, json!({"action": "depart", "reason": "F"})).await;
    // In transit: the approval waits for fred, who works in CECOT, and names who gave it.
    let waiting = fred.get("/waiting").await;
    assert_sound_page(&waiting, "en");
    assert!(waiting.html.contains(&link) && waiting.html.contains("<td>sv</td>"), "{}", waiting.html);
    assert!(waiting.html.contains("A capacity override approved for you to use"), "{}", waiting.html);
    fred.accept_language = Some("es");
    assert_sound_page(&fred.get("/waiting").await, "es");
    // Carla's facilities are elsewhere: nothing waits for her.
    let mut carla = Browser::new(&server);
    carla.sign_in("carla", PASSWORD).await;
    assert!(carla.get("/waiting").await.html.contains("Nothing is waiting for you"));
    // Once cited in the admission, the approval is used and waits for nobody.
    let admit = json!({"action": "admit", "reason": "ARRIVED",
        "placement": {"facility_id": "cecot", "cell_id": "C-1", "override_by": {"approval_id": early["approval_id"]}},
        "admission": {"commitment_order": "O", "admitted_on": san_salvador_today(),
            "hour": 8, "visible_injuries": "none", "property": "none", "next_of_kin": "none"}});
    common::step(&server, &fay, case, admit).await;
    assert!(!fred.get("/waiting").await.html.contains(&link), "used");
    server.stop().await;
}

#[tokio::test]
async fn an_amendment_waits_for_a_second_admin_and_is_approved_with_one_click() {
    let (server, _) = cecot_with_a_proposed_case().await;
    user_with_password(&server, "ada", "admin").await;
    user_with_password(&server, "bea", "admin").await;
    let source = common::amended_example(CECOT, "ends = 2026-03-14", "ends = 2036-03-14").replacen(
        "contracted_places = 300",
        "contracted_places = 350",
        1,
    );
    let agreement = custodia_core::Agreement::from_toml(&source).unwrap();
    let file = custodia_store::AgreementFile { agreement: &agreement, source: &source, effective_from: None };
    let proposal = server.store.propose_amendment(&file, &actor("ada")).await.unwrap();
    let action = format!(r#"action="/agreements/us-sv-cecot/amendments/{proposal}/approve""#);
    // Not for the admin who proposed it.
    let mut ada = Browser::new(&server);
    ada.sign_in("ada", PASSWORD).await;
    assert!(!ada.get("/waiting").await.html.contains(&action), "never a step the user started");
    let mut bea = Browser::new(&server);
    bea.accept_language = Some("es");
    bea.sign_in("bea", PASSWORD).await;
    let waiting = bea.get("/waiting").await;
    assert_sound_page(&waiting, "es");
    assert!(waiting.html.contains(&action) && waiting.html.contains("<td>ada</td>"), "{}", waiting.html);
    let path = format!("/agreements/us-sv-cecot/amendments/{proposal}/approve");
    let done = bea.post(&path, &[("csrf", &csrf_of(&waiting.html))]).await;
    assert_eq!((done.status, done.location.as_str()), (303, "/waiting"), "{}", done.html);
    let stored = server.store.agreement_source(common::CECOT_ID).await.unwrap().unwrap();
    assert_eq!(stored.version, 2, "the amendment applies");
    assert!(!bea.get("/waiting").await.html.contains(&action), "approved once");
    let csrf = csrf_of(&bea.get("/waiting").await.html);
    let again = bea.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(again.status, 409, "{}", again.html);
    server.stop().await;
}

/// Issue 15 on the web: the detainee's side page shows the inspector's report (a table and its
/// chart) for the facility and period asked for, in the reader's language, and the records of
/// care — an examination's findings to medical officers only.
#[tokio::test]
async fn the_detainees_side_page_reports_and_keeps_the_health_file_for_medical_staff() {
    let server = TestServer::start(&[CECOT]).await;
    let mut p = common::person("P-1", "Doe", "1990-01-01", "high");
    p.torture_risk_assessed_on = Some("2025-03-01".into());
    common::import_persons(&server, common::CECOT_ID, "US", vec![p]).await;
    common::import_cells(&server, common::CECOT_ID, &[("cecot", "C-1", "shared", "100", 20)]).await;
    let staff = common::staff(&server).await;
    let case = common::admit(&server, &staff, "P-1", "C-1", "2025-03-20").await;
    let doctor = server.user("mona-api", "medical_officer", &[common::CECOT_ID], &["cecot"]).await;
    let findings = "asthma, salbutamol as needed";
    let exam = json!({"agreement_id": common::CECOT_ID, "case_id": case, "purpose": "admission", "examiner": "Dr. Paz",
        "fit_for_custody": "fit", "fit_for_transfer": "fit", "fit_for_solitary": "fit", "findings": findings,
        "examined_at": "2025-03-20T18:00:00Z"});
    let (status, body) = server.post(&doctor, "/api/v1/examinations", exam).await;
    assert_eq!(status, 201, "{body}");
    scoped_user_with_password(&server, "mona", "medical_officer", &["cecot"]).await;
    user_with_password(&server, "finn", "finance_officer").await;
    let path = format!("/agreements/{}/rights?facility=cecot&from=2025-01-01&to=2025-12-31", common::CECOT_ID);
    let mut finn = Browser::new(&server);
    finn.sign_in("finn", PASSWORD).await;
    let page = finn.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_sound_page(&page, "en");
    assert!(page.html.contains("examined within 24 hours of admission") && page.html.contains("<svg"), "{}", page.html);
    assert!(!page.html.contains(findings) && page.html.contains("health file for medical staff only"));
    finn.accept_language = Some("es");
    let spanish = finn.get(&path).await;
    assert_sound_page(&spanish, "es");
    assert!(spanish.html.contains("Quejas por categoría"), "{}", spanish.html);
    let mut mona = Browser::new(&server);
    mona.sign_in("mona", PASSWORD).await;
    assert!(mona.get(&path).await.html.contains(findings), "medical staff read the findings");
    let bad = finn
        .get(&format!("/agreements/{}/rights?facility=cecot&from=2025-12-31&to=2025-01-01", common::CECOT_ID))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.html);
    assert!(!page.html.contains("Record a medical examination"), "a finance officer records no care");

    // The forms post to the application layer: counsel refused for capacity is refused there,
    // and writes nothing; a held family call is recorded.
    scoped_user_with_password(&server, "farah", "facility_officer", &["cecot"]).await;
    let mut fred = Browser::new(&server);
    fred.sign_in("farah", PASSWORD).await;
    let form = fred.get(&path).await;
    assert_sound_page(&form, "en");
    assert!(form.html.contains("Record a visit or call") && !form.html.contains("Record a medical examination"));
    let csrf = csrf_of(&form.html);
    let action = format!("/agreements/{}/rights", common::CECOT_ID);
    let case_text = case.to_string();
    let visit = |kind: &str, outcome: &str, ground: &str| -> Vec<(&'static str, String)> {
        let reason = if ground.is_empty() { "" } else { "room full" };
        vec![
            ("csrf", csrf.clone()),
            ("form", "visit".into()),
            ("case_id", case_text.clone()),
            ("kind", kind.into()),
            ("visitor", "Lic. Ortega".into()),
            ("outcome", outcome.into()),
            ("ground", ground.into()),
            ("reason", reason.into()),
        ]
    };
    let size = server.store.journal_size().await.unwrap();
    let fields = visit("counsel_visit", "refused", "capacity");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = fred.post(&action, &pairs).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(refused.html.contains("COUNSEL_NOT_REFUSABLE"), "{}", refused.html);
    assert_eq!(server.store.journal_size().await.unwrap(), size, "a refused form writes nothing");
    let fields = visit("family_call", "held", "");
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let recorded = fred.post(&action, &pairs).await;
    assert_eq!((recorded.status, recorded.location.as_str()), (303, action.as_str()), "{}", recorded.html);
    assert!(fred.get(&path).await.html.contains("family_call"));

    // Complaints on the page: the facility files an open one (it is offered no confidential
    // box); a sending officer files a confidential allegation, which opens its incident and
    // stays out of the facility's sight; the facility answers its own, the officer escalates.
    let complaint = |csrf: &str, text: &str, extra: &[(&'static str, &'static str)]| {
        let mut fields: Vec<(&'static str, String)> = vec![
            ("csrf", csrf.to_owned()),
            ("form", "complaint".into()),
            ("case_id", case_text.clone()),
            ("category", "treatment".into()),
            ("text", text.to_owned()),
        ];
        fields.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        fields
    };
    let page = fred.get(&path).await;
    assert!(page.html.contains("Record a request or complaint") && !page.html.contains("name=\"confidential\""));
    let fields = complaint(&csrf_of(&page.html), "no water since Monday", &[]);
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let filed = fred.post(&action, &pairs).await;
    assert_eq!(filed.status, 303, "{}", filed.html);
    user_with_password(&server, "sol", "sending_officer").await;
    let mut sol = Browser::new(&server);
    sol.sign_in("sol", PASSWORD).await;
    let page = sol.get(&path).await;
    assert_sound_page(&page, "en");
    assert!(page.html.contains("name=\"confidential\""), "the sending state may file in confidence");
    let fields = complaint(
        &csrf_of(&page.html),
        "beaten on arrival",
        &[("confidential", "yes"), ("alleges_ill_treatment", "yes")],
    );
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(sol.post(&action, &pairs).await.status, 303);
    let list = format!("/api/v1/complaints?agreement={}", common::CECOT_ID);
    let (_, all) = server.get(&staff.sender, &list).await;
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{all}");
    let secret = items.iter().find(|c| c["confidential"] == true).expect("the confidential complaint");
    assert!(secret["incident_id"].as_i64().is_some(), "the allegation opened its incident: {secret}");
    let open = items.iter().find(|c| c["confidential"] == false).unwrap()["id"].as_i64().unwrap();
    let (_, seen) = server.get(&staff.facility, &list).await;
    assert_eq!(seen["items"].as_array().map(Vec::len), Some(1), "the facility never lists it: {seen}");
    let page = fred.get(&path).await;
    assert!(page.html.contains("Answer a complaint"));
    let open_text = open.to_string();
    let answer = [
        ("csrf", csrf_of(&page.html)),
        ("form", "answer".into()),
        ("id", open_text.clone()),
        ("text", "water restored".into()),
    ];
    let pairs: Vec<(&str, &str)> = answer.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(fred.post(&action, &pairs).await.status, 303);
    let page = fred.get(&path).await;
    assert!(page.html.contains("<td>answered</td>") && !page.html.contains("<td>unanswered</td>"), "{}", page.html);
    assert!(!page.html.contains("Answer a complaint"), "nothing left to answer");
    let again = fred.post(&action, &pairs).await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert!(again.html.contains("ALREADY_ANSWERED"), "{}", again.html);
    let page = sol.get(&path).await;
    assert!(page.html.contains("<td>unanswered</td>"), "the sending officer sees the confidential one");
    let escalate =
        [("csrf", csrf_of(&page.html)), ("form", "escalate".into()), ("id", open_text), ("body", "ICRC".into())];
    let pairs: Vec<(&str, &str)> = escalate.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(sol.post(&action, &pairs).await.status, 303);
    let (_, row) = server.get(&staff.sender, &format!("/api/v1/complaints/{open}")).await;
    assert_eq!(row["escalation"]["body"], "ICRC", "{row}");
    server.stop().await;
}
