//! US federal holidays of 5 U.S.C. 6103(a), on their observed dates, computed by rule.
//!
//! Used by the weekday rule of 18 U.S.C. 3624(a) (docs/sentence.md step 7): a release that falls on a
//! Saturday, Sunday or legal holiday happens on the last preceding weekday.
//!
//! Rules as in force since the Uniform Monday Holiday Act took effect (1 January 1971): Washington's
//! Birthday on the third Monday of February, Memorial Day the last Monday of May, Columbus Day the
//! second Monday of October, and Veterans Day on the fourth Monday of October from 1971 to 1977 and on
//! 11 November again from 1978 (Pub. L. 94-97). Birthday of Martin Luther King Jr. (third Monday of
//! January) from 1986 (Pub. L. 98-144); Juneteenth (19 June) from 2021 (Pub. L. 117-17). A holiday on
//! a Saturday is observed the Friday before — across a year end too: 1 January 2022 was observed on
//! 31 December 2021 — and one on a Sunday the Monday after (5 U.S.C. 6103(b), Executive Order 11582).
//! Inauguration Day and closures by executive order are not holidays under 6103(a) and are excluded.
//! Dates before 1971 are computed with the same modern rules; no sentence the register handles
//! releases before then.

use crate::date::{Date, Weekday};

/// One of the eleven holidays of 5 U.S.C. 6103(a).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FederalHoliday {
    /// 1 January.
    NewYearsDay,
    /// Third Monday of January, from 1986.
    MartinLutherKingJrDay,
    /// Third Monday of February.
    WashingtonsBirthday,
    /// Last Monday of May.
    MemorialDay,
    /// 19 June, from 2021.
    Juneteenth,
    /// 4 July.
    IndependenceDay,
    /// First Monday of September.
    LaborDay,
    /// Second Monday of October.
    ColumbusDay,
    /// 11 November (fourth Monday of October 1971–1977).
    VeteransDay,
    /// Fourth Thursday of November.
    ThanksgivingDay,
    /// 25 December.
    ChristmasDay,
}

fn observed(date: Date) -> Option<Date> {
    match date.weekday() {
        Weekday::Saturday => date.add_days(-1).ok(),
        Weekday::Sunday => date.add_days(1).ok(),
        _ => Some(date),
    }
}

fn fixed(year: i32, month: u32, day: u32) -> Option<Date> {
    Date::from_ymd(year, month, day).ok().and_then(observed)
}

impl FederalHoliday {
    /// All eleven, in calendar order.
    pub const ALL: [FederalHoliday; 11] = [
        Self::NewYearsDay,
        Self::MartinLutherKingJrDay,
        Self::WashingtonsBirthday,
        Self::MemorialDay,
        Self::Juneteenth,
        Self::IndependenceDay,
        Self::LaborDay,
        Self::ColumbusDay,
        Self::VeteransDay,
        Self::ThanksgivingDay,
        Self::ChristmasDay,
    ];

    /// The statutory name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::NewYearsDay => "New Year's Day",
            Self::MartinLutherKingJrDay => "Birthday of Martin Luther King, Jr.",
            Self::WashingtonsBirthday => "Washington's Birthday",
            Self::MemorialDay => "Memorial Day",
            Self::Juneteenth => "Juneteenth National Independence Day",
            Self::IndependenceDay => "Independence Day",
            Self::LaborDay => "Labor Day",
            Self::ColumbusDay => "Columbus Day",
            Self::VeteransDay => "Veterans Day",
            Self::ThanksgivingDay => "Thanksgiving Day",
            Self::ChristmasDay => "Christmas Day",
        }
    }

    /// The observed date of this holiday for `year`'s occurrence, or `None` if it did not exist
    /// that year. New Year's Day of `year` may be observed on 31 December of `year − 1`.
    pub fn observed_in(self, year: i32) -> Option<Date> {
        match self {
            Self::NewYearsDay => fixed(year, 1, 1),
            Self::MartinLutherKingJrDay if year >= 1986 => Date::nth_weekday(year, 1, Weekday::Monday, 3).ok(),
            Self::MartinLutherKingJrDay => None,
            Self::WashingtonsBirthday => Date::nth_weekday(year, 2, Weekday::Monday, 3).ok(),
            Self::MemorialDay => Date::last_weekday(year, 5, Weekday::Monday).ok(),
            Self::Juneteenth if year >= 2021 => fixed(year, 6, 19),
            Self::Juneteenth => None,
            Self::IndependenceDay => fixed(year, 7, 4),
            Self::LaborDay => Date::nth_weekday(year, 9, Weekday::Monday, 1).ok(),
            Self::ColumbusDay => Date::nth_weekday(year, 10, Weekday::Monday, 2).ok(),
            Self::VeteransDay if (1971..=1977).contains(&year) => Date::nth_weekday(year, 10, Weekday::Monday, 4).ok(),
            Self::VeteransDay => fixed(year, 11, 11),
            Self::ThanksgivingDay => Date::nth_weekday(year, 11, Weekday::Thursday, 4).ok(),
            Self::ChristmasDay => fixed(year, 12, 25),
        }
    }
}

