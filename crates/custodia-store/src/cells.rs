//! Cells of the agreements' facilities, as registered from cells files.

use std::collections::HashMap;

use custodia_core::capacity::{Cell, CellKind, CellsDiff, cells_diff};
use serde_json::{Value, json};
use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, store_trait};
use crate::events::{EventData, NewEvent};
use crate::{Actor, CellsImport, StoreError};

store_trait! {
    /// Cells: import and listing.
    pub trait Cells {
        /// Imports the cells of an agreement's facilities: new cells are registered, changed ones
        /// amended, identical ones left alone; one event per cell written.
        fn import_cells(&self, agreement_id: &str, cells: &[Cell], actor: &Actor) -> Result<CellsImport, StoreError>;
        /// The registered cells of an agreement, in facility and cell order.
        fn cells(&self, agreement_id: &str) -> Result<Vec<Cell>, StoreError>;
        /// Submits the complete list of one facility's cells (docs/capacity.md#cell-changes): the
        /// same cells write nothing; a facility without cells has them registered at once (one
        /// `cell.registered` event each); otherwise the difference is recorded as a pending change
        /// (`cells.change_proposed`) and nothing else changes.
        fn submit_cells(&self, agreement_id: &str, facility_id: &str, cells: &[Cell], actor: &Actor) -> Result<CellsSubmitted, StoreError>;
        /// Confirms a pending cell change and applies it in the same transaction
        /// (`cells.change_confirmed`). Refused when already confirmed, when the actor proposed it
        /// (`two-person rule: …`), and stale when the facility's cells changed since it was proposed.
        fn confirm_cell_change(&self, id: i64, actor: &Actor) -> Result<CellChangeRow, StoreError>;
        /// The cell changes of an agreement, by id.
        fn cell_changes(&self, agreement_id: &str) -> Result<Vec<CellChangeRow>, StoreError>;
        /// One cell change.
        fn cell_change(&self, id: i64) -> Result<Option<CellChangeRow>, StoreError>;
    }
}

/// What submitting a facility's cells did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellsSubmitted {
    /// The cells are those registered: nothing written.
    Unchanged,
    /// The facility had no cells: these were registered at once.
    Registered {
        /// Cells registered.
        added: u64,
    },
    /// A change waiting for a second user's confirmation.
    Proposed(Box<CellChangeRow>),
}

/// A recorded cell change: pending until a second user confirms it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellChangeRow {
    /// The change id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The facility whose cells change.
    pub facility_id: String,
    /// Added, changed (before and after) and removed cells.
    pub diff: CellsDiff,
    /// Who proposed it.
    pub proposed_by: String,
    /// When (RFC 3339, UTC).
    pub proposed_at: String,
    /// Who confirmed it, once confirmed.
    pub confirmed_by: Option<String>,
    /// When it was confirmed.
    pub confirmed_at: Option<String>,
}

const CELL_CHANGE_COLUMNS: &str = "SELECT id, agreement_id, facility_id, diff, proposed_by, proposed_at, confirmed_by, confirmed_at FROM cell_changes";

