//! `custodia backup --out DIR`: a consistent copy of the register together with its journal
//! signing key (docs/operations.md#backup-and-restore). Acts on the register's host, like
//! `journal verify`: it needs the register's files, not a token, and works while `serve` runs.
//!
//! The copy is written to `DIR.partial` and renamed to `DIR` only once complete, so a failed or
//! interrupted backup never leaves a directory that looks like a backup. Every file is 0600 and
//! the directory 0700: the copy holds the whole register and the signing key.

use std::io::Write;
use std::path::{Path, PathBuf};

use custodia_journal::merkle::Hash;
use custodia_store::Target;
use custodia_store::snapshot::SnapshotHead;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::register_cmd::{PlaceArgs, app_failure, block_on, store_failure};
use crate::{CmdResult, Failure};

/// The SQLite copy's name: the data directory's own, so a SQLite backup is itself a data directory.
const SQLITE_COPY: &str = "custodia.db";
/// The PostgreSQL copy's name (`pg_dump --format=custom`; restore with `pg_restore`).
const POSTGRES_COPY: &str = "custodia.pgdump";
/// The signing key's name in the copy: the data directory's default.
const KEY_COPY: &str = custodia_store::keyfile::KEY_FILE;

/// `custodia backup` arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct BackupArgs {
    /// The backup directory to create (must not exist).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// PostgreSQL only: the pg_dump program (default `pg_dump` on PATH, or CUSTODIA_PG_DUMP). Its
    /// major version must be at least the server's.
    #[arg(long, value_name = "PROGRAM", env = "CUSTODIA_PG_DUMP", default_value = "pg_dump")]
    pg_dump: PathBuf,
    #[command(flatten)]
    place: PlaceArgs,
}

pub(crate) fn run(args: &BackupArgs) -> CmdResult {
    let config = args.place.config_with(&[])?;
    let out = args.out.clone();
    if out.exists() {
        return Err(Failure::Input(format!("--out: {} already exists; nothing was written", out.display())));
    }
    let partial = partial_path(&out)?;
    if partial.exists() {
        return Err(Failure::Input(format!(
            "--out: {} exists (an interrupted backup?); remove it first; nothing was written",
            partial.display()
        )));
    }
    block_on(async {
        let app = custodia_app::App::open(&config).await.map_err(app_failure)?;
        private_dir(&partial)?;
        let written = write_copy(&app, &config, &partial, &args.pg_dump).await;
        app.close().await;
        let head = match written {
            Ok(head) => head,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, &out).map_err(|e| {
            Failure::Other(anyhow::anyhow!("cannot rename {} to {}: {e}", partial.display(), out.display()))
        })?;
        writeln!(std::io::stdout().lock(), "backup: {} ({} events, root {})", out.display(), head.0, head.1)?;
        Ok(())
    })
}

fn partial_path(out: &Path) -> Result<PathBuf, Failure> {
    let name = out.file_name().ok_or_else(|| Failure::Input(format!("--out: {} names no directory", out.display())))?;
    let mut partial = name.to_os_string();
    partial.push(".partial");
    Ok(out.with_file_name(partial))
}

/// Writes the copy, the key, the checkpoint and the manifest into `dir`; returns the copy's journal
/// size and base64 root.
async fn write_copy(
    app: &custodia_app::App,
    config: &custodia_app::Config,
    dir: &Path,
    pg_dump: &Path,
) -> Result<(u64, String), Failure> {
    let (copy, head) = match config.target() {
        Target::Url(url) if url.starts_with("postgres") => {
            let file = dir.join(POSTGRES_COPY);
            let head = dump_postgres(app, &url, pg_dump, &file).await?;
            (POSTGRES_COPY, head)
        }
        _ => {
            let file = dir.join(SQLITE_COPY);
            app.store().copy_sqlite_into(&file).await.map_err(store_failure)?;
            private_file(&file)?;
            (SQLITE_COPY, check_sqlite_copy(dir).await?)
        }
    };
    let key = std::fs::read(config.signing_key_path())
        .map_err(|e| Failure::Other(anyhow::anyhow!("{}: {e}", config.signing_key_path().display())))?;
    write_private(&dir.join(KEY_COPY), &key)?;
    let root = root_hash(&head)?;
    let note = app.sign_checkpoint(head.size, root).map_err(app_failure)?;
    write_private(&dir.join("checkpoint"), note.as_bytes())?;
    let manifest = json!({
        "format": 1,
        "backend": app.store().backend(),
        "journal_size": head.size,
        "root_hash": root.to_base64(),
        "files": {
            copy: sha256_file(&dir.join(copy))?,
            KEY_COPY: hex(&Sha256::digest(&key)),
            "checkpoint": hex(&Sha256::digest(note.as_bytes())),
        },
    });
    let text = serde_json::to_string_pretty(&manifest).map_err(anyhow::Error::from)?;
    write_private(&dir.join("backup.json"), format!("{text}\n").as_bytes())?;
    Ok((head.size, root.to_base64()))
}

