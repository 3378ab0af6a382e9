//! Commands that use the register: `import`, `export`, `journal`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use custodia_core::csv::Delimiter;
use custodia_store::Timestamp;

use crate::output::AtomicOutput;
use custodia_app::agreements::Imported;
use custodia_app::cells::CellsUpload;
use custodia_app::persons::{InvalidRow, PersonsImport, PersonsUpload};

use crate::{CmdResult, Failure, agreement_cmd};

/// Where the register is (docs/command-line.md#configuration): the one configuration every command
/// reads — these flags, then `CUSTODIA_*` variables, then `custodia.toml`. Shared by the register
/// commands, `init`, `serve` and `demo`.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct PlaceArgs {
    /// Configuration file (default: ./custodia.toml when it exists; see custodia.example.toml).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Data directory: the SQLite database and the journal signing key (default ./custodia-data,
    /// or CUSTODIA_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Use another store instead of SQLite in the data directory, e.g. postgres://user@host/db
    /// (or CUSTODIA_DATABASE_URL).
    #[arg(long, value_name = "URL")]
    pub(crate) database: Option<String>,
}

impl PlaceArgs {
    /// The configuration with more of the command's own flags (`("journal_origin", …)`).
    pub(crate) fn config_with(&self, more: &[(&str, String)]) -> Result<custodia_app::Config, Failure> {
        let mut flags: Vec<(&str, String)> = more.to_vec();
        if let Some(dir) = &self.data_dir {
            flags.push(("data_dir", dir.display().to_string()));
        }
        if let Some(url) = &self.database {
            flags.push(("database_url", url.clone()));
        }
        custodia_app::config::load(self.config.as_deref(), &flags).map_err(|e| Failure::Input(e.to_string()))
    }
}

/// Where the register is and who is acting (docs/command-line.md#register-commands).
#[derive(Debug, Clone, Args)]
pub(crate) struct RegisterArgs {
    #[command(flatten)]
    pub(crate) place: PlaceArgs,
    /// A file holding your API token (default: the CUSTODIA_TOKEN variable). Every register
    /// command acts as the token's user, with that user's role and scope.
    #[arg(long, value_name = "FILE")]
    pub(crate) token_file: Option<PathBuf>,
}

impl RegisterArgs {
    /// The configuration: defaults, `custodia.toml`, `CUSTODIA_*`, then these flags.
    pub(crate) fn config(&self) -> Result<custodia_app::Config, Failure> {
        self.place.config_with(&[])
    }

    /// The configuration with more of the command's own flags (`("journal_origin", …)`).
    pub(crate) fn config_with(&self, more: &[(&str, String)]) -> Result<custodia_app::Config, Failure> {
        self.place.config_with(more)
    }

    /// The caller's token: `--token-file`, else `CUSTODIA_TOKEN`.
    fn token(&self) -> Result<String, Failure> {
        let missing = || {
            Failure::Input(
                "a token is required: set CUSTODIA_TOKEN or pass --token-file FILE (on the register's host, \
                 `custodia user token NAME` issues one); nothing was changed"
                    .into(),
            )
        };
        let text = match &self.token_file {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| Failure::Input(format!("--token-file: {}: {e}", path.display())))?,
            None => std::env::var("CUSTODIA_TOKEN").map_err(|_| missing())?,
        };
        let token = text.trim();
        if token.is_empty() { Err(missing()) } else { Ok(token.to_owned()) }
    }
}

/// An opened register and the user acting on it: every command goes through `app`'s use cases.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) app: custodia_app::App,
    pub(crate) who: custodia_app::Principal,
    pub(crate) now: Timestamp,
}

/// A failure of the application layer as the command line reports it: rule refusals, bad input,
/// scope and role (exit 2); the register failing (exit 1).
/// Messages are in the language of `--lang` / `CUSTODIA_LANG`; codes never change with it.
pub(crate) fn app_failure(e: custodia_app::AppError) -> Failure {
    use custodia_app::AppError as E;
    let language = crate::language();
    let message = e.message(language);
    match e {
        E::Internal(detail) => Failure::Other(anyhow::anyhow!(detail)),
        E::Invalid { field, .. } => Failure::Input(format!("{field}: {message}")),
        E::Unauthenticated(_) => Failure::Input(custodia_i18n::text(
            language,
            "msg-cli-nothing-changed",
            &[("message", custodia_i18n::Arg::Text(message))],
        )),
        // `CODE: message`, the code once (a core refusal's message starts with it already).
        other if message.starts_with(&format!("{}: ", other.code())) => Failure::Input(message),
        other => Failure::Input(format!("{}: {message}", other.code())),
    }
}

/// Opens the register (it must exist: `custodia init` creates it) without a user: for commands
/// that act on the register's host, not as a user.
pub(crate) async fn open_app(register: &RegisterArgs) -> Result<custodia_app::App, Failure> {
    custodia_app::App::open(&register.config()?).await.map_err(app_failure)
}

