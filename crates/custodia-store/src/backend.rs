//! The storage contract and its two implementations. Both are generated from one body by
//! `backend!`, so SQLite and PostgreSQL run the same statements; only connection setup,
//! migrations and the statement that locks the journal head differ.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::bulk::{Dialect, JsonRows, Kind, insert_sql};

use crate::events::{AppendedEvent, EventData, Head, NewEvent, StoredEvent, VerifyReport, verify_page};
use crate::record::{PersonData, PersonJson};
use custodia_core::capacity::{Cell, CellKind};
use custodia_core::custody::{Case, Command, Occupancy, Placement};

use crate::access::{KeptAnswer, NewUser, PersonRead, TokenRow, UserRow, list_from_json, list_json};
use crate::cases::{
    CaseCall, CaseOutcome, CaseRequest, CaseRow, CaseRowOutcome, OverrideApproval, case_from_json, case_json,
    has_legal_basis,
};
use crate::incidents::{IncidentRow, incident_from_json, incident_json};
use crate::invoices::{InvoiceDraft, InvoiceIssue, InvoiceRow};
use crate::{IncidentUpdate, Timestamp};
use custodia_core::incidents::{IncidentKind, Report};
use custodia_core::oversight::{Contact, ContactMeans, Inspection, RecommendationState};

use crate::{
    Actor, AgreementFile, AgreementImport, BATCH_ROWS, CellsImport, PAGE_EVENTS, PersonsFile, PersonsImport,
    SQLITE_FILE, StoreError, Target,
};

const INVOICE_SELECT: &str = "SELECT i.id, i.agreement_id, i.kind, i.period, i.number, i.document, i.sha256, i.total_minor, \
     i.prepared_by, i.prepared_seq, s.issued_by, s.issued_seq, e.recorded_at AS issued_at FROM invoices i \
     LEFT JOIN invoice_issues s ON s.invoice_id = i.id LEFT JOIN events e ON e.seq = s.issued_seq";

fn invoice_from_row<R: Row>(row: &R) -> Result<InvoiceRow, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    let issued_by: Option<String> = row.try_get("issued_by")?;
    let issued_seq: Option<i64> = row.try_get("issued_seq")?;
    let issued_at: Option<String> = row.try_get("issued_at")?;
    Ok(InvoiceRow {
        id: row.try_get("id")?,
        agreement_id: row.try_get("agreement_id")?,
        kind: row.try_get("kind")?,
        period: row.try_get("period")?,
        number: row.try_get("number")?,
        document: row.try_get("document")?,
        sha256: row.try_get("sha256")?,
        total_minor: row.try_get("total_minor")?,
        prepared_by: row.try_get("prepared_by")?,
        prepared_seq: row.try_get("prepared_seq")?,
        issued: match (issued_by, issued_seq) {
            (Some(issued_by), Some(issued_seq)) => {
                Some(InvoiceIssue { issued_by, issued_seq, issued_at: issued_at.unwrap_or_default() })
            }
            _ => None,
        },
    })
}

/// A case from a row with the columns id, agreement_id, person_id, facility_id, version, record.
fn case_row_from<R: Row>(row: &R) -> Result<CaseRow, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(CaseRow {
        id: row.try_get("id")?,
        agreement_id: row.try_get("agreement_id")?,
        person_id: row.try_get("person_id")?,
        facility_id: row.try_get("facility_id")?,
        version: row.try_get("version")?,
        case: case_from_json(&row.try_get::<String, _>("record")?)?,
    })
}

/// A person with the record carried by their last event.
const PERSON_SELECT: &str =
    "SELECT p.id, p.version, p.record_sha256, e.body FROM persons p JOIN events e ON e.seq = p.last_event_seq";

const EVENT_COLUMNS: [(&str, Kind); 10] = [
    ("seq", Kind::Int),
    ("kind", Kind::Text),
    ("actor", Kind::Text),
    ("occurred_at", Kind::Text),
    ("recorded_at", Kind::Text),
    ("agreement_id", Kind::Text),
    ("person_id", Kind::Int),
    ("body", Kind::Text),
    ("leaf_hash", Kind::Blob),
    ("root_after", Kind::Blob),
];

const PERSON_COLUMNS_SQL: [(&str, Kind); 6] = [
    ("id", Kind::Int),
    ("sending_state", Kind::Text),
    ("sending_id", Kind::Text),
    ("record_sha256", Kind::Blob),
    ("version", Kind::Int),
    ("last_event_seq", Kind::Int),
];

/// `SELECT` of the strings in a JSON array parameter, for `IN (…)`.
fn text_list_sql(dialect: Dialect, param: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("SELECT value FROM json_each({param}, '$[0]')"),
        Dialect::Postgres => format!("SELECT json_array_elements_text(({param}::json)->0)"),
    }
}

fn person_from_row<R: Row>(row: &R) -> Result<(i64, i64, Vec<u8>, PersonData), StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    let id: i64 = row.try_get("id")?;
    let data = person_from_event(id, &row.try_get::<String, _>("body")?)?;
    Ok((id, row.try_get("version")?, row.try_get("record_sha256")?, data))
}

/// Agreements parsed from their source text, kept so that a busy register does not parse the same
/// file for every command (keyed by the text itself, so two registers in one process never mix).
static PARSED_AGREEMENTS: std::sync::OnceLock<
    std::sync::Mutex<HashMap<String, std::sync::Arc<custodia_core::Agreement>>>,
> = std::sync::OnceLock::new();
/// Most parsed agreements kept (a limit: the cache is cleared when full).
const MAX_PARSED_AGREEMENTS: usize = 64;

fn parsed_agreement(id: &str, source: String) -> Result<custodia_core::Agreement, StoreError> {
    let cache = PARSED_AGREEMENTS.get_or_init(Default::default);
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&source).cloned()) {
        return Ok((*found).clone());
    }
    let agreement = custodia_core::Agreement::from_toml(&source)
        .map_err(|e| StoreError::Inconsistent(format!("stored agreement {id} no longer loads: {e}")))?;
    if let Ok(mut c) = cache.lock() {
        if c.len() >= MAX_PARSED_AGREEMENTS {
            c.clear();
        }
        c.insert(source, std::sync::Arc::new(agreement.clone()));
    }
    Ok(agreement)
}

/// The person record carried as `data.record` by person `id`'s last event.
fn person_from_event(id: i64, body: &str) -> Result<PersonData, StoreError> {
    let record = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|event| event.get("data").and_then(|d| d.get("record")).cloned())
        .ok_or_else(|| StoreError::Inconsistent(format!("person {id}: the last event carries no record")))?;
    PersonData::from_value(&record).map_err(|e| StoreError::Inconsistent(format!("person {id}: {e}")))
}

fn event_from_row<R: Row>(row: &R) -> Result<StoredEvent, sqlx::Error>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(StoredEvent {
        seq: u64::try_from(row.try_get::<i64, _>("seq")?).unwrap_or(u64::MAX),
        body: row.try_get("body")?,
        leaf_hash: row.try_get("leaf_hash")?,
        root_after: row.try_get("root_after")?,
    })
}

