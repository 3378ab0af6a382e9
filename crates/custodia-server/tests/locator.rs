//! The public locator end to end (docs/oversight.md#locator): names matched without case or
//! accents and by any one family name, JSON for programs and a page for people in Spanish or
//! English, the rate limit on both, and nothing from an agreement that does not publish.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{TestServer, case_actor};
use custodia_store::prelude::*;
use serde_json::{Value, json};

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Proposes a case for `person` and takes it to `in_transit` (it left on 2025-06-01).
async fn in_transit(server: &TestServer, person: &str) {
    use custodia_core::agreement::Party;
    use custodia_core::custody::Command;
    use custodia_store::cases::{CaseCall, CaseRequest};
    let case = common::propose_on(server, "us-sv-cecot", person, "setup", "2025-06-01T09:00:00Z").await;
    for (command, user) in [
        (Command::Screen, "s"),
        (Command::Approve { state: Party::Sending }, "a"),
        (Command::Approve { state: Party::Receiving }, "b"),
        (Command::Schedule, "a"),
        (Command::Depart, "a"),
    ] {
        let call = CaseCall::new(case, "step", CaseRequest::Plain(command), case_actor(user), common::actor("setup"));
        server.store.act_on_case(&call, &custodia_app::cases::decide).await.unwrap().unwrap();
    }
}

/// A register with García (1990) and Torres Rivas (1985) in transit, Núñez (1990) only proposed.
async fn register(source: String, adjust: impl FnOnce(&mut custodia_server::Config)) -> TestServer {
    let server = TestServer::start_sources(vec![source], adjust).await;
    let persons = vec![
        common::person("V1", "García", "1990-04-02", "medium"),
        common::person("V2", "Torres Rivas", "1985-11-30", "medium"),
        common::person("V3", "Núñez", "1990-01-01", "medium"),
    ];
    common::import_persons(&server, "us-sv-cecot", "US", persons).await;
    in_transit(&server, "V1").await;
    in_transit(&server, "V2").await;
    common::propose_on(&server, "us-sv-cecot", "V3", "setup", "2025-06-01T09:00:00Z").await;
    server
}

