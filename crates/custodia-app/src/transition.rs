//! A `case.transition` event's body read for what billing and the capacity rules need, borrowed
//! from the body: the members those use are read, every other member (the intake record, the
//! decision with every rule's outcome) is skipped without being built.
//!
//! Architecture invariant: this reads the same members, with the same meaning, as reading the body
//! into a `serde_json::Value` and asking for them; a member of another type than the one written
//! by the register makes the event unreadable (an internal error), never silently absent.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{AppError, AppResult};

/// The members of a transition event's envelope that are read.
#[derive(Debug, Deserialize)]
pub(crate) struct Transition<'a> {
    #[serde(borrow, default)]
    pub occurred_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub data: TransitionData<'a>,
}

/// The members of a transition's `data` that are read.
#[derive(Debug, Deserialize)]
pub(crate) struct TransitionData<'a> {
    pub case_id: Option<i64>,
    #[serde(borrow, default)]
    pub action: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub from: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub to: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub facility_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub occurred_at: Option<Cow<'a, str>>,
    /// Present and not null when the step went past a cell's standard with an override.
    #[serde(borrow, default, rename = "override")]
    pub override_: Option<&'a RawValue>,
    /// The step's record (an admission's intake, a placement's cell), read only when needed.
    #[serde(borrow, default)]
    pub record: Option<&'a RawValue>,
}

/// The members of a step's record that are read.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct StepRecord<'a> {
    #[serde(borrow, default)]
    pub cell_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub intake: Option<Intake<'a>>,
}

/// The member of an intake record that is read.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Intake<'a> {
    #[serde(borrow, default)]
    pub admitted_on: Option<Cow<'a, str>>,
}

impl<'a> Transition<'a> {
    /// Reads a stored transition body.
    pub(crate) fn read(body: &'a str) -> AppResult<Transition<'a>> {
        serde_json::from_str(body)
            .map_err(|e| AppError::Internal(format!("a case.transition event does not read: {e}")))
    }

    /// When the step happened: the data's `occurred_at` (a step recorded later), else the
    /// envelope's.
    pub(crate) fn occurred_at(&self) -> Option<&str> {
        self.data.occurred_at.as_deref().or(self.occurred_at.as_deref())
    }

    /// The step's record, read (an absent or null record reads as empty).
    pub(crate) fn record(&self) -> AppResult<StepRecord<'a>> {
        match self.data.record {
            Some(raw) if raw.get() != "null" => serde_json::from_str(raw.get())
                .map_err(|e| AppError::Internal(format!("a case.transition event's record does not read: {e}"))),
            _ => Ok(StepRecord::default()),
        }
    }

    /// Whether the step carries an override.
    pub(crate) fn has_override(&self) -> bool {
        self.data.override_.is_some_and(|raw| raw.get() != "null")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Reads the same members as a `Value` would, on the register's own event shapes.
    #[test]
    fn reads_what_a_value_reads() {
        let bodies = [
            r#"{"seq":4,"occurred_at":"2025-04-01T10:00:00Z","data":{"case_id":7,"action":"admit","from":"in_transit","to":"in_custody","facility_id":"cecot","record":{"cell_id":"A-1","intake":{"admitted_on":"2025-03-31","notes":"x \" y"}},"override":null}}"#,
            r#"{"seq":5,"occurred_at":"2025-04-02T10:00:00Z","data":{"case_id":7,"action":"place","from":"in_custody","to":"in_custody","facility_id":"cecot","occurred_at":"2025-04-01T23:00:00Z","record":{"cell_id":"B-\u00e9"},"override":{"by":["a","b"]}}}"#,
            r#"{"seq":6,"occurred_at":"2025-05-02T10:00:00Z","data":{"case_id":8,"action":"return","from":"return_scheduled","to":"returned","facility_id":null,"record":null,"decision":{"rules":[1,2,3]}}}"#,
        ];
        for body in bodies {
            let value: Value = serde_json::from_str(body).unwrap();
            let t = Transition::read(body).unwrap();
            let text = |p: &str| value.pointer(p).and_then(Value::as_str);
            assert_eq!(t.data.case_id, value.pointer("/data/case_id").and_then(Value::as_i64));
            assert_eq!(t.data.action.as_deref(), text("/data/action"));
            assert_eq!(t.data.from.as_deref(), text("/data/from"));
            assert_eq!(t.data.to.as_deref(), text("/data/to"));
            assert_eq!(t.data.facility_id.as_deref(), text("/data/facility_id"));
            assert_eq!(t.occurred_at(), text("/data/occurred_at").or_else(|| text("/occurred_at")));
            assert_eq!(t.has_override(), value.pointer("/data/override").is_some_and(|v| !v.is_null()));
            let record = t.record().unwrap();
            assert_eq!(record.cell_id.as_deref(), text("/data/record/cell_id"));
            assert_eq!(record.intake.and_then(|i| i.admitted_on).as_deref(), text("/data/record/intake/admitted_on"));
        }
    }

    #[test]
    fn a_member_of_another_type_is_an_error_not_an_absence() {
        assert!(Transition::read(r#"{"data":{"case_id":"7"}}"#).is_err());
        assert!(Transition::read(r#"{"data":{"case_id":7,"facility_id":3}}"#).is_err());
        assert!(Transition::read("not json").is_err());
    }
}
