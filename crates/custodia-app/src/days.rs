//! The facility's days (docs/lifecycle.md#days): which calendar day an instant falls on, for the
//! rules that count in days (stays, deadlines, alerts, invoice periods).
//!
//! Instants are kept in UTC everywhere (the journal, `occurred_at`, `sent_at`); a day is always
//! the calendar day of an instant in a facility's IANA time zone, never the UTC date. Every edge
//! that needs "today" when no day is given asks [`App::today_at`].

use custodia_core::Date;
use custodia_core::agreement::Agreement;
use custodia_core::zone::TimeZone;
use custodia_store::Timestamp;

use crate::App;
use crate::access::Principal;
use crate::error::AppResult;

/// The zone of a facility of the agreement, or, with no facility (or one the agreement does not
/// name), the agreement's default zone (its first facility's).
pub fn zone_of(agreement: &Agreement, facility_id: Option<&str>) -> TimeZone {
    match facility_id.and_then(|f| agreement.facility(f)) {
        Some(f) => f.time_zone.clone(),
        None => agreement.default_time_zone(),
    }
}

/// The calendar day of `now` in the facility's zone ([`zone_of`]).
pub fn today_in(agreement: &Agreement, facility_id: Option<&str>, now: &Timestamp) -> Date {
    zone_of(agreement, facility_id).local_date(now.unix_seconds())
}

impl App {
    /// Today at a facility of an agreement in the caller's scope: the calendar day of `now` in the
    /// facility's time zone, or in the agreement's default zone (its first facility's) when no
    /// facility is given. The default day of `custodia alerts`, `GET /api/v1/alerts` and the
    /// legal-basis report.
    pub async fn today_at(
        &self,
        who: &Principal,
        agreement_id: &str,
        facility_id: Option<&str>,
        now: &Timestamp,
    ) -> AppResult<Date> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        Ok(today_in(&agreement, facility_id, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGREEMENT: &str = r#"
id = "xx-days"
title = "Days"
sending_state = "US"
receiving_state = "SV"
legal_custodian = "sending"
governing_law = "sending"
currency = "USD"
starts = 2025-01-01
ends = 2025-12-31
sentence_profile = "us-federal"
[[facilities]]
id = "f1"
name = "Facility one"
country = "SV"
stated_capacity = 100
contracted_places = 50
time_zone = "America/El_Salvador"
[[facilities]]
id = "f2"
name = "Facility two"
country = "SV"
stated_capacity = 100
contracted_places = 50
[fees]
model = "per_diem"
rate_minor = 10000
"#;

    #[test]
    fn today_is_the_facility_day_not_the_utc_date() {
        let agreement = Agreement::from_toml(AGREEMENT).unwrap();
        let now = Timestamp::parse("2025-04-01T01:00:00Z").unwrap(); // 19:00 on 31 March in San Salvador
        let march_31 = Date::parse("2025-03-31").unwrap();
        assert_eq!(today_in(&agreement, Some("f1"), &now), march_31);
        assert_eq!(today_in(&agreement, Some("f2"), &now), Date::parse("2025-04-01").unwrap(), "f2 keeps UTC");
        assert_eq!(today_in(&agreement, None, &now), march_31, "the first facility's zone by default");
        assert_eq!(today_in(&agreement, Some("nowhere"), &now), march_31);
    }
}