/// The federal holiday observed on `date`, if any.
pub fn federal_holiday_on(date: Date) -> Option<FederalHoliday> {
    use FederalHoliday::*;
    let (year, month, day) = date.ymd();
    // 31 December may be the observed New Year's Day of the following year.
    if (month, day) == (12, 31) && NewYearsDay.observed_in(year + 1) == Some(date) {
        return Some(NewYearsDay);
    }
    // Every holiday is observed within a few days of a fixed date or in a seven-day window (the
    // n-th or last weekday of its month), so most days are ruled out without computing any
    // holiday: this is on the screening hot path.
    let possible = match month {
        1 => day <= 2 || (15..=21).contains(&day),
        2 => (15..=21).contains(&day),
        5 => day >= 25,
        6 => (18..=20).contains(&day),
        7 => (3..=5).contains(&day),
        9 => day <= 7,
        10 => (8..=14).contains(&day) || (22..=28).contains(&day),
        11 => (10..=12).contains(&day) || (22..=28).contains(&day),
        12 => (24..=26).contains(&day),
        _ => false,
    };
    if !possible {
        return None;
    }
    // Observance never moves a holiday into another month (except New Year's Day, handled above),
    // so only the month's own holidays need computing.
    let candidates: &[FederalHoliday] = match month {
        1 => &[NewYearsDay, MartinLutherKingJrDay],
        2 => &[WashingtonsBirthday],
        5 => &[MemorialDay],
        6 => &[Juneteenth],
        7 => &[IndependenceDay],
        9 => &[LaborDay],
        10 => &[ColumbusDay, VeteransDay],
        11 => &[VeteransDay, ThanksgivingDay],
        12 => &[ChristmasDay],
        _ => &[],
    };
    candidates.iter().copied().find(|h| h.observed_in(year) == Some(date))
}

/// True on Saturdays, Sundays and observed federal holidays.
pub fn is_non_business_day(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) || federal_holiday_on(date).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn new_year_on_saturday_is_observed_the_friday_before_across_the_year_end() {
        assert_eq!(federal_holiday_on(d("2021-12-31")), Some(FederalHoliday::NewYearsDay));
        assert_eq!(federal_holiday_on(d("2022-01-01")), None); // a Saturday, not itself the holiday
        assert!(is_non_business_day(d("2022-01-01")));
        assert_eq!(federal_holiday_on(d("2020-12-31")), None);
    }

    #[test]
    fn sunday_holiday_is_observed_on_monday() {
        // 4 July 2021 was a Sunday.
        assert_eq!(federal_holiday_on(d("2021-07-05")), Some(FederalHoliday::IndependenceDay));
        // Christmas 2022 was a Sunday.
        assert_eq!(federal_holiday_on(d("2022-12-26")), Some(FederalHoliday::ChristmasDay));
    }

    #[test]
    fn juneteenth_only_from_2021() {
        assert_eq!(federal_holiday_on(d("2020-06-19")), None);
        assert_eq!(federal_holiday_on(d("2021-06-18")), Some(FederalHoliday::Juneteenth));
        assert_eq!(federal_holiday_on(d("2023-06-19")), Some(FederalHoliday::Juneteenth));
    }

    #[test]
    fn floating_holidays_2026() {
        let expect = [
            ("2026-01-01", FederalHoliday::NewYearsDay),
            ("2026-01-19", FederalHoliday::MartinLutherKingJrDay),
            ("2026-02-16", FederalHoliday::WashingtonsBirthday),
            ("2026-05-25", FederalHoliday::MemorialDay),
            ("2026-06-19", FederalHoliday::Juneteenth),
            ("2026-07-03", FederalHoliday::IndependenceDay),
            ("2026-09-07", FederalHoliday::LaborDay),
            ("2026-10-12", FederalHoliday::ColumbusDay),
            ("2026-11-11", FederalHoliday::VeteransDay),
            ("2026-11-26", FederalHoliday::ThanksgivingDay),
            ("2026-12-25", FederalHoliday::ChristmasDay),
        ];
        for (date, holiday) in expect {
            assert_eq!(federal_holiday_on(d(date)), Some(holiday), "{date}");
        }
        let count = (0..365).filter(|i| federal_holiday_on(d("2026-01-01").add_days(*i).unwrap()).is_some()).count();
        assert_eq!(count, 11);
    }

    #[test]
    fn month_shortcut_agrees_with_every_holiday_every_year() {
        for year in 1971..=2100 {
            for holiday in FederalHoliday::ALL {
                if let Some(date) = holiday.observed_in(year) {
                    assert_eq!(federal_holiday_on(date), Some(holiday), "{date}");
                }
            }
            let mut day = Date::from_ymd(year, 1, 1).unwrap();
            let mut count = 0;
            while day.year() == year {
                if let Some(h) = federal_holiday_on(day) {
                    count += 1;
                    let in_this_year = h.observed_in(year) == Some(day) || h.observed_in(year + 1) == Some(day);
                    assert!(in_this_year, "{day} {h:?}");
                }
                day = day.add_days(1).unwrap();
            }
            // Ten holidays before 1986, eleven from 2021; New Year's Day may be observed in the year before.
            assert!((8..=12).contains(&count), "{year}: {count}");
        }
    }

    #[test]
    fn mlk_day_from_1986_and_veterans_day_in_october_1971_to_1977() {
        assert_eq!(federal_holiday_on(d("1985-01-21")), None);
        assert_eq!(federal_holiday_on(d("1986-01-20")), Some(FederalHoliday::MartinLutherKingJrDay));
        assert_eq!(federal_holiday_on(d("1975-10-27")), Some(FederalHoliday::VeteransDay));
        assert_eq!(federal_holiday_on(d("1975-11-11")), None);
    }
}
