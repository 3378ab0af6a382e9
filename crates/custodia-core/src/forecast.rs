//! The forecast (docs/forecast.md): a Monte Carlo projection of an agreement month by month.
//!
//! Each run draws the month's arrivals from the eligible people (uniformly, with replacement), holds
//! each from arrival until their return is due (`projected release − return_before_release_days`,
//! measured from the screening day) or the agreement ends, adds the people already in custody, and
//! counts per month the peak population, the returns due, the person-days and the amount invoiced
//! under the agreement's fee model (the billing code's own lines, [`crate::billing`]). Over the
//! runs it reports the 5th, 50th and 95th percentiles (nearest rank) and, for each limit, the first
//! month in which at least 5 % of runs exceed it.
//!
//! Pure and deterministic: run `i` draws from a generator seeded from `(seed, i)` alone, so the
//! runs can be computed in any order, on any number of threads ([`Model::simulate`] over ranges,
//! [`Model::summarise`] of the parts in run order), with the same result. No floating point.

use std::ops::Range;

use crate::agreement::{Agreement, Fees};
use crate::billing::{self, BillingError, CLASSES, Period, PeriodFacts};
use crate::date::{Date, days_in_month};
use crate::eligibility::SentenceFacts;
use crate::person::SecurityClass;

/// Most runs of one forecast.
pub const MAX_RUNS: u32 = 100_000;
/// Most months of one forecast (twenty years).
pub const MAX_MONTHS: u32 = 240;
/// Most arrivals a month.
pub const MAX_INTAKE_PER_MONTH: u32 = 100_000;
/// Most runs × months of one forecast (what the samples take: 32 bytes each, at most 77 MB).
pub const MAX_RUN_MONTHS: u64 = 2_400_000;
/// The percentiles reported.
pub const PERCENTILES: [u32; 3] = [5, 50, 95];
/// A limit is reached in the first month in which at least this share of runs (in percent)
/// exceeds it.
pub const EXCEEDING_RUNS_PERCENT: u64 = 5;

/// How many people arrive in a month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntakeModel {
    /// Exactly the intake, every month.
    Fixed,
    /// A binomial count of mean the intake: `Binomial(8·intake, 1/8)`, variance `7/8·intake`, close
    /// to a Poisson count and drawn with integers only.
    Binomial,
}

impl IntakeModel {
    /// `fixed` or `binomial`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Binomial => "binomial",
        }
    }

    /// From `fixed` or `binomial`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Fixed, Self::Binomial].into_iter().find(|m| m.as_str() == text)
    }
}

/// What to forecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Arrivals a month (the mean with [`IntakeModel::Binomial`]).
    pub intake_per_month: i64,
    /// Months forecast, from the month of `from`.
    pub months: i64,
    /// Runs.
    pub runs: i64,
    /// The seed: the same seed gives the same forecast.
    pub seed: u64,
    /// How the month's arrivals are counted.
    pub intake: IntakeModel,
    /// The first day arrivals may come (and the screening day of the people drawn).
    pub from: Date,
    /// What one person-day at home costs the sending state.
    pub home_cost_day_minor: i64,
}

/// A parameter out of its range: the field and the range, for a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// The field must be between `min` and `max`.
    #[error("{field}: must be {min} to {max}")]
    Between {
        /// The parameter (`runs`, `months`, `intake_per_month`, `home_cost_per_day_minor`).
        field: &'static str,
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// `runs × months` is above [`MAX_RUN_MONTHS`].
    #[error("runs: runs × months must be at most {max} (it is {value})")]
    RunMonths {
        /// runs × months asked for.
        value: u64,
        /// [`MAX_RUN_MONTHS`].
        max: u64,
    },
    /// Arrivals are asked for and nobody eligible can be drawn.
    #[error("persons: nobody is eligible to arrive")]
    NobodyEligible,
}

impl ParamError {
    /// The parameter at fault.
    pub const fn field(&self) -> &'static str {
        match self {
            Self::Between { field, .. } => field,
            Self::RunMonths { .. } => "runs",
            Self::NobodyEligible => "persons",
        }
    }
}

/// Checks every parameter against its limit.
pub fn check_params(params: &Params) -> Result<(), ParamError> {
    let between = |field: &'static str, value: i64, min: i64, max: i64| {
        if (min..=max).contains(&value) { Ok(()) } else { Err(ParamError::Between { field, min, max }) }
    };
    between("runs", params.runs, 1, i64::from(MAX_RUNS))?;
    between("months", params.months, 1, i64::from(MAX_MONTHS))?;
    between("intake_per_month", params.intake_per_month, 0, i64::from(MAX_INTAKE_PER_MONTH))?;
    between("home_cost_per_day_minor", params.home_cost_day_minor, 0, billing::MAX_AMOUNT_MINOR)?;
    let run_months = params.runs.unsigned_abs() * params.months.unsigned_abs();
    if run_months > MAX_RUN_MONTHS {
        return Err(ParamError::RunMonths { value: run_months, max: MAX_RUN_MONTHS });
    }
    Ok(())
}

/// Someone who may arrive: how long they are held from arrival, and their security class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Days from arrival to the day the return is due (at least 1); `u32::MAX` for a life term
    /// (held until the agreement ends).
    pub held_days: u32,
    /// The class billed (per-diem class rates).
    pub class: SecurityClass,
}

