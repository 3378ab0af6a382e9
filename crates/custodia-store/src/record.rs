//! The register's owned form of a person record (SPEC §2 columns), its canonical JSON and hash.

use custodia_core::person::PersonRecord;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A person as the sending state exported them: every SPEC §2 column as text exactly as written,
/// `None` for an empty cell or a missing column.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PersonData {
    /// The sending state's `person_id`.
    pub sending_id: String,
    /// `family_name`.
    pub family_name: String,
    /// `given_names`.
    pub given_names: String,
    /// `birth_date`.
    pub birth_date: Option<String>,
    /// `nationalities`, codes joined by `;`.
    pub nationalities: Option<String>,
    /// `conviction`.
    pub conviction: Option<String>,
    /// `offence_category`.
    pub offence_category: Option<String>,
    /// `sentence_start`.
    pub sentence_start: Option<String>,
    /// `sentence_term`.
    pub sentence_term: Option<String>,
    /// `jail_credit_days` (empty means 0 for the rules; kept as written).
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
}

/// The column names, in export order (SPEC §2).
pub const PERSON_COLUMNS: [&str; 16] = [
    "person_id",
    "family_name",
    "given_names",
    "birth_date",
    "nationalities",
    "conviction",
    "offence_category",
    "sentence_start",
    "sentence_term",
    "jail_credit_days",
    "security_class",
    "consent",
    "removal_order",
    "torture_risk",
    "torture_risk_assessed_on",
    "care_needs",
];

impl PersonData {
    /// The owned form of a parsed row. `jail_credit_was_empty` distinguishes an empty cell from 0.
    pub fn from_record(record: &PersonRecord<'_>, jail_credit_was_empty: bool) -> Self {
        let text = |v: Option<String>| v;
        Self {
            sending_id: record.person_id.to_owned(),
            family_name: record.family_name.to_owned(),
            given_names: record.given_names.to_owned(),
            birth_date: record.birth_date.map(|d| d.to_string()),
            nationalities: record.nationalities.map(|_| record.nationalities_text.to_owned()),
            conviction: text(record.conviction.map(|v| v.as_str().to_owned())),
            offence_category: record.offence_category.map(|v| v.as_str().to_owned()),
            sentence_start: record.sentence_start.map(|d| d.to_string()),
            sentence_term: record.sentence_term.map(|_| record.sentence_term_text.to_owned()),
            jail_credit_days: if jail_credit_was_empty { None } else { Some(record.jail_credit_days) },
            security_class: record.security_class.map(|v| v.as_str().to_owned()),
            consent: record.consent.map(|v| v.as_str().to_owned()),
            removal_order: record.removal_order.map(|v| v.as_str().to_owned()),
            torture_risk: record.torture_risk.map(|v| v.as_str().to_owned()),
            torture_risk_assessed_on: record.torture_risk_assessed_on.map(|d| d.to_string()),
            care_needs: record.care_needs.map(|v| v.as_str().to_owned()),
        }
    }

    /// The values in [`PERSON_COLUMNS`] order, empty strings for unknown.
    pub fn columns(&self) -> [String; 16] {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.sending_id.clone(),
            self.family_name.clone(),
            self.given_names.clone(),
            o(&self.birth_date),
            o(&self.nationalities),
            o(&self.conviction),
            o(&self.offence_category),
            o(&self.sentence_start),
            o(&self.sentence_term),
            self.jail_credit_days.map(|d| d.to_string()).unwrap_or_default(),
            o(&self.security_class),
            o(&self.consent),
            o(&self.removal_order),
            o(&self.torture_risk),
            o(&self.torture_risk_assessed_on),
            o(&self.care_needs),
        ]
    }

    /// The record as a JSON object keyed by column name; unknown values are `null`.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (name, value) in PERSON_COLUMNS.iter().zip(self.columns()) {
            let v = if value.is_empty() && !matches!(*name, "family_name" | "given_names") {
                Value::Null
            } else if *name == "jail_credit_days" {
                self.jail_credit_days.map_or(Value::Null, Value::from)
            } else {
                Value::String(value)
            };
            map.insert((*name).to_owned(), v);
        }
        Value::Object(map)
    }

    /// The record as canonical JSON (RFC 8785), as the register stores it.
    pub fn canonical_json(&self) -> String {
        // Only strings, null and a small integer: canonicalisation cannot fail.
        custodia_journal::canonical::canonicalize(&self.to_json())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    /// Reads a record written by [`PersonData::to_json`].
    pub fn from_value(value: &Value) -> Result<Self, String> {
        let text_of = |name: &str| -> Result<Option<String>, String> {
            match value.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(format!("{name} is {other}, not a string")),
            }
        };
        let required = |name: &str| -> Result<String, String> { Ok(text_of(name)?.unwrap_or_default()) };
        let jail_credit_days = match value.get("jail_credit_days") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(v.as_u64().and_then(|d| u32::try_from(d).ok()).ok_or("jail_credit_days is not a day count")?)
            }
        };
        Ok(Self {
            sending_id: required("person_id")?,
            family_name: required("family_name")?,
            given_names: required("given_names")?,
            birth_date: text_of("birth_date")?,
            nationalities: text_of("nationalities")?,
            conviction: text_of("conviction")?,
            offence_category: text_of("offence_category")?,
            sentence_start: text_of("sentence_start")?,
            sentence_term: text_of("sentence_term")?,
            jail_credit_days,
            security_class: text_of("security_class")?,
            consent: text_of("consent")?,
            removal_order: text_of("removal_order")?,
            torture_risk: text_of("torture_risk")?,
            torture_risk_assessed_on: text_of("torture_risk_assessed_on")?,
            care_needs: text_of("care_needs")?,
        })
    }

    /// The projected release date of this record under the agreement's sentence profile (GCT at
    /// the default rate, the record's jail credit), as the alerts and the legal-basis audit use it;
    /// `None` when the record lacks a start or a term, or the term cannot be computed.
    pub fn projected_release(&self, agreement: &custodia_core::Agreement) -> Option<custodia_core::Date> {
        let start = custodia_core::Date::parse(self.sentence_start.as_deref()?).ok()?;
        let term = custodia_core::Term::parse(self.sentence_term.as_deref()?).ok()?;
        let input = custodia_core::SentenceInput {
            start,
            term,
            jail_credit_days: self.jail_credit_days.unwrap_or(0).min(custodia_core::sentence::MAX_CREDIT_DAYS),
            gct_rate: custodia_core::sentence::DEFAULT_GCT_RATE,
            gct_disallowed_days: 0,
            profile: agreement.sentence_profile,
        };
        custodia_core::sentence::compute(&input).ok()?.projected_release_date
    }

    /// SHA-256 of the record's columns, used to make imports idempotent.
    pub fn sha256(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for value in self.columns() {
            hasher.update((value.len() as u64).to_be_bytes());
            hasher.update(value.as_bytes());
        }
        hasher.finalize().into()
    }

    /// Columns whose values differ, with (old, new) values.
    pub fn changes_from(&self, old: &PersonData) -> Vec<(&'static str, String, String)> {
        PERSON_COLUMNS
            .iter()
            .zip(old.columns().into_iter().zip(self.columns()))
            .filter(|(_, (a, b))| a != b)
            .map(|(name, (a, b))| (*name, a, b))
            .collect()
    }
}
