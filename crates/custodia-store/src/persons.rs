//! People in the register: the sending state's records, imported in bulk, each change an event.

use std::collections::HashMap;

use serde_json::{Value, json};
use sqlx::Row;

use crate::backend::{
    EVENT_COLUMNS, PERSON_SELECT, PostgresStore, SqliteStore, event_rows, event_rows_bytes, person_from_event,
    person_from_row, store_trait, text_list_sql,
};
use crate::bulk::{BulkSql, Dialect, JsonRows, Kind, Rows, RowsData};
use crate::events::{AppendedEvent, EventData, Head, NewEvent};
use crate::record::{PersonData, PersonJson};
use crate::{Actor, BATCH_ROWS, PersonsFile, PersonsImport, StoreError};

/// One person as stored: the record carried by their last event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRow {
    /// The Custodia id.
    pub id: i64,
    /// The state that sent the record.
    pub sending_state: String,
    /// 1 when registered, one more with every amendment.
    pub version: i64,
    /// The journal event carrying the current record.
    pub record_seq: i64,
    /// The record.
    pub record: PersonData,
}

/// A person in a listing: Custodia id and record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonEntry {
    /// The Custodia id.
    pub id: i64,
    /// The record.
    pub record: PersonData,
}

/// One of a person's identifiers besides the sending state's (an inmate number…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identifier {
    /// The state that issued it.
    pub state: String,
    /// What kind of identifier (`inmate_number`).
    pub scheme: String,
    /// The identifier.
    pub value: String,
    /// The agreement under which it was recorded (`None` for an identifier recorded before the
    /// register kept this; shown only to callers who see every agreement).
    pub agreement_id: Option<String>,
}

/// A name a person is also known by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    /// Family name.
    pub family_name: String,
    /// Given names.
    pub given_names: String,
}

const PERSON_COLUMNS_SQL: [(&str, Kind); 6] = [
    ("id", Kind::Int),
    ("sending_state", Kind::Text),
    ("sending_id", Kind::Text),
    ("record_sha256", Kind::Blob),
    ("version", Kind::Int),
    ("last_event_seq", Kind::Int),
];