macro_rules! backend {
    ($name:ident, $db:ty, $pool:ty, $dialect:expr, $lock_head:literal) => {
        /// One implementation of the storage contract.
        #[derive(Clone, Debug)]
        pub struct $name {
            pool: $pool,
            /// The database file, for SQLite (read directly by `journal verify`); PostgreSQL has none.
            #[allow(dead_code)]
            file: Option<std::path::PathBuf>,
        }

        impl $name {
            /// Locks the journal head for the rest of the transaction (serialising every writer)
            /// and reads it.
            async fn lock_head(tx: &mut sqlx::Transaction<'_, $db>) -> Result<Head, StoreError> {
                sqlx::query($lock_head).execute(&mut **tx).await?;
                let row = sqlx::query("SELECT size, frontier FROM journal_head WHERE id = 1").fetch_one(&mut **tx).await?;
                Head::decode(row.try_get("size")?, &row.try_get::<Vec<u8>, _>("frontier")?)
            }

            async fn save_head(tx: &mut sqlx::Transaction<'_, $db>, head: &Head) -> Result<(), StoreError> {
                let (size, frontier) = head.encode();
                sqlx::query("UPDATE journal_head SET size = $1, frontier = $2 WHERE id = 1")
                    .bind(size)
                    .bind(frontier)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Appends one event to the journal head and stores it; returns its sequence number.
            async fn record_event(
                tx: &mut sqlx::Transaction<'_, $db>,
                head: &mut Head,
                event: NewEvent,
                actor: &Actor,
            ) -> Result<i64, StoreError> {
                let appended = head.append(event, actor)?;
                let seq = appended.stored.seq as i64;
                Self::insert_events(tx, std::slice::from_ref(&appended), actor).await?;
                Ok(seq)
            }

            async fn insert_events(tx: &mut sqlx::Transaction<'_, $db>, events: &[AppendedEvent], actor: &Actor) -> Result<(), StoreError> {
                let sql = insert_sql($dialect, "events", &EVENT_COLUMNS, "");
                for chunk in events.chunks(BATCH_ROWS) {
                    sqlx::query(&sql).bind(events_json(chunk, actor)).execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Imports an agreement file: a new agreement, an amendment (new version) when the file
            /// changed, or nothing when it is the current version already.
            pub async fn import_agreement(&self, file: &AgreementFile<'_>, actor: &Actor) -> Result<AgreementImport, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let outcome = Self::import_agreement_in(&mut tx, &mut head, file, actor).await?;
                if outcome.changed {
                    Self::save_head(&mut tx, &head).await?;
                    tx.commit().await?;
                }
                Ok(outcome)
            }

            /// Records a proposed amendment of an existing agreement (the first of two people);
            /// nothing changes until another user approves it.
            pub async fn propose_amendment(&self, file: &AgreementFile<'_>, actor: &Actor) -> Result<i64, StoreError> {
                let id = file.agreement.id.as_str().to_owned();
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let known = sqlx::query("SELECT current_version FROM agreements WHERE id = $1").bind(id.clone()).fetch_optional(&mut *tx).await?;
                if known.is_none() {
                    return Err(StoreError::NotFound(format!("agreement {id} does not exist: import it first")));
                }
                let proposal: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM amendment_proposals").fetch_one(&mut *tx).await?.try_get("next")?;
                let digest: Vec<u8> = Sha256::digest(file.source.as_bytes()).to_vec();
                let effective_from = file.effective_from.map(|d| d.to_string());
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "agreement.amendment_proposed",
                        agreement_id: Some(id.clone()),
                        person_id: None,
                        data: EventData::Json(json!({
                            "proposal_id": proposal,
                            "effective_from": effective_from,
                            "source_sha256": hex(&digest),
                            "source": file.source,
                        })),
                    }, actor).await?;
                sqlx::query(
                    "INSERT INTO amendment_proposals (id, agreement_id, source_toml, effective_from, proposed_by, proposed_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(proposal)
                .bind(id)
                .bind(file.source.to_owned())
                .bind(effective_from)
                .bind(actor.name.clone())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(proposal)
            }

            /// Approves a proposed amendment (a second user) and applies it, in one transaction.
            pub async fn approve_amendment(&self, agreement_id: &str, proposal: i64, actor: &Actor) -> Result<AgreementImport, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT source_toml, effective_from, proposed_by, approved_by FROM amendment_proposals WHERE id = $1 AND agreement_id = $2")
                    .bind(proposal)
                    .bind(agreement_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("amendment {proposal} of {agreement_id} does not exist")))?;
                let source: String = row.try_get("source_toml")?;
                let proposed_by: String = row.try_get("proposed_by")?;
                let approved_by: Option<String> = row.try_get("approved_by")?;
                if approved_by.is_some() {
                    return Err(StoreError::Refused(format!("amendment {proposal} is already approved")));
                }
                if proposed_by == actor.name {
                    return Err(StoreError::Refused(format!("two-person rule: {proposed_by} proposed amendment {proposal}; another user must approve it")));
                }
                let effective_from = row
                    .try_get::<Option<String>, _>("effective_from")?
                    .map(|d| custodia_core::Date::parse(&d).map_err(|e| StoreError::Inconsistent(e.to_string())))
                    .transpose()?;
                let agreement = custodia_core::Agreement::from_toml(&source)
                    .map_err(|e| StoreError::Inconsistent(format!("amendment {proposal} no longer loads: {e}")))?;
                let outcome = Self::import_agreement_in(&mut tx, &mut head, &AgreementFile { agreement: &agreement, source: &source, effective_from }, actor).await?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "agreement.amendment_approved",
                        agreement_id: Some(agreement_id.to_owned()),
                        person_id: None,
                        data: EventData::Json(json!({"proposal_id": proposal, "proposed_by": proposed_by, "version": outcome.version})),
                    }, actor).await?;
                sqlx::query("UPDATE amendment_proposals SET approved_by = $1, approved_seq = $2 WHERE id = $3")
                    .bind(actor.name.clone())
                    .bind(seq)
                    .bind(proposal)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn import_agreement_in(tx: &mut sqlx::Transaction<'_, $db>, head: &mut Head, file: &AgreementFile<'_>, actor: &Actor) -> Result<AgreementImport, StoreError> {
                let id = file.agreement.id.as_str().to_owned();
                let digest: Vec<u8> = Sha256::digest(file.source.as_bytes()).to_vec();
                let current: Option<(i64, Vec<u8>)> = sqlx::query(
                    "SELECT v.version, v.source_sha256 FROM agreements a JOIN agreement_versions v \
                     ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = $1",
                )
                .bind(id.clone())
                .fetch_optional(&mut **tx)
                .await?
                .map(|row| Ok::<_, sqlx::Error>((row.try_get("version")?, row.try_get("source_sha256")?)))
                .transpose()?;
                if let Some((version, sha)) = &current
                    && *sha == digest
                {
                    return Ok(AgreementImport { agreement_id: id, version: *version, changed: false });
                }
                let version = current.as_ref().map_or(1, |(v, _)| v + 1);
                let effective_from = file.effective_from.unwrap_or(file.agreement.starts).to_string();
                let kind = if version == 1 { "agreement.registered" } else { "agreement.amended" };
                let event = NewEvent {
                    kind,
                    agreement_id: Some(id.clone()),
                    person_id: None,
                    data: EventData::Json(json!({
                        "version": version,
                        "effective_from": effective_from,
                        "source_sha256": hex(&digest),
                        "source": file.source,
                    })),
                };
                let appended = head.append(event, actor)?;
                let seq = appended.stored.seq as i64;
                Self::insert_events(tx, &[appended], actor).await?;
                if version == 1 {
                    sqlx::query("INSERT INTO agreements (id, current_version) VALUES ($1, $2)")
                        .bind(id.clone())
                        .bind(version)
                        .execute(&mut **tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO agreement_versions (agreement_id, version, effective_from, source_toml, source_sha256, event_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id.clone())
                .bind(version)
                .bind(effective_from)
                .bind(file.source.to_owned())
                .bind(digest)
                .bind(seq)
                .execute(&mut **tx)
                .await?;
                sqlx::query("UPDATE agreements SET current_version = $1 WHERE id = $2")
                    .bind(version)
                    .bind(id.clone())
                    .execute(&mut **tx)
                    .await?;
                Ok(AgreementImport { agreement_id: id, version, changed: true })
            }

            /// The current version's source text of an agreement.
            pub async fn agreement_source(&self, id: &str) -> Result<Option<(i64, String)>, StoreError> {
                let row = sqlx::query(
                    "SELECT v.version, v.source_toml FROM agreements a JOIN agreement_versions v \
                     ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = $1",
                )
                .bind(id.to_owned())
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(row) => Some((row.try_get("version")?, row.try_get("source_toml")?)),
                    None => None,
                })
            }

            /// Imports valid person rows: new people are registered, changed ones amended, identical
            /// ones left alone. All in one transaction.
            pub async fn import_persons(&self, file: PersonsFile<'_>, actor: &Actor) -> Result<PersonsImport, StoreError> {
                let PersonsFile { agreement_id, sending_state, mut persons } = file;
                let state = sending_state.as_str().to_owned();
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let known: Option<i64> = sqlx::query("SELECT current_version FROM agreements WHERE id = $1")
                    .bind(agreement_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|row| row.try_get("current_version"))
                    .transpose()?;
                if known.is_none() {
                    return Err(StoreError::NotFound(format!(
                        "agreement {} is not in the register: import the agreement file first",
                        agreement_id
                    )));
                }
                let mut next_id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) AS max_id FROM persons")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("max_id")?;
                let mut outcome = PersonsImport::default();
                let events_sql = insert_sql($dialect, "events", &EVENT_COLUMNS, "");
                // New people are inserted; amended ones replace their row (same id).
                let persons_sql = insert_sql(
                    $dialect,
                    "persons",
                    &PERSON_COLUMNS_SQL,
                    " ON CONFLICT (id) DO UPDATE SET record_sha256 = excluded.record_sha256, \
                     version = excluded.version, last_event_seq = excluded.last_event_seq",
                );
                let lookup = format!(
                    "{PERSON_SELECT} WHERE p.sending_state = $1 AND p.sending_id IN ({})",
                    text_list_sql($dialect, "$2")
                );
                // Batch k is written by the database while batch k + 1 is built here: the two run on
                // different threads, so an import costs about the larger of the two, not their sum.
                let mut pending: Option<(String, String)> = None;
                loop {
                    let batch: Vec<PersonData> = persons.by_ref().take(BATCH_ROWS).collect();
                    if batch.is_empty() {
                        break;
                    }
                    let batch = batch.as_slice();
                    let mut ids = JsonRows::with_capacity(batch.len() * 16);
                    ids.row();
                    for person in batch {
                        ids.text(&person.sending_id);
                    }
                    let found = sqlx::query(&lookup).bind(state.clone()).bind(ids.finish()).fetch_all(&mut *tx).await?;
                    let mut existing: HashMap<String, (i64, i64, Vec<u8>, PersonData)> = HashMap::new();
                    for row in found {
                        let found = person_from_row(&row)?;
                        existing.insert(found.3.sending_id.clone(), found);
                    }
                    let previous = pending.take();
                    let (written, built) = tokio::join!(
                        async {
                            if let Some((events, persons)) = previous {
                                sqlx::query(&events_sql).bind(events).execute(&mut *tx).await?;
                                sqlx::query(&persons_sql).bind(persons).execute(&mut *tx).await?;
                            }
                            Ok::<(), StoreError>(())
                        },
                        async {
                            build_person_batch(
                                batch,
                                &existing,
                                &state,
                                agreement_id,
                                &mut head,
                                &mut next_id,
                                &mut outcome,
                                actor,
                            )
                        }
                    );
                    written?;
                    pending = built?;
                }
                if let Some((events, persons)) = pending {
                    sqlx::query(&events_sql).bind(events).execute(&mut *tx).await?;
                    sqlx::query(&persons_sql).bind(persons).execute(&mut *tx).await?;
                }
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            /// Imports the cells of an agreement's facilities: new cells are registered, changed ones
            /// amended, identical ones left alone; one event per cell written.
            pub async fn import_cells(&self, agreement_id: &str, cells: &[Cell], actor: &Actor) -> Result<CellsImport, StoreError> {
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

            /// The registered cells of an agreement, in facility and cell order.
            pub async fn cells(&self, agreement_id: &str) -> Result<Vec<Cell>, StoreError> {
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

            /// The current agreement, loaded (inside a transaction).
            async fn agreement_in(tx: &mut sqlx::Transaction<'_, $db>, id: &str) -> Result<custodia_core::Agreement, StoreError> {
                let row = sqlx::query(
                    "SELECT v.source_toml FROM agreements a JOIN agreement_versions v \
                     ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = $1",
                )
                .bind(id.to_owned())
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("agreement {id} is not in the register: import the agreement file first")))?;
                let source: String = row.try_get("source_toml")?;
                parsed_agreement(id, source)
            }

            /// Opens a case for a person of the agreement's sending state (by the sending state's
            /// `person_id`). The legal basis is read from their record.
            pub async fn propose_case(&self, agreement_id: &str, sending_id: &str, actor: &Actor) -> Result<CaseRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let agreement = Self::agreement_in(&mut tx, agreement_id).await?;
                let found = sqlx::query(&format!("{PERSON_SELECT} WHERE p.sending_state = $1 AND p.sending_id = $2"))
                    .bind(agreement.sending_state.as_str().to_owned())
                    .bind(sending_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("person {sending_id} of {} is not in the register", agreement.sending_state)))?;
                let (person_id, _, _, record) = person_from_row(&found)?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM cases").fetch_one(&mut *tx).await?.try_get("next")?;
                let case = Case::new(has_legal_basis(&record));
                let data = json!({"case_id": id, "record": case_json(&case)});
                let seq = Self::record_event(&mut tx, &mut head, NewEvent { kind: "case.proposed", agreement_id: Some(agreement_id.to_owned()), person_id: Some(person_id), data: EventData::Json(data) }, actor).await?;
                sqlx::query(
                    "INSERT INTO cases (id, agreement_id, person_id, state, facility_id, cell_id, record, version, last_event_seq) \
                     VALUES ($1, $2, $3, $4, NULL, NULL, $5, 1, $6)",
                )
                .bind(id)
                .bind(agreement_id.to_owned())
                .bind(person_id)
                .bind(case.state.as_str())
                .bind(case_json(&case).to_string())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(CaseRow { id, agreement_id: agreement_id.to_owned(), person_id, facility_id: None, version: 1, case })
            }

            /// A person's identifiers other than the export id: (state, scheme, value).
            pub async fn identifiers(&self, person_id: i64) -> Result<Vec<(String, String, String)>, StoreError> {
                let rows = sqlx::query("SELECT state, scheme, value FROM person_identifiers WHERE person_id = $1 ORDER BY state, scheme, value")
                    .bind(person_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| Ok((r.try_get("state")?, r.try_get("scheme")?, r.try_get("value")?))).collect()
            }

            /// A stored case.
            pub async fn case_row(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
                let row = sqlx::query("SELECT id, agreement_id, person_id, facility_id, version, record FROM cases WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                match row {
                    None => Ok(None),
                    Some(row) => Ok(Some(case_row_from(&row)?)),
                }
            }

            /// Every agreement: its id and current version, by id.
            pub async fn agreement_ids(&self) -> Result<Vec<(String, i64)>, StoreError> {
                let rows = sqlx::query("SELECT id, current_version FROM agreements ORDER BY id").fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("current_version")?))).collect()
            }

            /// One person by Custodia id: (sending state, version, sequence number of the journal
            /// event that carries the current record, the record).
            pub async fn person_by_id(&self, id: i64) -> Result<Option<(String, i64, i64, PersonData)>, StoreError> {
                let row = sqlx::query(
                    "SELECT p.id, p.sending_state, p.version, p.last_event_seq, e.body FROM persons p \
                     JOIN events e ON e.seq = p.last_event_seq WHERE p.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let record = person_from_event(id, &row.try_get::<String, _>("body")?)?;
                Ok(Some((row.try_get("sending_state")?, row.try_get("version")?, row.try_get("last_event_seq")?, record)))
            }

            /// People of one sending state with Custodia id greater than `after`, in id order, at
            /// most `limit`.
            pub async fn persons_of_state(&self, sending_state: &str, after: i64, limit: u32) -> Result<Vec<(i64, PersonData)>, StoreError> {
                let rows = sqlx::query(&format!("{PERSON_SELECT} WHERE p.sending_state = $1 AND p.id > $2 ORDER BY p.id LIMIT $3"))
                    .bind(sending_state.to_owned())
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|row| person_from_row(row).map(|(id, _, _, data)| (id, data))).collect()
            }

            /// Every case of one person (under any agreement), in case order.
            pub async fn cases_of_person(&self, person_id: i64) -> Result<Vec<CaseRow>, StoreError> {
                let rows = sqlx::query("SELECT id, agreement_id, person_id, facility_id, version, record FROM cases WHERE person_id = $1 ORDER BY id")
                    .bind(person_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(case_row_from).collect()
            }

            /// A person's aliases: (family name, given names), in order.
            pub async fn aliases_of_person(&self, person_id: i64) -> Result<Vec<(String, String)>, StoreError> {
                let rows = sqlx::query("SELECT family_name, given_names FROM person_aliases WHERE person_id = $1 ORDER BY family_name, given_names")
                    .bind(person_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| Ok((r.try_get("family_name")?, r.try_get("given_names")?))).collect()
            }

            /// Where the cases of an agreement are, without their records: (case id, person id,
            /// facility, cell, state), in case order. Occupancy is counted from these.
            pub async fn case_places(&self, agreement_id: &str) -> Result<Vec<(i64, i64, Option<String>, Option<String>, String)>, StoreError> {
                let rows = sqlx::query("SELECT id, person_id, facility_id, cell_id, state FROM cases WHERE agreement_id = $1 ORDER BY id")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get("id")?, r.try_get("person_id")?, r.try_get("facility_id")?, r.try_get("cell_id")?, r.try_get("state")?)))
                    .collect()
            }

            /// Records a second user's approval of a placement above standard capacity, for one
            /// case and cell (`case.override_approved` event).
            pub async fn approve_override(&self, case_id: i64, facility_id: &str, cell_id: &str, reason: &str, actor: &Actor) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let case = sqlx::query("SELECT agreement_id, person_id FROM cases WHERE id = $1")
                    .bind(case_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("case {case_id} does not exist")))?;
                let agreement_id: String = case.try_get("agreement_id")?;
                let person_id: i64 = case.try_get("person_id")?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM override_approvals").fetch_one(&mut *tx).await?.try_get("next")?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "case.override_approved",
                        agreement_id: Some(agreement_id),
                        person_id: Some(person_id),
                        data: EventData::Json(json!({"approval_id": id, "case_id": case_id, "facility_id": facility_id, "cell_id": cell_id, "reason": reason})),
                    }, actor).await?;
                sqlx::query("INSERT INTO override_approvals (id, case_id, facility_id, cell_id, reason, approved_by, approved_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(case_id)
                    .bind(facility_id.to_owned())
                    .bind(cell_id.to_owned())
                    .bind(reason.to_owned())
                    .bind(actor.name.clone())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(id)
            }

            /// An override approval: (case, facility, cell, reason, approved by, used).
            pub async fn override_approval(&self, id: i64) -> Result<Option<OverrideApproval>, StoreError> {
                let row = sqlx::query("SELECT case_id, facility_id, cell_id, reason, approved_by, used_seq FROM override_approvals WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    Ok(OverrideApproval {
                        id,
                        case_id: r.try_get("case_id")?,
                        facility_id: r.try_get("facility_id")?,
                        cell_id: r.try_get("cell_id")?,
                        reason: r.try_get("reason")?,
                        approved_by: r.try_get("approved_by")?,
                        used: r.try_get::<Option<i64>, _>("used_seq")?.is_some(),
                    })
                })
                .transpose()
            }

            /// Marks an approval used by the case's last event; refused when it was used already.
            pub async fn use_override_approval(&self, id: i64, case_id: i64) -> Result<(), StoreError> {
                let done = sqlx::query(
                    "UPDATE override_approvals SET used_seq = (SELECT last_event_seq FROM cases WHERE id = $2) \
                     WHERE id = $1 AND case_id = $2 AND used_seq IS NULL",
                )
                .bind(id)
                .bind(case_id)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 1 { Ok(()) } else { Err(StoreError::Refused(format!("override approval {id} is already used"))) }
            }

            /// One case with the sending state's id of its person (no record parsed: the fast path
            /// of case reads).
            pub async fn case_with_sending_id(&self, id: i64) -> Result<Option<(CaseRow, String)>, StoreError> {
                let row = sqlx::query(
                    "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, p.sending_id FROM cases c \
                     JOIN persons p ON p.id = c.person_id WHERE c.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some((
                    case_row_from(&row)?,
                    row.try_get("sending_id")?,
                )))
            }

            /// One case with the person's record.
            pub async fn case_with_person(&self, id: i64) -> Result<Option<(CaseRow, PersonData)>, StoreError> {
                let row = sqlx::query(
                    "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, e.body FROM cases c \
                     JOIN persons p ON p.id = c.person_id JOIN events e ON e.seq = p.last_event_seq WHERE c.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let person = person_from_event(row.try_get("person_id")?, &row.try_get::<String, _>("body")?)?;
                Ok(Some((
                    case_row_from(&row)?,
                    person,
                )))
            }

            /// Every case of an agreement with the person's record, in case order.
            pub async fn cases_with_persons(&self, agreement_id: &str) -> Result<Vec<(CaseRow, PersonData)>, StoreError> {
                let rows = sqlx::query(
                    "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, e.body FROM cases c \
                     JOIN persons p ON p.id = c.person_id JOIN events e ON e.seq = p.last_event_seq \
                     WHERE c.agreement_id = $1 ORDER BY c.id",
                )
                .bind(agreement_id.to_owned())
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let person = person_from_event(row.try_get("person_id")?, &row.try_get::<String, _>("body")?)?;
                    out.push((
                        case_row_from(&row)?,
                        person,
                    ));
                }
                Ok(out)
            }

            /// Checks a command on a case against its record and the register's occupancy, and
            /// records it (the new state and a `case.<action>` event) — or returns the coded
            /// refusal and writes nothing.
            pub async fn act_on_case(
                &self,
                id: i64,
                action: &str,
                request: &CaseRequest,
                actor: &custodia_core::custody::Actor,
                store_actor: &Actor,
            ) -> Result<CaseOutcome, StoreError> {
                self.act_on_case_at(id, None, action, request, actor, store_actor).await
            }

            /// [`Self::act_on_case`], refused with [`StoreError::Stale`] unless the case is still at
            /// `expected_version` (an HTTP `If-Match`).
            pub async fn act_on_case_at(
                &self,
                id: i64,
                expected_version: Option<i64>,
                action: &str,
                request: &CaseRequest,
                actor: &custodia_core::custody::Actor,
                store_actor: &Actor,
            ) -> Result<CaseOutcome, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let outcome = Self::act_in(&mut tx, &mut head, &CaseCall {
                    id,
                    expected_version,
                    action: action.to_owned(),
                    request: request.clone(),
                    actor: actor.clone(),
                    store_actor: store_actor.clone(),
                }).await?;
                if outcome.is_ok() {
                    Self::save_head(&mut tx, &head).await?;
                    tx.commit().await?;
                }
                Ok(outcome.map(|row| row.case))
            }

            /// Several case commands in one transaction — group commit: all that succeed are
            /// committed (one fsync) together, in order. A command is checked before it writes
            /// anything, so a refused one leaves nothing behind; if the database fails part-way
            /// through a command, the whole batch is rolled back and each command is retried in a
            /// transaction of its own, so one failure never takes the others with it.
            pub async fn act_on_cases(&self, calls: &[CaseCall]) -> Result<Vec<Result<CaseRowOutcome, StoreError>>, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let mut out = Vec::with_capacity(calls.len());
                let mut failed = false;
                for call in calls {
                    match Self::act_in(&mut tx, &mut head, call).await {
                        // Written, refused (nothing written) or stale (nothing written).
                        result @ (Ok(_) | Err(StoreError::Stale(_)) | Err(StoreError::NotFound(_))) => out.push(result),
                        Err(_) => {
                            failed = true;
                            break;
                        }
                    }
                }
                if !failed {
                    Self::save_head(&mut tx, &head).await?;
                    tx.commit().await?;
                    return Ok(out);
                }
                tx.rollback().await?;
                let mut out = Vec::with_capacity(calls.len());
                for call in calls {
                    let result = async {
                        let mut tx = self.pool.begin().await?;
                        let mut head = Self::lock_head(&mut tx).await?;
                        let outcome = Self::act_in(&mut tx, &mut head, call).await?;
                        if outcome.is_ok() {
                            Self::save_head(&mut tx, &head).await?;
                            tx.commit().await?;
                        }
                        Ok(outcome)
                    };
                    out.push(result.await);
                }
                Ok(out)
            }

            async fn act_in(tx: &mut sqlx::Transaction<'_, $db>, head: &mut Head, call: &CaseCall) -> Result<CaseRowOutcome, StoreError> {
                let CaseCall { id, expected_version, action, request, actor, store_actor } = call;
                let (id, expected_version, action) = (*id, *expected_version, action.as_str());
                let placement_of = match request {
                    CaseRequest::Admit { placement, .. } | CaseRequest::Move { placement } => Some(placement),
                    CaseRequest::Plain(_) => None,
                };
                // Everything the rules need, in one statement (each statement costs a round trip
                // to the database's thread; a busy server runs thousands of these a second): the
                // case, the current agreement's file, and for a placement the cell and the
                // occupancy of the cell and of the facility, derived from the cases in custody.
                let row = sqlx::query(
                    "SELECT c.agreement_id, c.person_id, c.facility_id, c.record, c.version, \
                       (SELECT v.source_toml FROM agreements a JOIN agreement_versions v \
                          ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = c.agreement_id) AS source_toml, \
                       (SELECT k.kind FROM cells k WHERE k.agreement_id = c.agreement_id AND k.facility_id = $2 AND k.cell_id = $3) AS cell_kind, \
                       (SELECT k.area_m2 FROM cells k WHERE k.agreement_id = c.agreement_id AND k.facility_id = $2 AND k.cell_id = $3) AS cell_area, \
                       (SELECT k.beds FROM cells k WHERE k.agreement_id = c.agreement_id AND k.facility_id = $2 AND k.cell_id = $3) AS cell_beds, \
                       (SELECT count(*) FROM cases x WHERE x.agreement_id = c.agreement_id AND x.facility_id = $2 AND x.id <> c.id \
                          AND x.cell_id = $3 AND x.state IN ('in_custody', 'return_scheduled')) AS in_cell, \
                       (SELECT count(*) FROM cases x WHERE x.agreement_id = c.agreement_id AND x.facility_id = $2 AND x.id <> c.id \
                          AND x.state IN ('in_custody', 'return_scheduled')) AS in_facility \
                     FROM cases c WHERE c.id = $1",
                )
                .bind(id)
                .bind(placement_of.map(|p| p.facility_id.clone()))
                .bind(placement_of.map(|p| p.cell_id.clone()))
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("case {id} does not exist")))?;
                let agreement_id: String = row.try_get("agreement_id")?;
                let person_id: i64 = row.try_get("person_id")?;
                let mut facility_id: Option<String> = row.try_get("facility_id")?;
                let version: i64 = row.try_get("version")?;
                if let Some(expected) = expected_version
                    && expected != version
                {
                    return Err(StoreError::Stale(format!("case {id} is at version {version}, not {expected}")));
                }
                let case = case_from_json(&row.try_get::<String, _>("record")?)?;
                let source: Option<String> = row.try_get("source_toml")?;
                let source = source.ok_or_else(|| StoreError::NotFound(format!("agreement {agreement_id} is not in the register: import the agreement file first")))?;
                let agreement = parsed_agreement(&agreement_id, source)?;
                let command = match request {
                    CaseRequest::Plain(command) => command.clone(),
                    CaseRequest::Admit { placement, .. } | CaseRequest::Move { placement } => {
                        let kind: Option<String> = row.try_get("cell_kind")?;
                        let Some(kind) = kind else {
                            return Err(StoreError::NotFound(format!(
                                "cell {} of facility {} is not registered: import the cells first",
                                placement.cell_id, placement.facility_id
                            )));
                        };
                        let bad = |what: &str| StoreError::Inconsistent(format!("cell: {what}"));
                        let area: Option<String> = row.try_get("cell_area")?;
                        let beds: Option<i64> = row.try_get("cell_beds")?;
                        let cell = Cell {
                            facility_id: custodia_core::FacilityId::parse(&placement.facility_id).map_err(|e| bad(&e.to_string()))?,
                            cell_id: placement.cell_id.clone(),
                            unit: String::new(),
                            kind: CellKind::parse(&kind).ok_or_else(|| bad("kind"))?,
                            area_m2: custodia_core::Decimal::parse(&area.unwrap_or_default()).map_err(|e| bad(&e.to_string()))?,
                            beds: u32::try_from(beds.unwrap_or(-1)).map_err(|_| bad("beds"))?,
                        };
                        let capacity = cell.capacity(&agreement.standards);
                        let in_place = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
                        let in_cell = in_place(row.try_get::<i64, _>("in_cell")?);
                        let in_facility = in_place(row.try_get::<i64, _>("in_facility")?);
                        let contracted = agreement
                            .facility(&placement.facility_id)
                            .map(|f| f.contracted_places)
                            .ok_or_else(|| StoreError::NotFound(format!("facility {} is not in agreement {agreement_id}", placement.facility_id)))?;
                        let place = Placement {
                            cell_id: placement.cell_id.clone(),
                            cell: Occupancy { current: in_cell, standard: capacity.standard, floor: capacity.floor },
                            agreement: Occupancy { current: in_facility, standard: contracted, floor: contracted },
                            override_by: placement.override_by.clone(),
                        };
                        facility_id = Some(placement.facility_id.clone());
                        match request {
                            CaseRequest::Admit { commitment_order, intake, .. } => Command::Admit {
                                commitment_order: commitment_order.clone(),
                                intake: intake.clone(),
                                placement: place,
                            },
                            _ => Command::Move { placement: place },
                        }
                    }
                };
                let next = match case.apply(&command, actor) {
                    Ok(next) => next,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                if next.cell_id.is_none() {
                    facility_id = None;
                }
                // The receiving state's identifier given at intake joins the person's identifiers.
                let receiving_id = match request {
                    CaseRequest::Admit { receiving_id: Some(value), .. } if !value.trim().is_empty() => Some(value.clone()),
                    _ => None,
                };
                if let Some(value) = &receiving_id {
                    sqlx::query(
                        "INSERT INTO person_identifiers (person_id, state, scheme, value) VALUES ($1, $2, 'inmate_number', $3) \
                         ON CONFLICT (state, scheme, value) DO NOTHING",
                    )
                    .bind(person_id)
                    .bind(agreement.receiving_state.as_str().to_owned())
                    .bind(value.clone())
                    .execute(&mut **tx)
                    .await?;
                }
                // A placement above standard capacity records its two approvers (SPEC §6).
                let override_by = placement_of.and_then(|p| p.override_by.as_ref()).map(|o| {
                    json!({"first": o.first, "second": o.second, "reason": o.reason})
                });
                let data = json!({
                    "receiving_id": receiving_id,
                    "override": override_by,
                    "case_id": id,
                    "facility_id": facility_id,
                    "action": action,
                    "from": case.state.as_str(),
                    "to": next.state.as_str(),
                    "reason": actor.reason,
                    "occurred_at": actor.occurred_at,
                    "record": case_json(&next),
                });
                let seq = Self::record_event(tx, head, NewEvent { kind: "case.transition", agreement_id: Some(agreement_id.clone()), person_id: Some(person_id), data: EventData::Json(data) }, store_actor).await?;
                let new_facility = facility_id.clone();
                sqlx::query("UPDATE cases SET state = $1, facility_id = $2, cell_id = $3, record = $4, version = $5, last_event_seq = $6 WHERE id = $7")
                    .bind(next.state.as_str())
                    .bind(facility_id)
                    .bind(next.cell_id.clone())
                    .bind(case_json(&next).to_string())
                    .bind(version + 1)
                    .bind(seq)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                Ok(Ok(CaseRow { id, agreement_id, person_id, facility_id: new_facility, version: version + 1, case: next }))
            }

            /// Files an incident; a death, disappearance or serious injury opens its notifications
            /// with the agreement's deadlines.
            pub async fn file_incident(
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
                let agreement = Self::agreement_in(&mut tx, agreement_id).await?;
                if let Some(case_id) = case_id {
                    let found = sqlx::query("SELECT id FROM cases WHERE id = $1 AND agreement_id = $2")
                        .bind(case_id)
                        .bind(agreement_id.to_owned())
                        .fetch_optional(&mut *tx)
                        .await?;
                    if found.is_none() {
                        return Err(StoreError::NotFound(format!("case {case_id} is not a case of {agreement_id}")));
                    }
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM incidents").fetch_one(&mut *tx).await?.try_get("next")?;
                let notifications = custodia_core::incidents::notifications_for(kind, occurred_at.unix_seconds(), &agreement.oversight);
                let report = Report { original: report.to_owned(), addenda: Vec::new() };
                let record = incident_json(&report, &notifications);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "incident.filed",
                        agreement_id: Some(agreement_id.to_owned()),
                        person_id: None,
                        data: EventData::Json(json!({"incident_id": id, "case_id": case_id, "kind": kind.as_str(), "occurred_at": occurred_at.as_str(), "record": record})),
                    }, actor).await?;
                sqlx::query("INSERT INTO incidents (id, agreement_id, case_id, kind, occurred_at, record, last_event_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(agreement_id.to_owned())
                    .bind(case_id)
                    .bind(kind.as_str())
                    .bind(occurred_at.as_str().to_owned())
                    .bind(record.to_string())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(IncidentRow { id, agreement_id: agreement_id.to_owned(), case_id, kind, occurred_at: occurred_at.as_str().to_owned(), report, notifications })
            }

            /// Records a notification as sent, or adds an addendum to the report (the report itself
            /// is never edited).
            pub async fn update_incident(&self, id: i64, update: &IncidentUpdate, actor: &Actor) -> Result<IncidentRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT agreement_id, case_id, kind, occurred_at, record FROM incidents WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("incident {id} does not exist")))?;
                let agreement_id: String = row.try_get("agreement_id")?;
                let kind = IncidentKind::parse(&row.try_get::<String, _>("kind")?).ok_or_else(|| StoreError::Inconsistent("incident kind".into()))?;
                let (mut report, mut notifications) = incident_from_json(&row.try_get::<String, _>("record")?)?;
                let (event_kind, detail) = match update {
                    IncidentUpdate::Notified { recipient, at } => {
                        let n = notifications
                            .iter_mut()
                            .find(|n| n.recipient == *recipient && n.sent_at_unix.is_none())
                            .ok_or_else(|| StoreError::NotFound(format!("incident {id} has no pending notification of {}", recipient.as_str())))?;
                        n.sent_at_unix = Some(at.unix_seconds());
                        ("incident.notified", json!({"recipient": recipient.as_str(), "at": at.as_str(), "late": n.was_late()}))
                    }
                    IncidentUpdate::Addendum { text } => {
                        report.add_addendum(&actor.name, text).map_err(|e| StoreError::NotFound(e.to_owned()))?;
                        ("incident.addendum", json!({"text": text}))
                    }
                };
                let record = incident_json(&report, &notifications);
                let seq = Self::record_event(&mut tx, &mut head, NewEvent { kind: event_kind, agreement_id: Some(agreement_id.clone()), person_id: None, data: EventData::Json(json!({"incident_id": id, "update": detail, "record": record})) }, actor).await?;
                sqlx::query("UPDATE incidents SET record = $1, last_event_seq = $2 WHERE id = $3")
                    .bind(record.to_string())
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
                    report,
                    notifications,
                })
            }

            /// Every incident of an agreement, in id order.
            pub async fn incidents(&self, agreement_id: &str) -> Result<Vec<IncidentRow>, StoreError> {
                let rows = sqlx::query("SELECT id, case_id, kind, occurred_at, record FROM incidents WHERE agreement_id = $1 ORDER BY id")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        let (report, notifications) = incident_from_json(&row.try_get::<String, _>("record")?)?;
                        Ok(IncidentRow {
                            id: row.try_get("id")?,
                            agreement_id: agreement_id.to_owned(),
                            case_id: row.try_get("case_id")?,
                            kind: IncidentKind::parse(&row.try_get::<String, _>("kind")?).ok_or_else(|| StoreError::Inconsistent("incident kind".into()))?,
                            occurred_at: row.try_get("occurred_at")?,
                            report,
                            notifications,
                        })
                    })
                    .collect()
            }

            /// Files an inspection (its body must be one the agreement names).
            pub async fn file_inspection(&self, agreement_id: &str, inspection: &Inspection, actor: &Actor) -> Result<i64, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let agreement = Self::agreement_in(&mut tx, agreement_id).await?;
                inspection.validate(&agreement.oversight.inspection_bodies).map_err(StoreError::NotFound)?;
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

            /// Moves a recommendation of an inspection to a new state (open → accepted |
            /// rejected, accepted → implemented | rejected).
            pub async fn update_recommendation(&self, id: i64, index: usize, to: RecommendationState, actor: &Actor) -> Result<Inspection, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT agreement_id, record FROM inspections WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("inspection {id} does not exist")))?;
                let agreement_id: String = row.try_get("agreement_id")?;
                let mut inspection = inspection_from_json(&row.try_get::<String, _>("record")?)?;
                inspection.update_recommendation(index, to).map_err(StoreError::NotFound)?;
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

            /// The source text of one version of an agreement.
            pub async fn agreement_version_source(&self, id: &str, version: i64) -> Result<Option<String>, StoreError> {
                let row = sqlx::query("SELECT source_toml FROM agreement_versions WHERE agreement_id = $1 AND version = $2")
                    .bind(id.to_owned())
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(row) => Some(row.try_get("source_toml")?),
                    None => None,
                })
            }

            /// The `case.transition` events of an agreement, in journal order: their bodies.
            pub async fn case_transition_bodies(&self, agreement_id: &str) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query("SELECT body FROM events WHERE agreement_id = $1 AND kind = 'case.transition' ORDER BY seq")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| r.try_get::<String, _>("body").map_err(StoreError::from)).collect()
            }

            /// Stores a drafted document and its `invoice.drafted` event; refused when a document
            /// with its number is already issued.
            pub async fn insert_invoice_draft(&self, draft: &InvoiceDraft, actor: &Actor) -> Result<InvoiceRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let issued = sqlx::query("SELECT invoice_id FROM invoice_issues WHERE number = $1")
                    .bind(draft.number.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                if issued.is_some() {
                    return Err(StoreError::Refused(format!("{} is already issued", draft.number)));
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM invoices").fetch_one(&mut *tx).await?.try_get("next")?;
                let document: Value = serde_json::from_str(&draft.document).map_err(|e| StoreError::Journal(e.to_string()))?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "invoice.drafted",
                        agreement_id: Some(draft.agreement_id.clone()),
                        person_id: None,
                        data: EventData::Json(json!({
                            "invoice_id": id,
                            "number": draft.number,
                            "kind": draft.kind,
                            "period": draft.period,
                            "sha256": hex(&draft.sha256),
                            "document": document,
                        })),
                    }, actor).await?;
                sqlx::query(
                    "INSERT INTO invoices (id, agreement_id, kind, period, number, document, sha256, total_minor, prepared_by, prepared_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(id)
                .bind(draft.agreement_id.clone())
                .bind(draft.kind.clone())
                .bind(draft.period.clone())
                .bind(draft.number.clone())
                .bind(draft.document.clone())
                .bind(draft.sha256.to_vec())
                .bind(draft.total_minor)
                .bind(actor.name.clone())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(InvoiceRow {
                    id,
                    agreement_id: draft.agreement_id.clone(),
                    kind: draft.kind.clone(),
                    period: draft.period.clone(),
                    number: draft.number.clone(),
                    document: draft.document.clone(),
                    sha256: draft.sha256.to_vec(),
                    total_minor: draft.total_minor,
                    prepared_by: actor.name.clone(),
                    prepared_seq: seq,
                    issued: None,
                })
            }

            /// Issues a drafted document: refused when the issuer prepared it (two-person rule),
            /// when it is already issued, or when `current_sha256` (the document recomputed from
            /// the records as they stand) differs from the draft's.
            pub async fn issue_invoice(&self, id: i64, current_sha256: &[u8; 32], actor: &Actor) -> Result<InvoiceRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let mut row = Self::invoice_in(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("invoice draft {id} does not exist")))?;
                if row.issued.is_some() {
                    return Err(StoreError::Refused(format!("{} (draft {id}) is already issued", row.number)));
                }
                if row.prepared_by == actor.name {
                    return Err(StoreError::Refused(format!(
                        "two-person rule: {} prepared draft {id}; another user must issue it", row.prepared_by
                    )));
                }
                let taken = sqlx::query("SELECT invoice_id FROM invoice_issues WHERE number = $1")
                    .bind(row.number.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Refused(format!("{} is already issued from another draft", row.number)));
                }
                if row.sha256.as_slice() != current_sha256.as_slice() {
                    return Err(StoreError::Refused(format!(
                        "draft {id} is stale: the custody records changed since it was prepared (its SHA-256 {}, now {}); prepare a new draft",
                        hex(&row.sha256),
                        hex(current_sha256)
                    )));
                }
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "invoice.issued",
                        agreement_id: Some(row.agreement_id.clone()),
                        person_id: None,
                        data: EventData::Json(json!({
                            "invoice_id": id,
                            "number": row.number,
                            "sha256": hex(&row.sha256),
                            "prepared_by": row.prepared_by,
                            "total_minor": row.total_minor,
                        })),
                    }, actor).await?;
                sqlx::query("INSERT INTO invoice_issues (invoice_id, number, issued_by, issued_seq) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(row.number.clone())
                    .bind(actor.name.clone())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                row.issued = Some(InvoiceIssue { issued_by: actor.name.clone(), issued_seq: seq, issued_at: actor.recorded_at.as_str().to_owned() });
                Ok(row)
            }

            async fn invoice_in(tx: &mut sqlx::Transaction<'_, $db>, id: i64) -> Result<Option<InvoiceRow>, StoreError> {
                let row = sqlx::query(&format!("{INVOICE_SELECT} WHERE i.id = $1"))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
                row.as_ref().map(invoice_from_row).transpose()
            }

            /// One stored document, drafted or issued.
            pub async fn invoice_row(&self, id: i64) -> Result<Option<InvoiceRow>, StoreError> {
                let row = sqlx::query(&format!("{INVOICE_SELECT} WHERE i.id = $1")).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(invoice_from_row).transpose()
            }

            /// Every document of an agreement (drafts and issued), in the order they were drafted.
            pub async fn invoice_rows(&self, agreement_id: &str) -> Result<Vec<InvoiceRow>, StoreError> {
                let rows = sqlx::query(&format!("{INVOICE_SELECT} WHERE i.agreement_id = $1 ORDER BY i.id"))
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(invoice_from_row).collect()
            }

            /// One incident, by id (whatever its agreement).
            pub async fn incident(&self, id: i64) -> Result<Option<IncidentRow>, StoreError> {
                let row = sqlx::query("SELECT id, agreement_id, case_id, kind, occurred_at, record FROM incidents WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let (report, notifications) = incident_from_json(&row.try_get::<String, _>("record")?)?;
                Ok(Some(IncidentRow {
                    id: row.try_get("id")?,
                    agreement_id: row.try_get("agreement_id")?,
                    case_id: row.try_get("case_id")?,
                    kind: IncidentKind::parse(&row.try_get::<String, _>("kind")?).ok_or_else(|| StoreError::Inconsistent("incident kind".into()))?,
                    occurred_at: row.try_get("occurred_at")?,
                    report,
                    notifications,
                }))
            }

            /// Every inspection of an agreement, in id order: (id, inspection).
            pub async fn inspections(&self, agreement_id: &str) -> Result<Vec<(i64, Inspection)>, StoreError> {
                let rows = sqlx::query("SELECT id, record FROM inspections WHERE agreement_id = $1 ORDER BY id")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| Ok((row.try_get("id")?, inspection_from_json(&row.try_get::<String, _>("record")?)?)))
                    .collect()
            }

            /// One inspection, by id (whatever its agreement): (agreement id, inspection).
            pub async fn inspection(&self, id: i64) -> Result<Option<(String, Inspection)>, StoreError> {
                let row = sqlx::query("SELECT agreement_id, record FROM inspections WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                Ok(Some((row.try_get("agreement_id")?, inspection_from_json(&row.try_get::<String, _>("record")?)?)))
            }

            /// Creates a user (`user.created` event; the password hash is not journaled).
            pub async fn create_user(&self, user: &NewUser, actor: &Actor) -> Result<UserRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let taken = sqlx::query("SELECT id FROM users WHERE name = $1").bind(user.name.clone()).fetch_optional(&mut *tx).await?;
                if taken.is_some() {
                    return Err(StoreError::Refused(format!("user {} already exists", user.name)));
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM users").fetch_one(&mut *tx).await?.try_get("next")?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "user.created",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({
                            "user_id": id,
                            "name": user.name,
                            "role": user.role,
                            "agreements": user.agreements,
                            "facilities": user.facilities,
                            "password_login": user.password_hash.is_some(),
                        })),
                    }, actor).await?;
                sqlx::query("INSERT INTO users (id, name, role, agreements, facilities, password_hash, created_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(user.name.clone())
                    .bind(user.role.clone())
                    .bind(list_json(&user.agreements))
                    .bind(list_json(&user.facilities))
                    .bind(user.password_hash.clone())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(UserRow {
                    id,
                    name: user.name.clone(),
                    role: user.role.clone(),
                    agreements: user.agreements.clone(),
                    facilities: user.facilities.clone(),
                    password_hash: user.password_hash.clone(),
                })
            }

            /// Every user, by id.
            pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
                let rows = sqlx::query("SELECT id, name, role, agreements, facilities, password_hash FROM users ORDER BY id").fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(UserRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    agreements: list_from_json(&r.try_get::<String, _>("agreements")?),
                    facilities: list_from_json(&r.try_get::<String, _>("facilities")?),
                    password_hash: r.try_get("password_hash")?,
                })).collect()
            }

            /// Stores a new API token's hash for a user (`token.created` event, without the hash).
            pub async fn create_token(&self, user_name: &str, sha256: &[u8; 32], label: &str, actor: &Actor) -> Result<TokenRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let user = sqlx::query("SELECT id FROM users WHERE name = $1").bind(user_name.to_owned()).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound(format!("user {user_name} does not exist")))?;
                let user_id: i64 = user.try_get("id")?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM api_tokens").fetch_one(&mut *tx).await?.try_get("next")?;
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "token.created",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"token_id": id, "user": user_name, "label": label})),
                    }, actor).await?;
                let created_at = actor.recorded_at.as_str().to_owned();
                sqlx::query("INSERT INTO api_tokens (id, user_id, sha256, label, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(id)
                    .bind(user_id)
                    .bind(sha256.to_vec())
                    .bind(label.to_owned())
                    .bind(created_at.clone())
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(TokenRow { id, user_name: user_name.to_owned(), label: label.to_owned(), created_at, revoked_at: None })
            }

            /// Revokes a token (`token.revoked` event); revoking twice is refused.
            pub async fn revoke_token(&self, id: i64, actor: &Actor) -> Result<TokenRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT t.id, u.name, t.label, t.created_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1")
                    .bind(id).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound(format!("token {id} does not exist")))?;
                let mut token = TokenRow {
                    id,
                    user_name: row.try_get("name")?,
                    label: row.try_get("label")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                };
                if token.revoked_at.is_some() {
                    return Err(StoreError::Refused(format!("token {id} is already revoked")));
                }
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "token.revoked",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"token_id": id, "user": token.user_name})),
                    }, actor).await?;
                let at = actor.recorded_at.as_str().to_owned();
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2").bind(at.clone()).bind(id).execute(&mut *tx).await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                token.revoked_at = Some(at);
                Ok(token)
            }

            /// Every token (never the secret), by id.
            pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
                let rows = sqlx::query("SELECT t.id, u.name, t.label, t.created_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id")
                    .fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(TokenRow {
                    id: r.try_get("id")?,
                    user_name: r.try_get("name")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })).collect()
            }

            /// The user holding a live token with this SHA-256, if any.
            pub async fn user_by_token(&self, sha256: &[u8; 32]) -> Result<Option<UserRow>, StoreError> {
                let row = sqlx::query(
                    "SELECT u.id, u.name, u.role, u.agreements, u.facilities, u.password_hash FROM api_tokens t \
                     JOIN users u ON u.id = t.user_id WHERE t.sha256 = $1 AND t.revoked_at IS NULL",
                )
                .bind(sha256.to_vec())
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok(UserRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    agreements: list_from_json(&r.try_get::<String, _>("agreements")?),
                    facilities: list_from_json(&r.try_get::<String, _>("facilities")?),
                    password_hash: r.try_get("password_hash")?,
                })).transpose()
            }

            /// Appends reads of persons' files to the read log, in one transaction.
            pub async fn log_person_reads(&self, reads: &[PersonRead]) -> Result<(), StoreError> {
                if reads.is_empty() {
                    return Ok(());
                }
                let mut tx = self.pool.begin().await?;
                // Every statement writes, the first one included: on SQLite the transaction takes
                // the write lock at once (waiting its turn) instead of failing to upgrade a read.
                for read in reads {
                    sqlx::query(
                        "INSERT INTO person_reads (id, user_name, person_id, route, at) \
                         VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM person_reads), $1, $2, $3, $4)",
                    )
                    .bind(read.user_name.clone())
                    .bind(read.person_id)
                    .bind(read.route.clone())
                    .bind(read.at.clone())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            /// The reads of one person's file, oldest first.
            pub async fn person_reads(&self, person_id: i64) -> Result<Vec<PersonRead>, StoreError> {
                let rows = sqlx::query("SELECT user_name, person_id, route, at FROM person_reads WHERE person_id = $1 ORDER BY id")
                    .bind(person_id).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(PersonRead {
                    user_name: r.try_get("user_name")?,
                    person_id: r.try_get("person_id")?,
                    route: r.try_get("route")?,
                    at: r.try_get("at")?,
                })).collect()
            }

            /// The kept answer for a user's idempotency key.
            pub async fn kept_answer(&self, user_name: &str, key: &str) -> Result<Option<KeptAnswer>, StoreError> {
                let row = sqlx::query("SELECT request_sha256, status, response FROM idempotency_keys WHERE user_name = $1 AND key = $2")
                    .bind(user_name.to_owned()).bind(key.to_owned()).fetch_optional(&self.pool).await?;
                row.map(|r| Ok(KeptAnswer {
                    request_sha256: r.try_get("request_sha256")?,
                    status: u16::try_from(r.try_get::<i64, _>("status")?).unwrap_or(500),
                    response: r.try_get("response")?,
                })).transpose()
            }

            /// Keeps the first answer for a user's idempotency key (a second one is ignored).
            pub async fn keep_answer(&self, user_name: &str, key: &str, answer: &KeptAnswer, at: &str) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO idempotency_keys (user_name, key, request_sha256, status, response, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_name, key) DO NOTHING",
                )
                .bind(user_name.to_owned())
                .bind(key.to_owned())
                .bind(answer.request_sha256.clone())
                .bind(i64::from(answer.status))
                .bind(answer.response.clone())
                .bind(at.to_owned())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            /// Logs a consular or family contact.
            pub async fn log_contact(&self, agreement_id: &str, case_id: Option<i64>, contact: &Contact, actor: &Actor) -> Result<i64, StoreError> {
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

            /// The contact log of an agreement: (id, case, contact), in order.
            pub async fn contacts(&self, agreement_id: &str) -> Result<Vec<(i64, Option<i64>, Contact)>, StoreError> {
                let rows = sqlx::query("SELECT id, case_id, contact, at, means, note FROM contacts WHERE agreement_id = $1 ORDER BY id")
                    .bind(agreement_id.to_owned())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|row| {
                        Ok((
                            row.try_get("id")?,
                            row.try_get("case_id")?,
                            Contact {
                                contact: row.try_get("contact")?,
                                at: row.try_get("at")?,
                                means: ContactMeans::parse(&row.try_get::<String, _>("means")?).ok_or_else(|| StoreError::Inconsistent("contact means".into()))?,
                                note: row.try_get("note")?,
                            },
                        ))
                    })
                    .collect()
            }

            /// People with Custodia id greater than `after`, in id order, at most `limit`.
            pub async fn persons_page(&self, after: i64, limit: u32) -> Result<Vec<(i64, PersonData)>, StoreError> {
                let rows = sqlx::query(&format!("{PERSON_SELECT} WHERE p.id > $1 ORDER BY p.id LIMIT $2"))
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|row| person_from_row(row).map(|(id, _, _, data)| (id, data)).map_err(Into::into)).collect()
            }

            /// Number of events in the journal.
            pub async fn journal_size(&self) -> Result<u64, StoreError> {
                let row = sqlx::query("SELECT size FROM journal_head WHERE id = 1").fetch_one(&self.pool).await?;
                u64::try_from(row.try_get::<i64, _>("size")?).map_err(|_| StoreError::Inconsistent("negative size".into()))
            }

            /// Events `from..to` (leaf order).
            pub async fn events(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
                let rows = sqlx::query(
                    "SELECT seq, body, leaf_hash, root_after FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq",
                )
                .bind(from as i64)
                .bind(to as i64)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|row| event_from_row(row).map_err(Into::into)).collect()
            }

            /// Recomputes the whole tree from the stored events and reports the first mismatch.
            ///
            /// Each page of [`PAGE_EVENTS`] events arrives as one row — the bodies joined by line
            /// breaks (canonical JSON has none) — so the database driver is crossed once per page,
            /// not once per event, and the time goes to SHA-256. The tree is rebuilt from the bodies
            /// and its root compared with the stored root at each page end; any disagreement re-reads
            /// that page event by event (stored leaf hashes, bodies, roots) to name the first mismatch.
            pub async fn verify_journal(&self) -> Result<VerifyReport, StoreError> {
                let size = self.journal_size().await?;
                // Rows are aggregated in scan order (the primary key, so seq order) without an ORDER
                // BY inside the aggregate, which would make SQLite sort every body. Correctness does
                // not rest on that order: a page whose hashes disagree is re-checked from the events.
                let page_sql = match $dialect {
                    Dialect::Sqlite => "SELECT count(*) AS n, group_concat(body, char(10)) AS bodies, \
                         (SELECT hex(root_after) FROM events WHERE seq = $2 - 1) AS root \
                         FROM (SELECT body FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq)",
                    Dialect::Postgres => "SELECT count(*) AS n, string_agg(body, E'\\n' ORDER BY seq) AS bodies, \
                         (SELECT upper(encode(root_after, 'hex')) FROM events WHERE seq = $2 - 1) AS root \
                         FROM events WHERE seq >= $1 AND seq < $2",
                };
                let mut tree = custodia_journal::merkle::Tree::new();
                let mut bytes = 0u64;
                let mut hex = String::with_capacity(64);
                let page_end = |from: u64| if from < size { (from + PAGE_EVENTS).min(size) } else { from + PAGE_EVENTS };
                let fetch = |from: u64| {
                    // Past the recorded size, keep reading until no rows are left: the head itself
                    // may have been tampered with.
                    let to = page_end(from);
                    async move {
                        let row = sqlx::query(page_sql).bind(from as i64).bind(to as i64).fetch_one(&self.pool).await?;
                        let count = u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0);
                        if count == 0 {
                            return Ok::<_, StoreError>(None);
                        }
                        let bodies: String = row.try_get("bodies")?;
                        let root: Option<String> = row.try_get("root")?;
                        Ok(Some((from, to, count, bodies, root)))
                    }
                };
                // The database reads page k + 1 while page k is hashed here.
                let mut next = fetch(0).await?;
                while let Some((from, to, count, bodies, root)) = next.take() {
                    let page_start = tree.clone();
                    let (fetched, ok) = tokio::join!(fetch(to), async {
                        // A body or stored leaf hash that was changed changes the recomputed root, so
                        // comparing the page's last root is enough here; the slow path below names
                        // the event.
                        let mut ok = count == to - from;
                        let mut lines = 0u64;
                        if ok {
                            for body in bodies.split('\n') {
                                lines += 1;
                                bytes += body.len() as u64;
                                if tree.push(custodia_journal::merkle::leaf_hash(body.as_bytes())).is_err() {
                                    ok = false;
                                    break;
                                }
                            }
                            hex_upper(tree.root().as_bytes(), &mut hex);
                            ok = ok && lines == count && root.as_deref() == Some(hex.as_str());
                        }
                        ok
                    });
                    if !ok {
                        // Name the first event that does not match, from the events themselves.
                        let events = self.events(from, to).await?;
                        tree = page_start;
                        if let Some(found) = verify_page(&mut tree, &events) {
                            return Ok(VerifyReport { size: tree.size(), root: tree.root(), bytes, first_mismatch: Some(found) });
                        }
                        if events.is_empty() {
                            break;
                        }
                        next = fetch(tree.size()).await?;
                        continue;
                    }
                    next = fetched?;
                }
                let first_mismatch = (tree.size() != size)
                    .then(|| (tree.size(), format!("journal head says {size} events but {} are stored", tree.size())));
                Ok(VerifyReport { size: tree.size(), root: tree.root(), bytes, first_mismatch })
            }
        }
    };
}

