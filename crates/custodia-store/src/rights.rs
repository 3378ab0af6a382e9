//! The detainee's side in the register (docs/rights.md): requests and complaints, their answers
//! and escalations. An allegation of torture or ill-treatment in a complaint opens its incident in
//! the same transaction.

use custodia_core::incidents::IncidentKind;
use custodia_core::rights::{Answer, Complaint, ComplaintCategory, ComplaintRefusal, Escalation};
use serde_json::{Value, json};
use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, store_trait};
use crate::events::{EventData, NewEvent};
use crate::oversight::IncidentFiling;
use crate::{Actor, StoreError, Timestamp};

/// A stored complaint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplaintRow {
    /// The complaint id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person it is by or for.
    pub case_id: i64,
    /// The complaint.
    pub complaint: Complaint,
}

/// A change to a complaint: its answer or its escalation.
#[derive(Clone, Debug)]
pub enum ComplaintChange {
    /// Answered (never twice).
    Answered(Answer),
    /// Escalated to an inspecting body the agreement names (never twice).
    Escalated(Escalation),
}

store_trait! {
    /// Requests and complaints.
    pub trait Rights {
        /// Files a complaint about case `case_id` of the agreement; with `alleges_ill_treatment`,
        /// the torture allegation's incident (its notification and investigation) is filed in the
        /// same transaction and named in the complaint.
        fn file_complaint(&self, agreement_id: &str, case_id: i64, complaint: &Complaint, actor: &Actor) -> Result<ComplaintRow, StoreError>;
        /// Answers or escalates a complaint; refused, writing nothing, with `Refused("CODE: …")`
        /// (`ALREADY_ANSWERED`, `ALREADY_ESCALATED`, `UNKNOWN_BODY`).
        fn change_complaint(&self, id: i64, change: &ComplaintChange, actor: &Actor) -> Result<ComplaintRow, StoreError>;
        /// Every complaint of an agreement, in id order.
        fn complaints(&self, agreement_id: &str) -> Result<Vec<ComplaintRow>, StoreError>;
        /// At most `limit` complaints of an agreement with ids above `after`, in id order (keyset).
        fn complaints_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<ComplaintRow>, StoreError>;
        /// One complaint, by id (whatever its agreement).
        fn complaint(&self, id: i64) -> Result<Option<ComplaintRow>, StoreError>;
    }
}

macro_rules! rights_sql {
    ($name:ident) => {
        impl Rights for $name {
            async fn file_complaint(&self, agreement_id: &str, case_id: i64, complaint: &Complaint, actor: &Actor) -> Result<ComplaintRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                Self::agreement_in(&mut tx, agreement_id).await?;
                let found = sqlx::query("SELECT person_id FROM cases WHERE id = $1 AND agreement_id = $2")
                    .bind(case_id)
                    .bind(agreement_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err(StoreError::NotFound(format!("case {case_id} is not a case of {agreement_id}")));
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM complaints").fetch_one(&mut *tx).await?.try_get("next")?;
                let mut complaint = complaint.clone();
                if complaint.alleges_ill_treatment {
                    let at = Timestamp::parse(&complaint.filed_at).map_err(|e| StoreError::Inconsistent(format!("complaint time: {e}")))?;
                    // The complaint's words stay with the complaint (it may be confidential): the
                    // incident names it.
                    let report = format!("An allegation of torture or ill-treatment made in complaint {id} ({}).", complaint.category.as_str());
                    let filing = IncidentFiling { agreement_id, case_id: Some(case_id), person_id: None, kind: IncidentKind::TortureAllegation, occurred_at: &at, report: &report };
                    let incident = Self::file_incident_in(&mut tx, &mut head, &filing, actor).await?;
                    complaint.incident_id = Some(incident.id);
                }
                let record = complaint_json(&complaint);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                    kind: "complaint.filed",
                    agreement_id: Some(agreement_id.to_owned()),
                    person_id: None,
                    data: EventData::Json(json!({
                        "complaint_id": id, "case_id": case_id, "category": complaint.category.as_str(),
                        "confidential": complaint.confidential, "record": record,
                    })),
                }, actor).await?;
                sqlx::query("INSERT INTO complaints (id, agreement_id, case_id, category, confidential, text, record, last_event_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(id)
                    .bind(agreement_id.to_owned())
                    .bind(case_id)
                    .bind(complaint.category.as_str())
                    .bind(i64::from(complaint.confidential))
                    .bind(complaint.text.clone())
                    .bind(record.to_string())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(ComplaintRow { id, agreement_id: agreement_id.to_owned(), case_id, complaint })
            }

            async fn change_complaint(&self, id: i64, change: &ComplaintChange, actor: &Actor) -> Result<ComplaintRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT id, agreement_id, case_id, text, answer_text, record FROM complaints WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("complaint {id} does not exist")))?;
                let current = complaint_row(&row)?;
                let refused = |r: ComplaintRefusal| StoreError::Refused(format!("{}: complaint {id}", r.code()));
                let (kind, changed) = match change {
                    ComplaintChange::Answered(answer) => ("complaint.answered", current.complaint.answered(answer.clone()).map_err(refused)?),
                    ComplaintChange::Escalated(escalation) => {
                        let agreement = Self::agreement_in(&mut tx, &current.agreement_id).await?;
                        let bodies = &agreement.oversight.inspection_bodies;
                        ("complaint.escalated", current.complaint.escalated(escalation.clone(), bodies).map_err(refused)?)
                    }
                };
                let record = complaint_json(&changed);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                    kind,
                    agreement_id: Some(current.agreement_id.clone()),
                    person_id: None,
                    data: EventData::Json(json!({"complaint_id": id, "record": record})),
                }, actor).await?;
                sqlx::query("UPDATE complaints SET record = $1, last_event_seq = $2, answer_text = $3 WHERE id = $4")
                    .bind(record.to_string())
                    .bind(seq)
                    .bind(changed.answer.as_ref().map(|a| a.text.clone()))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(ComplaintRow { complaint: changed, ..current })
            }

            async fn complaints(&self, agreement_id: &str) -> Result<Vec<ComplaintRow>, StoreError> {
                let rows = sqlx::query("SELECT id, agreement_id, case_id, text, answer_text, record FROM complaints WHERE agreement_id = $1 ORDER BY id")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|row| complaint_row(row)).collect()
            }

            async fn complaints_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<ComplaintRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, agreement_id, case_id, text, answer_text, record FROM complaints \
                     WHERE agreement_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(agreement_id.to_owned())
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|row| complaint_row(row)).collect()
            }

            async fn complaint(&self, id: i64) -> Result<Option<ComplaintRow>, StoreError> {
                let row = sqlx::query("SELECT id, agreement_id, case_id, text, answer_text, record FROM complaints WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(|row| complaint_row(row)).transpose()
            }
        }
    };
}

