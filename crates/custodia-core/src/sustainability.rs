//! The sustainability report (docs/billing.md#sustainability): what the sending state pays, in two
//! views, against the receiving state's prison budget and the sending state's cost of holding the
//! same people at home, with the journeys of the custody records priced by the agreement's extras
//! tariff.
//!
//! - The cash view counts each issued document's lines in the month the document was issued for:
//!   what was invoiced when.
//! - The accrual view spreads each charge over the days it covers: a per-capita period's charges
//!   over the coverage periods that start in it, an adjustment in the period it corrects, a credit
//!   note's refund of coverage in the term's last month; everything else stays in its own month.
//!   Amounts are apportioned exactly ([`apportion`]): per charge, the parts sum to the charge, so
//!   over the term the two views sum to the same amount.

use std::collections::BTreeMap;

use crate::agreement::{Agreement, Fees};
use crate::billing::{BillingError, Period, Stay, div_round_half_even, term_periods};
use crate::date::Date;
use crate::ledger::{ADJUSTMENT, Document, DocumentKind, UNUSED_COVERAGE, label};

/// The US Bureau of Prisons' average cost of incarceration, FY2023: $120.80 a day (docs/billing.md), the
/// default cost of holding a person at home when the sending state is the US and fees are in USD.
pub const US_BOP_FY2023_DAY_MINOR: i64 = 12_080;

/// Which way a journey goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JourneyKind {
    /// To the receiving state: a case's `depart` (scheduled → in transit).
    Departure,
    /// Back to the sending state: a case's `return` or `turn_back`.
    Return,
}

/// One journey from the custody records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Journey {
    /// The case.
    pub case_id: i64,
    /// Which way.
    pub kind: JourneyKind,
    /// The facility's day it happened on.
    pub on: Date,
}

/// What the report is built from.
#[derive(Clone, Copy, Debug)]
pub struct SustainabilityInput<'a> {
    /// The agreement as it stands (its term, fee model and extras tariff).
    pub agreement: &'a Agreement,
    /// The issued documents (invoices and the credit note).
    pub issued: &'a [Document],
    /// The stays of the custody records as they stand (per-capita coverage periods).
    pub stays: &'a [Stay],
    /// The journeys of the custody records.
    pub journeys: &'a [Journey],
    /// The sending state's cost of one person-day at home.
    pub home_cost_day_minor: i64,
    /// The receiving state's annual prison budget, if given.
    pub budget_year_minor: Option<i64>,
}

/// One row of the sustainability report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SustainabilityRow {
    /// `YYYY-MM`, or `year N` for an agreement year.
    pub label: String,
    /// First day covered.
    pub from: Date,
    /// Last day covered.
    pub to: Date,
    /// Cash view: the issued documents' lines counted in the month they were issued for
    /// (invoices with their adjustments and extras, the credit note in the term's last month).
    pub invoiced_minor: i64,
    /// Accrual view: the issued documents' lines spread over the days they cover.
    pub accrued_minor: i64,
    /// Person-days billed by the invoices.
    pub person_days: i64,
    /// What holding the same person-days at home would have cost the sending state.
    pub home_cost_minor: i64,
    /// Departures to the receiving state in the custody records.
    pub departures: i64,
    /// Journeys back to the sending state in the custody records.
    pub returns: i64,
    /// The journeys priced by the agreement's extras tariff; `None` when it has none.
    pub transport_minor: Option<i64>,
    /// Cash view: `home_cost_minor − invoiced_minor − transport_minor`; positive when the
    /// agreement costs the sending state less.
    pub sending_state_saving_minor: i64,
    /// Accrual view: `home_cost_minor − accrued_minor − transport_minor`.
    pub accrual_saving_minor: i64,
    /// Issued documents counted in the cash view (0: not invoiced yet).
    pub documents: usize,
    /// Cash view: invoiced revenue as a share of the receiving state's prison budget for the same
    /// time (a twelfth of the annual budget for a month), in basis points, half to even.
    pub budget_share_bp: Option<i64>,
    /// Accrual view: the same share for the accrued revenue.
    pub accrual_budget_share_bp: Option<i64>,
}

