//! `custodia`: the command-line tool of the Custodia register.
//!
//! Exit status: 0 on success, 2 on bad input (a malformed file, a bad date, an unknown term unit —
//! always with a message naming the field), 1 on any other failure.

mod agreement_cmd;
mod backup_cmd;
mod capacity_cmd;
mod care_cmd;
mod case_cmd;
mod cells_cmd;
mod complaint_cmd;
mod data_lock;
mod demo_cmd;
mod forecast_cmd;
mod invoice_cmd;
mod invoices_cmd;
mod journal_cmd;
mod output;
mod oversight_cmd;
mod register_cmd;
mod screen_cmd;
mod sentence_cmd;
mod serve_cmd;
mod synth_cmd;
mod user_cmd;
mod witness_cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use custodia_i18n::Language;

/// An error that ends the command, with the exit status it deserves.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Anything else: exit 1.
    Other(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Other(e.into())
    }
}

pub(crate) type CmdResult = Result<(), Failure>;

/// The language of the messages people read (`--lang`, `CUSTODIA_LANG`; docs/languages.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Lang {
    /// English.
    En,
    /// Spanish.
    Es,
}

/// The language chosen for this run (set once, in `main`, from `--lang` / `CUSTODIA_LANG`).
static LANGUAGE: std::sync::OnceLock<Language> = std::sync::OnceLock::new();

/// The language of error, refusal and alert messages and of `screen --explain` (English unless
/// `--lang es` or `CUSTODIA_LANG=es`).
pub(crate) fn language() -> Language {
    LANGUAGE.get().copied().unwrap_or(Language::En)
}

/// Parses a `YYYY-MM-DD` command-line value.
pub(crate) fn parse_date_arg(text: &str) -> Result<custodia_core::Date, String> {
    custodia_core::Date::parse(text).map_err(|e| e.to_string())
}

const AFTER_HELP: &str = "\
Examples:
  custodia sentence --start 2025-01-01 --term 60m --json
  custodia agreement check examples/agreements/us-sv-cecot.toml
  custodia synth persons --count 1000000 --seed 1 --out persons.csv
  custodia screen --agreement examples/agreements/us-sv-cecot.toml --persons persons.csv --as-of 2025-06-01
  custodia init --admin kari.admin        # a register and its first admin; prints `admin token: …`
  CUSTODIA_TOKEN=cst_… custodia import agreement examples/agreements/us-sv-cecot.toml
  custodia completions bash > /etc/bash_completion.d/custodia

Exit status: 0 on success, 2 on bad input (the message names the field), 1 on other failures.
Reference: docs/command-line.md (every command), docs/ (the reference pages); guides: README.md.";

/// Custodia: the shared register, rulebook and ledger of a cross-border custody agreement.
#[derive(Debug, Parser)]
#[command(name = "custodia", version, about, long_about = None, after_help = AFTER_HELP, propagate_version = true)]
struct Cli {
    /// Language of error, refusal and alert messages and of `screen --explain`: en or es.
    /// Codes (`ON_HOLD`, `E07`) and machine output (CSV, JSON fields) never change with it.
    #[arg(long, global = true, value_enum, env = "CUSTODIA_LANG", default_value_t = Lang::En)]
    lang: Lang,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a register (database and journal signing key) with its first admin; prints
    /// `admin token: TOKEN` once. The only command that creates a register.
    Init(user_cmd::InitArgs),
    /// Compute release dates for one sentence (docs/sentence.md: us-federal or two-thirds).
    Sentence(sentence_cmd::SentenceArgs),
    /// Work with agreement files (docs/agreement-file.md).
    #[command(subcommand)]
    Agreement(agreement_cmd::AgreementCommand),
    /// Standard and floor capacity of each facility from its cells (docs/capacity.md).
    Capacity(capacity_cmd::CapacityArgs),
    /// Cell changes: list them, confirm one another user proposed (docs/capacity.md#cell-changes).
    #[command(subcommand)]
    Cells(cells_cmd::CellsCommand),
    /// Screen a person file against an agreement's eligibility rules (docs/rules.md).
    Screen(screen_cmd::ScreenArgs),
    /// Import agreements and person files into the register.
    #[command(subcommand)]
    Import(register_cmd::ImportCommand),
    /// Export from the register.
    #[command(subcommand)]
    Export(register_cmd::ExportCommand),
    /// The tamper-evident journal: verify, checkpoint, prove, check, export, key (docs/journal.md).
    #[command(subcommand)]
    Journal(journal_cmd::JournalCommand),
    /// Write a consistent copy of the register with its signing key, checkpoint and manifest to a
    /// new directory, on the register's host (docs/operations.md#backup-and-restore).
    Backup(backup_cmd::BackupArgs),
    /// Compute the invoice of a billing period from stays and extras (docs/billing.md).
    Invoice(invoice_cmd::InvoiceArgs),
    /// Invoices and credit notes issued in the register: draft, issue (two people), list, show,
    /// export, verify (docs/billing.md).
    #[command(subcommand)]
    Invoices(invoices_cmd::InvoicesCommand),
    /// Move a case through the transfer and custody lifecycle (docs/lifecycle.md).
    #[command(subcommand)]
    Case(Box<case_cmd::CaseCommand>),
    /// Every open alert of an agreement on a given day (docs/lifecycle.md).
    Alerts(oversight_cmd::AlertsArgs),
    /// Incidents and their mandatory notifications (docs/oversight.md#incidents).
    #[command(subcommand)]
    Incident(oversight_cmd::IncidentCommand),
    /// Inspections and their recommendations (docs/oversight.md#inspections).
    #[command(subcommand)]
    Inspection(oversight_cmd::InspectionCommand),
    /// The consular and family contact log (docs/oversight.md#contacts).
    #[command(subcommand)]
    Contact(oversight_cmd::ContactCommand),
    /// A detainee's requests and complaints, their answers and escalations (docs/rights.md#complaints).
    #[command(subcommand)]
    Complaint(complaint_cmd::ComplaintCommand),
    /// Medical examinations, visits and calls, and solitary confinement (docs/rights.md#health).
    #[command(subcommand)]
    Care(care_cmd::CareCommand),
    /// Reports over the register.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Run the HTTP service (docs/http-api.md): prints `address: http://HOST:PORT` once ready; stops
    /// cleanly on SIGINT/SIGTERM.
    Serve(serve_cmd::ServeArgs),
    /// A fresh register with a simulated year of the US–El Salvador (CECOT) agreement, served:
    /// prints `admin token: TOKEN`, a walk-through and `address: http://HOST:PORT`.
    Demo(demo_cmd::DemoArgs),
    /// A Monte Carlo projection of an agreement month by month: population, returns, person-days,
    /// amounts invoiced and the cost at home, and when each limit is reached (docs/forecast.md).
    Forecast(Box<forecast_cmd::ForecastArgs>),
    /// Users, roles, scopes and API tokens (docs/access.md).
    #[command(subcommand)]
    User(user_cmd::UserCommand),
    /// Generate synthetic data for demos and benchmarks.
    #[command(subcommand)]
    Synth(synth_cmd::SynthCommand),
    /// A witness of registers' journals (C2SP tlog-witness): its key, and the service that
    /// cosigns checkpoints extending what it saw (docs/journal.md#witnesses).
    #[command(subcommand)]
    Witness(witness_cmd::WitnessCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
}

/// `custodia report` subcommands.
#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Everyone held whose legal basis is missing, expired or on hold (docs/oversight.md#legal-basis).
    LegalBasis(oversight_cmd::LegalBasisArgs),
    /// Every notification the agreement's incidents owe: deadline, when sent, `sent_on_time`,
    /// `sent_late`, `overdue` or `pending`, and how late in hours and minutes
    /// (docs/oversight.md#notifications-report).
    Notifications(oversight_cmd::NotificationsArgs),
    /// Invoiced revenue against the receiving state's prison budget and the sending state's cost
    /// of holding the same people at home, per month and agreement year (docs/billing.md).
    Sustainability(invoices_cmd::SustainabilityArgs),
    /// The inspector's report for a facility and a period: complaints by category and their
    /// answers, examinations on time, visits against the minimum, solitary confinement,
    /// allegations (docs/rights.md#report); as a table, CSV or an SVG chart.
    Inspection(care_cmd::InspectionArgs),
}

