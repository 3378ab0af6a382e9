//! Billing inputs: a stays file and an extras file (docs/billing.md) read through the one table
//! reader, the extras checked by `billing::check_extras`, then every invoice of the term.
//!
//! Input: an agreement, a line `%%`, a stays file, a line `%%`, an extras file. The stays rows are
//! checked as `custodia invoice` checks them (a facility of the agreement, a security class, the
//! dates in order). Checks: nothing panics; accepted extras keep the limits `check_extras` states
//! (a positive amount within `MAX_AMOUNT_MINOR`, a date in the term, trimmed code and description
//! within their sizes), and a refusal names its rows; the one-pass `invoices_for_term` gives, for
//! every period, exactly the invoice `invoice` computes for that period alone; each invoice's total
//! is the sum of its lines, its person-days are not negative, and no line is all zero.
#![no_main]

use custodia_core::Agreement;
use custodia_core::Date;
use custodia_core::billing::{
    Extra, ExtraFields, MAX_AMOUNT_MINOR, MAX_EXTRA_CODE_BYTES, MAX_EXTRA_DESCRIPTION_BYTES, Stay, check_extras,
    invoice, invoices_for_term,
};
use custodia_core::csv::Delimiter;
use custodia_core::person::SecurityClass;
use custodia_core::table::{Columns, Table};
use custodia_fuzz::{agreement, delimiter, sections};
use libfuzzer_sys::fuzz_target;

const STAY_COLUMNS: &[&str] = &["person_id", "facility_id", "security_class", "admitted_on", "released_on"];
const EXTRA_COLUMNS: &[&str] = &["date", "code", "description", "amount_minor"];
/// Rows read per file: the arithmetic, not the row count, is what is searched here.
const MAX_ROWS: usize = 500;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let [agreement_text, stays_text, extras_text] = sections(text, 3)[..] else { return };
    let Some(agreement) = agreement(agreement_text) else { return };
    let delimiter = delimiter(data.len() as u8);
    let stays: Vec<Stay> =
        rows(stays_text, STAY_COLUMNS, delimiter).iter().filter_map(|row| stay(&agreement, row)).collect();
    let extra_rows: Vec<ExtraFields> = rows(extras_text, EXTRA_COLUMNS, delimiter)
        .into_iter()
        .map(|r| ExtraFields {
            date: r[0].clone(),
            code: r[1].clone(),
            description: r[2].clone(),
            amount_minor: r[3].clone(),
        })
        .collect();
    let extras = match check_extras(&agreement, None, &extra_rows) {
        Ok(extras) => extras,
        Err(problems) => {
            assert!(!problems.is_empty() && problems.iter().all(|p| p.row.is_none_or(|i| i < extra_rows.len())));
            Vec::new()
        }
    };
    for extra in &extras {
        check_extra(&agreement, extra);
    }
    check_invoices(&agreement, &stays, &extras);
});

/// The wanted columns of each readable row, as text (a missing field is empty).
fn rows(text: &str, wanted: &'static [&'static str], delimiter: Option<Delimiter>) -> Vec<Vec<String>> {
    let Ok(table) = Table::read(text.as_bytes(), delimiter, Columns { known: wanted, required: wanted }) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut rows = table.rows();
    while let Some(row) = rows.next() {
        if out.len() >= MAX_ROWS {
            break;
        }
        if row.fault.is_some() {
            continue;
        }
        let field = |i| table.header().position(i).and_then(|p| row.fields.get(p));
        let text = |i| field(i).and_then(|f| std::str::from_utf8(f).ok()).unwrap_or_default().to_owned();
        out.push((0..wanted.len()).map(text).collect());
    }
    out
}

/// A stay row as `custodia invoice` accepts it, or `None`.
fn stay(agreement: &Agreement, row: &[String]) -> Option<Stay> {
    let (person_id, facility_id) = (&row[0], &row[1]);
    if person_id.is_empty() || agreement.facility(facility_id).is_none() {
        return None;
    }
    let security_class = SecurityClass::parse(&row[2])?;
    let admitted_on = Date::parse(&row[3]).ok()?;
    let released_on = if row[4].is_empty() { None } else { Some(Date::parse(&row[4]).ok()?) };
    if released_on.is_some_and(|r| r < admitted_on) {
        return None;
    }
    Some(Stay {
        person_id: person_id.clone(),
        facility_id: facility_id.clone(),
        security_class,
        admitted_on,
        released_on,
    })
}

fn check_extra(agreement: &Agreement, extra: &Extra) {
    assert!((1..=MAX_AMOUNT_MINOR).contains(&extra.amount_minor), "amount {} accepted", extra.amount_minor);
    assert!(agreement.in_term(extra.date), "extra on {} outside the term", extra.date);
    assert!(!extra.code.is_empty() && extra.code.len() <= MAX_EXTRA_CODE_BYTES, "code {:?}", extra.code);
    assert!(extra.description.len() <= MAX_EXTRA_DESCRIPTION_BYTES);
    assert_eq!(extra.code.trim(), extra.code, "code not trimmed");
    assert_eq!(extra.description.trim(), extra.description, "description not trimmed");
}

fn check_invoices(agreement: &Agreement, stays: &[Stay], extras: &[Extra]) {
    let Ok(all) = invoices_for_term(agreement, stays, extras) else { return };
    for (period, one_pass) in &all {
        let alone = invoice(agreement, stays, extras, period);
        assert_eq!(
            alone.as_ref(),
            Ok(one_pass),
            "{}-{:02}: the term's pass and the period alone differ",
            period.year,
            period.month
        );
        let sum = one_pass.lines.iter().try_fold(0i64, |acc, l| acc.checked_add(l.amount_minor));
        assert_eq!(sum, Some(one_pass.total_minor), "the total is not the sum of the lines");
        assert!(one_pass.person_days >= 0, "negative person-days");
        for line in &one_pass.lines {
            assert!(line.quantity != 0 || line.amount_minor != 0, "an all-zero line {line:?}");
        }
    }
}
