//! `custodia invoices`: invoices and credit notes issued in the register (docs/billing.md#register),
//! and `custodia report sustainability`. The use cases are the application layer's
//! (`custodia_app::billing`); these commands parse their arguments and print what it returns.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use custodia_app::AppError;
use custodia_app::billing::{self as app_billing, DraftInvoice, Invoice};
use custodia_core::Date;
use custodia_core::ledger;
use serde_json::{Value, json};

use crate::output::AtomicOutput;
use crate::register_cmd::{RegisterArgs, app_failure, block_on, open};
use crate::{CmdResult, Failure, invoice_cmd};

const AFTER_HELP: &str = "\
Invoices are drawn from the custody records in the register: a stay runs from the intake date of an
admission to the day the person is returned, released or dies. One user drafts, another issues (the
two-person rule); issuing recomputes the draft from the records as they stand and refuses a stale
one. Periods are issued in order, once each, after the month is over. A correction recorded later
(a back-dated release, an amended security class) changes no issued invoice: the next invoice
carries an ADJUSTMENT line for the corrected period. When the agreement has ended, a credit note
settles the remaining corrections and, for per-capita fees, coverage paid for days after the end.

Example (two finance officers, each with their own token in CUSTODIA_TOKEN):
  custodia invoices draft --agreement us-sv-cecot --period 2025-04 --extras extras.csv   # ana
  custodia invoices issue 1                                                              # ben
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
        /// Today (default: today in the agreement's time zone, its first facility's); the period must be over.
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
        /// Today (default: today in the agreement's time zone, its first facility's); must be after the agreement's end.
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

pub(crate) fn money(amount: i64, currency: &str) -> String {
    match custodia_core::CurrencyCode::parse(currency) {
        Ok(c) => custodia_core::Money::new(amount, c).to_string(),
        Err(_) => format!("{amount} {currency} minor units"),
    }
}

fn status(row: &custodia_store::invoices::InvoiceRow) -> String {
    match &row.issued {
        Some(i) => format!("issued by {} at {} (journal event {})", i.issued_by, i.issued_at, i.issued_seq),
        None => format!("draft, prepared by {} (journal event {}); not issued", row.prepared_by, row.prepared_seq),
    }
}

