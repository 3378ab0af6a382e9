//! The storage contract's conformance suite. Every test runs on SQLite (a fresh file in a temp
//! directory) and, when `CUSTODIA_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database
//! created for the test on that server (and dropped afterwards).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use custodia_core::Agreement;
use custodia_core::ids::CountryCode;
use custodia_store::prelude::*;
use custodia_store::{Actor, AgreementFile, PersonData, PersonsFile, Store, StoreError, Target, Timestamp};
use sqlx::Connection;

const AGREEMENT: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty register on one backend, and how to reach its database directly (to play the
/// attacker in tamper tests).
struct Fixture {
    store: Store,
    raw: Raw,
    cleanup: Option<(String, String)>,
    dir: Option<PathBuf>,
}

enum Raw {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Fixture {
    async fn sqlite() -> Fixture {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("custodia-conformance-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&Target::DataDir(dir.clone())).await.unwrap();
        Fixture { store, raw: Raw::Sqlite(dir.join(custodia_store::SQLITE_FILE)), cleanup: None, dir: Some(dir) }
    }

    async fn postgres(server: &str) -> Fixture {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let name = format!("custodia_test_{}_{n}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
        let url = with_database(server, &name);
        let store = Store::open(&Target::Url(url.clone())).await.unwrap();
        Fixture { store, raw: Raw::Postgres(url), cleanup: Some((server.to_owned(), name)), dir: None }
    }

    async fn finish(self) {
        self.store.close().await;
        if let Some((server, name)) = self.cleanup {
            let mut admin = sqlx::PgConnection::connect(&server).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
        }
        if let Some(dir) = self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// Runs SQL directly against the database, bypassing Custodia (an attacker with file or
    /// superuser access). Returns the error text if the database refused.
    async fn raw_sql(&self, statements: &[&str]) -> Result<(), String> {
        match &self.raw {
            Raw::Sqlite(path) => {
                let url = format!("sqlite://{}", path.display());
                let mut c = sqlx::SqliteConnection::connect(&url).await.map_err(|e| e.to_string())?;
                for s in statements {
                    sqlx::query(s).execute(&mut c).await.map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            Raw::Postgres(url) => {
                let mut c = sqlx::PgConnection::connect(url).await.map_err(|e| e.to_string())?;
                for s in statements {
                    sqlx::query(s).execute(&mut c).await.map_err(|e| e.to_string())?;
                }
                Ok(())
            }
        }
    }

    fn is_postgres(&self) -> bool {
        matches!(self.raw, Raw::Postgres(_))
    }
}

fn with_database(server: &str, name: &str) -> String {
    // postgres://user@host:port/db?params → replace the path.
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

/// Runs `test` on every available backend.
macro_rules! on_every_backend {
    ($name:ident, $test:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let f = Fixture::sqlite().await;
            $test(&f).await;
            f.finish().await;
            if let Some(server) = postgres_url() {
                let f = Fixture::postgres(&server).await;
                $test(&f).await;
                f.finish().await;
            }
        }
    };
}

fn actor() -> Actor {
    Actor {
        name: "conformance".into(),
        recorded_at: Timestamp::parse("2026-11-27T12:00:00Z").unwrap(),
        occurred_at: None,
    }
}

/// Who acts on a case in these tests, and when.
fn case_actor(user: &str) -> custodia_core::custody::Actor {
    custodia_core::custody::Actor {
        user: user.into(),
        // Within 90 days of the records' torture-risk assessment (2025-05-01), so the register's
        // screening on the step's day is eligible.
        occurred_at: "2025-06-01T10:00:00Z".into(),
        occurred_at_unix: Timestamp::parse("2025-06-01T10:00:00Z").unwrap().unix_seconds(),
        recorded_at: "2025-06-01T10:00:00Z".into(),
        reason: "TEST".into(),
    }
}

/// Takes a proposed case to `in_transit`: screened eligible, approved by two users, scheduled, gone.
async fn to_transit(store: &Store, case_id: i64) {
    use custodia_core::agreement::Party;
    use custodia_core::custody::Command;
    use custodia_store::cases::{CaseCall, CaseRequest};
    for (command, user) in [
        (Command::Screen, "s"),
        (Command::Approve { state: Party::Sending }, "a"),
        (Command::Approve { state: Party::Receiving }, "b"),
        (Command::Schedule, "a"),
        (Command::Depart, "a"),
    ] {
        store
            .act_on_case(
                &CaseCall::new(case_id, "step", CaseRequest::Plain(command), case_actor(user), actor()),
                &decide,
            )
            .await
            .unwrap()
            .unwrap();
    }
}

/// The core's rules, as the callers pass them.
fn decide(
    facts: &custodia_core::custody::CaseFacts,
    call: &custodia_store::cases::CaseCall,
) -> Result<custodia_core::custody::CaseChange, custodia_core::custody::Decline> {
    custodia_core::custody::decide(facts, &call.request, &call.actor)
}

/// A new case, refused without a legal basis on the proposal's day (2025-06-01).
fn open(
    agreement: &Agreement,
    person: &PersonData,
) -> Result<custodia_core::custody::Case, custodia_core::custody::Refusal> {
    custodia_core::custody::open_case(agreement, person, custodia_core::Date::parse("2025-06-01").unwrap())
}

fn agreement() -> Agreement {
    Agreement::from_toml(AGREEMENT).unwrap()
}

fn person(i: u32) -> PersonData {
    PersonData {
        sending_id: format!("P{i:06}"),
        family_name: format!("Family {i}"),
        given_names: "Given".into(),
        birth_date: Some("1990-01-01".into()),
        nationalities: Some("VE".into()),
        conviction: Some("final".into()),
        offence_category: Some("drug".into()),
        sentence_start: Some("2024-01-01".into()),
        sentence_term: Some("60m".into()),
        jail_credit_days: Some(i % 7),
        security_class: Some("medium".into()),
        consent: None,
        removal_order: Some("final".into()),
        torture_risk: Some("no_risk".into()),
        torture_risk_assessed_on: Some("2025-05-01".into()),
        removal_destination: Some("VE".into()),
        care_needs: Some("no".into()),
    }
}

fn file(persons: &[PersonData]) -> PersonsFile<'static> {
    let rows = persons.to_vec();
    PersonsFile {
        agreement_id: "us-sv-cecot",
        sending_state: CountryCode::parse("US").unwrap(),
        persons: Box::new(rows.into_iter()),
    }
}

async fn import(store: &Store, persons: &[PersonData]) -> custodia_store::PersonsImport {
    store.import_persons(file(persons), &actor()).await.unwrap()
}

async fn import_agreement(store: &Store, source: &str) -> custodia_store::AgreementImport {
    let agreement = Agreement::from_toml(source).unwrap();
    store
        .import_agreement(&AgreementFile { agreement: &agreement, source, effective_from: None }, &actor())
        .await
        .unwrap()
}

async fn agreements_are_versioned_and_idempotent_on(f: &Fixture) {
    let store = &f.store;
    let first = import_agreement(store, AGREEMENT).await;
    assert_eq!((first.version, first.changed), (1, true));
    let again = import_agreement(store, AGREEMENT).await;
    assert_eq!((again.version, again.changed), (1, false), "the same file twice changes nothing");
    assert_eq!(store.journal_size().await.unwrap(), 1);
    let amended = AGREEMENT.replace("contracted_places = 300", "contracted_places = 350");
    let second = import_agreement(store, &amended).await;
    assert_eq!((second.version, second.changed), (2, true));
    let custodia_store::AgreementSource { version, source } =
        store.agreement_source("us-sv-cecot").await.unwrap().unwrap();
    assert_eq!(version, 2);
    assert!(source.contains("contracted_places = 350"));
    let events = store.events(0, 2).await.unwrap();
    assert!(events[0].body.contains("\"kind\":\"agreement.registered\""));
    assert!(events[1].body.contains("\"kind\":\"agreement.amended\""));
    assert!(store.agreement_source("no-such").await.unwrap().is_none());
    // The version in force, parsed, as the application asks before every use of an agreement:
    // never the version parsed before it.
    let current = store.current_agreement("us-sv-cecot").await.unwrap().unwrap();
    assert_eq!(current.version, 2);
    assert_eq!(&*current.parsed.source, amended.as_str());
    assert_eq!(current.parsed.agreement.facilities[0].contracted_places, 350);
    assert_eq!(store.agreement_version_source("us-sv-cecot", 1).await.unwrap().as_deref(), Some(AGREEMENT));
    assert!(store.current_agreement("no-such").await.unwrap().is_none());
}
on_every_backend!(agreements_are_versioned_and_idempotent, agreements_are_versioned_and_idempotent_on);

async fn person_imports_are_idempotent_and_changes_are_amendments_on(f: &Fixture) {
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    let people: Vec<PersonData> = (0..2_500).map(person).collect();
    let outcome = import(store, &people).await;
    assert_eq!((outcome.added, outcome.amended, outcome.unchanged), (2_500, 0, 0));
    let size = store.journal_size().await.unwrap();
    assert_eq!(size, 2_501);
    let outcome = import(store, &people).await;
    assert_eq!((outcome.added, outcome.amended, outcome.unchanged), (0, 0, 2_500));
    assert_eq!(store.journal_size().await.unwrap(), size, "an identical import writes no event");
    let mut changed = people.clone();
    changed[7].conviction = Some("appeal_pending".into());
    changed[9].consent = Some("given".into());
    changed.push(person(9_999));
    let outcome = import(store, &changed).await;
    assert_eq!((outcome.added, outcome.amended, outcome.unchanged), (1, 2, 2_498));
    let events = store.events(size, size + 3).await.unwrap();
    let amended: Vec<&str> = events.iter().map(|e| e.body.as_str()).filter(|b| b.contains("person.amended")).collect();
    assert_eq!(amended.len(), 2);
    assert!(amended[0].contains(r#"{"column":"conviction","from":"final","to":"appeal_pending"}"#), "{}", amended[0]);
    // The register holds the latest record, in Custodia id order.
    let page = store.persons_page(0, 10_000).await.unwrap();
    assert_eq!(page.len(), 2_501);
    assert!(page.windows(2).all(|w| w[0].id < w[1].id));
    let seventh = page.iter().find(|p| p.record.sending_id == "P000007").unwrap();
    assert_eq!(seventh.record.conviction.as_deref(), Some("appeal_pending"));
    assert_eq!(seventh.record, changed[7]);
    let verify = store.verify_journal().await.unwrap();
    assert_eq!(verify.first_mismatch, None);
    assert_eq!(verify.size, 2_504);
}
on_every_backend!(
    person_imports_are_idempotent_and_changes_are_amendments,
    person_imports_are_idempotent_and_changes_are_amendments_on
);

async fn persons_remember_the_agreements_they_were_imported_under_on(f: &Fixture) {
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    // A second agreement of the same sending state.
    let second = AGREEMENT.replace("id = \"us-sv-cecot\"", "id = \"us-sv-second\"");
    import_agreement(store, &second).await;
    import(store, &[person(1), person(2)]).await;
    let under_second = |persons: Vec<PersonData>| PersonsFile {
        agreement_id: "us-sv-second",
        sending_state: CountryCode::parse("US").unwrap(),
        persons: Box::new(persons.into_iter()),
    };
    let size = store.journal_size().await.unwrap();
    let outcome = store.import_persons(under_second(vec![person(2), person(3)]), &actor()).await.unwrap();
    assert_eq!((outcome.added, outcome.amended, outcome.unchanged), (1, 0, 1));
    let events = store.events(size, size + 2).await.unwrap();
    assert_eq!(events.len(), 2, "one person.linked for the unchanged person, one person.registered");
    assert!(events.iter().any(|e| e.body.contains("\"kind\":\"person.linked\"")), "{events:?}");
    let id = |sending: &'static str| async move { store.person_id_of("US", sending).await.unwrap().unwrap() };
    assert_eq!(store.person_agreements(id("P000001").await).await.unwrap(), ["us-sv-cecot"]);
    assert_eq!(store.person_agreements(id("P000002").await).await.unwrap(), ["us-sv-cecot", "us-sv-second"]);
    assert_eq!(store.person_agreements(id("P000003").await).await.unwrap(), ["us-sv-second"]);
    assert_eq!(store.person_id_of("US", "P999999").await.unwrap(), None);
    let size = store.journal_size().await.unwrap();
    store.import_persons(under_second(vec![person(2), person(3)]), &actor()).await.unwrap();
    assert_eq!(store.journal_size().await.unwrap(), size, "a person already linked is not linked again");
    let listed = |agreement: &'static str| async move {
        let page = store.persons_of_agreement(agreement, 0, 100).await.unwrap();
        page.into_iter().map(|p| p.record.sending_id).collect::<Vec<_>>()
    };
    assert_eq!(listed("us-sv-cecot").await, ["P000001", "P000002"]);
    assert_eq!(listed("us-sv-second").await, ["P000002", "P000003"]);
    // A case under an agreement brings the person into its listing too.
    let row = store.propose_case("us-sv-second", "P000001", &open, &actor()).await.unwrap().unwrap();
    assert_eq!(row.agreement_id, "us-sv-second");
    assert_eq!(listed("us-sv-second").await, ["P000001", "P000002", "P000003"]);
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(
    persons_remember_the_agreements_they_were_imported_under,
    persons_remember_the_agreements_they_were_imported_under_on
);

/// A user's language: journalled (`user.language_set`), kept on the user, unchanged without an
/// event, forgotten with `None`; the column is a projection the replay checks.
async fn a_users_language_is_journalled_and_replayed_on(f: &Fixture) {
    use custodia_store::access::NewUser;
    let store = &f.store;
    let ana = NewUser {
        name: "Ana".into(),
        name_key: "ana".into(),
        role: "auditor".into(),
        agreements: vec!["*".into()],
        facilities: vec!["*".into()],
        password_hash: None,
    };
    store.create_user(&ana, &actor()).await.unwrap();
    assert_eq!(store.users().await.unwrap()[0].language, None);
    let size = store.journal_size().await.unwrap();
    assert_eq!(store.set_user_language("ana", Some("es"), &actor()).await.unwrap().language.as_deref(), Some("es"));
    assert_eq!(store.journal_size().await.unwrap(), size + 1);
    let event = store.events(size, size + 1).await.unwrap();
    assert!(event[0].body.contains(r#""kind":"user.language_set""#), "{}", event[0].body);
    store.set_user_language("ana", Some("es"), &actor()).await.unwrap();
    assert_eq!(store.journal_size().await.unwrap(), size + 1, "the same choice again writes nothing");
    assert_eq!(store.users().await.unwrap()[0].language.as_deref(), Some("es"));
    assert_eq!(replay_difference(store).await, None);
    f.raw_sql(&["UPDATE users SET language = 'en'"]).await.unwrap();
    let d = replay_difference(store).await.expect("a language no event chose");
    assert_eq!((d.table.as_str(), d.column.as_str()), ("users", "language"), "{d}");
    f.raw_sql(&["UPDATE users SET language = 'es'"]).await.unwrap();
    store.set_user_language("ana", None, &actor()).await.unwrap();
    assert_eq!(store.users().await.unwrap()[0].language, None);
    assert_eq!(replay_difference(store).await, None);
    assert!(matches!(
        store.set_user_language("nobody", Some("es"), &actor()).await,
        Err(custodia_store::StoreError::NotFound(_))
    ));
}
on_every_backend!(a_users_language_is_journalled_and_replayed, a_users_language_is_journalled_and_replayed_on);

async fn tokens_expire_and_users_are_disabled_and_enabled_by_two_admins_on(f: &Fixture) {
    use custodia_store::access::{Enabling, NewUser};
    let store = &f.store;
    let user = |name: &str| NewUser {
        name: name.into(),
        name_key: name.into(),
        role: "auditor".into(),
        agreements: vec!["*".into()],
        facilities: vec!["*".into()],
        password_hash: None,
    };
    store.create_user(&user("ana"), &actor()).await.unwrap();
    let (expiring, forever) = ([1u8; 32], [2u8; 32]);
    let row = store.create_token("ana", &expiring, "t", Some("2030-01-01T00:00:00Z"), &actor()).await.unwrap();
    assert_eq!(row.expires_at.as_deref(), Some("2030-01-01T00:00:00Z"));
    store.create_token("ana", &forever, "t", None, &actor()).await.unwrap();
    let found = store.user_by_token(&expiring).await.unwrap().unwrap();
    assert_eq!((found.user.name.as_str(), found.expires_at.as_deref()), ("ana", Some("2030-01-01T00:00:00Z")));
    assert_eq!(store.user_by_token(&forever).await.unwrap().unwrap().expires_at, None);
    let last =
        store.events(store.journal_size().await.unwrap() - 2, store.journal_size().await.unwrap()).await.unwrap();
    assert!(last[0].body.contains("\"expires_at\":\"2030-01-01T00:00:00Z\""), "{}", last[0].body);

    let by = |name: &str| Actor { name: name.into(), ..actor() };
    let disabled = store.disable_user("ana", &by("root")).await.unwrap();
    assert!(disabled.disabled_at.is_some());
    assert!(store.user_by_token(&forever).await.unwrap().unwrap().user.disabled_at.is_some());
    assert!(matches!(store.disable_user("ana", &by("root")).await, Err(StoreError::Refused(_))));
    // Enabling takes a proposal and another admin's confirmation.
    assert_eq!(store.enable_user("ana", &by("root"), false).await.unwrap(), Enabling::Proposed);
    let size = store.journal_size().await.unwrap();
    assert!(matches!(store.enable_user("ana", &by("root"), false).await, Err(StoreError::Refused(_))));
    assert_eq!(store.journal_size().await.unwrap(), size, "a refusal writes nothing");
    assert!(store.users().await.unwrap()[0].disabled_at.is_some(), "still disabled while proposed");
    assert_eq!(store.enable_user("ana", &by("ada"), false).await.unwrap(), Enabling::Enabled);
    let ana = &store.users().await.unwrap()[0];
    assert_eq!((ana.disabled_at.as_deref(), ana.enable_proposed_by.as_deref()), (None, None));
    assert!(matches!(store.enable_user("ana", &by("ada"), true).await, Err(StoreError::Refused(_))));
    let kinds: Vec<String> = store
        .events(size - 2, store.journal_size().await.unwrap())
        .await
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str::<serde_json::Value>(&e.body).unwrap()["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["user.disabled", "user.enable_proposed", "user.enabled"]);
    assert!(matches!(store.disable_user("nobody", &by("root")).await, Err(StoreError::NotFound(_))));
}
on_every_backend!(
    tokens_expire_and_users_are_disabled_and_enabled_by_two_admins,
    tokens_expire_and_users_are_disabled_and_enabled_by_two_admins_on
);

async fn persons_need_a_known_agreement_on(f: &Fixture) {
    let err = f.store.import_persons(file(&[person(1)]), &actor()).await.unwrap_err();
    assert!(err.to_string().contains("import the agreement file first"), "{err}");
    assert_eq!(f.store.journal_size().await.unwrap(), 0, "a refused import writes nothing");
}
on_every_backend!(persons_need_a_known_agreement, persons_need_a_known_agreement_on);

async fn events_are_never_updated_or_deleted_on(f: &Fixture) {
    import_agreement(&f.store, AGREEMENT).await;
    let update = f.raw_sql(&["UPDATE events SET actor = 'mallory' WHERE seq = 0"]).await;
    assert!(update.unwrap_err().contains("append-only"));
    let delete = f.raw_sql(&["DELETE FROM events WHERE seq = 0"]).await;
    assert!(delete.unwrap_err().contains("append-only"));
    if f.is_postgres() {
        let truncate = f.raw_sql(&["TRUNCATE events CASCADE"]).await;
        assert!(truncate.is_err());
    }
    assert_eq!(f.store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(events_are_never_updated_or_deleted, events_are_never_updated_or_deleted_on);

async fn tampering_with_a_stored_event_is_named_by_verify_on(f: &Fixture) {
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    import(store, &(0..50).map(person).collect::<Vec<_>>()).await;
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
    // The attacker has the database file (or superuser rights): switch the guard off and edit
    // event 17's body, keeping it valid canonical JSON.
    let edit = "UPDATE events SET body = replace(body, '\"drug\"', '\"fraud\"') WHERE seq = 17";
    let statements: Vec<&str> = if f.is_postgres() {
        vec!["ALTER TABLE events DISABLE TRIGGER USER", edit, "ALTER TABLE events ENABLE TRIGGER USER"]
    } else {
        vec!["DROP TRIGGER events_are_never_updated", edit]
    };
    f.raw_sql(&statements).await.unwrap();
    let report = store.verify_journal().await.unwrap();
    let (seq, reason) = report.first_mismatch.expect("tampering must be detected");
    assert_eq!(seq, 17, "{reason}");
    assert!(reason.contains("leaf hash"), "{reason}");
}
on_every_backend!(
    tampering_with_a_stored_event_is_named_by_verify,
    tampering_with_a_stored_event_is_named_by_verify_on
);

async fn rewriting_history_consistently_is_caught_by_the_root_chain_on(f: &Fixture) {
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    import(store, &(0..20).map(person).collect::<Vec<_>>()).await;
    // A smarter attacker also recomputes the leaf hash of the edited event (SHA-256(0x00 || body)),
    // but cannot fix every later root without re-signing history.
    let events = store.events(5, 6).await.unwrap();
    let forged = events[0].body.replace("\"drug\"", "\"fraud\"");
    let leaf = custodia_journal::merkle::leaf_hash(forged.as_bytes());
    let hex: String = leaf.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    let literal = if f.is_postgres() { format!("'\\x{hex}'::bytea") } else { format!("x'{hex}'") };
    let update =
        format!("UPDATE events SET body = '{}', leaf_hash = {literal} WHERE seq = 5", forged.replace('\'', "''"));
    let statements: Vec<&str> = if f.is_postgres() {
        vec!["ALTER TABLE events DISABLE TRIGGER USER", &update, "ALTER TABLE events ENABLE TRIGGER USER"]
    } else {
        vec!["DROP TRIGGER events_are_never_updated", &update]
    };
    f.raw_sql(&statements).await.unwrap();
    let (seq, reason) = store.verify_journal().await.unwrap().first_mismatch.expect("detected");
    assert_eq!(seq, 5);
    assert!(reason.contains("root"), "{reason}");
}
on_every_backend!(
    rewriting_history_consistently_is_caught_by_the_root_chain,
    rewriting_history_consistently_is_caught_by_the_root_chain_on
);

async fn concurrent_writers_never_fork_the_chain_on(f: &Fixture) {
    let store = f.store.clone();
    import_agreement(&store, AGREEMENT).await;
    let mut tasks = Vec::new();
    for t in 0..4u32 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..5u32 {
                let base = t * 10_000 + round * 100;
                import(&store, &(base..base + 20).map(person).collect::<Vec<_>>()).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let report = store.verify_journal().await.unwrap();
    assert_eq!(report.first_mismatch, None);
    assert_eq!(report.size, 1 + 4 * 5 * 20);
    let events = store.events(0, report.size).await.unwrap();
    assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64), "gapless, one chain");
}
on_every_backend!(concurrent_writers_never_fork_the_chain, concurrent_writers_never_fork_the_chain_on);

async fn cells_are_registered_idempotently_on(f: &Fixture) {
    use custodia_core::capacity::{Cell, CellKind};
    let store = &f.store;
    let cell = |id: &str, area: &str, beds: u32| Cell {
        facility_id: custodia_core::FacilityId::parse("cecot").unwrap(),
        cell_id: id.into(),
        unit: "building-1".into(),
        kind: CellKind::Shared,
        area_m2: custodia_core::Decimal::parse(area).unwrap(),
        beds,
    };
    let err = store.import_cells("us-sv-cecot", &[cell("a", "100", 80)], &actor()).await.unwrap_err();
    assert!(err.to_string().contains("import the agreement file first"), "{err}");
    import_agreement(store, AGREEMENT).await;
    let first =
        store.import_cells("us-sv-cecot", &[cell("a", "100", 80), cell("b", "12.5", 3)], &actor()).await.unwrap();
    assert_eq!((first.added, first.amended, first.unchanged), (2, 0, 0));
    let again =
        store.import_cells("us-sv-cecot", &[cell("a", "100", 80), cell("b", "12.5", 3)], &actor()).await.unwrap();
    assert_eq!((again.added, again.amended, again.unchanged), (0, 0, 2));
    let changed = store.import_cells("us-sv-cecot", &[cell("a", "100", 60)], &actor()).await.unwrap();
    assert_eq!((changed.added, changed.amended, changed.unchanged), (0, 1, 0));
    let cells = store.cells("us-sv-cecot").await.unwrap();
    assert_eq!(cells, [cell("a", "100", 60), cell("b", "12.5", 3)], "decimals kept exactly");
    assert_eq!(store.journal_size().await.unwrap(), 1 + 2 + 1);
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(cells_are_registered_idempotently, cells_are_registered_idempotently_on);

/// Cell changes (docs/capacity.md#cell-changes): the first cells of a facility are registered at
/// once; every later change is proposed by one user and applied only when another confirms it.
async fn a_cell_change_takes_effect_only_when_a_second_user_confirms_it_on(f: &Fixture) {
    use custodia_core::capacity::{Cell, CellKind};
    use custodia_store::{CellsSubmitted, StoreError};
    let store = &f.store;
    let cell = |id: &str, area: &str, beds: u32| Cell {
        facility_id: custodia_core::FacilityId::parse("cecot").unwrap(),
        cell_id: id.into(),
        unit: "building-1".into(),
        kind: CellKind::Shared,
        area_m2: custodia_core::Decimal::parse(area).unwrap(),
        beds,
    };
    let by = |name: &str| Actor { name: name.into(), ..actor() };
    import_agreement(store, AGREEMENT).await;
    let first = [cell("a", "9", 4), cell("b", "12.5", 3)];
    let registered = store.submit_cells("us-sv-cecot", "cecot", &first, &by("ana")).await.unwrap();
    assert_eq!(registered, CellsSubmitted::Registered { added: 2 });
    let size = store.journal_size().await.unwrap();
    assert_eq!(
        store.submit_cells("us-sv-cecot", "cecot", &first, &by("ana")).await.unwrap(),
        CellsSubmitted::Unchanged
    );
    assert_eq!(store.journal_size().await.unwrap(), size, "an unchanged import writes nothing");

    let wanted = [cell("a", "100", 4), cell("c", "8", 2)];
    let CellsSubmitted::Proposed(change) =
        store.submit_cells("us-sv-cecot", "cecot", &wanted, &by("ana")).await.unwrap()
    else {
        panic!("a change to registered cells is a proposal")
    };
    assert_eq!(change.diff.added, [cell("c", "8", 2)]);
    assert_eq!(change.diff.changed, [(cell("a", "9", 4), cell("a", "100", 4))]);
    assert_eq!(change.diff.removed, [cell("b", "12.5", 3)]);
    assert_eq!((change.proposed_by.as_str(), change.confirmed_by.as_deref()), ("ana", None));
    assert_eq!(store.cells("us-sv-cecot").await.unwrap(), first, "a proposal changes no cell");
    let size = store.journal_size().await.unwrap();
    let proposed = store.events(size - 1, size).await.unwrap();
    assert!(proposed[0].body.contains("\"kind\":\"cells.change_proposed\""), "{}", proposed[0].body);
    assert!(proposed[0].body.contains("\"before\""), "the journal holds before and after");

    let same = store.confirm_cell_change(change.id, &by("ana")).await.unwrap_err();
    assert!(matches!(&same, StoreError::Refused(m) if m.starts_with("two-person rule")), "{same}");
    assert_eq!(store.journal_size().await.unwrap(), size, "a refused confirmation writes nothing");
    assert_eq!(store.cells("us-sv-cecot").await.unwrap(), first);

    let confirmed = store.confirm_cell_change(change.id, &by("ben")).await.unwrap();
    assert_eq!(confirmed.confirmed_by.as_deref(), Some("ben"));
    assert_eq!(store.cells("us-sv-cecot").await.unwrap(), wanted);
    assert_eq!(store.journal_size().await.unwrap(), size + 1, "one cells.change_confirmed event");
    let again = store.confirm_cell_change(change.id, &by("carla")).await.unwrap_err();
    assert!(matches!(&again, StoreError::Refused(m) if m.contains("already confirmed by ben")), "{again}");

    // Two pending changes: once one is confirmed, the other was made against cells that are gone.
    let one = [cell("a", "100", 4), cell("c", "8", 3)];
    let two = [cell("a", "100", 5), cell("c", "8", 2)];
    let CellsSubmitted::Proposed(p1) = store.submit_cells("us-sv-cecot", "cecot", &one, &by("ana")).await.unwrap()
    else {
        panic!("proposal")
    };
    let CellsSubmitted::Proposed(p2) = store.submit_cells("us-sv-cecot", "cecot", &two, &by("ana")).await.unwrap()
    else {
        panic!("proposal")
    };
    store.confirm_cell_change(p1.id, &by("ben")).await.unwrap();
    let size = store.journal_size().await.unwrap();
    let stale = store.confirm_cell_change(p2.id, &by("ben")).await.unwrap_err();
    assert!(matches!(&stale, StoreError::Stale(m) if m.contains("changed since it was proposed")), "{stale}");
    assert_eq!(store.journal_size().await.unwrap(), size);
    assert_eq!(store.cells("us-sv-cecot").await.unwrap(), one);
    let listed = store.cell_changes("us-sv-cecot").await.unwrap();
    assert_eq!(
        listed.iter().map(|c| (c.id, c.confirmed_by.is_some())).collect::<Vec<_>>(),
        [(change.id, true), (p1.id, true), (p2.id, false)]
    );
    assert!(matches!(store.confirm_cell_change(999, &by("ben")).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(
    a_cell_change_takes_effect_only_when_a_second_user_confirms_it,
    a_cell_change_takes_effect_only_when_a_second_user_confirms_it_on
);

async fn cases_follow_the_lifecycle_and_occupancy_is_derived_on(f: &Fixture) {
    use custodia_core::capacity::{Cell, CellKind};
    use custodia_core::custody::{IntakeRecord, Refusal};
    use custodia_store::cases::{CaseCall, CaseRequest, PlacementRequest};
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    let single = Cell {
        facility_id: custodia_core::FacilityId::parse("cecot").unwrap(),
        cell_id: "iso-1".into(),
        unit: "isolation".into(),
        kind: CellKind::Single,
        area_m2: custodia_core::Decimal::parse("6.5").unwrap(),
        beds: 1,
    };
    store.import_cells("us-sv-cecot", &[single], &actor()).await.unwrap();
    import(store, &[person(1), person(2)]).await;
    let by = case_actor;
    let admit = CaseRequest::Admit {
        receiving_id: Some("SV-CECOT-0001".into()),
        commitment_order: "order".into(),
        intake: IntakeRecord {
            admitted_on: custodia_core::Date::parse("2025-03-16").unwrap(),
            hour: 6,
            visible_injuries: "none".into(),
            property: "none".into(),
            next_of_kin: "kin".into(),
        },
        placement: PlacementRequest { facility_id: "cecot".into(), cell_id: "iso-1".into(), override_by: None },
    };
    for sending_id in ["P000001", "P000002"] {
        let row = store.propose_case("us-sv-cecot", sending_id, &open, &actor()).await.unwrap().unwrap();
        to_transit(store, row.id).await;
    }
    let admit_case = |id: i64| CaseCall::new(id, "admit", admit.clone(), by("w"), actor());
    let first = store.act_on_case(&admit_case(1), &decide).await.unwrap().unwrap().case;
    assert_eq!(first.state, custodia_core::lifecycle::CaseState::InCustody);
    assert_eq!(
        store.identifiers(1).await.unwrap(),
        [custodia_store::Identifier {
            state: "SV".to_owned(),
            scheme: "inmate_number".to_owned(),
            value: "SV-CECOT-0001".to_owned(),
            agreement_id: Some("us-sv-cecot".to_owned()),
        }]
    );
    let size = store.journal_size().await.unwrap();
    // The single cell is full: the occupancy comes from the first case's custody record.
    let second = store.act_on_case(&admit_case(2), &decide).await.unwrap();
    assert!(matches!(second, Err(Refusal::CapacityFloor { .. })), "{second:?}");
    assert_eq!(store.journal_size().await.unwrap(), size, "a refusal writes nothing");
    let unknown = store.propose_case("us-sv-cecot", "nobody", &open, &actor()).await.unwrap_err();
    assert!(unknown.to_string().contains("not in the register"), "{unknown}");
    let rows = store.cases_with_persons("us-sv-cecot").await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].case.facility_id.as_deref(), Some("cecot"));
    assert_eq!(rows[0].person.sending_id, "P000001");
    // The custody steps: of all the transitions, exactly those from or to a custody state, in
    // order — here the admission and the return's scheduling and the return of case 1.
    for command in [
        custodia_core::custody::Command::ScheduleReturn { on: custodia_core::Date::parse("2025-05-01").unwrap() },
        custodia_core::custody::Command::Return,
    ] {
        let call = CaseCall::new(1, "step", CaseRequest::Plain(command), by("w"), actor());
        store.act_on_case(&call, &decide).await.unwrap().unwrap();
    }
    let all = store.case_transition_bodies("us-sv-cecot").await.unwrap();
    let in_custody = |body: &&String| {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        ["from", "to"].iter().any(|k| matches!(v["data"][k].as_str(), Some("in_custody" | "return_scheduled")))
    };
    let expected: Vec<String> = all.iter().filter(in_custody).cloned().collect();
    assert_eq!((all.len(), expected.len()), (13, 3), "ten steps to transit, three in custody");
    assert_eq!(store.custody_step_bodies("us-sv-cecot").await.unwrap(), expected);
    assert!(store.custody_step_bodies("other").await.unwrap().is_empty());
    // The same steps decided on the bodies alone, over the whole journal (as the application
    // catches up on new events): exactly the ones the SQL selects, at their journal positions.
    let journal = store.events(0, store.journal_size().await.unwrap()).await.unwrap();
    let decided: Vec<(u64, String)> = journal
        .iter()
        .filter_map(|e| {
            custodia_store::custody_step_in(&e.body, "us-sv-cecot").unwrap().map(|seq| (seq, e.body.clone()))
        })
        .collect();
    assert!(decided.iter().all(|(seq, body)| journal.iter().any(|e| e.seq == *seq && &e.body == body)));
    assert_eq!(decided.into_iter().map(|(_, body)| body).collect::<Vec<_>>(), expected);
    assert!(journal.iter().all(|e| custodia_store::custody_step_in(&e.body, "other") == Some(None)));
    assert_eq!(custodia_store::custody_step_in("not an event", "us-sv-cecot"), None);
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(
    cases_follow_the_lifecycle_and_occupancy_is_derived,
    cases_follow_the_lifecycle_and_occupancy_is_derived_on
);

async fn invoices_are_issued_by_two_people_and_never_change_on(f: &Fixture) {
    use custodia_store::invoices::InvoiceDraft;
    use sha2::Digest;
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    // What a document says is the application layer's; the register stores it as given.
    let document = r#"{"kind":"invoice","number":"us-sv-cecot/2025-03","total_minor":2000000}"#;
    let sha256: [u8; 32] = sha2::Sha256::digest(document.as_bytes()).into();
    let draft = InvoiceDraft {
        agreement_id: "us-sv-cecot".into(),
        kind: "invoice".into(),
        period: "2025-03".into(),
        number: "us-sv-cecot/2025-03".into(),
        document: document.into(),
        sha256,
        total_minor: 2_000_000,
    };
    let who = |name: &str| Actor { name: name.into(), ..actor() };
    let size = store.journal_size().await.unwrap();
    let drafted = store.insert_invoice_draft(&draft, &who("ana")).await.unwrap();
    assert_eq!((drafted.prepared_by.as_str(), drafted.issued.is_none()), ("ana", true));
    assert_eq!(store.journal_size().await.unwrap(), size + 1, "invoice.drafted");
    let refused = store.issue_invoice(drafted.id, &sha256, &who("ana")).await.unwrap_err();
    assert!(refused.to_string().contains("two-person rule"), "{refused}");
    let stale = store.issue_invoice(drafted.id, &[0; 32], &who("ben")).await.unwrap_err();
    assert!(stale.to_string().contains("stale"), "{stale}");
    assert_eq!(store.journal_size().await.unwrap(), size + 1, "refusals write nothing");
    let issued = store.issue_invoice(drafted.id, &sha256, &who("ben")).await.unwrap();
    assert_eq!(issued.issued.as_ref().map(|i| i.issued_by.as_str()), Some("ben"));
    assert!(store.issue_invoice(drafted.id, &sha256, &who("carl")).await.is_err());
    let again = store.insert_invoice_draft(&draft, &who("ana")).await.unwrap_err();
    assert!(again.to_string().contains("already issued"), "{again}");

    // Neither the document nor its issue can be changed or removed, even with direct SQL.
    for statement in [
        "UPDATE invoices SET total_minor = 1",
        "DELETE FROM invoices",
        "UPDATE invoice_issues SET issued_by = 'mallory'",
        "DELETE FROM invoice_issues",
    ] {
        let error = f.raw_sql(&[statement]).await.unwrap_err();
        assert!(error.contains("immutable"), "{statement}: {error}");
    }
    assert_eq!(store.invoice_row(drafted.id).await.unwrap().unwrap(), issued);
    assert_eq!(store.invoice_rows("us-sv-cecot").await.unwrap(), vec![issued]);
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(
    invoices_are_issued_by_two_people_and_never_change,
    invoices_are_issued_by_two_people_and_never_change_on
);

async fn group_commits_keep_each_transition_separate_on(f: &Fixture) {
    use custodia_core::custody::{Command, Refusal};
    use custodia_store::cases::{CaseCall, CaseRequest};
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    import(store, &[person(1), person(2), person(3)]).await;
    for id in ["P000001", "P000002", "P000003"] {
        store.propose_case("us-sv-cecot", id, &open, &actor()).await.unwrap().unwrap();
    }
    let call = |id: i64, expected: Option<i64>, command: Command| CaseCall {
        id,
        expected_version: expected,
        action: "step".into(),
        request: CaseRequest::Plain(command),
        actor: case_actor("u"),
        store_actor: actor(),
        report: None,
    };
    let size = store.journal_size().await.unwrap();
    let results = store
        .act_on_cases(
            &[
                call(1, None, Command::Screen),
                call(2, None, Command::Depart),
                call(3, Some(7), Command::Screen),
                call(3, Some(1), Command::Screen),
            ],
            &decide,
        )
        .await
        .unwrap();
    assert!(matches!(results[0], Ok(Ok(_))));
    assert!(matches!(results[1], Ok(Err(Refusal::InvalidTransition { .. }))));
    assert!(matches!(results[2], Err(custodia_store::StoreError::Stale(_))));
    assert!(matches!(results[3], Ok(Ok(_))));
    assert_eq!(store.journal_size().await.unwrap(), size + 2, "only the two that passed were journaled");
    assert_eq!(store.case_row(2).await.unwrap().unwrap().version, 1, "the refused one is untouched");
    assert_eq!(store.case_row(3).await.unwrap().unwrap().version, 2);
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(group_commits_keep_each_transition_separate, group_commits_keep_each_transition_separate_on);

async fn incidents_keep_their_report_and_notifications_on(f: &Fixture) {
    use custodia_core::incidents::{IncidentKind, Recipient};
    use custodia_store::IncidentUpdate;
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    let at = Timestamp::parse("2025-04-01T03:00:00Z").unwrap();
    let filed = store
        .file_incident("us-sv-cecot", None, IncidentKind::Disappearance, &at, "missing at count", &actor())
        .await
        .unwrap();
    assert_eq!(filed.notifications.len(), 3);
    let sent = Timestamp::parse("2025-04-01T05:00:00Z").unwrap();
    store
        .update_incident(filed.id, &IncidentUpdate::Notified { recipient: Recipient::NextOfKin, at: sent }, &actor())
        .await
        .unwrap();
    store
        .update_incident(filed.id, &IncidentUpdate::Addendum { text: "found in the infirmary".into() }, &actor())
        .await
        .unwrap();
    let again = IncidentUpdate::Notified {
        recipient: Recipient::NextOfKin,
        at: Timestamp::parse("2025-04-01T06:00:00Z").unwrap(),
    };
    assert!(
        matches!(store.update_incident(filed.id, &again, &actor()).await, Err(custodia_store::StoreError::Refused(_))),
        "a notification already sent is refused, not \"not found\""
    );
    let listed = store.incidents("us-sv-cecot").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].report.original, "missing at count");
    assert_eq!(listed[0].report.addenda.len(), 1);
    assert!(listed[0].notifications[0].sent_at_unix.is_some());
    assert!(listed[0].notifications[1].sent_at_unix.is_none());
    let none = store
        .file_incident("us-sv-cecot", None, IncidentKind::HungerStrike, &at, "refuses food", &actor())
        .await
        .unwrap();
    assert!(none.notifications.is_empty());
    assert!(store.file_incident("us-sv-cecot", Some(99), IncidentKind::Other, &at, "x", &actor()).await.is_err());
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(incidents_keep_their_report_and_notifications, incidents_keep_their_report_and_notifications_on);

async fn a_torture_allegation_opens_its_notification_and_investigation_on(f: &Fixture) {
    use custodia_core::incidents::{Finding, IncidentKind, InvestigationState, NotificationStatus, Recipient};
    use custodia_store::{IncidentUpdate, StoreError};
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    let at = Timestamp::parse("2025-05-01T10:00:00Z").unwrap();
    let filed = store
        .file_incident("us-sv-cecot", None, IncidentKind::TortureAllegation, &at, "beaten during the count", &actor())
        .await
        .unwrap();
    let hours = i64::from(agreement().oversight.torture_allegation_hours);
    assert_eq!(filed.notifications.len(), 1, "{filed:?}");
    assert_eq!(filed.notifications[0].recipient, Recipient::IndependentAuthority);
    assert_eq!(filed.notifications[0].due_at_unix, at.unix_seconds() + hours * 3600);
    let investigation = filed.investigation.clone().unwrap();
    assert_eq!((investigation.state(), investigation.opened_at_unix), (InvestigationState::Open, at.unix_seconds()));

    // Closing without a finding, or straight from open, is refused and writes nothing.
    let size = store.journal_size().await.unwrap();
    for refused in [
        IncidentUpdate::Investigation { to: InvestigationState::Closed, finding: Some(Finding::Inconclusive) },
        IncidentUpdate::Investigation { to: InvestigationState::Investigating, finding: Some(Finding::Substantiated) },
    ] {
        let out = store.update_incident(filed.id, &refused, &actor()).await;
        assert!(matches!(&out, Err(StoreError::Refused(_))), "{out:?}");
    }
    let moved = IncidentUpdate::Investigation { to: InvestigationState::Investigating, finding: None };
    store.update_incident(filed.id, &moved, &actor()).await.unwrap();
    let no_finding = IncidentUpdate::Investigation { to: InvestigationState::Closed, finding: None };
    match store.update_incident(filed.id, &no_finding, &actor()).await {
        Err(StoreError::Refused(text)) => assert!(text.starts_with("FINDING_REQUIRED: "), "{text}"),
        other => panic!("closing without a finding: {other:?}"),
    }
    assert_eq!(store.journal_size().await.unwrap(), size + 1, "only the move to investigating was journaled");
    let close = IncidentUpdate::Investigation { to: InvestigationState::Closed, finding: Some(Finding::Substantiated) };
    store.update_incident(filed.id, &close, &actor()).await.unwrap();

    // A notification sent late is still late when read back.
    let late = Timestamp::from_unix_seconds(at.unix_seconds() + hours * 3600 + 26 * 3600 + 5 * 60).unwrap();
    let sent = IncidentUpdate::Notified { recipient: Recipient::IndependentAuthority, at: late };
    store.update_incident(filed.id, &sent, &actor()).await.unwrap();
    let read = store.incident(filed.id).await.unwrap().unwrap();
    assert_eq!(read, store.incidents("us-sv-cecot").await.unwrap()[0]);
    let n = read.notifications[0];
    assert_eq!((n.status(i64::MAX), n.late_by_seconds(0)), (NotificationStatus::SentLate, Some(26 * 3600 + 300)));
    let investigation = read.investigation.unwrap();
    assert_eq!(investigation.state(), InvestigationState::Closed);
    assert_eq!(investigation.finding(), Some(Finding::Substantiated));
    assert_eq!(investigation.steps.len(), 2);
    assert_eq!(investigation.steps[1].by, "conformance");
    assert_eq!(investigation.steps[1].at_unix, actor().recorded_at.unix_seconds(), "when the move was recorded");
    assert_eq!(store.journal_size().await.unwrap(), size + 3);

    // Other kinds have no investigation to move.
    let death = store.file_incident("us-sv-cecot", None, IncidentKind::Death, &at, "died", &actor()).await.unwrap();
    assert_eq!((death.notifications.len(), death.investigation.is_none()), (3, true));
    assert!(matches!(store.update_incident(death.id, &moved, &actor()).await, Err(StoreError::Refused(_))));
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(
    a_torture_allegation_opens_its_notification_and_investigation,
    a_torture_allegation_opens_its_notification_and_investigation_on
);

async fn inspections_and_contacts_on(f: &Fixture) {
    use custodia_core::oversight::{Contact, ContactMeans, Inspection, RecommendationState};
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    let inspection = Inspection {
        body: "ICRC".into(),
        from: custodia_core::Date::parse("2025-05-01").unwrap(),
        to: custodia_core::Date::parse("2025-05-03").unwrap(),
        findings: vec!["overcrowding".into()],
        recommendations: vec![("reduce occupancy".into(), RecommendationState::Open)],
    };
    let id = store.file_inspection("us-sv-cecot", &inspection, &actor()).await.unwrap();
    // The store still guards the rule: a forbidden move is refused, not "not found".
    assert!(matches!(
        store.update_recommendation(id, 0, RecommendationState::Implemented, &actor()).await,
        Err(custodia_store::StoreError::Refused(_))
    ));
    let updated = store.update_recommendation(id, 0, RecommendationState::Rejected, &actor()).await.unwrap();
    assert_eq!(updated.recommendations[0].1, RecommendationState::Rejected);
    let contact = Contact {
        contact: "consul".into(),
        at: "2025-05-02T10:00:00Z".into(),
        means: ContactMeans::Phone,
        note: "n".into(),
    };
    store.log_contact("us-sv-cecot", None, &contact, &actor()).await.unwrap();
    assert_eq!(
        store.contacts("us-sv-cecot").await.unwrap(),
        [custodia_store::ContactRow { id: 1, case_id: None, contact }]
    );
    assert_eq!(store.verify_journal().await.unwrap().first_mismatch, None);
}
on_every_backend!(inspections_and_contacts, inspections_and_contacts_on);

#[test]
fn agreement_fixture_loads() {
    assert_eq!(agreement().id.as_str(), "us-sv-cecot");
}

#[test]
fn urls_are_rewritten_to_the_test_database() {
    assert_eq!(with_database("postgres://u@h:5/postgres", "x"), "postgres://u@h:5/x");
    assert_eq!(with_database("postgres://u@h:5", "x"), "postgres://u@h:5/x");
    assert_eq!(with_database("postgres://u@h/db?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
}

/// The replay's difference, or `None`; a replay of a register written by this version checks
/// every value (nothing `unchecked`).
async fn replay_difference(store: &Store) -> Option<custodia_store::Difference> {
    let (tree, replay) = store.replay_journal().await.unwrap();
    assert_eq!(tree.first_mismatch, None);
    assert!(replay.unchecked.is_empty(), "{:?}", replay.unchecked);
    if replay.difference.is_none() {
        assert_eq!(replay.events, tree.size, "every event replayed");
    }
    replay.difference
}

async fn every_column_of_the_schema_is_replayed_on(f: &Fixture) {
    let sql = if f.is_postgres() {
        "SELECT c.table_name::text AS t, c.column_name::text AS c FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY 1, 2"
    } else {
        "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
    };
    let url = match &f.raw {
        Raw::Sqlite(path) => format!("sqlite://{}", path.display()),
        Raw::Postgres(url) => url.clone(),
    };
    let columns: Vec<(String, String)> = if f.is_postgres() {
        let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    };
    let projected = custodia_store::replay::projected_columns();
    let exempt = custodia_store::replay::NOT_PROJECTED;
    assert!(!columns.is_empty());
    for (table, column) in &columns {
        let replayed = projected.iter().any(|(t, cs)| t == table && cs.contains(&column.as_str()));
        let listed = exempt.iter().any(|(t, _)| t == table);
        assert!(
            replayed || listed,
            "{table}.{column} is neither rebuilt by the replay (replay::TABLES) nor listed in replay::NOT_PROJECTED"
        );
    }
    for (table, cs) in &projected {
        for c in cs {
            assert!(
                columns.iter().any(|(t, col)| t == table && col == c),
                "replay::TABLES names {table}.{c}, not in the schema"
            );
        }
    }
}
on_every_backend!(every_column_of_the_schema_is_replayed, every_column_of_the_schema_is_replayed_on);

async fn the_read_log_and_kept_answers_are_projections_of_the_journal_on(f: &Fixture) {
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    import(store, &(0..3).map(person).collect::<Vec<_>>()).await;
    let read = |user: &str, person_id: i64| custodia_store::access::PersonRead {
        user_name: user.into(),
        person_id,
        purpose: "GET /api/v1/persons/{id}".into(),
        at: "2025-03-01T10:00:00Z".into(),
    };
    let before = store.journal_size().await.unwrap();
    store.log_person_reads(&[read("ana", 1), read("ben", 2)]).await.unwrap();
    assert_eq!(store.journal_size().await.unwrap(), before + 1, "one event per logged batch");
    let answer =
        custodia_store::access::KeptAnswer { request_sha256: vec![7; 32], outcome: 201, response: "{\"id\":1}".into() };
    store.keep_answer("ana", "key-1", &answer, "2025-03-01T10:00:01Z").await.unwrap();
    store.keep_answer("ana", "key-1", &answer, "2025-03-01T10:00:02Z").await.unwrap();
    assert_eq!(store.journal_size().await.unwrap(), before + 2, "a second answer for a key writes nothing");
    assert_eq!(replay_difference(store).await, None);

    f.raw_sql(&["UPDATE idempotency_keys SET response = '{\"id\":2}'"]).await.unwrap();
    let d = replay_difference(store).await.expect("a changed kept answer");
    assert_eq!(
        (d.table.as_str(), d.key.as_str(), d.column.as_str()),
        ("idempotency_keys", "ana / key-1", "response"),
        "{d}"
    );
    f.raw_sql(&["UPDATE idempotency_keys SET response = '{\"id\":1}'"]).await.unwrap();
    assert_eq!(replay_difference(store).await, None, "put back as it was");

    f.raw_sql(&["INSERT INTO person_reads (id, user_name, person_id, route, at) VALUES (3, 'ana', 3, 'x', '2025-03-01T10:00:00Z')"])
        .await
        .unwrap();
    let d = replay_difference(store).await.expect("a read no event records");
    assert_eq!((d.table.as_str(), d.key.as_str(), d.column.as_str()), ("person_reads", "3", "(row)"), "{d}");
}
on_every_backend!(
    the_read_log_and_kept_answers_are_projections_of_the_journal,
    the_read_log_and_kept_answers_are_projections_of_the_journal_on
);

async fn the_columns_beside_an_event_are_checked_against_its_body_on(f: &Fixture) {
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    assert_eq!(replay_difference(store).await, None);
    // Hiding an event from the queries that select by kind, without touching its body.
    let edit = "UPDATE events SET kind = 'nothing.happened' WHERE seq = 0";
    let statements: Vec<&str> = if f.is_postgres() {
        vec!["ALTER TABLE events DISABLE TRIGGER USER", edit, "ALTER TABLE events ENABLE TRIGGER USER"]
    } else {
        vec!["DROP TRIGGER events_are_never_updated", edit]
    };
    f.raw_sql(&statements).await.unwrap();
    let d = replay_difference(store).await.expect("a changed kind column");
    assert_eq!((d.table.as_str(), d.key.as_str(), d.column.as_str()), ("events", "0", "kind"), "{d}");
}
on_every_backend!(
    the_columns_beside_an_event_are_checked_against_its_body,
    the_columns_beside_an_event_are_checked_against_its_body_on
);

async fn the_locator_reads_only_the_candidates_of_a_question_on(f: &Fixture) {
    use custodia_store::LocatorFilter;
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    let born = |i: u32, name: &str, date: Option<&str>| PersonData {
        family_name: name.into(),
        birth_date: date.map(str::to_owned),
        ..person(i)
    };
    import(
        store,
        &[
            born(1, "García", Some("1990-05-01")),
            born(2, "Torres Rivas", Some("1990-12-31")),
            born(3, "García", Some("1991-01-01")),
            born(4, "Garcia", None),
            born(5, "García", Some("1990-02-02")),
        ],
    )
    .await;
    // Persons 1 to 4 have cases (case ids 1 to 4); person 5 has none.
    for i in 1..=4 {
        store.propose_case("us-sv-cecot", &format!("P{i:06}"), &open, &actor()).await.unwrap().unwrap();
    }
    to_transit(store, 2).await;
    let ids = |rows: Vec<custodia_store::CaseWithPerson>| {
        rows.iter().map(|r| (r.case.id, r.person.sending_id.clone())).collect::<Vec<_>>()
    };
    let year = |y| LocatorFilter::BirthYear(y);
    assert_eq!(
        ids(store.locator_candidates("us-sv-cecot", &year(1990)).await.unwrap()),
        [(1, "P000001".to_owned()), (2, "P000002".to_owned())]
    );
    assert_eq!(ids(store.locator_candidates("us-sv-cecot", &year(1991)).await.unwrap()), [(3, "P000003".to_owned())]);
    assert!(store.locator_candidates("us-sv-cecot", &year(1989)).await.unwrap().is_empty());
    assert!(store.locator_candidates("other", &year(1990)).await.unwrap().is_empty());
    let by_id = |state: &str, id: &str| LocatorFilter::SendingId { sending_state: state.into(), sending_id: id.into() };
    assert_eq!(
        ids(store.locator_candidates("us-sv-cecot", &by_id("US", "P000004")).await.unwrap()),
        [(4, "P000004".to_owned())]
    );
    assert!(store.locator_candidates("us-sv-cecot", &by_id("VE", "P000004")).await.unwrap().is_empty());
    assert!(store.locator_candidates("us-sv-cecot", &by_id("US", "P000005")).await.unwrap().is_empty());
    // An amended record counts as it now stands: person 3, re-exported born in 1990.
    import(store, &[born(3, "García", Some("1990-01-01"))]).await;
    assert!(store.locator_candidates("us-sv-cecot", &year(1991)).await.unwrap().is_empty());
    assert_eq!(
        ids(store.locator_candidates("us-sv-cecot", &year(1990)).await.unwrap()),
        [(1, "P000001".to_owned()), (2, "P000002".to_owned()), (3, "P000003".to_owned())]
    );
    // A person's transitions: exactly the agreement's `case.transition` events of their case.
    let of_case = |case_id: i64, bodies: &[String]| {
        bodies
            .iter()
            .filter(|b| serde_json::from_str::<serde_json::Value>(b).unwrap()["data"]["case_id"] == case_id)
            .cloned()
            .collect::<Vec<_>>()
    };
    let all = store.case_transition_bodies("us-sv-cecot").await.unwrap();
    let mine = store.transitions_of_person("us-sv-cecot", 2).await.unwrap();
    assert!(!mine.is_empty());
    assert_eq!(mine, of_case(2, &all));
    assert_eq!(store.transitions_of_person("us-sv-cecot", 1).await.unwrap(), of_case(1, &all));
    assert!(store.transitions_of_person("other", 2).await.unwrap().is_empty());
}
on_every_backend!(
    the_locator_reads_only_the_candidates_of_a_question,
    the_locator_reads_only_the_candidates_of_a_question_on
);

/// The `persons` and `person_agreements` rows (kept compactly by the replay, a register holds
/// millions): each column changed, a row added and a row removed is named, and the register put
/// back as it was verifies again.
async fn person_rows_are_replayed_column_by_column_on(f: &Fixture) {
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    let second = AGREEMENT.replace("id = \"us-sv-cecot\"", "id = \"us-sv-second\"");
    import_agreement(store, &second).await;
    import(store, &[person(1), person(2), person(3)]).await;
    let mut amended = person(2);
    amended.conviction = Some("appeal_pending".into());
    let under_second = PersonsFile {
        agreement_id: "us-sv-second",
        sending_state: CountryCode::parse("US").unwrap(),
        persons: Box::new(vec![amended, person(4)].into_iter()),
    };
    store.import_persons(under_second, &actor()).await.unwrap();
    assert_eq!(replay_difference(store).await, None);
    let id = |sending: &'static str| async move { store.person_id_of("US", sending).await.unwrap().unwrap() };
    let (p1, p2, p4) = (id("P000001").await, id("P000002").await, id("P000004").await);
    let named = |d: Option<custodia_store::Difference>| {
        let d = d.expect("a difference");
        (d.table, d.key, d.column)
    };
    let cases: Vec<(String, String, (&str, String, &str))> = vec![
        (
            format!("UPDATE persons SET sending_id = 'P999999' WHERE id = {p2}"),
            format!("UPDATE persons SET sending_id = 'P000002' WHERE id = {p2}"),
            ("persons", p2.to_string(), "sending_id"),
        ),
        (
            format!("UPDATE persons SET sending_state = 'SV' WHERE id = {p1}"),
            format!("UPDATE persons SET sending_state = 'US' WHERE id = {p1}"),
            ("persons", p1.to_string(), "sending_state"),
        ),
        (
            format!("UPDATE persons SET version = 1 WHERE id = {p2}"),
            format!("UPDATE persons SET version = 2 WHERE id = {p2}"),
            ("persons", p2.to_string(), "version"),
        ),
        (
            format!("UPDATE persons SET version = version + 1, last_event_seq = last_event_seq - 1 WHERE id = {p4}"),
            format!("UPDATE persons SET version = version - 1, last_event_seq = last_event_seq + 1 WHERE id = {p4}"),
            ("persons", p4.to_string(), "version"),
        ),
        (
            format!("DELETE FROM person_agreements WHERE person_id = {p2} AND agreement_id = 'us-sv-second'"),
            format!("INSERT INTO person_agreements (person_id, agreement_id) VALUES ({p2}, 'us-sv-second')"),
            ("person_agreements", format!("{p2} / us-sv-second"), "(row)"),
        ),
        (
            format!("INSERT INTO person_agreements (person_id, agreement_id) VALUES ({p1}, 'us-sv-second')"),
            format!("DELETE FROM person_agreements WHERE person_id = {p1} AND agreement_id = 'us-sv-second'"),
            ("person_agreements", format!("{p1} / us-sv-second"), "(row)"),
        ),
        (
            "INSERT INTO persons (id, sending_state, sending_id, record_sha256, version, last_event_seq) \
             SELECT 999, 'US', 'P000999', record_sha256, 1, last_event_seq FROM persons WHERE id = 1"
                .into(),
            "DELETE FROM persons WHERE id = 999".into(),
            ("persons", "999".into(), "(row)"),
        ),
    ];
    for (tamper, restore, expected) in &cases {
        f.raw_sql(&[tamper.as_str()]).await.unwrap();
        let (table, key, column) = named(replay_difference(store).await);
        assert_eq!((table.as_str(), key.as_str(), column.as_str()), (expected.0, expected.1.as_str(), expected.2));
        f.raw_sql(&[restore.as_str()]).await.unwrap();
        assert_eq!(replay_difference(store).await, None, "restored after {tamper}");
    }
    // A record's digest pointed at another's.
    let swap = format!(
        "UPDATE persons SET record_sha256 = (SELECT record_sha256 FROM persons WHERE id = {p1}) WHERE id = {p4}"
    );
    f.raw_sql(&[swap.as_str()]).await.unwrap();
    let (table, key, column) = named(replay_difference(store).await);
    assert_eq!((table.as_str(), key.as_str(), column.as_str()), ("persons", p4.to_string().as_str(), "record_sha256"));
    // A person removed with their agreements: the persons row is the first difference.
    f.raw_sql(&[format!("DELETE FROM person_agreements WHERE person_id = {p4}").as_str()]).await.unwrap();
    f.raw_sql(&[format!("DELETE FROM persons WHERE id = {p4}").as_str()]).await.unwrap();
    let (table, key, column) = named(replay_difference(store).await);
    assert_eq!((table.as_str(), key.as_str(), column.as_str()), ("persons", p4.to_string().as_str(), "(row)"));
}
on_every_backend!(person_rows_are_replayed_column_by_column, person_rows_are_replayed_column_by_column_on);

/// An event deleted from the middle of the journal: the tree check stops at the gap and names it,
/// and the replay (fed by the same read on SQLite) still applies every remaining event and names
/// the row that no event explains any more.
async fn a_deleted_event_is_named_by_the_tree_and_the_replay_on(f: &Fixture) {
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    import(store, &(0..20).map(person).collect::<Vec<_>>()).await;
    let size = store.journal_size().await.unwrap();
    let statements: &[&str] = if f.is_postgres() {
        &["SET session_replication_role = replica", "DELETE FROM events WHERE seq = 10"]
    } else {
        &["PRAGMA foreign_keys = OFF", "DROP TRIGGER events_are_never_deleted", "DELETE FROM events WHERE seq = 10"]
    };
    f.raw_sql(statements).await.unwrap();
    let (tree, replay) = store.replay_journal().await.unwrap();
    let (seq, reason) = tree.first_mismatch.expect("the gap is found");
    assert_eq!(seq, 10, "{reason}");
    assert_eq!(replay.events, size - 1, "every remaining event replayed");
    let d = replay.difference.expect("the person of event 10 has no event");
    assert_eq!((d.table.as_str(), d.column.as_str()), ("persons", "(row)"), "{d}");
}
on_every_backend!(
    a_deleted_event_is_named_by_the_tree_and_the_replay,
    a_deleted_event_is_named_by_the_tree_and_the_replay_on
);

/// A delivery is claimed before it is sent: two servers on one database never both get it, it is
/// not due again while claimed, recording the attempt ends the claim, and a claim that runs out
/// (its server stopped while sending) makes it due again.
async fn a_due_delivery_is_claimed_by_one_sender_at_a_time_on(f: &Fixture) {
    use custodia_store::notifications::{AlertChanges, Attempt, NewOccurrence, NewSubscription};
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    let kinds: Vec<String> = Vec::new();
    let new = NewSubscription {
        agreement_id: "us-sv-cecot",
        min_severity: "warning",
        kinds: &kinds,
        channel: "webhook",
        target: "http://127.0.0.1:9/hook",
        secret: Some("0123456789abcdef"),
    };
    let subscription = store.create_subscription(&new, &actor()).await.unwrap();
    let at = Timestamp::parse("2026-11-27T12:00:00Z").unwrap();
    let now = at.unix_seconds();
    let opened = |subject: &str| NewOccurrence {
        kind: "HELD_BEYOND_RELEASE".into(),
        subject: subject.into(),
        severity: "critical".into(),
        reason: "{}".into(),
        subscriptions: vec![subscription.id],
    };
    let changes =
        AlertChanges { agreement_id: "us-sv-cecot", at: &at, opened: vec![opened("case-1/A")], resolved: Vec::new() };
    store.record_alert_changes(&changes).await.unwrap();

    // Two senders at once: one gets the delivery, the other nothing.
    let (one, two) = tokio::join!(store.claim_due_delivery(now, now + 60), store.claim_due_delivery(now, now + 60));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert_eq!(u8::from(one.is_some()) + u8::from(two.is_some()), 1, "{one:?} {two:?}");
    let claimed = one.or(two).unwrap();
    assert_eq!((claimed.event.as_str(), claimed.occurrence.subject.as_str()), ("new", "case-1/A"));
    // Claimed: not due again until the claim runs out, then due again (its sender stopped).
    assert!(store.claim_due_delivery(now + 59, now + 119).await.unwrap().is_none());
    let again = store.claim_due_delivery(now + 60, now + 120).await.unwrap().unwrap();
    assert_eq!(again.id, claimed.id);
    // Recorded: the claim ends with the attempt.
    let retry = Attempt::Retry { next_attempt_at: now + 61, error: "the receiver answered 500".into() };
    store.delivery_attempted(again.id, &retry).await.unwrap();
    assert!(store.claim_due_delivery(now + 60, now + 120).await.unwrap().is_none());
    let third = store.claim_due_delivery(now + 61, now + 121).await.unwrap().unwrap();
    assert_eq!((third.id, third.attempts), (claimed.id, 1));
    store.delivery_attempted(third.id, &Attempt::Delivered { at: at.clone() }).await.unwrap();
    assert!(store.claim_due_delivery(now + 10_000, now + 10_060).await.unwrap().is_none(), "delivered: never again");
}
on_every_backend!(
    a_due_delivery_is_claimed_by_one_sender_at_a_time,
    a_due_delivery_is_claimed_by_one_sender_at_a_time_on
);
