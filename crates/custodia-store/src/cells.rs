//! Cells of the agreements' facilities, as registered from cells files.

use std::collections::HashMap;

use custodia_core::capacity::{Cell, CellKind};
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
    }
}

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
                rows.iter()
                    .map(|row| {
                        let bad = |what: &str| StoreError::Inconsistent(format!("cell: {what}"));
                        Ok(Cell {
                            facility_id: custodia_core::FacilityId::parse(&row.try_get::<String, _>("facility_id")?).map_err(|e| bad(&e.to_string()))?,
                            cell_id: row.try_get("cell_id")?,
                            unit: row.try_get("unit")?,
                            kind: CellKind::parse(&row.try_get::<String, _>("kind")?).ok_or_else(|| bad("kind"))?,
                            area_m2: custodia_core::Decimal::parse(&row.try_get::<String, _>("area_m2")?).map_err(|e| bad(&e.to_string()))?,
                            beds: u32::try_from(row.try_get::<i64, _>("beds")?).map_err(|_| bad("beds"))?,
                        })
                    })
                    .collect()
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
