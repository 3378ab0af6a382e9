//! Invoices, SPEC §8: day counting, population by a sweep over stay boundaries, the four fee
//! models, extras, exact proration with one half-to-even rounding per line.

use crate::agreement::{Agreement, Fees};
use crate::date::{Date, days_in_month};
use crate::person::SecurityClass;

/// One stay in custody: the days `admitted_on ≤ d < released_on` (an open stay runs on; a stay
/// released the day it began covers that one day).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stay {
    /// The person.
    pub person_id: String,
    /// The facility.
    pub facility_id: String,
    /// Security class (for per-diem class rates).
    pub security_class: SecurityClass,
    /// First day.
    pub admitted_on: Date,
    /// Release day (not covered), `None` while open.
    pub released_on: Option<Date>,
}

impl Stay {
    /// The covered days as a half-open range of day numbers.
    fn days(&self) -> (i64, i64) {
        let start = i64::from(self.admitted_on.days_since_epoch());
        let end = match self.released_on {
            None => i64::MAX,
            Some(r) if r == self.admitted_on => start + 1,
            Some(r) => i64::from(r.days_since_epoch()),
        };
        (start, end)
    }
}

/// A billed extra (transport, medical, interpreters…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extra {
    /// When it occurred.
    pub date: Date,
    /// Its code (the line is `EXTRA:<code>`).
    pub code: String,
    /// Description.
    pub description: String,
    /// Amount, positive.
    pub amount_minor: i64,
}

/// One invoice line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// `PERSON_DAYS`, `MINIMUM_SHORTFALL`, `RESERVED_PLACES`, `EXTRA_PERSON_DAYS`, `CAPITA`,
    /// `ENVELOPE_LIMIT`, `INSTALMENT` or `EXTRA:<code>`.
    pub code: String,
    /// For people.
    pub description: String,
    /// Quantity.
    pub quantity: i64,
    /// Unit price.
    pub unit_price_minor: i64,
    /// Amount (rounded once, half to even).
    pub amount_minor: i64,
}

/// An invoice for one billing period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// Lines; a line whose quantity and amount are both 0 is omitted.
    pub lines: Vec<Line>,
    /// Sum of the lines.
    pub total_minor: i64,
    /// Σ pop(d) over the period's covered days.
    pub person_days: i64,
    /// Warnings (an envelope reached…).
    pub warnings: Vec<String>,
}

/// Why an invoice cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// The period is outside the agreement's term.
    #[error("period {0} is outside the agreement's term")]
    PeriodOutsideTerm(String),
    /// Arithmetic beyond 64-bit amounts.
    #[error("an amount does not fit in 64 bits")]
    Overflow,
}

/// `numerator / denominator` rounded half to even (denominator > 0).
pub fn div_round_half_even(numerator: i128, denominator: i128) -> i128 {
    let q = numerator.div_euclid(denominator);
    let r = numerator.rem_euclid(denominator);
    match (2 * r).cmp(&denominator) {
        std::cmp::Ordering::Less => q,
        std::cmp::Ordering::Greater => q + 1,
        std::cmp::Ordering::Equal => q + (q & 1),
    }
}

/// A billing period: a calendar month clipped to the term, as day numbers `[first, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// Year.
    pub year: i32,
    /// Month.
    pub month: u32,
    first: i64,
    end: i64,
    month_days: i64,
}

impl Period {
    /// The month `year-month` clipped to the agreement's term.
    pub fn new(agreement: &Agreement, year: i32, month: u32) -> Result<Self, BillingError> {
        let label = format!("{year:04}-{month:02}");
        let first_day = Date::from_ymd(year, month, 1).map_err(|_| BillingError::PeriodOutsideTerm(label.clone()))?;
        let month_days = i64::from(days_in_month(year, month));
        let month_first = i64::from(first_day.days_since_epoch());
        let first = month_first.max(i64::from(agreement.starts.days_since_epoch()));
        let end = (month_first + month_days).min(i64::from(agreement.ends.days_since_epoch()) + 1);
        if first >= end {
            return Err(BillingError::PeriodOutsideTerm(label));
        }
        Ok(Self { year, month, first, end, month_days })
    }

    /// Days of the period within the term.
    pub fn covered_days(&self) -> i64 {
        self.end - self.first
    }

    /// Days of the calendar month.
    pub fn month_days(&self) -> i64 {
        self.month_days
    }

    fn contains(&self, date: Date) -> bool {
        let d = i64::from(date.days_since_epoch());
        self.first <= d && d < self.end
    }
}

/// pop(d) for every day of the period, by a sweep over stay boundaries (never people × days).
fn population(stays: &[Stay], period: &Period) -> Vec<i64> {
    let len = usize::try_from(period.covered_days()).unwrap_or(0);
    let mut delta = vec![0i64; len + 1];
    for stay in stays {
        let (a, b) = stay.days();
        let (a, b) = (a.max(period.first), b.min(period.end));
        if a < b {
            if let Some(slot) = delta.get_mut(usize::try_from(a - period.first).unwrap_or(usize::MAX)) {
                *slot += 1;
            }
            if let Some(slot) = delta.get_mut(usize::try_from(b - period.first).unwrap_or(usize::MAX)) {
                *slot -= 1;
            }
        }
    }
    let mut pop = Vec::with_capacity(len);
    let mut running = 0;
    for d in delta.iter().take(len) {
        running += d;
        pop.push(running);
    }
    pop
}

