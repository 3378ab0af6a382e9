//! `custodia journal …`: verify, checkpoint, prove, check (offline), export, key (SPEC §10, §12).

use custodia_store::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use custodia_journal::checkpoint::{Checkpoint, Signer, Verifier, open_checkpoint};
use custodia_journal::merkle;
use serde_json::{Value, json};

use crate::output::AtomicOutput;
use crate::register_cmd::{RegisterArgs, block_on, open, open_app};
use crate::{CmdResult, Failure};

/// Signing configuration; both are also configuration keys (`journal_origin`, `signing_key`,
/// or CUSTODIA_JOURNAL_ORIGIN and CUSTODIA_SIGNING_KEY).
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct KeyArgs {
    /// Checkpoint origin line and signing-key name (default custodia.invalid/journal).
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
    /// Signing key file (hex Ed25519 seed); default DATA_DIR/journal-signing.key, made by `custodia init`.
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
}

/// The refusal of `--index` beyond the journal, naming its size and the 0-based numbering.
fn index_out_of_range(index: u64, size: u64) -> String {
    match size.checked_sub(1) {
        None => format!("--index: {index} is out of range: the journal has no events yet"),
        Some(last) => {
            let events = if size == 1 { "event" } else { "events" };
            format!(
                "--index: {index} is out of range: the journal has {size} {events}, indexed from 0 to {last} (0-based)"
            )
        }
    }
}

