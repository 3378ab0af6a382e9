//! Issued invoices (docs/billing.md): the documents the register draws from custody records, the
//! `ADJUSTMENT` lines that carry a late correction of custody records onto the next invoice, and
//! the credit note that settles an agreement when it ends.
//!
//! An issued document never changes. What was billed for a period is what its invoice said plus
//! every adjustment since issued for it; the next document bills the difference between that and
//! the period recomputed from the custody records as they stand now. Extras are not custody
//! records: they are billed once, as issued, and never adjusted.

use std::collections::BTreeMap;

use crate::agreement::{Agreement, Fees};
use crate::billing::{
    BillingError, Extra, Line, Period, Stay, div_round_half_even, invoice, invoices_for_term, term_periods,
};
use crate::date::Date;
use crate::person::SecurityClass;

/// The code of a line correcting an earlier period.
pub const ADJUSTMENT: &str = "ADJUSTMENT";
/// The code of a credit note's line for per-capita coverage paid for days after the term.
pub const UNUSED_COVERAGE: &str = "UNUSED_COVERAGE";

/// Which document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentKind {
    /// The invoice of one billing period.
    Invoice,
    /// The credit note settling an agreement that has ended.
    CreditNote,
}

impl DocumentKind {
    /// `invoice` or `credit_note`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
        }
    }

    /// Parses [`DocumentKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Invoice, Self::CreditNote].into_iter().find(|k| k.as_str() == text)
    }
}

/// One line of an issued document: an invoice line, and for an `ADJUSTMENT` the period it corrects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocLine {
    /// The line.
    pub line: Line,
    /// The period an `ADJUSTMENT` corrects (`YYYY-MM`).
    pub refers_to: Option<String>,
}

/// An invoice or credit note as the register issues it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Which document.
    pub kind: DocumentKind,
    /// `<agreement>/<YYYY-MM>` for an invoice, `<agreement>/CN` for the credit note.
    pub number: String,
    /// The agreement.
    pub agreement_id: String,
    /// The agreement version it was computed under.
    pub agreement_version: i64,
    /// The billing period (`YYYY-MM`); for a credit note, the last period of the term.
    pub period: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The lines.
    pub lines: Vec<DocLine>,
    /// Sum of the lines.
    pub total_minor: i64,
    /// Σ pop(d) over the period's covered days (0 for a credit note).
    pub person_days: i64,
    /// Warnings (an envelope reached, a net debit on a credit note…).
    pub warnings: Vec<String>,
}

/// A change to a person's custody, from the register's case events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyEvent {
    /// The case.
    pub case_id: i64,
    /// The person (sending state's id).
    pub person_id: String,
    /// The facility.
    pub facility_id: String,
    /// The person's security class.
    pub security_class: SecurityClass,
    /// Admitted or left.
    pub change: CustodyChange,
    /// The civil date it happened.
    pub on: Date,
}

/// Admission to, or departure from, the receiving state's custody.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustodyChange {
    /// Admitted (the intake date).
    Admitted,
    /// Returned, released or died: the stay ends that day.
    Left,
}

/// The stays the events describe, one per admitted case, in case order. A departure recorded
/// before the admission date ends the stay on the admission date (a same-day stay).
pub fn stays_from_events(events: &[CustodyEvent]) -> Vec<Stay> {
    let mut stays: BTreeMap<i64, Stay> = BTreeMap::new();
    for event in events {
        match event.change {
            CustodyChange::Admitted => {
                stays.insert(
                    event.case_id,
                    Stay {
                        person_id: event.person_id.clone(),
                        facility_id: event.facility_id.clone(),
                        security_class: event.security_class,
                        admitted_on: event.on,
                        released_on: None,
                    },
                );
            }
            CustodyChange::Left => {
                if let Some(stay) = stays.get_mut(&event.case_id) {
                    stay.released_on = Some(event.on.max(stay.admitted_on));
                }
            }
        }
    }
    stays.into_values().collect()
}

