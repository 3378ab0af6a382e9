//! `custodia invoice`: docs/billing.md with the output contract of docs/command-line.md.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use custodia_core::Date;
use custodia_core::agreement::Agreement;
use custodia_core::billing::{Extra, ExtraFields, Invoice, Period, Stay, check_extras, invoice, invoices_for_term};
use custodia_core::csv::Delimiter;
use custodia_core::person::SecurityClass;
use custodia_core::table::{Columns, Table};
use serde::Serialize;

use crate::{CmdResult, Failure, agreement_cmd};

const MAX_FILE_BYTES: u64 = 1 << 30;
/// The most columns a caller of [`for_each_row`] asks for.
const MAX_COLUMNS: usize = 8;

const AFTER_HELP: &str = "\
Stays CSV: person_id,facility_id,security_class,admitted_on,released_on (empty released_on = open;
a stay covers admitted_on <= d < released_on, a same-day stay covers that day). Extras CSV:
date,code,description,amount_minor (billed as EXTRA:<code> in the month they occurred).

Lines by fee model: per_diem PERSON_DAYS per security class and MINIMUM_SHORTFALL; per_place_month
RESERVED_PLACES (prorated: places x price x covered_days / month_days) and EXTRA_PERSON_DAYS;
per_capita CAPITA (coverage periods starting in the period) and ENVELOPE_LIMIT; lump_sum_year
INSTALMENT (year x covered_days / (12 x month_days)). Amounts are exact and rounded once per line,
half to even. Any unreadable row, a release before admission, an extra outside the term or a period
outside the term makes the command fail (exit 2) listing every problem; nothing is printed.

Example:
  custodia invoice --agreement examples/agreements/us-sv-cecot.toml --stays stays.csv --period 2025-04 --json";

/// Arguments of `custodia invoice`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct InvoiceArgs {
    /// The agreement file (TOML).
    #[arg(long, value_name = "FILE")]
    agreement: PathBuf,
    /// The stays (CSV).
    #[arg(long, value_name = "FILE")]
    stays: PathBuf,
    /// The billing period, YYYY-MM (echoed as given).
    #[arg(long, value_name = "YYYY-MM", required_unless_present = "all")]
    period: Option<String>,
    /// Every period of the agreement's term instead of one.
    #[arg(long, conflicts_with = "period")]
    all: bool,
    /// Extras (CSV).
    #[arg(long, value_name = "FILE")]
    extras: Option<PathBuf>,
    /// Print the JSON contract of docs/command-line.md (one object per period with --all, one per line).
    #[arg(long)]
    json: bool,
    /// Field delimiter of the stays and extras files: `,` or `;` (default: detected from each
    /// file's header line).
    #[arg(long, value_name = ",|;", value_parser = crate::screen_cmd::parse_delimiter_arg)]
    delimiter: Option<Delimiter>,
}

#[derive(Debug, Serialize)]
struct LineJson<'a> {
    code: &'a str,
    description: &'a str,
    quantity: i64,
    unit_price_minor: i64,
    amount_minor: i64,
}

#[derive(Debug, Serialize)]
struct InvoiceJson<'a> {
    agreement_id: &'a str,
    period: &'a str,
    currency: &'a str,
    lines: Vec<LineJson<'a>>,
    total_minor: i64,
    person_days: i64,
    warnings: &'a [String],
}