impl Candidate {
    /// An eligible person screened on `as_of`: held from arrival as long as from `as_of` to
    /// `projected release − return_before_release_days` (at least one day); a life term until the
    /// agreement ends. `None` when the release is unknown, or when the class is unknown and the
    /// fee model bills by class.
    pub fn from_facts(
        agreement: &Agreement,
        facts: SentenceFacts,
        as_of: Date,
        class: Option<SecurityClass>,
    ) -> Option<Self> {
        let class = class.or_else(|| (!bills_by_class(agreement)).then_some(SecurityClass::Medium))?;
        let held_days = match facts {
            SentenceFacts::Unknown => return None,
            SentenceFacts::Life => u32::MAX,
            SentenceFacts::Fixed { projected_release, .. } => {
                let return_by = projected_release.days_since(as_of) - i64::from(agreement.return_before_release_days);
                u32::try_from(return_by.max(1)).unwrap_or(u32::MAX - 1)
            }
        };
        Some(Self { held_days, class })
    }
}

/// Whether the amount invoiced depends on a stay's security class (per-diem class rates).
pub fn bills_by_class(agreement: &Agreement) -> bool {
    matches!(&agreement.fees, Fees::PerDiem { class_rates_minor, .. } if !class_rates_minor.is_empty())
}

/// Someone already in custody under the agreement (from the register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    /// Admission day.
    pub admitted_on: Date,
    /// The day their return is due (not in custody that day); `None`: until the agreement ends.
    pub return_on: Option<Date>,
    /// The class billed.
    pub class: SecurityClass,
}

/// The limits a forecast is compared with (docs/forecast.md#limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The agreement's contracted places, over its facilities.
    pub contracted_places: i64,
    /// The cells' standard capacity, over the facilities (`None`: no cells known).
    pub standard_capacity: Option<i64>,
    /// The cells' floor capacity.
    pub floor_capacity: Option<i64>,
}

/// One limit a forecast is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    /// Contracted places (population above).
    ContractedPlaces,
    /// Standard capacity (population above).
    StandardCapacity,
    /// Floor capacity (population above).
    FloorCapacity,
    /// The fee envelope (cumulative per-capita charges since the start, before the cap, above).
    FeeEnvelope,
}

impl LimitKind {
    /// Every limit, in the order reported.
    pub const ALL: [LimitKind; 4] =
        [Self::ContractedPlaces, Self::StandardCapacity, Self::FloorCapacity, Self::FeeEnvelope];

    /// `contracted_places`, `standard_capacity`, `floor_capacity`, `fee_envelope`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ContractedPlaces => "contracted_places",
            Self::StandardCapacity => "standard_capacity",
            Self::FloorCapacity => "floor_capacity",
            Self::FeeEnvelope => "fee_envelope",
        }
    }
}

/// The 5th, 50th and 95th percentiles of a figure over the runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// 5th.
    pub p5: i64,
    /// 50th.
    pub p50: i64,
    /// 95th.
    pub p95: i64,
}

/// One month of a forecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthForecast {
    /// Year.
    pub year: i32,
    /// Month (1–12).
    pub month: u32,
    /// The most people in custody on a day of the month.
    pub population: Percentiles,
    /// Returns due in the month (the day after a stay's last day falls in it).
    pub returns_due: Percentiles,
    /// Person-days of the month.
    pub person_days: Percentiles,
    /// The invoice total of the month under the fee model (0 outside the term).
    pub invoiced_minor: Percentiles,
    /// The sending state's cost of the same person-days at home.
    pub home_cost_minor: Percentiles,
}

/// When a limit is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exceedance {
    /// The limit.
    pub kind: LimitKind,
    /// Its value (`None`: not known, or the agreement has none).
    pub value: Option<i64>,
    /// The first month (index from 0) in which at least 5 % of runs exceed it.
    pub first_month: Option<usize>,
    /// How many runs exceed it in that month.
    pub runs_exceeding: u32,
}

/// A forecast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forecast {
    /// Runs summarised.
    pub runs: u32,
    /// One entry per month.
    pub months: Vec<MonthForecast>,
    /// One entry per limit, in [`LimitKind::ALL`] order.
    pub exceedances: Vec<Exceedance>,
}

/// The figures kept per run and month.
const METRICS: usize = 4;
const POPULATION: usize = 0;
const RETURNS: usize = 1;
const PERSON_DAYS: usize = 2;
const INVOICED: usize = 3;

/// The runs of a range: per run, per month, the four figures; per month and limit, the runs above.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Samples {
    runs: Range<u32>,
    /// `values[(run · months + month) · METRICS + metric]`.
    values: Vec<i64>,
    /// `exceeding[month · 4 + limit]`.
    exceeding: Vec<u32>,
}

/// A month of the horizon as day indices `[start, end)` from the first day of `from`'s month, and
/// its billing period when the month overlaps the term.
#[derive(Clone, Copy, Debug)]
struct MonthSpan {
    year: i32,
    month: u32,
    start: i64,
    end: i64,
    /// Days in which arrivals come: `[from, ends]` within the month.
    arrivals: (i64, i64),
    period: Option<(Period, i64, i64)>,
}

/// A forecast's fixed inputs, prepared once for every run.
#[derive(Debug)]
pub struct Model<'a> {
    agreement: &'a Agreement,
    params: Params,
    pool: &'a [Candidate],
    held: &'a [Held],
    limits: [Option<i64>; 4],
    spans: Vec<MonthSpan>,
    /// The month of each day index.
    month_of_day: Vec<u16>,
    /// Day index of the agreement's first day, and of the day after its last.
    term: (i64, i64),
    horizon_days: i64,
    /// Per-capita coverage: its length in days, and per day index of an arrival the first day of
    /// its coverage chain (`a + k·c`) on or after the end of the term.
    coverage: Option<(i64, Vec<i64>)>,
    /// Per candidate (per-capita): the first day of its coverage chain on or after its return,
    /// counted from its arrival (`⌈held/c⌉·c`).
    chain_days: Vec<i64>,
}

