//! Issue 13, limits and hardening through the API: every over-limit field is refused naming the
//! field and writes nothing; request bodies, heads and times are bounded with JSON answers; every
//! answer carries the security headers; `/metrics` is gated and its labels bounded. With
//! CUSTODIA_TEST_POSTGRES_URL set the register is PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::Duration;

use common::{TestServer, import_persons, person, propose_on};
use custodia_app::config::MetricsAccess;
use custodia_store::prelude::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const A: &str = "us-sv-cecot";

fn admission(field: &str, value: &str) -> Value {
    let mut admission = json!({"commitment_order": "US-DOJ-1", "admitted_on": "2025-06-04", "hour": 12,
        "visible_injuries": "none", "property": "clothing", "next_of_kin": "sister"});
    admission[field] = json!(value);
    json!({"action": "admit", "reason": "ADMITTED", "admission": admission,
        "placement": {"facility_id": "cecot", "cell_id": "A-1"}})
}

/// Bullet 4: every admission text over its limit is refused naming the field; the journal does
/// not grow (the 12 MB of next-of-kin text included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_texts_over_their_limits_are_refused_and_write_nothing() {
    let server = TestServer::start(&[CECOT]).await;
    let facility = server.user("cecot.staff", "facility_officer", &[A], &["cecot"]).await;
    import_persons(&server, A, "US", vec![person("V1", "Doe", "1990-01-01", "medium")]).await;
    let case = propose_on(&server, A, "V1", "us.officer", "2025-06-01T10:00:00Z").await;
    let size = server.store.journal_size().await.unwrap();
    let over = [
        ("commitment_order", 201),
        ("receiving_id", 257),
        ("visible_injuries", 2001),
        ("property", 2001),
        ("next_of_kin", 2001),
        ("next_of_kin", 12 << 20),
    ];
    for (field, bytes) in over {
        let body = admission(field, &"x".repeat(bytes));
        let (status, answer) = server.post(&facility, &format!("/api/v1/cases/{case}/transitions"), body).await;
        assert_eq!((status, answer["code"].as_str()), (400, Some("INVALID")), "{field}: {answer}");
        assert_eq!(answer["field"], format!("admission.{field}"));
        assert!(answer["message"].as_str().unwrap().contains(&format!("at most {}", bytes_limit(field))), "{answer}");
    }
    assert_eq!(server.store.journal_size().await.unwrap(), size, "refused requests write nothing");
    server.stop().await;
}

fn bytes_limit(field: &str) -> usize {
    match field {
        "commitment_order" => 200,
        "receiving_id" => 256,
        _ => 2000,
    }
}

/// Bullet 4: a person file with a 1 MB family name (the import) or long given names is
/// refused naming the column; nothing is registered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_file_over_its_limits_is_refused_and_writes_nothing() {
    let server = TestServer::start(&[CECOT]).await;
    let officer = server.user("us.officer", "sending_officer", &[A], &[]).await;
    let size = server.store.journal_size().await.unwrap();
    let long = "x".repeat(1 << 20);
    for (family, given, column) in [(long.as_str(), "Ann", "family_name"), ("Doe", &long[..201], "given_names")] {
        let csv = format!("person_id,family_name,given_names,nationalities\nP1,{family},{given},US\n");
        let (status, answer) = server.post(&officer, "/api/v1/persons", json!({"agreement_id": A, "csv": csv})).await;
        assert_eq!(status, 400, "{}", &answer.to_string()[..200.min(answer.to_string().len())]);
        assert_eq!(answer["field"], column, "{}", answer["message"]);
    }
    assert_eq!(server.store.journal_size().await.unwrap(), size);
    let (status, page) = server.get(&officer, &format!("/api/v1/persons?agreement={A}")).await;
    assert_eq!((status, page["items"].as_array().map(Vec::len)), (200, Some(0)), "{page}");
    server.stop().await;
}

/// Bullet 4: a body over `max_body_bytes` gets 413 with a JSON body on every route, whether it
/// reads a body or not, and with or without a length announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_with_a_json_body() {
    let server = TestServer::start_with(&[CECOT], |c| c.max_body_bytes = 4096).await;
    let officer = server.user("us.officer", "sending_officer", &[A], &[]).await;
    let size = server.store.journal_size().await.unwrap();
    let big = json!({"agreement_id": A, "person_id": "x".repeat(5000)});
    for path in ["/api/v1/cases", "/api/v1/persons", "/api/v1/user-changes/1/confirm", "/healthz"] {
        let (status, answer) = server.post(&officer, path, big.clone()).await;
        assert_eq!((status, answer["code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")), "{path}: {answer}");
    }
    // Chunked (no Content-Length): the route reading the body stops at the limit.
    let body = big.to_string();
    let chunked = format!(
        "POST /api/v1/cases HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {officer}\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let answer = raw(&server, chunked.as_bytes(), false).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":\"PAYLOAD_TOO_LARGE\""), "{answer}");
    assert_eq!(server.store.journal_size().await.unwrap(), size);
    server.stop().await;
}

