//! `custodia demo`: one command makes a living register and serves it (docs/command-line.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::disallowed_methods)] // the test waits on the wall clock

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod common;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("custodia-demo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn custodia() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custodia"));
    command.env_remove("CUSTODIA_DATABASE_URL").env_remove("CUSTODIA_ADDR").env_remove("CUSTODIA_DATA_DIR");
    command.current_dir(std::env::temp_dir());
    command
}

/// A plain HTTP/1.1 GET: the status and the body.
fn get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"))
}

/// A plain HTTP/1.1 POST of a JSON body: the status and the body.
fn post_json(addr: &str, path: &str, json: &str) -> (u16, String) {
    let length = json.len();
    request(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{json}"
        ),
    )
}

fn request(addr: &str, text: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(text.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}

/// Stops the child on drop, so a failing test leaves no server behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill -TERM failed");
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < limit, "the demo did not stop within {limit:?} of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn demo_builds_a_living_register_and_serves_it() {
    let dir = temp_dir("serve");
    let child = custodia()
        .args(["demo", "--addr", "127.0.0.1:0", "--people", "400", "--data-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    let stderr = running.0.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = BufReader::new(stderr).read_to_string(&mut text);
        text
    });

    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    let addr = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = received
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no `address:` line within 120 s; standard output so far: {seen:#?}"));
        if let Some(url) = line.strip_prefix("address: ") {
            break url.strip_prefix("http://").expect("address: http://HOST:PORT").to_owned();
        }
        seen.push(line);
    };
    let token = seen
        .iter()
        .find_map(|l| l.strip_prefix("admin token: "))
        .unwrap_or_else(|| panic!("no `admin token:` line before the address: {seen:#?}"))
        .to_owned();
    assert!(seen.iter().any(|l| l.contains("/api/v1/agreements") && l.contains(&token)), "walk-through: {seen:#?}");
    assert!(seen.iter().any(|l| l.contains(&format!("http://{addr}/locator?person_id=P"))), "{seen:#?}");

    let (status, _) = get(&addr, "/healthz", None);
    assert_eq!(status, 200);
    let (status, body) = get(&addr, "/api/v1/agreements", Some(&token));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("us-sv-cecot"), "{body}");
    let (status, _) = get(&addr, "/api/v1/agreements", None);
    assert_eq!(status, 401, "the API needs the token");
    every_demo_user_signs_in(&addr, &dir);
    let (status, body) = get(&addr, "/api/v1/alerts?agreement=us-sv-cecot&on=2026-03-10", Some(&token));
    assert_eq!(status, 200, "{body}");
    let alerts: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert!(
        alerts.iter().any(|a| a["code"] == "OVERRIDE_EXPIRED" && a["subject"] == "cell-cecot/B1-C01"),
        "the override of the crowded cell has expired by the end: {body}"
    );
    // The detainee's side (docs/rights.md): everyone admitted was examined in time and visited by
    // the consul; one person's family calls were cut below the minimum.
    let count = |code: &str| alerts.iter().filter(|a| a["code"] == code).count();
    assert_eq!(count("VISITS_BELOW_MINIMUM"), 1, "{body}");
    assert_eq!((count("MEDICAL_EXAM_OVERDUE"), count("CONSULAR_ACCESS_OVERDUE")), (0, 0), "{body}");
    let (status, body) = get(&addr, "/api/v1/care?agreement=us-sv-cecot&limit=1000", Some(&token));
    assert_eq!(status, 200, "{body}");
    let care: serde_json::Value = serde_json::from_str(&body).unwrap();
    let items = care["items"].as_array().unwrap();
    assert!(
        items.iter().any(|c| c["kind"] == "examination" && c["examination"]["health_file_withheld"] == true),
        "{body}"
    );
    assert!(!body.contains("TB screening"), "the admin never reads a health file");
    let (status, body) = get(&addr, "/api/v1/complaints?agreement=us-sv-cecot", Some(&token));
    assert_eq!(status, 200, "{body}");
    let complaints: serde_json::Value = serde_json::from_str(&body).unwrap();
    let late: Vec<bool> = complaints["items"].as_array().unwrap().iter().map(|c| c["answer"]["late"] == true).collect();
    assert_eq!(late, [false, true], "two complaints answered, one late: {body}");
    let (status, body) = get(&addr, "/api/v1/cases/1", Some(&token));
    assert_eq!(status, 200, "{body}");
    let turned: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(turned["state"], "returned", "turned back in the air: {body}");
    assert_eq!(turned["holds"][0]["order"], "return", "{body}");
    // The year's challenge of a transfer, dismissed by two legal officers (docs/rights.md#challenges).
    let (status, body) = get(&addr, "/api/v1/holds?agreement=us-sv-cecot", Some(&token));
    assert_eq!(status, 200, "{body}");
    let holds: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert!(
        holds.iter().any(|h| h["order"] == "challenge" && h["decision"] == "dismissed" && h["stands"] == false),
        "{body}"
    );

    sigterm(&running.0);
    let status = wait_exit(&mut running.0, Duration::from_secs(30));
    assert!(status.success(), "the demo exits 0 on SIGTERM: {status:?}");
    let log = errors.join().unwrap();
    assert!(log.contains("screened as of 2025-03-15"), "{log}");
    assert!(!log.contains("warning:"), "every simulated step is accepted: {log}");
    assert!(log.contains("12 invoices issued"), "{log}");
    // The three safeguards the demo shows (docs/lifecycle.md#safeguards), each refused by the
    // register itself.
    for refusal in [
        "approve refused: NOT_ELIGIBLE: E07",
        "admit refused: ON_HOLD",
        "admit refused: NEEDS_OVERRIDE",
        "schedule refused: CHALLENGE_PENDING",
    ] {
        assert!(log.lines().any(|l| l.contains("safeguard held on") && l.contains(refusal)), "{refusal}: {log}");
    }

    let verify = custodia().args(["journal", "verify", "--data-dir"]).arg(&dir).output().unwrap();
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success() && text.starts_with("ok:"), "{text}{}", String::from_utf8_lossy(&verify.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

/// demo-users.json lists every user of the simulation with a token and a password that both work.
fn every_demo_user_signs_in(addr: &str, dir: &Path) {
    let text = std::fs::read_to_string(dir.join("demo-users.json")).unwrap();
    let users: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let names: Vec<&str> = users.iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 11, "one user per role, two legal and two finance officers: {names:?}");
    assert!(names.contains(&"admin") && names.contains(&"cecot.staff"), "{names:?}");
    for user in &users {
        let (name, token) = (user["name"].as_str().unwrap(), user["token"].as_str().unwrap());
        let (status, body) = get(addr, "/api/v1/agreements", Some(token));
        assert_eq!(status, 200, "{name}'s token: {body}");
        let login = serde_json::json!({ "name": name, "password": user["password"] }).to_string();
        let (status, body) = post_json(addr, "/api/v1/login", &login);
        assert_eq!(status, 201, "{name}'s password: {body}");
    }
}