macro_rules! cells_sql {
    ($name:ident, $db:ty) => {
        impl Cells for $name {
            async fn import_cells(&self, agreement_id: &str, cells: &[Cell], actor: &Actor) -> Result<CellsImport, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let known = sqlx::query("SELECT id FROM agreements WHERE id = $1").bind(agreement_id.to_owned()).fetch_optional(&mut *tx).await?;
                if known.is_none() {
                    return Err(StoreError::NotFound(format!(
                        "agreement {agreement_id} is not in the register: import the agreement file first"
                    )));
                }
                let mut existing: HashMap<(String, String), Value> = HashMap::new();
                let rows = sqlx::query("SELECT facility_id, cell_id, unit, kind, area_m2, beds FROM cells WHERE agreement_id = $1")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&mut *tx)
                    .await?;
                for row in rows {
                    let facility_id: String = row.try_get("facility_id")?;
                    let cell_id: String = row.try_get("cell_id")?;
                    let record = json!({
                        "facility_id": facility_id,
                        "cell_id": cell_id,
                        "unit": row.try_get::<String, _>("unit")?,
                        "kind": row.try_get::<String, _>("kind")?,
                        "area_m2": row.try_get::<String, _>("area_m2")?,
                        "beds": row.try_get::<i64, _>("beds")?,
                    });
                    existing.insert((facility_id, cell_id), record);
                }
                let mut outcome = CellsImport::default();
                for cell in cells {
                    let record = cell_json(cell);
                    let key = (cell.facility_id.as_str().to_owned(), cell.cell_id.clone());
                    let kind = match existing.get(&key) {
                        Some(old) if *old == record => {
                            outcome.unchanged += 1;
                            continue;
                        }
                        Some(_) => {
                            outcome.amended += 1;
                            "cell.amended"
                        }
                        None => {
                            outcome.added += 1;
                            "cell.registered"
                        }
                    };
                    let event = NewEvent {
                        kind,
                        agreement_id: Some(agreement_id.to_owned()),
                        person_id: None,
                        data: EventData::Json(json!({"cell": record})),
                    };
                    let seq = Self::record_event(&mut tx, &mut head, event, actor).await?;
                    sqlx::query(
                        "INSERT INTO cells (agreement_id, facility_id, cell_id, unit, kind, area_m2, beds, last_event_seq) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (agreement_id, facility_id, cell_id) DO UPDATE SET \
                         unit = excluded.unit, kind = excluded.kind, area_m2 = excluded.area_m2, beds = excluded.beds, \
                         last_event_seq = excluded.last_event_seq",
                    )
                    .bind(agreement_id.to_owned())
                    .bind(cell.facility_id.as_str().to_owned())
                    .bind(cell.cell_id.clone())
                    .bind(cell.unit.clone())
                    .bind(cell.kind.as_str())
                    .bind(cell.area_m2.to_string())
                    .bind(i64::from(cell.beds))
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                }
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn cells(&self, agreement_id: &str) -> Result<Vec<Cell>, StoreError> {
                let rows = sqlx::query(
                    "SELECT facility_id, cell_id, unit, kind, area_m2, beds FROM cells WHERE agreement_id = $1 ORDER BY facility_id, cell_id",
                )
                .bind(agreement_id.to_owned())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::cell_row).collect()
            }

            async fn submit_cells(&self, agreement_id: &str, facility_id: &str, cells: &[Cell], actor: &Actor) -> Result<CellsSubmitted, StoreError> {
                if let Some(other) = cells.iter().find(|c| c.facility_id.as_str() != facility_id) {
                    return Err(StoreError::Refused(format!("cell {} is not of facility {facility_id}", other.cell_id)));
                }
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let known = sqlx::query("SELECT id FROM agreements WHERE id = $1").bind(agreement_id.to_owned()).fetch_optional(&mut *tx).await?;
                if known.is_none() {
                    return Err(StoreError::NotFound(format!(
                        "agreement {agreement_id} is not in the register: import the agreement file first"
                    )));
                }
                let before = Self::facility_cells_in(&mut tx, agreement_id, facility_id).await?;
                let diff = cells_diff(&before, cells);
                if diff.is_empty() {
                    return Ok(CellsSubmitted::Unchanged);
                }
                if before.is_empty() {
                    // The first registration of a facility's cells: nobody can be held there yet.
                    for cell in &diff.added {
                        let event = NewEvent {
                            kind: "cell.registered",
                            agreement_id: Some(agreement_id.to_owned()),
                            person_id: None,
                            data: EventData::Json(json!({"cell": cell_json(cell)})),
                        };
                        let seq = Self::record_event(&mut tx, &mut head, event, actor).await?;
                        Self::put_cell(&mut tx, agreement_id, cell, seq).await?;
                    }
                    Self::save_head(&mut tx, &head).await?;
                    tx.commit().await?;
                    return Ok(CellsSubmitted::Registered { added: u64::try_from(diff.added.len()).unwrap_or(u64::MAX) });
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM cell_changes").fetch_one(&mut *tx).await?.try_get("next")?;
                let diff_value = diff_json(&diff);
                let mut data = json!({"change_id": id, "facility_id": facility_id});
                merge(&mut data, &diff_value);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "cells.change_proposed",
                        agreement_id: Some(agreement_id.to_owned()),
                        person_id: None,
                        data: EventData::Json(data),
                    }, actor).await?;
                sqlx::query("INSERT INTO cell_changes (id, agreement_id, facility_id, diff, base, proposed_by, proposed_at, proposed_seq) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(id)
                    .bind(agreement_id.to_owned())
                    .bind(facility_id.to_owned())
                    .bind(diff_value.to_string())
                    .bind(cells_json(&before).to_string())
                    .bind(actor.name.clone())
                    .bind(actor.recorded_at.as_str().to_owned())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                let row = self.cell_change(id).await?;
                row.map(|r| CellsSubmitted::Proposed(Box::new(r))).ok_or_else(|| StoreError::Inconsistent(format!("cell change {id} vanished")))
            }

            async fn confirm_cell_change(&self, id: i64, actor: &Actor) -> Result<CellChangeRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT id, agreement_id, facility_id, diff, base, proposed_by, proposed_at, confirmed_by, confirmed_at FROM cell_changes WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("cell change {id} does not exist")))?;
                let change = Self::cell_change_row(&row)?;
                if let Some(by) = &change.confirmed_by {
                    return Err(StoreError::Refused(format!("cell change {id} was already confirmed by {by}")));
                }
                if change.proposed_by == actor.name {
                    return Err(StoreError::Refused(format!(
                        "two-person rule: cell change {id} was proposed by {}; another user confirms it", change.proposed_by
                    )));
                }
                let base: Value = serde_json::from_str(&row.try_get::<String, _>("base")?).map_err(|e| StoreError::Inconsistent(format!("cell change {id}: {e}")))?;
                let now = Self::facility_cells_in(&mut tx, &change.agreement_id, &change.facility_id).await?;
                if cells_json(&now) != base {
                    return Err(StoreError::Stale(format!(
                        "cell change {id} is stale: the cells of facility {} changed since it was proposed; propose it again",
                        change.facility_id
                    )));
                }
                let mut data = json!({"change_id": id, "facility_id": change.facility_id, "proposed_by": change.proposed_by});
                merge(&mut data, &diff_json(&change.diff));
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "cells.change_confirmed",
                        agreement_id: Some(change.agreement_id.clone()),
                        person_id: None,
                        data: EventData::Json(data),
                    }, actor).await?;
                for cell in change.diff.added.iter().chain(change.diff.changed.iter().map(|(_, after)| after)) {
                    Self::put_cell(&mut tx, &change.agreement_id, cell, seq).await?;
                }
                for cell in &change.diff.removed {
                    sqlx::query("DELETE FROM cells WHERE agreement_id = $1 AND facility_id = $2 AND cell_id = $3")
                        .bind(change.agreement_id.clone())
                        .bind(change.facility_id.clone())
                        .bind(cell.cell_id.clone())
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("UPDATE cell_changes SET confirmed_by = $1, confirmed_at = $2, confirmed_seq = $3 WHERE id = $4 AND confirmed_by IS NULL")
                    .bind(actor.name.clone())
                    .bind(actor.recorded_at.as_str().to_owned())
                    .bind(seq)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                self.cell_change(id).await?.ok_or_else(|| StoreError::Inconsistent(format!("cell change {id} vanished")))
            }

            async fn cell_changes(&self, agreement_id: &str) -> Result<Vec<CellChangeRow>, StoreError> {
                let rows = sqlx::query(&format!("{CELL_CHANGE_COLUMNS} WHERE agreement_id = $1 ORDER BY id"))
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::cell_change_row).collect()
            }

            async fn cell_change(&self, id: i64) -> Result<Option<CellChangeRow>, StoreError> {
                let row = sqlx::query(&format!("{CELL_CHANGE_COLUMNS} WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(Self::cell_change_row).transpose()
            }
        }

        impl $name {
            fn cell_row(row: &<$db as sqlx::Database>::Row) -> Result<Cell, StoreError> {
                let bad = |what: &str| StoreError::Inconsistent(format!("cell: {what}"));
                Ok(Cell {
                    facility_id: custodia_core::FacilityId::parse(&row.try_get::<String, _>("facility_id")?).map_err(|e| bad(&e.to_string()))?,
                    cell_id: row.try_get("cell_id")?,
                    unit: row.try_get("unit")?,
                    kind: CellKind::parse(&row.try_get::<String, _>("kind")?).ok_or_else(|| bad("kind"))?,
                    area_m2: custodia_core::Decimal::parse(&row.try_get::<String, _>("area_m2")?).map_err(|e| bad(&e.to_string()))?,
                    beds: u32::try_from(row.try_get::<i64, _>("beds")?).map_err(|_| bad("beds"))?,
                })
            }

            fn cell_change_row(row: &<$db as sqlx::Database>::Row) -> Result<CellChangeRow, StoreError> {
                let id: i64 = row.try_get("id")?;
                Ok(CellChangeRow {
                    id,
                    agreement_id: row.try_get("agreement_id")?,
                    facility_id: row.try_get("facility_id")?,
                    diff: diff_from_json(&row.try_get::<String, _>("diff")?)
                        .map_err(|e| StoreError::Inconsistent(format!("cell change {id}: {e}")))?,
                    proposed_by: row.try_get("proposed_by")?,
                    proposed_at: row.try_get("proposed_at")?,
                    confirmed_by: row.try_get("confirmed_by")?,
                    confirmed_at: row.try_get("confirmed_at")?,
                })
            }

            /// One facility's registered cells, in cell order, inside a transaction.
            async fn facility_cells_in(tx: &mut sqlx::Transaction<'_, $db>, agreement_id: &str, facility_id: &str) -> Result<Vec<Cell>, StoreError> {
                let rows = sqlx::query(
                    "SELECT facility_id, cell_id, unit, kind, area_m2, beds FROM cells WHERE agreement_id = $1 AND facility_id = $2 ORDER BY cell_id",
                )
                .bind(agreement_id.to_owned())
                .bind(facility_id.to_owned())
                .fetch_all(&mut **tx)
                .await?;
                rows.iter().map(Self::cell_row).collect()
            }

            /// Registers or replaces one cell, its last event being `seq`.
            async fn put_cell(tx: &mut sqlx::Transaction<'_, $db>, agreement_id: &str, cell: &Cell, seq: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO cells (agreement_id, facility_id, cell_id, unit, kind, area_m2, beds, last_event_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (agreement_id, facility_id, cell_id) DO UPDATE SET \
                     unit = excluded.unit, kind = excluded.kind, area_m2 = excluded.area_m2, beds = excluded.beds, \
                     last_event_seq = excluded.last_event_seq",
                )
                .bind(agreement_id.to_owned())
                .bind(cell.facility_id.as_str().to_owned())
                .bind(cell.cell_id.clone())
                .bind(cell.unit.clone())
                .bind(cell.kind.as_str())
                .bind(cell.area_m2.to_string())
                .bind(i64::from(cell.beds))
                .bind(seq)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }
    };
}

