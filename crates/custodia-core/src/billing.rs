//! Invoices, docs/billing.md: day counting, population by a sweep over stay boundaries, the four fee
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
    pub(crate) fn days(&self) -> (i64, i64) {
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

/// Most extras rows in one list (a draft's extras, an extras file).
pub const MAX_EXTRAS: usize = 1_000;
/// Longest extras code, in bytes.
pub const MAX_EXTRA_CODE_BYTES: usize = 64;
/// Longest extras description, in bytes.
pub const MAX_EXTRA_DESCRIPTION_BYTES: usize = 500;
/// Largest money amount accepted as input (10^15 minor units).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000;

/// An extras row as given (a CSV row, a JSON object), before it is checked: the text of its
/// fields. One set of rules ([`check_extras`]) serves every edge (docs/billing.md#extras).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExtraFields {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The code (the line is `EXTRA:<code>`).
    pub code: String,
    /// Description.
    pub description: String,
    /// A positive integer of minor units, ASCII digits only.
    pub amount_minor: String,
}

/// What is wrong with one extras row (or, with `row` `None`, with the list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraProblem {
    /// The row, from 0; `None` for the list as a whole.
    pub row: Option<usize>,
    /// The field at fault (`date`, `code`, `description`, `amount_minor`; `extras` for the list).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// Checks extras rows against the agreement: at most [`MAX_EXTRAS`] rows; each date a real day in
/// the term and, when `period` (`(year, month)`) is given, in that month; each code 1 to
/// [`MAX_EXTRA_CODE_BYTES`] bytes once trimmed, without control characters; each description at
/// most [`MAX_EXTRA_DESCRIPTION_BYTES`] bytes; each amount an integer from 1 to
/// [`MAX_AMOUNT_MINOR`] written in ASCII digits. Codes and descriptions are trimmed. Every problem
/// is reported, in row order.
pub fn check_extras(
    agreement: &Agreement,
    period: Option<(i32, u32)>,
    rows: &[ExtraFields],
) -> Result<Vec<Extra>, Vec<ExtraProblem>> {
    if rows.len() > MAX_EXTRAS {
        let message = format!("{} rows: at most {MAX_EXTRAS}", rows.len());
        return Err(vec![ExtraProblem { row: None, field: "extras", message }]);
    }
    let mut extras = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let before = problems.len();
        let mut problem = |field: &'static str, message: String| {
            problems.push(ExtraProblem { row: Some(i), field, message });
        };
        let date = match Date::parse(row.date.trim()) {
            Err(e) => {
                problem("date", format!("{:?} {e}", row.date));
                None
            }
            Ok(d) if !agreement.in_term(d) => {
                problem("date", format!("{d} is outside the agreement's term"));
                None
            }
            Ok(d) => match period {
                Some((y, m)) if (d.year(), d.month()) != (y, m) => {
                    problem("date", format!("{d} is not in the period {y:04}-{m:02}"));
                    None
                }
                _ => Some(d),
            },
        };
        let code = row.code.trim();
        if code.is_empty() || code.len() > MAX_EXTRA_CODE_BYTES || code.chars().any(char::is_control) {
            problem("code", format!("must be 1 to {MAX_EXTRA_CODE_BYTES} bytes without control characters"));
        }
        let description = row.description.trim();
        if description.len() > MAX_EXTRA_DESCRIPTION_BYTES {
            problem("description", format!("must be at most {MAX_EXTRA_DESCRIPTION_BYTES} bytes"));
        }
        let text = row.amount_minor.trim();
        let amount = text
            .parse::<i64>()
            .ok()
            .filter(|a| text.bytes().all(|b| b.is_ascii_digit()) && (1..=MAX_AMOUNT_MINOR).contains(a));
        if amount.is_none() {
            problem(
                "amount_minor",
                format!("{:?} is not a positive integer of at most {MAX_AMOUNT_MINOR}", row.amount_minor),
            );
        }
        if let (true, Some(date), Some(amount_minor)) = (problems.len() == before, date, amount) {
            extras.push(Extra { date, code: code.to_owned(), description: description.to_owned(), amount_minor });
        }
    }
    if problems.is_empty() { Ok(extras) } else { Err(problems) }
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

    /// The first and last day of the period (clipped to the term).
    pub fn bounds(&self) -> (Date, Date) {
        let day = |n: i64| Date::from_days_since_epoch(n).unwrap_or(crate::date::EPOCH);
        (day(self.first), day(self.end - 1))
    }

    /// Days of the calendar month.
    pub fn month_days(&self) -> i64 {
        self.month_days
    }

    /// The covered days as day numbers `[first, end)`.
    pub(crate) fn day_numbers(&self) -> (i64, i64) {
        (self.first, self.end)
    }

    fn contains(&self, date: Date) -> bool {
        let d = i64::from(date.days_since_epoch());
        self.first <= d && d < self.end
    }
}