backend!(
    SqliteStore,
    sqlx::Sqlite,
    sqlx::SqlitePool,
    Dialect::Sqlite,
    "UPDATE journal_head SET size = size WHERE id = 1"
);
backend!(
    PostgresStore,
    sqlx::Postgres,
    sqlx::PgPool,
    Dialect::Postgres,
    "SELECT size FROM journal_head WHERE id = 1 FOR UPDATE"
);

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

/// Uppercase hex of `bytes` into `out` (as SQLite's `hex()` writes it).
fn hex_upper(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.clear();
    for b in bytes {
        out.push(char::from(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0')));
        out.push(char::from(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0')));
    }
}

/// The JSON rows for inserting `events` (see [`EVENT_COLUMNS`]).
fn events_json(events: &[AppendedEvent], actor: &Actor) -> String {
    let mut rows = JsonRows::with_capacity(events.len() * 800);
    for event in events {
        let stored = &event.stored;
        rows.row()
            .int(stored.seq as i64)
            .text(event.kind)
            .text(&actor.name)
            .text(actor.occurred_at.as_ref().unwrap_or(&actor.recorded_at).as_str())
            .text(actor.recorded_at.as_str())
            .opt_text(event.agreement_id.as_deref())
            .opt_int(event.person_id)
            .text(&stored.body)
            .blob(&stored.leaf_hash)
            .blob(&stored.root_after);
    }
    rows.finish()
}

type Existing = HashMap<String, (i64, i64, Vec<u8>, PersonData)>;

/// Builds one batch of a person import: decides for each row whether it is new, amended or
/// unchanged, appends the events to the journal head, and returns the JSON rows for the events
/// and persons inserts (`None` when nothing changed).
#[allow(clippy::too_many_arguments)]
fn build_person_batch(
    batch: &[PersonData],
    existing: &Existing,
    state: &str,
    agreement_id: &str,
    head: &mut Head,
    next_id: &mut i64,
    outcome: &mut PersonsImport,
    actor: &Actor,
) -> Result<Option<(String, String)>, StoreError> {
    let mut events: Vec<AppendedEvent> = Vec::with_capacity(batch.len());
    let mut persons = JsonRows::with_capacity(batch.len() * 500);
    for person in batch {
        let digest = person.sha256();
        let (id, version, event) = match existing.get(&person.sending_id) {
            Some((_, _, sha, _)) if sha.as_slice() == digest.as_slice() => {
                outcome.unchanged += 1;
                continue;
            }
            Some((id, version, _, old)) => {
                let changes: Vec<Value> = person
                    .changes_from(old)
                    .into_iter()
                    .map(|(column, from, to)| json!({"column": column, "from": from, "to": to}))
                    .collect();
                outcome.amended += 1;
                // The amendment carries the whole new record too: a person's last event always does.
                let event = NewEvent {
                    kind: "person.amended",
                    agreement_id: Some(agreement_id.to_owned()),
                    person_id: Some(*id),
                    data: EventData::Json(
                        json!({"version": version + 1, "changes": changes, "record": person.to_json()}),
                    ),
                };
                (*id, version + 1, event)
            }
            None => {
                *next_id += 1;
                outcome.added += 1;
                let event = NewEvent {
                    kind: "person.registered",
                    agreement_id: Some(agreement_id.to_owned()),
                    person_id: Some(*next_id),
                    data: EventData::Canonical(registered_data(&person.canonical_json(), state)),
                };
                (*next_id, 1, event)
            }
        };
        let appended = head.append(event, actor)?;
        persons
            .row()
            .int(id)
            .text(state)
            .text(&person.sending_id)
            .blob(&digest)
            .int(version)
            .int(appended.stored.seq as i64);
        events.push(appended);
    }
    if events.is_empty() {
        return Ok(None);
    }
    Ok(Some((events_json(&events, actor), persons.finish())))
}

/// `{"record":<record>,"sending_state":"US"}` in canonical form, from the record's canonical JSON.
fn registered_data(record: &str, state: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(record.len() + 40);
    out.extend_from_slice(b"{\"record\":");
    out.extend_from_slice(record.as_bytes());
    out.extend_from_slice(b",\"sending_state\":");
    custodia_journal::canonical::write_string(state, &mut out);
    out.push(b'}');
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The register, on either database. Every method has the same meaning on both.
#[derive(Clone, Debug)]
pub enum Store {
    /// SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PostgresStore),
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            Store::Sqlite($s) => $call,
            Store::Postgres($s) => $call,
        }
    };
}

impl Store {
    /// Opens (creating if needed) the register and applies its migrations.
    pub async fn open(target: &Target) -> Result<Self, StoreError> {
        match target {
            Target::DataDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir { path: dir.clone(), source })?;
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.join(SQLITE_FILE));
                Self::open_sqlite(options).await
            }
            Target::Url(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                Ok(Store::Postgres(PostgresStore { pool, file: None }))
            }
            Target::Url(url) if url.starts_with("sqlite:") => {
                Self::open_sqlite(sqlx::sqlite::SqliteConnectOptions::from_str(url)?).await
            }
            Target::Url(url) => Err(StoreError::UnsupportedUrl(url.clone())),
        }
    }

    async fn open_sqlite(options: sqlx::sqlite::SqliteConnectOptions) -> Result<Self, StoreError> {
        let file = Some(options.get_filename().to_path_buf()).filter(|f| f.as_os_str() != ":memory:");
        let options = options
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            // FULL: a commit is on disk before it is answered (WAL with NORMAL could lose the last
            // commits on power loss). The server groups transitions so one fsync covers many.
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // A larger page cache keeps a big import's B-tree pages in memory instead of spilling them
            // to the WAL again and again (64 MiB per connection; SQLite allocates it only as needed).
            .pragma("cache_size", "-65536");
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store::Sqlite(SqliteStore { pool, file }))
    }

    /// Which database this is: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// See [`SqliteStore::import_agreement`].
    pub async fn import_agreement(
        &self,
        file: &AgreementFile<'_>,
        actor: &Actor,
    ) -> Result<AgreementImport, StoreError> {
        dispatch!(self, s => s.import_agreement(file, actor).await)
    }

    /// See [`SqliteStore::propose_amendment`].
    pub async fn propose_amendment(&self, file: &AgreementFile<'_>, actor: &Actor) -> Result<i64, StoreError> {
        dispatch!(self, s => s.propose_amendment(file, actor).await)
    }

    /// See [`SqliteStore::approve_amendment`].
    pub async fn approve_amendment(
        &self,
        agreement_id: &str,
        proposal: i64,
        actor: &Actor,
    ) -> Result<AgreementImport, StoreError> {
        dispatch!(self, s => s.approve_amendment(agreement_id, proposal, actor).await)
    }

    /// The current version and source text of an agreement.
    pub async fn agreement_source(&self, id: &str) -> Result<Option<(i64, String)>, StoreError> {
        dispatch!(self, s => s.agreement_source(id).await)
    }

    /// See [`SqliteStore::import_persons`].
    pub async fn import_persons(&self, file: PersonsFile<'_>, actor: &Actor) -> Result<PersonsImport, StoreError> {
        dispatch!(self, s => s.import_persons(file, actor).await)
    }

    /// See [`SqliteStore::import_cells`].
    pub async fn import_cells(
        &self,
        agreement_id: &str,
        cells: &[Cell],
        actor: &Actor,
    ) -> Result<CellsImport, StoreError> {
        dispatch!(self, s => s.import_cells(agreement_id, cells, actor).await)
    }

    /// See [`SqliteStore::cells`].
    pub async fn cells(&self, agreement_id: &str) -> Result<Vec<Cell>, StoreError> {
        dispatch!(self, s => s.cells(agreement_id).await)
    }

    /// See [`SqliteStore::propose_case`].
    pub async fn propose_case(
        &self,
        agreement_id: &str,
        sending_id: &str,
        actor: &Actor,
    ) -> Result<CaseRow, StoreError> {
        dispatch!(self, s => s.propose_case(agreement_id, sending_id, actor).await)
    }

    /// See [`SqliteStore::identifiers`].
    pub async fn identifiers(&self, person_id: i64) -> Result<Vec<(String, String, String)>, StoreError> {
        dispatch!(self, s => s.identifiers(person_id).await)
    }

    /// See [`SqliteStore::case_row`].
    pub async fn case_row(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        dispatch!(self, s => s.case_row(id).await)
    }

    /// See [`SqliteStore::cases_with_persons`].
    pub async fn cases_with_persons(&self, agreement_id: &str) -> Result<Vec<(CaseRow, PersonData)>, StoreError> {
        dispatch!(self, s => s.cases_with_persons(agreement_id).await)
    }

    /// See [`SqliteStore::agreement_ids`].
    pub async fn agreement_ids(&self) -> Result<Vec<(String, i64)>, StoreError> {
        dispatch!(self, s => s.agreement_ids().await)
    }

    /// See [`SqliteStore::person_by_id`].
    pub async fn person_by_id(&self, id: i64) -> Result<Option<(String, i64, i64, PersonData)>, StoreError> {
        dispatch!(self, s => s.person_by_id(id).await)
    }

    /// See [`SqliteStore::persons_of_state`].
    pub async fn persons_of_state(
        &self,
        sending_state: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, PersonData)>, StoreError> {
        dispatch!(self, s => s.persons_of_state(sending_state, after, limit).await)
    }

    /// See [`SqliteStore::cases_of_person`].
    pub async fn cases_of_person(&self, person_id: i64) -> Result<Vec<CaseRow>, StoreError> {
        dispatch!(self, s => s.cases_of_person(person_id).await)
    }

    /// See [`SqliteStore::aliases_of_person`].
    pub async fn aliases_of_person(&self, person_id: i64) -> Result<Vec<(String, String)>, StoreError> {
        dispatch!(self, s => s.aliases_of_person(person_id).await)
    }

    /// See [`SqliteStore::case_places`].
    #[allow(clippy::type_complexity)]
    pub async fn case_places(
        &self,
        agreement_id: &str,
    ) -> Result<Vec<(i64, i64, Option<String>, Option<String>, String)>, StoreError> {
        dispatch!(self, s => s.case_places(agreement_id).await)
    }

    /// One case with the sending state's id of its person — the hot read of the API. On a SQLite
    /// file it is answered on the calling thread from a read-only connection kept per thread
    /// (an indexed read takes microseconds, less than handing it to the pool's thread and back);
    /// otherwise through the pool.
    pub async fn case_with_sending_id(&self, id: i64) -> Result<Option<(CaseRow, String)>, StoreError> {
        match self {
            Store::Sqlite(s) if s.file.is_some() => {
                let path = s.file.clone().unwrap_or_default();
                sqlite_case_with_sending_id(&path, id)
            }
            _ => dispatch!(self, s => s.case_with_sending_id(id).await),
        }
    }

    /// See [`SqliteStore::approve_override`].
    pub async fn approve_override(
        &self,
        case_id: i64,
        facility_id: &str,
        cell_id: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        dispatch!(self, s => s.approve_override(case_id, facility_id, cell_id, reason, actor).await)
    }

    /// See [`SqliteStore::override_approval`].
    pub async fn override_approval(&self, id: i64) -> Result<Option<OverrideApproval>, StoreError> {
        dispatch!(self, s => s.override_approval(id).await)
    }

    /// See [`SqliteStore::use_override_approval`].
    pub async fn use_override_approval(&self, id: i64, case_id: i64) -> Result<(), StoreError> {
        dispatch!(self, s => s.use_override_approval(id, case_id).await)
    }

    /// See [`SqliteStore::case_with_person`].
    pub async fn case_with_person(&self, id: i64) -> Result<Option<(CaseRow, PersonData)>, StoreError> {
        dispatch!(self, s => s.case_with_person(id).await)
    }

    /// See [`SqliteStore::act_on_cases`].
    pub async fn act_on_cases(
        &self,
        calls: &[CaseCall],
    ) -> Result<Vec<Result<CaseRowOutcome, StoreError>>, StoreError> {
        dispatch!(self, s => s.act_on_cases(calls).await)
    }

    /// See [`SqliteStore::act_on_case_at`].
    pub async fn act_on_case_at(
        &self,
        id: i64,
        expected_version: Option<i64>,
        action: &str,
        request: &CaseRequest,
        actor: &custodia_core::custody::Actor,
        store_actor: &Actor,
    ) -> Result<CaseOutcome, StoreError> {
        dispatch!(self, s => s.act_on_case_at(id, expected_version, action, request, actor, store_actor).await)
    }

    /// See [`SqliteStore::act_on_case`].
    pub async fn act_on_case(
        &self,
        id: i64,
        action: &str,
        request: &CaseRequest,
        actor: &custodia_core::custody::Actor,
        store_actor: &Actor,
    ) -> Result<CaseOutcome, StoreError> {
        dispatch!(self, s => s.act_on_case(id, action, request, actor, store_actor).await)
    }

    /// See [`SqliteStore::file_incident`].
    pub async fn file_incident(
        &self,
        agreement_id: &str,
        case_id: Option<i64>,
        kind: IncidentKind,
        occurred_at: &Timestamp,
        report: &str,
        actor: &Actor,
    ) -> Result<IncidentRow, StoreError> {
        dispatch!(self, s => s.file_incident(agreement_id, case_id, kind, occurred_at, report, actor).await)
    }

    /// See [`SqliteStore::update_incident`].
    pub async fn update_incident(
        &self,
        id: i64,
        update: &IncidentUpdate,
        actor: &Actor,
    ) -> Result<IncidentRow, StoreError> {
        dispatch!(self, s => s.update_incident(id, update, actor).await)
    }

    /// See [`SqliteStore::incidents`].
    pub async fn incidents(&self, agreement_id: &str) -> Result<Vec<IncidentRow>, StoreError> {
        dispatch!(self, s => s.incidents(agreement_id).await)
    }

    /// See [`SqliteStore::file_inspection`].
    pub async fn file_inspection(
        &self,
        agreement_id: &str,
        inspection: &Inspection,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        dispatch!(self, s => s.file_inspection(agreement_id, inspection, actor).await)
    }

    /// See [`SqliteStore::update_recommendation`].
    pub async fn update_recommendation(
        &self,
        id: i64,
        index: usize,
        to: RecommendationState,
        actor: &Actor,
    ) -> Result<Inspection, StoreError> {
        dispatch!(self, s => s.update_recommendation(id, index, to, actor).await)
    }

    /// The source text of one version of an agreement.
    pub async fn agreement_version_source(&self, id: &str, version: i64) -> Result<Option<String>, StoreError> {
        dispatch!(self, s => s.agreement_version_source(id, version).await)
    }

    /// See [`SqliteStore::case_transition_bodies`].
    pub async fn case_transition_bodies(&self, agreement_id: &str) -> Result<Vec<String>, StoreError> {
        dispatch!(self, s => s.case_transition_bodies(agreement_id).await)
    }

    /// See [`SqliteStore::insert_invoice_draft`].
    pub async fn insert_invoice_draft(&self, draft: &InvoiceDraft, actor: &Actor) -> Result<InvoiceRow, StoreError> {
        dispatch!(self, s => s.insert_invoice_draft(draft, actor).await)
    }

    /// See [`SqliteStore::issue_invoice`].
    pub async fn issue_invoice(
        &self,
        id: i64,
        current_sha256: &[u8; 32],
        actor: &Actor,
    ) -> Result<InvoiceRow, StoreError> {
        dispatch!(self, s => s.issue_invoice(id, current_sha256, actor).await)
    }

    /// See [`SqliteStore::invoice_row`].
    pub async fn invoice_row(&self, id: i64) -> Result<Option<InvoiceRow>, StoreError> {
        dispatch!(self, s => s.invoice_row(id).await)
    }

    /// See [`SqliteStore::invoice_rows`].
    pub async fn invoice_rows(&self, agreement_id: &str) -> Result<Vec<InvoiceRow>, StoreError> {
        dispatch!(self, s => s.invoice_rows(agreement_id).await)
    }

    /// See [`SqliteStore::incident`].
    pub async fn incident(&self, id: i64) -> Result<Option<IncidentRow>, StoreError> {
        dispatch!(self, s => s.incident(id).await)
    }

    /// See [`SqliteStore::inspections`].
    pub async fn inspections(&self, agreement_id: &str) -> Result<Vec<(i64, Inspection)>, StoreError> {
        dispatch!(self, s => s.inspections(agreement_id).await)
    }

    /// See [`SqliteStore::inspection`].
    pub async fn inspection(&self, id: i64) -> Result<Option<(String, Inspection)>, StoreError> {
        dispatch!(self, s => s.inspection(id).await)
    }

    /// See [`SqliteStore::create_user`].
    pub async fn create_user(&self, user: &NewUser, actor: &Actor) -> Result<UserRow, StoreError> {
        dispatch!(self, s => s.create_user(user, actor).await)
    }

    /// See [`SqliteStore::users`].
    pub async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
        dispatch!(self, s => s.users().await)
    }

    /// See [`SqliteStore::create_token`].
    pub async fn create_token(
        &self,
        user_name: &str,
        sha256: &[u8; 32],
        label: &str,
        actor: &Actor,
    ) -> Result<TokenRow, StoreError> {
        dispatch!(self, s => s.create_token(user_name, sha256, label, actor).await)
    }

    /// See [`SqliteStore::revoke_token`].
    pub async fn revoke_token(&self, id: i64, actor: &Actor) -> Result<TokenRow, StoreError> {
        dispatch!(self, s => s.revoke_token(id, actor).await)
    }

    /// See [`SqliteStore::tokens`].
    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        dispatch!(self, s => s.tokens().await)
    }

    /// See [`SqliteStore::user_by_token`].
    pub async fn user_by_token(&self, sha256: &[u8; 32]) -> Result<Option<UserRow>, StoreError> {
        dispatch!(self, s => s.user_by_token(sha256).await)
    }

    /// See [`SqliteStore::log_person_reads`].
    pub async fn log_person_reads(&self, reads: &[PersonRead]) -> Result<(), StoreError> {
        dispatch!(self, s => s.log_person_reads(reads).await)
    }

    /// See [`SqliteStore::person_reads`].
    pub async fn person_reads(&self, person_id: i64) -> Result<Vec<PersonRead>, StoreError> {
        dispatch!(self, s => s.person_reads(person_id).await)
    }

    /// See [`SqliteStore::kept_answer`].
    pub async fn kept_answer(&self, user_name: &str, key: &str) -> Result<Option<KeptAnswer>, StoreError> {
        dispatch!(self, s => s.kept_answer(user_name, key).await)
    }

    /// See [`SqliteStore::keep_answer`].
    pub async fn keep_answer(
        &self,
        user_name: &str,
        key: &str,
        answer: &KeptAnswer,
        at: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self, s => s.keep_answer(user_name, key, answer, at).await)
    }

    /// See [`SqliteStore::log_contact`].
    pub async fn log_contact(
        &self,
        agreement_id: &str,
        case_id: Option<i64>,
        contact: &Contact,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        dispatch!(self, s => s.log_contact(agreement_id, case_id, contact, actor).await)
    }

    /// See [`SqliteStore::contacts`].
    pub async fn contacts(&self, agreement_id: &str) -> Result<Vec<(i64, Option<i64>, Contact)>, StoreError> {
        dispatch!(self, s => s.contacts(agreement_id).await)
    }

    /// See [`SqliteStore::persons_page`].
    pub async fn persons_page(&self, after: i64, limit: u32) -> Result<Vec<(i64, PersonData)>, StoreError> {
        dispatch!(self, s => s.persons_page(after, limit).await)
    }

    /// Number of events.
    pub async fn journal_size(&self) -> Result<u64, StoreError> {
        dispatch!(self, s => s.journal_size().await)
    }

    /// Events `from..to`.
    pub async fn events(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
        dispatch!(self, s => s.events(from, to).await)
    }

    /// See [`SqliteStore::verify_journal`].
    pub async fn verify_journal(&self) -> Result<VerifyReport, StoreError> {
        match self {
            Store::Sqlite(s) if s.file.is_some() => s.verify_journal_file().await,
            _ => dispatch!(self, s => s.verify_journal().await),
        }
    }

    /// The leaf hashes `0..size`, recomputed from the stored bodies (for proofs).
    pub async fn leaf_hashes(&self, size: u64) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError> {
        if let Store::Sqlite(SqliteStore { file: Some(path), .. }) = self {
            // The same direct read as `journal verify`: the async driver's per-row cost dominates.
            let path = path.clone();
            return tokio::task::spawn_blocking(move || sqlite_leaf_hashes(&path, size))
                .await
                .map_err(|e| StoreError::Inconsistent(format!("reading thread failed: {e}")))?;
        }
        let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let mut from = 0;
        while from < size {
            let page = self.events(from, (from + PAGE_EVENTS).min(size)).await?;
            if page.is_empty() {
                return Err(StoreError::Inconsistent(format!("event {from} is missing")));
            }
            for event in &page {
                out.push(custodia_journal::merkle::leaf_hash(event.body.as_bytes()));
            }
            from += page.len() as u64;
        }
        Ok(out)
    }

    /// Closes the connections.
    pub async fn close(&self) {
        dispatch!(self, s => s.pool.close().await)
    }
}

