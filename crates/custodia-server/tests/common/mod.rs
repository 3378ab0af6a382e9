//! A real server on port 0 with a fresh SQLite register, for end-to-end tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use custodia_store::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use custodia_server::Config;
use custodia_store::access::NewUser;
use custodia_store::{Actor, AgreementFile, Store, Timestamp};
use serde_json::{Value, json};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running server and a way to reach its register directly.
pub struct TestServer {
    /// The token of the admin `custodia init` made (`setup-admin`).
    pub first_admin: String,
    pub base: String,
    pub store: Store,
    pub dir: PathBuf,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    pg_cleanup: Option<(String, String)>,
    config: Config,
    /// The time the alert scheduler judges by.
    pub clock: custodia_server::clock::Clock,
}

/// The PostgreSQL server to test on, if any. Without one, says so once per test binary, so a
/// run that skipped half the suite does not look like a full pass.
fn postgres_url() -> Option<String> {
    static SKIPPED: std::sync::Once = std::sync::Once::new();
    let url = std::env::var("CUSTODIA_TEST_POSTGRES_URL").ok();
    if url.is_none() {
        // Written to the process's standard error directly: the test harness captures
        // `eprintln!` of passing tests, and this line must show on a passing run.
        SKIPPED.call_once(|| {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "PostgreSQL tests skipped: CUSTODIA_TEST_POSTGRES_URL is not set");
        });
    }
    url
}

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

pub fn actor(name: &str) -> Actor {
    Actor { name: name.into(), recorded_at: Timestamp::parse("2026-11-28T00:00:00Z").unwrap(), occurred_at: None }
}

impl TestServer {
    /// Starts a server with the given agreement files imported (paths relative to the repo root).
    pub async fn start(agreements: &[&str]) -> Self {
        Self::start_with(agreements, |_| {}).await
    }

    /// Starts a server, letting the test adjust the configuration.
    pub async fn start_with(agreements: &[&str], adjust: impl FnOnce(&mut Config)) -> Self {
        let sources = agreements.iter().map(|path| std::fs::read_to_string(repo().join(path)).unwrap()).collect();
        Self::start_sources(sources, adjust).await
    }

    /// Starts a server with agreements given as TOML text (an example amended for the test).
    pub async fn start_sources(sources: Vec<String>, adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_clocked(sources, adjust, custodia_server::clock::Clock::system()).await
    }

    /// Starts a server whose alert scheduler judges by `clock`.
    pub async fn start_clocked(
        sources: Vec<String>,
        adjust: impl FnOnce(&mut Config),
        clock: custodia_server::clock::Clock,
    ) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "custodia-server-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut config = Config { data_dir: dir.clone(), ..Config::default() };
        config.addr = "127.0.0.1:0".parse().unwrap();
        // With CUSTODIA_TEST_POSTGRES_URL (as in CI) every server test runs on a fresh PostgreSQL
        // database; without it, on SQLite in the data directory.
        let mut pg_cleanup = None;
        if let Some(server) = postgres_url() {
            use sqlx::Connection;
            let name = format!("custodia_srv_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
            let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
            config.database_url = Some(with_database(&server, &name));
            pg_cleanup = Some((server, name));
        }
        adjust(&mut config);
        let now = Timestamp::parse("2026-11-28T00:00:00Z").unwrap();
        let (app, first_admin) = custodia_server::App::init(&config, "setup-admin", None, &now).await.unwrap();
        let store = app.store().clone();
        for source in sources {
            let agreement = custodia_core::Agreement::from_toml(&source).unwrap();
            store
                .import_agreement(
                    &AgreementFile { agreement: &agreement, source: &source, effective_from: None },
                    &actor("setup"),
                )
                .await
                .unwrap();
        }
        let mut server = TestServer {
            first_admin: first_admin.secret,
            base: String::new(),
            store,
            dir,
            client: reqwest::Client::new(),
            shutdown: None,
            handle: None,
            pg_cleanup,
            config,
            clock,
        };
        server.serve(app).await;
        server
    }

