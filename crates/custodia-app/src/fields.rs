//! Checks of request fields shared by every use case (and the server's own wire fields), so a
//! field is refused with the same words whichever edge it came through. The limits are listed in
//! ARCHITECTURE.md ("Everything has a limit").

use custodia_i18n::Text;

use crate::error::{AppError, AppResult};

/// Most bytes of a short text: a reference, an authority, a commitment order.
pub const MAX_SHORT_TEXT_BYTES: usize = 200;
/// Most bytes of an identifier given by a state (a person id, an inmate number).
pub const MAX_ID_BYTES: usize = 256;
/// Most bytes of a note: a reason, evidence, what an admission record says.
pub const MAX_NOTE_BYTES: usize = 2_000;

/// A required, non-empty text field of at most `max` bytes, trimmed.
pub fn required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::invalid(field, required()));
    }
    at_most(field, value, max)?;
    Ok(trimmed.to_owned())
}

/// A text field of at most `max` bytes, kept as written (it may be empty).
pub fn at_most(field: &str, value: &str, max: usize) -> AppResult<()> {
    if value.len() > max {
        return Err(AppError::invalid(field, too_long(max, value.len())));
    }
    Ok(())
}

/// The field's message kinds (`INVALID.…` in the catalogues, docs/languages.md): a field is
/// refused with the same words, in the reader's language, wherever it is checked.
///
/// `must not be empty`.
pub fn required() -> Text {
    Text::new("INVALID.required")
}

/// `must be at most MAX bytes (it has LENGTH)`.
pub fn too_long(max: usize, length: usize) -> Text {
    Text::new("INVALID.too-long").count("max", max).count("length", length)
}

/// `must be 1 to MAX characters`.
pub fn length(max: usize) -> Text {
    Text::new("INVALID.length").count("max", max)
}

/// `"VALUE" is not one of A, B, C`.
pub fn not_one_of(value: &str, allowed: &[&str]) -> Text {
    Text::new("INVALID.not-one-of").arg("value", format!("{value:?}")).arg("allowed", allowed.join(", "))
}

/// `must be A, B or C` (the values are codes, kept as they are in every language).
pub fn must_be(values: &[&str]) -> Text {
    let english = match values.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => values.join(""),
    };
    Text::new("INVALID.must-be").arg("allowed", english).arg("list", values.join(", "))
}

/// `"VALUE" is not A or B` (the values are codes, kept as they are in every language).
pub fn is_not(value: &str, values: &[&str]) -> Text {
    let english = match values.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => values.join(""),
    };
    Text::new("INVALID.is-not")
        .arg("value", format!("{value:?}"))
        .arg("allowed", english)
        .arg("list", values.join(", "))
}

/// `must be in the future`.
pub fn future() -> Text {
    Text::new("INVALID.future")
}

/// `at most MAX items`.
pub fn items(max: usize) -> Text {
    Text::new("INVALID.items").count("max", max)
}

/// `"TEXT": why it is not a date` (`YYYY-MM-DD`, no such day …).
pub fn not_a_date(text: &str, error: &custodia_core::date::DateError) -> Text {
    use custodia_core::date::{DateError, days_in_month, month_name};
    const MONTHS: [&str; 12] = [
        "month-1", "month-2", "month-3", "month-4", "month-5", "month-6", "month-7", "month-8", "month-9", "month-10",
        "month-11", "month-12",
    ];
    let month_key = |m: u32| usize::try_from(m).ok().and_then(|m| MONTHS.get(m.checked_sub(1)?)).copied();
    let base = Text::new("INVALID.date").arg("value", format!("{text:?}"));
    match error {
        DateError::Format => base.arg("why", "format"),
        DateError::NoSuchDay { year, month } => base
            .arg("why", "no-such-day")
            .nest("month", month_key(*month).map_or_else(|| Text::plain(month_name(*month)), Text::new))
            .arg("year", year.to_string())
            .count("days", days_in_month(*year, *month)),
        DateError::NoSuchMonth { month } => base.arg("why", "no-such-month").arg("month", month.to_string()),
        DateError::NoSuchYear => base.arg("why", "no-such-year"),
        DateError::OutOfRange => base.arg("why", "range"),
    }
}

/// A `YYYY-MM-DD` field.
pub fn date(field: &str, text: &str) -> AppResult<custodia_core::Date> {
    custodia_core::Date::parse(text).map_err(|e| AppError::invalid(field, not_a_date(text, &e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    use custodia_i18n::Language;

    fn both(e: AppError) -> (String, String) {
        assert_eq!(e.code(), "INVALID");
        (e.message(Language::En), e.message(Language::Es))
    }

    #[test]
    fn required_text_is_trimmed_non_empty_and_bounded() {
        assert_eq!(required_text("f", "  x ", 10).unwrap(), "x");
        let empty = required_text("f", "   ", 10).unwrap_err();
        assert_eq!(empty.to_string(), "f: must not be empty");
        assert_eq!(both(empty), ("must not be empty".into(), "no debe estar vacío".into()));
        let long = required_text("f", &"x".repeat(11), 10).unwrap_err();
        assert_eq!(
            both(long),
            ("must be at most 10 bytes (it has 11)".into(), "debe tener como máximo 10 bytes (tiene 11)".into())
        );
    }

    #[test]
    fn at_most_counts_bytes_not_characters() {
        assert!(at_most("f", "", 0).is_ok());
        assert!(at_most("f", "ñ", 2).is_ok());
        assert_eq!(at_most("f", "ññ", 3).unwrap_err().to_string(), "f: must be at most 3 bytes (it has 4)");
    }

    #[test]
    fn a_bad_date_says_why_in_both_languages() {
        let (en, es) = both(date("on", "2023-02-29").unwrap_err());
        assert_eq!(en, "\"2023-02-29\": no such calendar day (February 2023 has 28 days)");
        assert!(es.contains("2023-02-29") && es.contains("28 días"), "{es}");
        let (en, es) = both(date("on", "soon").unwrap_err());
        assert_eq!(en, "\"soon\": must be a date written YYYY-MM-DD");
        assert_eq!(es, "\"soon\": debe ser una fecha escrita AAAA-MM-DD");
        assert!(date("on", "2026-12-05").is_ok());
    }
}
