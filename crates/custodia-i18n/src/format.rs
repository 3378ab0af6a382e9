//! Dates and money for a language: English `5 December 2026` and `USD 1,234.56`; Spanish
//! `5 de diciembre de 2026` and `1.234,56 USD` (the separators of CLDR's `es` locale). Month names
//! come from the catalogues.

use custodia_core::codes::currency_minor_digits;
use custodia_core::date::Date;

use crate::{Arg, Language, text};

/// The name of `month` (1..=12) in `language`.
pub fn month_name(language: Language, month: u32) -> String {
    text(language, &format!("month-{month}"), &[])
}

/// A civil date written out for people.
pub fn format_date(language: Language, date: Date) -> String {
    let args = [
        ("day", Arg::Int(i64::from(date.day()))),
        ("month", Arg::Text(month_name(language, date.month()))),
        ("year", Arg::Text(date.year().to_string())),
    ];
    text(language, "date-long", &args)
}

/// `amount_minor` minor units of `currency` (ISO 4217; an unknown code is shown with two decimals).
pub fn format_money(language: Language, amount_minor: i64, currency: &str) -> String {
    let digits = usize::from(currency_minor_digits(currency).unwrap_or(2));
    let (group, decimal) = match language {
        Language::En => (',', '.'),
        Language::Es => ('.', ','),
    };
    let sign = if amount_minor < 0 { "-" } else { "" };
    let magnitude = amount_minor.unsigned_abs().to_string();
    let padded = format!("{magnitude:0>width$}", width = digits + 1);
    let (whole, fraction) = padded.split_at(padded.len() - digits);
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let number = if digits == 0 { grouped } else { format!("{grouped}{decimal}{fraction}") };
    match language {
        Language::En => format!("{sign}{currency} {number}"),
        Language::Es => format!("{sign}{number} {currency}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_out_in_each_language() {
        let date = Date::parse("2026-12-05").unwrap();
        assert_eq!(format_date(Language::En, date), "5 December 2026");
        assert_eq!(format_date(Language::Es, date), "5 de diciembre de 2026");
    }

    #[test]
    fn money_uses_the_separators_and_minor_digits_of_its_currency() {
        assert_eq!(format_money(Language::En, 123_456, "USD"), "USD 1,234.56");
        assert_eq!(format_money(Language::Es, 123_456, "USD"), "1.234,56 USD");
        assert_eq!(format_money(Language::En, -5, "EUR"), "-EUR 0.05");
        assert_eq!(format_money(Language::Es, 1_000_000, "JPY"), "1.000.000 JPY");
        assert_eq!(format_money(Language::En, 12_345, "KWD"), "KWD 12.345");
        assert_eq!(format_money(Language::En, i64::MIN, "USD"), "-USD 92,233,720,368,547,758.08");
    }

    #[test]
    fn every_month_has_a_name_in_both_languages() {
        for language in crate::LANGUAGES {
            for month in 1..=12 {
                assert!(crate::has(language, &format!("month-{month}")), "month-{month}");
            }
        }
    }
}