/// Opens the register and identifies the acting user by their token.
pub(crate) async fn open(register: &RegisterArgs) -> Result<Session, Failure> {
    let token = register.token()?;
    let app = open_app(register).await?;
    let now = now()?;
    let who = app.authenticate(&token, &now).await.map_err(app_failure)?;
    Ok(Session { app, who, now })
}

/// Now, read here at the edge.
pub(crate) fn now() -> Result<Timestamp, Failure> {
    #[allow(clippy::disallowed_methods)] // the binary is the edge: it reads the clock for recorded_at
    let now = std::time::SystemTime::now();
    let seconds = now.duration_since(std::time::UNIX_EPOCH).map_err(|e| Failure::Other(e.into()))?.as_secs();
    Timestamp::from_unix_seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
        .map_err(|e| Failure::Other(anyhow::anyhow!("clock: {e}")))
}

/// `custodia import` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// Import an agreement file. The same file twice changes nothing; a changed file becomes a
    /// new version (an amendment) with an effective date.
    Agreement {
        /// The agreement file (TOML).
        file: PathBuf,
        /// Date the new version takes effect (default: the agreement's start date).
        #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
        effective_from: Option<custodia_core::Date>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Import the cells of an agreement's facilities (docs/capacity.md CSV, as `custodia capacity` reads
    /// it); the file lists all the cells of each facility it names. A facility's first cells are
    /// registered at once; any later difference (added, changed or removed cells) is proposed and
    /// takes effect when another user confirms it (`custodia cells confirm ID`); the same cells
    /// change nothing. Any unusable row fails the import (exit 2) and nothing is written.
    Cells {
        /// The cells file (CSV `facility_id,cell_id,unit,kind,area_m2,beds`).
        file: PathBuf,
        /// The agreement whose facilities the cells belong to (imported before).
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// Field delimiter: `,` or `;` (default: detected from the header line).
        #[arg(long, value_name = ",|;", value_parser = crate::screen_cmd::parse_delimiter_arg)]
        delimiter: Option<Delimiter>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Import a person file (docs/person-file.md CSV) sent under an agreement. Idempotent: an unchanged row
    /// changes nothing, a changed row becomes an amendment event. If any row is invalid, every
    /// invalid row is listed with its line number and nothing is imported (exit 2), unless
    /// --skip-invalid is given.
    Persons {
        /// The person file (CSV).
        file: PathBuf,
        /// The agreement the file was sent under (imported before).
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// Import the valid rows even when some rows are invalid (those are still listed, exit 2).
        #[arg(long)]
        skip_invalid: bool,
        /// Field delimiter: `,` or `;` (default: detected from the header line).
        #[arg(long, value_name = ",|;", value_parser = crate::screen_cmd::parse_delimiter_arg)]
        delimiter: Option<Delimiter>,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

/// `custodia export` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// Export every person you see (of the agreements in your scope) as a person file
    /// (docs/person-file.md), in Custodia id order, with a trailing custodia_id column.
    Persons {
        /// Output file (written atomically); standard output when absent.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

/// Runs an async block on a runtime made for this command.
pub(crate) fn block_on<F: std::future::Future<Output = CmdResult>>(future: F) -> CmdResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Other(e.into()))?;
    runtime.block_on(future)
}

pub(crate) fn store_failure(e: custodia_store::StoreError) -> Failure {
    match e {
        custodia_store::StoreError::NotFound(message) => Failure::Input(message),
        e @ (custodia_store::StoreError::Refused(_) | custodia_store::StoreError::Stale(_)) => {
            Failure::Input(e.to_string())
        }
        other => Failure::Other(other.into()),
    }
}

/// A refused file import as the command line shows it: each bad row as `FILE:LINE: problem`, the
/// form editors jump to.
fn file_problems(file: &std::path::Path, e: custodia_app::AppError) -> Failure {
    let custodia_app::AppError::Invalid { field, message } = e else { return app_failure(e) };
    let message = message.render(crate::language());
    let shown = file.display();
    let mut lines = message.lines();
    let mut text = lines.next().map_or_else(|| format!("{shown}: {field}"), |first| format!("{shown}: {first}"));
    for line in lines {
        match line.strip_prefix("line ").and_then(|rest| rest.split_once(": ")) {
            Some((number, problem)) => text.push_str(&format!("\n  {shown}:{number}: {problem}")),
            None => text.push_str(&format!("\n  {line}")),
        }
    }
    Failure::Input(text)
}

pub(crate) fn run_import(command: &ImportCommand) -> CmdResult {
    match command {
        ImportCommand::Agreement { file, effective_from, register } => {
            // Read and checked here first, so a bad file lists every problem with its key path.
            agreement_cmd::load(file)?;
            let source =
                std::fs::read_to_string(file).map_err(|e| Failure::Input(format!("{}: {e}", file.display())))?;
            block_on(async {
                let s = open(register).await?;
                let (imported, record) =
                    s.app.import_agreement(&s.who, &source, *effective_from, &s.now).await.map_err(app_failure)?;
                s.app.close().await;
                let id = record.agreement.id.as_str();
                let mut out = std::io::stdout().lock();
                match imported {
                    Imported::Created => writeln!(out, "imported agreement {id} as version {}", record.version)?,
                    Imported::Unchanged => {
                        writeln!(out, "agreement {id} version {} is unchanged: nothing written", record.version)?
                    }
                    Imported::Proposed { proposal } => writeln!(
                        out,
                        "amendment {proposal} of agreement {id} proposed (version {} stays in force until another admin \
                         approves it: custodia agreement approve {id} {proposal})",
                        record.version
                    )?,
                }
                Ok(())
            })
        }
        ImportCommand::Cells { file, agreement, delimiter, register } => {
            let bytes = crate::capacity_cmd::read_cells_bytes(file)?;
            block_on(async {
                let s = open(register).await?;
                let upload =
                    CellsUpload { agreement_id: agreement, facility_id: None, bytes: &bytes, delimiter: *delimiter };
                let imported = s.app.import_cells(&s.who, &upload, &s.now).await;
                s.app.close().await;
                let outcome = imported.map_err(|e| file_problems(file, e))?;
                crate::cells_cmd::write_imported(&mut std::io::stdout().lock(), &outcome)?;
                Ok(())
            })
        }
        ImportCommand::Persons { file, agreement, skip_invalid, delimiter, register } => {
            let bytes =
                std::fs::read(file).map_err(|e| Failure::Input(format!("{}: cannot read: {e}", file.display())))?;
            block_on(async {
                let s = open(register).await?;
                let upload = PersonsUpload {
                    agreement_id: agreement,
                    csv: &bytes,
                    delimiter: *delimiter,
                    skip_invalid: *skip_invalid,
                    max_rows: None,
                };
                let outcome = s.app.import_persons(&s.who, upload, &s.now).await;
                s.app.close().await;
                match outcome.map_err(|e| import_failure(file, e))? {
                    PersonsImport::Refused(refused) => {
                        list_invalid(file, &refused.invalid)?;
                        Err(Failure::Input(format!(
                            "{} invalid rows: nothing was imported (fix them, or pass --skip-invalid to import the {} \
                             valid rows)",
                            refused.invalid.len(),
                            refused.valid
                        )))
                    }
                    PersonsImport::Imported(imported) => {
                        list_invalid(file, &imported.invalid)?;
                        let mut out = std::io::stdout().lock();
                        writeln!(
                            out,
                            "persons: {} added, {} amended, {} unchanged",
                            imported.added, imported.amended, imported.unchanged
                        )?;
                        if let Some(notes) = &imported.column_notes {
                            writeln!(out, "{notes}")?;
                        }
                        // Open cases of amended people, screened again (docs/lifecycle.md#rescreening).
                        for r in &imported.rescreened {
                            let held = r.state.is_held() && !r.failed.is_empty();
                            writeln!(
                                out,
                                "rescreened: case {} (person {}, {}): {}{}{}",
                                r.case_id,
                                r.person_id,
                                r.state,
                                r.decision,
                                if r.failed.is_empty() { String::new() } else { format!(" {}", r.failed.join(";")) },
                                if held { " — INELIGIBLE_IN_CUSTODY" } else { "" }
                            )?;
                        }
                        if imported.invalid.is_empty() {
                            Ok(())
                        } else {
                            Err(Failure::Input(format!("{} invalid rows were not imported", imported.invalid.len())))
                        }
                    }
                }
            })
        }
    }
}

/// A failure of `import persons`: the file's own problems name the file, the agreement's absence
/// names `--agreement`.
fn import_failure(file: &std::path::Path, e: custodia_app::AppError) -> Failure {
    match e {
        custodia_app::AppError::Invalid { field, message } if field == "csv" => {
            Failure::Input(format!("{}: {}", file.display(), message.render(crate::language())))
        }
        custodia_app::AppError::NotFound(message) => {
            Failure::Input(format!("--agreement: {}", message.render(crate::language())))
        }
        other => app_failure(other),
    }
}

/// Lists invalid rows on standard error as `FILE:LINE: message` (the first thousand).
fn list_invalid(file: &std::path::Path, invalid: &[InvalidRow]) -> Result<(), Failure> {
    let mut err = std::io::stderr().lock();
    for row in invalid.iter().take(1_000) {
        writeln!(err, "{}:{}: {}", file.display(), row.line, row.message)?;
    }
    if invalid.len() > 1_000 {
        writeln!(err, "… and {} more invalid rows", invalid.len() - 1_000)?;
    }
    Ok(())
}

pub(crate) fn run_export(command: &ExportCommand) -> CmdResult {
    match command {
        ExportCommand::Persons { out, register } => block_on(async {
            let s = open(register).await?;
            let mut sink = AtomicOutput::new(out.as_deref())?;
            let written = s.app.export_persons(&s.who, &mut sink).await;
            s.app.close().await;
            written.map_err(app_failure)?;
            sink.commit()
        }),
    }
}
