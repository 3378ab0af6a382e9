//! Release-date arithmetic, docs/sentence.md.
//!
//! Profile `us-federal` follows 18 U.S.C. 3585 (commencement and prior-custody credit), 3624(b) as
//! amended by the First Step Act (up to 54 days of good conduct time per year of the sentence
//! imposed, prorated for a partial final year, only for terms of more than one year) and 3624(a)
//! (release on the last preceding weekday). Profile `two-thirds` is the Nordic/Dutch conditional
//! release after two thirds of the term.

use crate::date::{Date, DateError};
use crate::holidays::is_non_business_day;
use crate::term::{FixedTerm, Term};

/// The default good-conduct-time rate, days per year (18 U.S.C. 3624(b)(1)).
pub const DEFAULT_GCT_RATE: u32 = 54;
/// Largest accepted GCT rate (a year has 365 days; more would make GCT exceed the time served).
pub const MAX_GCT_RATE: u32 = 365;
/// Largest accepted jail credit or disallowed-GCT figure, in days (about 27 000 years: a limit, not a policy).
pub const MAX_CREDIT_DAYS: u32 = 9_999_999;

/// Which release rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SentenceProfile {
    /// US federal: good conduct time and the weekday rule.
    UsFederal,
    /// Conditional release after two thirds of the term.
    TwoThirds,
}

impl SentenceProfile {
    /// Every profile, for help texts and error messages.
    pub const ALL: [SentenceProfile; 2] = [Self::UsFederal, Self::TwoThirds];

    /// The name used in files and on the command line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UsFederal => "us-federal",
            Self::TwoThirds => "two-thirds",
        }
    }

    /// Parses `us-federal` or `two-thirds`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// Inputs of the computation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentenceInput {
    /// Commencement date `S` (day 1 of the sentence).
    pub start: Date,
    /// The term imposed.
    pub term: Term,
    /// Prior-custody credit `J`, days.
    pub jail_credit_days: u32,
    /// GCT rate `r`, days per year (54, or 42 without education progress).
    pub gct_rate: u32,
    /// GCT disallowed `X`, days.
    pub gct_disallowed_days: u32,
    /// Which rules apply.
    pub profile: SentenceProfile,
}

impl SentenceInput {
    /// A `us-federal` input with the default rate and no credit.
    pub fn new(start: Date, term: Term) -> Self {
        Self {
            start,
            term,
            jail_credit_days: 0,
            gct_rate: DEFAULT_GCT_RATE,
            gct_disallowed_days: 0,
            profile: SentenceProfile::UsFederal,
        }
    }
}

/// The computed dates. For life sentences every date but the start is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentenceDates {
    /// `S`.
    pub start_date: Date,
    /// `FT`, the last day of the full term.
    pub full_term_date: Option<Date>,
    /// `FT − J`.
    pub adjusted_full_term_date: Option<Date>,
    /// Good conduct time applied, days.
    pub gct_days: u32,
    /// `R`, not clamped: it may precede the start.
    pub statutory_release_date: Option<Date>,
    /// The date the person actually goes free.
    pub projected_release_date: Option<Date>,
    /// The release was due at or before commencement (`R < S`).
    pub already_due: bool,
}

/// Why a computation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SentenceError {
    /// A date left the supported range (a term too long for the calendar).
    #[error("the term ends outside the supported calendar (0001-01-01..9999-12-31)")]
    OutOfRange,
    /// GCT rate above [`MAX_GCT_RATE`].
    #[error("gct rate must be between 0 and 365 days per year")]
    GctRate,
    /// Jail credit or disallowed days above [`MAX_CREDIT_DAYS`].
    #[error("credit must be at most 9999999 days")]
    Credit,
}

impl From<DateError> for SentenceError {
    fn from(_: DateError) -> Self {
        Self::OutOfRange
    }
}

/// `FT`: the last day of the full term (the commencement day is day 1).
pub fn full_term_date(start: Date, term: &FixedTerm) -> Result<Date, SentenceError> {
    full_term_date_from(start, start.ymd(), term)
}

/// [`full_term_date`] with `start` already split into (year, month, day).
fn full_term_date_from(start: Date, start_ymd: (i32, u32, u32), term: &FixedTerm) -> Result<Date, SentenceError> {
    let end = if term.day_only {
        start.add_days(i64::from(term.days) - 1)?
    } else {
        Date::add_months_to_ymd(start_ymd, term.total_months())?.add_days(i64::from(term.days) - 1)?
    };
    Ok(end)
}

/// Whether a term is "more than one year" (docs/sentence.md step 3): months/years terms iff
/// `FT ≥ add_months(S, 12)`, day-only terms iff `days > 365`.
///
/// This is a cliff in the statute: a term of a year and a day earns 54 days of GCT and so releases
/// earlier than a term of exactly one year, which earns none.
pub fn qualifies_for_gct(start: Date, term: &FixedTerm, full_term: Date) -> Result<bool, SentenceError> {
    qualifies_for_gct_from(start.ymd(), term, full_term)
}

