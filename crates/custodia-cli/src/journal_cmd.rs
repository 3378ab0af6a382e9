//! `custodia journal …`: verify, checkpoint, prove, check (offline), export, key
//! (docs/command-line.md#journal). `verify`, `checkpoint` and `key` act on the register's host
//! and need no user; `prove` and `export` act as the token's user. Those use cases are the
//! application layer's (`custodia_app::journal`); `check` is a file tool that needs no register.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use custodia_app::AppError;
use custodia_journal::checkpoint::{Verifier, open_checkpoint};
use custodia_journal::merkle;
use custodia_journal::witness::{CosignatureVerifier, count_cosignatures};
use serde_json::{Value, json};

use crate::output::AtomicOutput;
use crate::register_cmd::{RegisterArgs, app_failure, block_on, open};
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

/// `custodia journal` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum JournalCommand {
    /// Recompute the whole tree from the stored events and replay them into every table of the
    /// register; report the first event that does not match and the first difference (table, row,
    /// column). Exit 1 when the journal does not verify.
    Verify {
        /// Check only the tree (the events and their hashes), not the tables: the fast path.
        #[arg(long)]
        tree_only: bool,
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
        /// The proof (output of `journal prove`); without one, only the checkpoint's signature
        /// and its witnesses' cosignatures are checked.
        #[arg(long, value_name = "FILE")]
        proof: Option<PathBuf>,
        /// For an inclusion proof: the event's leaf bytes (its line of `journal export`).
        #[arg(long, value_name = "FILE")]
        leaf: Option<PathBuf>,
        /// For a consistency proof: the older signed checkpoint the inspector holds.
        #[arg(long, value_name = "FILE")]
        old_checkpoint: Option<PathBuf>,
        /// The verifier key (`<name>+<id>+<key>`), or a file containing it.
        #[arg(long, value_name = "KEY")]
        key: String,
        /// A witness whose cosignature counts (its cosignature key `<name>+<id>+<key>`, or a file
        /// containing it). Repeat for several (docs/journal.md#witnesses).
        #[arg(long = "witness", value_name = "KEY")]
        witnesses: Vec<String>,
        /// How many of the --witness keys must have cosigned the checkpoint (default: all of them).
        #[arg(long, value_name = "K")]
        witnesses_required: Option<usize>,
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

/// Opens the register on its host, with the signing key and origin of `key` when given (never
/// creates a key: `custodia init` does).
async fn open_host(register: &RegisterArgs, key: Option<&KeyArgs>) -> Result<custodia_app::App, Failure> {
    let mut flags: Vec<(&str, String)> = Vec::new();
    if let Some(origin) = key.and_then(|k| k.origin.as_ref()) {
        flags.push(("journal_origin", origin.clone()));
    }
    if let Some(path) = key.and_then(|k| k.signing_key.as_ref()) {
        flags.push(("signing_key", path.display().to_string()));
    }
    custodia_app::App::open(&register.config_with(&flags)?).await.map_err(|e| flag_failure(e, "--origin"))
}

/// A failure of the application layer, naming the command's flag instead of the request field.
fn flag_failure(e: AppError, flag: &str) -> Failure {
    match e {
        AppError::Invalid { message, .. } => Failure::Input(format!("{flag}: {}", message.render(crate::language()))),
        other => app_failure(other),
    }
}

/// A failure as text, for the application layer to report (a write to the output failing).
fn failure_text(e: Failure) -> String {
    match e {
        Failure::Input(message) => message,
        Failure::Other(e) => e.to_string(),
    }
}

fn b64(hash: &merkle::Hash) -> String {
    hash.to_base64()
}

/// `journal verify`'s answer: `ok: …` on standard output (with what could not be checked, one
/// `unchecked: …` line each), or the first event that does not match and the first difference
/// of the tables, exit 1.
fn verify_outcome(tree: &custodia_store::VerifyReport, replay: Option<&custodia_store::ReplayReport>) -> CmdResult {
    let mut problems = Vec::new();
    if let Some((seq, reason)) = &tree.first_mismatch {
        problems.push(format!("event {seq}: {reason}"));
    }
    if let Some(difference) = replay.and_then(|r| r.difference.as_ref()) {
        problems.push(difference.to_string());
    }
    if !problems.is_empty() {
        return Err(Failure::Other(anyhow::anyhow!("journal does not verify: {}", problems.join("\n  and "))));
    }
    let mut out = std::io::stdout().lock();
    let (size, root) = (tree.size, b64(&tree.root));
    match replay {
        None => writeln!(out, "ok: {size} events verified; root {root} (tree only: tables not replayed)")?,
        Some(r) => {
            writeln!(out, "ok: {size} events verified; root {root}; {} rows in every table match the journal", r.rows)?;
            for note in &r.unchecked {
                writeln!(out, "unchecked: {note}")?;
            }
        }
    }
    Ok(())
}

fn read_text(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| Failure::Input(format!("{}: cannot read: {e}", path.display())))
}

