//! `custodia witness …`: a C2SP tlog-witness of registers' journals (docs/journal.md#witnesses),
//! run by the sending state or an inspection body on its own machine. `key` creates the
//! witness's key (once) and prints its cosignature verifier key, which the register's
//! `witnesses` setting and inspectors' `journal check --witness` name; `serve` runs the witness.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use custodia_journal::checkpoint::Verifier;
use custodia_journal::witness::Cosigner;

use crate::register_cmd::block_on;
use crate::{CmdResult, Failure};

/// `custodia witness` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub(crate) enum WitnessCommand {
    /// Print the witness's cosignature verifier key, creating its key file first if needed.
    Key {
        /// The witness's name, a schema-less URL (e.g. `ombudsman.example/witness`).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// The witness's key file (64 hex digits; created with owner-only permissions).
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
    },
    /// Run the witness: `POST /add-checkpoint` (C2SP tlog-witness) for the logs given; prints
    /// `witness key: KEY` and `address: http://HOST:PORT` once ready; stops on SIGINT/SIGTERM.
    Serve {
        /// The witness's name (as for `key`).
        #[arg(long, value_name = "NAME")]
        name: String,
        /// The witness's key file (as for `key`; it must exist).
        #[arg(long, value_name = "FILE")]
        key_file: PathBuf,
        /// A register whose journal it witnesses: the verifier key of its checkpoints
        /// (`custodia journal key`). Repeat for several.
        #[arg(long = "log", value_name = "KEY", required = true)]
        logs: Vec<String>,
        /// The file in which it keeps the last checkpoint it cosigned for each register.
        #[arg(long, value_name = "FILE")]
        state: PathBuf,
        /// Listen address, HOST:PORT (port 0 picks a free one).
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:7380")]
        addr: String,
    },
}

fn cosigner(name: &str, key_file: &std::path::Path, create: bool) -> Result<Cosigner, Failure> {
    let seed = custodia_store::keyfile::load_or_create(key_file, create)
        .map_err(|e| Failure::Input(format!("--key-file: {e}")))?;
    Cosigner::from_seed(name, seed).map_err(|e| Failure::Input(format!("--name: {e}")))
}

/// Runs a `custodia witness` subcommand.
pub(crate) fn run(command: &WitnessCommand) -> CmdResult {
    match command {
        WitnessCommand::Key { name, key_file } => {
            let cosigner = cosigner(name, key_file, true)?;
            writeln!(std::io::stdout().lock(), "{}", cosigner.verifier_key())?;
            Ok(())
        }
        WitnessCommand::Serve { name, key_file, logs, state, addr } => {
            let cosigner = cosigner(name, key_file, false)?;
            let logs = logs
                .iter()
                .map(|key| Verifier::parse(key).map_err(|e| Failure::Input(format!("--log {key}: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let addr: std::net::SocketAddr =
                addr.parse().map_err(|_| Failure::Input(format!("--addr: {addr:?} is not HOST:PORT")))?;
            let key = cosigner.verifier_key();
            let witness = custodia_server::witness::Witness::open(cosigner, logs, state.clone())
                .map_err(|e| Failure::Input(format!("--state: {e}")))?;
            block_on(async move {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(|e| Failure::Input(format!("--addr: cannot listen on {addr}: {e}")))?;
                let bound = listener.local_addr()?;
                {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "witness key: {key}")?;
                    writeln!(out, "address: http://{bound}")?;
                    out.flush()?;
                }
                custodia_server::witness::serve(witness, listener, custodia_server::shutdown_signal()).await?;
                Ok(())
            })
        }
    }
}