/// Writes `request` on a new connection and reads until the server closes it (or 20 s pass,
/// which fails the test rather than hang it).
async fn raw(server: &TestServer, request: &[u8], then_wait: bool) -> String {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    if !then_wait {
        stream.shutdown().await.unwrap();
    }
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .unwrap_or_default();
    String::from_utf8_lossy(&out).into_owned()
}

/// Bullet 4: a head over `max_header_bytes` gets 431 with a JSON body; a request whose body does
/// not arrive gets 503 `TIMEOUT` after `request_timeout_ms`; a client that trickles its headers
/// is disconnected after `header_read_timeout_ms` without an answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_and_slow_requests_are_bounded() {
    let server = TestServer::start_with(&[CECOT], |c| {
        c.request_timeout_ms = 300;
        c.header_read_timeout_ms = 300;
    })
    .await;
    let officer = server.user("us.officer", "sending_officer", &[A], &[]).await;
    let response =
        server.client.get(server.url("/healthz")).header("x-padding", "p".repeat(20_000)).send().await.unwrap();
    assert_eq!(response.status(), 431);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "HEADERS_TOO_LARGE");

    let stalled = format!(
        "POST /api/v1/cases HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {officer}\r\ncontent-type: application/json\r\n\
         content-length: 100\r\n\r\n{{\"agreement_id\":"
    );
    let answer = raw(&server, stalled.as_bytes(), true).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["code"], "TIMEOUT");

    let trickle = raw(&server, b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: 1", true).await;
    assert!(!trickle.contains("200 OK"), "a head never finished is never answered: {trickle}");
    // The server still answers others.
    assert_eq!(server.client.get(server.url("/healthz")).send().await.unwrap().status(), 200);
    server.stop().await;
}

/// Bullet 5: every answer — API, errors, the locator, the docs page, unknown routes — carries the
/// security headers and `Cache-Control: no-store`; the docs page's policy allows its own script.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers() {
    let server = TestServer::start(&[CECOT]).await;
    let officer = server.user("us.officer", "sending_officer", &[A], &[]).await;
    let requests = [
        ("/api/v1/agreements", Some(officer.as_str()), 200),
        ("/api/v1/agreements", None, 401),
        ("/api/v1/cases/999999", Some(officer.as_str()), 404),
        ("/locator?person_id=V1", None, 200),
        ("/no/such/route", None, 404),
        ("/docs", None, 200),
        ("/healthz", None, 200),
    ];
    for (path, token, status) in requests {
        let mut request = server.client.get(server.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{path}");
        let h = response.headers();
        let header = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("cache-control"), "no-store", "{path}");
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"), "{path}: {csp}");
        if path == "/docs" {
            assert!(csp.contains("script-src 'sha256-") && csp.contains("connect-src 'self'"), "{csp}");
        }
    }
    server.stop().await;
}

async fn metrics(server: &TestServer, token: Option<&str>) -> (u16, String) {
    let mut request = server.client.get(server.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Bullet 5: `/metrics` answers loopback clients by default, nobody when off, the token's holder
/// when so set; made-up methods and paths are counted under fixed labels.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_gated_and_their_labels_bounded() {
    let server = TestServer::start(&[]).await;
    for method in ["FOOBAR", "BREW", "PROPFIND"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        server.client.request(method, server.url("/healthz")).send().await.unwrap();
    }
    server.client.get(server.url("/made/up/path/1")).send().await.unwrap();
    let (status, text) = metrics(&server, None).await;
    assert_eq!(status, 200, "the test client connects from loopback");
    assert!(!text.contains("FOOBAR") && !text.contains("BREW") && !text.contains("PROPFIND"), "{text}");
    assert!(text.contains("method=\"other\",route=\"/healthz\""), "{text}");
    assert!(text.contains("route=\"unmatched\"") && !text.contains("/made/up"), "{text}");
    server.stop().await;

    let off = TestServer::start_with(&[], |c| c.metrics = MetricsAccess::Off).await;
    let (status, text) = metrics(&off, None).await;
    assert_eq!(status, 404, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["code"], "NOT_FOUND");
    off.stop().await;

    let secret = "metrics-token-for-the-test-0123456789";
    let token = TestServer::start_with(&[], |c| {
        c.metrics = MetricsAccess::Token;
        c.metrics_token = Some(secret.into());
    })
    .await;
    assert_eq!(metrics(&token, None).await.0, 401);
    assert_eq!(metrics(&token, Some("metrics-token-for-the-test-012345678X")).await.0, 401);
    let (status, text) = metrics(&token, Some(secret)).await;
    assert_eq!(status, 200);
    assert!(text.contains("custodia_http_requests_total"), "{text}");
    token.stop().await;
}