fn qualifies_for_gct_from(
    start_ymd: (i32, u32, u32),
    term: &FixedTerm,
    full_term: Date,
) -> Result<bool, SentenceError> {
    Ok(if term.day_only {
        term.days > 365
    } else {
        // Thirteen months or more always exceed a year: add_months is strictly increasing.
        term.total_months() >= 13 || full_term >= Date::add_months_to_ymd(start_ymd, 12)?
    })
}

/// Good conduct time before disallowance (docs/sentence.md steps 3–5): `W·r + floor(P·r/365)`, or 0 for
/// terms of one year or less.
pub fn good_conduct_time(start: Date, term: &FixedTerm, full_term: Date, rate: u32) -> Result<u32, SentenceError> {
    good_conduct_time_from(start.ymd(), term, full_term, rate)
}

fn good_conduct_time_from(
    start_ymd: (i32, u32, u32),
    term: &FixedTerm,
    full_term: Date,
    rate: u32,
) -> Result<u32, SentenceError> {
    if !qualifies_for_gct_from(start_ymd, term, full_term)? {
        return Ok(0);
    }
    let rate = i64::from(rate);
    let (whole_years, partial_days) = if term.day_only {
        (i64::from(term.days / 365), i64::from(term.days % 365))
    } else {
        // Largest k with add_months(S, 12k) ≤ FT + 1. It is at least ⌊M/12⌋, because
        // add_months(S, 12·⌊M/12⌋) ≤ add_months(S, M) ≤ FT + 1; step up while the next anniversary
        // still fits (more than once only when the days of an `<n>m<n>d` term span years). An
        // anniversary beyond the calendar does not fit.
        let day_after = full_term.add_days(1)?;
        let mut k = term.total_months() / 12;
        let mut anniversary = Date::add_months_to_ymd(start_ymd, 12 * k)?;
        while let Ok(next) = Date::add_months_to_ymd(start_ymd, 12 * (k + 1)) {
            if next > day_after {
                break;
            }
            k += 1;
            anniversary = next;
        }
        (k, day_after.days_since(anniversary))
    };
    let gct = whole_years * rate + partial_days * rate / 365;
    u32::try_from(gct).map_err(|_| SentenceError::OutOfRange)
}

/// Steps back over Saturdays, Sundays and observed federal holidays, never before `start`
/// (18 U.S.C. 3624(a); docs/sentence.md step 7).
pub fn last_preceding_business_day(date: Date, start: Date) -> Result<Date, SentenceError> {
    let mut day = date;
    while is_non_business_day(day) {
        if day <= start {
            return Ok(start);
        }
        day = day.add_days(-1)?;
    }
    Ok(day.max(start))
}