/// Why a billing period label was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not of the form `YYYY-MM` with ASCII digits.
    #[error("must be a month written YYYY-MM")]
    Format,
    /// Well formed, but no such month (00 or above 12).
    #[error("no such month: {0}")]
    NoSuchMonth(u32),
    /// Well formed, but year 0000: the calendar starts at year 1.
    #[error("no such year: 0000 (years start at 0001)")]
    NoSuchYear,
}

/// Parses a billing period label `YYYY-MM`, telling a malformed label from a month that does not
/// exist.
pub fn parse_period(text: &str) -> Result<(i32, u32), PeriodError> {
    let (y, m) = text.split_once('-').ok_or(PeriodError::Format)?;
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(PeriodError::Format);
    }
    let year: i32 = y.parse().map_err(|_| PeriodError::Format)?;
    let month: u32 = m.parse().map_err(|_| PeriodError::Format)?;
    if !(1..=12).contains(&month) {
        return Err(PeriodError::NoSuchMonth(month));
    }
    if year == 0 {
        return Err(PeriodError::NoSuchYear);
    }
    Ok((year, month))
}

/// Parses a billing period label `YYYY-MM` ([`parse_period`] without the reason).
pub fn parse_month(text: &str) -> Option<(i32, u32)> {
    parse_period(text).ok()
}

/// The label `YYYY-MM` of a period.
pub fn label(period: &Period) -> String {
    format!("{:04}-{:02}", period.year, period.month)
}

/// What was billed for an issued period so far.
#[derive(Clone, Debug)]
pub struct Billed<'a> {
    /// The period (`YYYY-MM`).
    pub period: String,
    /// The agreement version its invoice was computed under.
    pub agreement: &'a Agreement,
    /// Custody amount billed for it: its invoice's custody lines plus every adjustment since
    /// issued for it.
    pub billed_minor: i64,
}

/// The custody part of lines: everything but extras, adjustments and credited coverage.
pub fn custody_minor<'a>(lines: impl IntoIterator<Item = &'a Line>) -> i64 {
    lines
        .into_iter()
        .filter(|l| !l.code.starts_with("EXTRA:") && l.code != ADJUSTMENT && l.code != UNUSED_COVERAGE)
        .map(|l| l.amount_minor)
        .sum()
}

/// The custody amount of every period of `agreement`'s term recomputed from `stays`, in one pass.
fn custody_by_period(agreement: &Agreement, stays: &[Stay]) -> Result<BTreeMap<String, i64>, BillingError> {
    Ok(invoices_for_term(agreement, stays, &[])?
        .iter()
        .map(|(period, inv)| (label(period), custody_minor(&inv.lines)))
        .collect())
}

fn adjustment(period: &str, amount: i64) -> DocLine {
    let direction = if amount > 0 { "debit" } else { "credit" };
    DocLine {
        line: Line {
            code: ADJUSTMENT.to_owned(),
            description: format!("{direction}: custody records for {period} corrected after its invoice was issued"),
            quantity: 1,
            unit_price_minor: amount,
            amount_minor: amount,
        },
        refers_to: Some(period.to_owned()),
    }
}