rights_sql!(SqliteStore);
rights_sql!(PostgresStore);

/// The SHA-256 of a text, lowercase hex: what the journal keeps of a complaint's words.
fn commitment(text: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::backend::hex(&Sha256::digest(text.as_bytes()))
}

/// A complaint as stored JSON (and as its events carry it): its words and its answer's only by
/// their SHA-256 (the words are in the `text` and `answer_text` columns).
fn complaint_json(c: &Complaint) -> Value {
    json!({
        "category": c.category.as_str(),
        "confidential": c.confidential,
        "text_sha256": commitment(&c.text),
        "filed_by": c.filed_by,
        "filed_at": c.filed_at,
        "filed_at_unix": c.filed_at_unix,
        "due_at_unix": c.due_at_unix,
        "alleges_ill_treatment": c.alleges_ill_treatment,
        "incident_id": c.incident_id,
        "answer": c.answer.as_ref().map(|a| json!({"text_sha256": commitment(&a.text), "by": a.by, "at": a.at, "at_unix": a.at_unix})),
        "escalation": c.escalation.as_ref().map(|e| json!({"body": e.body, "by": e.by, "at": e.at})),
    })
}

fn bad(what: &str) -> StoreError {
    StoreError::Inconsistent(format!("complaint record: {what}"))
}

fn text(v: &Value, key: &str) -> Result<String, StoreError> {
    v.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| bad(key))
}

fn int(v: &Value, key: &str) -> Result<i64, StoreError> {
    v.get(key).and_then(Value::as_i64).ok_or_else(|| bad(key))
}

fn complaint_from_json(v: &Value, words: String, answer_words: Option<String>) -> Result<Complaint, StoreError> {
    let category = ComplaintCategory::parse(&text(v, "category")?).ok_or_else(|| bad("category"))?;
    let answer = match (v.get("answer").filter(|a| !a.is_null()), answer_words) {
        (Some(a), Some(words)) => {
            Some(Answer { text: words, by: text(a, "by")?, at: text(a, "at")?, at_unix: int(a, "at_unix")? })
        }
        (None, None) => None,
        _ => return Err(bad("answer and answer_text disagree")),
    };
    let escalation = match v.get("escalation").filter(|e| !e.is_null()) {
        Some(e) => Some(Escalation { body: text(e, "body")?, by: text(e, "by")?, at: text(e, "at")? }),
        None => None,
    };
    Ok(Complaint {
        category,
        confidential: v.get("confidential").and_then(Value::as_bool).ok_or_else(|| bad("confidential"))?,
        text: words,
        filed_by: text(v, "filed_by")?,
        filed_at: text(v, "filed_at")?,
        filed_at_unix: int(v, "filed_at_unix")?,
        due_at_unix: int(v, "due_at_unix")?,
        alleges_ill_treatment: v.get("alleges_ill_treatment").and_then(Value::as_bool).unwrap_or(false),
        incident_id: v.get("incident_id").and_then(Value::as_i64),
        answer,
        escalation,
    })
}

fn complaint_row<R: Row>(row: &R) -> Result<ComplaintRow, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let record: String = row.try_get("record")?;
    let value: Value = serde_json::from_str(&record).map_err(|e| bad(&e.to_string()))?;
    Ok(ComplaintRow {
        id: row.try_get("id")?,
        agreement_id: row.try_get("agreement_id")?,
        case_id: row.try_get("case_id")?,
        complaint: complaint_from_json(&value, row.try_get("text")?, row.try_get("answer_text")?)?,
    })
}