store_trait! {
    /// People: bulk import of the sending state's records and reads of them.
    pub trait Persons {
        /// Imports valid person rows: new people are registered, changed ones amended, identical
        /// ones left alone. All in one transaction.
        fn import_persons(&self, file: PersonsFile<'_>, actor: &Actor) -> Result<PersonsImport, StoreError>;
        /// A person's identifiers other than the export id: (state, scheme, value).
        fn identifiers(&self, person_id: i64) -> Result<Vec<Identifier>, StoreError>;
        /// One person by Custodia id: (sending state, version, sequence number of the journal
        /// event that carries the current record, the record).
        fn person_by_id(&self, id: i64) -> Result<Option<PersonRow>, StoreError>;
        /// People of one sending state with Custodia id greater than `after`, in id order, at
        /// most `limit`.
        fn persons_of_state(&self, sending_state: &str, after: i64, limit: u32) -> Result<Vec<PersonEntry>, StoreError>;
        /// People with Custodia id greater than `after`, in id order, at most `limit`.
        fn persons_page(&self, after: i64, limit: u32) -> Result<Vec<PersonEntry>, StoreError>;
        /// A person's aliases: (family name, given names), in order.
        fn aliases_of_person(&self, person_id: i64) -> Result<Vec<Alias>, StoreError>;
        /// The agreements a person was imported under, in id order.
        fn person_agreements(&self, person_id: i64) -> Result<Vec<String>, StoreError>;
        /// The Custodia id of the sending state's person, if registered.
        fn person_id_of(&self, sending_state: &str, sending_id: &str) -> Result<Option<i64>, StoreError>;
        /// People imported under an agreement or with a case under it, with Custodia id greater
        /// than `after`, in id order, at most `limit`.
        fn persons_of_agreement(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<PersonEntry>, StoreError>;
    }
}

macro_rules! persons_sql {
    ($name:ident, $db:ty, $dialect:expr) => {
        impl Persons for $name {
            async fn import_persons(&self, file: PersonsFile<'_>, actor: &Actor) -> Result<PersonsImport, StoreError> {
                let PersonsFile { agreement_id, sending_state, mut persons } = file;
                let state = sending_state.as_str().to_owned();
                let mut tx = self.pool.begin().await?;
                let head = Self::lock_head(&mut tx).await?;
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
                let next_id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) AS max_id FROM persons")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("max_id")?;
                let outcome = PersonsImport::default();
                let sql = ImportSql::new($dialect);
                // Only lookups by key, whatever the planner believes of tables that grow inside this
                // transaction (PostgreSQL has no statistics for them until it commits): the batch's
                // ids as one array in the index condition on (sending_state, sending_id), each person
                // found completed by its last event and its link to this agreement. As `IN (SELECT …)`
                // with joins, in a prepared statement whose plan was made on the first batches,
                // PostgreSQL read every person of the state at every batch: 1,000,000 people took 235 s.
                let wanted = match $dialect {
                    Dialect::Sqlite => format!("IN ({})", text_list_sql($dialect, "$2")),
                    Dialect::Postgres => "= ANY(ARRAY(SELECT json_array_elements_text(($2::json)->0)))".to_owned(),
                };
                let lookup = format!(
                    "SELECT p.id, p.version, p.record_sha256, \
                     (SELECT e.body FROM events e WHERE e.seq = p.last_event_seq) AS body, \
                     (SELECT pa.person_id FROM person_agreements pa \
                      WHERE pa.person_id = p.id AND pa.agreement_id = $3) AS linked \
                     FROM persons p WHERE p.sending_state = $1 AND p.sending_id {wanted}"
                );
                // Batch k is written by the database while batch k + 1 is built on a thread of the
                // blocking pool, so an import costs about the larger of the two, not their sum. (Built
                // inside the same task, the build ran while the write waited to be polled again: a
                // batch's write is a dozen statements, and only the first overlapped the build.)
                let mut pending: Option<Batch> = None;
                let mut building = Building { head, next_id, outcome };
                loop {
                    let batch: Vec<PersonData> = persons.by_ref().take(BATCH_ROWS).collect();
                    if batch.is_empty() {
                        break;
                    }
                    let mut ids = JsonRows::with_capacity(batch.len() * 16);
                    ids.row();
                    for person in &batch {
                        ids.text(&person.sending_id);
                    }
                    // Planned afresh every batch: a plan cached while the tables were nearly empty
                    // (PostgreSQL settles on a generic plan after five runs) would scan the
                    // people at every later batch, a cost that grows with the import.
                    let found = sqlx::query(&lookup)
                        .persistent(false)
                        .bind(state.clone())
                        .bind(ids.finish())
                        .bind(agreement_id.to_owned())
                        .fetch_all(&mut *tx)
                        .await?;
                    let mut existing: Existing = HashMap::new();
                    for row in found {
                        let (id, version, sha, record) = person_from_row(&row)?;
                        let linked = row.try_get::<Option<i64>, _>("linked")?.is_some();
                        existing.insert(record.sending_id.clone(), Found { id, version, sha, record, linked });
                    }
                    let previous = pending.take();
                    let (state, agreement, actor) = (state.clone(), agreement_id.to_owned(), actor.clone());
                    let build = tokio::task::spawn_blocking(move || {
                        let mut b = building;
                        let built = build_person_batch(
                            &batch,
                            &existing,
                            &state,
                            &agreement,
                            &mut b.head,
                            &mut b.next_id,
                            &mut b.outcome,
                            &actor,
                            $dialect,
                        );
                        (built, b)
                    });
                    let (written, built) = tokio::join!(
                        async {
                            match previous {
                                Some(batch) => Self::write_person_batch(&mut tx, &sql, batch).await,
                                None => Ok(()),
                            }
                        },
                        build
                    );
                    let (built, b) = built.map_err(|e| StoreError::Journal(format!("an import batch was not built: {e}")))?;
                    building = b;
                    written?;
                    pending = built?;
                }
                let Building { head, outcome, .. } = building;
                if let Some(batch) = pending {
                    Self::write_person_batch(&mut tx, &sql, batch).await?;
                }
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn identifiers(&self, person_id: i64) -> Result<Vec<Identifier>, StoreError> {
                let rows = sqlx::query("SELECT state, scheme, value, agreement_id FROM person_identifiers WHERE person_id = $1 ORDER BY state, scheme, value")
                    .bind(person_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Identifier {
                            state: r.try_get("state")?,
                            scheme: r.try_get("scheme")?,
                            value: r.try_get("value")?,
                            agreement_id: r.try_get("agreement_id")?,
                        })
                    })
                    .collect()
            }

            async fn person_by_id(&self, id: i64) -> Result<Option<PersonRow>, StoreError> {
                let row = sqlx::query(
                    "SELECT p.id, p.sending_state, p.version, p.last_event_seq, e.body FROM persons p \
                     JOIN events e ON e.seq = p.last_event_seq WHERE p.id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let record = person_from_event(id, &row.try_get::<String, _>("body")?)?;
                Ok(Some(PersonRow {
                    id,
                    sending_state: row.try_get("sending_state")?,
                    version: row.try_get("version")?,
                    record_seq: row.try_get("last_event_seq")?,
                    record,
                }))
            }

            async fn persons_of_state(&self, sending_state: &str, after: i64, limit: u32) -> Result<Vec<PersonEntry>, StoreError> {
                let rows = sqlx::query(&format!("{PERSON_SELECT} WHERE p.sending_state = $1 AND p.id > $2 ORDER BY p.id LIMIT $3"))
                    .bind(sending_state.to_owned())
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|row| person_from_row(row).map(|(id, _, _, record)| PersonEntry { id, record })).collect()
            }

            async fn persons_page(&self, after: i64, limit: u32) -> Result<Vec<PersonEntry>, StoreError> {
                let rows = sqlx::query(&format!("{PERSON_SELECT} WHERE p.id > $1 ORDER BY p.id LIMIT $2"))
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|row| person_from_row(row).map(|(id, _, _, record)| PersonEntry { id, record })).collect()
            }

            async fn person_agreements(&self, person_id: i64) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query("SELECT agreement_id FROM person_agreements WHERE person_id = $1 ORDER BY agreement_id")
                    .bind(person_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| Ok(r.try_get("agreement_id")?)).collect()
            }

            async fn person_id_of(&self, sending_state: &str, sending_id: &str) -> Result<Option<i64>, StoreError> {
                let row = sqlx::query("SELECT id FROM persons WHERE sending_state = $1 AND sending_id = $2")
                    .bind(sending_state.to_owned())
                    .bind(sending_id.to_owned())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| r.try_get("id")).transpose().map_err(Into::into)
            }

            async fn persons_of_agreement(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<PersonEntry>, StoreError> {
                let rows = sqlx::query(&format!(
                    "{PERSON_SELECT} WHERE p.id IN (SELECT person_id FROM person_agreements WHERE agreement_id = $1 \
                     UNION SELECT person_id FROM cases WHERE agreement_id = $1) AND p.id > $2 ORDER BY p.id LIMIT $3"
                ))
                .bind(agreement_id.to_owned())
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|row| person_from_row(row).map(|(id, _, _, record)| PersonEntry { id, record })).collect()
            }

            async fn aliases_of_person(&self, person_id: i64) -> Result<Vec<Alias>, StoreError> {
                let rows = sqlx::query("SELECT family_name, given_names FROM person_aliases WHERE person_id = $1 ORDER BY family_name, given_names")
                    .bind(person_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok(Alias { family_name: r.try_get("family_name")?, given_names: r.try_get("given_names")? }))
                    .collect()
            }
        }

        impl $name {
            /// Writes one import batch: events first (people point at their last event), then
            /// new people, amended people, and the agreements people are imported under. Empty
            /// parts cost no statement.
            async fn write_person_batch(
                tx: &mut sqlx::Transaction<'_, $db>,
                sql: &ImportSql,
                batch: Batch,
            ) -> Result<(), StoreError> {
                Self::write_rows(tx, &sql.events, batch.events).await?;
                if batch.added > 0 {
                    Self::write_rows(tx, &sql.persons, batch.persons).await?;
                }
                if batch.amended > 0 {
                    Self::write_rows(tx, &sql.amended, batch.amendments).await?;
                }
                if batch.linked > 0 {
                    Self::write_rows(tx, &sql.links, batch.links).await?;
                }
                Ok(())
            }
        }
    };
}

