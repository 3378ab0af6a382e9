//! A register for command-line tests: created with `custodia init`, with users made on demand,
//! each command run as a registered user through `CUSTODIA_TOKEN` — as an operator would.
//!
//! A test names who acts with `--actor NAME` in its arguments (the harness takes it out and runs
//! the command with NAME's token); the user is created the first time with the role the command
//! needs. Without `--actor`, the command runs as a user of that role named after it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The binary with a clean environment (no register settings or token from the caller's shell).
pub fn custodia() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_custodia"));
    for name in
        ["CUSTODIA_DATABASE_URL", "CUSTODIA_DATA_DIR", "CUSTODIA_TOKEN", "CUSTODIA_SIGNING_KEY", "CUSTODIA_ADDR"]
    {
        command.env_remove(name);
    }
    command.current_dir(repo());
    command
}

pub struct Register {
    pub dir: PathBuf,
    /// Tokens by user name.
    tokens: RefCell<HashMap<String, String>>,
    /// On PostgreSQL: the server's URL, the test database's name and its URL (dropped with the
    /// register). `None`: SQLite in `dir`.
    postgres: Option<(String, String, String)>,
}

/// The PostgreSQL server to test on (`CUSTODIA_TEST_POSTGRES_URL`), if any. Without one, says so
/// once per test binary, so a run that skipped the PostgreSQL half does not look like a full pass.
/// The same as [`postgres_server`].
#[allow(dead_code)]
pub fn postgres_url() -> Option<String> {
    postgres_server()
}

pub fn postgres_server() -> Option<String> {
    static SKIPPED: std::sync::Once = std::sync::Once::new();
    let url = std::env::var("CUSTODIA_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        SKIPPED.call_once(|| {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "PostgreSQL tests skipped: CUSTODIA_TEST_POSTGRES_URL is not set");
        });
    }
    url
}

/// `server` (postgres://user@host:port/db?params) with another database.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// A fresh, empty database `name` on the PostgreSQL server `server`; returns its URL.
pub fn fresh_postgres_database(server: &str, name: &str) -> String {
    postgres_admin(server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).unwrap();
    postgres_admin(server, &format!("CREATE DATABASE {name}")).unwrap();
    with_database(server, name)
}

/// Drops a database made by [`fresh_postgres_database`] (best effort).
pub fn drop_postgres_database(server: &str, name: &str) {
    let _ = postgres_admin(server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// Runs one SQL statement on the PostgreSQL server (to create or drop a test database).
fn postgres_admin(server: &str, statement: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let mut admin = sqlx::PgConnection::connect(server).await?;
        sqlx::query(statement).execute(&mut admin).await?;
        admin.close().await
    })
}

/// A six-month per-diem agreement: $100.00 a day, $150.00 for high security.
pub const PER_DIEM_AGREEMENT: &str = r#"
id = "xx-test"
title = "Per-diem test agreement"
sending_state = "US"
receiving_state = "SV"
legal_custodian = "sending"
governing_law = "sending"
currency = "USD"
starts = 2025-01-01
ends = 2025-06-30
sentence_profile = "us-federal"
[[facilities]]
id = "f1"
name = "Facility one"
country = "SV"
stated_capacity = 100
contracted_places = 50
[fees]
model = "per_diem"
rate_minor = 10000
class_rates_minor = { high = 15000 }
"#;

/// The operational roles, each with a user made when the register is.
pub const ROLES: [&str; 8] = [
    "sending_officer",
    "receiving_officer",
    "facility_officer",
    "legal_officer",
    "finance_officer",
    "inspector",
    "auditor",
    "medical_officer",
];

/// The role a command needs (the capability table of docs/access.md, from the user's side).
pub fn role_for(args: &[&str]) -> &'static str {
    let word = |i: usize| args.get(i).copied().unwrap_or("");
    match (word(0), word(1)) {
        ("import", "agreement") | ("user", _) => "admin",
        ("import", "persons") => "sending_officer",
        ("import", "cells") | ("cells", "confirm") => "facility_officer",
        ("case", "approve") if args.contains(&"receiving") => "receiving_officer",
        ("case", "refuse") => "receiving_officer",
        (
            "case",
            "propose" | "screen" | "approve" | "schedule" | "depart" | "withdraw" | "schedule-return" | "turn-back",
        ) => "sending_officer",
        ("case", "admit" | "move" | "return" | "release" | "remove" | "record-death" | "approve-override") => {
            "facility_officer"
        }
        (
            "case",
            "resolve-review" | "confirm-review" | "place-hold" | "lift-hold" | "confirm-lift" | "decide-challenge",
        ) => "legal_officer",
        ("complaint", "file" | "escalate") => "sending_officer",
        ("complaint", "answer") => "facility_officer",
        ("care", "examine") => "medical_officer",
        ("care", "visit" | "place" | "end-solitary") => "facility_officer",
        ("incident", "file" | "notify" | "addendum") => "facility_officer",
        ("incident", "investigate") => "legal_officer",
        ("inspection", "file" | "recommendation") => "inspector",
        ("contact", "log") => "sending_officer",
        ("invoices", "draft" | "issue" | "credit-note") => "finance_officer",
        _ => "auditor",
    }
}

