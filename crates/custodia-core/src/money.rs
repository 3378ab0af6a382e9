//! Money in integer minor units of a currency. Never floating point.

use std::fmt;

use crate::ids::CurrencyCode;

/// An amount in minor units (cents for USD and EUR) of one currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// The amount in minor units; negative for credits.
    pub amount_minor: i64,
    /// The currency.
    pub currency: CurrencyCode,
}

/// Why money arithmetic failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Two different currencies were combined.
    #[error("cannot combine {0} and {1}")]
    CurrencyMismatch(CurrencyCode, CurrencyCode),
    /// The result does not fit in 64 bits.
    #[error("amount overflows")]
    Overflow,
}

impl Money {
    /// An amount of `currency`.
    pub const fn new(amount_minor: i64, currency: CurrencyCode) -> Self {
        Self { amount_minor, currency }
    }

    /// `self + other`, checked for currency and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let amount_minor = self.amount_minor.checked_add(other.amount_minor).ok_or(MoneyError::Overflow)?;
        Ok(Money { amount_minor, currency: self.currency })
    }
}

impl fmt::Display for Money {
    /// `USD 20000.00`, using the currency's minor-unit digits (`JPY 500`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = u32::from(self.currency.minor_digits().unwrap_or(0));
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let abs = self.amount_minor.unsigned_abs();
        if digits == 0 {
            return write!(f, "{} {sign}{abs}", self.currency);
        }
        let unit = 10u64.pow(digits);
        write!(f, "{} {sign}{}.{:0width$}", self.currency, abs / unit, abs % unit, width = digits as usize)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_minor_digits() {
        let usd = CurrencyCode::parse("USD").unwrap();
        assert_eq!(Money::new(2_000_000, usd).to_string(), "USD 20000.00");
        assert_eq!(Money::new(-5, usd).to_string(), "USD -0.05");
        assert_eq!(Money::new(500, CurrencyCode::parse("JPY").unwrap()).to_string(), "JPY 500");
    }

    #[test]
    fn refuses_mixed_currencies_and_overflow() {
        let usd = CurrencyCode::parse("USD").unwrap();
        let eur = CurrencyCode::parse("EUR").unwrap();
        assert!(Money::new(1, usd).checked_add(Money::new(1, eur)).is_err());
        assert_eq!(Money::new(i64::MAX, usd).checked_add(Money::new(1, usd)), Err(MoneyError::Overflow));
    }
}