/// The sustainability report, per month and per agreement year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sustainability {
    /// One row per period of the term.
    pub months: Vec<SustainabilityRow>,
    /// One row per agreement year (from the start date; the last may be short).
    pub years: Vec<SustainabilityRow>,
    /// Whether the agreement has an extras tariff pricing the journeys.
    pub transport_priced: bool,
    /// What the reader must know: transport possibly counted twice, journeys outside the term.
    pub warnings: Vec<String>,
    /// Months (`YYYY-MM`) whose issued invoices carry `EXTRA:TRANSPORT…` lines while the extras
    /// tariff also prices the journeys (empty without a tariff): the first warning's facts.
    pub transport_extras_months: Vec<String>,
    /// Journeys outside the agreement's term, not counted: the second warning's fact.
    pub journeys_outside_term: usize,
}

/// Splits `amount` into parts proportional to `weights` (each ≥ 0, not all 0), exactly: each part
/// is `amount × weight / Σ weights` rounded down, and the units left over go one each to the parts
/// with the largest remainders, the earlier part first on a tie (largest remainder). The parts sum
/// to `amount`; a part of weight 0 is 0. With every weight 0 the whole amount goes to the first part.
pub fn apportion(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if total == 0 {
        let mut parts = vec![0; weights.len()];
        if let Some(first) = parts.first_mut() {
            *first = amount;
        }
        return parts;
    }
    let mut floors = Vec::with_capacity(weights.len());
    let mut by_remainder = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let x = i128::from(amount) * i128::from((*w).max(0));
        floors.push(x.div_euclid(total));
        by_remainder.push((x.rem_euclid(total), i));
    }
    let mut left = i128::from(amount) - floors.iter().sum::<i128>();
    // Largest remainder first; the earlier part first on a tie.
    by_remainder.sort_by(|(ra, a), (rb, b)| rb.cmp(ra).then(a.cmp(b)));
    for (remainder, i) in by_remainder {
        if left <= 0 || remainder == 0 {
            break;
        }
        if let Some(part) = floors.get_mut(i) {
            *part += 1;
            left -= 1;
        }
    }
    // Each part lies between 0 and `amount` (same sign), so it fits.
    floors.into_iter().map(|f| i64::try_from(f).unwrap_or_default()).collect()
}

/// The period index of day number `day` (within the term).
fn period_at(bounds: &[(i64, i64)], day: i64) -> Option<usize> {
    let i = bounds.partition_point(|(first, _)| *first <= day).checked_sub(1)?;
    bounds.get(i).filter(|(_, end)| day < *end).map(|_| i)
}

fn is_transport_extra(code: &str) -> bool {
    code.strip_prefix("EXTRA:").is_some_and(|c| c.to_ascii_lowercase().starts_with("transport"))
}

/// How per-capita charges spread over the periods: the periods' day numbers, the term's first day
/// and end, the last period's index, and the length of a coverage period.
struct Spread<'a> {
    bounds: &'a [(i64, i64)],
    term: (i64, i64),
    last: usize,
    coverage_days: i64,
}