persons_sql!(SqliteStore, sqlx::Sqlite, Dialect::Sqlite);
persons_sql!(PostgresStore, sqlx::Postgres, Dialect::Postgres);

/// What an import carries from batch to batch: the journal head, the last Custodia id given, and
/// the counts so far (moved to the thread that builds each batch, and back).
struct Building {
    head: Head,
    next_id: i64,
    outcome: PersonsImport,
}

/// A person already in the register, as an import batch finds them.
struct Found {
    id: i64,
    version: i64,
    sha: Vec<u8>,
    record: PersonData,
    /// Already imported under the importing agreement.
    linked: bool,
}

type Existing = HashMap<String, Found>;

/// The statements of a person import, one [`BulkSql`] per table (prepared multi-row inserts on
/// SQLite, a binary `COPY` on PostgreSQL); amendments replace their row, which only an
/// `INSERT … ON CONFLICT` can, so they go as JSON rows on both.
struct ImportSql {
    events: BulkSql,
    persons: BulkSql,
    amended: BulkSql,
    links: BulkSql,
}

const LINK_COLUMNS: [(&str, Kind); 2] = [("person_id", Kind::Int), ("agreement_id", Kind::Text)];

impl ImportSql {
    fn new(dialect: Dialect) -> Self {
        Self {
            events: BulkSql::new(dialect, "events", &EVENT_COLUMNS, ""),
            persons: BulkSql::new(dialect, "persons", &PERSON_COLUMNS_SQL, ""),
            amended: BulkSql::new(
                dialect,
                "persons",
                &PERSON_COLUMNS_SQL,
                " ON CONFLICT (id) DO UPDATE SET record_sha256 = excluded.record_sha256, \
                 version = excluded.version, last_event_seq = excluded.last_event_seq",
            ),
            links: BulkSql::new(dialect, "person_agreements", &LINK_COLUMNS, ""),
        }
    }
}