impl Register {
    /// A new register in a fresh directory, made by `custodia init --admin root`.
    pub fn new(name: &str) -> Self {
        Self::create(name, None)
    }

    /// A new register on a fresh PostgreSQL database of the test server (the signing key in a
    /// fresh directory), when `CUSTODIA_TEST_POSTGRES_URL` is set; every command then runs with
    /// `CUSTODIA_DATABASE_URL` naming it.
    pub fn new_on_postgres(name: &str) -> Option<Self> {
        let server = postgres_server()?;
        let database = format!("custodia_cli_{}_{}", name.replace('-', "_"), std::process::id());
        postgres_admin(&server, &format!("DROP DATABASE IF EXISTS {database}")).unwrap();
        postgres_admin(&server, &format!("CREATE DATABASE {database}")).unwrap();
        let url = with_database(&server, &database);
        Some(Self::create(&format!("{name}-pg"), Some((server, database, url))))
    }

    /// The register on SQLite, then (when a test server is set) on PostgreSQL: what a scenario
    /// runs on.
    pub fn on_every_database(name: &str) -> Vec<Self> {
        let mut registers = vec![Self::new(name)];
        registers.extend(Self::new_on_postgres(name));
        registers
    }

    /// Which database this register is on, for messages.
    pub fn database(&self) -> &'static str {
        if self.postgres.is_some() { "postgres" } else { "sqlite" }
    }

    /// The same as [`Register::on_every_database`].
    pub fn on_each_database(name: &str) -> Vec<Self> {
        Self::on_every_database(name)
    }

    /// `sqlite` or `postgres`, for messages.
    pub fn backend(&self) -> &'static str {
        self.database()
    }

    fn create(name: &str, postgres: Option<(String, String, String)>) -> Self {
        let dir = std::env::temp_dir().join(format!("custodia-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let r = Register { dir, tokens: RefCell::new(HashMap::new()), postgres };
        let out = r.bare(&["init", "--admin", "root"]);
        assert!(out.status.success(), "init: {}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let token = stdout.lines().find_map(|l| l.strip_prefix("admin token: ")).unwrap().to_owned();
        r.tokens.borrow_mut().insert("root".into(), token);
        // One user per role up front, so the events a test counts are only its own.
        for role in ROLES {
            r.token(&role.replace('_', "-"), role);
        }
        r
    }

    /// The journal's size as `custodia journal verify` (run on the host, no token) reports it.
    pub fn verified_events(&self) -> usize {
        let out = self.bare(&["journal", "verify"]);
        assert!(out.status.success(), "journal verify: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        text.strip_prefix("ok: ").and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).unwrap()
    }

    /// On PostgreSQL: the test server's URL and this register's database URL.
    pub fn postgres(&self) -> Option<(&str, &str)> {
        self.postgres.as_ref().map(|(server, _, url)| (server.as_str(), url.as_str()))
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The binary, pointed at this register (its data directory and, on PostgreSQL, its database).
    fn command(&self) -> Command {
        let mut command = custodia();
        command.env("CUSTODIA_DATA_DIR", self.data_dir());
        if let Some((_, _, url)) = &self.postgres {
            command.env("CUSTODIA_DATABASE_URL", url);
        }
        command
    }

    /// The binary pointed at this register, without a token, for a test to add to.
    pub fn command_bare(&self) -> Command {
        self.command()
    }

    /// Runs the binary on this register without a token.
    pub fn bare(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// The token of a user, created with `role` (scoped to every agreement) if new.
    pub fn token(&self, name: &str, role: &str) -> String {
        if let Some(t) = self.tokens.borrow().get(name) {
            return t.clone();
        }
        let root = self.tokens.borrow().get("root").unwrap().clone();
        let add = self
            .command()
            .args(["user", "add", name, "--role", role, "--agreements", "*"])
            .env("CUSTODIA_TOKEN", &root)
            .output()
            .unwrap();
        assert!(add.status.success(), "user add {name}: {}", String::from_utf8_lossy(&add.stderr));
        self.host_token(name)
    }

    /// A token for an existing user, issued on the host (`custodia user token NAME`).
    pub fn host_token(&self, name: &str) -> String {
        let issued = self.bare(&["user", "token", name]);
        assert!(issued.status.success(), "user token {name}: {}", String::from_utf8_lossy(&issued.stderr));
        let stdout = String::from_utf8(issued.stdout).unwrap();
        let token = stdout.split_whitespace().find(|w| w.starts_with("cst_")).unwrap().to_owned();
        self.tokens.borrow_mut().insert(name.to_owned(), token.clone());
        token
    }

    /// Runs a command as `--actor NAME` when given (taken out of the arguments), else as a user
    /// of the role the command needs.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut args: Vec<&str> = args.to_vec();
        let role = role_for(&args);
        let who = match args.iter().position(|a| *a == "--actor") {
            Some(i) => {
                let name = args[i + 1].to_owned();
                args.drain(i..=i + 1);
                name
            }
            None if role == "admin" => "root".to_owned(),
            None => role.replace('_', "-"),
        };
        let token = self.token(&who, role);
        self.run_with_token(&token, &args)
    }

    /// Runs a command with a given token.
    pub fn run_with_token(&self, token: &str, args: &[&str]) -> Output {
        self.command().args(args).env("CUSTODIA_TOKEN", token).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command that must be refused (exit 2) and returns its message.
    pub fn refused(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?} should be refused: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(output.stdout.is_empty(), "{args:?} printed on a refusal");
        String::from_utf8(output.stderr).unwrap()
    }

    pub fn file(&self, name: &str, contents: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }

    pub fn journal_size(&self) -> usize {
        self.ok(&["journal", "export"]).lines().count()
    }

    /// Opens a case for `person` in the register as `user`, on the day of `at` (RFC 3339) in the
    /// agreement's zone, with the rules `custodia case propose` applies on that day; returns its
    /// id. The command opens cases on the wall clock's day, and the terms of the agreements these
    /// tests replay do not follow the wall clock (CECOT's ended on 2026-03-14, Norgerhaven's in
    /// 2018), so a test that replays a past transfer opens its case here and takes every later
    /// step with `--occurred-at`. Recorded now, occurred at `at`.
    pub fn propose_on(&self, agreement: &str, person: &str, user: &str, at: &str) -> i64 {
        use custodia_store::prelude::*;
        let at = custodia_store::Timestamp::parse(at).unwrap();
        #[allow(clippy::disallowed_methods)] // recorded_at is the wall clock's, as the command's
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let recorded_at = custodia_store::Timestamp::from_unix_seconds(i64::try_from(now).unwrap()).unwrap();
        let by = custodia_store::Actor { name: user.into(), recorded_at, occurred_at: Some(at.clone()) };
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let store = custodia_store::Store::open(&custodia_store::Target::DataDir(self.data_dir())).await.unwrap();
            let opened = store.propose_case(agreement, person, &custodia_app::cases::opener(&at), &by).await;
            store.close().await;
            opened.unwrap().unwrap_or_else(|refusal| panic!("person {person}: propose refused: {refusal}")).id
        })
    }
}

impl Register {
    /// The register's database: the SQLite file's URL, or the PostgreSQL test database's.
    pub fn database_url(&self) -> String {
        match &self.postgres {
            Some((_, _, url)) => url.clone(),
            None => format!("sqlite://{}", self.data_dir().join(custodia_store::SQLITE_FILE).display()),
        }
    }

    /// A copy of this register — its directory (data, signing key) and, on PostgreSQL, its
    /// database (`CREATE DATABASE … TEMPLATE`) — for a test to damage; removed when dropped.
    pub fn copy(&self, name: &str) -> Register {
        let dir = std::env::temp_dir().join(format!("custodia-cli-copy-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&self.dir, &dir);
        let postgres = self.postgres.as_ref().map(|(server, database, _)| {
            let copy = format!("{database}_{}", name.replace('-', "_"));
            postgres_admin(server, &format!("DROP DATABASE IF EXISTS {copy}")).unwrap();
            postgres_admin(server, &format!("CREATE DATABASE {copy} TEMPLATE {database}")).unwrap();
            let url = with_database(server, &copy);
            (server.clone(), copy, url)
        });
        Register { dir, tokens: RefCell::new(self.tokens.borrow().clone()), postgres }
    }

    /// Runs SQL statements on the register's database directly, around Custodia (as someone with
    /// the database's password would).
    pub fn sql(&self, statements: &[&str]) {
        use sqlx::Connection;
        let url = self.database_url();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            if self.postgres.is_some() {
                let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
                for s in statements {
                    sqlx::query(s).execute(&mut c).await.unwrap_or_else(|e| panic!("{s}: {e}"));
                }
                c.close().await.unwrap();
            } else {
                let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
                for s in statements {
                    sqlx::query(s).execute(&mut c).await.unwrap_or_else(|e| panic!("{s}: {e}"));
                }
                c.close().await.unwrap();
            }
        });
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

impl Drop for Register {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((server, database, _)) = &self.postgres {
            // Best effort: a failing drop must not turn a test's own failure into an abort.
            let _ = postgres_admin(server, &format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"));
        }
    }
}