impl Spread<'_> {
    /// Adds to `weights[p][q]` the days in period `q` of each coverage period of the stay
    /// `[a, b)` (day numbers) that starts within the term in a period `p` whose pool is not zero.
    /// Coverage periods lying wholly inside the period they start in are counted together, per
    /// period (their number by division): a stay costs a few steps per period, not one per
    /// coverage period (36,500 for ten years of one-day coverage). At most one coverage period
    /// per period crosses its end; those are walked one by one.
    fn add_stay(&self, weights: &mut [BTreeMap<usize, i64>], pools: &[i128], (a, b): (i64, i64)) {
        let (c, (term_first, term_end)) = (self.coverage_days, self.term);
        let (from, to) = (a.max(term_first), b.min(term_end));
        if from >= to || c <= 0 {
            return;
        }
        let k_first = (from - a + c - 1).div_euclid(c);
        let k_last = (to - 1 - a).div_euclid(c);
        let first_start = a + k_first * c;
        let start_p = self.bounds.partition_point(|(_, end)| *end <= first_start);
        for (p, &(first, end)) in self.bounds.iter().enumerate().skip(start_p) {
            if first > a + k_last * c {
                break;
            }
            let k_lo = k_first.max((first - a + c - 1).div_euclid(c));
            let k_hi = k_last.min((end - 1 - a).div_euclid(c));
            if k_lo > k_hi || pools.get(p).is_none_or(|x| *x == 0) {
                continue;
            }
            let Some(row) = weights.get_mut(p) else { continue };
            // Wholly inside period p: s + c <= end.
            let k_whole = k_hi.min((end - a - c).div_euclid(c));
            if k_whole >= k_lo {
                *row.entry(p).or_default() += (k_whole - k_lo + 1) * c;
            }
            for k in k_lo.max(k_whole + 1)..=k_hi {
                self.add_crossing(row, p, a + k * c);
            }
        }
    }

    /// The days in each period from `p` on of the coverage period starting on day `s`, and those
    /// after the term in the last period.
    fn add_crossing(&self, row: &mut BTreeMap<usize, i64>, p: usize, s: i64) {
        let e = s + self.coverage_days;
        for (q, (first, end)) in self.bounds.iter().enumerate().skip(p) {
            if *first >= e {
                break;
            }
            let days = (*end).min(e) - (*first).max(s);
            if days > 0 {
                *row.entry(q).or_default() += days;
            }
        }
        if e > self.term.1 {
            *row.entry(self.last).or_default() += e - self.term.1;
        }
    }
}

/// The accrual view per period of the term (docs/billing.md#sustainability).
fn accrual(
    agreement: &Agreement,
    periods: &[Period],
    issued: &[Document],
    stays: &[Stay],
) -> Result<Vec<i64>, BillingError> {
    let n = periods.len();
    let index: BTreeMap<String, usize> = periods.iter().enumerate().map(|(i, p)| (label(p), i)).collect();
    let last = n.saturating_sub(1);
    let coverage = match &agreement.fees {
        Fees::PerCapita { coverage_days, .. } => Some(i64::from(*coverage_days)),
        _ => None,
    };
    let mut direct = vec![0i128; n];
    // Per-capita custody charges (CAPITA, ENVELOPE_LIMIT and the adjustments correcting them) by
    // the period they were charged for, spread below over the coverage periods starting in it.
    let mut pools = vec![0i128; n];
    fn put(slots: &mut [i128], at: usize, amount: i128) {
        if let Some(slot) = slots.get_mut(at) {
            *slot += amount;
        }
    }
    for doc in issued {
        let Some(&own) = index.get(&doc.period) else { continue };
        let mut rest = i128::from(doc.total_minor);
        for l in &doc.lines {
            let amount = i128::from(l.line.amount_minor);
            rest -= amount;
            let code = l.line.code.as_str();
            let custody_charge = code == "CAPITA" || code == "ENVELOPE_LIMIT";
            if code == UNUSED_COVERAGE {
                put(&mut direct, last, amount);
            } else if coverage.is_some() && custody_charge && doc.kind == DocumentKind::Invoice {
                put(&mut pools, own, amount);
            } else if code == ADJUSTMENT {
                match l.refers_to.as_deref().and_then(|r| index.get(r)).copied() {
                    Some(t) if coverage.is_some() => put(&mut pools, t, amount),
                    Some(t) => put(&mut direct, t, amount),
                    None => put(&mut direct, own, amount),
                }
            } else {
                put(&mut direct, own, amount);
            }
        }
        // A total that is not the sum of the lines (never drawn so) stays in the document's month.
        put(&mut direct, own, rest);
    }
    if let Some(c) = coverage
        && pools.iter().any(|p| *p != 0)
    {
        let bounds: Vec<(i64, i64)> = periods.iter().map(Period::day_numbers).collect();
        let (term_first, term_end) = (bounds.first().map_or(0, |b| b.0), bounds.last().map_or(0, |b| b.1));
        // weights[p][q]: days in period q of the coverage periods starting in period p; days after
        // the term count in its last period, where the credit note refunds them.
        let mut weights: Vec<BTreeMap<usize, i64>> = vec![BTreeMap::new(); n];
        let spread = Spread { bounds: &bounds, term: (term_first, term_end), last, coverage_days: c };
        for stay in stays {
            spread.add_stay(&mut weights, &pools, stay.days());
        }
        for (p, (pool, row)) in pools.iter().zip(&weights).enumerate() {
            if *pool == 0 {
                continue;
            }
            let amount = i64::try_from(*pool).map_err(|_| BillingError::Overflow)?;
            if row.is_empty() {
                // No coverage period starts there in the records as they stand: the period's own month.
                put(&mut direct, p, *pool);
                continue;
            }
            let (months, w): (Vec<usize>, Vec<i64>) = row.iter().map(|(q, w)| (*q, *w)).unzip();
            for (q, part) in months.into_iter().zip(apportion(amount, &w)) {
                put(&mut direct, q, i128::from(part));
            }
        }
    }
    direct.into_iter().map(|x| i64::try_from(x).map_err(|_| BillingError::Overflow)).collect()
}

