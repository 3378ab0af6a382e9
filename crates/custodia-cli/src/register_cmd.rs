//! Commands that use the register: `import`, `export`, `journal`.

use custodia_store::prelude::*;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use custodia_core::csv::Delimiter;
use custodia_core::eligibility::Screener;
use custodia_core::person::{Column, PersonHeader, PersonRecord};
use custodia_core::table::{Rows, Table};
use custodia_store::{Actor, PersonData, PersonsFile, Store, Timestamp};

use crate::output::AtomicOutput;
use custodia_app::agreements::Imported;
use custodia_app::cells::CellsUpload;

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

/// An opened register and the user acting on it. Derefs to the store while commands move to the
/// application layer.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) app: custodia_app::App,
    pub(crate) who: custodia_app::Principal,
    pub(crate) now: Timestamp,
}

impl Session {
    /// The actor recorded on events: the token's user, now.
    pub(crate) fn actor(&self) -> Actor {
        custodia_app::actor(&self.who, &self.now, None)
    }
}

impl std::ops::Deref for Session {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.app.store()
    }
}

/// A failure of the application layer as the command line reports it: rule refusals, bad input,
/// scope and role (exit 2); the register failing (exit 1).
pub(crate) fn app_failure(e: custodia_app::AppError) -> Failure {
    use custodia_app::AppError as E;
    match e {
        E::Internal(detail) => Failure::Other(anyhow::anyhow!(detail)),
        E::Invalid { field, message } => Failure::Input(format!("{field}: {message}")),
        E::Unauthenticated(message) => Failure::Input(format!("{message}; nothing was changed")),
        other => Failure::Input(format!("{}: {other}", other.code())),
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
    let who = app.authenticate(&token).await.map_err(app_failure)?;
    Ok(Session { app, who, now: now()? })
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
    /// Import the cells of an agreement's facilities (SPEC §6 CSV, as `custodia capacity` reads
    /// it). Idempotent: an unchanged cell changes nothing, a changed cell becomes an amendment
    /// event. Any unusable row fails the import (exit 2) and nothing is written.
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
    /// Import a person file (SPEC §2 CSV) sent under an agreement. Idempotent: an unchanged row
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
    /// Export every person as SPEC §2 CSV, in Custodia id order, with a trailing custodia_id column.
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

/// The current version of an agreement in the register, loaded.
pub(crate) async fn stored_agreement(store: &Store, id: &str) -> Result<custodia_core::Agreement, Failure> {
    let custodia_store::AgreementSource { source, .. } =
        store.agreement_source(id).await.map_err(store_failure)?.ok_or_else(|| {
            Failure::Input(format!("--agreement: {id} is not in the register: import the agreement file first"))
        })?;
    custodia_core::Agreement::from_toml(&source)
        .map_err(|e| Failure::Other(anyhow::anyhow!("stored agreement {id} no longer loads: {e}")))
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
                writeln!(
                    std::io::stdout().lock(),
                    "cells: {} added, {} amended, {} unchanged",
                    outcome.added,
                    outcome.amended,
                    outcome.unchanged
                )?;
                Ok(())
            })
        }
        ImportCommand::Persons { file, agreement, skip_invalid, delimiter, register } => block_on(async {
            let store = open(register).await?;
            let actor = store.actor();
            let parsed = stored_agreement(&store, agreement).await?;
            let bytes =
                std::fs::read(file).map_err(|e| Failure::Input(format!("{}: cannot read: {e}", file.display())))?;
            let people = PersonFile::read(&bytes, *delimiter, Screener::new(&parsed))
                .map_err(|e| Failure::Input(format!("{}: {e}", file.display())))?;
            let (valid, invalid) = check_persons(&people);
            let mut err = std::io::stderr().lock();
            for (line, message) in invalid.iter().take(1_000) {
                writeln!(err, "{}:{line}: {message}", file.display())?;
            }
            if invalid.len() > 1_000 {
                writeln!(err, "… and {} more invalid rows", invalid.len() - 1_000)?;
            }
            if !invalid.is_empty() && !skip_invalid {
                return Err(Failure::Input(format!(
                    "{} invalid rows: nothing was imported (fix them, or pass --skip-invalid to import the {valid} valid rows)",
                    invalid.len()
                )));
            }
            let outcome = store
                .import_persons(
                    PersonsFile {
                        agreement_id: agreement,
                        sending_state: parsed.sending_state,
                        persons: Box::new(valid_persons(&people)),
                    },
                    &actor,
                )
                .await
                .map_err(store_failure)?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "persons: {} added, {} amended, {} unchanged",
                outcome.added, outcome.amended, outcome.unchanged
            )?;
            if let Some(notes) = people.header.table().column_notes() {
                writeln!(out, "{notes}")?;
            }
            if invalid.is_empty() {
                Ok(())
            } else {
                Err(Failure::Input(format!("{} invalid rows were not imported", invalid.len())))
            }
        }),
    }
}

