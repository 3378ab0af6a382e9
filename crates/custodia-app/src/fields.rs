//! Checks of request fields shared by every use case (and the server's own wire fields), so a
//! field is refused with the same words whichever edge it came through. The limits are listed in
//! ARCHITECTURE.md ("Everything has a limit").

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
        return Err(AppError::invalid(field, "must not be empty"));
    }
    at_most(field, value, max)?;
    Ok(trimmed.to_owned())
}

/// A text field of at most `max` bytes, kept as written (it may be empty).
pub fn at_most(field: &str, value: &str, max: usize) -> AppResult<()> {
    if value.len() > max {
        return Err(AppError::invalid(field, format!("must be at most {max} bytes (it has {})", value.len())));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_non_empty_and_bounded() {
        assert_eq!(required_text("f", "  x ", 10).unwrap(), "x");
        assert_eq!(required_text("f", "   ", 10).unwrap_err(), AppError::invalid("f", "must not be empty"));
        assert_eq!(
            required_text("f", &"x".repeat(11), 10).unwrap_err(),
            AppError::invalid("f", "must be at most 10 bytes (it has 11)")
        );
    }

    #[test]
    fn at_most_counts_bytes_not_characters() {
        assert!(at_most("f", "", 0).is_ok());
        assert!(at_most("f", "ñ", 2).is_ok());
        assert_eq!(at_most("f", "ññ", 3).unwrap_err(), AppError::invalid("f", "must be at most 3 bytes (it has 4)"));
    }
}