/// `custodia journal` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum JournalCommand {
    /// Recompute the whole tree from the stored events; report the first event that does not match.
    /// Exit 1 when the journal does not verify.
    Verify {
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Sign and print the current checkpoint (C2SP tlog-checkpoint as a signed note).
    Checkpoint {
        #[command(flatten)]
        register: RegisterArgs,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Print the verifier key, `<name>+<key id>+<base64 key>`, for inspectors.
    Key {
        #[command(flatten)]
        register: RegisterArgs,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Print an inclusion proof for event N (or, with --old-size, a consistency proof) as JSON,
    /// against the current tree size. Events are numbered from 0: the first event is index 0.
    Prove {
        /// The event to prove, as a 0-based leaf index (the first event is 0, the last is the
        /// journal size minus 1).
        #[arg(long, value_name = "N", required_unless_present = "old_size")]
        index: Option<u64>,
        /// Prove that the tree of this size is a prefix of the current one.
        #[arg(long, value_name = "M")]
        old_size: Option<u64>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Offline check, with only the verifier key: a signed checkpoint plus an inclusion proof (and
    /// the leaf, one line of `journal export`) or a consistency proof (and optionally the old
    /// checkpoint). Exit 1 when the check fails.
    Check {
        /// The signed checkpoint (output of `journal checkpoint`).
        #[arg(long, value_name = "FILE")]
        checkpoint: PathBuf,
        /// The proof (output of `journal prove`).
        #[arg(long, value_name = "FILE")]
        proof: PathBuf,
        /// For an inclusion proof: the event's leaf bytes (its line of `journal export`).
        #[arg(long, value_name = "FILE")]
        leaf: Option<PathBuf>,
        /// For a consistency proof: the older signed checkpoint the inspector holds.
        #[arg(long, value_name = "FILE")]
        old_checkpoint: Option<PathBuf>,
        /// The verifier key (`<name>+<id>+<key>`), or a file containing it.
        #[arg(long, value_name = "KEY")]
        key: String,
    },
    /// Write one line per event — exactly the leaf bytes (canonical JSON) — in leaf order.
    Export {
        /// First event (inclusive).
        #[arg(long, value_name = "N", default_value_t = 0)]
        from: u64,
        /// End (exclusive); default the current size.
        #[arg(long, value_name = "M")]
        to: Option<u64>,
        /// Output file (atomic); standard output when absent.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

/// Loads the register's signing key (never creates one: `custodia init` does).
pub(crate) fn signer(register: &RegisterArgs, key: &KeyArgs) -> Result<Signer, Failure> {
    let mut flags: Vec<(&str, String)> = Vec::new();
    if let Some(origin) = &key.origin {
        flags.push(("journal_origin", origin.clone()));
    }
    if let Some(path) = &key.signing_key {
        flags.push(("signing_key", path.display().to_string()));
    }
    let config = register.config_with(&flags)?;
    let seed = custodia_store::keyfile::load_or_create(&config.signing_key_path(), false).map_err(|e| match e {
        custodia_store::keyfile::KeyError::Io(path, e) if e.kind() == std::io::ErrorKind::NotFound => {
            Failure::Input(format!(
                "{path}: no journal signing key here: `custodia init` creates one, or name yours with --signing-key"
            ))
        }
        other => Failure::Input(other.to_string()),
    })?;
    Signer::from_seed(&config.journal_origin, seed).map_err(|e| Failure::Input(format!("--origin: {e}")))
}

fn b64(hash: &merkle::Hash) -> String {
    hash.to_base64()
}

fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::Input(format!("{}: cannot read: {e}", path.display())))
}

pub(crate) fn run(command: &JournalCommand) -> CmdResult {
    match command {
        JournalCommand::Verify { register } => block_on(async {
            let app = open_app(register).await?;
            let store = app.store();
            let report = store.verify_journal().await.map_err(|e| Failure::Other(e.into()))?;
            store.close().await;
            match report.first_mismatch {
                None => {
                    writeln!(
                        std::io::stdout().lock(),
                        "ok: {} events verified; root {}",
                        report.size,
                        b64(&report.root)
                    )?;
                    Ok(())
                }
                Some((seq, reason)) => {
                    Err(Failure::Other(anyhow::anyhow!("journal does not verify: event {seq}: {reason}")))
                }
            }
        }),
        JournalCommand::Checkpoint { register, key } => {
            let signer = signer(register, key)?;
            block_on(async {
                let app = open_app(register).await?;
                let store = app.store();
                let size = store.journal_size().await.map_err(|e| Failure::Other(e.into()))?;
                let root = current_root(store, size).await?;
                store.close().await;
                let checkpoint =
                    Checkpoint::new(signer.name(), size, root).map_err(|e| Failure::Input(format!("--origin: {e}")))?;
                write!(std::io::stdout().lock(), "{}", signer.sign_checkpoint(&checkpoint))?;
                Ok(())
            })
        }
        JournalCommand::Key { register, key } => {
            let signer = signer(register, key)?;
            writeln!(std::io::stdout().lock(), "{}", signer.verifier_key())?;
            Ok(())
        }
        JournalCommand::Prove { index, old_size, register } => block_on(async {
            let store = open(register).await?;
            let size = store.journal_size().await.map_err(|e| Failure::Other(e.into()))?;
            let leaves = store.leaf_hashes(size).await.map_err(|e| Failure::Other(e.into()))?;
            store.close().await;
            let root = merkle::root(&leaves);
            let proof = match (index, old_size) {
                (Some(index), _) => {
                    if *index >= size {
                        return Err(Failure::Input(index_out_of_range(*index, size)));
                    }
                    let path = merkle::inclusion_proof(*index, size, &leaves)
                        .map_err(|e| Failure::Input(format!("--index: {e}")))?;
                    json!({
                        "type": "inclusion",
                        "leaf_index": index,
                        "leaf_index_base": 0,
                        "tree_size": size,
                                "leaf_hash": leaves.get(usize::try_from(*index).unwrap_or(usize::MAX)).map(b64),
                        "root_hash": b64(&root),
                        "proof": path.iter().map(b64).collect::<Vec<_>>(),
                    })
                }
                (None, Some(old)) => {
                    if *old > size || *old == 0 {
                        return Err(Failure::Input(format!(
                            "--old-size: must be between 1 and the current size {size}"
                        )));
                    }
                    let old_leaves = leaves.get(..usize::try_from(*old).unwrap_or(0)).unwrap_or_default();
                    let path = merkle::consistency_proof(*old, size, &leaves)
                        .map_err(|e| Failure::Input(format!("--old-size: {e}")))?;
                    json!({
                        "type": "consistency",
                        "old_size": old,
                        "new_size": size,
                        "old_root_hash": b64(&merkle::root(old_leaves)),
                        "new_root_hash": b64(&root),
                        "proof": path.iter().map(b64).collect::<Vec<_>>(),
                    })
                }
                (None, None) => return Err(Failure::Input("give --index N or --old-size M".into())),
            };
            writeln!(
                std::io::stdout().lock(),
                "{}",
                serde_json::to_string_pretty(&proof).map_err(anyhow::Error::from)?
            )?;
            Ok(())
        }),
        JournalCommand::Check { checkpoint, proof, leaf, old_checkpoint, key } => {
            check(checkpoint, proof, leaf.as_deref(), old_checkpoint.as_deref(), key)
        }
        JournalCommand::Export { from, to, out, register } => block_on(async {
            let store = open(register).await?;
            let size = store.journal_size().await.map_err(|e| Failure::Other(e.into()))?;
            let end = to.unwrap_or(size).min(size);
            if *from > end {
                return Err(Failure::Input(format!("--from: must not be after --to ({end})")));
            }
            let mut sink = AtomicOutput::new(out.as_deref())?;
            let mut at = *from;
            let mut buf = Vec::with_capacity(1 << 20);
            while at < end {
                let page = store
                    .events(at, (at + custodia_store::PAGE_EVENTS).min(end))
                    .await
                    .map_err(|e| Failure::Other(e.into()))?;
                if page.is_empty() {
                    return Err(Failure::Other(anyhow::anyhow!("event {at} is missing from the register")));
                }
                buf.clear();
                for event in &page {
                    buf.extend_from_slice(event.body.as_bytes());
                    buf.push(b'\n');
                }
                sink.write_all(&buf)?;
                at += page.len() as u64;
            }
            store.close().await;
            sink.commit()
        }),
    }
}

async fn current_root(store: &custodia_store::Store, size: u64) -> Result<merkle::Hash, Failure> {
    if size == 0 {
        return Ok(merkle::root(&[]));
    }
    let last = store.events(size - 1, size).await.map_err(|e| Failure::Other(e.into()))?;
    let root = last.first().map(|e| e.root_after.clone()).unwrap_or_default();
    <[u8; 32]>::try_from(root)
        .map(merkle::Hash::from_bytes)
        .map_err(|_| Failure::Other(anyhow::anyhow!("stored root of event {} is not 32 bytes", size - 1)))
}

fn decode_hash(value: &Value, field: &str) -> Result<merkle::Hash, Failure> {
    let text =
        value.get(field).and_then(Value::as_str).ok_or_else(|| Failure::Input(format!("proof: {field} is missing")))?;
    merkle::Hash::from_base64(text).map_err(|e| Failure::Input(format!("proof: {field}: {e}")))
}

fn decode_path(value: &Value) -> Result<Vec<merkle::Hash>, Failure> {
    let items =
        value.get("proof").and_then(Value::as_array).ok_or_else(|| Failure::Input("proof: proof is missing".into()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let text = item.as_str().ok_or_else(|| Failure::Input(format!("proof: proof[{i}] is not a string")))?;
            merkle::Hash::from_base64(text).map_err(|e| Failure::Input(format!("proof: proof[{i}]: {e}")))
        })
        .collect()
}

fn number(value: &Value, field: &str) -> Result<u64, Failure> {
    value
        .get(field)
        .and_then(Value::as_u64)
        .ok_or_else(|| Failure::Input(format!("proof: {field} is missing or not a number")))
}

fn check(checkpoint: &Path, proof: &Path, leaf: Option<&Path>, old_checkpoint: Option<&Path>, key: &str) -> CmdResult {
    let key_text = if Path::new(key).is_file() { read_text(Path::new(key))?.trim().to_owned() } else { key.to_owned() };
    let verifier = Verifier::parse(&key_text).map_err(|e| Failure::Input(format!("--key: {e}")))?;
    let fail = |what: String| Failure::Other(anyhow::anyhow!("check failed: {what}"));
    let note = read_text(checkpoint)?;
    let head = open_checkpoint(&note, &verifier).map_err(|e| fail(format!("checkpoint: {e}")))?;
    let proof_json: Value = serde_json::from_str(&read_text(proof)?)
        .map_err(|e| Failure::Input(format!("{}: not JSON: {e}", proof.display())))?;
    let mut out = std::io::stdout().lock();
    match proof_json.get("type").and_then(Value::as_str) {
        Some("inclusion") => {
            let leaf = leaf.ok_or_else(|| Failure::Input("--leaf: an inclusion proof needs the leaf bytes".into()))?;
            let mut bytes = std::fs::read(leaf).map_err(|e| Failure::Input(format!("{}: {e}", leaf.display())))?;
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            let index = number(&proof_json, "leaf_index")?;
            let size = number(&proof_json, "tree_size")?;
            if size != head.size() {
                return Err(fail(format!("proof is for tree size {size}, the checkpoint is for {}", head.size())));
            }
            let path = decode_path(&proof_json)?;
            merkle::verify_inclusion(&merkle::leaf_hash(&bytes), index, size, &path, &head.root())
                .map_err(|e| fail(format!("inclusion of event {index}: {e}")))?;
            writeln!(
                out,
                "ok: event {index} (0-based) is in the journal of {size} events signed by {}",
                head.origin()
            )?;
        }
        Some("consistency") => {
            let old_size = number(&proof_json, "old_size")?;
            let new_size = number(&proof_json, "new_size")?;
            if new_size != head.size() {
                return Err(fail(format!("proof is for tree size {new_size}, the checkpoint is for {}", head.size())));
            }
            let old_root = match old_checkpoint {
                Some(path) => {
                    let old = open_checkpoint(&read_text(path)?, &verifier)
                        .map_err(|e| fail(format!("old checkpoint: {e}")))?;
                    if old.size() != old_size {
                        return Err(fail(format!(
                            "proof starts at size {old_size}, the old checkpoint is for {}",
                            old.size()
                        )));
                    }
                    old.root()
                }
                None => decode_hash(&proof_json, "old_root_hash")?,
            };
            let path = decode_path(&proof_json)?;
            merkle::verify_consistency(old_size, new_size, &old_root, &head.root(), &path)
                .map_err(|e| fail(format!("consistency {old_size} → {new_size}: {e}")))?;
            writeln!(
                out,
                "ok: the journal of {old_size} events is a prefix of the {new_size} signed by {}: history was only appended to",
                head.origin()
            )?;
        }
        _ => {
            return Err(Failure::Input(format!(
                "{}: \"type\" must be \"inclusion\" or \"consistency\"",
                proof.display()
            )));
        }
    }
    Ok(())
}