/// What a direct scan of the SQLite file found.
enum Scan {
    /// Every leaf and every page root matched.
    Verified(VerifyReport),
    /// Events `from..to` disagree somewhere; `tree` holds the leaves before `from`.
    Disagrees { tree: custodia_journal::merkle::Tree, from: u64, to: u64, bytes: u64 },
}

impl SqliteStore {
    /// `journal verify` on SQLite: the events are read straight from the database file with a
    /// read-only connection of SQLite's C API (rusqlite) in one snapshot, each body borrowed from
    /// SQLite's page buffer and hashed where it lies — no per-event hop through the async driver,
    /// which would cost more than the SHA-256 itself. A disagreement is then named by the ordinary
    /// event-by-event check.
    async fn verify_journal_file(&self) -> Result<VerifyReport, StoreError> {
        let Some(path) = self.file.clone() else { return self.verify_journal().await };
        let scan = tokio::task::spawn_blocking(move || scan_sqlite_journal(&path))
            .await
            .map_err(|e| StoreError::Inconsistent(format!("verification thread failed: {e}")))??;
        match scan {
            Scan::Verified(report) => Ok(report),
            Scan::Disagrees { mut tree, from, to, bytes } => {
                let events = self.events(from, to).await?;
                match verify_page(&mut tree, &events) {
                    Some(found) => {
                        Ok(VerifyReport { size: tree.size(), root: tree.root(), bytes, first_mismatch: Some(found) })
                    }
                    // The two reads disagree with each other (a write in between): check again, slowly.
                    None => self.verify_journal().await,
                }
            }
        }
    }
}

