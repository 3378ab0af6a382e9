//! Incidents in the register: the core's notifications and report, stored as JSON.

use custodia_core::incidents::{
    Finding, IncidentKind, Investigation, InvestigationState, InvestigationStep, Notification, Recipient, Report,
};
use serde_json::{Value, json};

use crate::StoreError;
use crate::care::ExaminationLink;

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
    /// The investigation of an allegation (a torture allegation opens one).
    pub investigation: Option<Investigation>,
    /// For a death in custody, the person's last medical examination (`None` inside when none
    /// was ever recorded); `None` for every other kind (docs/rights.md#health).
    pub last_examination: Option<Option<ExaminationLink>>,
}

/// What an incident's stored record holds besides its columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IncidentRecord {
    pub(crate) report: Report,
    pub(crate) notifications: Vec<Notification>,
    pub(crate) investigation: Option<Investigation>,
    pub(crate) last_examination: Option<Option<ExaminationLink>>,
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

pub(crate) fn incident_json(record: &IncidentRecord) -> Value {
    let IncidentRecord { report, notifications, investigation, last_examination } = record;
    let mut value = json!({
        "report": report.original,
        "addenda": report.addenda.iter().map(|(author, text)| json!({"author": author, "text": text})).collect::<Vec<_>>(),
        "notifications": notifications.iter().map(|n| json!({
            "recipient": n.recipient.as_str(),
            "due_at_unix": n.due_at_unix,
            "sent_at_unix": n.sent_at_unix,
        })).collect::<Vec<_>>(),
    });
    // Only allegations carry the key, so every other incident's record is as it always was.
    if let (Some(i), Some(map)) = (investigation, value.as_object_mut()) {
        map.insert("investigation".into(), investigation_json(i));
    }
    // Likewise only deaths carry their last examination (null when there was none).
    if let (Some(link), Some(map)) = (last_examination, value.as_object_mut()) {
        let link = link.as_ref().map(|l| json!({"id": l.id, "examined_at": l.examined_at, "examiner": l.examiner}));
        map.insert("last_examination".into(), link.unwrap_or(Value::Null));
    }
    value
}

pub(crate) fn investigation_json(i: &Investigation) -> Value {
    json!({
        "opened_at_unix": i.opened_at_unix,
        "state": i.state().as_str(),
        "finding": i.finding().map(Finding::as_str),
        "steps": i.steps.iter().map(|s| json!({
            "state": s.state.as_str(),
            "finding": s.finding.map(Finding::as_str),
            "by": s.by,
            "at_unix": s.at_unix,
        })).collect::<Vec<_>>(),
    })
}

fn investigation_from_json(v: &Value) -> Result<Investigation, StoreError> {
    let bad = |what: &str| StoreError::Inconsistent(format!("incident record: investigation {what}"));
    let steps = v
        .get("steps")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("steps"))?
        .iter()
        .map(|s| {
            let finding = match s.get("finding").and_then(Value::as_str) {
                Some(text) => Some(Finding::parse(text).ok_or_else(|| bad("finding"))?),
                None => None,
            };
            Ok(InvestigationStep {
                state: s
                    .get("state")
                    .and_then(Value::as_str)
                    .and_then(InvestigationState::parse)
                    .ok_or_else(|| bad("state"))?,
                finding,
                by: s.get("by").and_then(Value::as_str).ok_or_else(|| bad("by"))?.to_owned(),
                at_unix: s.get("at_unix").and_then(Value::as_i64).ok_or_else(|| bad("at_unix"))?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Investigation {
        opened_at_unix: v.get("opened_at_unix").and_then(Value::as_i64).ok_or_else(|| bad("opened_at_unix"))?,
        steps,
    })
}

pub(crate) fn incident_from_json(text: &str) -> Result<IncidentRecord, StoreError> {
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
    let investigation = v.get("investigation").map(investigation_from_json).transpose()?;
    let last_examination = match v.get("last_examination") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(l) => Some(Some(ExaminationLink {
            id: l.get("id").and_then(Value::as_i64).ok_or_else(|| bad("last_examination.id"))?,
            examined_at: l
                .get("examined_at")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("last_examination.examined_at"))?
                .to_owned(),
            examiner: l
                .get("examiner")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("last_examination.examiner"))?
                .to_owned(),
        })),
    };
    Ok(IncidentRecord { report, notifications, investigation, last_examination })
}
