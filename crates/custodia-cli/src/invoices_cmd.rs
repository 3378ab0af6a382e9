//! `custodia invoices`: invoices and credit notes issued in the register (SPEC §8, §11), and
//! `custodia report sustainability`.

use custodia_store::prelude::*;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use custodia_core::Date;
use custodia_core::ledger::{self, Document, US_BOP_FY2023_DAY_MINOR};
use custodia_store::invoices::{InvoiceRow, document_from_json};
use custodia_store::{Store, Timestamp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::output::AtomicOutput;
use crate::register_cmd::{RegisterArgs, block_on, open, store_failure, stored_agreement};
use crate::{CmdResult, Failure, invoice_cmd};

const AFTER_HELP: &str = "\
Invoices are drawn from the custody records in the register: a stay runs from the intake date of an
admission to the day the person is returned, released or dies. One user drafts, another issues (the
two-person rule); issuing recomputes the draft from the records as they stand and refuses a stale
one. Periods are issued in order, once each, after the month is over. A correction recorded later
(a back-dated release, an amended security class) changes no issued invoice: the next invoice
carries an ADJUSTMENT line for the corrected period. When the agreement has ended, a credit note
settles the remaining corrections and, for per-capita fees, coverage paid for days after the end.

Example (two finance officers):
  custodia invoices draft --agreement us-sv-cecot --period 2025-04 --extras extras.csv --actor ana
  custodia invoices issue 1 --actor ben
  custodia invoices export 1 --format csv --out us-sv-cecot-2025-04.csv
  custodia invoices verify 1";

/// `custodia invoices` subcommands.
#[derive(Debug, Subcommand)]
#[command(after_help = AFTER_HELP)]
pub(crate) enum InvoicesCommand {
    /// Draft the invoice of a period from the custody records (first of two people).
    Draft {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The billing period, YYYY-MM.
        #[arg(long, value_name = "YYYY-MM")]
        period: String,
        /// Extras of the period (CSV: date,code,description,amount_minor).
        #[arg(long, value_name = "FILE")]
        extras: Option<PathBuf>,
        /// Today (default: the UTC date now); the period must be over.
        #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
        on: Option<Date>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Issue a draft (a second user): recomputed, compared byte for byte, then immutable.
    Issue {
        /// The draft id.
        id: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Draft the credit note of an agreement that has ended (issue it like an invoice).
    CreditNote {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// Today (default: the UTC date now); must be after the agreement's end.
        #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
        on: Option<Date>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// The documents of an agreement, drafts and issued.
    List {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// Print JSON (one object per document, with issue details) instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// One document with its lines.
    Show {
        /// The draft id.
        id: i64,
        /// Print JSON (the document with its hash and who prepared and issued it).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Export an issued document: `json` writes the stored canonical JSON (its SHA-256 is the
    /// document's hash, so `sha256sum` checks it), `csv` one row per line.
    Export {
        /// The draft id.
        id: i64,
        /// json or csv.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Output file (written atomically); standard output when absent.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Check a document: its stored hash, and that the journal's events carry the same document.
    Verify {
        /// The draft id.
        id: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ExportFormat {
    /// The canonical JSON document.
    Json,
    /// CSV, one row per line.
    Csv,
}

fn today(on: Option<Date>, recorded_at: &Timestamp) -> Result<Date, Failure> {
    match on {
        Some(d) => Ok(d),
        None => recorded_at
            .as_str()
            .get(..10)
            .and_then(|t| Date::parse(t).ok())
            .ok_or_else(|| Failure::Other(anyhow::anyhow!("clock: {}", recorded_at.as_str()))),
    }
}

async fn row(store: &Store, id: i64) -> Result<InvoiceRow, Failure> {
    store
        .invoice_row(id)
        .await
        .map_err(store_failure)?
        .ok_or_else(|| Failure::Input(format!("invoice {id} does not exist (see `custodia invoices list`)")))
}

fn money(amount: i64, currency: &str) -> String {
    match custodia_core::CurrencyCode::parse(currency) {
        Ok(c) => custodia_core::Money::new(amount, c).to_string(),
        Err(_) => format!("{amount} {currency} minor units"),
    }
}

fn status(row: &InvoiceRow) -> String {
    match &row.issued {
        Some(i) => format!("issued by {} at {} (journal event {})", i.issued_by, i.issued_at, i.issued_seq),
        None => format!("draft, prepared by {} (journal event {}); not issued", row.prepared_by, row.prepared_seq),
    }
}

fn write_document(out: &mut impl Write, row: &InvoiceRow, doc: &Document) -> CmdResult {
    writeln!(
        out,
        "{} {} — {} (draft {}; agreement version {})",
        doc.kind.as_str().replace('_', " "),
        doc.number,
        doc.period,
        row.id,
        doc.agreement_version
    )?;
    writeln!(out, "  {}", status(row))?;
    writeln!(out, "  sha256 {}", row.sha256_hex())?;
    let lines: Vec<invoice_cmd::TableLine<'_>> = doc
        .lines
        .iter()
        .map(|l| invoice_cmd::TableLine {
            code: &l.line.code,
            quantity: l.line.quantity,
            unit_price_minor: l.line.unit_price_minor,
            amount_minor: l.line.amount_minor,
            description: match &l.refers_to {
                Some(p) => format!("{} [{p}]", l.line.description),
                None => l.line.description.clone(),
            },
        })
        .collect();
    invoice_cmd::write_table(out, &lines, doc.total_minor, doc.person_days, &doc.warnings, &|m| money(m, &doc.currency))
}

fn row_json(row: &InvoiceRow) -> Result<Value, Failure> {
    let document: Value = serde_json::from_str(&row.document).map_err(anyhow::Error::from)?;
    Ok(json!({
        "id": row.id,
        "number": row.number,
        "kind": row.kind,
        "period": row.period,
        "total_minor": row.total_minor,
        "sha256": row.sha256_hex(),
        "prepared_by": row.prepared_by,
        "prepared_event": row.prepared_seq,
        "issued_by": row.issued.as_ref().map(|i| i.issued_by.clone()),
        "issued_at": row.issued.as_ref().map(|i| i.issued_at.clone()),
        "issued_event": row.issued.as_ref().map(|i| i.issued_seq),
        "document": document,
    }))
}

pub(crate) fn run(command: &InvoicesCommand) -> CmdResult {
    match command {
        InvoicesCommand::Draft { agreement, period, extras, on, register } => block_on(async {
            let store = open(register).await?;
            let who = store.actor();
            let on = today(*on, &who.recorded_at)?;
            let stored = stored_agreement(&store, agreement).await?;
            let extras = match extras {
                Some(path) => {
                    let mut problems = Vec::new();
                    let read = invoice_cmd::read_extras(path, &stored, &mut problems)?;
                    if !problems.is_empty() {
                        return Err(Failure::Input(format!(
                            "{} problem(s); nothing was drafted:\n  {}",
                            problems.len(),
                            problems.join("\n  ")
                        )));
                    }
                    read
                }
                None => Vec::new(),
            };
            let row = store.draft_invoice(agreement, period, &extras, on, &who).await.map_err(store_failure)?;
            let doc = row.parsed().map_err(store_failure)?;
            let mut out = std::io::stdout().lock();
            write_document(&mut out, &row, &doc)?;
            writeln!(out, "next: another user issues it with `custodia invoices issue {}`", row.id)?;
            Ok(())
        }),
        InvoicesCommand::CreditNote { agreement, on, register } => block_on(async {
            let store = open(register).await?;
            let who = store.actor();
            let on = today(*on, &who.recorded_at)?;
            let row = store.draft_credit_note(agreement, on, &who).await.map_err(store_failure)?;
            let doc = row.parsed().map_err(store_failure)?;
            let mut out = std::io::stdout().lock();
            write_document(&mut out, &row, &doc)?;
            writeln!(out, "next: another user issues it with `custodia invoices issue {}`", row.id)?;
            Ok(())
        }),
        InvoicesCommand::Issue { id, register } => block_on(async {
            let store = open(register).await?;
            let who = store.actor();
            let row = store.issue(*id, &who).await.map_err(store_failure)?;
            writeln!(
                std::io::stdout().lock(),
                "issued {} (draft {}): total {}, sha256 {}",
                row.number,
                row.id,
                row.total_minor,
                row.sha256_hex()
            )?;
            Ok(())
        }),
        InvoicesCommand::List { agreement, json, register } => block_on(async {
            let store = open(register).await?;
            let rows = store.invoice_rows(agreement).await.map_err(store_failure)?;
            let mut out = std::io::stdout().lock();
            if *json {
                let list = rows.iter().map(row_json).collect::<Result<Vec<_>, _>>()?;
                writeln!(out, "{}", serde_json::to_string(&list).map_err(anyhow::Error::from)?)?;
                return Ok(());
            }
            if rows.is_empty() {
                writeln!(out, "no invoices for {agreement}")?;
            }
            for row in &rows {
                let currency = document_from_json(&row.document).map(|d| d.currency).unwrap_or_default();
                writeln!(
                    out,
                    "{:>5}  {:<28} {:>20}  {}",
                    row.id,
                    row.number,
                    money(row.total_minor, &currency),
                    if row.issued.is_some() { "issued" } else { "draft" }
                )?;
            }
            Ok(())
        }),
        InvoicesCommand::Show { id, json, register } => block_on(async {
            let store = open(register).await?;
            let row = row(&store, *id).await?;
            let mut out = std::io::stdout().lock();
            if *json {
                writeln!(out, "{}", serde_json::to_string(&row_json(&row)?).map_err(anyhow::Error::from)?)?;
            } else {
                write_document(&mut out, &row, &row.parsed().map_err(store_failure)?)?;
            }
            Ok(())
        }),
        InvoicesCommand::Export { id, format, out, register } => block_on(async {
            let store = open(register).await?;
            let row = row(&store, *id).await?;
            if row.issued.is_none() {
                return Err(Failure::Input(format!(
                    "invoice {id} ({}) is a draft: only issued documents are exported",
                    row.number
                )));
            }
            let bytes = match format {
                ExportFormat::Json => {
                    let mut b = row.document.clone().into_bytes();
                    if out.is_none() {
                        b.push(b'\n');
                    }
                    b
                }
                ExportFormat::Csv => custodia_store::invoices::csv_export(&row.parsed().map_err(store_failure)?),
            };
            let mut sink = AtomicOutput::new(out.as_deref())?;
            sink.write_all(&bytes)?;
            sink.commit()
        }),
        InvoicesCommand::Verify { id, register } => block_on(async {
            let store = open(register).await?;
            let row = row(&store, *id).await?;
            let mut problems = Vec::new();
            let digest: [u8; 32] = Sha256::digest(row.document.as_bytes()).into();
            if digest.as_slice() != row.sha256.as_slice() {
                problems.push("the stored document does not hash to its stored SHA-256".to_owned());
            }
            let stored: Value = serde_json::from_str(&row.document).map_err(anyhow::Error::from)?;
            let mut checked = vec![("invoice.drafted", row.prepared_seq)];
            if let Some(i) = &row.issued {
                checked.push(("invoice.issued", i.issued_seq));
            }
            for (kind, seq) in &checked {
                let seq_u = u64::try_from(*seq).unwrap_or(u64::MAX);
                let events = store.events(seq_u, seq_u.saturating_add(1)).await.map_err(store_failure)?;
                let event: Option<Value> = events.first().and_then(|e| serde_json::from_str(&e.body).ok());
                let Some(event) = event else {
                    problems.push(format!("journal event {seq} ({kind}) is missing"));
                    continue;
                };
                if event.get("kind").and_then(Value::as_str) != Some(kind) {
                    problems.push(format!("journal event {seq} is not {kind}"));
                }
                if event.pointer("/data/sha256").and_then(Value::as_str) != Some(row.sha256_hex().as_str()) {
                    problems.push(format!("journal event {seq} ({kind}) records another SHA-256"));
                }
                if *kind == "invoice.drafted" && event.pointer("/data/document") != Some(&stored) {
                    problems.push(format!("journal event {seq} records another document"));
                }
            }
            let mut out = std::io::stdout().lock();
            if problems.is_empty() {
                writeln!(
                    out,
                    "ok: {} (draft {}) sha256 {} matches its document and journal events {}",
                    row.number,
                    row.id,
                    row.sha256_hex(),
                    checked.iter().map(|(_, s)| s.to_string()).collect::<Vec<_>>().join(", ")
                )?;
                writeln!(out, "prove the events are in the journal with `custodia journal prove`")?;
                Ok(())
            } else {
                Err(Failure::Input(format!("invoice {id} does not verify:\n  {}", problems.join("\n  "))))
            }
        }),
    }
}

/// `custodia report sustainability`.
#[derive(Debug, Args)]
#[command(after_help = "\
Invoiced revenue (issued invoices and credit notes, by the period they bill) against the receiving
state's prison budget, and the sending state's cost of holding the same person-days at home. The
home cost defaults to the US Bureau of Prisons FY2023 average, $120.80 a day, when the sending
state is the US and fees are in USD; otherwise give --home-cost-per-day-minor.

Example:
  custodia report sustainability --agreement us-sv-cecot --receiving-budget-minor 12000000000")]
pub(crate) struct SustainabilityArgs {
    /// The agreement.
    #[arg(long, value_name = "ID")]
    agreement: String,
    /// The receiving state's annual prison budget, in minor units of the agreement's currency.
    #[arg(long, value_name = "MINOR", value_parser = clap::value_parser!(i64).range(1..))]
    receiving_budget_minor: Option<i64>,
    /// The sending state's cost of holding one person for a day at home, in minor units.
    #[arg(long, value_name = "MINOR", value_parser = clap::value_parser!(i64).range(0..))]
    home_cost_per_day_minor: Option<i64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    register: RegisterArgs,
}

pub(crate) fn run_sustainability(args: &SustainabilityArgs) -> CmdResult {
    block_on(async {
        let store = open(&args.register).await?;
        let agreement = stored_agreement(&store, &args.agreement).await?;
        let home = match args.home_cost_per_day_minor {
            Some(h) => h,
            None if agreement.sending_state.as_str() == "US" && agreement.currency.as_str() == "USD" => {
                US_BOP_FY2023_DAY_MINOR
            }
            None => {
                return Err(Failure::Input(format!(
                    "--home-cost-per-day-minor: required (the default, $120.80 a day, is the US figure; {} sends and bills in {})",
                    agreement.sending_state.as_str(),
                    agreement.currency.as_str()
                )));
            }
        };
        let issued: Vec<Document> = store
            .invoice_rows(&args.agreement)
            .await
            .map_err(store_failure)?
            .iter()
            .filter(|r| r.issued.is_some())
            .map(InvoiceRow::parsed)
            .collect::<Result<_, _>>()
            .map_err(store_failure)?;
        let report = ledger::sustainability(&agreement, &issued, home, args.receiving_budget_minor)
            .map_err(|e| Failure::Input(e.to_string()))?;
        let currency = agreement.currency;
        let mut out = std::io::stdout().lock();
        if args.json {
            let rows = |rows: &[ledger::SustainabilityRow]| -> Vec<Value> {
                rows.iter()
                    .map(|r| {
                        json!({
                            "label": r.label,
                            "from": r.from.to_string(),
                            "to": r.to.to_string(),
                            "invoiced_minor": r.invoiced_minor,
                            "person_days": r.person_days,
                            "home_cost_minor": r.home_cost_minor,
                            "sending_state_saving_minor": r.sending_state_saving_minor,
                            "budget_share_bp": r.budget_share_bp,
                            "documents": r.documents,
                        })
                    })
                    .collect()
            };
            let v = json!({
                "agreement_id": agreement.id.as_str(),
                "currency": currency.as_str(),
                "home_cost_per_day_minor": home,
                "receiving_budget_minor": args.receiving_budget_minor,
                "months": rows(&report.months),
                "years": rows(&report.years),
            });
            writeln!(out, "{}", serde_json::to_string(&v).map_err(anyhow::Error::from)?)?;
            return Ok(());
        }
        let m = |x: i64| custodia_core::Money::new(x, currency).to_string();
        writeln!(
            out,
            "sustainability of {} — home cost {} a day{}",
            agreement.id,
            m(home),
            args.receiving_budget_minor
                .map(|b| format!(", receiving-state prison budget {} a year", m(b)))
                .unwrap_or_default()
        )?;
        writeln!(
            out,
            "  {:<8} {:>20} {:>12} {:>20} {:>20} {:>9}",
            "period", "invoiced", "person-days", "cost at home", "sending saves", "budget"
        )?;
        for r in report.months.iter().chain(&report.years) {
            if r.documents == 0 {
                writeln!(out, "  {:<8} not invoiced yet", r.label)?;
                continue;
            }
            let share =
                r.budget_share_bp.map(|bp| format!("{}.{:02}%", bp / 100, bp % 100)).unwrap_or_else(|| "—".into());
            writeln!(
                out,
                "  {:<8} {:>20} {:>12} {:>20} {:>20} {:>9}",
                r.label,
                m(r.invoiced_minor),
                r.person_days,
                m(r.home_cost_minor),
                m(r.sending_state_saving_minor),
                share
            )?;
        }
        Ok(())
    })
}