thread_local! {
    /// A read-only connection to a SQLite file, per thread, for the hottest reads.
    static READER: std::cell::RefCell<Option<(std::path::PathBuf, rusqlite::Connection)>> = const { std::cell::RefCell::new(None) };
}

fn sqlite_case_with_sending_id(path: &std::path::Path, id: i64) -> Result<Option<(CaseRow, String)>, StoreError> {
    use rusqlite::OpenFlags;
    READER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(p, _)| p != path) {
            let conn = rusqlite::Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            conn.busy_timeout(Duration::from_secs(10))?;
            *slot = Some((path.to_path_buf(), conn));
        }
        let Some((_, conn)) = slot.as_ref() else { return Ok(None) };
        let mut statement = conn.prepare_cached(
            "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, p.sending_id FROM cases c \
             JOIN persons p ON p.id = c.person_id WHERE c.id = ?1",
        )?;
        let mut rows = statement.query([id])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let record: String = row.get(5)?;
        Ok(Some((
            CaseRow {
                id: row.get(0)?,
                agreement_id: row.get(1)?,
                person_id: row.get(2)?,
                facility_id: row.get(3)?,
                version: row.get(4)?,
                case: case_from_json(&record)?,
            },
            row.get(6)?,
        )))
    })
}

/// Leaf hashes of events `0..size`, read straight from the SQLite file in one snapshot.
fn sqlite_leaf_hashes(path: &std::path::Path, size: u64) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mut statement = conn.prepare("SELECT seq, body FROM events WHERE seq < ?1 ORDER BY seq")?;
    let mut rows = statement.query([i64::try_from(size).unwrap_or(i64::MAX)])?;
    let mut out = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    while let Some(row) = rows.next()? {
        let seq = u64::try_from(row.get::<_, i64>(0)?).unwrap_or(u64::MAX);
        if seq != out.len() as u64 {
            return Err(StoreError::Inconsistent(format!("event {} is missing", out.len())));
        }
        let body = row.get_ref(1)?.as_bytes().map_err(|e| StoreError::Inconsistent(format!("event {seq}: {e}")))?;
        out.push(custodia_journal::merkle::leaf_hash(body));
    }
    if (out.len() as u64) < size {
        return Err(StoreError::Inconsistent(format!("event {} is missing", out.len())));
    }
    Ok(out)
}

