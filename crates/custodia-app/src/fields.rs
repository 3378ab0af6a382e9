//! Checks of request fields shared by every use case (and the server's own wire fields), so a
//! field is refused with the same words whichever edge it came through.

use crate::error::{AppError, AppResult};

/// A required, non-empty text field of at most `max` bytes, trimmed.
pub fn required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(AppError::invalid(field, "must not be empty"));
    }
    if value.len() > max {
        return Err(AppError::invalid(field, format!("must be at most {max} bytes")));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_non_empty_and_bounded() {
        assert_eq!(required_text("f", "  x ", 10).unwrap(), "x");
        assert_eq!(required_text("f", "   ", 10).unwrap_err(), AppError::invalid("f", "must not be empty"));
        assert!(required_text("f", &"x".repeat(11), 10).is_err());
    }
}