/// Coverage periods of `coverage_days` starting within `[first, end)`, over every stay: a stay
/// starts one on `admitted_on` and another every `coverage_days` while it lasts.
fn capita_starts(stays: &[Stay], coverage_days: i64, first: i64, end: i64) -> i64 {
    let mut count = 0;
    for stay in stays {
        let (a, b) = stay.days();
        let from = first.max(a);
        let to = end.min(b);
        if from >= to {
            continue;
        }
        // Points a + k·c in [from, to).
        let k_first = (from - a + coverage_days - 1).div_euclid(coverage_days);
        let k_last = (to - 1 - a).div_euclid(coverage_days);
        if k_last >= k_first {
            count += k_last - k_first + 1;
        }
    }
    count
}

fn line(code: &str, description: String, quantity: i64, unit_price_minor: i64, amount_minor: i64) -> Line {
    Line { code: code.to_owned(), description, quantity, unit_price_minor, amount_minor }
}

fn mul(a: i64, b: i64) -> Result<i64, BillingError> {
    a.checked_mul(b).ok_or(BillingError::Overflow)
}

/// Computes the invoice of `period` (SPEC §8).
pub fn invoice(
    agreement: &Agreement,
    stays: &[Stay],
    extras: &[Extra],
    period: &Period,
) -> Result<Invoice, BillingError> {
    let pop = population(stays, period);
    let person_days: i64 = pop.iter().sum();
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    match &agreement.fees {
        Fees::PerDiem { rate_minor, class_rates_minor, guaranteed_minimum_places } => {
            for class in SecurityClass::ALL {
                let days: i64 = stays
                    .iter()
                    .filter(|s| s.security_class == *class)
                    .map(|s| {
                        let (a, b) = s.days();
                        (b.min(period.end) - a.max(period.first)).max(0)
                    })
                    .sum();
                if days > 0 {
                    let price = class_rates_minor.get(class).copied().unwrap_or(*rate_minor);
                    lines.push(line("PERSON_DAYS", format!("person-days, {class}"), days, price, mul(days, price)?));
                }
            }
            if let Some(minimum) = guaranteed_minimum_places {
                let shortfall: i64 = pop.iter().map(|p| (i64::from(*minimum) - p).max(0)).sum();
                lines.push(line(
                    "MINIMUM_SHORTFALL",
                    format!("guaranteed minimum of {minimum} places"),
                    shortfall,
                    *rate_minor,
                    mul(shortfall, *rate_minor)?,
                ));
            }
        }
        Fees::PerPlaceMonth { place_month_minor, reserved_places, extra_person_day_minor } => {
            let places = i64::from(*reserved_places);
            let amount = div_round_half_even(
                i128::from(places) * i128::from(*place_month_minor) * i128::from(period.covered_days()),
                i128::from(period.month_days()),
            );
            let amount = i64::try_from(amount).map_err(|_| BillingError::Overflow)?;
            lines.push(line(
                "RESERVED_PLACES",
                format!("{places} reserved places"),
                places,
                *place_month_minor,
                amount,
            ));
            let extra: i64 = pop.iter().map(|p| (p - places).max(0)).sum();
            lines.push(line(
                "EXTRA_PERSON_DAYS",
                "person-days beyond the reserved places".into(),
                extra,
                *extra_person_day_minor,
                mul(extra, *extra_person_day_minor)?,
            ));
        }
        Fees::PerCapita { capita_minor, coverage_days, envelope_minor } => {
            let c = i64::from(*coverage_days);
            let count = capita_starts(stays, c, period.first, period.end);
            let amount = mul(count, *capita_minor)?;
            lines.push(line(
                "CAPITA",
                format!("coverage periods of {coverage_days} days starting in the period"),
                count,
                *capita_minor,
                amount,
            ));
            if let Some(envelope) = envelope_minor {
                // Charges before this period, since the agreement's start.
                let term_start = i64::from(agreement.starts.days_since_epoch());
                let before = mul(capita_starts(stays, c, term_start, period.first), *capita_minor)?;
                let after = before.checked_add(amount).ok_or(BillingError::Overflow)?;
                if after > *envelope && amount > 0 {
                    let cut = (after - *envelope).min(amount);
                    lines.push(line("ENVELOPE_LIMIT", "envelope reached".into(), 1, -cut, -cut));
                    warnings.push(format!("the envelope of {envelope} minor units is reached: {cut} not charged"));
                }
            }
        }
        Fees::LumpSumYear { year_minor } => {
            let amount = div_round_half_even(
                i128::from(*year_minor) * i128::from(period.covered_days()),
                12 * i128::from(period.month_days()),
            );
            let amount = i64::try_from(amount).map_err(|_| BillingError::Overflow)?;
            lines.push(line("INSTALMENT", "monthly instalment".into(), 1, amount, amount));
        }
    }
    for extra in extras.iter().filter(|e| period.contains(e.date)) {
        lines.push(line(
            &format!("EXTRA:{}", extra.code),
            extra.description.clone(),
            1,
            extra.amount_minor,
            extra.amount_minor,
        ));
    }
    lines.retain(|l| !(l.quantity == 0 && l.amount_minor == 0));
    let total_minor =
        lines.iter().try_fold(0i64, |acc, l| acc.checked_add(l.amount_minor)).ok_or(BillingError::Overflow)?;
    Ok(Invoice { lines, total_minor, person_days, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_to_even() {
        assert_eq!(div_round_half_even(5, 2), 2);
        assert_eq!(div_round_half_even(7, 2), 4);
        assert_eq!(div_round_half_even(-5, 2), -2);
        assert_eq!(div_round_half_even(10, 4), 2);
        assert_eq!(div_round_half_even(11, 4), 3);
    }
}
