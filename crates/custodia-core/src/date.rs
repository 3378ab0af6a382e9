//! Civil dates (proleptic Gregorian), exact and total.
//!
//! Custodia never uses wall-clock time in its rules: a [`Date`] is a day number, and "today" is always
//! a parameter. Conversions use Howard Hinnant's `days_from_civil` algorithm; the supported range is
//! years 1..=9999 so every `YYYY-MM-DD` string round-trips.

use std::fmt;

/// A calendar date. Internally the number of days since 1970-01-01 (negative before it).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i32,
}

/// Day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weekday {
    /// Monday
    Monday,
    /// Tuesday
    Tuesday,
    /// Wednesday
    Wednesday,
    /// Thursday
    Thursday,
    /// Friday
    Friday,
    /// Saturday
    Saturday,
    /// Sunday
    Sunday,
}

/// Why a date string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not of the form `YYYY-MM-DD` with ASCII digits.
    #[error("must be a date written YYYY-MM-DD")]
    Format,
    /// Well formed, but the month has no such day (e.g. 2023-02-29, 2025-04-00).
    #[error("no such calendar day ({} {year} has {} days)", month_name(*.month), days_in_month(*.year, *.month))]
    NoSuchDay {
        /// The year written.
        year: i32,
        /// The month written (1..=12).
        month: u32,
    },
    /// Well formed, but no such month (00 or above 12).
    #[error("no such month: {month}")]
    NoSuchMonth {
        /// The month written.
        month: u32,
    },
    /// Well formed, but year 0000: the calendar starts at year 1.
    #[error("no such year: 0000 (years start at 0001)")]
    NoSuchYear,
    /// Arithmetic left the supported range (years 1..=9999).
    #[error("date outside the supported range 0001-01-01..9999-12-31")]
    OutOfRange,
}

/// 1970-01-01.
pub const EPOCH: Date = Date { days: 0 };

const MIN_YEAR: i32 = 1;
const MAX_YEAR: i32 = 9999;

/// True for Gregorian leap years.
pub const fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// The English name of `month` (1..=12), for messages; "month" out of range.
pub const fn month_name(month: u32) -> &'static str {
    match month {
        1 => "January",
        2 => "February",
        3 => "March",
        4 => "April",
        5 => "May",
        6 => "June",
        7 => "July",
        8 => "August",
        9 => "September",
        10 => "October",
        11 => "November",
        12 => "December",
        _ => "month",
    }
}

/// Number of days in `month` (1..=12) of `year`; 0 for a month out of range.
pub const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

const fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400; // [0, 399]
    let m = month as i32;
    let mp = if m > 2 { m - 3 } else { m + 9 }; // [0, 11]
    let doy = (153 * mp + 2) / 5 + day as i32 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

const fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

const MIN_DAYS: i32 = days_from_civil(MIN_YEAR, 1, 1);
const MAX_DAYS: i32 = days_from_civil(MAX_YEAR, 12, 31);

impl Date {
    /// The earliest supported date, 0001-01-01.
    pub const MIN: Date = Date { days: MIN_DAYS };
    /// The latest supported date, 9999-12-31.
    pub const MAX: Date = Date { days: MAX_DAYS };

    /// The date `year-month-day`, or an error if there is no such day in the supported range.
    pub const fn from_ymd(year: i32, month: u32, day: u32) -> Result<Self, DateError> {
        if year < MIN_YEAR || year > MAX_YEAR {
            return Err(DateError::OutOfRange);
        }
        if month < 1 || month > 12 {
            return Err(DateError::NoSuchMonth { month });
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(DateError::NoSuchDay { year, month });
        }
        Ok(Self { days: days_from_civil(year, month, day) })
    }