/// An invalid row: its line number and what is wrong.
type InvalidRow = (u64, String);

/// A person file in memory with its header; rows are read on demand, as `screen` reads them.
struct PersonFile<'a> {
    table: Table<'a>,
    header: PersonHeader,
    screener: Screener,
}

impl<'a> PersonFile<'a> {
    fn read(bytes: &'a [u8], delimiter: Option<Delimiter>, screener: Screener) -> Result<Self, String> {
        let table = Table::read(bytes, delimiter, PersonHeader::COLUMNS).map_err(|e| e.to_string())?;
        let header = PersonHeader::from_header(table.header().clone());
        Ok(Self { table, header, screener })
    }

    /// Every non-blank row after the header, in order: its line number and the owned record (when
    /// `build`), or why it is invalid (duplicates of an earlier id included).
    fn rows(&self, build: bool) -> PersonRows<'_, 'a> {
        PersonRows { file: self, rows: self.table.rows(), seen: std::collections::HashSet::new(), build }
    }
}

/// Iterator over a person file's rows (see [`PersonFile::rows`]).
struct PersonRows<'f, 'a> {
    file: &'f PersonFile<'a>,
    rows: Rows<'a>,
    seen: std::collections::HashSet<Vec<u8>>,
    build: bool,
}

impl Iterator for PersonRows<'_, '_> {
    type Item = (u64, Result<Option<PersonData>, String>);

    fn next(&mut self) -> Option<Self::Item> {
        let header = &self.file.header;
        let row = self.rows.next()?;
        let id = header.position(Column::PersonId).and_then(|i| row.fields.get(i)).unwrap_or_default();
        // Every earlier row counts for duplicates, valid or not; empty ids are never duplicates.
        let first = id.is_empty() || self.seen.insert(id.to_vec());
        let read = PersonRecord::from_row(header, &row).and_then(|p| self.file.screener.check(&p).map(|()| p));
        let outcome = match read {
            Err(e) => Err(e.to_string()),
            Ok(_) if !first => Err("person_id: the same person_id appears in an earlier row".into()),
            Ok(person) if self.build => Ok(Some(PersonData::from_record(&person))),
            Ok(_) => Ok(None),
        };
        Some((row.line, outcome))
    }
}

/// Checks every row of a person file: the number of valid rows and every invalid row.
fn check_persons(file: &PersonFile<'_>) -> (u64, Vec<InvalidRow>) {
    let (mut valid, mut invalid) = (0u64, Vec::new());
    for (line, row) in file.rows(false) {
        match row {
            Ok(_) => valid += 1,
            Err(message) => invalid.push((line, message)),
        }
    }
    (valid, invalid)
}

/// The valid rows as owned records, produced as the import consumes them.
fn valid_persons<'f>(file: &'f PersonFile<'_>) -> impl Iterator<Item = PersonData> + Send + 'f {
    file.rows(true).filter_map(|(_, row)| row.ok().flatten())
}

pub(crate) fn run_export(command: &ExportCommand) -> CmdResult {
    match command {
        ExportCommand::Persons { out, register } => block_on(async {
            let store = open(register).await?;
            let mut sink = AtomicOutput::new(out.as_deref())?;
            let mut line = Vec::with_capacity(1 << 16);
            for (i, name) in custodia_store::PERSON_COLUMNS.iter().enumerate() {
                if i > 0 {
                    line.push(b',');
                }
                line.extend_from_slice(name.as_bytes());
            }
            line.extend_from_slice(b",custodia_id\n");
            sink.write_all(&line)?;
            let mut after = 0i64;
            loop {
                let page = store.persons_page(after, 10_000).await.map_err(store_failure)?;
                let Some(last) = page.last() else { break };
                after = last.id;
                line.clear();
                for custodia_store::PersonEntry { id, record: person } in &page {
                    for value in person.columns() {
                        custodia_core::csv::write_field(&mut line, value.as_bytes());
                        line.push(b',');
                    }
                    line.extend_from_slice(id.to_string().as_bytes());
                    line.push(b'\n');
                }
                sink.write_all(&line)?;
            }
            store.close().await;
            sink.commit()
        }),
    }
}
