//! Incidents in the register: the core's notifications and report, stored as JSON.

use custodia_core::incidents::{IncidentKind, Notification, Recipient, Report};
use serde_json::{Value, json};

use crate::StoreError;

/// A stored incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentRow {
    /// The incident id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// The kind.
    pub kind: IncidentKind,
    /// When it occurred (RFC 3339 UTC).
    pub occurred_at: String,
    /// The report and its addenda.
    pub report: Report,
    /// The mandatory notifications.
    pub notifications: Vec<Notification>,
}

fn recipient_parse(text: &str) -> Option<Recipient> {
    [Recipient::NextOfKin, Recipient::SendingState, Recipient::IndependentAuthority]
        .into_iter()
        .find(|r| r.as_str() == text)
}

/// Parses a recipient name (`next_of_kin`, `sending_state`, `independent_authority`).
pub fn parse_recipient(text: &str) -> Option<Recipient> {
    recipient_parse(text)
}

pub(crate) fn incident_json(report: &Report, notifications: &[Notification]) -> Value {
    json!({
        "report": report.original,
        "addenda": report.addenda.iter().map(|(author, text)| json!({"author": author, "text": text})).collect::<Vec<_>>(),
        "notifications": notifications.iter().map(|n| json!({
            "recipient": n.recipient.as_str(),
            "due_at_unix": n.due_at_unix,
            "sent_at_unix": n.sent_at_unix,
        })).collect::<Vec<_>>(),
    })
}

pub(crate) fn incident_from_json(text: &str) -> Result<(Report, Vec<Notification>), StoreError> {
    let bad = |what: &str| StoreError::Inconsistent(format!("incident record: {what}"));
    let v: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let report = Report {
        original: v.get("report").and_then(Value::as_str).ok_or_else(|| bad("report"))?.to_owned(),
        addenda: v
            .get("addenda")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|a| {
                        (
                            a.get("author").and_then(Value::as_str).unwrap_or_default().to_owned(),
                            a.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    let notifications = v
        .get("notifications")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|n| {
                    Ok(Notification {
                        recipient: n
                            .get("recipient")
                            .and_then(Value::as_str)
                            .and_then(recipient_parse)
                            .ok_or_else(|| bad("recipient"))?,
                        due_at_unix: n.get("due_at_unix").and_then(Value::as_i64).ok_or_else(|| bad("due_at_unix"))?,
                        sent_at_unix: n.get("sent_at_unix").and_then(Value::as_i64),
                    })
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok((report, notifications))
}