    /// Parses exactly `YYYY-MM-DD` (ten ASCII characters, no sign, no spaces).
    pub fn parse(text: &str) -> Result<Self, DateError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// Like [`Date::parse`], on raw bytes (for allocation-free CSV parsing).
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, DateError> {
        // Fast path for a valid date (the hot path of every person file); anything else goes
        // the long way below, which says what is wrong.
        if let &[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = bytes {
            let digit = |b: u8| u32::from(b.wrapping_sub(b'0'));
            let (y1, y2, y3, y4) = (digit(y1), digit(y2), digit(y3), digit(y4));
            let (m1, m2, d1, d2) = (digit(m1), digit(m2), digit(d1), digit(d2));
            // `&` rather than `&&`: one branch for all eight.
            let all_digits =
                (y1 < 10) & (y2 < 10) & (y3 < 10) & (y4 < 10) & (m1 < 10) & (m2 < 10) & (d1 < 10) & (d2 < 10);
            let year = (y1 * 1000 + y2 * 100 + y3 * 10 + y4) as i32;
            let (month, day) = (m1 * 10 + m2, d1 * 10 + d2);
            if all_digits
                && year >= MIN_YEAR
                && month.wrapping_sub(1) < 12
                && day >= 1
                && day <= days_in_month(year, month)
            {
                return Ok(Self { days: days_from_civil(year, month, day) });
            }
        }
        let &[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = bytes else {
            return Err(DateError::Format);
        };
        let digit = |b: u8| {
            if b.is_ascii_digit() { Ok(u32::from(b - b'0')) } else { Err(DateError::Format) }
        };
        let year = digit(y1)? * 1000 + digit(y2)? * 100 + digit(y3)? * 10 + digit(y4)?;
        let month = digit(m1)? * 10 + digit(m2)?;
        let day = digit(d1)? * 10 + digit(d2)?;
        // year < 10_000, so the cast is lossless.
        // Four digits cannot exceed 9999, so the only year out of range is 0000.
        Self::from_ymd(year as i32, month, day).map_err(|e| match e {
            DateError::OutOfRange => DateError::NoSuchYear,
            other => other,
        })
    }

    /// Days since 1970-01-01.
    pub const fn days_since_epoch(self) -> i32 {
        self.days
    }

    /// The date `days` days after 1970-01-01, if it is in range.
    pub const fn from_days_since_epoch(days: i64) -> Result<Self, DateError> {
        if days < MIN_DAYS as i64 || days > MAX_DAYS as i64 {
            return Err(DateError::OutOfRange);
        }
        Ok(Self { days: days as i32 })
    }

    /// (year, month, day).
    pub const fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }

    /// The year.
    pub const fn year(self) -> i32 {
        self.ymd().0
    }

    /// The month, 1..=12.
    pub const fn month(self) -> u32 {
        self.ymd().1
    }

    /// The day of the month, 1..=31.
    pub const fn day(self) -> u32 {
        self.ymd().2
    }

    /// The day of the week.
    pub const fn weekday(self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match (self.days as i64 + 3).rem_euclid(7) {
            0 => Weekday::Monday,
            1 => Weekday::Tuesday,
            2 => Weekday::Wednesday,
            3 => Weekday::Thursday,
            4 => Weekday::Friday,
            5 => Weekday::Saturday,
            _ => Weekday::Sunday,
        }
    }

    /// `self + days`, or an error outside the supported range.
    pub const fn add_days(self, days: i64) -> Result<Self, DateError> {
        Self::from_days_since_epoch(self.days as i64 + days)
    }

    /// `self − other` in days.
    pub const fn days_since(self, other: Date) -> i64 {
        self.days as i64 - other.days as i64
    }

    /// Adds calendar months, clamping a missing day to the month's last day
    /// (Jan 31 + 1 month = Feb 28 or 29), as docs/sentence.md step 1 requires.
    pub const fn add_months(self, months: i64) -> Result<Self, DateError> {
        Self::add_months_to_ymd(self.ymd(), months)
    }

    /// [`Date::add_months`] from an already split date, for callers that add several month counts
    /// to the same date (the sentence arithmetic does, per row).
    pub const fn add_months_to_ymd((y, m, d): (i32, u32, u32), months: i64) -> Result<Self, DateError> {
        let index = y as i64 * 12 + (m as i64 - 1) + months;
        let year = index.div_euclid(12);
        if year < MIN_YEAR as i64 || year > MAX_YEAR as i64 {
            return Err(DateError::OutOfRange);
        }
        let year = year as i32;
        let month = index.rem_euclid(12) as u32 + 1;
        let last = days_in_month(year, month);
        let day = if d > last { last } else { d };
        Self::from_ymd(year, month, day)
    }

    /// The `n`-th (1-based) given weekday of a month, e.g. the fourth Thursday of November.
    pub fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> Result<Self, DateError> {
        let first = Self::from_ymd(year, month, 1)?;
        let offset = (weekday as i64 - first.weekday() as i64).rem_euclid(7);
        let date = first.add_days(offset + 7 * (i64::from(n) - 1))?;
        if date.month() == month { Ok(date) } else { Err(DateError::NoSuchDay { year, month }) }
    }

    /// The last given weekday of a month, e.g. the last Monday of May.
    pub fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Result<Self, DateError> {
        let last = Self::from_ymd(year, month, days_in_month(year, month))?;
        let back = (last.weekday() as i64 - weekday as i64).rem_euclid(7);
        last.add_days(-back)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Date {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints_round_trip() {
        for s in ["0001-01-01", "1970-01-01", "2000-02-29", "2024-12-31", "9999-12-31"] {
            assert_eq!(d(s).to_string(), s);
        }
    }

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        assert_eq!(Date::parse("2023-02-29"), Err(DateError::NoSuchDay { year: 2023, month: 2 }));
        assert_eq!(Date::parse("1900-02-29"), Err(DateError::NoSuchDay { year: 1900, month: 2 }));
        assert_eq!(Date::parse("2024-13-01"), Err(DateError::NoSuchMonth { month: 13 }));
        assert_eq!(Date::parse("0000-01-01"), Err(DateError::NoSuchYear));
        for bad in ["2024-1-01", " 2024-01-01", "2024/01/01", "20240101", "", "2024-01-01T00", "+024-01-01"] {
            assert_eq!(Date::parse(bad), Err(DateError::Format), "{bad:?}");
        }
    }

    /// Issue 11: a well-formed but impossible date says which part does not exist.
    #[test]
    fn impossible_dates_say_no_such_day_or_month() {
        let message = |text: &str| Date::parse(text).unwrap_err().to_string();
        assert_eq!(message("2015-02-30"), "no such calendar day (February 2015 has 28 days)");
        assert_eq!(message("2024-02-30"), "no such calendar day (February 2024 has 29 days)");
        assert_eq!(message("2025-04-31"), "no such calendar day (April 2025 has 30 days)");
        assert_eq!(message("2025-01-00"), "no such calendar day (January 2025 has 31 days)");
        assert_eq!(message("2025-13-01"), "no such month: 13");
        assert_eq!(message("2025-00-10"), "no such month: 0");
        assert_eq!(message("0000-01-01"), "no such year: 0000 (years start at 0001)");
        assert_eq!(message("2025-1-01"), "must be a date written YYYY-MM-DD");
    }

    #[test]
    fn weekdays_are_right() {
        assert_eq!(d("1970-01-01").weekday(), Weekday::Thursday);
        assert_eq!(d("2033-07-09").weekday(), Weekday::Saturday);
        assert_eq!(d("2026-11-27").weekday(), Weekday::Friday);
        assert_eq!(d("1969-12-31").weekday(), Weekday::Wednesday);
    }

    #[test]
    fn add_months_clamps_to_month_end() {
        assert_eq!(d("2024-01-31").add_months(1).unwrap(), d("2024-02-29"));
        assert_eq!(d("2023-01-31").add_months(1).unwrap(), d("2023-02-28"));
        assert_eq!(d("2024-02-29").add_months(12).unwrap(), d("2025-02-28"));
        assert_eq!(d("2024-02-29").add_months(48).unwrap(), d("2028-02-29"));
        assert_eq!(d("2025-03-31").add_months(-1).unwrap(), d("2025-02-28"));
        assert_eq!(d("2018-03-08").add_months(67).unwrap(), d("2023-10-08"));
    }

    #[test]
    fn nth_and_last_weekday() {
        assert_eq!(Date::nth_weekday(2026, 11, Weekday::Thursday, 4).unwrap(), d("2026-11-26"));
        assert_eq!(Date::last_weekday(2026, 5, Weekday::Monday).unwrap(), d("2026-05-25"));
        assert!(Date::nth_weekday(2026, 2, Weekday::Monday, 5).is_err());
    }

    proptest! {
        #[test]
        fn civil_round_trip(days in MIN_DAYS..=MAX_DAYS) {
            let date = Date::from_days_since_epoch(i64::from(days)).unwrap();
            let (y, m, dd) = date.ymd();
            prop_assert_eq!(Date::from_ymd(y, m, dd).unwrap(), date);
            prop_assert_eq!(Date::parse(&date.to_string()).unwrap(), date);
        }

        #[test]
        fn every_well_formed_text_parses_as_from_ymd_says(y in 0i32..=9999, m in 0u32..=13, dd in 0u32..=32) {
            let expected = Date::from_ymd(y, m, dd).map_err(|e| match e {
                DateError::OutOfRange => DateError::NoSuchYear,
                other => other,
            });
            prop_assert_eq!(Date::parse(&format!("{y:04}-{m:02}-{dd:02}")), expected);
        }

        #[test]
        fn next_day_is_one_later(days in MIN_DAYS..MAX_DAYS) {
            let a = Date::from_days_since_epoch(i64::from(days)).unwrap();
            let b = a.add_days(1).unwrap();
            let (y, m, dd) = a.ymd();
            let expected = if dd < days_in_month(y, m) { (y, m, dd + 1) } else if m < 12 { (y, m + 1, 1) } else { (y + 1, 1, 1) };
            prop_assert_eq!(b.ymd(), expected);
        }
    }
}