/// `ADJUSTMENT` lines for every issued period whose recomputed custody amount (under the version
/// it was issued under, or `under` when given; 0 for a period outside that version's term) differs
/// from what was billed for it. Each agreement version's periods are recomputed once, in one pass.
fn adjustments(stays: &[Stay], billed: &[Billed<'_>], under: Option<&Agreement>) -> Result<Vec<DocLine>, BillingError> {
    let mut recomputed: Vec<(&Agreement, BTreeMap<String, i64>)> = Vec::new();
    let mut out = Vec::new();
    for b in billed {
        let agreement = under.unwrap_or(b.agreement);
        let at = match recomputed.iter().position(|(a, _)| std::ptr::eq(*a, agreement)) {
            Some(at) => at,
            None => {
                recomputed.push((agreement, custody_by_period(agreement, stays)?));
                recomputed.len() - 1
            }
        };
        let now = recomputed.get(at).and_then(|(_, by)| by.get(&b.period)).copied().unwrap_or(0);
        let diff = now.checked_sub(b.billed_minor).ok_or(BillingError::Overflow)?;
        if diff != 0 {
            out.push(adjustment(&b.period, diff));
        }
    }
    Ok(out)
}

fn total(lines: &[DocLine]) -> Result<i64, BillingError> {
    lines.iter().try_fold(0i64, |acc, l| acc.checked_add(l.line.amount_minor)).ok_or(BillingError::Overflow)
}

/// What an invoice document is drawn from.
#[derive(Clone, Copy, Debug)]
pub struct InvoiceRequest<'a> {
    /// The agreement (the version in force).
    pub agreement: &'a Agreement,
    /// Its version number in the register.
    pub version: i64,
    /// The period (`YYYY-MM`).
    pub period: &'a str,
    /// Stays from the custody records as they stand.
    pub stays: &'a [Stay],
    /// Extras of the period.
    pub extras: &'a [Extra],
    /// Every period already issued.
    pub billed: &'a [Billed<'a>],
}

/// The invoice of a period: its lines (docs/billing.md) and an `ADJUSTMENT` line for each earlier period
/// whose custody records changed since it was billed.
pub fn invoice_document(request: &InvoiceRequest<'_>) -> Result<Document, BillingError> {
    let agreement = request.agreement;
    let (y, m) =
        parse_month(request.period).ok_or_else(|| BillingError::PeriodOutsideTerm(request.period.to_owned()))?;
    let period = Period::new(agreement, y, m)?;
    let inv = invoice(agreement, request.stays, request.extras, &period)?;
    let mut lines: Vec<DocLine> = inv.lines.into_iter().map(|line| DocLine { line, refers_to: None }).collect();
    let earlier: Vec<Billed<'_>> = request.billed.iter().filter(|b| b.period != request.period).cloned().collect();
    lines.extend(adjustments(request.stays, &earlier, None)?);
    Ok(Document {
        kind: DocumentKind::Invoice,
        number: format!("{}/{}", agreement.id, request.period),
        agreement_id: agreement.id.as_str().to_owned(),
        agreement_version: request.version,
        period: request.period.to_owned(),
        currency: agreement.currency.as_str().to_owned(),
        total_minor: total(&lines)?,
        lines,
        person_days: inv.person_days,
        warnings: inv.warnings,
    })
}