fn write_document(out: &mut impl Write, invoice: &Invoice) -> CmdResult {
    let (row, doc) = (&invoice.row, &invoice.document);
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

fn row_json(invoice: &Invoice) -> Result<Value, Failure> {
    let row = &invoice.row;
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

/// Reads the extras file of a draft: its rows as given, with their lines (the rules are checked
/// by the application layer, as for the API).
fn extras_file(path: &Path) -> Result<Vec<(u64, custodia_core::billing::ExtraFields)>, Failure> {
    let mut problems = Vec::new();
    let rows = invoice_cmd::read_extra_rows(path, None, &mut problems)?;
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(Failure::Input(format!("{} problem(s); nothing was drafted:\n  {}", problems.len(), problems.join("\n  "))))
    }
}

/// A failure of a draft with an extras file: problems of `extras[N]` name the file's line instead.
fn draft_failure(e: AppError, path: Option<&Path>, lines: &[u64]) -> Failure {
    match (e, path) {
        (AppError::Invalid { field, message }, Some(path)) if field.starts_with("extras[") => {
            let mut text = format!("{field}: {}", message.render(crate::language()));
            for (i, line) in lines.iter().enumerate() {
                text = text.replace(&format!("extras[{i}]."), &format!("{}:{line}: ", path.display()));
            }
            Failure::Input(format!("nothing was drafted:\n  {text}"))
        }
        (other, _) => app_failure(other),
    }
}

fn print_draft(invoice: &Invoice) -> CmdResult {
    let mut out = std::io::stdout().lock();
    write_document(&mut out, invoice)?;
    writeln!(out, "next: another user issues it with `custodia invoices issue {}`", invoice.row.id)?;
    Ok(())
}

pub(crate) fn run(command: &InvoicesCommand) -> CmdResult {
    match command {
        InvoicesCommand::Draft { agreement, period, extras, on, register } => block_on(async {
            let rows = extras.as_deref().map(extras_file).transpose()?.unwrap_or_default();
            let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
            let s = open(register).await?;
            let request = DraftInvoice {
                agreement_id: agreement.clone(),
                period: period.clone(),
                extras: rows.into_iter().map(|(_, fields)| fields).collect(),
                on: *on,
            };
            let drafted = s
                .app
                .draft_invoice(&s.who, &request, &s.now)
                .await
                .map_err(|e| draft_failure(e, extras.as_deref(), &lines))?;
            print_draft(&drafted)
        }),
        InvoicesCommand::CreditNote { agreement, on, register } => block_on(async {
            let s = open(register).await?;
            print_draft(&s.app.draft_credit_note(&s.who, agreement, *on, &s.now).await.map_err(app_failure)?)
        }),
        InvoicesCommand::Issue { id, register } => block_on(async {
            let s = open(register).await?;
            let row = s.app.issue_invoice(&s.who, *id, &s.now).await.map_err(app_failure)?.row;
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
            let s = open(register).await?;
            let invoices = s.app.invoices(&s.who, agreement).await.map_err(app_failure)?;
            let mut out = std::io::stdout().lock();
            if *json {
                let list = invoices.iter().map(row_json).collect::<Result<Vec<_>, _>>()?;
                writeln!(out, "{}", serde_json::to_string(&list).map_err(anyhow::Error::from)?)?;
                return Ok(());
            }
            if invoices.is_empty() {
                writeln!(out, "no invoices for {agreement}")?;
            }
            for Invoice { row, document } in &invoices {
                writeln!(
                    out,
                    "{:>5}  {:<28} {:>20}  {}",
                    row.id,
                    row.number,
                    money(row.total_minor, &document.currency),
                    if row.issued.is_some() { "issued" } else { "draft" }
                )?;
            }
            Ok(())
        }),
        InvoicesCommand::Show { id, json, register } => block_on(async {
            let s = open(register).await?;
            let invoice = s.app.invoice(&s.who, *id).await.map_err(app_failure)?;
            let mut out = std::io::stdout().lock();
            if *json {
                writeln!(out, "{}", serde_json::to_string(&row_json(&invoice)?).map_err(anyhow::Error::from)?)?;
            } else {
                write_document(&mut out, &invoice)?;
            }
            Ok(())
        }),
        InvoicesCommand::Export { id, format, out, register } => block_on(async {
            let s = open(register).await?;
            let format = match format {
                ExportFormat::Json => app_billing::ExportFormat::Canonical,
                ExportFormat::Csv => app_billing::ExportFormat::Csv,
            };
            let mut bytes = s.app.export_invoice(&s.who, *id, format).await.map_err(app_failure)?.bytes;
            // The canonical JSON has no final line break; a terminal gets one.
            if out.is_none() && format == app_billing::ExportFormat::Canonical {
                bytes.push(b'\n');
            }
            let mut sink = AtomicOutput::new(out.as_deref())?;
            sink.write_all(&bytes)?;
            sink.commit()
        }),
        InvoicesCommand::Verify { id, register } => block_on(async {
            let s = open(register).await?;
            let check = s.app.verify_invoice(&s.who, *id).await.map_err(app_failure)?;
            if !check.problems.is_empty() {
                return Err(Failure::Input(format!(
                    "invoice {id} does not verify:\n  {}",
                    check.problems.join("\n  ")
                )));
            }
            let row = &check.invoice.row;
            let events: Vec<String> = check.events.iter().map(i64::to_string).collect();
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "ok: {} (draft {}) sha256 {} matches its document and journal events {}",
                row.number,
                row.id,
                row.sha256_hex(),
                events.join(", ")
            )?;
            writeln!(out, "prove the events are in the journal with `custodia journal prove`")?;
            Ok(())
        }),
    }
}

/// `custodia report sustainability`.
#[derive(Debug, Args)]
#[command(after_help = "\
Invoiced revenue (issued invoices and credit notes) against the receiving state's prison budget,
and the sending state's cost of holding the same person-days at home, in two views: cash (each
document in the month it was issued for) and accrual (each charge spread over the days it covers,
e.g. a per-capita fee over its coverage period). Journeys (each departure and return in the custody
records) are counted per month and priced by the agreement's [extras_tariff] when it has one; the
savings subtract them. The home cost defaults to the US Bureau of Prisons FY2023 average, $120.80 a day, when the sending
state is the US and fees are in USD; otherwise give --home-cost-per-day-minor.

Example:
  custodia report sustainability --agreement us-sv-cecot --receiving-budget-minor 12000000000")]