impl<'a> Model<'a> {
    /// Checks the parameters and prepares the calendar of the horizon.
    pub fn new(
        agreement: &'a Agreement,
        params: Params,
        pool: &'a [Candidate],
        held: &'a [Held],
        limits: Limits,
    ) -> Result<Self, ParamError> {
        check_params(&params)?;
        if pool.is_empty() && params.intake_per_month > 0 {
            return Err(ParamError::NobodyEligible);
        }
        let (y0, m0, _) = params.from.ymd();
        let first = Date::from_ymd(y0, m0, 1).map_err(|_| months_error())?;
        let day = |d: Date| i64::from(d.days_since_epoch()) - i64::from(first.days_since_epoch());
        let term = (day(agreement.starts), day(agreement.ends) + 1);
        let from = day(params.from);
        let mut spans = Vec::new();
        let mut month_of_day = Vec::new();
        let (mut y, mut m, mut start) = (y0, m0, 0i64);
        for index in 0..params.months {
            let end = start + i64::from(days_in_month(y, m));
            let arrivals = (start.max(from).max(term.0), end.min(term.1));
            let period = Period::new(agreement, y, m).ok().map(|p| {
                let (a, b) = p.day_numbers();
                let base = i64::from(first.days_since_epoch());
                (p, a - base, b - base)
            });
            spans.push(MonthSpan { year: y, month: m, start, end, arrivals, period });
            let index = u16::try_from(index).map_err(|_| months_error())?;
            month_of_day.extend(std::iter::repeat_n(index, usize::try_from(end - start).unwrap_or(0)));
            (y, m, start) = if m == 12 { (y + 1, 1, end) } else { (y, m + 1, end) };
            if y > 9999 {
                return Err(months_error());
            }
        }
        let envelope = match agreement.fees {
            Fees::PerCapita { envelope_minor, .. } => envelope_minor,
            _ => None,
        };
        let coverage = match agreement.fees {
            Fees::PerCapita { coverage_days, .. } => Some(i64::from(coverage_days).max(1)),
            _ => None,
        };
        let chain_end = |c: i64, from: i64, to: i64| from + ((to - from).max(0) + c - 1) / c * c;
        let chain_days =
            coverage.map_or_else(Vec::new, |c| pool.iter().map(|p| chain_end(c, 0, i64::from(p.held_days))).collect());
        let coverage = coverage.map(|c| (c, (0..start).map(|day| chain_end(c, day, term.1)).collect()));
        Ok(Self {
            agreement,
            params,
            pool,
            held,
            limits: [Some(limits.contracted_places), limits.standard_capacity, limits.floor_capacity, envelope],
            spans,
            month_of_day,
            term,
            horizon_days: start,
            coverage,
            chain_days,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The months of the horizon as `(year, month)`.
    pub fn months(&self) -> impl Iterator<Item = (i32, u32)> + '_ {
        self.spans.iter().map(|s| (s.year, s.month))
    }

    /// Computes the runs `runs` (a part of `0..params.runs`).
    pub fn simulate(&self, runs: Range<u32>) -> Result<Samples, BillingError> {
        let months = self.spans.len();
        let count = runs.len();
        let mut samples = Samples {
            runs: runs.clone(),
            values: Vec::with_capacity(count * months * METRICS),
            exceeding: vec![0; months * LimitKind::ALL.len()],
        };
        let mut run = RunBuffers::new(self);
        for index in runs {
            run.simulate(self, index)?;
            samples.values.extend_from_slice(&run.figures);
            for (slot, exceeded) in samples.exceeding.iter_mut().zip(&run.exceeded) {
                *slot += u32::from(*exceeded);
            }
        }
        Ok(samples)
    }

    /// The forecast from every run's samples, given as parts in run order (`0..params.runs`).
    pub fn summarise(&self, parts: &[Samples]) -> Forecast {
        let months = self.spans.len();
        let runs: u32 = parts.iter().map(|p| p.runs.len() as u32).sum();
        let mut exceeding = vec![0u32; months * LimitKind::ALL.len()];
        for part in parts {
            for (total, n) in exceeding.iter_mut().zip(&part.exceeding) {
                *total += n;
            }
        }
        let mut scratch = Vec::with_capacity(runs as usize);
        let mut percentiles = |month: usize, metric: usize| {
            scratch.clear();
            for part in parts {
                let stride = months * METRICS;
                let at = month * METRICS + metric;
                scratch.extend(part.values.chunks_exact(stride).filter_map(|run| run.get(at).copied()));
            }
            nearest_rank_percentiles(&mut scratch)
        };
        let mut out = Vec::with_capacity(months);
        for (i, span) in self.spans.iter().enumerate() {
            let person_days = percentiles(i, PERSON_DAYS);
            let home = |v: i64| v.saturating_mul(self.params.home_cost_day_minor);
            out.push(MonthForecast {
                year: span.year,
                month: span.month,
                population: percentiles(i, POPULATION),
                returns_due: percentiles(i, RETURNS),
                person_days,
                invoiced_minor: percentiles(i, INVOICED),
                home_cost_minor: Percentiles {
                    p5: home(person_days.p5),
                    p50: home(person_days.p50),
                    p95: home(person_days.p95),
                },
            });
        }
        let exceedances = LimitKind::ALL
            .iter()
            .enumerate()
            .map(|(k, kind)| {
                let value = self.limits.get(k).copied().flatten();
                let count = |m: usize| exceeding.get(m * LimitKind::ALL.len() + k).copied().unwrap_or(0);
                let first_month = value
                    .and((0..months).find(|m| u64::from(count(*m)) * 100 >= EXCEEDING_RUNS_PERCENT * u64::from(runs)));
                let runs_exceeding = first_month.map_or(0, count);
                Exceedance { kind: *kind, value, first_month, runs_exceeding }
            })
            .collect();
        Forecast { runs, months: out, exceedances }
    }
}

fn months_error() -> ParamError {
    ParamError::Between { field: "months", min: 1, max: i64::from(MAX_MONTHS) }
}

/// The forecast in one thread (the edges split the runs over their cores, [`Model::simulate`]).
pub fn forecast(model: &Model<'_>) -> Result<Forecast, BillingError> {
    let runs = u32::try_from(model.params.runs).unwrap_or(0);
    let samples = model.simulate(0..runs)?;
    Ok(model.summarise(std::slice::from_ref(&samples)))
}

/// The 5th, 50th and 95th percentiles of `values` by the nearest-rank rule: the `p`-th percentile
/// of `n` values is the `⌈p·n/100⌉`-th smallest (the smallest for `p·n < 100`). Reorders `values`.
pub fn nearest_rank_percentiles(values: &mut [i64]) -> Percentiles {
    let n = values.len() as u64;
    let mut at = |p: u32| {
        let rank = (u64::from(p) * n).div_ceil(100).max(1);
        let index = usize::try_from(rank - 1).unwrap_or(0);
        if index >= values.len() {
            return 0;
        }
        *values.select_nth_unstable(index).1
    };
    let [p5, p50, p95] = PERCENTILES.map(&mut at);
    Percentiles { p5, p50, p95 }
}

/// SplitMix64 (Steele, Lea, Flood 2014), used to seed each run's generator.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256++ (Blackman, Vigna 2019): the generator of one run, seeded from `(seed, run)` only.
#[derive(Clone, Debug)]
struct Rng([u64; 4]);

impl Rng {
    fn for_run(seed: u64, run: u32) -> Self {
        let mut seed_state = seed;
        let mut state = splitmix64(&mut seed_state) ^ u64::from(run).wrapping_mul(0xD1B5_4A32_D192_ED03);
        Self([0; 4].map(|_| splitmix64(&mut state)))
    }

    fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.0;
        let result = s0.wrapping_add(*s3).rotate_left(23).wrapping_add(*s0);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        result
    }

    /// An index below `n` (`n > 0`) by the multiply-high rule (Lemire 2019; the bias is below
    /// `n / 2^64`).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// `Binomial(8·mean, 1/8)`: the ones among `8·mean` bits that are each 1 with probability 1/8.
    fn binomial_eighth(&mut self, mean: i64) -> i64 {
        let mut bits = mean.max(0).unsigned_abs() * 8;
        let mut count = 0i64;
        while bits > 0 {
            let word = self.next_u64() & self.next_u64() & self.next_u64();
            let take = bits.min(64);
            let mask = if take == 64 { u64::MAX } else { (1u64 << take) - 1 };
            count += i64::from((word & mask).count_ones());
            bits -= take;
        }
        count
    }
}

/// One run's working space, reused from run to run.
struct RunBuffers {
    /// Population changes per day index (one more than the horizon).
    delta: Vec<i64>,
    /// Per-class population changes (per-diem only): `class_delta[day · CLASSES + class]`.
    class_delta: Vec<i64>,
    pop: Vec<i64>,
    returns: Vec<i64>,
    /// Arrivals' returns per day index (summed into `returns` per month).
    returns_day: Vec<i64>,
    /// Arrivals' per-capita coverage chains as changes per day index, then (propagated every
    /// `c` days) the coverage periods starting on each day.
    chain_delta: Vec<i64>,
    /// Per-capita coverage periods starting in each month, and before the horizon.
    capita: Vec<i64>,
    capita_before: i64,
    /// Person-days per month and security class (per-diem).
    class_days: Vec<[i64; CLASSES]>,
    /// `figures[month · METRICS + metric]`.
    figures: Vec<i64>,
    /// `exceeded[month · 4 + limit]`.
    exceeded: Vec<bool>,
}

impl RunBuffers {
    fn new(model: &Model<'_>) -> Self {
        let days = usize::try_from(model.horizon_days).unwrap_or(0);
        let months = model.spans.len();
        let per_diem = matches!(model.agreement.fees, Fees::PerDiem { .. });
        Self {
            delta: vec![0; days + 1],
            class_delta: if per_diem { vec![0; (days + 1) * CLASSES] } else { Vec::new() },
            pop: vec![0; days],
            returns: vec![0; months],
            returns_day: vec![0; days + 1],
            chain_delta: if model.coverage.is_some() { vec![0; days + 1] } else { Vec::new() },
            capita: vec![0; months],
            capita_before: 0,
            class_days: vec![[0; CLASSES]; months],
            figures: vec![0; months * METRICS],
            exceeded: vec![false; months * LimitKind::ALL.len()],
        }
    }

