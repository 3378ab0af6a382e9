//! Custodia's rules: identifiers, agreements, person records, terms and sentence arithmetic.
//!
//! This crate is pure: no IO, no clock, no async. Every function that can meet bad data returns a
//! `Result` with a typed error; "today" is always a parameter. Wall-clock calls are banned here by
//! `clippy.toml`.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod agreement;
pub mod alerts;
pub mod billing;
pub mod capacity;
pub mod care;
pub mod codes;
pub mod csv;
pub mod custody;
pub mod date;
pub mod decimal;
pub mod eligibility;
pub mod forecast;
pub mod holidays;
pub mod ids;
pub mod incidents;
pub mod inspection;
pub mod ledger;
pub mod lifecycle;
pub mod money;
pub mod oversight;
pub mod person;
pub mod person_owned;
pub mod rights;
pub mod safeguards;
pub mod sentence;
pub mod sustainability;
pub mod synth;
pub mod table;
pub mod term;
pub mod toml_document;
pub mod zone;

pub use agreement::{Agreement, AgreementError, Problem};
pub use date::Date;
pub use decimal::Decimal;
pub use ids::{AgreementId, CountryCode, CurrencyCode, FacilityId, PersonId};
pub use money::Money;
pub use person::{PersonHeader, PersonRecord, RowError};
pub use person_owned::Person;
pub use sentence::{SentenceDates, SentenceInput, SentenceProfile};
pub use term::Term;
pub use zone::TimeZone;