fn run(cli: Cli) -> CmdResult {
    match cli.command {
        Command::Sentence(args) => sentence_cmd::run(&args),
        Command::Agreement(command) => agreement_cmd::run(&command),
        Command::Screen(args) => screen_cmd::run(&args),
        Command::Capacity(args) => capacity_cmd::run(&args),
        Command::Cells(command) => cells_cmd::run(&command),
        Command::Synth(command) => synth_cmd::run(&command),
        Command::Witness(command) => witness_cmd::run(&command),
        Command::Import(command) => register_cmd::run_import(&command),
        Command::Export(command) => register_cmd::run_export(&command),
        Command::Journal(command) => journal_cmd::run(&command),
        Command::Backup(args) => backup_cmd::run(&args),
        Command::Case(command) => case_cmd::run(&command),
        Command::Invoice(args) => invoice_cmd::run(&args),
        Command::Alerts(args) => oversight_cmd::run_alerts(&args),
        Command::Incident(command) => oversight_cmd::run_incident(&command),
        Command::Inspection(command) => oversight_cmd::run_inspection(&command),
        Command::Contact(command) => oversight_cmd::run_contact(&command),
        Command::Complaint(command) => complaint_cmd::run(&command),
        Command::Care(command) => care_cmd::run(&command),
        Command::Report(ReportCommand::LegalBasis(args)) => oversight_cmd::run_legal_basis(&args),
        Command::Report(ReportCommand::Inspection(args)) => care_cmd::run_inspection(&args),
        Command::Report(ReportCommand::Notifications(args)) => oversight_cmd::run_notifications(&args),
        Command::Report(ReportCommand::Sustainability(args)) => invoices_cmd::run_sustainability(&args),
        Command::Invoices(command) => invoices_cmd::run(&command),
        Command::Serve(args) => serve_cmd::run_serve(&args),
        Command::Demo(args) => demo_cmd::run(&args),
        Command::Forecast(args) => forecast_cmd::run(&args),
        Command::User(command) => user_cmd::run_user(&command),
        Command::Init(args) => user_cmd::run_init(&args),
        Command::Completions { shell } => {
            // clap_complete panics when its writer fails; a buffer cannot fail, and a closed pipe
            // on the real write is then an ordinary error (a quiet exit, see `main`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "custodia", &mut script);
            let mut out = std::io::stdout().lock();
            out.write_all(&script)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Whether `error` is, or was caused by, a write to a closed pipe.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|cause| cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

/// The allocator of every command and of the server: mimalloc, which served the API's reads 24–30 %
/// faster and its transitions 11–50 % faster than the C library's (BENCHMARKS.md, "Every target
/// again"). Built without transparent huge pages (`no_thp`): with them, `custodia screen` of
/// 5,000,000 rows peaked at 134 MiB instead of 91 (the limit is 100).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = LANGUAGE.set(match cli.lang {
        Lang::En => Language::En,
        Lang::Es => Language::Es,
    });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(message)) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(2)
        }
        // The reader of our output went away (`custodia screen … | head`): stop quietly.
        Err(Failure::Other(error)) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(Failure::Other(error)) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