    fn simulate(&mut self, model: &Model<'_>, run: u32) -> Result<(), BillingError> {
        self.delta.fill(0);
        self.class_delta.fill(0);
        self.returns.fill(0);
        self.returns_day.fill(0);
        self.chain_delta.fill(0);
        self.capita.fill(0);
        self.capita_before = 0;
        let mut rng = Rng::for_run(model.params.seed, run);
        let coverage = match model.agreement.fees {
            Fees::PerCapita { coverage_days, .. } => Some(i64::from(coverage_days)),
            _ => None,
        };
        let first_day = i64::from(model.spans_first_day());
        let day = |d: Date| i64::from(d.days_since_epoch()) - first_day;
        let mut stays = Stays { model, buffers: self, coverage };
        for held in model.held {
            let end = held.return_on.map_or(i64::MAX, day);
            stays.add(day(held.admitted_on), end, held.class);
        }
        for span in &model.spans {
            arrivals(self, model, &mut rng, span)?;
        }
        self.count(model)
    }

    /// The month figures and limits from the day changes of the run.
    fn count(&mut self, model: &Model<'_>) -> Result<(), BillingError> {
        let mut running = 0;
        for (p, d) in self.pop.iter_mut().zip(&self.delta) {
            running += d;
            *p = running;
        }
        self.class_days_per_month(model);
        self.arrivals_per_month(model);
        let mut capita_so_far = self.capita_before;
        for (i, span) in model.spans.iter().enumerate() {
            let days = self.pop.get(index(span.start)..index(span.end)).unwrap_or_default();
            let peak = days.iter().copied().max().unwrap_or(0);
            let person_days: i64 = days.iter().sum();
            let starts = self.capita.get(i).copied().unwrap_or(0);
            let invoiced = match &span.period {
                Some((period, a, b)) => {
                    let class_days = self.class_days.get(i).copied().unwrap_or_default();
                    let facts = PeriodFacts {
                        pop: self.pop.get(index(*a)..index(*b)).unwrap_or_default(),
                        class_days,
                        capita_starts: starts,
                        capita_starts_before: capita_so_far,
                    };
                    billing::lines_for(model.agreement, period, &facts, &[])?.total_minor
                }
                None => 0,
            };
            capita_so_far += starts;
            let figures = [peak, self.returns.get(i).copied().unwrap_or(0), person_days, invoiced];
            if let Some(slot) = self.figures.get_mut(i * METRICS..(i + 1) * METRICS) {
                slot.copy_from_slice(&figures);
            }
            let charged = match model.agreement.fees {
                Fees::PerCapita { capita_minor, .. } => capita_so_far.saturating_mul(capita_minor),
                _ => 0,
            };
            let above = [peak, peak, peak, charged];
            for (k, (limit, value)) in model.limits.iter().zip(above).enumerate() {
                if let Some(slot) = self.exceeded.get_mut(i * LimitKind::ALL.len() + k) {
                    *slot = limit.is_some_and(|l| value > l);
                }
            }
        }
        Ok(())
    }

