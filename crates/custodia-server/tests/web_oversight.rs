//! The invoice, sustainability, incident and inspection pages of the web interface (docs/web.md)
//! on a real server: a draft made through a page carries the total the application layer
//! computed, the two-person rule refuses the preparer with its code, verification names a
//! difference, notification deadlines show with their status, each role sees only its forms, the
//! pages read in Spanish without a missing text, and another scope gets "not found".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeMap;

use common::{TestServer, actor};
use custodia_i18n::Language;
use custodia_store::prelude::*;
use serde_json::json;

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const GJILAN: &str = "examples/agreements/dk-xk-gjilan.toml";
const AGREEMENT: &str = "us-sv-cecot";
const PASSWORD: &str = "a long enough passphrase";

/// A browser without JavaScript: keeps cookies, follows no redirect by itself.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    accept_language: Option<&'static str>,
}

/// An answer: status, headers, `Location`, the policy, the body.
struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    location: String,
    csp: String,
    html: String,
}

impl Browser {
    fn new(server: &TestServer) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: server.base.clone(), client, cookies: BTreeMap::new(), accept_language: None }
    }

    async fn send(&mut self, mut request: reqwest::RequestBuilder) -> Page {
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header("cookie", jar.join("; "));
        }
        if let Some(lang) = self.accept_language {
            request = request.header("accept-language", lang);
        }
        let response = request.send().await.unwrap();
        let headers = response.headers().clone();
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let (csp, location) = (header("content-security-policy"), header("location"));
        for line in headers.get_all("set-cookie") {
            let line = line.to_str().unwrap();
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status().as_u16();
        Page { status, headers, location, csp, html: response.text().await.unwrap() }
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
    async fn sign_in(server: &TestServer, name: &str) -> Self {
        let mut browser = Self::new(server);
        let form = browser.get("/").await;
        let csrf = csrf_of(&form.html);
        let signed = browser.post("/sign-in", &[("csrf", &csrf), ("name", name), ("password", PASSWORD)]).await;
        assert_eq!(signed.status, 303, "{name} signs in: {}", signed.html);
        browser
    }

    /// Posts a form of the page at `from` (with that page's CSRF token) to `to`.
    async fn submit(&mut self, from: &str, to: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(from).await;
        assert!(page.html.contains(&format!(r#"action="{to}""#)), "no form to {to} on {from}: {}", page.html);
        let csrf = csrf_of(&page.html);
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(to, &all).await
    }
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(html: &str) -> String {
    let start = html.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// Catalogue keys of the web interface shown instead of a text (`web-…`).
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

/// Every form field a person fills in that no `<label for>` names.
fn unlabelled_fields(html: &str) -> Vec<String> {
    let mut unlabelled = Vec::new();
    for tag_name in ["<input", "<select", "<textarea"] {
        for (at, _) in html.match_indices(tag_name) {
            let tag = html[at..].split('>').next().unwrap();
            if attribute(tag, "type").as_deref() == Some("hidden") {
                continue;
            }
            if !attribute(tag, "id").is_some_and(|id| html.contains(&format!("<label for=\"{id}\""))) {
                unlabelled.push(tag.to_owned());
            }
        }
    }
    unlabelled
}

/// One `<main>`, the language, labelled fields, no missing text, no script, the page policy.
fn assert_sound_page(page: &Page, lang: &str) {
    assert_eq!(page.html.matches("<main").count(), 1, "exactly one <main>: {}", page.html);
    assert!(page.html.contains(&format!("<html lang=\"{lang}\"")), "{}", &page.html[..200.min(page.html.len())]);
    assert_eq!(unresolved_keys(&page.html), Vec::<String>::new(), "texts without a message");
    assert_eq!(unlabelled_fields(&page.html), Vec::<String>::new(), "fields without a label");
    assert!(!page.html.contains("<script") && !page.html.contains(" style=\""), "no script, no inline style");
    assert!(page.csp.contains("frame-ancestors 'none'"), "{}", page.csp);
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

/// CECOT (and Gjilan) with P-1 admitted on 2025-03-20 to C-1; finance officers `fiona` and
/// `felix`, inspector `ines`, and `otto`, a finance officer of Gjilan only, with passwords; an
/// auditor's token for the API. The case, the facility officer's token and the auditor's.
async fn setup() -> (TestServer, i64, String, String) {
    let server = TestServer::start(&[CECOT, GJILAN]).await;
    let persons = [common::person("P-1", "Doe", "1990-01-01", "high")].map(|mut p| {
        p.torture_risk_assessed_on = Some("2025-03-01".into());
        p
    });
    common::import_persons(&server, AGREEMENT, "US", persons.into()).await;
    common::import_cells(&server, AGREEMENT, &[("cecot", "C-1", "shared", "100", 20)]).await;
    let staff = common::staff(&server).await;
    let case = common::admit(&server, &staff, "P-1", "C-1", "2025-03-20").await;
    for (name, role) in [("fiona", "finance_officer"), ("felix", "finance_officer"), ("ines", "inspector")] {
        user_with_password(&server, name, role, &[AGREEMENT]).await;
    }
    user_with_password(&server, "otto", "finance_officer", &["dk-xk-gjilan"]).await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    (server, case, staff.facility, auditor)
}

fn usd(minor: i64) -> String {
    custodia_i18n::format_money(Language::En, minor, "USD")
}

/// A raw change to the register behind the application's back (SQLite only; on PostgreSQL the
/// test's database name is not reachable from here, and the command line's tampering tests
/// cover it there). Whether it ran.
async fn tamper_with_total(server: &TestServer, invoice: i64) -> bool {
    use sqlx::Connection;
    if std::env::var("CUSTODIA_TEST_POSTGRES_URL").is_ok() {
        return false;
    }
    let file = server.dir.join(custodia_store::SQLITE_FILE);
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display())).await.unwrap();
    sqlx::query("DROP TRIGGER invoices_are_never_updated").execute(&mut c).await.unwrap();
    sqlx::query(&format!("UPDATE invoices SET total_minor = 1 WHERE id = {invoice}")).execute(&mut c).await.unwrap();
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invoice_drafted_issued_verified_and_exported_through_the_pages() {
    let (server, _case, _facility, auditor) = setup().await;
    let mut fiona = Browser::sign_in(&server, "fiona").await;
    let overview = fiona.get(&format!("/agreements/{AGREEMENT}")).await;
    assert!(overview.html.contains(&format!(r#"href="/agreements/{AGREEMENT}/invoices""#)), "linked from the overview");
    let list = format!("/agreements/{AGREEMENT}/invoices");
    let empty = fiona.get(&list).await;
    assert_sound_page(&empty, "en");
    assert!(empty.html.contains("No invoice has been drafted"));

    // A period the application refuses (not in order) shows its code and drafts nothing.
    let refused = fiona.submit(&list, &list, &[("kind", "invoice"), ("period", "2025-04")]).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert_sound_page(&refused, "en");
    let (_, none) = server.get(&auditor, &format!("/api/v1/invoices?agreement={AGREEMENT}")).await;
    assert_eq!(none["items"], json!([]), "nothing drafted");

    let drafted = fiona.submit(&list, &list, &[("kind", "invoice"), ("period", "2025-03")]).await;
    assert_eq!(drafted.status, 303, "{}", drafted.html);
    let path = drafted.location.clone();
    let id: i64 = path.strip_prefix("/invoices/").unwrap().parse().unwrap();
    // The total is the application layer's (read back through the API), formatted for the page.
    let (status, stored) = server.get(&auditor, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!((stored["status"].as_str(), stored["prepared_by"].as_str()), (Some("draft"), Some("fiona")));
    let total = stored["total_minor"].as_i64().unwrap();
    assert!(total > 0, "{stored}");
    let page = fiona.get(&path).await;
    assert_sound_page(&page, "en");
    assert!(page.html.contains(&format!("<strong>{}</strong>", usd(total))), "{}", page.html);
    assert!(page.html.contains("<code>CAPITA</code>"), "its lines: {}", page.html);
    assert!(page.html.contains("A draft is not exported"), "no export of a draft");
    let listed = fiona.get(&list).await;
    let number = stored["number"].as_str().unwrap();
    assert!(listed.html.contains(&format!(r#"<a href="/invoices/{id}">{number}</a>"#)), "{}", listed.html);
    assert!(listed.html.contains(&format!(r#"<td>Draft</td><td class="number">{}</td>"#, usd(total))));
    let not_issued = fiona.get(&format!("/invoices/{id}/export?format=csv")).await;
    assert_eq!(not_issued.status, 409);
    assert!(not_issued.html.contains("NOT_ISSUED"));

    // The two-person rule: the preparer's issue form is refused with its code; nothing changes.
    let issue = format!("/invoices/{id}/issue");
    let own = fiona.submit(&path, &issue, &[("back", "invoice")]).await;
    assert_eq!(own.status, 409, "{}", own.html);
    assert!(own.html.contains("TWO_PERSON_RULE"), "{}", own.html);
    assert_sound_page(&own, "en");
    let (_, still) = server.get(&auditor, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(still["status"], "draft");
    let mut felix = Browser::sign_in(&server, "felix").await;
    let issued = felix.submit(&path, &issue, &[("back", "invoice")]).await;
    assert_eq!((issued.status, issued.location.as_str()), (303, path.as_str()), "{}", issued.html);
    let (_, now_issued) = server.get(&auditor, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!((now_issued["status"].as_str(), now_issued["issued_by"].as_str()), (Some("issued"), Some("felix")));
    let page = felix.get(&path).await;
    assert!(page.html.contains("<td>Issued</td>") && !page.html.contains(&format!(r#"action="{issue}""#)));

    // The export is the API's, byte for byte.
    let csv = felix.get(&format!("/invoices/{id}/export?format=csv")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename="));
    let r = server.client.get(server.url(&format!("/api/v1/invoices/{id}?format=csv"))).bearer_auth(&auditor);
    assert_eq!(csv.html, r.send().await.unwrap().text().await.unwrap());
    let canonical = felix.get(&format!("/invoices/{id}/export?format=canonical")).await;
    assert_eq!(canonical.headers["x-document-sha256"].to_str().unwrap(), now_issued["sha256"].as_str().unwrap());

    // Verification: it verifies; after a raw change of the stored total, it names the difference.
    let verify = format!("/invoices/{id}/verify");
    let checked = fiona.submit(&path, &verify, &[]).await;
    assert_eq!(checked.status, 200, "{}", checked.html);
    assert_sound_page(&checked, "en");
    assert!(checked.html.contains("Verified: the document matches"), "{}", checked.html);
    if tamper_with_total(&server, id).await {
        let checked = fiona.submit(&path, &verify, &[]).await;
        assert!(!checked.html.contains("Verified: the document matches"), "{}", checked.html);
        assert!(checked.html.contains("the stored total_minor is 1"), "{}", checked.html);
    }

    // Without the session's CSRF token nothing is drafted.
    let forged = fiona.post(&list, &[("kind", "invoice"), ("period", "2025-04")]).await;
    assert_eq!(forged.status, 403);
    let (_, all) = server.get(&auditor, &format!("/api/v1/invoices?agreement={AGREEMENT}")).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sustainability_report_charts_the_issued_invoices_with_the_same_numbers_in_a_table() {
    let (server, _case, _facility, auditor) = setup().await;
    let (fiona, felix) = (
        server.user("fi", "finance_officer", &[AGREEMENT], &[]).await,
        server.user("fe", "finance_officer", &[AGREEMENT], &[]).await,
    );
    let (status, drafted) =
        server.post(&fiona, "/api/v1/invoices", json!({"agreement_id": AGREEMENT, "period": "2025-03"})).await;
    assert_eq!(status, 201, "{drafted}");
    let issue = format!("/api/v1/invoices/{}/issue", drafted["id"]);
    assert_eq!(server.post(&felix, &issue, json!({})).await.0, 200);
    let path = format!("/api/v1/reports/sustainability?agreement={AGREEMENT}&receiving_budget_minor=12000000000");
    let (status, report) = server.get(&auditor, &path).await;
    assert_eq!(status, 200, "{report}");
    let march = &report["months"][0];

    let mut ines = Browser::sign_in(&server, "ines").await;
    let page = ines.get(&format!("/agreements/{AGREEMENT}/sustainability?receiving_budget_minor=12000000000")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_sound_page(&page, "en");
    let html = &page.html;
    assert!(html.contains(r#"<svg class="chart" role="img""#) && html.contains(r#"<desc id="invoiced-desc">"#));
    let row = format!(
        r#"<th scope="row">2025-03</th><td>15 March 2025 – 31 March 2025</td><td class="number">1</td><td class="number">{}</td><td class="number">{}</td><td class="number">{}</td><td class="number">{}</td>"#,
        march["person_days"],
        usd(march["invoiced_minor"].as_i64().unwrap()),
        usd(march["home_cost_minor"].as_i64().unwrap()),
        usd(march["sending_state_saving_minor"].as_i64().unwrap()),
    );
    assert!(html.contains(&row), "{row} in {html}");
    let whole = march["invoiced_minor"].as_i64().unwrap() / 100;
    assert!(html.contains(&format!("<title>2025-03: {whole}</title>")), "the chart's marker");
    // Both views (docs/billing.md#sustainability): the accrual columns and chart, and the journey
    // of 20 March priced by the example's extras tariff.
    let accrual = format!(
        r#"<td class="number">{}</td><td class="number">{}</td>"#,
        usd(march["accrued_minor"].as_i64().unwrap()),
        usd(march["accrual_saving_minor"].as_i64().unwrap()),
    );
    assert!(html.contains(&accrual), "{accrual} in {html}");
    assert!(march["accrued_minor"].as_i64().unwrap() < march["invoiced_minor"].as_i64().unwrap() / 10);
    let transport =
        format!(r#"<td class="number">1</td><td class="number">0</td><td class="number">{}</td></tr>"#, usd(450_000));
    assert!(html.contains(&transport), "{transport} in {html}");
    assert!(html.contains(r#"<desc id="accrued-desc">"#) && html.contains("Accrued (accrual)"), "{html}");
    assert!(
        html.contains("Two views of the same issued documents")
            && html.contains("priced by the agreement's extras tariff")
    );
    assert!(!html.contains("counted twice"), "no transport extras were invoiced");
    ines.accept_language = Some("es");
    let spanish = ines.get(&format!("/agreements/{AGREEMENT}/sustainability?receiving_budget_minor=12000000000")).await;
    assert_eq!(spanish.status, 200);
    assert_sound_page(&spanish, "es");
    let es = &spanish.html;
    assert!(es.contains("Devengado (devengo)") && es.contains("Facturado (caja)") && es.contains("Salidas"), "{es}");
    assert!(es.contains("Dos vistas de los mismos documentos emitidos"), "{es}");
    ines.accept_language = None;
    // A parameter the application refuses: its code beside the form, no report.
    let bad = ines.get(&format!("/agreements/{AGREEMENT}/sustainability?receiving_budget_minor=0")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.html.contains("<code>INVALID</code>") && !bad.html.contains("<svg"), "{}", bad.html);
    assert_sound_page(&bad, "en");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forecast_page_asks_for_intake_and_horizon_and_shows_the_apis_numbers_with_the_chart() {
    let (server, _case, _facility, auditor) = setup().await;
    let people = ["W-1", "W-2"].map(|id| common::person(id, "Roe", "1990-01-01", "medium"));
    common::import_persons(&server, AGREEMENT, "US", people.into()).await;
    let mut ines = Browser::sign_in(&server, "ines").await;
    let form = ines.get(&format!("/agreements/{AGREEMENT}/forecast")).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert_sound_page(&form, "en");
    assert!(form.html.contains(r#"name="intake_per_month""#) && form.html.contains(r#"name="months""#));
    assert!(!form.html.contains("<svg"), "nothing is computed before an intake is given");
    let query = "intake_per_month=8&months=6&runs=30&seed=2&from=2025-06-01";
    let page = ines.get(&format!("/agreements/{AGREEMENT}/forecast?{query}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_sound_page(&page, "en");
    let (status, api) = server.get(&auditor, &format!("/api/v1/agreements/{AGREEMENT}/forecast?{query}")).await;
    assert_eq!(status, 200, "{api}");
    assert_eq!((api["eligible"].as_u64(), api["in_custody"].as_u64()), (Some(2), Some(1)), "{api}");
    let html = &page.html;
    assert!(html.contains(r#"<title id="forecast-title">People in custody per month"#), "{html}");
    for month in api["months"].as_array().unwrap() {
        let q = &month["population"];
        let row = format!(
            r#"<th scope="row">{}</th><td class="number">{} / {} / {}</td>"#,
            month["month"].as_str().unwrap(),
            q["p5"],
            q["p50"],
            q["p95"]
        );
        assert!(html.contains(&row), "{row} in {html}");
    }
    // The cell holds 20 at the standard: P-1 and 8 more a month pass it in August, in every run.
    assert_eq!(api["limits"][1]["first_month"], "2025-08");
    assert!(html.contains("2025-08 (30 of 30 runs)"), "{html}");
    ines.accept_language = Some("es");
    let spanish = ines.get(&format!("/agreements/{AGREEMENT}/forecast?{query}")).await;
    assert_sound_page(&spanish, "es");
    assert!(spanish.html.contains("Personas bajo custodia por mes") && spanish.html.contains("plazas contratadas"));
    // A parameter the application refuses: its code beside the form, no chart.
    let bad = ines.get(&format!("/agreements/{AGREEMENT}/forecast?intake_per_month=5&months=0")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.html.contains("<code>INVALID</code>") && !bad.html.contains("<svg"), "{}", bad.html);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_show_their_notification_deadlines_and_whether_each_was_sent_on_time() {
    let (server, case, facility, _auditor) = setup().await;
    let filed = json!({"agreement_id": AGREEMENT, "case_id": case, "kind": "death",
        "occurred_at": "2026-01-10T08:00:00Z", "report": "found unresponsive in cell C-1"});
    let (status, death) = server.post(&facility, "/api/v1/incidents", filed).await;
    assert_eq!(status, 201, "{death}");
    let id = death["id"].as_i64().unwrap();
    let notify = format!("/api/v1/incidents/{id}/notifications");
    let sent = json!({"recipient": "next_of_kin", "at": "2026-01-10T12:00:00Z"});
    assert_eq!(server.post(&facility, &notify, sent).await.0, 200);

    let mut ines = Browser::sign_in(&server, "ines").await;
    let page = ines.get(&format!("/agreements/{AGREEMENT}/incidents")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_sound_page(&page, "en");
    let html = &page.html;
    assert!(html.contains(&format!(r#"<a href="/incidents/{id}">{id}</a>"#)) && html.contains("<td>Death</td>"));
    // Due 24 hours after (next of kin, sending state) and 72 hours after (independent authority).
    assert!(
        html.contains("<td>Next of kin</td><td>11 January 2026, 08:00 UTC</td><td>10 January 2026, 12:00 UTC</td><td>sent on time</td>"),
        "{html}"
    );
    assert!(html.contains("<td>Independent authority</td><td>13 January 2026, 08:00 UTC</td><td>—</td>"), "{html}");
    assert!(html.contains(r#"<strong class="critical">overdue, not sent</strong>"#), "{html}");
    let one = ines.get(&format!("/incidents/{id}")).await;
    assert_sound_page(&one, "en");
    assert!(one.html.contains("found unresponsive in cell C-1") && one.html.contains("11 January 2026, 08:00 UTC"));

    // Recording a notification as sent through the incident's page: late, by the application's
    // reckoning; a second time is refused with its code. A finance officer has no such form.
    let incident = format!("/incidents/{id}");
    let notify = format!("/incidents/{id}/notifications");
    assert!(!one.html.contains(r#"name="recipient" value="next_of_kin""#), "already sent: no form");
    let sent = [("recipient", "sending_state"), ("at", "2026-01-12T08:00")];
    let recorded = ines.submit(&incident, &notify, &sent).await;
    assert_eq!((recorded.status, recorded.location.as_str()), (303, incident.as_str()), "{}", recorded.html);
    let after = ines.get(&incident).await;
    assert_sound_page(&after, "en");
    assert!(
        after.html.contains("<th scope=\"row\">Sending state</th><td>11 January 2026, 08:00 UTC</td><td>12 January 2026, 08:00 UTC</td><td><strong class=\"critical\">sent late</strong> (late by 24h 00m)</td>"),
        "{}",
        after.html
    );
    let page = ines.get(&incident).await;
    let again = ines.post(&notify, &[("csrf", &csrf_of(&page.html)), sent[0], sent[1]]).await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert!(again.html.contains("NOT_PENDING"), "{}", again.html);
    let mut fiona = Browser::sign_in(&server, "fiona").await;
    let seen = fiona.get(&incident).await;
    assert!(seen.html.contains("overdue, not sent") && !seen.html.contains(&format!(r#"action="{notify}""#)));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_sees_only_its_forms_and_the_application_refuses_a_forged_post() {
    let (server, _case, _facility, _auditor) = setup().await;
    let inspector = server.user("ivo", "inspector", &[AGREEMENT], &[]).await;
    let visit = json!({"agreement_id": AGREEMENT, "body": "ICRC", "from": "2025-05-01", "to": "2025-05-03",
        "findings": ["cells at 0.64 m² per person"],
        "recommendations": ["reduce occupancy to the CPT standard", "allow family visits"]});
    let (status, filed) = server.post(&inspector, "/api/v1/inspections", visit).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_i64().unwrap();
    let (invoices, inspections) =
        (format!("/agreements/{AGREEMENT}/invoices"), format!("/agreements/{AGREEMENT}/inspections"));
    let move_first = format!("/inspections/{id}/recommendations/0");

    // The finance officer: the drafting forms, no recommendation form.
    let mut fiona = Browser::sign_in(&server, "fiona").await;
    assert!(fiona.get(&invoices).await.html.contains(&format!(r#"action="{invoices}""#)));
    let seen = fiona.get(&inspections).await;
    assert_sound_page(&seen, "en");
    assert!(seen.html.contains("reduce occupancy to the CPT standard") && seen.html.contains("<td>open</td>"));
    assert!(!seen.html.contains(r#"name="state""#), "no recommendation form for finance: {}", seen.html);
    let forged = fiona.post(&move_first, &[("csrf", &csrf_of(&seen.html)), ("state", "accepted")]).await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    assert!(forged.html.contains("FORBIDDEN"));

    // The inspector: the recommendation forms (only the moves allowed), no drafting form.
    let mut ines = Browser::sign_in(&server, "ines").await;
    let list = ines.get(&invoices).await;
    assert_sound_page(&list, "en");
    assert!(!list.html.contains(&format!(r#"action="{invoices}""#)), "no drafting form for an inspector");
    let forged =
        ines.post(&invoices, &[("csrf", &csrf_of(&list.html)), ("kind", "invoice"), ("period", "2025-03")]).await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    assert!(forged.html.contains("FORBIDDEN"));
    let page = ines.get(&inspections).await;
    assert!(page.html.contains(r#"<option value="accepted">accepted</option>"#), "{}", page.html);
    assert!(!page.html.contains(r#"<option value="implemented">"#), "open → implemented skips acceptance");
    let moved = ines.submit(&inspections, &move_first, &[("state", "accepted")]).await;
    assert_eq!(moved.status, 303, "{}", moved.html);
    let page = ines.get(&inspections).await;
    assert!(page.html.contains("<td>reduce occupancy to the CPT standard</td><td>accepted</td>"), "{}", page.html);
    let refused =
        ines.submit(&inspections, &format!("/inspections/{id}/recommendations/1"), &[("state", "implemented")]).await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(refused.html.contains("RECOMMENDATION_STATE"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_read_in_spanish_and_another_scope_gets_not_found() {
    let (server, case, facility, _auditor) = setup().await;
    let (fi, fe) = (
        server.user("fi", "finance_officer", &[AGREEMENT], &[]).await,
        server.user("fe", "finance_officer", &[AGREEMENT], &[]).await,
    );
    let (_, drafted) =
        server.post(&fi, "/api/v1/invoices", json!({"agreement_id": AGREEMENT, "period": "2025-03"})).await;
    let invoice = drafted["id"].as_i64().unwrap();
    assert_eq!(server.post(&fe, &format!("/api/v1/invoices/{invoice}/issue"), json!({})).await.0, 200);
    let filed = json!({"agreement_id": AGREEMENT, "case_id": case, "kind": "torture_allegation",
        "occurred_at": "2026-02-01T09:00:00Z", "report": "alleged beating"});
    let (status, incident) = server.post(&facility, "/api/v1/incidents", filed).await;
    assert_eq!(status, 201, "{incident}");
    let incident = incident["id"].as_i64().unwrap();
    let inspector = server.user("ivo", "inspector", &[AGREEMENT], &[]).await;
    let visit = json!({"agreement_id": AGREEMENT, "body": "ICRC", "from": "2025-05-01", "to": "2025-05-03",
        "findings": ["x"], "recommendations": ["y"]});
    assert_eq!(server.post(&inspector, "/api/v1/inspections", visit).await.0, 201);

    let pages = [
        format!("/agreements/{AGREEMENT}"),
        format!("/agreements/{AGREEMENT}/invoices"),
        format!("/invoices/{invoice}"),
        format!("/agreements/{AGREEMENT}/sustainability"),
        format!("/agreements/{AGREEMENT}/incidents"),
        format!("/incidents/{incident}"),
        format!("/agreements/{AGREEMENT}/forecast"),
        format!("/agreements/{AGREEMENT}/inspections"),
    ];
    for who in ["fiona", "ines"] {
        let mut browser = Browser::sign_in(&server, who).await;
        browser.accept_language = Some("es-SV,es;q=0.9");
        for path in &pages {
            let page = browser.get(path).await;
            assert_eq!(page.status, 200, "{who} {path}: {}", page.html);
            assert_sound_page(&page, "es");
        }
        let verified = browser.submit(&pages[2], &format!("/invoices/{invoice}/verify"), &[]).await;
        assert_sound_page(&verified, "es");
        assert!(verified.html.contains("Verificado: el documento coincide"), "{}", verified.html);
    }
    let mut fiona = Browser::sign_in(&server, "fiona").await;
    fiona.accept_language = Some("es");
    let invoice_page = fiona.get(&pages[2]).await;
    let drafted_total = drafted["total_minor"].as_i64().unwrap();
    let spanish_total = custodia_i18n::format_money(Language::Es, drafted_total, "USD");
    assert!(invoice_page.html.contains(&spanish_total), "{spanish_total} in {}", invoice_page.html);
    let incidents = fiona.get(&pages[4]).await;
    assert!(incidents.html.contains("Denuncia de tortura") && incidents.html.contains("abierta"), "{}", incidents.html);

    // Otto's scope is Gjilan: every page of CECOT's is "not found", as in the API.
    let mut otto = Browser::sign_in(&server, "otto").await;
    for path in &pages {
        let page = otto.get(path).await;
        assert_eq!(page.status, 404, "{path}: {}", page.html);
        assert!(page.html.contains("NOT_FOUND"), "{path}");
        assert_sound_page(&page, "en");
    }
    let export = otto.get(&format!("/invoices/{invoice}/export?format=csv")).await;
    assert_eq!(export.status, 404);
    let page = otto.get("/").await;
    let verify = otto.post(&format!("/invoices/{invoice}/verify"), &[("csrf", &csrf_of(&page.html))]).await;
    assert_eq!(verify.status, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_subscriptions_are_added_listed_and_ended_through_the_pages_in_both_languages() {
    let (server, _case, _facility, auditor) = setup().await;
    let page = format!("/agreements/{AGREEMENT}/subscriptions");
    let mut ines = Browser::sign_in(&server, "ines").await;
    let empty = ines.get(&page).await;
    assert_eq!(empty.status, 200, "{}", empty.html);
    assert_sound_page(&empty, "en");
    assert!(empty.html.contains("Nobody is subscribed"), "{}", empty.html);
    assert!(ines.get(&format!("/agreements/{AGREEMENT}")).await.html.contains(&format!(r#"href="{page}""#)));

    // A bad URL is refused naming the field, and nothing is subscribed.
    let refused = ines
        .submit(&page, &page, &[("channel", "webhook"), ("url", "ftp://h.example.org"), ("secret", "0123456789abcdef")])
        .await;
    assert_eq!(refused.status, 400, "{}", refused.html);
    assert!(
        refused.html.contains("INVALID") && refused.html.contains("must be an http:// or https:// URL"),
        "{}",
        refused.html
    );
    assert!(!refused.html.contains("name=\"url\""), "a refusal page, not the form: {}", refused.html);
    let added = ines
        .submit(
            &page,
            &page,
            &[
                ("channel", "webhook"),
                ("url", "https://hooks.example.org/ines"),
                ("secret", "0123456789abcdef"),
                ("min_severity", "critical"),
                ("kinds", "HELD_BEYOND_RELEASE"),
                ("kinds", "NOTIFICATION_OVERDUE"),
                ("email", "ignored@example.org"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.html);
    let listed = ines.get(&page).await;
    assert_sound_page(&listed, "en");
    assert!(listed.html.contains("<code>https://hooks.example.org/ines</code>"), "{}", listed.html);
    assert!(listed.html.contains("Critical alerts only"), "{}", listed.html);
    assert!(listed.html.contains("<code>HELD_BEYOND_RELEASE</code>, <code>NOTIFICATION_OVERDUE</code>"));
    assert!(!listed.html.contains("0123456789abcdef"), "the secret is never shown");
    let (status, api) = server.get(&auditor, &format!("/api/v1/agreements/{AGREEMENT}/subscriptions")).await;
    assert_eq!((status, api[0]["kinds"].as_array().unwrap().len()), (200, 2), "{api}");

    // In Spanish, for another user of the agreement, who ends it.
    let mut fiona = Browser::sign_in(&server, "fiona").await;
    fiona.accept_language = Some("es");
    let spanish = fiona.get(&page).await;
    assert_sound_page(&spanish, "es");
    assert!(spanish.html.contains("Solo las alertas críticas") && spanish.html.contains("Registro de envíos"));
    let id = api[0]["id"].as_i64().unwrap();
    let ended = fiona.submit(&page, &format!("{page}/{id}/remove"), &[]).await;
    assert_eq!(ended.status, 303, "{}", ended.html);
    assert!(fiona.get(&page).await.html.contains("Nadie está suscrito"));

    // Otto's scope is Gjilan: not found, as in the API.
    let mut otto = Browser::sign_in(&server, "otto").await;
    let hidden = otto.get(&page).await;
    assert_eq!(hidden.status, 404, "{}", hidden.html);
    server.stop().await;
}
