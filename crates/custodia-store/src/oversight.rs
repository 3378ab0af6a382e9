//! Oversight in the register: incidents and their notifications, inspections and their
//! recommendations, consular and family contacts.

use custodia_core::incidents::{Finding, IncidentKind, Investigation, Report};
use custodia_core::oversight::{Contact, ContactMeans, Inspection, RecommendationState};
use serde_json::{Value, json};
use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, store_trait};
use crate::events::{EventData, Head, NewEvent};
use crate::incidents::{IncidentRecord, IncidentRow, incident_from_json, incident_json};
use crate::{Actor, IncidentUpdate, StoreError, Timestamp};

/// A stored inspection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InspectionRow {
    /// The inspection id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The inspection.
    pub inspection: Inspection,
}

/// A logged contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRow {
    /// The contact id.
    pub id: i64,
    /// The case concerned, if any.
    pub case_id: Option<i64>,
    /// The contact.
    pub contact: Contact,
}

/// An incident to file inside another change's transaction (`file_incident_in`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct IncidentFiling<'a> {
    /// The agreement.
    pub(crate) agreement_id: &'a str,
    /// The case concerned, if any (must be a case of the agreement).
    pub(crate) case_id: Option<i64>,
    /// The person concerned, if known: the event is then indexed under them.
    pub(crate) person_id: Option<i64>,
    /// The kind.
    pub(crate) kind: IncidentKind,
    /// When it happened (for an allegation: when it was made).
    pub(crate) occurred_at: &'a Timestamp,
    /// The report.
    pub(crate) report: &'a str,
}

store_trait! {
    /// Oversight: incidents, inspections and contacts.
    pub trait Oversight {
        /// Files an incident; a death, disappearance or serious injury opens its notifications
        /// with the agreement's deadlines, a torture allegation its notification to the
        /// independent authority and an investigation.
        fn file_incident(&self, agreement_id: &str, case_id: Option<i64>, kind: IncidentKind, occurred_at: &Timestamp, report: &str, actor: &Actor) -> Result<IncidentRow, StoreError>;
        /// Records a notification as sent, adds an addendum to the report (the report itself is
        /// never edited), or moves the investigation of an allegation (refused, writing nothing,
        /// with `Refused("CODE: …")` when the move is not allowed).
        fn update_incident(&self, id: i64, update: &IncidentUpdate, actor: &Actor) -> Result<IncidentRow, StoreError>;
        /// Every incident of an agreement, in id order.
        fn incidents(&self, agreement_id: &str) -> Result<Vec<IncidentRow>, StoreError>;
        /// At most `limit` incidents of an agreement with ids above `after`, in id order (keyset).
        fn incidents_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<IncidentRow>, StoreError>;
        /// One incident, by id (whatever its agreement).
        fn incident(&self, id: i64) -> Result<Option<IncidentRow>, StoreError>;
        /// Files an inspection (its body must be one the agreement names).
        fn file_inspection(&self, agreement_id: &str, inspection: &Inspection, actor: &Actor) -> Result<i64, StoreError>;
        /// Moves a recommendation of an inspection to a new state (open → accepted |
        /// rejected, accepted → implemented | rejected).
        fn update_recommendation(&self, id: i64, index: usize, to: RecommendationState, actor: &Actor) -> Result<Inspection, StoreError>;
        /// Every inspection of an agreement, in id order: (id, inspection).
        fn inspections(&self, agreement_id: &str) -> Result<Vec<InspectionRow>, StoreError>;
        /// At most `limit` inspections of an agreement with ids above `after`, in id order (keyset).
        fn inspections_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<InspectionRow>, StoreError>;
        /// One inspection, by id (whatever its agreement): (agreement id, inspection).
        fn inspection(&self, id: i64) -> Result<Option<InspectionRow>, StoreError>;
        /// Logs a consular or family contact.
        fn log_contact(&self, agreement_id: &str, case_id: Option<i64>, contact: &Contact, actor: &Actor) -> Result<i64, StoreError>;
        /// The contact log of an agreement: (id, case, contact), in order.
        fn contacts(&self, agreement_id: &str) -> Result<Vec<ContactRow>, StoreError>;
        /// At most `limit` contacts of an agreement with ids above `after`, in id order (keyset).
        fn contacts_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<ContactRow>, StoreError>;
    }
}