pub(crate) fn run(command: &JournalCommand) -> CmdResult {
    match command {
        JournalCommand::Verify { tree_only, register } => block_on(async {
            let app = open_host(register, None).await?;
            let (tree, replay) = if *tree_only {
                (app.verify_journal().await.map_err(app_failure)?, None)
            } else {
                let (tree, replay) = app.replay_journal().await.map_err(app_failure)?;
                (tree, Some(replay))
            };
            app.close().await;
            verify_outcome(&tree, replay.as_ref())
        }),
        JournalCommand::Checkpoint { register, key } => block_on(async {
            let app = open_host(register, Some(key)).await?;
            let note = app.checkpoint().await.map_err(|e| flag_failure(e, "--origin"))?;
            app.close().await;
            write!(std::io::stdout().lock(), "{note}")?;
            Ok(())
        }),
        JournalCommand::Key { register, key } => block_on(async {
            let app = open_host(register, Some(key)).await?;
            let verifier = app.verifier_key().map_err(|e| flag_failure(e, "--origin"))?;
            app.close().await;
            writeln!(std::io::stdout().lock(), "{verifier}")?;
            Ok(())
        }),
        JournalCommand::Prove { index, old_size, register } => block_on(async {
            let s = open(register).await?;
            let proof = match (index, old_size) {
                (Some(index), _) => {
                    let p =
                        s.app.inclusion_proof(&s.who, *index, None).await.map_err(|e| flag_failure(e, "--index"))?;
                    json!({
                        "type": "inclusion",
                        "leaf_index": p.leaf_index,
                        "leaf_index_base": 0,
                        "tree_size": p.tree_size,
                        "leaf_hash": b64(&p.leaf_hash),
                        "root_hash": b64(&p.root_hash),
                        "proof": p.path.iter().map(b64).collect::<Vec<_>>(),
                    })
                }
                (None, Some(old)) => {
                    let p =
                        s.app.consistency_proof(&s.who, *old, None).await.map_err(|e| flag_failure(e, "--old-size"))?;
                    json!({
                        "type": "consistency",
                        "old_size": p.old_size,
                        "new_size": p.new_size,
                        "old_root_hash": b64(&p.old_root_hash),
                        "new_root_hash": b64(&p.new_root_hash),
                        "proof": p.path.iter().map(b64).collect::<Vec<_>>(),
                    })
                }
                (None, None) => return Err(Failure::Input("give --index N or --old-size M".into())),
            };
            s.app.close().await;
            let text = serde_json::to_string_pretty(&proof).map_err(anyhow::Error::from)?;
            writeln!(std::io::stdout().lock(), "{text}")?;
            Ok(())
        }),
        JournalCommand::Check { checkpoint, proof, leaf, old_checkpoint, key, witnesses, witnesses_required } => {
            let quorum = check_witnesses(checkpoint, witnesses, *witnesses_required)?;
            match proof {
                Some(proof) => check(checkpoint, proof, leaf.as_deref(), old_checkpoint.as_deref(), key)?,
                None => check_signature(checkpoint, key)?,
            }
            if let Some((cosigned, of)) = quorum {
                writeln!(std::io::stdout().lock(), "ok: cosigned by {cosigned} of {of} witnesses")?;
            }
            Ok(())
        }
        JournalCommand::Export { from, to, out, register } => block_on(async {
            let s = open(register).await?;
            let mut sink = AtomicOutput::new(out.as_deref())?;
            s.app
                .export_journal(&s.who, *from, *to, |page| sink.write_all(page).map_err(failure_text))
                .await
                .map_err(|e| flag_failure(e, "--from"))?;
            s.app.close().await;
            sink.commit()
        }),
    }
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

/// A key given on the command line, or the file holding it.
fn key_or_file(key: &str) -> Result<String, Failure> {
    Ok(if Path::new(key).is_file() { read_text(Path::new(key))?.trim().to_owned() } else { key.to_owned() })
}

/// The witnesses' quorum on the checkpoint: at least `required` (default: all) of `witnesses`
/// cosigned it; `(cosigned, given)`, or `None` when no witness is given.
fn check_witnesses(
    checkpoint: &Path,
    witnesses: &[String],
    required: Option<usize>,
) -> Result<Option<(usize, usize)>, Failure> {
    if witnesses.is_empty() {
        return match required {
            Some(k) if k > 0 => Err(Failure::Input("--witnesses-required: name the witnesses with --witness".into())),
            _ => Ok(None),
        };
    }
    let keys = witnesses
        .iter()
        .map(|w| {
            let text = key_or_file(w)?;
            CosignatureVerifier::parse(&text).map_err(|e| Failure::Input(format!("--witness {w}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let required = required.unwrap_or(keys.len());
    if required > keys.len() {
        return Err(Failure::Input(format!(
            "--witnesses-required: {required} is more than the {} witnesses given",
            keys.len()
        )));
    }
    let note = read_text(checkpoint)?;
    let (cosigned, missing) = count_cosignatures(&note, &keys);
    if cosigned < required {
        return Err(Failure::Other(anyhow::anyhow!(
            "check failed: {required} of {} witnesses must have cosigned the checkpoint; {cosigned} did (missing: {})",
            keys.len(),
            missing.join(", ")
        )));
    }
    Ok(Some((cosigned, keys.len())))
}

/// The checkpoint's signature alone.
fn check_signature(checkpoint: &Path, key: &str) -> CmdResult {
    let verifier = Verifier::parse(&key_or_file(key)?).map_err(|e| Failure::Input(format!("--key: {e}")))?;
    let head = open_checkpoint(read_text(checkpoint)?, &verifier)
        .map_err(|e| Failure::Other(anyhow::anyhow!("check failed: checkpoint: {e}")))?;
    writeln!(std::io::stdout().lock(), "ok: checkpoint of {} events signed by {}", head.size(), head.origin())?;
    Ok(())
}

fn check(checkpoint: &Path, proof: &Path, leaf: Option<&Path>, old_checkpoint: Option<&Path>, key: &str) -> CmdResult {
    let key_text = key_or_file(key)?;
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
