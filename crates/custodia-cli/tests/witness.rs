//! Issue 16: witnesses (docs/journal.md#witnesses), end to end, every party a separate process —
//! two `custodia witness serve`, a register served by `custodia serve` that offers them its
//! checkpoints; the served checkpoint carries both cosignatures and `journal check` can require 2
//! of 2; when the register grows, the witnesses cosign again on a consistency proof; a forked
//! history signed with the same key is refused by a witness (422), which keeps the history it saw.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::disallowed_methods)] // the test waits on the wall clock

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("custodia-witness-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn custodia() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custodia"));
    for var in ["CUSTODIA_DATABASE_URL", "CUSTODIA_ADDR", "CUSTODIA_DATA_DIR", "CUSTODIA_TOKEN", "CUSTODIA_WITNESSES"] {
        command.env_remove(var);
    }
    command.current_dir(std::env::temp_dir());
    command
}

fn ok(command: &mut Command) -> String {
    let out: Output = command.output().unwrap();
    assert!(out.status.success(), "{command:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Stops the child on drop, so a failing test leaves nothing running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a long-running command and waits for its `address: http://HOST:PORT` line; the other
/// lines it printed before.
fn start(command: &mut Command) -> (Running, String, Vec<String>) {
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        let line = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| panic!("no address line: {seen:?}"));
        if let Some(url) = line.strip_prefix("address: http://") {
            return (running, url.to_owned(), seen);
        }
        seen.push(line);
    }
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

fn get(addr: &str, path: &str) -> (u16, String) {
    request(addr, &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"))
}

fn post(addr: &str, path: &str, token: Option<&str>, content_type: &str, body: &str) -> (u16, String) {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let length = body.len();
    request(
        addr,
        &format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n{body}"
        ),
    )
}

/// A register in `dir`: its admin's token.
fn register(dir: &Path, admin: &str) -> String {
    let out = ok(custodia().args(["init", "--admin", admin, "--data-dir"]).arg(dir));
    out.lines().find_map(|l| l.strip_prefix("admin token: ")).unwrap().to_owned()
}

/// Waits until the register's `/checkpoint` has at least `size` events and cosignatures of every
/// witness named; the checkpoint.
fn cosigned(addr: &str, size: u64, witnesses: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, note) = get(addr, "/checkpoint");
        assert_eq!(status, 200, "{note}");
        let at: u64 = note.lines().nth(1).unwrap().parse().unwrap();
        if at >= size && witnesses.iter().all(|w| note.contains(&format!("\u{2014} {w} "))) {
            return note;
        }
        assert!(Instant::now() < deadline, "not cosigned by {witnesses:?} at {size} within 60 s: {note}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_witnesses_cosign_the_register_and_refuse_a_forked_history() {
    let dir = temp_dir("e2e");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let token = register(&a, "ana.admin");
    let log_key = ok(custodia().args(["journal", "key", "--data-dir"]).arg(&a)).trim().to_owned();

    // Two witnesses, run by the sending state and by an ombudsman.
    let mut witnesses = Vec::new();
    for name in ["sending.example/witness", "ombudsman.example/witness"] {
        let key_file = dir.join(format!("{}.key", name.split('.').next().unwrap()));
        let key =
            ok(custodia().args(["witness", "key", "--name", name, "--key-file"]).arg(&key_file)).trim().to_owned();
        let state = dir.join(format!("{}.state", name.split('.').next().unwrap()));
        let (running, addr, seen) = start(
            custodia()
                .args(["witness", "serve", "--name", name, "--log", &log_key, "--addr", "127.0.0.1:0", "--key-file"])
                .arg(&key_file)
                .arg("--state")
                .arg(&state),
        );
        assert!(seen.iter().any(|l| l == &format!("witness key: {key}")), "{seen:?}");
        witnesses.push((name, key, addr, running));
    }
    let setting: Vec<String> = witnesses.iter().map(|(_, key, addr, _)| format!("http://{addr} {key}")).collect();
    let (_server, register_addr, _) = start(
        custodia()
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(&a)
            .env("CUSTODIA_WITNESSES", setting.join(", "))
            .env("CUSTODIA_WITNESS_INTERVAL_MS", "200"),
    );
    let names: Vec<&str> = witnesses.iter().map(|(n, ..)| *n).collect();
    let note = cosigned(&register_addr, 1, &names);
    let file = dir.join("checkpoint.note");
    std::fs::write(&file, &note).unwrap();
    let mut check = custodia();
    check.args(["journal", "check", "--key", &log_key, "--checkpoint"]).arg(&file);
    for (_, key, ..) in &witnesses {
        check.args(["--witness", key]);
    }
    let checked = ok(check.args(["--witnesses-required", "2"]));
    assert!(checked.contains("ok: cosigned by 2 of 2 witnesses"), "{checked}");

    // The register grows: both cosign the new tree, each on a consistency proof.
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    let user = r#"{"name": "ines", "role": "inspector", "agreements": ["*"]}"#;
    let (status, body) = post(&register_addr, "/api/v1/users", Some(&token), "application/json", user);
    assert!(status == 201 || status == 202, "{status} {body}");
    let grown = cosigned(&register_addr, size + 1, &names);
    let grown_size: u64 = grown.lines().nth(1).unwrap().parse().unwrap();
    assert!(grown_size > size);

    // A fork: another history under the same signing key, longer than the one the witnesses saw.
    std::fs::create_dir_all(&b).unwrap();
    std::fs::copy(a.join("journal-signing.key"), b.join("journal-signing.key")).unwrap();
    let forked_token = register(&b, "mallory.admin");
    for i in 0..(grown_size + 3) {
        let out = custodia()
            .args(["user", "add", &format!("u{i}"), "--role", "auditor", "--agreements", "*", "--data-dir"])
            .arg(&b)
            .env("CUSTODIA_TOKEN", &forked_token)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let forked_note = ok(custodia().args(["journal", "checkpoint", "--data-dir"]).arg(&b));
    let forked_size: u64 = forked_note.lines().nth(1).unwrap().parse().unwrap();
    assert!(forked_size > grown_size, "{forked_size} > {grown_size}");
    let proof = ok(custodia()
        .args(["journal", "prove", "--old-size", &grown_size.to_string(), "--data-dir"])
        .arg(&b)
        .env("CUSTODIA_TOKEN", &forked_token));
    let proof: serde_json::Value = serde_json::from_str(&proof).unwrap();
    let lines: String =
        proof["proof"].as_array().unwrap().iter().map(|h| format!("{}\n", h.as_str().unwrap())).collect();
    let witness_addr = &witnesses[1].2;
    let (status, answer) =
        post(witness_addr, "/add-checkpoint", None, "text/plain", &format!("old {grown_size}\n{lines}\n{forked_note}"));
    assert_eq!(status, 422, "the witness refuses the fork: {answer}");
    let (status, answer) =
        post(witness_addr, "/add-checkpoint", None, "text/plain", &format!("old 0\n\n{forked_note}"));
    assert_eq!((status, answer.trim()), (409, grown_size.to_string().as_str()), "it holds the history it saw");
    let (_, state) = get(witness_addr, "/");
    assert!(state.contains(&format!(" {grown_size} ")), "{state}");
    // The forked checkpoint has no cosignature: a verifier requiring one witness rejects it.
    let forked_file = dir.join("forked.note");
    std::fs::write(&forked_file, &forked_note).unwrap();
    let refused = custodia()
        .args(["journal", "check", "--key", &log_key, "--witness", &witnesses[1].1, "--witnesses-required", "1"])
        .arg("--checkpoint")
        .arg(&forked_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("1 of 1 witnesses must have cosigned the checkpoint; 0 did"), "{stderr}");
    // And the register goes on being cosigned.
    let (status, body) =
        post(&register_addr, "/api/v1/users", Some(&token), "application/json", &user.replace("ines", "iris"));
    assert!(status == 201 || status == 202, "{status} {body}");
    cosigned(&register_addr, grown_size + 1, &names);
    drop(witnesses);
    let _ = std::fs::remove_dir_all(&dir);
}
