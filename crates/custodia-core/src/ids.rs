//! Typed identifiers and codes. Each is parsed once at the edge and cannot hold an invalid value.

use std::fmt;

use crate::codes::{COUNTRY_CODES, is_currency_code};

/// Country codes as a 26×26 bitmap, built at compile time from the ISO table, so checking a code
/// on the CSV hot path is two array reads instead of a binary search.
// Indexing here runs at compile time: an out-of-range index is a build error, never a panic.
#[allow(clippy::indexing_slicing)]
const COUNTRY_BITMAP: [u32; 26] = {
    let mut map = [0u32; 26];
    let mut i = 0;
    while i < COUNTRY_CODES.len() {
        let code = COUNTRY_CODES[i].as_bytes();
        map[(code[0] - b'A') as usize] |= 1 << (code[1] - b'A');
        i += 1;
    }
    map
};

fn is_country_code_bytes(a: u8, b: u8) -> bool {
    if !a.is_ascii_uppercase() || !b.is_ascii_uppercase() {
        return false;
    }
    COUNTRY_BITMAP.get(usize::from(a - b'A')).is_some_and(|row| row & (1 << (b - b'A')) != 0)
}

/// Why an identifier or code was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The text is empty.
    #[error("must not be empty")]
    Empty,
    /// The text is longer than the limit.
    #[error("must be at most {0} bytes long")]
    TooLong(usize),
    /// The text is shorter than the minimum.
    #[error("must be at least {0} characters long")]
    TooShort(usize),
    /// The text contains a character outside the allowed set.
    #[error("may only contain {0}")]
    Charset(&'static str),
    /// Not an ISO 3166-1 alpha-2 code.
    #[error("must be an ISO 3166-1 alpha-2 country code such as US, SV or XK (got {0:?})")]
    Country(String),
    /// Not an ISO 4217 code.
    #[error("must be an ISO 4217 currency code such as USD or EUR (got {0:?})")]
    Currency(String),
}

/// Longest accepted person id, bytes (a limit far above any real identifier).
pub const MAX_PERSON_ID_BYTES: usize = 4096;

/// The sending state's identifier of a person, as it appears in its export: any non-empty text up
/// to [`MAX_PERSON_ID_BYTES`] bytes (docs/person-file.md constrains nothing else), exact and case-sensitive.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonId(String);

impl PersonId {
    /// Checks a candidate without allocating.
    pub fn validate(text: &str) -> Result<(), IdError> {
        if text.is_empty() {
            return Err(IdError::Empty);
        }
        if text.len() > MAX_PERSON_ID_BYTES {
            return Err(IdError::TooLong(MAX_PERSON_ID_BYTES));
        }
        Ok(())
    }

    /// Parses a person id.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        Self::validate(text)?;
        Ok(Self(text.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn slug(text: &str, min: usize, max: usize) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if text.len() > max {
        return Err(IdError::TooLong(max));
    }
    if text.len() < min {
        return Err(IdError::TooShort(min));
    }
    if !text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(IdError::Charset("lowercase letters a-z, digits and '-'"));
    }
    Ok(())
}

/// An agreement id, `[a-z0-9-]{3,64}`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgreementId(String);

impl AgreementId {
    /// Parses an agreement id.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        slug(text, 3, 64)?;
        Ok(Self(text.to_owned()))
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A facility id, `[a-z0-9-]{1,64}`, unique within an agreement.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FacilityId(String);

impl FacilityId {
    /// Parses a facility id.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        slug(text, 1, 64)?;
        Ok(Self(text.to_owned()))
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 3166-1 alpha-2 country code (officially assigned, plus `XK`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses a code; exact and case-sensitive (`us` is rejected).
    pub fn parse(text: &str) -> Result<Self, IdError> {
        Self::parse_bytes(text.as_bytes()).ok_or_else(|| IdError::Country(text.to_owned()))
    }

    /// Parses raw bytes without allocating; `None` if not a code.
    pub fn parse_bytes(bytes: &[u8]) -> Option<Self> {
        let &[a, b] = bytes else { return None };
        is_country_code_bytes(a, b).then_some(Self([a, b]))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

/// An ISO 4217 currency code.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// Parses a code; exact and case-sensitive.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let &[a, b, c] = text.as_bytes() else {
            return Err(IdError::Currency(text.to_owned()));
        };
        let code = Self([a, b, c]);
        if is_currency_code(code.as_str()) { Ok(code) } else { Err(IdError::Currency(text.to_owned())) }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Digits after the decimal point in this currency's minor unit (USD 2, JPY 0).
    pub fn minor_digits(&self) -> Option<u8> {
        crate::codes::currency_minor_digits(self.as_str())
    }
}

macro_rules! text_impls {
    ($($name:ident),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }
    )*};
}
text_impls!(PersonId, AgreementId, FacilityId, CountryCode, CurrencyCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_ids() {
        assert!(AgreementId::parse("us-sv-2025").is_ok());
        assert_eq!(AgreementId::parse("ab"), Err(IdError::TooShort(3)));
        assert!(matches!(AgreementId::parse("US-SV"), Err(IdError::Charset(_))));
        assert_eq!(AgreementId::parse(&"a".repeat(65)), Err(IdError::TooLong(64)));
        assert!(AgreementId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn country_codes_are_exact() {
        assert_eq!(CountryCode::parse("US").unwrap().as_str(), "US");
        assert!(CountryCode::parse("XK").is_ok());
        for bad in ["us", "USA", "UK", "EU", "", " US", "ZZ"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bitmap_agrees_with_the_iso_table() {
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let text = String::from_utf8(vec![a, b]).unwrap();
                assert_eq!(is_country_code_bytes(a, b), crate::codes::is_country_code(&text), "{text}");
            }
        }
    }

    #[test]
    fn currency_codes() {
        assert_eq!(CurrencyCode::parse("USD").unwrap().minor_digits(), Some(2));
        assert_eq!(CurrencyCode::parse("JPY").unwrap().minor_digits(), Some(0));
        assert!(CurrencyCode::parse("usd").is_err());
        assert!(CurrencyCode::parse("ABC").is_err());
    }

    #[test]
    fn person_ids() {
        assert!(PersonId::parse("A-123 456").is_ok());
        assert_eq!(PersonId::parse(""), Err(IdError::Empty));
        assert!(PersonId::parse("a\tb").is_ok(), "any text: docs/person-file.md only forbids an empty id");
        assert_eq!(PersonId::parse(&"x".repeat(4097)), Err(IdError::TooLong(4096)));
    }
}
