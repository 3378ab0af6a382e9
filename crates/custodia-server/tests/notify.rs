//! Scheduled alerts (docs/alerts.md) end to end: a webhook receiver on loopback gets a
//! held-beyond-release alert within a scheduler tick of the day it starts, signed, exactly once
//! across a server restart, and its resolution when the person is released; a receiver that
//! fails first gets the same delivery again with backoff, across a restart, until it accepts it;
//! e-mail reaches an SMTP server (Python's aiosmtpd); subscriptions are checked field by field and
//! by scope. The scheduler's clock is the test's, so days pass at once. With
//! CUSTODIA_TEST_POSTGRES_URL set, the same tests run on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::disallowed_methods)] // the tests wait on the wall clock for the scheduler

mod common;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Staff, TestServer, admit, staff, step};
use custodia_server::clock::Clock;
use custodia_store::Timestamp;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const AGREEMENT: &str = "us-sv-cecot";
const SECRET: &str = "a-webhook-secret-of-the-test";

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    delivery: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    accepted: bool,
}

/// A webhook receiver on loopback that answers 500 to its first `fail_first` requests.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    fail_first: Arc<AtomicU32>,
}

impl Receiver {
    async fn start(fail_first: u32) -> (Self, String) {
        let receiver = Receiver::default();
        receiver.fail_first.store(fail_first, Ordering::SeqCst);
        let state = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let state = state.clone();
                async move {
                    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    let fail =
                        state.fail_first.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    state.got.lock().unwrap().push(Received {
                        delivery: header("custodia-delivery"),
                        timestamp: header("custodia-timestamp"),
                        signature: header("custodia-signature"),
                        body: body.to_vec(),
                        accepted: !fail,
                    });
                    if fail {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::NO_CONTENT
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (or `limit` passed); how long it took.
    async fn wait_for(&self, n: usize, limit: Duration) -> Duration {
        let started = Instant::now();
        while self.got().len() < n && started.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        started.elapsed()
    }
}

/// The receiver's check: `sha256=` HMAC-SHA-256 of `TIMESTAMP.BODY` with the shared secret.
fn signature_holds(r: &Received) -> bool {
    let Some(hex) = r.signature.strip_prefix("sha256=") else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(r.timestamp.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    expected == hex
}

fn body(r: &Received) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

/// CECOT with P-1 admitted on 2025-03-20 on a 27-month sentence, the scheduler on a test clock
/// at 2025-06-01 ticking every 100 ms; the staff, the case and the projected release date.
async fn setup(adjust: impl FnOnce(&mut custodia_server::Config)) -> (TestServer, Staff, i64, String) {
    let clock = Clock::manual(Timestamp::parse("2025-06-01T12:00:00Z").unwrap());
    let server = TestServer::start_clocked(
        ["examples/agreements/us-sv-cecot.toml", "examples/agreements/dk-xk-gjilan.toml"]
            .iter()
            .map(|p| std::fs::read_to_string(common::repo().join(p)).unwrap())
            .collect(),
        |c| {
            c.alerts_interval_ms = 100;
            c.alert_retry_base_s = 1;
            adjust(c);
        },
        clock,
    )
    .await;
    let mut p = common::person("P-1", "Doe", "1990-01-01", "high");
    p.torture_risk_assessed_on = Some("2025-03-01".into());
    p.sentence_term = Some("27m".into());
    common::import_persons(&server, AGREEMENT, "US", vec![p]).await;
    common::import_cells(&server, AGREEMENT, &[("cecot", "C-1", "shared", "100", 20)]).await;
    let staff = staff(&server).await;
    let case = admit(&server, &staff, "P-1", "C-1", "2025-03-20").await;
    let (status, alerts) =
        server.get(&staff.sender, &format!("/api/v1/alerts?agreement={AGREEMENT}&on=2026-03-01")).await;
    assert_eq!(status, 200, "{alerts}");
    let held =
        alerts.as_array().unwrap().iter().find(|a| a["code"] == "HELD_BEYOND_RELEASE").expect("held by March 2026");
    let release = held["reason"].as_str().unwrap().strip_prefix("projected release was ").unwrap().to_owned();
    (server, staff, case, release)
}

/// `day` at `time` UTC.
fn at(day: &str, time: &str) -> Timestamp {
    Timestamp::parse(&format!("{day}T{time}Z")).unwrap()
}

async fn subscribe(server: &TestServer, token: &str, body: Value) -> Value {
    let (status, answer) = server.post(token, &format!("/api/v1/agreements/{AGREEMENT}/subscriptions"), body).await;
    assert_eq!(status, 201, "{answer}");
    answer
}

async fn deliveries(server: &TestServer, token: &str) -> Value {
    server.get(token, &format!("/api/v1/agreements/{AGREEMENT}/deliveries")).await.1
}

/// The delivery log once its newest delivery has been attempted `attempts` times (the receiver
/// answers before the scheduler records the attempt).
async fn log_after(server: &TestServer, token: &str, attempts: i64) -> Value {
    let started = Instant::now();
    loop {
        let log = deliveries(server, token).await;
        if log[0]["attempts"].as_i64() >= Some(attempts) || started.elapsed() > Duration::from_secs(10) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn webhook(url: &str) -> Value {
    json!({"channel": "webhook", "url": url, "secret": SECRET, "kinds": ["HELD_BEYOND_RELEASE"]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_beyond_release_alert_reaches_the_webhook_once_across_a_restart_and_then_its_resolution() {
    let (mut server, staff, case, release) = setup(|_| {}).await;
    let (receiver, url) = Receiver::start(0).await;
    subscribe(&server, &staff.sender, webhook(&url)).await;
    // The last minute before the release day in San Salvador (UTC−6): nothing to deliver.
    server.clock.set(at(&release, "05:59:00"));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(receiver.got().is_empty(), "{:?}", receiver.got());

    // The release day starts: delivered within a tick or two of the scheduler.
    server.clock.set(at(&release, "06:00:30"));
    let waited = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert!(waited < Duration::from_secs(2), "delivered after {waited:?}");
    let got = receiver.got();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].accepted && signature_holds(&got[0]), "{got:?}");
    let new = body(&got[0]);
    assert_eq!(new["event"], "new", "{new}");
    assert_eq!(new["agreement"], AGREEMENT);
    assert_eq!(new["alert"]["code"], "HELD_BEYOND_RELEASE");
    assert_eq!(new["alert"]["severity"], "critical");
    assert_eq!(new["alert"]["subject"], format!("case-{case}/P-1"));
    assert_eq!(new["alert"]["reason"]["en"], format!("projected release was {release}"));
    assert!(new["alert"]["reason"]["es"].as_str().unwrap().contains(&release), "{new}");
    assert_eq!(new["alert"]["first_seen_at"], format!("{release}T06:00:30Z"));
    assert_eq!(got[0].delivery, new["delivery"].to_string());
    // A forged body does not verify.
    let forged_body = String::from_utf8(got[0].body.clone()).unwrap().replacen("critical", "warning", 1);
    let forged = Received { body: forged_body.into_bytes(), ..got[0].clone() };
    assert!(!signature_holds(&forged));

    // The open alert is in the metrics.
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let gauge = format!(
        "custodia_open_alerts{{agreement=\"{AGREEMENT}\",severity=\"critical\",kind=\"HELD_BEYOND_RELEASE\"}} 1"
    );
    assert!(metrics.contains(&gauge), "{metrics}");

    // A restart on the same register, a minute later: nothing is sent again.
    server.restart().await;
    server.clock.set(at(&release, "06:01:30"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.got().len(), 1, "{:?}", receiver.got());
    let (status, log) = server.get(&staff.sender, &format!("/api/v1/agreements/{AGREEMENT}/deliveries")).await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("delivered"), Some(1)), "{log}");

    // Released that day: the alert resolves, delivered once too.
    let release_step = json!({"action": "release", "to": "VE", "reason": "SENTENCE_SERVED", "occurred_at": format!("{release}T15:00:00Z")});
    server.clock.set(at(&release, "16:00:00"));
    step(&server, &staff.facility, case, release_step).await;
    receiver.wait_for(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    assert_eq!(got.len(), 2, "{got:?}");
    let resolved = body(&got[1]);
    assert_eq!(resolved["event"], "resolved", "{resolved}");
    assert_eq!(resolved["alert"]["occurrence"], new["alert"]["occurrence"]);
    assert_eq!(resolved["alert"]["resolved_at"], format!("{release}T16:00:00Z"));
    assert!(signature_holds(&got[1]));
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(!metrics.contains("kind=\"HELD_BEYOND_RELEASE\""), "{metrics}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_the_same_delivery_again_with_backoff_across_a_restart() {
    let (mut server, staff, _, release) = setup(|_| {}).await;
    let (receiver, url) = Receiver::start(2).await;
    subscribe(&server, &staff.sender, webhook(&url)).await;
    server.clock.set(at(&release, "12:00:00"));
    receiver.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), 1, "not again before the first wait (1 s) has passed");
    let first = log_after(&server, &staff.sender, 1).await;
    assert_eq!(first[0]["status"], "pending", "{first}");
    assert_eq!(first[0]["attempts"], 1, "{first}");
    assert_eq!(first[0]["last_error"], "the receiver answered 500", "{first}");
    assert_eq!(first[0]["next_attempt_at"], at(&release, "12:00:01").unix_seconds(), "{first}");

    server.clock.set(at(&release, "12:00:01"));
    receiver.wait_for(2, Duration::from_secs(10)).await;
    let second = log_after(&server, &staff.sender, 2).await;
    assert_eq!(second[0]["next_attempt_at"], at(&release, "12:00:03").unix_seconds(), "twice as long: {second}");

    // Restarted while the delivery is pending: it resumes when due, not before.
    server.restart().await;
    server.clock.set(at(&release, "12:00:02"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.got().len(), 2);
    server.clock.set(at(&release, "12:00:03"));
    receiver.wait_for(3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.got();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got.iter().map(|r| r.accepted).collect::<Vec<_>>(), [false, false, true]);
    assert!(got.iter().all(|r| r.delivery == got[0].delivery && signature_holds(r)), "one delivery id: {got:?}");
    let done = log_after(&server, &staff.sender, 3).await;
    assert_eq!((done[0]["status"].as_str(), done[0]["attempts"].as_i64()), (Some("delivered"), Some(3)), "{done}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_stop_after_the_limit_and_the_delivery_is_marked_failed() {
    let (server, staff, _, release) = setup(|c| c.alert_max_attempts = 2).await;
    let (receiver, url) = Receiver::start(100).await;
    subscribe(&server, &staff.sender, webhook(&url)).await;
    server.clock.set(at(&release, "12:00:00"));
    receiver.wait_for(1, Duration::from_secs(10)).await;
    server.clock.set(at(&release, "13:00:00"));
    receiver.wait_for(2, Duration::from_secs(10)).await;
    server.clock.set(at(&release, "23:00:00"));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(receiver.got().len(), 2);
    let log = log_after(&server, &staff.sender, 2).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_i64()), (Some("failed"), Some(2)), "{log}");
    assert!(log[0]["next_attempt_at"].is_null(), "{log}");
    server.stop().await;
}

/// An SMTP server (aiosmtpd) writing what it receives to a maildir, or `None` (with a line
/// saying why) when Python or aiosmtpd is missing here; CI installs it and sets
/// `CUSTODIA_REQUIRE_SMTP_TEST`, which turns the skip into a failure (`.ci/run`).
fn smtp_server(dir: &std::path::Path) -> Option<(Stopped, u16)> {
    // The interpreter itself, not a wrapper script (pyenv's shims), so that killing it stops it.
    let probe = std::process::Command::new("python3")
        .args(["-c", "import aiosmtpd, sys; print(sys.executable)"])
        .stderr(std::process::Stdio::null())
        .output();
    let python = match probe {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout).unwrap().trim().to_owned(),
        _ => String::new(),
    };
    if python.is_empty() {
        // CI installs aiosmtpd and sets this: there the test must run.
        assert!(
            std::env::var_os("CUSTODIA_REQUIRE_SMTP_TEST").is_none(),
            "CUSTODIA_REQUIRE_SMTP_TEST: aiosmtpd missing"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SMTP test skipped: python3 with aiosmtpd is not installed (pip install aiosmtpd)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = std::process::Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(dir)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "aiosmtpd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((Stopped(child), port))
}

/// A child process, stopped when dropped (also when a test fails).
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_subscription_receives_the_alert_through_the_smtp_relay() {
    let maildir = std::env::temp_dir().join(format!("custodia-maildir-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&maildir);
    let Some((smtp, port)) = smtp_server(&maildir) else { return };
    let (server, staff, case, release) = setup(|c| {
        c.smtp = Some(custodia_server::config::SmtpRelay {
            host: "127.0.0.1".into(),
            port,
            from: "custodia@example.org".into(),
            starttls: false,
            credentials: None,
        });
    })
    .await;
    subscribe(
        &server,
        &staff.sender,
        json!({"channel": "email", "email": "duty@example.org", "kinds": ["HELD_BEYOND_RELEASE"]}),
    )
    .await;
    server.clock.set(at(&release, "12:00:00"));
    let started = Instant::now();
    let mail = loop {
        let files: Vec<_> = std::fs::read_dir(maildir.join("new")).map(|d| d.flatten().collect()).unwrap_or_default();
        if let Some(file) = files.first() {
            // Long header lines are folded (RFC 5322): unfolded here.
            break std::fs::read_to_string(file.path()).unwrap().replace("\n ", " ");
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no mail arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(mail.contains("To: duty@example.org"), "{mail}");
    assert!(mail.contains("From: custodia@example.org"), "{mail}");
    let subject = format!("Subject: [Custodia {AGREEMENT}] new critical alert HELD_BEYOND_RELEASE: case-{case}/P-1");
    assert!(mail.contains(&subject), "{mail}");
    assert!(mail.contains(&format!("projected release was {release}")), "{mail}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = log_after(&server, &staff.sender, 1).await;
    assert_eq!(log[0]["status"], "delivered", "{log}");
    server.stop().await;
    drop(smtp);
    let _ = std::fs::remove_dir_all(&maildir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_checked_by_field_role_and_scope() {
    let (server, staff, _, _) = setup(|_| {}).await;
    let path = format!("/api/v1/agreements/{AGREEMENT}/subscriptions");
    let refused = |body: Value| {
        let (server, path, token) = (&server, path.clone(), staff.sender.clone());
        async move {
            let (status, answer) = server.post(&token, &path, body).await;
            assert_eq!(status, 400, "{answer}");
            answer["field"].as_str().unwrap().to_owned()
        }
    };
    let hook = |change: Value| {
        let mut body = json!({"channel": "webhook", "url": "https://hooks.example.org/c", "secret": SECRET});
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    assert_eq!(refused(hook(json!({"url": "ftp://hooks.example.org/"}))).await, "url");
    assert_eq!(refused(hook(json!({"url": format!("https://h.example.org/{}", "a".repeat(2000))}))).await, "url");
    assert_eq!(refused(hook(json!({"secret": "short"}))).await, "secret");
    assert_eq!(refused(hook(json!({"kinds": ["HELD_BEYOND_RELEASE", "NOPE"]}))).await, "kinds[1]");
    assert_eq!(refused(hook(json!({"min_severity": "info"}))).await, "min_severity");
    assert_eq!(refused(json!({"channel": "email", "email": "not-an-address"})).await, "email");
    assert_eq!(refused(json!({"channel": "pager"})).await, "channel");
    let created = subscribe(&server, &staff.sender, hook(json!({"min_severity": "critical"}))).await;
    assert!(created.get("secret").is_none(), "{created}");
    assert_eq!(created["url"], "https://hooks.example.org/c");

    // Another agreement's user neither sees nor adds: 404, as for an agreement that does not exist.
    let other = server.user("gina", "sending_officer", &["dk-xk-gjilan"], &[]).await;
    assert_eq!(server.get(&other, &path).await.0, 404);
    assert_eq!(server.post(&other, &path, hook(json!({}))).await.0, 404);
    assert_eq!(server.get(&other, &format!("/api/v1/agreements/{AGREEMENT}/deliveries")).await.0, 404);
    // An agreement that does not exist is not found, even for a user of every agreement.
    let everywhere = server.user("eve", "auditor", &["*"], &[]).await;
    assert_eq!(server.get(&everywhere, "/api/v1/agreements/xx-none/subscriptions").await.0, 404);
    // A facility-bound officer and an admin may not (a notification names cases of every facility).
    assert_eq!(server.post(&staff.facility, &path, hook(json!({}))).await.0, 403);
    assert_eq!(server.post(&server.first_admin, &path, hook(json!({}))).await.0, 403);
    // An auditor of the agreement sees it; the sender removes it, once.
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    let (status, list) = server.get(&auditor, &path).await;
    assert_eq!((status, list.as_array().unwrap().len()), (200, 1), "{list}");
    let remove = |token: &str| {
        let url = server.url(&format!("{path}/{}", created["id"]));
        server.client.delete(url).bearer_auth(token).send()
    };
    assert_eq!(remove(&other).await.unwrap().status().as_u16(), 404);
    assert_eq!(remove(&staff.sender).await.unwrap().status().as_u16(), 204);
    let size = {
        use custodia_store::prelude::*;
        server.store.journal_size().await.unwrap()
    };
    assert_eq!(remove(&staff.sender).await.unwrap().status().as_u16(), 204, "removing twice is removing once");
    let after = {
        use custodia_store::prelude::*;
        server.store.journal_size().await.unwrap()
    };
    assert_eq!(after, size, "and writes nothing");
    let missing = server.client.delete(server.url(&format!("{path}/999"))).bearer_auth(&staff.sender).send();
    assert_eq!(missing.await.unwrap().status().as_u16(), 404);
    assert!(server.get(&auditor, &path).await.1.as_array().unwrap().is_empty());
    // The journal replays the subscription and its removal (the secret by its SHA-256).
    let (verified, replayed) = {
        use custodia_store::prelude::*;
        server.store.replay_journal().await.unwrap()
    };
    assert!(verified.first_mismatch.is_none() && replayed.difference.is_none(), "{verified:?} {replayed:?}");
    server.stop().await;
}
