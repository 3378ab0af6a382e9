//! The register's form of a person record: the core's owned [`PersonData`] (one type for
//! screening, imports, the register and the API), kept as canonical JSON with a hash.

use custodia_core::person::Column;
pub use custodia_core::person::PERSON_COLUMNS;
/// The core's owned person record, under the name the register has always used.
pub use custodia_core::person_owned::Person as PersonData;
use custodia_core::person_owned::ValueKind;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The register's JSON form of a person record (the `record` of `person.registered` and
/// `person.amended` events; the format is pinned by the journal's tests).
pub trait PersonJson: Sized {
    /// The record as a JSON object keyed by column name; unknown values are `null`, names are
    /// strings, the credit is a number.
    fn to_json(&self) -> Value;
    /// The record as canonical JSON (RFC 8785), as the register stores it.
    fn canonical_json(&self) -> String;
    /// Reads a record written by [`PersonJson::to_json`].
    fn from_value(value: &Value) -> Result<Self, String>;
    /// SHA-256 of the record's columns, used to make imports idempotent.
    fn sha256(&self) -> [u8; 32];
}

impl PersonJson for PersonData {
    fn to_json(&self) -> Value {
        let mut map = Map::new();
        for column in Column::ALL {
            let value = self.value(column);
            let v = match column.kind() {
                ValueKind::Text => Value::String(value.unwrap_or_default()),
                ValueKind::Optional => value.filter(|v| !v.is_empty()).map_or(Value::Null, Value::String),
                ValueKind::Days => self.jail_credit_days.map_or(Value::Null, Value::from),
            };
            map.insert(column.name().to_owned(), v);
        }
        Value::Object(map)
    }

    fn canonical_json(&self) -> String {
        // Only strings, null and a small integer: canonicalisation cannot fail.
        custodia_journal::canonical::canonicalize(&self.to_json())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default()
    }

    fn from_value(value: &Value) -> Result<Self, String> {
        let mut person = PersonData::default();
        for column in Column::ALL {
            let name = column.name();
            let text = match (column.kind(), value.get(name)) {
                (_, None | Some(Value::Null)) => None,
                (ValueKind::Days, Some(v)) => {
                    let days = v.as_u64().and_then(|d| u32::try_from(d).ok());
                    Some(days.ok_or_else(|| format!("{name} is not a day count"))?.to_string())
                }
                (_, Some(Value::String(s))) => Some(s.clone()),
                (_, Some(other)) => return Err(format!("{name} is {other}, not a string")),
            };
            person.set(column, text)?;
        }
        Ok(person)
    }

    fn sha256(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for value in self.columns() {
            hasher.update((value.len() as u64).to_be_bytes());
            hasher.update(value.as_bytes());
        }
        hasher.finalize().into()
    }
}