/// Opens the SQLite copy as a register and verifies it as `journal verify` does (the tree, and
/// every table replayed from the journal): a copy that does not verify is no backup.
async fn check_sqlite_copy(dir: &Path) -> Result<SnapshotHead, Failure> {
    let store = custodia_store::Store::open(&Target::DataDir(dir.to_path_buf())).await.map_err(store_failure)?;
    let (tree, replay) = custodia_store::prelude::Journal::replay_journal(&store).await.map_err(store_failure)?;
    let head = store.snapshot_head().await.map_err(store_failure)?;
    store.close().await;
    if let Some((seq, reason)) = tree.first_mismatch {
        return Err(Failure::Other(anyhow::anyhow!("the copy does not verify: event {seq}: {reason}")));
    }
    if let Some(difference) = replay.difference {
        return Err(Failure::Other(anyhow::anyhow!("the copy does not verify: {difference}")));
    }
    for suffix in ["-wal", "-shm"] {
        let side = dir.join(format!("{SQLITE_COPY}{suffix}"));
        if side.exists() {
            private_file(&side)?;
        }
    }
    Ok(head)
}

/// Runs `pg_dump --snapshot` on the snapshot the store holds, into `file`.
async fn dump_postgres(
    app: &custodia_app::App,
    url: &str,
    pg_dump: &Path,
    file: &Path,
) -> Result<SnapshotHead, Failure> {
    let (url, program, target) = (url.to_owned(), pg_dump.to_path_buf(), file.to_path_buf());
    let dump = |snapshot: String| async move {
        tokio::task::spawn_blocking(move || run_pg_dump(&program, &url, &snapshot, &target))
            .await
            .map_err(|e| format!("pg_dump did not finish: {e}"))?
    };
    let head = app.store().with_postgres_snapshot(dump).await.map_err(store_failure)?;
    private_file(file)?;
    Ok(head)
}

fn run_pg_dump(program: &Path, url: &str, snapshot: &str, file: &Path) -> Result<(), String> {
    let output = std::process::Command::new(program)
        .arg("--format=custom")
        .arg("--no-owner")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(file)
        .arg("--dbname")
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run {} (set --pg-dump or CUSTODIA_PG_DUMP): {e}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!("pg_dump failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr).trim()))
    }
}

fn root_hash(head: &SnapshotHead) -> Result<Hash, Failure> {
    if head.size == 0 {
        return Ok(custodia_journal::merkle::empty_root());
    }
    <[u8; 32]>::try_from(head.root_after.as_slice())
        .map(Hash::from_bytes)
        .map_err(|_| Failure::Other(anyhow::anyhow!("the copy's root hash is not 32 bytes")))
}

fn private_dir(dir: &Path) -> Result<(), Failure> {
    custodia_store::create_private_dir(dir).map_err(store_failure)
}

fn private_file(path: &Path) -> Result<(), Failure> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Failure::Other(anyhow::anyhow!("{}: {e}", path.display())))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::Other(anyhow::anyhow!("{}: {e}", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.sync_all().map_err(fail)
}

fn sha256_file(path: &Path) -> Result<String, Failure> {
    let mut file = std::fs::File::open(path).map_err(|e| Failure::Other(anyhow::anyhow!("{}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| Failure::Other(anyhow::anyhow!("{}: {e}", path.display())))?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