/// Reads a CSV file through the one table reader (`custodia_core::table`: byte-order mark, any
/// line ending, `,` or `;`): `row` gets each data row's line number and the header's columns
/// `wanted`, in that order; problems with single rows are collected, a file that cannot be read
/// at all is an error.
fn for_each_row(
    path: &Path,
    wanted: &'static [&'static str],
    delimiter: Option<Delimiter>,
    problems: &mut Vec<String>,
    mut row: impl FnMut(u64, &[&str], &mut Vec<String>),
) -> Result<(), Failure> {
    let shown = path.display();
    let size = std::fs::metadata(path).map_err(|e| Failure::Input(format!("{shown}: cannot read: {e}")))?.len();
    if size > MAX_FILE_BYTES {
        return Err(Failure::Input(format!("{shown}: larger than 1 GiB")));
    }
    let bytes = std::fs::read(path).map_err(|e| Failure::Input(format!("{shown}: cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| Failure::Input(format!("{shown}: not valid UTF-8")))?;
    let columns = Columns { known: wanted, required: wanted };
    let table = Table::read(text.as_bytes(), delimiter, columns)
        .map_err(|e| Failure::Input(format!("{shown}: {e} (needs {})", wanted.join(","))))?;
    let mut rows = table.rows();
    while let Some(data) = rows.next() {
        if let Some(fault) = &data.fault {
            problems.push(format!("{shown}:{}: {}", data.line, fault.message(table.header())));
            continue;
        }
        let mut picked = [""; MAX_COLUMNS];
        for (i, slot) in picked.iter_mut().enumerate().take(wanted.len()) {
            let field = table.header().position(i).and_then(|p| data.fields.get(p));
            *slot = field.and_then(|f| std::str::from_utf8(f).ok()).unwrap_or_default();
        }
        let before = problems.len();
        row(data.line, picked.get(..wanted.len()).unwrap_or_default(), problems);
        for p in problems.iter_mut().skip(before) {
            *p = format!("{shown}:{}: {p}", data.line);
        }
    }
    Ok(())
}

fn read_stays(
    path: &Path,
    agreement: &Agreement,
    delimiter: Option<Delimiter>,
    problems: &mut Vec<String>,
) -> Result<Vec<Stay>, Failure> {
    let mut stays = Vec::new();
    const WANTED: &[&str] = &["person_id", "facility_id", "security_class", "admitted_on", "released_on"];
    for_each_row(path, WANTED, delimiter, problems, |_, row, problems| {
        let get = |i: usize| row.get(i).copied().unwrap_or_default();
        let start = problems.len();
        if get(0).is_empty() {
            problems.push("person_id: must not be empty".to_owned());
        }
        if agreement.facility(get(1)).is_none() {
            problems.push(format!("facility_id: {:?} is not a facility of agreement {}", get(1), agreement.id));
        }
        let class = SecurityClass::parse(get(2));
        if class.is_none() {
            problems.push(format!("security_class: {:?} is not one of: {}", get(2), SecurityClass::allowed()));
        }
        let admitted = Date::parse(get(3));
        if let Err(e) = &admitted {
            problems.push(format!("admitted_on: {:?} {e}", get(3)));
        }
        let released = if get(4).is_empty() { Ok(None) } else { Date::parse(get(4)).map(Some) };
        if let Err(e) = &released {
            problems.push(format!("released_on: {:?} {e}", get(4)));
        }
        if let (Ok(a), Ok(Some(r))) = (&admitted, &released)
            && r < a
        {
            problems.push(format!("released_on: {r} is before admitted_on {a}"));
        }
        if let (true, Some(security_class), Ok(admitted_on), Ok(released_on)) =
            (problems.len() == start, class, admitted, released)
        {
            stays.push(Stay {
                person_id: get(0).to_owned(),
                facility_id: get(1).to_owned(),
                security_class,
                admitted_on,
                released_on,
            });
        }
    })?;
    Ok(stays)
}

/// The rows of an extras file (CSV `date,code,description,amount_minor`) as given, each with its
/// line number; rows the table reader cannot read are problems.
pub(crate) fn read_extra_rows(
    path: &Path,
    delimiter: Option<Delimiter>,
    problems: &mut Vec<String>,
) -> Result<Vec<(u64, ExtraFields)>, Failure> {
    let mut rows = Vec::new();
    const WANTED: &[&str] = &["date", "code", "description", "amount_minor"];
    for_each_row(path, WANTED, delimiter, problems, |line, row, _| {
        let get = |i: usize| row.get(i).copied().unwrap_or_default().to_owned();
        rows.push((line, ExtraFields { date: get(0), code: get(1), description: get(2), amount_minor: get(3) }));
    })?;
    Ok(rows)
}

/// Reads an extras file and checks its rows with the rules every edge shares
/// ([`check_extras`]: in the term, sizes, positive integer amounts); each problem names its line.
fn read_extras(
    path: &Path,
    agreement: &Agreement,
    delimiter: Option<Delimiter>,
    problems: &mut Vec<String>,
) -> Result<Vec<Extra>, Failure> {
    let rows = read_extra_rows(path, delimiter, problems)?;
    let fields: Vec<ExtraFields> = rows.iter().map(|(_, f)| f.clone()).collect();
    match check_extras(agreement, None, &fields) {
        Ok(extras) => Ok(extras),
        Err(found) => {
            let shown = path.display();
            for p in found {
                match p.row.and_then(|i| rows.get(i)) {
                    Some((line, _)) => problems.push(format!("{shown}:{line}: {}: {}", p.field, p.message)),
                    None => problems.push(format!("{shown}: {}: {}", p.field, p.message)),
                }
            }
            Ok(Vec::new())
        }
    }
}

pub(crate) fn run(args: &InvoiceArgs) -> CmdResult {
    let agreement = agreement_cmd::load(&args.agreement)?;
    let mut problems = Vec::new();
    let stays = read_stays(&args.stays, &agreement, args.delimiter, &mut problems)?;
    let extras = match &args.extras {
        Some(path) => read_extras(path, &agreement, args.delimiter, &mut problems)?,
        None => Vec::new(),
    };
    let mut invoices: Vec<(String, Invoice)> = Vec::new();
    match &args.period {
        Some(text) => match custodia_core::ledger::parse_period(text) {
            Ok((y, m)) => match Period::new(&agreement, y, m).and_then(|p| invoice(&agreement, &stays, &extras, &p)) {
                Ok(inv) => invoices.push((text.clone(), inv)),
                Err(e) => problems.push(format!("--period: {e}")),
            },
            Err(e) => problems.push(format!("--period: {text:?}: {e}")),
        },
        None => match invoices_for_term(&agreement, &stays, &extras) {
            Ok(all) => invoices.extend(all.into_iter().map(|(p, inv)| (format!("{:04}-{:02}", p.year, p.month), inv))),
            Err(e) => problems.push(e.to_string()),
        },
    }
    if !problems.is_empty() {
        return Err(Failure::Input(format!(
            "{} problem(s); nothing was computed:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )));
    }
    let mut out = std::io::stdout().lock();
    for (label, inv) in &invoices {
        if args.json {
            let json = InvoiceJson {
                agreement_id: agreement.id.as_str(),
                period: label,
                currency: agreement.currency.as_str(),
                lines: inv
                    .lines
                    .iter()
                    .map(|l| LineJson {
                        code: &l.code,
                        description: &l.description,
                        quantity: l.quantity,
                        unit_price_minor: l.unit_price_minor,
                        amount_minor: l.amount_minor,
                    })
                    .collect(),
                total_minor: inv.total_minor,
                person_days: inv.person_days,
                warnings: &inv.warnings,
            };
            writeln!(out, "{}", serde_json::to_string(&json).map_err(anyhow::Error::from)?)?;
        } else {
            let money = |m: i64| custodia_core::Money::new(m, agreement.currency).to_string();
            writeln!(out, "invoice {} {label}", agreement.id)?;
            let lines: Vec<TableLine<'_>> = inv
                .lines
                .iter()
                .map(|l| TableLine {
                    code: &l.code,
                    quantity: l.quantity,
                    unit_price_minor: l.unit_price_minor,
                    amount_minor: l.amount_minor,
                    description: l.description.clone(),
                })
                .collect();
            write_table(&mut out, &lines, inv.total_minor, inv.person_days, &inv.warnings, &money)?;
        }
    }
    Ok(())
}

/// One line of a printed invoice.
#[derive(Debug)]
pub(crate) struct TableLine<'a> {
    pub(crate) code: &'a str,
    pub(crate) quantity: i64,
    pub(crate) unit_price_minor: i64,
    pub(crate) amount_minor: i64,
    pub(crate) description: String,
}

/// Prints lines, the total, person-days and warnings as a table for people.
pub(crate) fn write_table(
    out: &mut impl Write,
    lines: &[TableLine<'_>],
    total_minor: i64,
    person_days: i64,
    warnings: &[String],
    money: &dyn Fn(i64) -> String,
) -> CmdResult {
    for l in lines {
        writeln!(
            out,
            "  {:<20} {:>10} × {:>18} = {:>20}  {}",
            l.code,
            l.quantity,
            money(l.unit_price_minor),
            money(l.amount_minor),
            l.description
        )?;
    }
    writeln!(out, "  {:<20} {:>53}", "TOTAL", money(total_minor))?;
    writeln!(out, "  person-days: {person_days}")?;
    for w in warnings {
        writeln!(out, "  warning: {w}")?;
    }
    Ok(())
}
