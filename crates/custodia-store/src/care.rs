//! Health care, visits and calls, and solitary confinement in the register (docs/rights.md). The
//! rules of `custodia_core::care` are applied inside the transaction that writes: a counsel visit
//! refused for capacity, an admission examination that leaves the intake's injuries undocumented,
//! a placement of a person found unfit for it or already placed are refused and write nothing.
//! An examination's findings and injuries (the health file) are kept in their own column; the
//! journal keeps only their SHA-256.

use custodia_core::Date;
use custodia_core::care::{
    Contact, ContactKind, ExamPurpose, Examination, Fitness, FitnessFor, IntakeLink, Placement, PlacementEnd, Refusal,
    RefusalGround, may_place,
};
use serde_json::{Value, json};
use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, store_trait};
use crate::events::{EventData, NewEvent};
use crate::{Actor, StoreError};

/// A record of care: an examination, a visit or call, or a placement in solitary confinement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CareItem {
    /// A medical examination (its health file included).
    Examination(Examination),
    /// A visit or call, held or refused.
    Visit(Contact),
    /// A placement in solitary confinement.
    Placement(Placement),
}

impl CareItem {
    /// `examination`, `visit` or `placement`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Examination(_) => "examination",
            Self::Visit(_) => "visit",
            Self::Placement(_) => "placement",
        }
    }

    const fn event_kind(&self) -> &'static str {
        match self {
            Self::Examination(_) => "examination.recorded",
            Self::Visit(_) => "visit.recorded",
            Self::Placement(_) => "solitary.placed",
        }
    }
}

/// A stored record of care.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CareRow {
    /// The record id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The case of the person.
    pub case_id: i64,
    /// The record.
    pub item: CareItem,
}

/// The last examination of a case, as a death's incident names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExaminationLink {
    /// The examination's record id.
    pub id: i64,
    /// When it was made (RFC 3339, UTC).
    pub examined_at: String,
    /// Who examined.
    pub examiner: String,
}

store_trait! {
    /// Health care, visits and solitary confinement.
    pub trait Care {
        /// Records an examination, a visit or a placement for case `case_id` of the agreement;
        /// refused, writing nothing, with `Refused("CODE: …")` (`NOT_IN_CUSTODY`,
        /// `COUNSEL_NOT_REFUSABLE`, `INJURIES_UNDOCUMENTED`, `UNFIT_FOR_SOLITARY`,
        /// `ALREADY_IN_SOLITARY`).
        fn record_care(&self, agreement_id: &str, case_id: i64, item: &CareItem, actor: &Actor) -> Result<CareRow, StoreError>;
        /// Ends placement `id` (`ALREADY_ENDED`, `END_BEFORE_START`).
        fn end_placement(&self, id: i64, end: &PlacementEnd, actor: &Actor) -> Result<CareRow, StoreError>;
        /// Every record of care of an agreement, in id order.
        fn care_records(&self, agreement_id: &str) -> Result<Vec<CareRow>, StoreError>;
        /// At most `limit` records of care of an agreement with ids above `after`, in id order
        /// (keyset).
        fn care_records_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<CareRow>, StoreError>;
        /// One record of care, by id (whatever its agreement).
        fn care_record(&self, id: i64) -> Result<Option<CareRow>, StoreError>;
    }
}

const COLUMNS: &str = "id, agreement_id, case_id, kind, health_file, record";

