//! Exact non-negative decimals for areas and space standards (docs/capacity.md: "areas are decimals, never
//! binary floating point, and the agreement's m² values are taken as the decimals written").

use std::fmt;

/// Fractional digits kept. Six is far finer than any floor plan is measured.
pub const DECIMAL_SCALE_DIGITS: u32 = 6;
const SCALE: u64 = 1_000_000;
/// Largest accepted integer part (a limit: no cell or standard is a billion square metres).
pub const MAX_DECIMAL_INTEGER_PART: u64 = 999_999_999;

/// A non-negative decimal with up to six fractional digits, stored as an integer of millionths.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Decimal {
    millionths: u64,
}

/// Why a decimal was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// Not digits with an optional single decimal point.
    #[error("must be a decimal number such as 4 or 5.4")]
    Syntax,
    /// More than six digits after the point.
    #[error("must have at most 6 digits after the decimal point")]
    TooPrecise,
    /// Integer part too large.
    #[error("is too large")]
    TooLarge,
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal { millionths: 0 };

    /// Parses `123`, `123.45`, `0.5` (ASCII digits, at most one point with digits on both sides of
    /// it or an integer). Signs, exponents, spaces and separators are rejected.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let (int_part, frac_part) = match text.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (text, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
            return Err(DecimalError::Syntax);
        }
        let int_digits = int_part.trim_start_matches('0');
        if int_digits.len() > 9 {
            return Err(DecimalError::TooLarge);
        }
        let int_value: u64 = int_digits.bytes().fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
        let frac = frac_part.unwrap_or("").trim_end_matches('0');
        if frac.len() > DECIMAL_SCALE_DIGITS as usize {
            return Err(DecimalError::TooPrecise);
        }
        let mut frac_value: u64 = frac.bytes().fold(0, |acc, b| acc * 10 + u64::from(b - b'0'));
        for _ in frac.len()..DECIMAL_SCALE_DIGITS as usize {
            frac_value *= 10;
        }
        Ok(Self { millionths: int_value * SCALE + frac_value })
    }

    /// An integer value.
    pub fn from_integer(value: u32) -> Self {
        Self { millionths: u64::from(value) * SCALE }
    }

    /// The value in millionths.
    pub const fn millionths(self) -> u64 {
        self.millionths
    }

    /// True if zero.
    pub const fn is_zero(self) -> bool {
        self.millionths == 0
    }

    /// `self / count` rounded down to the millionth, and whether that is exact; `None` when the
    /// count is zero (m² per person of a cell).
    pub fn div_by_count(self, count: u32) -> Option<(Decimal, bool)> {
        let count = u64::from(count);
        let millionths = self.millionths.checked_div(count)?;
        Some((Decimal { millionths }, self.millionths.is_multiple_of(count)))
    }

    /// `floor(self / divisor)`, exactly; `None` when dividing by zero.
    pub fn div_floor(self, divisor: Decimal) -> Option<u64> {
        self.millionths.checked_div(divisor.millionths)
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let int = self.millionths / SCALE;
        let frac = self.millionths % SCALE;
        if frac == 0 {
            return write!(f, "{int}");
        }
        let digits = format!("{frac:06}");
        write!(f, "{int}.{}", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(Decimal::parse("5.4").unwrap().millionths(), 5_400_000);
        assert_eq!(Decimal::parse("4").unwrap(), Decimal::parse("4.000").unwrap());
        assert_eq!(Decimal::parse("0.000001").unwrap().millionths(), 1);
        assert_eq!(Decimal::parse("100.25").unwrap().to_string(), "100.25");
        assert_eq!(Decimal::parse("1.0000001"), Err(DecimalError::TooPrecise));
        for bad in ["", ".5", "5.", "-1", "+1", "1e3", "1,5", " 1", "1.2.3", "nan", "inf"] {
            assert_eq!(Decimal::parse(bad), Err(DecimalError::Syntax), "{bad:?}");
        }
        assert_eq!(Decimal::parse("1000000000"), Err(DecimalError::TooLarge));
    }

    #[test]
    fn division_is_exact_where_floats_are_not() {
        // 10.2 / 3.4 is exactly 3, but 10.2_f64 / 3.4_f64 = 2.9999999999999996.
        assert_eq!(Decimal::parse("10.2").unwrap().div_floor(Decimal::parse("3.4").unwrap()), Some(3));
        assert_eq!(Decimal::parse("100").unwrap().div_floor(Decimal::parse("4.0").unwrap()), Some(25));
        assert_eq!(Decimal::parse("1").unwrap().div_floor(Decimal::ZERO), None);
    }
}