/// One page of events as read from the file: the bodies back to back, where each ends, and the
/// stored root after the page's last event.
struct FilePage {
    from: u64,
    bodies: Vec<u8>,
    ends: Vec<usize>,
    last_root: [u8; 32],
    /// False when the sequence numbers had a gap or a root was malformed within this page.
    well_formed: bool,
}

/// Reads the events into pages on this thread while another thread hashes them: reading a page
/// out of SQLite and hashing it take about the same time, so the two cores share the work.
fn scan_sqlite_journal(path: &std::path::Path) -> Result<Scan, StoreError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // One read transaction: the head and the events come from the same snapshot.
    conn.execute_batch("BEGIN")?;
    let size = u64::try_from(conn.query_row("SELECT size FROM journal_head WHERE id = 1", [], |r| r.get::<_, i64>(0))?)
        .map_err(|_| StoreError::Inconsistent("negative journal size".into()))?;
    let (pages_tx, pages_rx) = std::sync::mpsc::sync_channel::<FilePage>(2);
    let (spare_tx, spare_rx) = std::sync::mpsc::channel::<FilePage>();
    let hasher = std::thread::spawn(move || hash_pages(pages_rx, spare_tx, size));
    let read = (|| -> Result<(), StoreError> {
        let mut statement = conn.prepare("SELECT seq, body, root_after FROM events ORDER BY seq")?;
        let mut rows = statement.query([])?;
        let mut next_seq = 0u64;
        let new_page = |from: u64, spare: Option<FilePage>| -> FilePage {
            let mut page = spare.unwrap_or(FilePage {
                from,
                bodies: Vec::with_capacity(8 << 20),
                ends: Vec::with_capacity(PAGE_EVENTS as usize),
                last_root: [0; 32],
                well_formed: true,
            });
            page.from = from;
            page.bodies.clear();
            page.ends.clear();
            page.well_formed = true;
            page
        };
        let mut page = new_page(0, None);
        while let Some(row) = rows.next()? {
            let seq = u64::try_from(row.get::<_, i64>(0)?).unwrap_or(u64::MAX);
            let body = row.get_ref(1)?.as_bytes().map_err(|e| StoreError::Inconsistent(format!("event {seq}: {e}")))?;
            let root = row.get_ref(2)?.as_bytes().map_err(|e| StoreError::Inconsistent(format!("event {seq}: {e}")))?;
            if seq != next_seq || root.len() != 32 {
                page.well_formed = false;
                break;
            }
            next_seq += 1;
            page.bodies.extend_from_slice(body);
            page.ends.push(page.bodies.len());
            page.last_root.copy_from_slice(root);
            if next_seq % PAGE_EVENTS == 0 {
                let full = std::mem::replace(&mut page, new_page(next_seq, spare_rx.try_recv().ok()));
                if pages_tx.send(full).is_err() {
                    return Ok(()); // the hasher stopped at a disagreement
                }
            }
        }
        if !page.ends.is_empty() || !page.well_formed {
            let _ = pages_tx.send(page);
        }
        Ok(())
    })();
    drop(pages_tx);
    let outcome = hasher.join().map_err(|_| StoreError::Inconsistent("the hashing thread panicked".into()))?;
    read?;
    Ok(outcome)
}