/// Computes the release dates of docs/sentence.md for either profile.
pub fn compute(input: &SentenceInput) -> Result<SentenceDates, SentenceError> {
    if input.gct_rate > MAX_GCT_RATE {
        return Err(SentenceError::GctRate);
    }
    if input.jail_credit_days > MAX_CREDIT_DAYS || input.gct_disallowed_days > MAX_CREDIT_DAYS {
        return Err(SentenceError::Credit);
    }
    let start = input.start;
    let term = match input.term {
        Term::Life => {
            return Ok(SentenceDates {
                start_date: start,
                full_term_date: None,
                adjusted_full_term_date: None,
                gct_days: 0,
                statutory_release_date: None,
                projected_release_date: None,
                already_due: false,
            });
        }
        Term::Fixed(term) => term,
    };
    let credit = i64::from(input.jail_credit_days);
    // Split once: the full term and good conduct time both add months to the start.
    let start_ymd = start.ymd();
    let full_term = full_term_date_from(start, start_ymd, &term)?;
    let adjusted = full_term.add_days(-credit)?;
    let (gct_days, statutory, projected, already_due) = match input.profile {
        SentenceProfile::UsFederal => {
            let gct = good_conduct_time_from(start_ymd, &term, full_term, input.gct_rate)?;
            let applied = gct - input.gct_disallowed_days.min(gct);
            let statutory = adjusted.add_days(-i64::from(applied))?;
            if statutory < start {
                (applied, statutory, start, true)
            } else {
                (applied, statutory, last_preceding_business_day(statutory, start)?, false)
            }
        }
        SentenceProfile::TwoThirds => {
            let total_days = full_term.days_since(start) + 1;
            let two_thirds = (2 * total_days + 2) / 3; // ceil(2T/3)
            let statutory = start.add_days(two_thirds - 1 - credit)?;
            (0, statutory, statutory.max(start), statutory < start)
        }
    };
    Ok(SentenceDates {
        start_date: start,
        full_term_date: Some(full_term),
        adjusted_full_term_date: Some(adjusted),
        gct_days,
        statutory_release_date: Some(statutory),
        projected_release_date: Some(projected),
        already_due,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn fed(start: &str, term: &str, credit: u32) -> SentenceDates {
        compute(&SentenceInput { jail_credit_days: credit, ..SentenceInput::new(d(start), Term::parse(term).unwrap()) })
            .unwrap()
    }

    #[test]
    fn sixty_months_from_2025() {
        let r = fed("2025-01-01", "60m", 0);
        assert_eq!(r.full_term_date, Some(d("2029-12-31")));
        assert_eq!(r.gct_days, 270);
        assert_eq!(r.projected_release_date, Some(d("2029-04-05")));
    }

    #[test]
    fn catlin_v_hudson() {
        assert_eq!(fed("2018-03-08", "67m", 337).gct_days, 301);
    }

    #[test]
    fn weekday_rule_never_steps_before_start() {
        // 2022-01-01 is a Saturday; a one-day term starting then releases that day.
        let r = fed("2022-01-01", "1d", 0);
        assert_eq!(r.projected_release_date, Some(d("2022-01-01")));
        assert!(!r.already_due);
    }

    #[test]
    fn a_year_and_a_day_releases_before_a_year() {
        // The statutory cliff: 12 months earns no GCT, 12 months and a day earns 54 days.
        let year = fed("2025-01-01", "12m", 0);
        let year_and_day = fed("2025-01-01", "12m1d", 0);
        assert_eq!(year.gct_days, 0);
        assert_eq!(year_and_day.gct_days, 54);
        assert!(year_and_day.projected_release_date < year.projected_release_date);
    }

    #[test]
    fn rejects_out_of_range_inputs() {
        let mut input = SentenceInput::new(d("2025-01-01"), Term::parse("5y").unwrap());
        input.gct_rate = 366;
        assert_eq!(compute(&input), Err(SentenceError::GctRate));
        let input = SentenceInput::new(d("9999-01-01"), Term::parse("5y").unwrap());
        assert_eq!(compute(&input), Err(SentenceError::OutOfRange));
    }

    fn arb_term() -> impl Strategy<Value = FixedTerm> {
        prop_oneof![
            (0u32..60, 0u32..40, 0u32..400)
                .prop_filter("non-zero", |(y, m, dd)| y + m + dd > 0)
                .prop_map(|(years, months, days)| FixedTerm { years, months, days, day_only: false }),
            (1u32..20_000).prop_map(|days| FixedTerm { years: 0, months: 0, days, day_only: true }),
        ]
    }

    fn arb_input() -> impl Strategy<Value = SentenceInput> {
        (
            (-5_000i64..40_000),
            arb_term(),
            0u32..5_000,
            prop_oneof![Just(54u32), Just(42u32), 0u32..=365],
            0u32..400,
            prop_oneof![Just(SentenceProfile::UsFederal), Just(SentenceProfile::TwoThirds)],
        )
            .prop_map(|(start, term, credit, rate, disallowed, profile)| SentenceInput {
                start: Date::from_days_since_epoch(start).unwrap(),
                term: Term::Fixed(term),
                jail_credit_days: credit,
                gct_rate: rate,
                gct_disallowed_days: disallowed,
                profile,
            })
    }

    proptest! {
        #[test]
        fn release_within_full_term_and_not_before_start(input in arb_input()) {
            let r = compute(&input).unwrap();
            let release = r.projected_release_date.unwrap();
            prop_assert!(release >= input.start);
            prop_assert!(release <= r.full_term_date.unwrap());
            prop_assert_eq!(r.already_due, r.statutory_release_date.unwrap() < input.start);
        }

        #[test]
        fn release_does_not_decrease_when_the_term_grows(input in arb_input(), extra_days in 0u32..800, extra_months in 0u32..30) {
            let Term::Fixed(term) = input.term else { unreachable!() };
            let longer = if term.day_only {
                FixedTerm { days: term.days + extra_days, ..term }
            } else {
                FixedTerm { months: term.months + extra_months, days: term.days + extra_days, ..term }
            };
            let a = compute(&input).unwrap();
            let b = compute(&SentenceInput { term: Term::Fixed(longer), ..input }).unwrap();
            // Across the one-year GCT threshold release moves earlier by law (see qualifies_for_gct);
            // the property holds on each side of it.
            let qualifies = |t: &FixedTerm| qualifies_for_gct(input.start, t, full_term_date(input.start, t).unwrap()).unwrap();
            prop_assume!(input.profile == SentenceProfile::TwoThirds || qualifies(&term) == qualifies(&longer));
            prop_assert!(b.projected_release_date >= a.projected_release_date, "{:?} -> {:?}", a, b);
        }

        #[test]
        fn more_credit_never_delays_release(input in arb_input(), more in 0u32..1000) {
            let a = compute(&input).unwrap();
            let b = compute(&SentenceInput { jail_credit_days: input.jail_credit_days + more, ..input }).unwrap();
            prop_assert!(b.projected_release_date <= a.projected_release_date);
        }

        #[test]
        fn life_has_no_dates(start in -5_000i64..40_000) {
            let r = compute(&SentenceInput::new(Date::from_days_since_epoch(start).unwrap(), Term::Life)).unwrap();
            prop_assert_eq!(r.projected_release_date, None);
            prop_assert_eq!(r.gct_days, 0);
            prop_assert!(!r.already_due);
        }
    }
}
