//! `custodia backup`: a consistent copy of the register with its signing key, restorable on the
//! same database kind, whose journal verifies and signs the same checkpoint as the original did
//! when the copy was taken (docs/operations.md#backup-and-restore).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Register, custodia};

const AGREEMENT: &str = "examples/agreements/us-sv-cecot.toml";

fn populate(r: &Register) {
    r.ok(&["import", "agreement", AGREEMENT]);
    let persons = r.dir.join("p.csv");
    r.ok(&["synth", "persons", "--count", "20", "--seed", "5", "--out", persons.to_str().unwrap()]);
    r.ok(&["import", "persons", persons.to_str().unwrap(), "--agreement", "us-sv-cecot"]);
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A PostgreSQL client program: from the test cluster's binaries when known, else PATH.
fn pg_program(name: &str) -> PathBuf {
    match std::env::var("PG_CLUSTER_BIN") {
        Ok(dir) => Path::new(&dir).join(name),
        Err(_) => PathBuf::from(name),
    }
}

/// Runs `backup --out DIR` on the register; returns the events and root it reports.
fn backup(r: &Register, out: &Path) -> (usize, String) {
    let output = r
        .command_bare()
        .args(["backup", "--out", out.to_str().unwrap()])
        .env("CUSTODIA_PG_DUMP", pg_program("pg_dump"))
        .output()
        .unwrap();
    assert!(output.status.success(), "backup on {}: {}", r.database(), String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let rest = text.strip_prefix(&format!("backup: {} (", out.display())).unwrap_or_else(|| panic!("{text}"));
    let events = rest.split(' ').next().unwrap().parse().unwrap();
    let root = rest.split("root ").nth(1).unwrap().trim_end().trim_end_matches(')').to_owned();
    (events, root)
}

#[test]
fn a_backup_is_a_consistent_private_copy_that_restores_and_verifies() {
    for r in Register::on_every_database("backup") {
        let db = r.database();
        populate(&r);
        let before = r.verified_events();
        let checkpoint_then = r.bare(&["journal", "checkpoint"]);
        assert!(checkpoint_then.status.success());
        let out = r.dir.join("backup-1");
        let (events, root) = backup(&r, &out);
        assert_eq!(events, before, "{db}: the copy holds the journal as it was");
        assert!(String::from_utf8_lossy(&checkpoint_then.stdout).contains(&root), "{db}: root {root}");
        assert!(!r.dir.join("backup-1.partial").exists(), "{db}: no partial directory left");

        // Private: the copy holds every record and the signing key.
        assert_eq!(mode(&out), 0o700, "{db}: directory mode");
        let copy = if db == "sqlite" { "custodia.db" } else { "custodia.pgdump" };
        for file in [copy, "journal-signing.key", "checkpoint", "backup.json"] {
            assert_eq!(mode(&out.join(file)), 0o600, "{db}: {file} mode");
        }
        // The checkpoint in the backup is the one the register signed for that state.
        let saved = std::fs::read(out.join("checkpoint")).unwrap();
        assert_eq!(saved, checkpoint_then.stdout, "{db}: the backup's checkpoint");
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("backup.json")).unwrap()).unwrap();
        assert_eq!(manifest["journal_size"].as_u64(), Some(u64::try_from(before).unwrap()));
        assert_eq!(manifest["backend"], db);

        // Later writes do not reach the copy.
        r.ok(&["user", "add", "later-user", "--role", "auditor", "--agreements", "*"]);
        assert!(r.verified_events() > before);

        // Restored, the copy verifies with the original's size and signs the same checkpoint.
        let restored = restore(&r, &out);
        let verify = restored.verify();
        assert!(verify.status.success(), "{db}: restored verify: {}", String::from_utf8_lossy(&verify.stderr));
        let text = String::from_utf8(verify.stdout).unwrap();
        assert!(text.starts_with(&format!("ok: {before} events")), "{db}: {text}");
        let checkpoint = restored.run(&["journal", "checkpoint"]);
        assert_eq!(checkpoint.stdout, checkpoint_then.stdout, "{db}: the restored register signs the same checkpoint");
        restored.drop_database();
    }
}

#[test]
fn a_backup_never_overwrites_and_needs_a_register() {
    let r = Register::new("backup-refusals");
    let existing = r.dir.join("there");
    std::fs::create_dir_all(&existing).unwrap();
    let output = r.command_bare().args(["backup", "--out", existing.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--out"));
    assert_eq!(std::fs::read_dir(&existing).unwrap().count(), 0, "nothing written into an existing directory");

    let nowhere = r.dir.join("no-register");
    let out = r.dir.join("backup-of-nothing");
    let output = custodia()
        .args(["backup", "--out", out.to_str().unwrap(), "--data-dir", nowhere.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("custodia init"));
    assert!(!out.exists() && !r.dir.join("backup-of-nothing.partial").exists() && !nowhere.exists());
}

/// A register restored from a backup directory.
struct Restored {
    data_dir: PathBuf,
    database: Option<(String, String, String)>,
}

impl Restored {
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut command: Command = custodia();
        command.env("CUSTODIA_DATA_DIR", &self.data_dir);
        if let Some((_, _, url)) = &self.database {
            command.env("CUSTODIA_DATABASE_URL", url);
        }
        command.args(args).output().unwrap()
    }

    fn verify(&self) -> std::process::Output {
        self.run(&["journal", "verify"])
    }

    fn drop_database(&self) {
        if let Some((server, name, _)) = &self.database {
            common::drop_postgres_database(server, name);
        }
    }
}

/// Restores as docs/operations.md says: SQLite — the backup directory is a data directory (copy
/// it into place); PostgreSQL — `pg_restore` into an empty database, the key beside it.
fn restore(r: &Register, backup: &Path) -> Restored {
    let data_dir = r.dir.join("restored");
    std::fs::create_dir_all(&data_dir).unwrap();
    std::fs::copy(backup.join("journal-signing.key"), data_dir.join("journal-signing.key")).unwrap();
    let Some((server, _)) = r.postgres() else {
        std::fs::copy(backup.join("custodia.db"), data_dir.join("custodia.db")).unwrap();
        return Restored { data_dir, database: None };
    };
    let name = format!("custodia_cli_restored_{}", std::process::id());
    let url = common::fresh_postgres_database(server, &name);
    let output = Command::new(pg_program("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "--dbname", &url])
        .arg(backup.join("custodia.pgdump"))
        .output()
        .unwrap();
    assert!(output.status.success(), "pg_restore: {}", String::from_utf8_lossy(&output.stderr));
    Restored { data_dir, database: Some((server.to_owned(), name, url)) }
}