    /// Adds the arrivals' returns and coverage periods, counted per day, to their months.
    fn arrivals_per_month(&mut self, model: &Model<'_>) {
        if let Some((c, _)) = &model.coverage {
            let c = index(*c);
            for d in c..self.chain_delta.len() {
                let before = self.chain_delta.get(d - c).copied().unwrap_or(0);
                if let Some(now) = self.chain_delta.get_mut(d) {
                    *now += before;
                }
            }
        }
        for (i, span) in model.spans.iter().enumerate() {
            let days = index(span.start)..index(span.end);
            let returns: i64 = self.returns_day.get(days.clone()).unwrap_or_default().iter().sum();
            let starts: i64 = self.chain_delta.get(days).unwrap_or_default().iter().sum();
            add(&mut self.returns, i, returns);
            add(&mut self.capita, i, starts);
        }
    }

    /// Person-days per security class and month (per-diem only; days outside the term hold
    /// nobody, so a month's days are its billing period's).
    fn class_days_per_month(&mut self, model: &Model<'_>) {
        if self.class_delta.is_empty() {
            return;
        }
        self.class_days.fill([0; CLASSES]);
        let mut running = [0i64; CLASSES];
        for (chunk, month) in self.class_delta.chunks_exact(CLASSES).zip(&model.month_of_day) {
            let Some(total) = self.class_days.get_mut(usize::from(*month)) else { continue };
            for ((r, d), t) in running.iter_mut().zip(chunk).zip(total.iter_mut()) {
                *r += d;
                *t += *r;
            }
        }
    }
}

fn index(day: i64) -> usize {
    usize::try_from(day.max(0)).unwrap_or(0)
}

impl Model<'_> {
    /// The day number of day index 0 (the first day of `from`'s month).
    fn spans_first_day(&self) -> i32 {
        let (y, m, _) = self.params.from.ymd();
        Date::from_ymd(y, m, 1).map_or(0, Date::days_since_epoch)
    }
}

/// Adds the stays of the people held at the start to a run's day changes, one by one (they are
/// few and may have begun before the horizon; the arrivals take the faster path of [`arrivals`]).
struct Stays<'m, 'b> {
    model: &'m Model<'m>,
    buffers: &'b mut RunBuffers,
    coverage: Option<i64>,
}

impl Stays<'_, '_> {
    /// A stay from day index `start` to the day before `return_day` (at least its first day),
    /// clipped to the term; its return counts in the month it falls in, within the horizon.
    fn add(&mut self, start: i64, return_day: i64, class: SecurityClass) {
        let (term_start, term_end) = self.model.term;
        let horizon = self.model.horizon_days;
        let leaves = return_day.max(start + 1).min(term_end);
        let (from, to) = (start.max(0).max(term_start), leaves.min(horizon));
        if let Some(c) = self.coverage {
            self.capita(start.max(term_start), c, start, leaves);
        }
        if from >= to {
            return;
        }
        let b = &mut self.buffers;
        add(&mut b.delta, index(from), 1);
        add(&mut b.delta, index(to), -1);
        if !b.class_delta.is_empty() {
            let k = billing::class_index(class);
            add(&mut b.class_delta, index(from) * CLASSES + k, 1);
            add(&mut b.class_delta, index(to) * CLASSES + k, -1);
        }
        if (0..horizon).contains(&leaves)
            && let Some(month) = self.model.month_of_day.get(index(leaves))
        {
            add(&mut b.returns, usize::from(*month), 1);
        }
    }