macro_rules! care_sql {
    ($name:ident, $db:ty) => {
        impl $name {
            /// The case's records of care, read in the transaction.
            async fn care_of_case_in(tx: &mut sqlx::Transaction<'_, $db>, case_id: i64) -> Result<Vec<CareRow>, StoreError> {
                let sql = format!("SELECT {COLUMNS} FROM care_records WHERE case_id = $1 ORDER BY id");
                let rows = sqlx::query(&sql).bind(case_id).fetch_all(&mut **tx).await?;
                rows.iter().map(|row| care_row(row)).collect()
            }

            /// The last examination of a case, if any (a death's incident names it).
            pub(crate) async fn last_examination_in(tx: &mut sqlx::Transaction<'_, $db>, case_id: i64) -> Result<Option<ExaminationLink>, StoreError> {
                let rows = Self::care_of_case_in(tx, case_id).await?;
                Ok(rows
                    .into_iter()
                    .filter_map(|r| match r.item {
                        CareItem::Examination(e) => Some((r.id, e)),
                        _ => None,
                    })
                    .max_by_key(|(id, e)| (e.examined_at_unix, *id))
                    .map(|(id, e)| ExaminationLink { id, examined_at: e.examined_at, examiner: e.examiner }))
            }
        }

        impl Care for $name {
            async fn record_care(&self, agreement_id: &str, case_id: i64, item: &CareItem, actor: &Actor) -> Result<CareRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                Self::agreement_in(&mut tx, agreement_id).await?;
                let state: String = sqlx::query("SELECT state FROM cases WHERE id = $1 AND agreement_id = $2")
                    .bind(case_id)
                    .bind(agreement_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("case {case_id} is not a case of {agreement_id}")))?
                    .try_get("state")?;
                let held = custodia_core::lifecycle::CaseState::parse(&state).is_some_and(|s| s.holds_place());
                let refused = |code: &str| StoreError::Refused(format!("{code}: case {case_id}"));
                match item {
                    CareItem::Examination(e) => e.check().map_err(|r| refused(r.code()))?,
                    CareItem::Visit(_) | CareItem::Placement(_) if !held => {
                        return Err(StoreError::Refused(format!("NOT_IN_CUSTODY: case {case_id} is {state}")));
                    }
                    CareItem::Visit(v) => v.check().map_err(|r| refused(r.code()))?,
                    CareItem::Placement(p) => {
                        let (mut placements, mut examinations) = (Vec::new(), Vec::new());
                        for row in Self::care_of_case_in(&mut tx, case_id).await? {
                            match row.item {
                                CareItem::Placement(p) => placements.push(p),
                                CareItem::Examination(e) => examinations.push(e),
                                CareItem::Visit(_) => {}
                            }
                        }
                        may_place(p, &placements, &examinations).map_err(|r| refused(r.code()))?;
                    }
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM care_records").fetch_one(&mut *tx).await?.try_get("next")?;
                let (record, health_file) = care_json(item);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                    kind: item.event_kind(),
                    agreement_id: Some(agreement_id.to_owned()),
                    person_id: None,
                    data: EventData::Json(json!({"record_id": id, "case_id": case_id, "kind": item.kind(), "record": record})),
                }, actor).await?;
                sqlx::query("INSERT INTO care_records (id, agreement_id, case_id, kind, health_file, record, last_event_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(agreement_id.to_owned())
                    .bind(case_id)
                    .bind(item.kind())
                    .bind(health_file)
                    .bind(record.to_string())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(CareRow { id, agreement_id: agreement_id.to_owned(), case_id, item: item.clone() })
            }

            async fn end_placement(&self, id: i64, end: &PlacementEnd, actor: &Actor) -> Result<CareRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let sql = format!("SELECT {COLUMNS} FROM care_records WHERE id = $1");
                let row = sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("placement {id} does not exist")))?;
                let current = care_row(&row)?;
                let CareItem::Placement(placement) = &current.item else {
                    return Err(StoreError::NotFound(format!("placement {id} does not exist")));
                };
                let ended = placement.ended(end.clone()).map_err(|r| StoreError::Refused(format!("{}: placement {id}", r.code())))?;
                let item = CareItem::Placement(ended);
                let (record, _) = care_json(&item);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                    kind: "solitary.ended",
                    agreement_id: Some(current.agreement_id.clone()),
                    person_id: None,
                    data: EventData::Json(json!({"record_id": id, "record": record})),
                }, actor).await?;
                sqlx::query("UPDATE care_records SET record = $1, last_event_seq = $2 WHERE id = $3")
                    .bind(record.to_string())
                    .bind(seq)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(CareRow { item, ..current })
            }

            async fn care_records(&self, agreement_id: &str) -> Result<Vec<CareRow>, StoreError> {
                let sql = format!("SELECT {COLUMNS} FROM care_records WHERE agreement_id = $1 ORDER BY id");
                let rows = sqlx::query(&sql).bind(agreement_id.to_owned()).fetch_all(&self.pool).await?;
                rows.iter().map(|row| care_row(row)).collect()
            }

            async fn care_records_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<CareRow>, StoreError> {
                let sql = format!("SELECT {COLUMNS} FROM care_records WHERE agreement_id = $1 AND id > $2 ORDER BY id LIMIT $3");
                let rows = sqlx::query(&sql).bind(agreement_id.to_owned()).bind(after).bind(i64::from(limit)).fetch_all(&self.pool).await?;
                rows.iter().map(|row| care_row(row)).collect()
            }

            async fn care_record(&self, id: i64) -> Result<Option<CareRow>, StoreError> {
                let sql = format!("SELECT {COLUMNS} FROM care_records WHERE id = $1");
                let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(|row| care_row(row)).transpose()
            }
        }
    };
}

care_sql!(SqliteStore, sqlx::Sqlite);
care_sql!(PostgresStore, sqlx::Postgres);

/// The SHA-256 of a text, lowercase hex.
fn commitment(text: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::backend::hex(&Sha256::digest(text.as_bytes()))
}