/// Rebuilds the tree from the pages and compares each page's stored root.
fn hash_pages(pages: std::sync::mpsc::Receiver<FilePage>, spare: std::sync::mpsc::Sender<FilePage>, size: u64) -> Scan {
    let mut tree = custodia_journal::merkle::Tree::new();
    let mut bytes = 0u64;
    for page in pages {
        let page_start = tree.clone();
        let mut start = 0usize;
        let mut ok = page.well_formed;
        for &end in &page.ends {
            let body = page.bodies.get(start..end).unwrap_or_default();
            bytes += body.len() as u64;
            if tree.push(custodia_journal::merkle::leaf_hash(body)).is_err() {
                ok = false;
                break;
            }
            start = end;
        }
        ok = ok && (page.ends.is_empty() || tree.root().as_bytes() == &page.last_root);
        if !ok {
            let to = page.from + page.ends.len() as u64 + 1;
            return Scan::Disagrees { tree: page_start, from: page.from, to, bytes };
        }
        let _ = spare.send(page);
    }
    let first_mismatch = (tree.size() != size)
        .then(|| (tree.size(), format!("journal head says {size} events but {} are stored", tree.size())));
    Scan::Verified(VerifyReport { size: tree.size(), root: tree.root(), bytes, first_mismatch })
}