cells_sql!(SqliteStore, sqlx::Sqlite);
cells_sql!(PostgresStore, sqlx::Postgres);

/// A cell's record as stored in its events.
fn cell_json(cell: &Cell) -> Value {
    json!({
        "facility_id": cell.facility_id.as_str(),
        "cell_id": cell.cell_id,
        "unit": cell.unit,
        "kind": cell.kind.as_str(),
        "area_m2": cell.area_m2.to_string(),
        "beds": cell.beds,
    })
}

/// A list of cells as stored in a change.
fn cells_json(cells: &[Cell]) -> Value {
    Value::Array(cells.iter().map(cell_json).collect())
}

/// A change's diff as stored and journaled: `{added, changed: [{before, after}], removed}`.
fn diff_json(diff: &CellsDiff) -> Value {
    json!({
        "added": cells_json(&diff.added),
        "changed": diff.changed.iter().map(|(b, a)| json!({"before": cell_json(b), "after": cell_json(a)})).collect::<Vec<_>>(),
        "removed": cells_json(&diff.removed),
    })
}

/// Adds the members of `more` (an object) to `into` (an object).
fn merge(into: &mut Value, more: &Value) {
    if let (Some(into), Some(more)) = (into.as_object_mut(), more.as_object()) {
        into.extend(more.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

/// Reads a cell written by [`cell_json`].
fn cell_from_json(v: &Value) -> Result<Cell, String> {
    let text = |name: &str| v.get(name).and_then(Value::as_str).ok_or_else(|| format!("cell: no {name}"));
    Ok(Cell {
        facility_id: custodia_core::FacilityId::parse(text("facility_id")?).map_err(|e| e.to_string())?,
        cell_id: text("cell_id")?.to_owned(),
        unit: text("unit")?.to_owned(),
        kind: CellKind::parse(text("kind")?).ok_or("cell: kind")?,
        area_m2: custodia_core::Decimal::parse(text("area_m2")?).map_err(|e| e.to_string())?,
        beds: v.get("beds").and_then(Value::as_u64).and_then(|b| u32::try_from(b).ok()).ok_or("cell: beds")?,
    })
}

/// Reads a diff written by [`diff_json`].
fn diff_from_json(text: &str) -> Result<CellsDiff, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = |name: &str| v.get(name).and_then(Value::as_array).ok_or_else(|| format!("diff: no {name}"));
    let cells = |name: &str| list(name)?.iter().map(cell_from_json).collect::<Result<Vec<_>, _>>();
    let changed = list("changed")?
        .iter()
        .map(|c| {
            let side = |name: &str| c.get(name).ok_or_else(|| format!("diff: no {name}")).and_then(cell_from_json);
            Ok((side("before")?, side("after")?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(CellsDiff { added: cells("added")?, changed, removed: cells("removed")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_diff_reads_back_exactly() {
        let cell = |id: &str, area: &str| Cell {
            facility_id: custodia_core::FacilityId::parse("f").unwrap(),
            cell_id: id.into(),
            unit: "u".into(),
            kind: CellKind::Shared,
            area_m2: custodia_core::Decimal::parse(area).unwrap(),
            beds: 4,
        };
        let diff = CellsDiff {
            added: vec![cell("n", "12.5")],
            changed: vec![(cell("a", "9"), cell("a", "100"))],
            removed: vec![cell("r", "0.000001")],
        };
        assert_eq!(diff_from_json(&diff_json(&diff).to_string()).unwrap(), diff);
        assert!(diff_from_json("{}").is_err());
    }
}
