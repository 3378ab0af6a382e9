//! The storage contract's conformance suite. Every test runs on SQLite (a fresh file in a temp
//! directory) and, when `CUSTODIA_TEST_POSTGRES_URL` is set, on a fresh PostgreSQL database
//! created for the test on that server (and dropped afterwards).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use custodia_core::Agreement;
use custodia_core::ids::CountryCode;
use custodia_store::prelude::*;
use custodia_store::{Actor, AgreementFile, PersonData, PersonsFile, Store, Target, Timestamp};
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
        occurred_at: "2025-03-15T10:00:00Z".into(),
        recorded_at: "2025-03-15T10:00:00Z".into(),
        reason: "TEST".into(),
    }
}

/// Takes a proposed case to `in_transit`: screened eligible, approved by two users, scheduled, gone.
async fn to_transit(store: &Store, case_id: i64) {
    use custodia_core::agreement::Party;
    use custodia_core::custody::Command;
    use custodia_core::eligibility::Decision;
    use custodia_store::cases::{CaseCall, CaseRequest};
    for (command, user) in [
        (Command::Screen { decision: Decision::Eligible }, "s"),
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

/// A new case with the legal basis the person's record gives.
fn open(person: &PersonData) -> custodia_core::custody::Case {
    custodia_core::custody::Case::new(custodia_core::custody::legal_basis_on_record(
        person.conviction.as_deref(),
        person.removal_order.as_deref(),
    ))
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
        care_needs: Some("no".into()),
        removal_destination: None,
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
        let row = store.propose_case("us-sv-cecot", sending_id, &open, &actor()).await.unwrap();
        assert!(row.case.legal_basis);
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
            value: "SV-CECOT-0001".to_owned()
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
    use custodia_core::eligibility::Decision;
    use custodia_store::cases::{CaseCall, CaseRequest};
    let store = &f.store;
    import_agreement(store, AGREEMENT).await;
    import(store, &[person(1), person(2), person(3)]).await;
    for id in ["P000001", "P000002", "P000003"] {
        store.propose_case("us-sv-cecot", id, &open, &actor()).await.unwrap();
    }
    let call = |id: i64, expected: Option<i64>, command: Command| CaseCall {
        id,
        expected_version: expected,
        action: "step".into(),
        request: CaseRequest::Plain(command),
        actor: case_actor("u"),
        store_actor: actor(),
    };
    let size = store.journal_size().await.unwrap();
    let results = store
        .act_on_cases(
            &[
                call(1, None, Command::Screen { decision: Decision::Eligible }),
                call(2, None, Command::Depart),
                call(3, Some(7), Command::Screen { decision: Decision::Eligible }),
                call(3, Some(1), Command::Screen { decision: Decision::Review }),
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
