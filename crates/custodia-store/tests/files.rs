//! The register's files are its owner's only (issue 13, bullet 5): the data directory 0700, the
//! SQLite database and its `-wal` and `-shm` files 0600 — even where they existed with looser
//! modes — and the signing key 0600.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use custodia_store::access::NewUser;
use custodia_store::prelude::*;
use custodia_store::{Actor, Store, Target, Timestamp};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

async fn write_something(store: &Store, name: &str) {
    let user = NewUser {
        name: name.into(),
        name_key: name.into(),
        role: "auditor".into(),
        agreements: vec!["*".into()],
        facilities: vec!["*".into()],
        password_hash: None,
    };
    let by = Actor {
        name: "setup".into(),
        recorded_at: Timestamp::parse("2026-12-05T00:00:00Z").unwrap(),
        occurred_at: None,
    };
    store.create_user(&user, &by).await.unwrap();
}

#[tokio::test]
async fn the_data_directory_the_database_and_the_key_are_owner_only() {
    let dir = std::env::temp_dir().join(format!("custodia-files-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    set_mode(&dir, 0o755);
    let store = Store::open(&Target::DataDir(dir.clone())).await.unwrap();
    write_something(&store, "first").await;
    let db = dir.join(custodia_store::SQLITE_FILE);
    let (wal, shm) = (dir.join("custodia.db-wal"), dir.join("custodia.db-shm"));
    assert_eq!(mode(&dir), 0o700);
    for file in [&db, &wal, &shm] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    store.close().await;

    // Files left with looser modes (an older version, a copy) are tightened when opened again.
    for file in [&db, &wal, &shm] {
        if file.exists() {
            set_mode(file, 0o644);
        }
    }
    set_mode(&dir, 0o755);
    let store = Store::open(&Target::DataDir(dir.clone())).await.unwrap();
    write_something(&store, "second").await;
    assert_eq!(mode(&dir), 0o700);
    for file in [&db, &wal, &shm] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    store.close().await;

    let key = dir.join(custodia_store::keyfile::KEY_FILE);
    custodia_store::keyfile::load_or_create(&key, true).unwrap();
    assert_eq!(mode(&key), 0o600);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A register removed and made again at the same path is read as the new one: the hot reads go
/// through a read-only connection kept per thread, which must not outlive the store it was made
/// for (on one thread here, so the same thread's reader is asked both times).
#[tokio::test(flavor = "current_thread")]
async fn a_register_made_again_at_the_same_path_is_not_read_through_the_old_one() {
    let dir = std::env::temp_dir().join(format!("custodia-again-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(&Target::DataDir(dir.clone())).await.unwrap();
    write_something(&store, "first").await;
    write_something(&store, "second").await;
    let before = store.journal_size().await.unwrap();
    assert!(before >= 2, "{before}");
    store.close().await;
    std::fs::remove_dir_all(&dir).unwrap();

    let store = Store::open(&Target::DataDir(dir.clone())).await.unwrap();
    write_something(&store, "only").await;
    assert_eq!(store.journal_size().await.unwrap(), before - 1, "the new register has one user fewer");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two registers in one process may hold an agreement with the same id and version number but a
/// different file: each is read as its own (the parsed files are kept by the digest of their text,
/// never by id and version).
#[tokio::test]
async fn two_registers_with_the_same_agreement_version_each_read_their_own_file() {
    let source = include_str!("../../../examples/agreements/us-sv-cecot.toml");
    let mut places = Vec::new();
    for (n, contracted) in [(1, "300"), (2, "350")] {
        let dir = std::env::temp_dir().join(format!("custodia-two-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&Target::DataDir(dir.clone())).await.unwrap();
        let text = source.replace("contracted_places = 300", &format!("contracted_places = {contracted}"));
        let agreement = custodia_core::Agreement::from_toml(&text).unwrap();
        let by = Actor {
            name: "setup".into(),
            recorded_at: Timestamp::parse("2026-12-05T00:00:00Z").unwrap(),
            occurred_at: None,
        };
        let file = custodia_store::AgreementFile { agreement: &agreement, source: &text, effective_from: None };
        assert_eq!(store.import_agreement(&file, &by).await.unwrap().version, 1);
        let current = store.current_agreement(agreement.id.as_str()).await.unwrap().unwrap();
        assert_eq!((current.version, &*current.parsed.source), (1, text.as_str()));
        places.push(current.parsed.agreement.facilities[0].contracted_places);
        store.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert_eq!(places, [300, 350]);
}
