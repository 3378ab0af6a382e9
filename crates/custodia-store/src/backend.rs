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

use crate::events::{AppendedEvent, Head, NewEvent, StoredEvent, VerifyReport, verify_page};
use crate::record::PersonData;
use crate::{
    Actor, AgreementFile, AgreementImport, BATCH_ROWS, PAGE_EVENTS, PersonsFile, PersonsImport, SQLITE_FILE,
    StoreError, Target,
};

const PERSON_SELECT: &str = "SELECT id, version, record_sha256, record FROM persons";

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

const PERSON_COLUMNS_SQL: [(&str, Kind); 7] = [
    ("id", Kind::Int),
    ("sending_state", Kind::Text),
    ("sending_id", Kind::Text),
    ("record", Kind::Text),
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
    let record: String = row.try_get("record")?;
    let data = PersonData::from_json(&record).map_err(|e| StoreError::Inconsistent(format!("person {id}: {e}")))?;
    Ok((id, row.try_get("version")?, row.try_get("record_sha256")?, data))
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

            async fn insert_events(tx: &mut sqlx::Transaction<'_, $db>, events: &[AppendedEvent], actor: &Actor) -> Result<(), StoreError> {
                let sql = insert_sql($dialect, "events", &EVENT_COLUMNS, "");
                for chunk in events.chunks(BATCH_ROWS) {
                    let mut rows = JsonRows::with_capacity(chunk.len() * 600);
                    for event in chunk {
                        let stored = &event.stored;
                        rows.row()
                            .int(stored.seq as i64)
                            .text(event.kind)
                            .text(&actor.name)
                            .text(actor.recorded_at.as_str())
                            .text(actor.recorded_at.as_str())
                            .opt_text(event.agreement_id.as_deref())
                            .opt_int(event.person_id)
                            .text(&stored.body)
                            .blob(&stored.leaf_hash)
                            .blob(&stored.root_after);
                    }
                    sqlx::query(&sql).bind(rows.finish()).execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Imports an agreement file: a new agreement, an amendment (new version) when the file
            /// changed, or nothing when it is the current version already.
            pub async fn import_agreement(&self, file: &AgreementFile<'_>, actor: &Actor) -> Result<AgreementImport, StoreError> {
                let id = file.agreement.id.as_str().to_owned();
                let digest: Vec<u8> = Sha256::digest(file.source.as_bytes()).to_vec();
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let current: Option<(i64, Vec<u8>)> = sqlx::query(
                    "SELECT v.version, v.source_sha256 FROM agreements a JOIN agreement_versions v \
                     ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = $1",
                )
                .bind(id.clone())
                .fetch_optional(&mut *tx)
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
                    data: json!({
                        "version": version,
                        "effective_from": effective_from,
                        "source_sha256": hex(&digest),
                        "source": file.source,
                    }),
                };
                let appended = head.append(event, actor)?;
                let seq = appended.stored.seq as i64;
                Self::insert_events(&mut tx, &[appended], actor).await?;
                if version == 1 {
                    sqlx::query("INSERT INTO agreements (id, current_version) VALUES ($1, $2)")
                        .bind(id.clone())
                        .bind(version)
                        .execute(&mut *tx)
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
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE agreements SET current_version = $1 WHERE id = $2")
                    .bind(version)
                    .bind(id.clone())
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
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
            pub async fn import_persons(&self, file: &PersonsFile<'_>, actor: &Actor) -> Result<PersonsImport, StoreError> {
                let state = file.sending_state.as_str().to_owned();
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let known: Option<i64> = sqlx::query("SELECT current_version FROM agreements WHERE id = $1")
                    .bind(file.agreement_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|row| row.try_get("current_version"))
                    .transpose()?;
                if known.is_none() {
                    return Err(StoreError::NotFound(format!(
                        "agreement {} is not in the register: import the agreement file first",
                        file.agreement_id
                    )));
                }
                let mut next_id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) AS max_id FROM persons")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("max_id")?;
                let mut outcome = PersonsImport::default();
                for batch in file.persons.chunks(BATCH_ROWS) {
                    let mut ids = JsonRows::with_capacity(batch.len() * 16);
                    ids.row();
                    for person in batch {
                        ids.text(&person.sending_id);
                    }
                    let ids = ids.finish();
                    let lookup = format!(
                        "{PERSON_SELECT} WHERE sending_state = $1 AND sending_id IN ({})",
                        text_list_sql($dialect, "$2")
                    );
                    let found = sqlx::query(&lookup).bind(state.clone()).bind(ids).fetch_all(&mut *tx).await?;
                    let mut existing: HashMap<String, (i64, i64, Vec<u8>, PersonData)> = HashMap::new();
                    for row in found {
                        let found = person_from_row(&row)?;
                        existing.insert(found.3.sending_id.clone(), found);
                    }
                    // (custodia id, sending id, version, record JSON, digest, event) per person to write.
                    let mut writes: Vec<(i64, &str, i64, String, Vec<u8>, AppendedEvent)> = Vec::with_capacity(batch.len());
                    for person in batch {
                        let digest = person.sha256().to_vec();
                        let (id, version, event) = match existing.get(&person.sending_id) {
                            Some((_, _, sha, _)) if *sha == digest => {
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
                                let event = NewEvent {
                                    kind: "person.amended",
                                    agreement_id: Some(file.agreement_id.to_owned()),
                                    person_id: Some(*id),
                                    data: json!({"version": version + 1, "changes": changes}),
                                };
                                (*id, version + 1, event)
                            }
                            None => {
                                next_id += 1;
                                outcome.added += 1;
                                let event = NewEvent {
                                    kind: "person.registered",
                                    agreement_id: Some(file.agreement_id.to_owned()),
                                    person_id: Some(next_id),
                                    data: json!({"sending_state": state, "record": person.to_json()}),
                                };
                                (next_id, 1, event)
                            }
                        };
                        let appended = head.append(event, actor)?;
                        writes.push((id, &person.sending_id, version, person.canonical_json(), digest, appended));
                    }
                    if writes.is_empty() {
                        continue;
                    }
                    let mut rows = JsonRows::with_capacity(writes.len() * 500);
                    for (id, sending_id, version, record, digest, appended) in &writes {
                        rows.row()
                            .int(*id)
                            .text(&state)
                            .text(sending_id)
                            .text(record)
                            .blob(digest)
                            .int(*version)
                            .int(appended.stored.seq as i64);
                    }
                    // New people are inserted; amended ones replace their row (same id).
                    let suffix = " ON CONFLICT (id) DO UPDATE SET record = excluded.record, \
                                  record_sha256 = excluded.record_sha256, version = excluded.version, \
                                  last_event_seq = excluded.last_event_seq";
                    let events: Vec<AppendedEvent> = writes.into_iter().map(|w| w.5).collect();
                    Self::insert_events(&mut tx, &events, actor).await?;
                    sqlx::query(&insert_sql($dialect, "persons", &PERSON_COLUMNS_SQL, suffix))
                        .bind(rows.finish())
                        .execute(&mut *tx)
                        .await?;
                }
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            /// People with Custodia id greater than `after`, in id order, at most `limit`.
            pub async fn persons_page(&self, after: i64, limit: u32) -> Result<Vec<(i64, PersonData)>, StoreError> {
                let rows = sqlx::query(&format!("{PERSON_SELECT} WHERE id > $1 ORDER BY id LIMIT $2"))
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
            pub async fn verify_journal(&self) -> Result<VerifyReport, StoreError> {
                let size = self.journal_size().await?;
                let mut range = custodia_journal::merkle::Tree::new();
                let mut from = 0u64;
                // The stored count may itself have been tampered with: read until no rows are left.
                loop {
                    let page = self.events(from, from + PAGE_EVENTS).await?;
                    if page.is_empty() {
                        break;
                    }
                    if let Some(mismatch) = verify_page(&mut range, &page) {
                        return Ok(VerifyReport { size: range.size(), root: range.root(), first_mismatch: Some(mismatch) });
                    }
                    from += page.len() as u64;
                }
                let first_mismatch = (range.size() != size).then(|| {
                    (range.size(), format!("journal head says {size} events but {} are stored", range.size()))
                });
                Ok(VerifyReport { size: range.size(), root: range.root(), first_mismatch })
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
                Ok(Store::Postgres(PostgresStore { pool }))
            }
            Target::Url(url) if url.starts_with("sqlite:") => {
                Self::open_sqlite(sqlx::sqlite::SqliteConnectOptions::from_str(url)?).await
            }
            Target::Url(url) => Err(StoreError::UnsupportedUrl(url.clone())),
        }
    }

    async fn open_sqlite(options: sqlx::sqlite::SqliteConnectOptions) -> Result<Self, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store::Sqlite(SqliteStore { pool }))
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

    /// The current version and source text of an agreement.
    pub async fn agreement_source(&self, id: &str) -> Result<Option<(i64, String)>, StoreError> {
        dispatch!(self, s => s.agreement_source(id).await)
    }

    /// See [`SqliteStore::import_persons`].
    pub async fn import_persons(&self, file: &PersonsFile<'_>, actor: &Actor) -> Result<PersonsImport, StoreError> {
        dispatch!(self, s => s.import_persons(file, actor).await)
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
        dispatch!(self, s => s.verify_journal().await)
    }

    /// The leaf hashes `0..size` as stored (for proofs), checked against their bodies.
    pub async fn leaf_hashes(&self, size: u64) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError> {
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