async fn json_of(server: &TestServer, query: &str) -> (u16, Value) {
    let r = server
        .client
        .get(server.url(&format!("/locator?{query}")))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The page as a browser asks for it: status, headers, body.
async fn page_of(server: &TestServer, query: &str, language: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = server
        .client
        .get(server.url(&format!("/locator?{query}")))
        .header("accept", BROWSER_ACCEPT)
        .header("accept-language", language)
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

fn family_contact() -> String {
    let source = std::fs::read_to_string(common::repo().join(CECOT)).unwrap();
    custodia_core::Agreement::from_toml(&source).unwrap().oversight.family_contact.unwrap()
}

/// Whether no catalogue key (`locator-…`) stands as a text or an attribute value of the page.
fn no_key_shown(body: &str) -> bool {
    !body.contains(">locator-") && !body.contains("=\"locator-")
}

/// The text as HTML shows it (maud escapes `&`, `<`, `>`, `"`).
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn family_names_match_without_accents_and_any_one_of_them() {
    let source = std::fs::read_to_string(common::repo().join(CECOT)).unwrap();
    let server = register(source, |_| {}).await;
    let garcia = json!([{"status": "in_transit", "facility": null, "country": "US", "since": "2025-06-01"}]);
    for query in ["family_name=Garcia&birth_year=1990", "family_name=GARCÍA&birth_year=1990", "person_id=V1"] {
        assert_eq!(json_of(&server, query).await, (200, garcia.clone()), "{query}");
    }
    for name in ["Torres", "rivas", "Torres%20Rivas", "torres-rivas"] {
        let (status, found) = json_of(&server, &format!("family_name={name}&birth_year=1985")).await;
        assert_eq!((status, found.as_array().map(Vec::len)), (200, Some(1)), "{name}: {found}");
    }
    for query in [
        "family_name=Garcia&birth_year=1991",
        "family_name=Garc&birth_year=1990",
        "family_name=Rivas%20Torres&birth_year=1985",
        "family_name=Nunez&birth_year=1990",
        "person_id=v1",
    ] {
        assert_eq!(json_of(&server, query).await, (200, json!([])), "{query}: nothing, or a case not yet public");
    }
    // Without `Accept` (curl, scripts) the answer is JSON, as before.
    let plain: Value =
        server.client.get(server.url("/locator?person_id=V1")).send().await.unwrap().json().await.unwrap();
    assert_eq!(plain, garcia);
    let (status, body) = json_of(&server, "family_name=%20-%20&birth_year=1990").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("family_name")), "{body}");
    let (status, body) = json_of(&server, "family_name=Garcia&birth_year=nineteen").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("birth_year")), "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_get_a_page_in_their_language_with_whom_to_call() {
    let source = std::fs::read_to_string(common::repo().join(CECOT)).unwrap();
    let server = register(source, |_| {}).await;
    let (status, headers, body) =
        page_of(&server, "family_name=garcia&birth_year=1990", "es-SV,es;q=0.9,en;q=0.5").await;
    assert_eq!(status, 200, "{body}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(headers["content-language"], "es");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("script-src"), "no script at all: {csp}");
    assert!(body.contains("<html lang=\"es\">"), "{body}");
    assert!(body.contains("<main>") && body.contains("<table>") && body.contains("<th scope=\"col\">Situación</th>"));
    assert!(body.contains("<td>En traslado</td>"), "{body}");
    assert!(body.contains("<td>1 de junio de 2025</td>"), "the since-date as Spanish readers write it: {body}");
    assert!(body.contains(&escaped(&family_contact())), "the agreement's family_contact is shown: {body}");
    assert!(body.contains("value=\"garcia\""), "the form keeps the question: {body}");
    assert!(!body.contains("<script") && !body.contains("style="), "no inline script or style");
    assert!(no_key_shown(&body), "no catalogue key shows instead of its text: {body}");
    // The visible switch: the same question in English.
    assert!(body.contains("href=\"/locator?lang=en&amp;family_name=garcia&amp;birth_year=1990\""), "{body}");
    let (_, headers, body) = page_of(&server, "lang=en&family_name=garcia&birth_year=1990", "es").await;
    assert_eq!(headers["content-language"], "en");
    assert!(body.contains("<html lang=\"en\">") && body.contains("<td>In transit</td>"), "{body}");
    assert!(body.contains("<td>1 June 2025</td>"), "{body}");
    assert!(no_key_shown(&body), "{body}");
    // The form alone, before any question; a question nobody matches; a refused question.
    let (status, _, body) = page_of(&server, "", "en").await;
    assert_eq!(status, 200);
    assert!(body.contains("<label for=\"family_name\">") && !body.contains("id=\"results\""), "{body}");
    let (status, _, body) = page_of(&server, "person_id=&family_name=Nobody&birth_year=1990", "en").await;
    assert_eq!(status, 200);
    assert!(body.contains("No one was found") && !body.contains(&escaped(&family_contact())), "{body}");
    let (status, headers, body) = page_of(&server, "family_name=Garcia&birth_year=", "es").await;
    assert_eq!((status, headers["content-type"].to_str().unwrap().starts_with("text/html")), (400, true), "{body}");
    assert!(body.contains("Indique el apellido junto con un año de nacimiento"), "{body}");
    // The stylesheet is served by the binary.
    let css = server.client.get(server.url("/assets/locator.css")).send().await.unwrap();
    assert_eq!(css.status().as_u16(), 200);
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
    assert!(css.text().await.unwrap().contains("caption"));
    let icon = server.client.get(server.url("/assets/locator-icon.svg")).send().await.unwrap();
    assert_eq!((icon.status().as_u16(), icon.headers()["content-type"].to_str().unwrap()), (200, "image/svg+xml"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agreement_without_a_public_locator_answers_nothing() {
    let source = common::amended_example(CECOT, "public_locator = true", "public_locator = false");
    let server = register(source, |_| {}).await;
    for query in ["person_id=V1", "family_name=Garcia&birth_year=1990"] {
        assert_eq!(json_of(&server, query).await, (200, json!([])), "{query}");
    }
    let (status, _, body) = page_of(&server, "person_id=V1", "en").await;
    assert_eq!(status, 200);
    assert!(body.contains("No one was found") && !body.contains("In transit"), "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_the_json_share_one_rate_limit() {
    let source = std::fs::read_to_string(common::repo().join(CECOT)).unwrap();
    let server = register(source, |c| c.locator_per_minute = 2).await;
    assert_eq!(page_of(&server, "person_id=V1", "en").await.0, 200);
    assert_eq!(json_of(&server, "person_id=V1").await.0, 200);
    let (status, headers, body) = page_of(&server, "person_id=V1", "es").await;
    assert_eq!(status, 429);
    assert!(headers.contains_key("retry-after"));
    assert!(body.contains("Demasiadas búsquedas desde esta dirección") && !body.contains("En traslado"), "{body}");
    let (status, body) = json_of(&server, "person_id=V1").await;
    assert_eq!((status, body["code"].as_str()), (429, Some("RATE_LIMITED")));
    server.stop().await;
}