/// The rows of one import batch: events, new people, amended people (JSON rows on both databases:
/// an upsert), and the agreements people are imported under, with how many of each.
struct Batch {
    events: RowsData,
    persons: RowsData,
    added: usize,
    amendments: RowsData,
    amended: usize,
    links: RowsData,
    linked: usize,
}

/// Builds one batch of a person import: decides for each row whether it is new, amended or
/// unchanged, appends the events to the journal head, and returns the rows for the events,
/// persons and person-agreement inserts (`None` when nothing changed). An unchanged person not yet
/// imported under this agreement gets a `person.linked` event (the record stays as it is), so the
/// agreements a person was imported under are a projection of the journal.
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
    dialect: Dialect,
) -> Result<Option<Batch>, StoreError> {
    let mut events: Vec<AppendedEvent> = Vec::with_capacity(batch.len());
    let mut persons = Rows::new(dialect, PERSON_COLUMNS_SQL.len(), batch.len() * 120);
    let mut amendments = Rows::Json(JsonRows::with_capacity(0));
    let mut links = Rows::new(dialect, LINK_COLUMNS.len(), batch.len() * 32);
    let (mut added, mut amended, mut linked) = (0, 0, 0);
    for person in batch {
        let digest = person.sha256();
        let found = existing.get(&person.sending_id);
        let event = match found {
            Some(found) if found.sha.as_slice() == digest.as_slice() => {
                outcome.unchanged += 1;
                if !found.linked {
                    let event = NewEvent {
                        kind: "person.linked",
                        agreement_id: Some(agreement_id.to_owned()),
                        person_id: Some(found.id),
                        data: EventData::Json(json!({"sending_id": person.sending_id, "sending_state": state})),
                    };
                    events.push(head.append(event, actor)?);
                    links.row().int(found.id).text(agreement_id);
                    linked += 1;
                }
                continue;
            }
            Some(found) => amendment(person, found, agreement_id, outcome),
            None => {
                *next_id += 1;
                outcome.added += 1;
                NewEvent {
                    kind: "person.registered",
                    agreement_id: Some(agreement_id.to_owned()),
                    person_id: Some(*next_id),
                    data: EventData::Canonical(registered_data(&person.canonical_json(), state)),
                }
            }
        };
        let appended = head.append(event, actor)?;
        let seq = appended.stored.seq as i64;
        match found {
            Some(found) => {
                amended += 1;
                amendments.row().int(found.id).text(state).text(&person.sending_id).blob(&digest);
                amendments.int(found.version + 1).int(seq);
            }
            None => {
                added += 1;
                persons.row().int(*next_id).text(state).text(&person.sending_id).blob(&digest);
                persons.int(1).int(seq);
            }
        }
        if !found.is_some_and(|f| f.linked) {
            links.row().int(found.map_or(*next_id, |f| f.id)).text(agreement_id);
            linked += 1;
        }
        events.push(appended);
    }
    if events.is_empty() {
        return Ok(None);
    }
    let events = event_rows(Rows::new(dialect, EVENT_COLUMNS.len(), event_rows_bytes(&events)), &events, actor);
    Ok(Some(Batch {
        events,
        persons: persons.finish(),
        added,
        amendments: amendments.finish(),
        amended,
        links: links.finish(),
        linked,
    }))
}

/// The `person.amended` event of a person whose record changed: the changed columns and the whole
/// new record (a person's last event always carries it).
fn amendment(person: &PersonData, found: &Found, agreement_id: &str, outcome: &mut PersonsImport) -> NewEvent {
    let changes: Vec<Value> = person
        .changes_from(&found.record)
        .into_iter()
        .map(|(column, from, to)| json!({"column": column, "from": from, "to": to}))
        .collect();
    outcome.amended += 1;
    outcome.amended_ids.push(found.id);
    NewEvent {
        kind: "person.amended",
        agreement_id: Some(agreement_id.to_owned()),
        person_id: Some(found.id),
        data: EventData::Json(json!({"version": found.version + 1, "changes": changes, "record": person.to_json()})),
    }
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
