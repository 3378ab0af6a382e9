//! The one owned form of a person record: what screening reads back, what the imports hand to the
//! register, what the register stores (as canonical JSON, in `custodia-store`) and what the API
//! shows. Every column of `docs/person-file.md` as text exactly as written (`None`: an empty cell
//! or a missing column). The columns are listed once, in [`Column`]; everything here that walks
//! the columns goes through [`Person::value`], so a new column is a variant there, a field here
//! and a line in each of `value` and `set`.

use crate::person::{Column, PERSON_COLUMNS, PersonHeader, PersonRecord, RowError};
use crate::{Agreement, Date, SentenceInput, Term, sentence};

/// A person as the sending state exported them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Person {
    /// The sending state's `person_id`.
    pub sending_id: String,
    /// `family_name`.
    pub family_name: String,
    /// `given_names`.
    pub given_names: String,
    /// `birth_date`.
    pub birth_date: Option<String>,
    /// `nationalities`, codes joined by `;` in the order written.
    pub nationalities: Option<String>,
    /// `conviction`.
    pub conviction: Option<String>,
    /// `offence_category`.
    pub offence_category: Option<String>,
    /// `sentence_start`.
    pub sentence_start: Option<String>,
    /// `sentence_term`, as written (`8y0m21d` stays `8y0m21d`).
    pub sentence_term: Option<String>,
    /// `jail_credit_days` (`None`: empty, which means 0 for the rules).
    pub jail_credit_days: Option<u32>,
    /// `security_class`.
    pub security_class: Option<String>,
    /// `consent`.
    pub consent: Option<String>,
    /// `removal_order`.
    pub removal_order: Option<String>,
    /// `torture_risk`.
    pub torture_risk: Option<String>,
    /// `torture_risk_assessed_on`.
    pub torture_risk_assessed_on: Option<String>,
    /// `care_needs`.
    pub care_needs: Option<String>,
    /// `removal_destination`.
    pub removal_destination: Option<String>,
}

/// How a column's value is written in the register's JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Free text, `""` when empty (names).
    Text,
    /// A string, `null` when unknown.
    Optional,
    /// A whole number of days, `null` when empty.
    Days,
}

impl Column {
    /// How the column's value is kept.
    pub const fn kind(self) -> ValueKind {
        match self {
            Self::FamilyName | Self::GivenNames => ValueKind::Text,
            Self::JailCreditDays => ValueKind::Days,
            _ => ValueKind::Optional,
        }
    }
}

impl Person {
    /// The owned form of a parsed row (values exactly as written; a credit as its number).
    pub fn from_record(record: &PersonRecord<'_>) -> Self {
        let text = |v: Option<&str>| v.map(str::to_owned);
        Self {
            sending_id: record.person_id.to_owned(),
            family_name: record.family_name.to_owned(),
            given_names: record.given_names.to_owned(),
            birth_date: record.birth_date.map(|d| d.to_string()),
            nationalities: record.nationalities.map(|_| record.nationalities_text.to_owned()),
            conviction: text(record.conviction.map(|v| v.as_str())),
            offence_category: text(record.offence_category.map(|v| v.as_str())),
            sentence_start: record.sentence_start.map(|d| d.to_string()),
            sentence_term: record.sentence_term.map(|_| record.sentence_term_text.to_owned()),
            jail_credit_days: record.jail_credit_written.then_some(record.jail_credit_days),
            security_class: text(record.security_class.map(|v| v.as_str())),
            consent: text(record.consent.map(|v| v.as_str())),
            removal_order: text(record.removal_order.map(|v| v.as_str())),
            torture_risk: text(record.torture_risk.map(|v| v.as_str())),
            torture_risk_assessed_on: record.torture_risk_assessed_on.map(|d| d.to_string()),
            care_needs: text(record.care_needs.map(|v| v.as_str())),
            removal_destination: record.removal_destination.map(|c| c.as_str().to_owned()),
        }
    }

    /// The value of `column` as text (`None`: unknown; names are never `None`).
    pub fn value(&self, column: Column) -> Option<String> {
        let o = |v: &Option<String>| v.clone();
        match column {
            Column::PersonId => Some(self.sending_id.clone()),
            Column::FamilyName => Some(self.family_name.clone()),
            Column::GivenNames => Some(self.given_names.clone()),
            Column::BirthDate => o(&self.birth_date),
            Column::Nationalities => o(&self.nationalities),
            Column::Conviction => o(&self.conviction),
            Column::OffenceCategory => o(&self.offence_category),
            Column::SentenceStart => o(&self.sentence_start),
            Column::SentenceTerm => o(&self.sentence_term),
            Column::JailCreditDays => self.jail_credit_days.map(|d| d.to_string()),
            Column::SecurityClass => o(&self.security_class),
            Column::Consent => o(&self.consent),
            Column::RemovalOrder => o(&self.removal_order),
            Column::TortureRisk => o(&self.torture_risk),
            Column::TortureRiskAssessedOn => o(&self.torture_risk_assessed_on),
            Column::CareNeeds => o(&self.care_needs),
            Column::RemovalDestination => o(&self.removal_destination),
        }
    }

