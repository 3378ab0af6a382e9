//! Sentence terms: `<n>y<n>m<n>d` or `life` (docs/person-file.md).

use std::fmt;

/// Largest number accepted in one component, a limit that keeps all arithmetic in range.
pub const MAX_TERM_COMPONENT: u32 = 9_999_999;
const MAX_COMPONENT_DIGITS: usize = 7;

/// A sentence term as written: years, months and days, or life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Term {
    /// A term of years, months and days.
    Fixed(FixedTerm),
    /// A life sentence: no full term, no release date.
    Life,
}

/// A fixed term. `day_only` is true when neither `y` nor `m` was written (`1291d`), which changes
/// the arithmetic of docs/sentence.md (days are not converted to calendar months).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FixedTerm {
    /// Years, as written.
    pub years: u32,
    /// Months, as written (may exceed 11).
    pub months: u32,
    /// Days, as written.
    pub days: u32,
    /// Neither years nor months were written.
    pub day_only: bool,
}

impl FixedTerm {
    /// Total calendar months, `12·years + months`.
    pub fn total_months(&self) -> i64 {
        12 * i64::from(self.years) + i64::from(self.months)
    }
}

/// Why a term was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    /// Empty text.
    #[error("is empty; write a term such as 5y, 60m, 1y1d, 1291d or life")]
    Empty,
    /// Not of the form `<n>y<n>m<n>d` (components in that order, each at most once) or `life`.
    #[error("must be <n>y<n>m<n>d (components optional but in that order, e.g. 5y, 60m, 1y1d, 1291d) or life")]
    Syntax,
    /// Every component is zero.
    #[error("must be longer than zero")]
    Zero,
    /// A component has more than seven digits.
    #[error("has a component larger than 9999999")]
    TooLarge,
}

impl Term {
    /// Parses a term exactly as written: case-sensitive, no spaces, no signs.
    pub fn parse(text: &str) -> Result<Self, TermError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// Like [`Term::parse`], on raw bytes.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, TermError> {
        if bytes.is_empty() {
            return Err(TermError::Empty);
        }
        if bytes == b"life" {
            return Ok(Self::Life);
        }
        // Components must appear in the order y, m, d; `next_unit` is the index of the earliest unit
        // still allowed.
        const UNITS: [u8; 3] = [b'y', b'm', b'd'];
        let mut values: [Option<u32>; 3] = [None; 3];
        let mut next_unit = 0usize;
        let mut rest = bytes;
        while !rest.is_empty() {
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return Err(TermError::Syntax);
            }
            let (number, tail) = rest.split_at(digits);
            // The limit is on the value: leading zeros are allowed (`007d` is seven days).
            let significant = number.iter().skip_while(|b| **b == b'0').count();
            if significant > MAX_COMPONENT_DIGITS {
                return Err(TermError::TooLarge);
            }
            let Some((&unit, tail)) = tail.split_first() else {
                return Err(TermError::Syntax);
            };
            let position = UNITS.iter().position(|u| *u == unit).ok_or(TermError::Syntax)?;
            if position < next_unit {
                return Err(TermError::Syntax);
            }
            let value = number.iter().fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
            if let Some(slot) = values.get_mut(position) {
                *slot = Some(value);
            }
            next_unit = position + 1;
            rest = tail;
        }
        let [years, months, days] = values;
        let term = FixedTerm {
            years: years.unwrap_or(0),
            months: months.unwrap_or(0),
            days: days.unwrap_or(0),
            day_only: years.is_none() && months.is_none(),
        };
        if term.years == 0 && term.months == 0 && term.days == 0 {
            return Err(TermError::Zero);
        }
        Ok(Self::Fixed(term))
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Life => f.write_str("life"),
            Term::Fixed(t) if t.day_only => write!(f, "{}d", t.days),
            Term::Fixed(t) => {
                if t.years > 0 {
                    write!(f, "{}y", t.years)?;
                }
                if t.months > 0 || t.years == 0 {
                    write!(f, "{}m", t.months)?;
                }
                if t.days > 0 {
                    write!(f, "{}d", t.days)?;
                }
                Ok(())
            }
        }
    }
}

impl std::str::FromStr for Term {
    type Err = TermError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(y: u32, m: u32, d: u32, day_only: bool) -> Term {
        Term::Fixed(FixedTerm { years: y, months: m, days: d, day_only })
    }

    #[test]
    fn accepts_the_spec_examples() {
        assert_eq!(Term::parse("5y"), Ok(fixed(5, 0, 0, false)));
        assert_eq!(Term::parse("60m"), Ok(fixed(0, 60, 0, false)));
        assert_eq!(Term::parse("1y1d"), Ok(fixed(1, 0, 1, false)));
        assert_eq!(Term::parse("24m1d"), Ok(fixed(0, 24, 1, false)));
        assert_eq!(Term::parse("1291d"), Ok(fixed(0, 0, 1291, true)));
        assert_eq!(Term::parse("0y12m"), Ok(fixed(0, 12, 0, false)));
        assert_eq!(Term::parse("0m400d"), Ok(fixed(0, 0, 400, false)));
        assert_eq!(Term::parse("2y6m15d"), Ok(fixed(2, 6, 15, false)));
        assert_eq!(Term::parse("life"), Ok(Term::Life));
    }

    #[test]
    fn rejects_everything_else() {
        assert_eq!(Term::parse(""), Err(TermError::Empty));
        assert_eq!(Term::parse("0y"), Err(TermError::Zero));
        assert_eq!(Term::parse("0y0m0d"), Err(TermError::Zero));
        assert_eq!(Term::parse("12345678d"), Err(TermError::TooLarge));
        assert_eq!(Term::parse("0000000000000000000000000000001d"), Ok(fixed(0, 0, 1, true)));
        assert_eq!(Term::parse("00000000000000000005y"), Ok(fixed(5, 0, 0, false)));
        for bad in [
            "5", "y", "5Y", "5 y", " 5y", "5y ", "1d1y", "1m1y", "1y1y", "5w", "-5y", "+5y", "Life", "LIFE", "5y3",
            "m5",
        ] {
            assert_eq!(Term::parse(bad), Err(TermError::Syntax), "{bad:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["5y", "60m", "1y1d", "24m1d", "1291d", "2y6m15d", "life", "0m12d"] {
            let term = Term::parse(text).unwrap();
            assert_eq!(Term::parse(&term.to_string()).unwrap(), term, "{text}");
        }
    }
}