/// A record as stored JSON (and as its events carry it), with the health file apart.
fn care_json(item: &CareItem) -> (Value, Option<String>) {
    match item {
        CareItem::Examination(e) => {
            let health_file = json!({"findings": e.findings, "injuries": e.injuries}).to_string();
            let record = json!({
                "purpose": e.purpose.as_str(),
                "examiner": e.examiner,
                "examined_at": e.examined_at,
                "examined_at_unix": e.examined_at_unix,
                "fitness": {
                    "custody": e.fitness.custody.as_str(),
                    "transfer": e.fitness.transfer.as_str(),
                    "solitary": e.fitness.solitary.as_str(),
                },
                "health_file_sha256": commitment(&health_file),
                "intake": e.intake.as_ref().map(|i| json!({"admitted_on": i.admitted_on.to_string(), "visible_injuries": i.visible_injuries})),
            });
            (record, Some(health_file))
        }
        CareItem::Visit(v) => (
            json!({
                "kind": v.kind.as_str(),
                "visitor": v.visitor,
                "at": v.at,
                "at_unix": v.at_unix,
                "refusal": v.refusal.as_ref().map(|r| json!({"ground": r.ground.as_str(), "reason": r.reason})),
            }),
            None,
        ),
        CareItem::Placement(p) => (
            json!({
                "start_at": p.start_at,
                "start_at_unix": p.start_at_unix,
                "reason": p.reason,
                "authorised_by": p.authorised_by,
                "end": p.end.as_ref().map(|e| json!({"at": e.at, "at_unix": e.at_unix, "by": e.by})),
            }),
            None,
        ),
    }
}

fn bad(what: &str) -> StoreError {
    StoreError::Inconsistent(format!("care record: {what}"))
}

fn text(v: &Value, key: &str) -> Result<String, StoreError> {
    v.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| bad(key))
}

fn int(v: &Value, key: &str) -> Result<i64, StoreError> {
    v.get(key).and_then(Value::as_i64).ok_or_else(|| bad(key))
}

fn present(v: &Value, key: &str) -> Option<Value> {
    v.get(key).filter(|x| !x.is_null()).cloned()
}

fn fitness(v: &Value, key: &str) -> Result<Fitness, StoreError> {
    Fitness::parse(&text(v, key)?).ok_or_else(|| bad(key))
}

fn examination_from_json(v: &Value, health_file: Option<&str>) -> Result<Examination, StoreError> {
    let file: Value =
        serde_json::from_str(health_file.ok_or_else(|| bad("health_file"))?).map_err(|e| bad(&e.to_string()))?;
    let f = v.get("fitness").ok_or_else(|| bad("fitness"))?;
    let intake = match present(v, "intake") {
        Some(i) => Some(IntakeLink {
            admitted_on: Date::parse(&text(&i, "admitted_on")?).map_err(|_| bad("intake.admitted_on"))?,
            visible_injuries: text(&i, "visible_injuries")?,
        }),
        None => None,
    };
    Ok(Examination {
        purpose: ExamPurpose::parse(&text(v, "purpose")?).ok_or_else(|| bad("purpose"))?,
        examiner: text(v, "examiner")?,
        examined_at: text(v, "examined_at")?,
        examined_at_unix: int(v, "examined_at_unix")?,
        fitness: FitnessFor {
            custody: fitness(f, "custody")?,
            transfer: fitness(f, "transfer")?,
            solitary: fitness(f, "solitary")?,
        },
        findings: text(&file, "findings")?,
        injuries: file.get("injuries").and_then(Value::as_str).map(str::to_owned),
        intake,
    })
}

fn visit_from_json(v: &Value) -> Result<Contact, StoreError> {
    let refusal = match present(v, "refusal") {
        Some(r) => Some(Refusal {
            ground: RefusalGround::parse(&text(&r, "ground")?).ok_or_else(|| bad("refusal.ground"))?,
            reason: text(&r, "reason")?,
        }),
        None => None,
    };
    Ok(Contact {
        kind: ContactKind::parse(&text(v, "kind")?).ok_or_else(|| bad("kind"))?,
        visitor: text(v, "visitor")?,
        at: text(v, "at")?,
        at_unix: int(v, "at_unix")?,
        refusal,
    })
}

fn placement_from_json(v: &Value) -> Result<Placement, StoreError> {
    let end = match present(v, "end") {
        Some(e) => Some(PlacementEnd { at: text(&e, "at")?, at_unix: int(&e, "at_unix")?, by: text(&e, "by")? }),
        None => None,
    };
    Ok(Placement {
        start_at: text(v, "start_at")?,
        start_at_unix: int(v, "start_at_unix")?,
        reason: text(v, "reason")?,
        authorised_by: text(v, "authorised_by")?,
        end,
    })
}

fn care_row<R: Row>(row: &R) -> Result<CareRow, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let record: String = row.try_get("record")?;
    let value: Value = serde_json::from_str(&record).map_err(|e| bad(&e.to_string()))?;
    let kind: String = row.try_get("kind")?;
    let health_file: Option<String> = row.try_get("health_file")?;
    let item = match kind.as_str() {
        "examination" => CareItem::Examination(examination_from_json(&value, health_file.as_deref())?),
        "visit" => CareItem::Visit(visit_from_json(&value)?),
        "placement" => CareItem::Placement(placement_from_json(&value)?),
        other => return Err(bad(&format!("kind {other}"))),
    };
    Ok(CareRow {
        id: row.try_get("id")?,
        agreement_id: row.try_get("agreement_id")?,
        case_id: row.try_get("case_id")?,
        item,
    })
}
