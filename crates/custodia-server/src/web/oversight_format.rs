//! Formatting shared by the invoice, sustainability, incident and inspection pages: moments (a
//! day for the language and the UTC time), percentages from basis points, whole currency units
//! for a chart's axis.

use custodia_core::Date;
use custodia_store::Timestamp;

use super::context::Web;

/// A stored RFC 3339 UTC moment as people read it: `11 January 2026, 08:00 UTC` (the text as
/// stored when it does not parse).
pub(crate) fn moment_text(web: &Web, rfc3339: &str) -> String {
    let day = rfc3339.get(..10).and_then(|d| Date::parse(d).ok());
    let time = rfc3339.get(11..16);
    match (day, time) {
        (Some(day), Some(time)) => web
            .ta("web-moment-utc", &[("day", custodia_i18n::format_date(web.lang, day).into()), ("time", time.into())]),
        _ => rfc3339.to_owned(),
    }
}

/// A moment in Unix seconds, as [`moment_text`].
pub(crate) fn moment_unix(web: &Web, seconds: i64) -> String {
    match Timestamp::from_unix_seconds(seconds) {
        Ok(at) => moment_text(web, at.as_str()),
        Err(_) => seconds.to_string(),
    }
}

/// Basis points as a percentage with two decimals and the language's decimal separator.
pub(crate) fn percent(web: &Web, basis_points: i64) -> String {
    let sign = if basis_points < 0 { "-" } else { "" };
    let bp = basis_points.unsigned_abs();
    let separator = match web.lang {
        custodia_i18n::Language::En => '.',
        custodia_i18n::Language::Es => ',',
    };
    format!("{sign}{}{separator}{:02} %", bp / 100, bp % 100)
}

/// Whole units of `currency` in `minor` minor units (rounded down), for a chart's axis.
pub(crate) fn whole_units(minor: i64, currency: &str) -> i64 {
    let digits = u32::from(custodia_core::codes::currency_minor_digits(currency).unwrap_or(2));
    minor / 10i64.pow(digits)
}

#[cfg(test)]
mod tests {
    use super::whole_units;

    #[test]
    fn whole_units_follow_the_currencys_minor_digits() {
        assert_eq!(whole_units(2_150_000, "USD"), 21_500);
        assert_eq!(whole_units(2_150_000, "JPY"), 2_150_000);
        assert_eq!(whole_units(-199, "EUR"), -1);
    }
}