/// pop(d) for every day of the period, by a sweep over stay boundaries (never people × days).
fn population(stays: &[Stay], first: i64, end: i64) -> Vec<i64> {
    let len = usize::try_from(end - first).unwrap_or(0);
    let mut delta = vec![0i64; len + 1];
    for stay in stays {
        let (a, b) = stay.days();
        let (a, b) = (a.max(first), b.min(end));
        if a < b {
            add(&mut delta, usize::try_from(a - first).unwrap_or(usize::MAX), 1);
            add(&mut delta, usize::try_from(b - first).unwrap_or(usize::MAX), -1);
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

/// The people in custody on each of `days` (a stay covers its admission day up to, not including,
/// its release day), by the same sweep as billing: one pass over the stays and the span of days.
/// At most [`MAX_POPULATION_SPAN_DAYS`] from the earliest day to the latest; days beyond count 0.
pub fn population_on_days(stays: &[Stay], days: &[Date]) -> Vec<i64> {
    let day_number = |d: &Date| i64::from(d.days_since_epoch());
    let Some(first) = days.iter().map(day_number).min() else { return Vec::new() };
    let last = days.iter().map(day_number).max().unwrap_or(first);
    let end = last.min(first + MAX_POPULATION_SPAN_DAYS) + 1;
    let pop = population(stays, first, end);
    days.iter()
        .map(|d| usize::try_from(day_number(d) - first).ok().and_then(|i| pop.get(i)).copied().unwrap_or(0))
        .collect()
}

/// The longest span [`population_on_days`] counts over (100 years).
pub const MAX_POPULATION_SPAN_DAYS: i64 = 36_525;

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

/// The number of security classes.
pub(crate) const CLASSES: usize = SecurityClass::ALL.len();

/// What the lines of one period are computed from: the same facts whether one period is asked for
/// or every period of the term in one pass ([`invoices_for_term`]).
pub(crate) struct PeriodFacts<'a> {
    /// pop(d) for each covered day.
    pub(crate) pop: &'a [i64],
    /// Person-days per security class, in `SecurityClass::ALL` order.
    pub(crate) class_days: [i64; CLASSES],
    /// Coverage periods starting in the period (per-capita).
    pub(crate) capita_starts: i64,
    /// Coverage periods starting between the agreement's start and the period (per-capita).
    pub(crate) capita_starts_before: i64,
}

/// Computes the invoice of `period` (docs/billing.md).
pub fn invoice(
    agreement: &Agreement,
    stays: &[Stay],
    extras: &[Extra],
    period: &Period,
) -> Result<Invoice, BillingError> {
    let pop = population(stays, period.first, period.end);
    let mut class_days = [0i64; CLASSES];
    for stay in stays {
        let (a, b) = stay.days();
        if let Some(slot) = class_days.get_mut(class_index(stay.security_class)) {
            *slot += (b.min(period.end) - a.max(period.first)).max(0);
        }
    }
    let (capita_starts, capita_starts_before) = match &agreement.fees {
        Fees::PerCapita { coverage_days, .. } => {
            let c = i64::from(*coverage_days);
            let term_start = i64::from(agreement.starts.days_since_epoch());
            (capita_starts(stays, c, period.first, period.end), capita_starts(stays, c, term_start, period.first))
        }
        _ => (0, 0),
    };
    let facts = PeriodFacts { pop: &pop, class_days, capita_starts, capita_starts_before };
    let in_period: Vec<&Extra> = extras.iter().filter(|e| period.contains(e.date)).collect();
    lines_for(agreement, period, &facts, &in_period)
}

pub(crate) fn class_index(class: SecurityClass) -> usize {
    SecurityClass::ALL.iter().position(|c| *c == class).unwrap_or(0)
}

/// Every billing period of the agreement's term, in order.
pub fn term_periods(agreement: &Agreement) -> Vec<Period> {
    let mut out = Vec::new();
    let (mut y, mut m, _) = agreement.starts.ymd();
    let (end_y, end_m, _) = agreement.ends.ymd();
    while (y, m) <= (end_y, end_m) {
        if let Ok(period) = Period::new(agreement, y, m) {
            out.push(period);
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

/// Every monthly invoice of the term in one pass: one sweep over the stay boundaries for the whole
/// term, so the work is proportional to the stays plus the term's days, never to person-days. Each
/// invoice equals [`invoice`] for its period.
pub fn invoices_for_term(
    agreement: &Agreement,
    stays: &[Stay],
    extras: &[Extra],
) -> Result<Vec<(Period, Invoice)>, BillingError> {
    let periods = term_periods(agreement);
    let (Some(first_period), Some(last_period)) = (periods.first(), periods.last()) else {
        return Ok(Vec::new());
    };
    let (first, end) = (first_period.first, last_period.end);
    let days = usize::try_from(end - first).map_err(|_| BillingError::Overflow)?;
    // Which period each day of the term falls in.
    let mut period_of_day = Vec::with_capacity(days);
    for (i, p) in periods.iter().enumerate() {
        let index = u32::try_from(i).map_err(|_| BillingError::Overflow)?;
        period_of_day.extend(std::iter::repeat_n(index, usize::try_from(p.covered_days()).unwrap_or(0)));
    }
    let per_diem = matches!(agreement.fees, Fees::PerDiem { .. });
    let classes = SecurityClass::ALL.len();
    let mut delta = vec![0i64; days + 1];
    let mut class_delta = if per_diem { vec![0i64; (days + 1) * classes] } else { Vec::new() };
    let coverage = match &agreement.fees {
        Fees::PerCapita { coverage_days, .. } => Some(i64::from(*coverage_days)),
        _ => None,
    };
    let mut starts_in = vec![0i64; periods.len()];
    for stay in stays {
        let (a, b) = stay.days();
        let (from, to) = (a.max(first), b.min(end));
        if from >= to {
            continue;
        }
        let (i, j) = (usize::try_from(from - first).unwrap_or(0), usize::try_from(to - first).unwrap_or(0));
        add(&mut delta, i, 1);
        add(&mut delta, j, -1);
        if per_diem {
            let c = class_index(stay.security_class);
            add(&mut class_delta, i * classes + c, 1);
            add(&mut class_delta, j * classes + c, -1);
        }
        if let Some(c) = coverage {
            count_capita_starts(a, c, from, to, first, &periods, &period_of_day, &mut starts_in);
        }
    }
    let mut pop = Vec::with_capacity(days);
    let mut running = 0;
    for d in delta.iter().take(days) {
        running += d;
        pop.push(running);
    }
    // Person-days per class and period: prefix sums of the per-class population.
    let mut class_days = vec![[0i64; CLASSES]; periods.len()];
    if per_diem {
        let mut running = [0i64; CLASSES];
        for (day, chunk) in class_delta.chunks_exact(classes).take(days).enumerate() {
            let p = period_of_day.get(day).copied().unwrap_or(0) as usize;
            for ((r, d), total) in running.iter_mut().zip(chunk).zip(class_days.get_mut(p).into_iter().flatten()) {
                *r += d;
                *total += *r;
            }
        }
    }
    let mut extras_by_period: Vec<Vec<&Extra>> = vec![Vec::new(); periods.len()];
    for extra in extras {
        let d = i64::from(extra.date.days_since_epoch());
        if first <= d && d < end {
            let p = period_of_day.get(usize::try_from(d - first).unwrap_or(usize::MAX)).copied().unwrap_or(0) as usize;
            if let Some(bucket) = extras_by_period.get_mut(p) {
                bucket.push(extra);
            }
        }
    }
    let mut out = Vec::with_capacity(periods.len());
    let mut before = 0i64;
    for (i, period) in periods.iter().enumerate() {
        let lo = usize::try_from(period.first - first).unwrap_or(0);
        let hi = usize::try_from(period.end - first).unwrap_or(0);
        let starts = starts_in.get(i).copied().unwrap_or(0);
        let facts = PeriodFacts {
            pop: pop.get(lo..hi).unwrap_or_default(),
            class_days: class_days.get(i).copied().unwrap_or_default(),
            capita_starts: starts,
            capita_starts_before: before,
        };
        before += starts;
        let bucket = extras_by_period.get(i).map(Vec::as_slice).unwrap_or_default();
        out.push((*period, lines_for(agreement, period, &facts, bucket)?));
    }
    Ok(out)
}

fn add(slots: &mut [i64], at: usize, by: i64) {
    if let Some(slot) = slots.get_mut(at) {
        *slot += by;
    }
}

/// Adds the coverage periods of a stay admitted on day `a` that start within `[from, to)` to the
/// count of the period they start in: point by point when periods are at least four weeks long
/// (at most one or two a month), else period by period with the closed form.
#[allow(clippy::too_many_arguments)]
fn count_capita_starts(
    a: i64,
    c: i64,
    from: i64,
    to: i64,
    first: i64,
    periods: &[Period],
    period_of_day: &[u32],
    starts_in: &mut [i64],
) {
    let k_first = (from - a + c - 1).div_euclid(c);
    let k_last = (to - 1 - a).div_euclid(c);
    if k_last < k_first {
        return;
    }
    let at = |day: i64| period_of_day.get(usize::try_from(day - first).unwrap_or(usize::MAX)).copied();
    if c >= 28 {
        for k in k_first..=k_last {
            if let Some(p) = at(a + k * c) {
                add(starts_in, p as usize, 1);
            }
        }
        return;
    }
    let (Some(p_from), Some(p_to)) = (at(from), at(to - 1)) else { return };
    for p in p_from..=p_to {
        if let Some(period) = periods.get(p as usize) {
            let (lo, hi) = (period.first.max(from), period.end.min(to));
            let k_lo = (lo - a + c - 1).div_euclid(c);
            let k_hi = (hi - 1 - a).div_euclid(c);
            if k_hi >= k_lo {
                add(starts_in, p as usize, k_hi - k_lo + 1);
            }
        }
    }
}

/// The lines of one period from its facts (also the forecast's, docs/forecast.md).
pub(crate) fn lines_for(
    agreement: &Agreement,
    period: &Period,
    facts: &PeriodFacts<'_>,
    extras: &[&Extra],
) -> Result<Invoice, BillingError> {
    let pop = facts.pop;
    let person_days: i64 = pop.iter().sum();
    let mut lines = Vec::new();
    let mut warnings = Vec::new();
    match &agreement.fees {
        Fees::PerDiem { rate_minor, class_rates_minor, guaranteed_minimum_places } => {
            for (class, days) in SecurityClass::ALL.iter().zip(facts.class_days) {
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
            let count = facts.capita_starts;
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
                let before = mul(facts.capita_starts_before, *capita_minor)?;
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
    for extra in extras {
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
    fn the_population_on_a_day_counts_the_stays_covering_it() {
        let day = |t: &str| Date::parse(t).unwrap();
        let stay = |from: &str, to: Option<&str>| Stay {
            person_id: "p".into(),
            facility_id: "f".into(),
            security_class: SecurityClass::ALL[0],
            admitted_on: day(from),
            released_on: to.map(day),
        };
        let stays =
            [stay("2025-01-10", Some("2025-02-01")), stay("2025-01-20", None), stay("2025-03-01", Some("2025-03-01"))];
        let days = ["2025-02-01", "2025-01-09", "2025-01-10", "2025-01-31", "2025-03-01", "2025-03-02"].map(day);
        assert_eq!(population_on_days(&stays, &days), vec![1, 0, 1, 2, 2, 1]);
        assert_eq!(population_on_days(&stays, &[]), Vec::<i64>::new());
    }

    #[test]
    fn half_to_even() {
        assert_eq!(div_round_half_even(5, 2), 2);
        assert_eq!(div_round_half_even(7, 2), 4);
        assert_eq!(div_round_half_even(-5, 2), -2);
        assert_eq!(div_round_half_even(10, 4), 2);
        assert_eq!(div_round_half_even(11, 4), 3);
    }

    fn extra(date: &str, code: &str, amount: &str) -> ExtraFields {
        ExtraFields {
            date: date.into(),
            code: code.into(),
            description: " flight ".into(),
            amount_minor: amount.into(),
        }
    }

    /// The one set of extras rules of the API and both commands: the stricter of the rules each
    /// had before (sizes and the amount's bound from the API, digits only from the files).
    #[test]
    fn extras_follow_one_set_of_rules_and_every_problem_is_named() {
        let agreement = Agreement::from_toml(include_str!("../../../examples/agreements/us-sv-cecot.toml")).unwrap();
        let ok = check_extras(&agreement, Some((2025, 4)), &[extra("2025-04-02", " TRANSPORT ", "1250000")]).unwrap();
        assert_eq!(
            (ok[0].code.as_str(), ok[0].description.as_str(), ok[0].amount_minor),
            ("TRANSPORT", "flight", 1_250_000)
        );
        let long = "X".repeat(MAX_EXTRA_CODE_BYTES + 1);
        let rows = [
            extra("2025-05-02", "A", "1"),
            extra("2025-04-02", &long, "1"),
            extra("2025-04-02", "B", "125.50"),
            extra("2025-04-02", "C", "1000000000000001"),
            extra("2025-04-02", "D\u{7}", "-5"),
            extra("2020-01-01", "E", "1"),
        ];
        let problems = check_extras(&agreement, Some((2025, 4)), &rows).unwrap_err();
        let found: Vec<(Option<usize>, &str)> = problems.iter().map(|p| (p.row, p.field)).collect();
        assert_eq!(
            found,
            [
                (Some(0), "date"),
                (Some(1), "code"),
                (Some(2), "amount_minor"),
                (Some(3), "amount_minor"),
                (Some(4), "code"),
                (Some(4), "amount_minor"),
                (Some(5), "date"),
            ]
        );
        assert!(problems[0].message.contains("not in the period 2025-04"), "{problems:?}");
        assert!(problems[6].message.contains("outside the agreement's term"), "{problems:?}");
        // Without a period (the file tool's --all), any day of the term will do.
        assert!(check_extras(&agreement, None, &rows[..1]).is_ok());
        let many = vec![extra("2025-04-02", "A", "1"); MAX_EXTRAS + 1];
        let too_many = check_extras(&agreement, None, &many).unwrap_err();
        assert_eq!((too_many[0].row, too_many[0].field), (None, "extras"));
    }
}