    /// Counts the coverage periods of a stay admitted on `admitted` that start in `[lo, leaves)`:
    /// before the horizon into `capita_before`, within it into their month.
    fn capita(&mut self, lo: i64, c: i64, admitted: i64, leaves: i64) {
        let mut k = (lo - admitted + c - 1).div_euclid(c).max(0);
        let horizon = self.model.horizon_days;
        loop {
            let point = admitted + k * c;
            if point >= leaves || point >= horizon {
                return;
            }
            if point < 0 {
                self.buffers.capita_before += 1;
            } else if let Some(month) = self.model.month_of_day.get(index(point)) {
                add(&mut self.buffers.capita, usize::from(*month), 1);
            }
            k += 1;
        }
    }
}

fn add(slots: &mut [i64], at: usize, by: i64) {
    if let Some(slot) = slots.get_mut(at) {
        *slot += by;
    }
}

/// The month's arrivals: their count (fixed or binomial), each on the day
/// `lo + ⌊i·(hi − lo)/n⌋` of the month's arrival days `[lo, hi)`, each a candidate drawn uniformly,
/// held from that day until their return is due or the term ends. The hot loop of a forecast: a
/// stay is a few additions to per-day changes (its population, its return, the start and end of
/// its per-capita coverage chain), nothing per day held.
fn arrivals(run: &mut RunBuffers, model: &Model<'_>, rng: &mut Rng, span: &MonthSpan) -> Result<(), BillingError> {
    let (lo, hi) = span.arrivals;
    if hi <= lo || model.pool.is_empty() {
        return Ok(());
    }
    let n = match model.params.intake {
        IntakeModel::Fixed => model.params.intake_per_month,
        IntakeModel::Binomial => rng.binomial_eighth(model.params.intake_per_month),
    };
    if n <= 0 {
        return Ok(());
    }
    let (term_end, horizon) = (model.term.1, model.horizon_days);
    let (step, remainder) = ((hi - lo) / n, (hi - lo) % n);
    let (mut day, mut carried) = (lo, 0);
    for _ in 0..n {
        let drawn = rng.below(model.pool.len());
        let Some(candidate) = model.pool.get(drawn) else { return Err(BillingError::Overflow) };
        let leaves = (day + i64::from(candidate.held_days)).min(term_end);
        add(&mut run.delta, index(day), 1);
        add(&mut run.delta, index(leaves.min(horizon)), -1);
        if !run.class_delta.is_empty() {
            let k = billing::class_index(candidate.class);
            add(&mut run.class_delta, index(day) * CLASSES + k, 1);
            add(&mut run.class_delta, index(leaves.min(horizon)) * CLASSES + k, -1);
        }
        if leaves < horizon {
            add(&mut run.returns_day, index(leaves), 1);
        }
        if let Some((_, clipped)) = &model.coverage {
            let chain = model.chain_days.get(drawn).copied().unwrap_or(0);
            let end = (day + chain).min(clipped.get(index(day)).copied().unwrap_or(i64::MAX));
            add(&mut run.chain_delta, index(day), 1);
            if end < horizon {
                add(&mut run.chain_delta, index(end), -1);
            }
        }
        // The next day: lo + ⌊(i + 1)·(hi − lo)/n⌋, without a division.
        day += step;
        carried += remainder;
        if carried >= n {
            carried -= n;
            day += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::billing::{Stay, invoices_for_term, population_on_days};

    const CECOT: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    /// us-sv-cecot with another `[fees]` table.
    fn with_fees(fees: &str) -> Agreement {
        let (head, rest) = CECOT.split_once("[fees]").unwrap();
        let (_, tail) = rest.split_once("[oversight]").unwrap();
        Agreement::from_toml(&format!("{head}[fees]\n{fees}\n[oversight]{tail}")).unwrap()
    }

    fn fee_models() -> Vec<Agreement> {
        vec![
            Agreement::from_toml(CECOT).unwrap(),
            with_fees("model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 30\nenvelope_minor = 900000000"),
            with_fees(
                "model = \"per_diem\"\nrate_minor = 12000\nguaranteed_minimum_places = 150\n[fees.class_rates_minor]\nhigh = 15000",
            ),
            with_fees(
                "model = \"per_place_month\"\nplace_month_minor = 300000\nreserved_places = 200\nextra_person_day_minor = 13000",
            ),
            with_fees("model = \"lump_sum_year\"\nyear_minor = 600000000"),
        ]
    }

    fn params(intake: i64, months: i64, runs: i64, from: &str) -> Params {
        Params {
            intake_per_month: intake,
            months,
            runs,
            seed: 7,
            intake: IntakeModel::Fixed,
            from: day(from),
            home_cost_day_minor: 12_080,
        }
    }

    fn limits() -> Limits {
        Limits { contracted_places: 300, standard_capacity: Some(450), floor_capacity: Some(600) }
    }

    /// The exact figures of one month, computed without the forecast: the arrivals written out as
    /// the billing code's stays, the population by `population_on_days`, the amounts by
    /// `invoices_for_term`.
    struct Exact {
        population: i64,
        returns: i64,
        person_days: i64,
        invoiced_minor: i64,
    }

    fn exact(agreement: &Agreement, p: &Params, held_days: i64, held: &[Stay]) -> Vec<Exact> {
        let (y0, m0, _) = p.from.ymd();
        let first_of = |k: i64| Date::from_ymd(y0, m0, 1).unwrap().add_months(k).unwrap();
        let after_term = agreement.ends.add_days(1).unwrap();
        let mut stays = held.to_vec();
        for k in 0..p.months {
            let lo = first_of(k).max(p.from).max(agreement.starts);
            let hi = first_of(k + 1).min(after_term);
            let days = hi.days_since(lo);
            for i in 0..if days > 0 { p.intake_per_month } else { 0 } {
                let admitted_on = lo.add_days(i * days / p.intake_per_month).unwrap();
                let released_on = admitted_on.add_days(held_days).unwrap().min(after_term);
                stays.push(Stay {
                    person_id: format!("{k}-{i}"),
                    facility_id: "cecot".into(),
                    security_class: SecurityClass::High,
                    admitted_on,
                    released_on: Some(released_on),
                });
            }
        }
        let invoices = invoices_for_term(agreement, &stays, &[]).unwrap();
        (0..p.months)
            .map(|k| {
                let (start, end) = (first_of(k), first_of(k + 1));
                let days: Vec<Date> = (0..end.days_since(start)).map(|d| start.add_days(d).unwrap()).collect();
                let pop = population_on_days(&stays, &days);
                let returns = stays.iter().filter(|s| s.released_on.is_some_and(|r| start <= r && r < end)).count();
                let invoiced = invoices
                    .iter()
                    .find(|(period, _)| (period.year, period.month) == (start.year(), start.month()))
                    .map_or(0, |(_, invoice)| invoice.total_minor);
                Exact {
                    population: pop.iter().copied().max().unwrap_or(0),
                    returns: returns as i64,
                    person_days: pop.iter().sum(),
                    invoiced_minor: invoiced,
                }
            })
            .collect()
    }

    fn all(value: i64) -> Percentiles {
        Percentiles { p5: value, p50: value, p95: value }
    }

    /// A forecast with a fixed intake of people whose terms are all equal against the exact
    /// computation: every percentile of every month, and the month each limit is reached.
    fn assert_exact(agreement: &Agreement, p: Params, held_days: u32) {
        // Several people, all with the same term: whoever is drawn, every run is the same.
        let pool = vec![Candidate { held_days, class: SecurityClass::High }; 5];
        let held =
            [Held { admitted_on: day("2025-03-20"), return_on: Some(day("2025-07-02")), class: SecurityClass::High }];
        let held_stay = Stay {
            person_id: "held".into(),
            facility_id: "cecot".into(),
            security_class: SecurityClass::High,
            admitted_on: held[0].admitted_on,
            released_on: held[0].return_on,
        };
        let model = Model::new(agreement, p, &pool, &held, limits()).unwrap();
        let forecast = forecast(&model).unwrap();
        let expected = exact(agreement, &p, i64::from(held_days), &[held_stay]);
        assert_eq!(forecast.months.len(), expected.len());
        for (month, exact) in forecast.months.iter().zip(&expected) {
            let label = format!("{:?} {p:?} {}-{}", agreement.fees, month.year, month.month);
            assert_eq!(month.population, all(exact.population), "{label}");
            assert_eq!(month.returns_due, all(exact.returns), "{label}");
            assert_eq!(month.person_days, all(exact.person_days), "{label}");
            assert_eq!(month.invoiced_minor, all(exact.invoiced_minor), "{label}");
            assert_eq!(month.home_cost_minor, all(exact.person_days * 12_080), "{label}");
        }
        // Every run alike: a limit is reached in the first month the exact population is above it,
        // by every run.
        let first_above = |limit: i64| expected.iter().position(|e| e.population > limit);
        let ex = &forecast.exceedances;
        for (k, limit) in [300, 450, 600].into_iter().enumerate() {
            assert_eq!(ex[k].first_month, first_above(limit), "{p:?}");
            let runs = if ex[k].first_month.is_some() { p.runs } else { 0 };
            assert_eq!(i64::from(ex[k].runs_exceeding), runs);
        }
    }

    #[test]
    fn a_fixed_intake_of_equal_terms_gives_the_exact_computation_under_every_fee_model() {
        for agreement in fee_models() {
            for (intake, held_days, from) in [(40, 200, "2025-03-15"), (23, 45, "2025-05-20"), (0, 10, "2025-04-01")] {
                assert_exact(&agreement, params(intake, 15, 9, from), held_days);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

        /// Any fee model, intake, term, first day (before, in and after the term) and horizon.
        #[test]
        fn any_fixed_intake_of_equal_terms_is_exact(
            model in 0usize..5,
            intake in 0i64..60,
            held_days in 1u32..900,
            from_offset in -40i64..420,
            months in 1i64..18,
            runs in 1i64..5,
        ) {
            let agreement = &fee_models()[model];
            let from = agreement.starts.add_days(from_offset).unwrap().to_string();
            assert_exact(agreement, params(intake, months, runs, &from), held_days);
        }
    }

    #[test]
    fn the_envelope_is_reached_in_the_first_month_uncapped_charges_pass_it() {
        // 30-day coverage at $20,000 and an envelope of $9M; the same charges without an envelope,
        // added up month by month, say when it is passed.
        let capped = &fee_models()[1];
        let uncapped = with_fees("model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 30");
        let pool = [Candidate { held_days: 400, class: SecurityClass::High }];
        let p = params(100, 12, 3, "2025-03-15");
        let model = Model::new(capped, p, &pool, &[], limits()).unwrap();
        let f = forecast(&model).unwrap();
        let mut cumulative = 0;
        let passed = exact(&uncapped, &p, 400, &[]).iter().position(|e| {
            cumulative += e.invoiced_minor;
            cumulative > 900_000_000
        });
        assert!(passed.is_some());
        let envelope = f.exceedances[3];
        assert_eq!(
            (envelope.kind, envelope.value, envelope.first_month),
            (LimitKind::FeeEnvelope, Some(900_000_000), passed)
        );
        assert_eq!(envelope.runs_exceeding, 3);
        let total: i64 = f.months.iter().map(|m| m.invoiced_minor.p50).sum();
        assert_eq!(total, 900_000_000, "invoices stop at the envelope");
    }

    fn varied_pool() -> Vec<Candidate> {
        (0..50u32)
            .map(|i| Candidate {
                held_days: 20 + i * 37 % 900,
                class: SecurityClass::ALL[i as usize % SecurityClass::ALL.len()],
            })
            .collect()
    }

    #[test]
    fn percentiles_are_ordered() {
        let pool = varied_pool();
        for agreement in fee_models() {
            for model_kind in [IntakeModel::Fixed, IntakeModel::Binomial] {
                let mut p = params(60, 14, 200, "2025-03-15");
                p.intake = model_kind;
                let model = Model::new(&agreement, p, &pool, &[], limits()).unwrap();
                let f = forecast(&model).unwrap();
                for m in &f.months {
                    for q in [m.population, m.returns_due, m.person_days, m.invoiced_minor, m.home_cost_minor] {
                        assert!(q.p5 <= q.p50 && q.p50 <= q.p95, "{m:?}");
                    }
                }
                // The draws differ from run to run: somewhere the 5th and 95th differ.
                assert!(f.months.iter().any(|m| m.person_days.p5 < m.person_days.p95));
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_forecast_however_the_runs_are_split() {
        let pool = varied_pool();
        let agreement = Agreement::from_toml(CECOT).unwrap();
        let mut p = params(80, 12, 101, "2025-03-15");
        p.intake = IntakeModel::Binomial;
        let model = Model::new(&agreement, p, &pool, &[], limits()).unwrap();
        let whole = forecast(&model).unwrap();
        assert_eq!(whole, forecast(&model).unwrap());
        for cuts in [vec![0, 1, 101], vec![0, 50, 51, 90, 101], (0..=101).collect::<Vec<u32>>()] {
            let parts: Vec<Samples> = cuts.windows(2).map(|w| model.simulate(w[0]..w[1]).unwrap()).collect();
            assert_eq!(model.summarise(&parts), whole);
        }
        p.seed = 8;
        let other = Model::new(&agreement, p, &pool, &[], limits()).unwrap();
        assert_ne!(forecast(&other).unwrap(), whole, "another seed draws other people");
    }

    type Change = fn(&mut Params);

    #[test]
    fn bad_parameters_name_their_field() {
        let agreement = Agreement::from_toml(CECOT).unwrap();
        let pool = varied_pool();
        let ok = params(500, 120, 100, "2025-03-15");
        let cases: [(Change, &str); 7] = [
            (|p| p.runs = 0, "runs"),
            (|p| p.runs = 100_001, "runs"),
            (|p| p.months = 0, "months"),
            (|p| p.months = 241, "months"),
            (|p| p.intake_per_month = -1, "intake_per_month"),
            (|p| p.intake_per_month = 100_001, "intake_per_month"),
            (|p| (p.runs, p.months) = (20_000, 121), "runs"),
        ];
        for (change, field) in cases {
            let mut p = ok;
            change(&mut p);
            let error = Model::new(&agreement, p, &pool, &[], limits()).unwrap_err();
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().starts_with(field), "{error}");
        }
        assert_eq!(Model::new(&agreement, ok, &[], &[], limits()).unwrap_err(), ParamError::NobodyEligible);
        let mut none = ok;
        none.intake_per_month = 0;
        assert!(Model::new(&agreement, none, &[], &[], limits()).is_ok(), "no arrivals need nobody");
        assert!(check_params(&ok).is_ok());
    }

    #[test]
    fn nearest_rank() {
        let mut values: Vec<i64> = (1..=20).rev().collect();
        assert_eq!(nearest_rank_percentiles(&mut values), Percentiles { p5: 1, p50: 10, p95: 19 });
        let mut one = vec![42];
        assert_eq!(nearest_rank_percentiles(&mut one), all(42));
        let mut hundred: Vec<i64> = (1..=101).collect();
        assert_eq!(nearest_rank_percentiles(&mut hundred), Percentiles { p5: 6, p50: 51, p95: 96 });
    }

    #[test]
    fn the_binomial_intake_has_the_mean_asked_for() {
        let mut rng = Rng::for_run(1, 0);
        let total: i64 = (0..1000).map(|_| rng.binomial_eighth(500)).sum();
        // Mean 500, standard deviation of the sum √(1000 · 437.5) ≈ 661.
        assert!((total - 500_000).abs() < 4_000, "{total}");
        assert_eq!(rng.binomial_eighth(0), 0);
    }

    #[test]
    fn a_candidate_is_held_until_the_return_is_due() {
        let agreement = Agreement::from_toml(CECOT).unwrap();
        let facts = SentenceFacts::Fixed { term_days: 1000, projected_release: day("2026-01-31") };
        let c = Candidate::from_facts(&agreement, facts, day("2025-06-01"), None).unwrap();
        // 244 days to release, 30 before it the return is due.
        assert_eq!(c.held_days, 244 - 30);
        assert_eq!(
            Candidate::from_facts(&agreement, SentenceFacts::Life, day("2025-06-01"), None).unwrap().held_days,
            u32::MAX
        );
        assert_eq!(Candidate::from_facts(&agreement, SentenceFacts::Unknown, day("2025-06-01"), None), None);
        let per_diem = &fee_models()[2];
        assert_eq!(Candidate::from_facts(per_diem, facts, day("2025-06-01"), None), None, "class rates need the class");
    }
}