    /// Sets `column` from text as stored (`None`: unknown). A credit that is not a day count is
    /// refused.
    pub fn set(&mut self, column: Column, value: Option<String>) -> Result<(), String> {
        let text = |v: Option<String>| v.unwrap_or_default();
        match column {
            Column::PersonId => self.sending_id = text(value),
            Column::FamilyName => self.family_name = text(value),
            Column::GivenNames => self.given_names = text(value),
            Column::BirthDate => self.birth_date = value,
            Column::Nationalities => self.nationalities = value,
            Column::Conviction => self.conviction = value,
            Column::OffenceCategory => self.offence_category = value,
            Column::SentenceStart => self.sentence_start = value,
            Column::SentenceTerm => self.sentence_term = value,
            Column::JailCreditDays => {
                self.jail_credit_days = value
                    .map(|v| v.parse::<u32>().map_err(|_| format!("jail_credit_days: {v:?} is not a day count")))
                    .transpose()?;
            }
            Column::SecurityClass => self.security_class = value,
            Column::Consent => self.consent = value,
            Column::RemovalOrder => self.removal_order = value,
            Column::TortureRisk => self.torture_risk = value,
            Column::TortureRiskAssessedOn => self.torture_risk_assessed_on = value,
            Column::CareNeeds => self.care_needs = value,
            Column::RemovalDestination => self.removal_destination = value,
        }
        Ok(())
    }

    /// The values in [`PERSON_COLUMNS`] order, empty strings for unknown (the export's row).
    pub fn columns(&self) -> [String; PERSON_COLUMNS.len()] {
        Column::ALL.map(|c| self.value(c).unwrap_or_default())
    }

    /// Runs `f` on the record read back as a row of a person file, with the checks every
    /// imported row passed.
    pub fn with_record<T>(&self, f: impl FnOnce(&PersonRecord<'_>) -> T) -> Result<T, RowError> {
        let header = PersonHeader::from_names(PERSON_COLUMNS.iter().map(|c| c.as_bytes()))
            .map_err(|e| RowError { column: None, message: e.to_string() })?;
        let columns = self.columns();
        let fields: Vec<&[u8]> = columns.iter().map(|c| c.as_bytes()).collect();
        let record = PersonRecord::parse(&header, fields.as_slice())?;
        Ok(f(&record))
    }

    /// The inputs of this record's sentence arithmetic under the agreement's sentence profile
    /// (GCT at the default rate, the record's jail credit); `None` when the record lacks a start or
    /// a term.
    pub fn sentence_input(&self, agreement: &Agreement) -> Option<SentenceInput> {
        let start = Date::parse(self.sentence_start.as_deref()?).ok()?;
        let term = Term::parse(self.sentence_term.as_deref()?).ok()?;
        Some(SentenceInput {
            start,
            term,
            jail_credit_days: self.jail_credit_days.unwrap_or(0).min(sentence::MAX_CREDIT_DAYS),
            gct_rate: sentence::DEFAULT_GCT_RATE,
            gct_disallowed_days: 0,
            profile: agreement.sentence_profile,
        })
    }

    /// Every date of this record's sentence arithmetic ([`sentence::compute`] of
    /// [`Self::sentence_input`]): the steps behind [`Self::projected_release`].
    pub fn sentence_dates(&self, agreement: &Agreement) -> Option<sentence::SentenceDates> {
        sentence::compute(&self.sentence_input(agreement)?).ok()
    }

    /// The projected release date of this record under the agreement's sentence profile (GCT at
    /// the default rate, the record's jail credit), as the alerts and the legal-basis audit use it;
    /// `None` when the record lacks a start or a term, or the term cannot be computed.
    pub fn projected_release(&self, agreement: &Agreement) -> Option<Date> {
        self.sentence_dates(agreement)?.projected_release_date
    }

    /// Columns whose values differ, with (old, new) values.
    pub fn changes_from(&self, old: &Person) -> Vec<(&'static str, String, String)> {
        PERSON_COLUMNS
            .iter()
            .zip(old.columns().into_iter().zip(self.columns()))
            .filter(|(_, (a, b))| a != b)
            .map(|(name, (a, b))| (*name, a, b))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_read_and_stored_reads_back_the_same() {
        let header = PersonHeader::from_names(PERSON_COLUMNS.iter().map(|c| c.as_bytes())).unwrap();
        let row =
            "P1,Doe,Jane,1990-02-28,SV;US,final,drug,2024-01-01,8y0m21d,00012,medium,,final,no_risk,2025-01-01,no,VE";
        let fields: Vec<&[u8]> = row.split(',').map(str::as_bytes).collect();
        let record = PersonRecord::parse(&header, fields.as_slice()).unwrap();
        let person = Person::from_record(&record);
        assert_eq!(person.nationalities.as_deref(), Some("SV;US"), "order as written");
        assert_eq!(person.sentence_term.as_deref(), Some("8y0m21d"), "term as written");
        assert_eq!(person.jail_credit_days, Some(12));
        assert_eq!(person.consent, None);
        assert_eq!(person.removal_destination.as_deref(), Some("VE"));
        let back = person.with_record(|r| (r.person_id.to_owned(), r.jail_credit_days)).unwrap();
        assert_eq!(back, ("P1".to_owned(), 12));
        let mut copy = Person::default();
        for column in Column::ALL {
            copy.set(column, person.value(column)).unwrap();
        }
        assert_eq!(copy, person, "value and set cover every column");
        let mut changed = person.clone();
        changed.set(Column::Consent, Some("given".into())).unwrap();
        assert_eq!(changed.changes_from(&person), [("consent", String::new(), "given".to_owned())]);
    }

    #[test]
    fn an_empty_credit_stays_empty() {
        let header = PersonHeader::from_names(["person_id".as_bytes(), b"jail_credit_days"]).unwrap();
        let record = PersonRecord::parse(&header, [&b"P1"[..], b""].as_slice()).unwrap();
        assert_eq!(Person::from_record(&record).jail_credit_days, None);
        let record = PersonRecord::parse(&header, [&b"P1"[..], b"0"].as_slice()).unwrap();
        assert_eq!(Person::from_record(&record).jail_credit_days, Some(0));
        assert!(Person::default().set(Column::JailCreditDays, Some("x".into())).is_err());
    }
}