macro_rules! oversight_sql {
    ($name:ident, $db:ty) => {
        impl Oversight for $name {
            async fn file_incident(
                &self,
                agreement_id: &str,
                case_id: Option<i64>,
                kind: IncidentKind,
                occurred_at: &Timestamp,
                report: &str,
                actor: &Actor,
            ) -> Result<IncidentRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let filing = IncidentFiling { agreement_id, case_id, person_id: None, kind, occurred_at, report };
                let row = Self::file_incident_in(&mut tx, &mut head, &filing, actor).await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn update_incident(&self, id: i64, update: &IncidentUpdate, actor: &Actor) -> Result<IncidentRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT agreement_id, case_id, kind, occurred_at, record FROM incidents WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("incident {id} does not exist")))?;
                let agreement_id: String = row.try_get("agreement_id")?;
                let kind = IncidentKind::parse(&row.try_get::<String, _>("kind")?).ok_or_else(|| StoreError::Inconsistent("incident kind".into()))?;
                let IncidentRecord { mut report, mut notifications, mut investigation, last_examination } = incident_from_json(&row.try_get::<String, _>("record")?)?;
                let (event_kind, detail) = match update {
                    IncidentUpdate::Notified { recipient, at } => {
                        let n = notifications
                            .iter_mut()
                            .find(|n| n.recipient == *recipient && n.sent_at_unix.is_none())
                            .ok_or_else(|| StoreError::Refused(format!("incident {id} has no pending notification of {}", recipient.as_str())))?;
                        n.sent_at_unix = Some(at.unix_seconds());
                        ("incident.notified", json!({"recipient": recipient.as_str(), "at": at.as_str(), "late": n.was_late()}))
                    }
                    IncidentUpdate::Addendum { text } => {
                        report.add_addendum(&actor.name, text).map_err(|e| StoreError::Refused(e.to_owned()))?;
                        ("incident.addendum", json!({"text": text}))
                    }
                    IncidentUpdate::Investigation { to, finding } => {
                        let i = investigation.as_mut().ok_or_else(|| StoreError::Refused(format!("NO_INVESTIGATION: incident {id} has no investigation")))?;
                        let from = i.state();
                        // When it happened, if the caller says; else when it is recorded.
                        let at = actor.occurred_at.as_ref().unwrap_or(&actor.recorded_at);
                        i.advance(*to, *finding, &actor.name, at.unix_seconds()).map_err(|r| StoreError::Refused(format!("{}: {}", r.code(), r.message())))?;
                        ("incident.investigation", json!({"from": from.as_str(), "to": to.as_str(), "finding": finding.map(Finding::as_str), "at": at.as_str()}))
                    }
                };
                let record = IncidentRecord { report, notifications, investigation, last_examination };
                let json_record = incident_json(&record);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent { kind: event_kind, agreement_id: Some(agreement_id.clone()), person_id: None, data: EventData::Json(json!({"incident_id": id, "update": detail, "record": json_record})) }, actor).await?;
                sqlx::query("UPDATE incidents SET record = $1, last_event_seq = $2 WHERE id = $3")
                    .bind(json_record.to_string())
                    .bind(seq)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(IncidentRow {
                    id,
                    agreement_id,
                    case_id: row.try_get("case_id")?,
                    kind,
                    occurred_at: row.try_get("occurred_at")?,
                    report: record.report,
                    notifications: record.notifications,
                    investigation: record.investigation,
                    last_examination: record.last_examination,
                })
            }

            async fn incidents(&self, agreement_id: &str) -> Result<Vec<IncidentRow>, StoreError> {
                self.incidents_after(agreement_id, 0, u32::MAX).await
            }

            async fn incidents_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<IncidentRow>, StoreError> {
                let rows = sqlx::query("SELECT id, case_id, kind, occurred_at, record FROM incidents WHERE agreement_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                    .bind(agreement_id.to_owned())
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        let IncidentRecord { report, notifications, investigation, last_examination } = incident_from_json(&row.try_get::<String, _>("record")?)?;
                        Ok(IncidentRow {
                            id: row.try_get("id")?,
                            agreement_id: agreement_id.to_owned(),
                            case_id: row.try_get("case_id")?,
                            kind: IncidentKind::parse(&row.try_get::<String, _>("kind")?).ok_or_else(|| StoreError::Inconsistent("incident kind".into()))?,
                            occurred_at: row.try_get("occurred_at")?,
                            report,
                            notifications,
                            investigation,
                            last_examination,
                        })
                    })
                    .collect()
            }

            async fn incident(&self, id: i64) -> Result<Option<IncidentRow>, StoreError> {
                let row = sqlx::query("SELECT id, agreement_id, case_id, kind, occurred_at, record FROM incidents WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let IncidentRecord { report, notifications, investigation, last_examination } = incident_from_json(&row.try_get::<String, _>("record")?)?;
                Ok(Some(IncidentRow {
                    id: row.try_get("id")?,
                    agreement_id: row.try_get("agreement_id")?,
                    case_id: row.try_get("case_id")?,
                    kind: IncidentKind::parse(&row.try_get::<String, _>("kind")?).ok_or_else(|| StoreError::Inconsistent("incident kind".into()))?,
                    occurred_at: row.try_get("occurred_at")?,
                    report,
                    notifications,
                    investigation,
                    last_examination,
                }))
            }

            async fn file_inspection(&self, agreement_id: &str, inspection: &Inspection, actor: &Actor) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let agreement = Self::agreement_in(&mut tx, agreement_id).await?;
                inspection.validate(&agreement.oversight.inspection_bodies).map_err(StoreError::Refused)?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM inspections").fetch_one(&mut *tx).await?.try_get("next")?;
                let record = inspection_json(inspection);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent { kind: "inspection.filed", agreement_id: Some(agreement_id.to_owned()), person_id: None, data: EventData::Json(json!({"inspection_id": id, "record": record})) }, actor).await?;
                sqlx::query("INSERT INTO inspections (id, agreement_id, body, from_date, to_date, record, last_event_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(agreement_id.to_owned())
                    .bind(inspection.body.clone())
                    .bind(inspection.from.to_string())
                    .bind(inspection.to.to_string())
                    .bind(record.to_string())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn update_recommendation(&self, id: i64, index: usize, to: RecommendationState, actor: &Actor) -> Result<Inspection, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT agreement_id, record FROM inspections WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("inspection {id} does not exist")))?;
                let agreement_id: String = row.try_get("agreement_id")?;
                let mut inspection = inspection_from_json(&row.try_get::<String, _>("record")?)?;
                inspection.update_recommendation(index, to).map_err(StoreError::Refused)?;
                let record = inspection_json(&inspection);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "inspection.recommendation",
                        agreement_id: Some(agreement_id),
                        person_id: None,
                        data: EventData::Json(json!({"inspection_id": id, "index": index, "state": to.as_str(), "record": record})),
                    }, actor).await?;
                sqlx::query("UPDATE inspections SET record = $1, last_event_seq = $2 WHERE id = $3")
                    .bind(record.to_string())
                    .bind(seq)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(inspection)
            }

            async fn inspections(&self, agreement_id: &str) -> Result<Vec<InspectionRow>, StoreError> {
                self.inspections_after(agreement_id, 0, u32::MAX).await
            }

            async fn inspections_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<InspectionRow>, StoreError> {
                let rows = sqlx::query("SELECT id, agreement_id, record FROM inspections WHERE agreement_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                    .bind(agreement_id.to_owned())
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| inspection_row(row))
                    .collect()
            }

            async fn inspection(&self, id: i64) -> Result<Option<InspectionRow>, StoreError> {
                let row = sqlx::query("SELECT id, agreement_id, record FROM inspections WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some(inspection_row(&row)?))
            }

            async fn log_contact(&self, agreement_id: &str, case_id: Option<i64>, contact: &Contact, actor: &Actor) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                Self::agreement_in(&mut tx, agreement_id).await?;
                if let Some(case_id) = case_id {
                    let found = sqlx::query("SELECT id FROM cases WHERE id = $1 AND agreement_id = $2").bind(case_id).bind(agreement_id.to_owned()).fetch_optional(&mut *tx).await?;
                    if found.is_none() {
                        return Err(StoreError::NotFound(format!("case {case_id} is not a case of {agreement_id}")));
                    }
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM contacts").fetch_one(&mut *tx).await?.try_get("next")?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "contact.logged",
                        agreement_id: Some(agreement_id.to_owned()),
                        person_id: None,
                        data: EventData::Json(json!({
                            "contact_id": id, "case_id": case_id, "contact": contact.contact, "at": contact.at,
                            "means": contact.means.as_str(), "note": contact.note,
                        })),
                    }, actor).await?;
                sqlx::query("INSERT INTO contacts (id, agreement_id, case_id, contact, at, means, note, event_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(id)
                    .bind(agreement_id.to_owned())
                    .bind(case_id)
                    .bind(contact.contact.clone())
                    .bind(contact.at.clone())
                    .bind(contact.means.as_str())
                    .bind(contact.note.clone())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn contacts(&self, agreement_id: &str) -> Result<Vec<ContactRow>, StoreError> {
                self.contacts_after(agreement_id, 0, u32::MAX).await
            }

            async fn contacts_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<ContactRow>, StoreError> {
                let rows = sqlx::query("SELECT id, case_id, contact, at, means, note FROM contacts WHERE agreement_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                    .bind(agreement_id.to_owned())
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok(ContactRow {
                            id: row.try_get("id")?,
                            case_id: row.try_get("case_id")?,
                            contact: Contact {
                                contact: row.try_get("contact")?,
                                at: row.try_get("at")?,
                                means: ContactMeans::parse(&row.try_get::<String, _>("means")?).ok_or_else(|| StoreError::Inconsistent("contact means".into()))?,
                                note: row.try_get("note")?,
                            },
                        })
                    })
                    .collect()
            }
        }

        impl $name {
            /// Files an incident inside an open transaction whose journal head is locked, so that
            /// another change (a case entering `deceased`) and its incident land together or not
            /// at all. A death, disappearance or serious injury opens its three notifications, a
            /// torture allegation its notification to the independent authority and an
            /// investigation, each with the agreement's deadlines. The caller saves the head and
            /// commits.
            pub(crate) async fn file_incident_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                head: &mut Head,
                filing: &IncidentFiling<'_>,
                actor: &Actor,
            ) -> Result<IncidentRow, StoreError> {
                let IncidentFiling { agreement_id, case_id, person_id, kind, occurred_at, report } = *filing;
                let agreement = Self::agreement_in(tx, agreement_id).await?;
                if let Some(case_id) = case_id {
                    let found = sqlx::query("SELECT id FROM cases WHERE id = $1 AND agreement_id = $2")
                        .bind(case_id)
                        .bind(agreement_id.to_owned())
                        .fetch_optional(&mut **tx)
                        .await?;
                    if found.is_none() {
                        return Err(StoreError::NotFound(format!("case {case_id} is not a case of {agreement_id}")));
                    }
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM incidents").fetch_one(&mut **tx).await?.try_get("next")?;
                // A death names the person's last medical examination (docs/rights.md#health).
                let last_examination = match (kind, case_id) {
                    (IncidentKind::Death, Some(case_id)) => Some(Self::last_examination_in(tx, case_id).await?),
                    _ => None,
                };
                let record = IncidentRecord {
                    report: Report { original: report.to_owned(), addenda: Vec::new() },
                    notifications: custodia_core::incidents::notifications_for(kind, occurred_at.unix_seconds(), &agreement.oversight),
                    investigation: Investigation::for_incident(kind, occurred_at.unix_seconds()),
                    last_examination,
                };
                let json_record = incident_json(&record);
                let seq = Self::record_event(tx, head, NewEvent {
                        kind: "incident.filed",
                        agreement_id: Some(agreement_id.to_owned()),
                        person_id,
                        data: EventData::Json(json!({"incident_id": id, "case_id": case_id, "kind": kind.as_str(), "occurred_at": occurred_at.as_str(), "record": json_record})),
                    }, actor).await?;
                sqlx::query("INSERT INTO incidents (id, agreement_id, case_id, kind, occurred_at, record, last_event_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(agreement_id.to_owned())
                    .bind(case_id)
                    .bind(kind.as_str())
                    .bind(occurred_at.as_str().to_owned())
                    .bind(json_record.to_string())
                    .bind(seq)
                    .execute(&mut **tx)
                    .await?;
                let IncidentRecord { report, notifications, investigation, last_examination } = record;
                Ok(IncidentRow { id, agreement_id: agreement_id.to_owned(), case_id, kind, occurred_at: occurred_at.as_str().to_owned(), report, notifications, investigation, last_examination })
            }
        }
    };
}