/// Builds the sustainability report (docs/billing.md#sustainability).
pub fn sustainability(input: &SustainabilityInput<'_>) -> Result<Sustainability, BillingError> {
    let SustainabilityInput { agreement, issued, stays, journeys, home_cost_day_minor, budget_year_minor } = *input;
    let share = |revenue: i64, budget: i128| -> Option<i64> {
        (budget > 0)
            .then(|| i64::try_from(div_round_half_even(i128::from(revenue) * 10_000, budget)).unwrap_or(i64::MAX))
    };
    let overflow = || BillingError::Overflow;
    let periods = term_periods(agreement);
    let accrued = accrual(agreement, &periods, issued, stays)?;
    let bounds: Vec<(i64, i64)> = periods.iter().map(Period::day_numbers).collect();
    let mut trips = vec![(0i64, 0i64); periods.len()];
    let mut outside = 0usize;
    for j in journeys {
        match period_at(&bounds, i64::from(j.on.days_since_epoch())).and_then(|p| trips.get_mut(p)) {
            Some((dep, ret)) => match j.kind {
                JourneyKind::Departure => *dep += 1,
                JourneyKind::Return => *ret += 1,
            },
            None => outside += 1,
        }
    }
    let tariff = agreement.extras_tariff.as_ref();
    let price = |dep: i64, ret: i64| -> Result<Option<i64>, BillingError> {
        tariff
            .map(|t| {
                dep.checked_mul(t.transport_departure_minor)
                    .zip(ret.checked_mul(t.transport_return_minor))
                    .and_then(|(a, b)| a.checked_add(b))
                    .ok_or(BillingError::Overflow)
            })
            .transpose()
    };
    let saving = |home: i64, paid: i64, transport: Option<i64>| {
        home.checked_sub(paid).and_then(|x| x.checked_sub(transport.unwrap_or(0))).ok_or(BillingError::Overflow)
    };
    let mut months = Vec::new();
    let mut transport_extras: Vec<String> = Vec::new();
    for (i, period) in periods.iter().enumerate() {
        let label = label(period);
        let (mut invoiced, mut days, mut documents) = (0i64, 0i64, 0usize);
        for doc in issued.iter().filter(|d| d.period == label) {
            documents += 1;
            invoiced = invoiced.checked_add(doc.total_minor).ok_or_else(overflow)?;
            days = days.checked_add(doc.person_days).ok_or_else(overflow)?;
            if doc.lines.iter().any(|l| is_transport_extra(&l.line.code)) && !transport_extras.contains(&label) {
                transport_extras.push(label.clone());
            }
        }
        let accrued_minor = accrued.get(i).copied().unwrap_or(0);
        let (departures, returns) = trips.get(i).copied().unwrap_or((0, 0));
        let transport_minor = price(departures, returns)?;
        let home = days.checked_mul(home_cost_day_minor).ok_or_else(overflow)?;
        let (from, to) = period.bounds();
        // A twelfth of the annual budget, kept exact: revenue × 12 × 10,000 / budget.
        let month_share =
            |revenue: i64| budget_year_minor.and_then(|b| share(revenue.saturating_mul(12), i128::from(b)));
        months.push(SustainabilityRow {
            label,
            from,
            to,
            invoiced_minor: invoiced,
            accrued_minor,
            person_days: days,
            home_cost_minor: home,
            departures,
            returns,
            transport_minor,
            sending_state_saving_minor: saving(home, invoiced, transport_minor)?,
            accrual_saving_minor: saving(home, accrued_minor, transport_minor)?,
            documents,
            budget_share_bp: month_share(invoiced),
            accrual_budget_share_bp: month_share(accrued_minor),
        });
    }
    let mut years: Vec<SustainabilityRow> = Vec::new();
    let mut k = 0i64;
    loop {
        let from = agreement.starts.add_months(12 * k).map_err(|_| overflow())?;
        if from > agreement.ends {
            break;
        }
        let next = agreement.starts.add_months(12 * (k + 1)).map_err(|_| overflow())?;
        let to = next.add_days(-1).map_err(|_| overflow())?.min(agreement.ends);
        let mut row = SustainabilityRow {
            label: format!("year {}", k + 1),
            from,
            to,
            invoiced_minor: 0,
            accrued_minor: 0,
            person_days: 0,
            home_cost_minor: 0,
            departures: 0,
            returns: 0,
            transport_minor: tariff.map(|_| 0),
            sending_state_saving_minor: 0,
            accrual_saving_minor: 0,
            documents: 0,
            budget_share_bp: None,
            accrual_budget_share_bp: None,
        };
        // A month belongs to the agreement year its first covered day falls in.
        for m in months.iter().filter(|m| from <= m.from && m.from <= to) {
            row.invoiced_minor = row.invoiced_minor.checked_add(m.invoiced_minor).ok_or_else(overflow)?;
            row.accrued_minor = row.accrued_minor.checked_add(m.accrued_minor).ok_or_else(overflow)?;
            row.person_days += m.person_days;
            row.home_cost_minor = row.home_cost_minor.checked_add(m.home_cost_minor).ok_or_else(overflow)?;
            row.departures += m.departures;
            row.returns += m.returns;
            row.transport_minor = match (row.transport_minor, m.transport_minor) {
                (Some(a), Some(b)) => Some(a.checked_add(b).ok_or_else(overflow)?),
                (a, _) => a,
            };
            row.documents += m.documents;
        }
        row.sending_state_saving_minor = saving(row.home_cost_minor, row.invoiced_minor, row.transport_minor)?;
        row.accrual_saving_minor = saving(row.home_cost_minor, row.accrued_minor, row.transport_minor)?;
        row.budget_share_bp = budget_year_minor.and_then(|b| share(row.invoiced_minor, i128::from(b)));
        row.accrual_budget_share_bp = budget_year_minor.and_then(|b| share(row.accrued_minor, i128::from(b)));
        years.push(row);
        k += 1;
    }
    let mut warnings = Vec::new();
    if tariff.is_none() {
        transport_extras.clear();
    }
    if !transport_extras.is_empty() {
        warnings.push(format!(
            "issued invoices for {} carry EXTRA:TRANSPORT… lines and the extras tariff also prices the journeys of \
             the custody records: that transport may be counted twice (docs/billing.md#transport)",
            transport_extras.join(", ")
        ));
    }
    if outside > 0 {
        warnings.push(format!("{outside} journeys fall outside the agreement's term and are not counted"));
    }
    Ok(Sustainability {
        months,
        years,
        transport_priced: tariff.is_some(),
        warnings,
        transport_extras_months: transport_extras,
        journeys_outside_term: outside,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The weights as first written: one step per coverage period of each stay.
    fn weights_one_by_one(spread: &Spread<'_>, pools: &[i128], stays: &[(i64, i64)]) -> Vec<BTreeMap<usize, i64>> {
        let c = spread.coverage_days;
        let (term_first, term_end) = spread.term;
        let mut weights = vec![BTreeMap::new(); spread.bounds.len()];
        for &(a, b) in stays {
            let (from, to) = (a.max(term_first), b.min(term_end));
            if from >= to {
                continue;
            }
            for k in (from - a + c - 1).div_euclid(c)..=(to - 1 - a).div_euclid(c) {
                let s = a + k * c;
                let Some(p) = period_at(spread.bounds, s) else { continue };
                if pools[p] == 0 {
                    continue;
                }
                spread.add_crossing(&mut weights[p], p, s);
            }
        }
        weights
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// Counting the coverage periods per period gives the weights walking them one by one
        /// gives, for every coverage length, stay and pattern of empty pools.
        #[test]
        fn coverage_weights_counted_per_period_equal_those_walked_one_by_one(
            lengths in proptest::collection::vec(1i64..70, 1..14),
            coverage_days in 1i64..200,
            stays in proptest::collection::vec((-100i64..900, 0i64..900), 0..12),
            empty in proptest::collection::vec(proptest::bool::ANY, 14),
        ) {
            let mut bounds = Vec::new();
            let mut first = 0;
            for len in &lengths {
                bounds.push((first, first + len));
                first += len;
            }
            let pools: Vec<i128> = (0..bounds.len()).map(|i| if empty[i] { 0 } else { 1 }).collect();
            let stays: Vec<(i64, i64)> = stays.iter().map(|&(a, len)| (a, a + len)).collect();
            let spread = Spread { bounds: &bounds, term: (0, first), last: bounds.len() - 1, coverage_days };
            let mut fast = vec![BTreeMap::new(); bounds.len()];
            for &stay in &stays {
                spread.add_stay(&mut fast, &pools, stay);
            }
            proptest::prop_assert_eq!(fast, weights_one_by_one(&spread, &pools, &stays));
        }
    }

    #[test]
    fn apportionment_is_exact_and_deterministic() {
        assert_eq!(apportion(100, &[1, 1, 1]), [34, 33, 33]);
        assert_eq!(apportion(-100, &[1, 1, 1]), [-33, -33, -34]);
        assert_eq!(apportion(10, &[0, 3, 0, 1]), [0, 8, 0, 2]);
        assert_eq!(apportion(7, &[0, 0]), [7, 0]);
        assert_eq!(apportion(0, &[5, 9]), [0, 0]);
        for amount in [-1_000_003i64, -7, 1, 999, 2_000_000] {
            for weights in [vec![17, 31, 30, 1], vec![365], vec![3, 0, 7, 11, 13]] {
                let parts = apportion(amount, &weights);
                assert_eq!(parts.iter().sum::<i64>(), amount, "{amount} over {weights:?}");
                let total: i64 = weights.iter().sum();
                for (p, w) in parts.iter().zip(&weights) {
                    // Each part is within one unit of its exact share.
                    let exact = i128::from(amount) * i128::from(*w);
                    assert!((i128::from(*p) * i128::from(total) - exact).abs() < i128::from(total), "{parts:?}");
                }
            }
        }
    }
}
