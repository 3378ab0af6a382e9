//! `custodia invoice`: SPEC §8 with the output contract of SPEC §12.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use custodia_core::Date;
use custodia_core::agreement::Agreement;
use custodia_core::billing::{Extra, Invoice, Period, Stay, invoice, invoices_for_term};
use custodia_core::csv::{FieldSplitter, Records};
use custodia_core::person::SecurityClass;
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
    /// Print the JSON contract of SPEC §12 (one object per period with --all, one per line).
    #[arg(long)]
    json: bool,
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

/// Reads a CSV file row by row without copying its fields: `row` gets each data row's line number
/// and fields (the header's columns `wanted`, in that order); problems with single rows are
/// collected, a file that cannot be read at all is an error.
fn for_each_row(
    path: &Path,
    wanted: &[&str],
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
    let mut splitter = FieldSplitter::new();
    let mut at: Option<(usize, Vec<usize>)> = None;
    let mut line = 0u64;
    for record in Records::new(text.as_bytes()) {
        line += 1;
        let this_line = line;
        line += record.bytes.iter().filter(|b| **b == b'\n').count() as u64;
        if record.bytes.is_empty() {
            continue;
        }
        let fields = match splitter.split(record.bytes) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("{shown}:{this_line}: {e}"));
                continue;
            }
        };
        let text_of = |f: &[u8]| std::str::from_utf8(f).unwrap_or_default().to_owned();
        let Some((width, columns)) = &at else {
            let header: Vec<String> = fields.iter().map(text_of).collect();
            let columns = wanted
                .iter()
                .map(|w| {
                    header.iter().position(|h| h == w).ok_or_else(|| {
                        Failure::Input(format!("{shown}: the header lacks column {w} (needs {})", wanted.join(",")))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            at = Some((header.len(), columns));
            continue;
        };
        if fields.len() != *width {
            problems.push(format!("{shown}:{this_line}: row has {} fields but the header has {width}", fields.len()));
            continue;
        }
        let mut picked = [""; MAX_COLUMNS];
        for (slot, c) in picked.iter_mut().zip(columns) {
            *slot = fields.get(*c).and_then(|f| std::str::from_utf8(f).ok()).unwrap_or_default();
        }
        let before = problems.len();
        row(this_line, picked.get(..columns.len()).unwrap_or_default(), problems);
        for p in problems.iter_mut().skip(before) {
            *p = format!("{shown}:{this_line}: {p}");
        }
    }
    if at.is_none() {
        return Err(Failure::Input(format!("{shown}: the file has no header row")));
    }
    Ok(())
}

fn read_stays(path: &Path, agreement: &Agreement, problems: &mut Vec<String>) -> Result<Vec<Stay>, Failure> {
    let mut stays = Vec::new();
    let wanted = ["person_id", "facility_id", "security_class", "admitted_on", "released_on"];
    for_each_row(path, &wanted, problems, |_, row, problems| {
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

pub(crate) fn read_extras(
    path: &Path,
    agreement: &Agreement,
    problems: &mut Vec<String>,
) -> Result<Vec<Extra>, Failure> {
    let mut extras = Vec::new();
    for_each_row(path, &["date", "code", "description", "amount_minor"], problems, |_, row, problems| {
        let get = |i: usize| row.get(i).copied().unwrap_or_default();
        let start = problems.len();
        let date = Date::parse(get(0));
        let amount = get(3).parse::<i64>().ok().filter(|a| *a > 0 && get(3).bytes().all(|b| b.is_ascii_digit()));
        match &date {
            Err(e) => problems.push(format!("date: {:?} {e}", get(0))),
            Ok(d) if !agreement.in_term(*d) => problems.push(format!("date: {d} is outside the agreement's term")),
            Ok(_) => {}
        }
        if get(1).is_empty() {
            problems.push("code: must not be empty".into());
        }
        if amount.is_none() {
            problems.push(format!("amount_minor: {:?} is not a positive integer", get(3)));
        }
        if let (true, Ok(date), Some(amount_minor)) = (problems.len() == start, date, amount) {
            extras.push(Extra { date, code: get(1).to_owned(), description: get(2).to_owned(), amount_minor });
        }
    })?;
    Ok(extras)
}

pub(crate) fn run(args: &InvoiceArgs) -> CmdResult {
    let agreement = agreement_cmd::load(&args.agreement)?;
    let mut problems = Vec::new();
    let stays = read_stays(&args.stays, &agreement, &mut problems)?;
    let extras = match &args.extras {
        Some(path) => read_extras(path, &agreement, &mut problems)?,
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