pub(crate) struct SustainabilityArgs {
    /// The agreement.
    #[arg(long, value_name = "ID")]
    agreement: String,
    /// The receiving state's annual prison budget, in minor units of the agreement's currency.
    #[arg(long, value_name = "MINOR", allow_negative_numbers = true)]
    receiving_budget_minor: Option<i64>,
    /// The sending state's cost of holding one person for a day at home, in minor units.
    #[arg(long, value_name = "MINOR", allow_negative_numbers = true)]
    home_cost_per_day_minor: Option<i64>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    register: RegisterArgs,
}

pub(crate) fn run_sustainability(args: &SustainabilityArgs) -> CmdResult {
    block_on(async {
        let s = open(&args.register).await?;
        let request = app_billing::SustainabilityRequest {
            agreement_id: args.agreement.clone(),
            receiving_budget_minor: args.receiving_budget_minor,
            home_cost_per_day_minor: args.home_cost_per_day_minor,
        };
        let app_billing::SustainabilityReport { agreement_id, currency, home_cost_per_day_minor: home, report, .. } =
            s.app.sustainability(&s.who, &request).await.map_err(app_failure)?;
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
                            "accrued_minor": r.accrued_minor,
                            "person_days": r.person_days,
                            "home_cost_minor": r.home_cost_minor,
                            "departures": r.departures,
                            "returns": r.returns,
                            "transport_minor": r.transport_minor,
                            "sending_state_saving_minor": r.sending_state_saving_minor,
                            "accrual_saving_minor": r.accrual_saving_minor,
                            "budget_share_bp": r.budget_share_bp,
                            "accrual_budget_share_bp": r.accrual_budget_share_bp,
                            "documents": r.documents,
                        })
                    })
                    .collect()
            };
            let v = json!({
                "agreement_id": agreement_id,
                "currency": currency,
                "home_cost_per_day_minor": home,
                "receiving_budget_minor": args.receiving_budget_minor,
                "months": rows(&report.months),
                "years": rows(&report.years),
                "transport_priced": report.transport_priced,
                "warnings": report.warnings,
            });
            writeln!(out, "{}", serde_json::to_string(&v).map_err(anyhow::Error::from)?)?;
            return Ok(());
        }
        let m = |x: i64| money(x, &currency);
        writeln!(
            out,
            "sustainability of {} — home cost {} a day{}",
            agreement_id,
            m(home),
            args.receiving_budget_minor
                .map(|b| format!(", receiving-state prison budget {} a year", m(b)))
                .unwrap_or_default()
        )?;
        writeln!(
            out,
            "  cash: what was invoiced when; accrual: charges spread over the days they cover; transport: {}",
            if report.transport_priced {
                "journeys priced by the agreement's extras tariff"
            } else {
                "journeys counted, not priced (the agreement has no extras tariff)"
            }
        )?;
        let head = ["period", "cash", "accrual", "person-days", "cost at home", "out/back", "transport"];
        let tail = ["saves (cash)", "saves (accrual)", "budget (cash)", "budget (accrual)"];
        writeln!(
            out,
            "  {:<8} {:>20} {:>20} {:>12} {:>20} {:>9} {:>16} {:>20} {:>20} {:>13} {:>16}",
            head[0], head[1], head[2], head[3], head[4], head[5], head[6], tail[0], tail[1], tail[2], tail[3]
        )?;
        let share =
            |bp: Option<i64>| bp.map(|bp| format!("{}.{:02}%", bp / 100, bp % 100)).unwrap_or_else(|| "—".into());
        for r in report.months.iter().chain(&report.years) {
            if r.documents == 0 && r.accrued_minor == 0 && r.departures == 0 && r.returns == 0 {
                writeln!(out, "  {:<8} not invoiced yet", r.label)?;
                continue;
            }
            let cash = if r.documents == 0 { "not invoiced".to_owned() } else { m(r.invoiced_minor) };
            writeln!(
                out,
                "  {:<8} {:>20} {:>20} {:>12} {:>20} {:>9} {:>16} {:>20} {:>20} {:>13} {:>16}",
                r.label,
                cash,
                m(r.accrued_minor),
                r.person_days,
                m(r.home_cost_minor),
                format!("{}/{}", r.departures, r.returns),
                r.transport_minor.map_or_else(|| "not priced".to_owned(), m),
                m(r.sending_state_saving_minor),
                m(r.accrual_saving_minor),
                share(r.budget_share_bp),
                share(r.accrual_budget_share_bp)
            )?;
        }
        for w in &report.warnings {
            writeln!(out, "  warning: {w}")?;
        }
        Ok(())
    })
}
