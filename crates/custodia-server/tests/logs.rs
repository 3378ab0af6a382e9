//! One structured log line per request and one per refused authentication (issue 13, bullet 5),
//! as the JSON log format writes them; never a token or a password.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::TestServer;
use serde_json::{Value, json};

/// Where the test's subscriber writes: every line, kept.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn json(&self) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
    }
}

fn with_id(lines: &[Value], id: &str) -> Vec<Value> {
    lines.iter().filter(|l| l["fields"]["request_id"] == id).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_request_is_one_line_and_each_refused_authentication_another() {
    let lines = Lines::default();
    let writer = lines.clone();
    tracing_subscriber::fmt().json().with_env_filter("custodia=info").with_writer(move || writer.clone()).init();
    let server = TestServer::start(&["examples/agreements/us-sv-cecot.toml"]).await;
    let token = server.user("us.officer", "sending_officer", &["us-sv-cecot"], &[]).await;
    let get = |path: &str, id: &str, token: Option<&str>| {
        let mut request = server.client.get(server.url(path)).header("x-request-id", id);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(get("/api/v1/cases/424242", "req-read", Some(&token)).await.unwrap().status(), 404);
    assert_eq!(get("/api/v1/agreements", "req-bad-token", Some("cst_not-a-real-token")).await.unwrap().status(), 401);
    assert_eq!(get("/api/v1/agreements", "req-none", None).await.unwrap().status(), 401);
    let login = json!({"name": "us.officer", "password": "a wrong password, long enough"});
    let response =
        server.client.post(server.url("/api/v1/login")).header("x-request-id", "req-login").json(&login).send().await;
    assert_eq!(response.unwrap().status(), 401);
    server.stop().await;

    let all = lines.json();
    let read = with_id(&all, "req-read");
    assert_eq!(read.len(), 1, "one line per request: {read:?}");
    let fields = &read[0]["fields"];
    assert_eq!(read[0]["target"], "custodia::request");
    assert_eq!(fields["method"], "GET");
    assert_eq!(fields["route"], "/api/v1/cases/{id}", "the template, never the path");
    assert_eq!(fields["status"], 404);
    assert_eq!(fields["user"], "us.officer");
    assert!(fields["duration_us"].as_u64().is_some(), "{fields}");

    for (id, reason) in [
        ("req-bad-token", "bad or revoked token"),
        ("req-none", "no credentials"),
        ("req-login", "bad user name or password"),
    ] {
        let lines = with_id(&all, id);
        let request: Vec<&Value> = lines.iter().filter(|l| l["target"] == "custodia::request").collect();
        let refused: Vec<&Value> = lines.iter().filter(|l| l["target"] == "custodia::auth").collect();
        assert_eq!((request.len(), refused.len()), (1, 1), "{id}: {lines:?}");
        assert_eq!(request[0]["fields"]["user"], "-");
        assert_eq!(refused[0]["fields"]["reason"], reason);
        assert_eq!(refused[0]["fields"]["client"], "127.0.0.1");
    }
    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    for secret in [token.as_str(), "cst_not-a-real-token", "a wrong password"] {
        assert!(!text.contains(secret), "a credential reached the log");
    }
}