oversight_sql!(SqliteStore, sqlx::Sqlite);
oversight_sql!(PostgresStore, sqlx::Postgres);

/// An inspection as stored JSON.
fn inspection_json(i: &Inspection) -> Value {
    json!({
        "body": i.body,
        "from": i.from.to_string(),
        "to": i.to.to_string(),
        "findings": i.findings,
        "recommendations": i.recommendations.iter().map(|(text, state)| json!({"text": text, "state": state.as_str()})).collect::<Vec<_>>(),
    })
}

fn inspection_from_json(text: &str) -> Result<Inspection, StoreError> {
    let bad = |what: &str| StoreError::Inconsistent(format!("inspection record: {what}"));
    let v: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let date = |key: &str| {
        v.get(key).and_then(Value::as_str).and_then(|t| custodia_core::Date::parse(t).ok()).ok_or_else(|| bad(key))
    };
    Ok(Inspection {
        body: v.get("body").and_then(Value::as_str).ok_or_else(|| bad("body"))?.to_owned(),
        from: date("from")?,
        to: date("to")?,
        findings: v
            .get("findings")
            .and_then(Value::as_array)
            .map(|f| f.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        recommendations: v
            .get("recommendations")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|r| {
                        let state = r
                            .get("state")
                            .and_then(Value::as_str)
                            .and_then(RecommendationState::parse)
                            .ok_or_else(|| bad("state"))?;
                        Ok((r.get("text").and_then(Value::as_str).unwrap_or_default().to_owned(), state))
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .transpose()?
            .unwrap_or_default(),
    })
}

/// An inspection from a row with the columns id, agreement_id, record.
fn inspection_row<R: Row>(row: &R) -> Result<InspectionRow, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(InspectionRow {
        id: row.try_get("id")?,
        agreement_id: row.try_get("agreement_id")?,
        inspection: inspection_from_json(&row.try_get::<String, _>("record")?)?,
    })
}