/// The credit note settling an agreement that has ended: every issued period recomputed under the
/// agreement as it stands (a term shortened by an amendment leaves later periods at 0) against what
/// was billed for it, and for per-capita fees the coverage paid for days after the term's end,
/// prorated (capita × days / coverage_days, half to even) and never more than the coverage charged.
pub fn credit_note_document(
    agreement: &Agreement,
    version: i64,
    stays: &[Stay],
    billed: &[Billed<'_>],
) -> Result<Document, BillingError> {
    let mut lines = adjustments(stays, billed, Some(agreement))?;
    let mut warnings = Vec::new();
    if let Fees::PerCapita { capita_minor, coverage_days, .. } = &agreement.fees {
        let c = i64::from(*coverage_days);
        let start = i64::from(agreement.starts.days_since_epoch());
        let end = i64::from(agreement.ends.days_since_epoch()) + 1;
        let mut unused_days = 0i64;
        for stay in stays {
            let a = i64::from(stay.admitted_on.days_since_epoch());
            let b = match stay.released_on {
                None => i64::MAX,
                Some(r) if r == stay.admitted_on => a + 1,
                Some(r) => i64::from(r.days_since_epoch()),
            };
            let (from, to) = (a.max(start), b.min(end));
            if from >= to {
                continue;
            }
            // The last coverage period starting within the stay and the term.
            let k_last = (to - 1 - a).div_euclid(c);
            let last_start = a + k_last * c;
            if last_start >= from {
                unused_days += (last_start + c - end).max(0);
            }
        }
        let charged: i64 = invoices_for_term(agreement, stays, &[])?
            .iter()
            .flat_map(|(_, inv)| inv.lines.iter())
            .filter(|l| l.code == "CAPITA" || l.code == "ENVELOPE_LIMIT")
            .map(|l| l.amount_minor)
            .sum();
        let prorated =
            i64::try_from(div_round_half_even(i128::from(*capita_minor) * i128::from(unused_days), i128::from(c)))
                .map_err(|_| BillingError::Overflow)?;
        let credit = prorated.min(charged.max(0));
        if credit > 0 {
            lines.push(DocLine {
                line: Line {
                    code: UNUSED_COVERAGE.to_owned(),
                    description: format!(
                        "coverage days after the term's end ({}), capita × days / {coverage_days}",
                        agreement.ends
                    ),
                    quantity: unused_days,
                    unit_price_minor: *capita_minor,
                    amount_minor: -credit,
                },
                refers_to: None,
            });
        }
    }
    let total_minor = total(&lines)?;
    if total_minor > 0 {
        warnings.push(format!(
            "net debit: corrections since the last invoices exceed the credits by {total_minor} minor units"
        ));
    }
    let last = term_periods(agreement).last().map(label).unwrap_or_default();
    Ok(Document {
        kind: DocumentKind::CreditNote,
        number: format!("{}/CN", agreement.id),
        agreement_id: agreement.id.as_str().to_owned(),
        agreement_version: version,
        period: last,
        currency: agreement.currency.as_str().to_owned(),
        lines,
        total_minor,
        person_days: 0,
        warnings,
    })
}

pub use crate::sustainability::{
    Journey, JourneyKind, Sustainability, SustainabilityInput, SustainabilityRow, US_BOP_FY2023_DAY_MINOR,
    sustainability,
};

/// Whether the invoice of `period` (`YYYY-MM`) may be drawn (docs/billing.md): the period is in
/// the term, over on `on` (when given), not issued yet, and every earlier period of the term is
/// issued — invoices are issued in order, so an adjustment always lands on the next one. `issued`
/// holds the labels of the periods whose invoice is issued. The error is the refusal, in words.
pub fn invoice_due(agreement: &Agreement, period: &str, on: Option<Date>, issued: &[String]) -> Result<(), String> {
    let id = &agreement.id;
    let (y, m) = parse_period(period).map_err(|e| format!("period {period:?}: {e}"))?;
    let this = Period::new(agreement, y, m).map_err(|e| e.to_string())?;
    if let Some(on) = on {
        let last = Date::from_ymd(y, m, crate::date::days_in_month(y, m)).map_err(|e| e.to_string())?;
        if on <= last.min(agreement.ends) {
            let from = last.min(agreement.ends).add_days(1).map(|d| d.to_string()).unwrap_or_default();
            return Err(format!("period {period} is not over on {on}: it can be invoiced from {from}"));
        }
    }
    if issued.iter().any(|p| p == period) {
        return Err(format!("{id}/{period} is already issued"));
    }
    for earlier in term_periods(agreement).iter().take_while(|p| **p != this) {
        let label = label(earlier);
        if !issued.contains(&label) {
            return Err(format!("issue {id}/{label} first: invoices are issued in order"));
        }
    }
    Ok(())
}

/// Whether the credit note settling an agreement may be drawn (docs/billing.md): the agreement has
/// ended by `on` (when given), no credit note is issued, and every period of the term is issued
/// (the credit note comes last). `issued` holds the labels of the issued invoice periods.
pub fn credit_note_due(
    agreement: &Agreement,
    on: Option<Date>,
    credit_note_issued: bool,
    issued: &[String],
) -> Result<(), String> {
    let id = &agreement.id;
    if let Some(on) = on
        && on <= agreement.ends
    {
        return Err(format!(
            "agreement {id} runs until {}: a credit note settles it once it has ended",
            agreement.ends
        ));
    }
    if credit_note_issued {
        return Err(format!("{id}/CN is already issued"));
    }
    for p in term_periods(agreement) {
        let label = label(&p);
        if !issued.contains(&label) {
            return Err(format!("issue {id}/{label} first: the credit note comes last"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGREEMENT: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");

    #[test]
    fn invoices_are_due_in_order_once_their_period_is_over() {
        let a = Agreement::from_toml(AGREEMENT).unwrap();
        assert_eq!(invoice_due(&a, "2025-03", None, &[]), Ok(()));
        assert_eq!(
            invoice_due(&a, "2025-04", None, &[]),
            Err("issue us-sv-cecot/2025-03 first: invoices are issued in order".into())
        );
        let issued = vec!["2025-03".to_owned()];
        assert_eq!(invoice_due(&a, "2025-04", None, &issued), Ok(()));
        assert_eq!(invoice_due(&a, "2025-03", None, &issued), Err("us-sv-cecot/2025-03 is already issued".into()));
        let early = invoice_due(&a, "2025-04", Some(d("2025-04-30")), &issued).unwrap_err();
        assert!(early.contains("can be invoiced from 2025-05-01"), "{early}");
        assert!(invoice_due(&a, "2024-01", None, &[]).is_err(), "outside the term");
    }

    #[test]
    fn the_credit_note_comes_last_after_the_end() {
        let a = Agreement::from_toml(AGREEMENT).unwrap();
        let early = credit_note_due(&a, Some(d("2026-03-14")), false, &[]).unwrap_err();
        assert!(early.contains("runs until 2026-03-14"), "{early}");
        let missing = credit_note_due(&a, None, false, &[]).unwrap_err();
        assert_eq!(missing, "issue us-sv-cecot/2025-03 first: the credit note comes last");
        let all: Vec<String> = term_periods(&a).iter().map(label).collect();
        assert_eq!(credit_note_due(&a, None, false, &all), Ok(()));
        assert_eq!(credit_note_due(&a, None, true, &all), Err("us-sv-cecot/CN is already issued".into()));
    }

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn event(case_id: i64, change: CustodyChange, on: &str) -> CustodyEvent {
        CustodyEvent {
            case_id,
            person_id: format!("P{case_id}"),
            facility_id: "f".into(),
            security_class: SecurityClass::Medium,
            change,
            on: d(on),
        }
    }

    #[test]
    fn stays_follow_admissions_and_departures() {
        let stays = stays_from_events(&[
            event(2, CustodyChange::Admitted, "2025-04-02"),
            event(1, CustodyChange::Admitted, "2025-04-01"),
            event(1, CustodyChange::Left, "2025-05-10"),
            event(3, CustodyChange::Left, "2025-05-10"),
            event(4, CustodyChange::Admitted, "2025-06-10"),
            event(4, CustodyChange::Left, "2025-06-01"),
        ]);
        assert_eq!(stays.len(), 3);
        assert_eq!((stays[0].person_id.as_str(), stays[0].released_on), ("P1", Some(d("2025-05-10"))));
        assert_eq!((stays[1].person_id.as_str(), stays[1].released_on), ("P2", None));
        assert_eq!(stays[2].released_on, Some(d("2025-06-10")));
    }

    #[test]
    fn periods_parse_strictly() {
        assert_eq!(parse_month("2025-04"), Some((2025, 4)));
        for bad in ["2025-4", "2025-13", "2025-00", "25-04", "2025/04", "2025-04-01", "abcd-ef", ""] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }

    /// Issue 11: `--period 2025-13` said "must be YYYY-MM"; a well-formed label of a month that
    /// does not exist says so.
    #[test]
    fn impossible_periods_say_no_such_month() {
        let message = |text: &str| parse_period(text).unwrap_err().to_string();
        assert_eq!(message("2025-13"), "no such month: 13");
        assert_eq!(message("2025-00"), "no such month: 0");
        assert_eq!(message("0000-05"), "no such year: 0000 (years start at 0001)");
        assert_eq!(message("2025-4"), "must be a month written YYYY-MM");
        assert_eq!(parse_period("2025-12"), Ok((2025, 12)));
    }
}