    async fn serve(&mut self, app: custodia_server::App) {
        let listener = tokio::net::TcpListener::bind(self.config.addr).await.unwrap();
        self.base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            let _ = rx.await;
        };
        self.store = app.store().clone();
        let config = self.config.clone();
        let handle =
            tokio::spawn(custodia_server::serve_with_clock(app, config, listener, shutdown, self.clock.clone()));
        self.shutdown = Some(tx);
        self.handle = Some(handle);
    }

    /// Stops the server (graceful) and starts another on the same register.
    pub async fn restart(&mut self) {
        self.halt().await;
        let app = custodia_server::App::open(&self.config).await.unwrap();
        self.serve(app).await;
    }

    async fn halt(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.unwrap().unwrap();
        }
        self.store.close().await;
    }

    /// Adds a user and returns a token for them.
    pub async fn user(&self, name: &str, role: &str, agreements: &[&str], facilities: &[&str]) -> String {
        let user = NewUser {
            name: name.into(),
            name_key: name.trim().to_lowercase(),
            role: role.into(),
            agreements: agreements.iter().map(|s| (*s).to_owned()).collect(),
            facilities: if facilities.is_empty() {
                vec!["*".into()]
            } else {
                facilities.iter().map(|s| (*s).to_owned()).collect()
            },
            password_hash: None,
        };
        self.store.create_user(&user, &actor("setup")).await.unwrap();
        let (secret, hash) = custodia_server::auth::new_token().unwrap();
        self.store.create_token(name, &hash, "test", None, &actor("setup")).await.unwrap();
        secret
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let r = self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// A GET asking for answers in `language` (`Accept-Language`).
    pub async fn get_in(&self, token: &str, path: &str, language: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .header("Accept-Language", language)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let r = self.client.post(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// Stops the server (graceful) and removes its data.
    pub async fn stop(mut self) {
        self.halt().await;
        if let Some((server, name)) = self.pg_cleanup.take() {
            use sqlx::Connection;
            let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Opens a case for `person` directly in the register, on the day of `at` (RFC 3339) in the
/// agreement's zone, by `user`: the same rules as `POST /api/v1/cases` on that day. The API opens
/// cases on the wall clock's day, and the example agreements' terms do not follow the wall clock
/// (CECOT's ended on 2026-03-14), so tests that need a case on a fixed day open it here.
pub async fn propose_on(server: &TestServer, agreement: &str, person: &str, user: &str, at: &str) -> i64 {
    let at = Timestamp::parse(at).unwrap();
    let by = Actor { name: user.into(), recorded_at: at.clone(), occurred_at: None };
    let opened = server.store.propose_case(agreement, person, &custodia_app::cases::opener(&at), &by).await.unwrap();
    opened.unwrap_or_else(|refusal| panic!("person {person}: propose refused: {refusal}")).id
}

/// An example agreement (path relative to the repository root) with `from` replaced by `to`.
pub fn amended_example(path: &str, from: &str, to: &str) -> String {
    let source = std::fs::read_to_string(repo().join(path)).unwrap();
    assert!(source.contains(from), "{path} has no {from:?}");
    source.replacen(from, to, 1)
}

/// A person of the sending state with a final conviction and removal order, in `class`.
pub fn person(sending_id: &str, family_name: &str, birth_date: &str, class: &str) -> custodia_store::PersonData {
    custodia_store::PersonData {
        sending_id: sending_id.into(),
        family_name: family_name.into(),
        given_names: "Given".into(),
        birth_date: Some(birth_date.into()),
        nationalities: Some("VE".into()),
        conviction: Some("final".into()),
        offence_category: Some("drug".into()),
        sentence_start: Some("2024-01-01".into()),
        sentence_term: Some("60m".into()),
        jail_credit_days: Some(0),
        security_class: Some(class.into()),
        consent: None,
        removal_order: Some("final".into()),
        torture_risk: Some("no_risk".into()),
        torture_risk_assessed_on: Some("2025-05-01".into()),
        care_needs: Some("no".into()),
        removal_destination: Some("VE".into()),
    }
}

/// Imports persons for an agreement whose sending state is `sending_state`, directly.
pub async fn import_persons(
    server: &TestServer,
    agreement: &str,
    sending_state: &str,
    persons: Vec<custodia_store::PersonData>,
) {
    let file = custodia_store::PersonsFile {
        agreement_id: agreement,
        sending_state: custodia_core::CountryCode::parse(sending_state).unwrap(),
        persons: Box::new(persons.into_iter()),
    };
    server.store.import_persons(file, &actor("setup")).await.unwrap();
}

/// Imports cells (CSV text with the docs/capacity.md header) for an agreement, directly.
pub async fn import_cells(server: &TestServer, agreement: &str, cells: &[(&str, &str, &str, &str, u32)]) {
    let cells: Vec<custodia_core::capacity::Cell> = cells
        .iter()
        .map(|(facility, cell, kind, area, beds)| custodia_core::capacity::Cell {
            facility_id: custodia_core::FacilityId::parse(facility).unwrap(),
            cell_id: (*cell).into(),
            unit: "u".into(),
            kind: custodia_core::capacity::CellKind::parse(kind).unwrap(),
            area_m2: custodia_core::Decimal::parse(area).unwrap(),
            beds: *beds,
        })
        .collect();
    server.store.import_cells(agreement, &cells, &actor("setup")).await.unwrap();
}

/// Sends a GET, or a POST with `body` (`{}` when none), as `token`: the status and the body's text.
pub async fn send(
    server: &TestServer,
    token: &str,
    method: &str,
    path: &str,
    body: &Option<serde_json::Value>,
) -> (u16, String) {
    let request = match method {
        "GET" => server.client.get(server.url(path)),
        "DELETE" => server.client.delete(server.url(path)),
        _ => server.client.post(server.url(path)).json(body.as_ref().unwrap_or(&serde_json::json!({}))),
    };
    let r = request.bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// Who acts on a case in the server tests that drive the store directly, and when (2025-06-01,
/// within 90 days of the records' torture-risk assessment).
pub fn case_actor(user: &str) -> custodia_core::custody::Actor {
    custodia_core::custody::Actor {
        user: user.into(),
        occurred_at: "2025-06-01T10:00:00Z".into(),
        occurred_at_unix: custodia_store::Timestamp::parse("2025-06-01T10:00:00Z").unwrap().unix_seconds(),
        recorded_at: "2025-06-01T10:00:00Z".into(),
        reason: "TEST".into(),
    }
}

/// The id of the CECOT example agreement.
pub const CECOT_ID: &str = "us-sv-cecot";

/// Officers of the CECOT agreement: sending, receiving, and facility staff of `cecot`.
pub struct Staff {
    pub sender: String,
    pub receiver: String,
    pub facility: String,
}

/// `sam`, `rosa` and `fred` with tokens.
pub async fn staff(server: &TestServer) -> Staff {
    Staff {
        sender: server.user("sam", "sending_officer", &[CECOT_ID], &[]).await,
        receiver: server.user("rosa", "receiving_officer", &[CECOT_ID], &[]).await,
        facility: server.user("fred", "facility_officer", &[CECOT_ID], &["cecot"]).await,
    }
}

/// One transition, which must succeed.
pub async fn step(server: &TestServer, token: &str, case: i64, body: Value) {
    let (status, answer) = server.post(token, &format!("/api/v1/cases/{case}/transitions"), body.clone()).await;
    assert_eq!(status, 200, "{body} → {answer}");
}

/// Drives a case for `person` from proposal to custody, all on `admitted_on` (the register
/// screens the person on each step's day): opened in the register on that day, since the API
/// opens cases on the wall clock's day and the example agreement has ended.
pub async fn admit(server: &TestServer, staff: &Staff, person: &str, cell: &str, admitted_on: &str) -> i64 {
    let at = |time: &str| format!("{admitted_on}T{time}:00Z");
    let id = propose_on(server, CECOT_ID, person, "sam", &at("14:00")).await;
    let steps = [
        (&staff.sender, json!({"action": "screen", "reason": "SCREENED", "occurred_at": at("14:10")})),
        (
            &staff.sender,
            json!({"action": "approve", "reason": "APPROVED", "party": "sending", "occurred_at": at("14:20")}),
        ),
        (
            &staff.receiver,
            json!({"action": "approve", "reason": "APPROVED", "party": "receiving", "occurred_at": at("14:30")}),
        ),
        (&staff.sender, json!({"action": "schedule", "reason": "FLIGHT_BOOKED", "occurred_at": at("14:40")})),
        (&staff.sender, json!({"action": "depart", "reason": "FLIGHT_LEFT", "occurred_at": at("15:00")})),
    ];
    for (token, body) in steps {
        step(server, token, id, body).await;
    }
    step(
        server,
        &staff.facility,
        id,
        json!({
            "action": "admit",
            "reason": "ARRIVED",
            "occurred_at": at("16:00"),
            "admission": {
                "commitment_order": "CO-2025-0001",
                "admitted_on": admitted_on,
                "hour": 10,
                "visible_injuries": "none",
                "property": "clothes, a watch",
                "next_of_kin": "Maria Doe, +58 212 555 0100"
            },
            "placement": {"facility_id": "cecot", "cell_id": cell}
        }),
    )
    .await;
    let (status, case) = server.get(&staff.sender, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(case["state"], "in_custody", "{case}");
    id
}
