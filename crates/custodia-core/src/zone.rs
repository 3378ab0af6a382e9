//! A facility's days (docs/lifecycle.md#days): the calendar day of an instant in an IANA time zone.
//!
//! Instants are seconds since 1970-01-01T00:00:00Z; the time-zone rules are the IANA database
//! bundled into the binary (no file is read, no clock is asked), so the same instant always gives
//! the same day for the same zone.

use std::fmt;

use crate::date::Date;

/// The longest time-zone name accepted, in bytes.
pub const MAX_ZONE_NAME_BYTES: usize = 64;

/// An IANA time zone (`America/El_Salvador`, `Europe/Oslo`, `UTC`).
#[derive(Clone)]
pub struct TimeZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl TimeZone {
    /// The zone with this IANA name; an unknown name is an error naming it.
    pub fn parse(name: &str) -> Result<Self, String> {
        if name.is_empty() || name.len() > MAX_ZONE_NAME_BYTES {
            return Err(format!("must be an IANA time-zone name such as America/El_Salvador (got {name:?})"));
        }
        match jiff::tz::TimeZone::get(name) {
            Ok(zone) => Ok(Self { name: name.to_owned(), zone }),
            Err(_) => Err(format!("{name:?} is not an IANA time-zone name (such as America/El_Salvador or UTC)")),
        }
    }

    /// Coordinated Universal Time.
    pub fn utc() -> Self {
        Self { name: "UTC".to_owned(), zone: jiff::tz::TimeZone::UTC }
    }

    /// The IANA name, as written in the agreement.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone's offset from UTC at an instant, in seconds (−21600 for San Salvador).
    pub fn offset_seconds_at(&self, unix_seconds: i64) -> i64 {
        match jiff::Timestamp::from_second(unix_seconds) {
            Ok(ts) => i64::from(self.zone.to_offset(ts).seconds()),
            Err(_) => 0,
        }
    }

    /// The calendar day, in this zone, of an instant (seconds since the Unix epoch). An instant
    /// outside the supported years (−9999 to 9999) gives the nearest supported day.
    pub fn local_date(&self, unix_seconds: i64) -> Date {
        let local = unix_seconds.saturating_add(self.offset_seconds_at(unix_seconds));
        let days = local.div_euclid(86_400);
        Date::from_days_since_epoch(days).unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
    }

    /// The first instant of `date` in this zone (its local midnight, or the first instant after a
    /// transition that skips midnight).
    pub fn start_of_day(&self, date: Date) -> i64 {
        let midnight_utc = i64::from(date.days_since_epoch()) * 86_400;
        // The offset at local midnight is the offset at (midnight − offset); two rounds settle it
        // except across a transition, where the later instant is the day's first.
        let mut guess = midnight_utc - self.offset_seconds_at(midnight_utc);
        for _ in 0..2 {
            guess = midnight_utc - self.offset_seconds_at(guess);
        }
        while self.local_date(guess) < date {
            guess += 3600;
        }
        while guess > i64::MIN + 3600 && self.local_date(guess - 1) >= date {
            guess -= 1;
        }
        guess
    }

    /// The last second of `date` in this zone.
    pub fn end_of_day(&self, date: Date) -> i64 {
        match date.add_days(1) {
            Ok(next) => self.start_of_day(next) - 1,
            Err(_) => self.start_of_day(date) + 86_399,
        }
    }
}

impl PartialEq for TimeZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for TimeZone {}

impl fmt::Debug for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZone({})", self.name)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    /// docs/lifecycle.md#days: a release at 19:00 on 31 March in San Salvador (UTC−6) is a March
    /// release, although it is 1 April in UTC.
    #[test]
    fn an_evening_in_san_salvador_is_still_that_day() {
        let sv = TimeZone::parse("America/El_Salvador").unwrap();
        let release = i64::from(day("2025-04-01").days_since_epoch()) * 86_400 + 3_600; // 01:00Z
        assert_eq!(sv.local_date(release), day("2025-03-31"));
        assert_eq!(TimeZone::utc().local_date(release), day("2025-04-01"));
        assert_eq!(sv.offset_seconds_at(release), -21_600);
    }

    #[test]
    fn days_start_at_local_midnight_also_across_summer_time() {
        let oslo = TimeZone::parse("Europe/Oslo").unwrap();
        for text in ["2025-01-15", "2025-03-30", "2025-03-31", "2025-10-26", "2025-07-01"] {
            let d = day(text);
            let start = oslo.start_of_day(d);
            assert_eq!(oslo.local_date(start), d, "{text}");
            assert_eq!(oslo.local_date(start - 1), d.add_days(-1).unwrap(), "{text}");
            assert_eq!(oslo.local_date(oslo.end_of_day(d)), d, "{text}");
            assert_eq!(oslo.local_date(oslo.end_of_day(d) + 1), d.add_days(1).unwrap(), "{text}");
        }
        // 30 March 2025 had 23 hours in Oslo, 26 October 25.
        assert_eq!(oslo.end_of_day(day("2025-03-30")) + 1 - oslo.start_of_day(day("2025-03-30")), 23 * 3600);
        assert_eq!(oslo.end_of_day(day("2025-10-26")) + 1 - oslo.start_of_day(day("2025-10-26")), 25 * 3600);
    }

    #[test]
    fn unknown_names_are_refused_with_the_name() {
        assert!(TimeZone::parse("Mars/Olympus").unwrap_err().contains("\"Mars/Olympus\""));
        assert!(TimeZone::parse("").is_err());
        assert!(TimeZone::parse(&"A".repeat(65)).is_err());
        assert_eq!(TimeZone::parse("UTC").unwrap(), TimeZone::utc());
    }
}