fn demo_once(dir: &Path, extra: &[&str]) -> std::process::Output {
    custodia()
        .args(["demo", "--addr", "127.0.0.1:0", "--people", "10"])
        .args(extra)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn a_non_empty_data_dir_is_refused_without_reset() {
    let dir = temp_dir("refuse");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let out = demo_once(&dir, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("--data-dir") && message.contains("--reset"), "{message}");
    assert!(out.stdout.is_empty());
    // --reset never removes a directory that is not a Custodia data directory.
    let out = demo_once(&dir, &["--reset"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11: `demo --reset` deleted the old register before finding the port busy.
#[test]
fn demo_reset_finds_a_busy_port_before_deleting_anything() {
    let dir = temp_dir("busy-port");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("custodia.db"), "the old register").unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = custodia()
        .args(["demo", "--reset", "--people", "10", "--addr", &addr, "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let message = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{message}");
    assert!(message.contains("cannot listen on"), "{message}");
    assert_eq!(std::fs::read_to_string(dir.join("custodia.db")).unwrap(), "the old register");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 11: `demo --reset` deleted the register a running demo still served; the running demo
/// holds the data directory's lock and the second one refuses, naming the directory.
#[test]
fn demo_reset_refuses_a_directory_another_demo_serves() {
    let dir = temp_dir("locked");
    let child = custodia()
        .args(["demo", "--addr", "127.0.0.1:0", "--people", "10", "--data-dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = BufReader::new(running.0.stdout.take().unwrap());
    let serving = stdout.lines().map_while(Result::ok).any(|line| line.starts_with("address: "));
    assert!(serving, "the first demo never served");
    let out = demo_once(&dir, &["--reset"]);
    let message = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{message}");
    assert!(message.contains(&dir.display().to_string()) && message.contains("another process"), "{message}");
    assert!(dir.join("custodia.db").is_file(), "the served register is still there");
    sigterm(&running.0);
    let status = wait_exit(&mut running.0, Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    // Once the first demo has stopped, --reset may start again.
    let out = demo_once_and_stop(&dir);
    assert!(out, "a reset after the first demo stopped works");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `demo --reset` on `dir`, waits until it serves, stops it; whether it served.
fn demo_once_and_stop(dir: &Path) -> bool {
    demo_with_and_stop(dir, &[])
}

/// Starts `demo --reset` on `dir` with `extra` arguments, waits until it serves, stops it; whether
/// it served.
fn demo_with_and_stop(dir: &Path, extra: &[&str]) -> bool {
    let child = custodia()
        .args(["demo", "--reset", "--addr", "127.0.0.1:0", "--people", "10"])
        .args(extra)
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = BufReader::new(running.0.stdout.take().unwrap());
    let served = stdout.lines().map_while(Result::ok).any(|line| line.starts_with("address: "));
    sigterm(&running.0);
    wait_exit(&mut running.0, Duration::from_secs(30));
    served
}

/// `demo --database URL` keeps the register in that PostgreSQL database (the service benchmark on
/// PostgreSQL runs on it): the journal there verifies, and the data directory holds no SQLite file.
#[test]
fn demo_on_postgres_keeps_its_register_there() {
    let Some(server) = common::postgres_server() else { return };
    let url = common::fresh_postgres_database(&server, "custodia_demo_pg");
    let dir = temp_dir("postgres");
    assert!(demo_with_and_stop(&dir, &["--database", &url]), "the demo served on PostgreSQL");
    assert!(!dir.join(custodia_store::SQLITE_FILE).exists(), "no SQLite register beside it");
    let verify = custodia().args(["journal", "verify", "--database", &url, "--data-dir"]).arg(&dir).output().unwrap();
    let shown = String::from_utf8_lossy(&verify.stdout);
    assert!(verify.status.success(), "{shown}{}", String::from_utf8_lossy(&verify.stderr));
    assert!(shown.contains("events"), "{shown}");
    common::drop_postgres_database(&server, "custodia_demo_pg");
    let _ = std::fs::remove_dir_all(&dir);
}
