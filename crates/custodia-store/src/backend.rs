//! The two implementations of the storage contract and what they share: the connection, the
//! journal head every writer locks, the decoding of rows, and [`Store`], the enum chosen by the
//! URL. Each area's statements live in its own module (see the crate documentation).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use serde_json::Value;
use sqlx::Row;

use crate::bulk::{BulkSql, Dialect, JsonRows, Kind, Rows, RowsData, insert_sql};
use crate::cases::{CaseRow, case_from_json};
use crate::events::{AppendedEvent, Head, NewEvent, StoredEvent};
use crate::record::{PersonData, PersonJson};
use crate::{Actor, BATCH_ROWS, SQLITE_FILE, StoreError, Target};

/// A case from a row with the columns id, agreement_id, person_id, facility_id, version, record.
pub(crate) fn case_row_from<R: Row>(row: &R) -> Result<CaseRow, StoreError>
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
pub(crate) const PERSON_SELECT: &str =
    "SELECT p.id, p.version, p.record_sha256, e.body FROM persons p JOIN events e ON e.seq = p.last_event_seq";

pub(crate) const EVENT_COLUMNS: [(&str, Kind); 10] = [
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

pub(crate) const TILE_HASH_COLUMNS: [(&str, Kind); 3] =
    [("level", Kind::Int), ("idx", Kind::Int), ("hash", Kind::Blob)];

/// `SELECT` of the strings in a JSON array parameter, for `IN (…)`.
pub(crate) fn text_list_sql(dialect: Dialect, param: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("SELECT value FROM json_each({param}, '$[0]')"),
        Dialect::Postgres => format!("SELECT json_array_elements_text(({param}::json)->0)"),
    }
}

pub(crate) fn person_from_row<R: Row>(row: &R) -> Result<(i64, i64, Vec<u8>, PersonData), StoreError>
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

/// An agreement file as stored and parsed, shared: a version's file never changes once stored.
#[derive(Clone, Debug)]
pub struct ParsedAgreement {
    /// The parsed agreement.
    pub agreement: std::sync::Arc<custodia_core::Agreement>,
    /// The file's text, verbatim.
    pub source: std::sync::Arc<str>,
}

/// Agreement files parsed, by the SHA-256 of their text: a busy register neither reads a file's
/// text (30 KB for CECOT's) nor parses it for every command, but reads the 32-byte digest stored
/// beside it (`agreement_versions.source_sha256`) and finds the file here. Keyed by content, never
/// by id and version, so two registers in one process never mix, nor a version written by a
/// transaction that was then rolled back; an entry is computed from the text itself, so a digest
/// that does not match its text is never found and the text is read every time.
static PARSED_AGREEMENTS: std::sync::OnceLock<std::sync::Mutex<HashMap<[u8; 32], ParsedAgreement>>> =
    std::sync::OnceLock::new();
/// Most parsed agreements kept (a limit: the cache is cleared when full).
pub(crate) const MAX_PARSED_AGREEMENTS: usize = 64;

/// The text of version `$2` of agreement `$1`.
pub(crate) const AGREEMENT_TEXT_SQL: &str =
    "SELECT source_toml FROM agreement_versions WHERE agreement_id = $1 AND version = $2";

/// The parsed agreement whose text has this SHA-256, if it was parsed before.
pub(crate) fn kept_agreement(source_sha256: &[u8]) -> Option<ParsedAgreement> {
    let key: [u8; 32] = source_sha256.try_into().ok()?;
    PARSED_AGREEMENTS.get_or_init(Default::default).lock().ok()?.get(&key).cloned()
}

/// Parses a stored agreement file and keeps it under its text's SHA-256.
pub(crate) fn parse_agreement(id: &str, source: String) -> Result<ParsedAgreement, StoreError> {
    use sha2::Digest;
    let key: [u8; 32] = sha2::Sha256::digest(source.as_bytes()).into();
    let agreement = custodia_core::Agreement::from_toml(&source)
        .map_err(|e| StoreError::Inconsistent(format!("stored agreement {id} no longer loads: {e}")))?;
    let parsed = ParsedAgreement { agreement: std::sync::Arc::new(agreement), source: source.into() };
    if let Ok(mut kept) = PARSED_AGREEMENTS.get_or_init(Default::default).lock() {
        if kept.len() >= MAX_PARSED_AGREEMENTS {
            kept.clear();
        }
        kept.insert(key, parsed.clone());
    }
    Ok(parsed)
}

/// The person record carried as `data.record` by person `id`'s last event.
pub(crate) fn person_from_event(id: i64, body: &str) -> Result<PersonData, StoreError> {
    // Only the record is built as a value: the envelope around it is skipped, not copied.
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        data: Data<'a>,
    }
    #[derive(serde::Deserialize)]
    struct Data<'a> {
        #[serde(borrow)]
        record: Option<&'a serde_json::value::RawValue>,
    }
    let record = serde_json::from_str::<Envelope<'_>>(body)
        .ok()
        .and_then(|event| event.data.record)
        .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok())
        .filter(|record| !record.is_null())
        .ok_or_else(|| StoreError::Inconsistent(format!("person {id}: the last event carries no record")))?;
    PersonData::from_value(&record).map_err(|e| StoreError::Inconsistent(format!("person {id}: {e}")))
}

pub(crate) fn event_from_row<R: Row>(row: &R) -> Result<StoredEvent, sqlx::Error>
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

/// Declares one area's trait from its methods' signatures and implements it for [`Store`] by
/// handing each call to the database the URL chose. Every future is `Send` (the server spawns
/// them).
macro_rules! store_trait {
    (
        $(#[$doc:meta])*
        pub trait $trait:ident {
            $($(#[$mdoc:meta])* fn $method:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;)*
        }
    ) => {
        $(#[$doc])*
        pub trait $trait {
            $($(#[$mdoc])* fn $method(&self $(, $arg: $ty)*) -> impl std::future::Future<Output = $ret> + Send;)*
        }

        impl $trait for $crate::Store {
            $(fn $method(&self $(, $arg: $ty)*) -> impl std::future::Future<Output = $ret> + Send {
                async move {
                    match self {
                        $crate::Store::Sqlite(s) => s.$method($($arg),*).await,
                        $crate::Store::Postgres(s) => s.$method($($arg),*).await,
                    }
                }
            })*
        }
    };
}
pub(crate) use store_trait;

macro_rules! backend {
    ($name:ident, $db:ty, $pool:ty, $dialect:expr, $lock_head:literal) => {
        /// One implementation of the storage contract.
        #[derive(Clone, Debug)]
        pub struct $name {
            pub(crate) pool: $pool,
            /// The database file, for SQLite (read directly by `journal verify` and the hottest
            /// reads); PostgreSQL has none.
            pub(crate) file: Option<std::path::PathBuf>,
            /// Which opening of the store this is (unique in the process): the key, with the file,
            /// of the threads' read-only connections, so that a register made again at the same
            /// path is never read through a connection to the one it replaced. (PostgreSQL's is
            /// not read: it has no file.)
            #[allow(dead_code)]
            pub(crate) opened: u64,
        }

        impl $name {
            /// Locks the journal head for the rest of the transaction (serialising every writer)
            /// and reads it.
            pub(crate) async fn lock_head(tx: &mut sqlx::Transaction<'_, $db>) -> Result<Head, StoreError> {
                sqlx::query($lock_head).execute(&mut **tx).await?;
                let row =
                    sqlx::query("SELECT size, frontier FROM journal_head WHERE id = 1").fetch_one(&mut **tx).await?;
                Head::decode(row.try_get("size")?, &row.try_get::<Vec<u8>, _>("frontier")?)
            }

            pub(crate) async fn save_head(tx: &mut sqlx::Transaction<'_, $db>, head: &Head) -> Result<(), StoreError> {
                Self::insert_tile_hashes(tx, &head.completed).await?;
                let (size, frontier) = head.encode();
                sqlx::query("UPDATE journal_head SET size = $1, frontier = $2 WHERE id = 1")
                    .bind(size)
                    .bind(frontier)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            /// Appends one event to the journal head and stores it; returns its sequence number.
            pub(crate) async fn record_event(
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

            /// Stores tile hashes of level 1 and above (an existing one is kept: the backfill may
            /// meet rows already there, and `journal verify` compares them all with the events).
            pub(crate) async fn insert_tile_hashes(
                tx: &mut sqlx::Transaction<'_, $db>,
                hashes: &[custodia_journal::tiles::TileHash],
            ) -> Result<(), StoreError> {
                let sql =
                    insert_sql($dialect, "tile_hashes", &TILE_HASH_COLUMNS, " ON CONFLICT (level, idx) DO NOTHING");
                for chunk in hashes.chunks(BATCH_ROWS) {
                    let mut rows = JsonRows::with_capacity(chunk.len() * 96);
                    for h in chunk {
                        rows.row().int(i64::from(h.level)).int(h.index as i64).blob(h.hash.as_bytes());
                    }
                    sqlx::query(&sql).bind(rows.finish()).execute(&mut **tx).await?;
                }
                Ok(())
            }

            pub(crate) async fn insert_events(
                tx: &mut sqlx::Transaction<'_, $db>,
                events: &[AppendedEvent],
                actor: &Actor,
            ) -> Result<(), StoreError> {
                let sql = BulkSql::new($dialect, "events", &EVENT_COLUMNS, "");
                for chunk in events.chunks(BATCH_ROWS) {
                    // A few events at a time (a transition, a form): one INSERT, not a COPY's
                    // extra round trip.
                    let rows = Rows::Json(JsonRows::with_capacity(event_rows_bytes(chunk)));
                    Self::write_rows(tx, &sql, event_rows(rows, chunk, actor)).await?;
                }
                Ok(())
            }

            /// The current agreement, loaded (inside a transaction): its stored digest read, its
            /// text only when not parsed before ([`kept_agreement`]).
            pub(crate) async fn agreement_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: &str,
            ) -> Result<std::sync::Arc<custodia_core::Agreement>, StoreError> {
                let row = sqlx::query(
                    "SELECT v.version, v.source_sha256 FROM agreements a JOIN agreement_versions v \
                     ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = $1",
                )
                .bind(id.to_owned())
                .fetch_optional(&mut **tx)
                .await?
                .ok_or_else(|| {
                    StoreError::NotFound(format!(
                        "agreement {id} is not in the register: import the agreement file first"
                    ))
                })?;
                let digest: Vec<u8> = row.try_get("source_sha256")?;
                Ok(Self::agreement_version_in(tx, id, row.try_get("version")?, &digest).await?.agreement)
            }

            /// Version `version` of agreement `id`, whose text's SHA-256 is stored as `digest`:
            /// kept, or its text read (inside a transaction) and parsed.
            pub(crate) async fn agreement_version_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                id: &str,
                version: i64,
                digest: &[u8],
            ) -> Result<ParsedAgreement, StoreError> {
                if let Some(kept) = kept_agreement(digest) {
                    return Ok(kept);
                }
                let source: String = sqlx::query(AGREEMENT_TEXT_SQL)
                    .bind(id.to_owned())
                    .bind(version)
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get("source_toml")?;
                parse_agreement(id, source)
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

impl SqliteStore {
    /// Writes bulk rows in the transaction: each chunk of parameters through the prepared
    /// multi-row insert (cached by the connection), or JSON rows (SQLite reads no `COPY`).
    pub(crate) async fn write_rows(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        sql: &BulkSql,
        rows: RowsData,
    ) -> Result<(), StoreError> {
        match rows {
            RowsData::Values(chunks) => {
                for (args, count) in chunks {
                    sqlx::query_with(&sql.values(count), args).execute(&mut **tx).await?;
                }
            }
            RowsData::Json(json) => {
                sqlx::query(&sql.json).bind(json).execute(&mut **tx).await?;
            }
            RowsData::Copy(_) => return Err(StoreError::Inconsistent("a COPY stream for SQLite".into())),
        }
        Ok(())
    }
}

impl PostgresStore {
    /// Writes bulk rows in the transaction: a binary `COPY`, or JSON rows through one
    /// `INSERT … SELECT`.
    pub(crate) async fn write_rows(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        sql: &BulkSql,
        rows: RowsData,
    ) -> Result<(), StoreError> {
        match rows {
            RowsData::Copy(bytes) => {
                let mut copy = tx.copy_in_raw(&sql.copy).await?;
                if let Err(e) = copy.send(bytes).await {
                    let _ = copy.abort("the import failed").await;
                    return Err(e.into());
                }
                copy.finish().await?;
            }
            RowsData::Json(json) => {
                sqlx::query(&sql.json).bind(json).execute(&mut **tx).await?;
            }
            RowsData::Values(_) => return Err(StoreError::Inconsistent("SQLite parameters for PostgreSQL".into())),
        }
        Ok(())
    }
}

/// The rows for inserting `events` (see [`EVENT_COLUMNS`]), appended to `rows`.
pub(crate) fn event_rows(mut rows: Rows, events: &[AppendedEvent], actor: &Actor) -> RowsData {
    let occurred = actor.occurred_at.as_ref().unwrap_or(&actor.recorded_at).as_str();
    for event in events {
        let stored = &event.stored;
        rows.row()
            .int(stored.seq as i64)
            .text(event.kind)
            .text(&actor.name)
            .text(occurred)
            .text(actor.recorded_at.as_str())
            .opt_text(event.agreement_id.as_deref())
            .opt_int(event.person_id)
            .text(&stored.body)
            .blob(&stored.leaf_hash)
            .blob(&stored.root_after);
    }
    rows.finish()
}

/// Room for the rows of `events` (bodies plus the other columns, as JSON or `COPY`).
pub(crate) fn event_rows_bytes(events: &[AppendedEvent]) -> usize {
    events.iter().map(|e| e.stored.body.len() + 300).sum()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
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

/// Makes the SQLite database readable and writable by its owner only (0600), creating it empty
/// if needed, and tightens its `-wal` and `-shm` files if they exist. SQLite creates those with
/// the database file's mode, so they are 0600 from then on.
fn private_sqlite_files(file: &std::path::Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let failed = |path: &std::path::Path| {
            let path = path.to_path_buf();
            move |source| StoreError::DataDir { path, source }
        };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(file)
            .map_err(failed(file))?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            let path = std::path::Path::new(&name);
            match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && !suffix.is_empty() => {}
                other => other.map_err(failed(path))?,
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// A pooled PostgreSQL connection idle this long is checked with a round trip before it is used.
const IDLE_CHECK_AFTER: Duration = Duration::from_secs(30);

impl Store {
    /// Opens (creating if needed) the register and applies its migrations.
    pub async fn open(target: &Target) -> Result<Self, StoreError> {
        match target {
            Target::DataDir(dir) => {
                crate::create_private_dir(dir)?;
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.join(SQLITE_FILE));
                Self::open_sqlite(options).await
            }
            Target::Url(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                // sqlx checks a pooled connection with a round trip before every use, by
                // default: on a busy server that was one round trip in three of every read.
                // Only a connection idle for a while (the database may have restarted, a firewall
                // may have dropped it) is checked before use; every connection is still checked
                // when it is given back, and a broken one is then closed.
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(10))
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= IDLE_CHECK_AFTER {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect(url)
                    .await?;
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
                let store = PostgresStore { pool, file: None, opened: crate::cases::next_opening() };
                crate::journal::Journal::backfill_tile_hashes(&store).await?;
                Ok(Store::Postgres(store))
            }
            Target::Url(url) if url.starts_with("sqlite:") => {
                Self::open_sqlite(sqlx::sqlite::SqliteConnectOptions::from_str(url)?).await
            }
            Target::Url(url) => Err(StoreError::UnsupportedUrl(url.clone())),
        }
    }

    async fn open_sqlite(options: sqlx::sqlite::SqliteConnectOptions) -> Result<Self, StoreError> {
        let file = Some(options.get_filename().to_path_buf()).filter(|f| f.as_os_str() != ":memory:");
        if let Some(file) = &file {
            private_sqlite_files(file)?;
        }
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
        // A connection to a file does not go stale: no check before each use (each is a hand-off
        // to the connection's thread).
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let store = SqliteStore { pool, file, opened: crate::cases::next_opening() };
        crate::journal::Journal::backfill_tile_hashes(&store).await?;
        Ok(Store::Sqlite(store))
    }

    /// Which database this is: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Closes the connections.
    pub async fn close(&self) {
        match self {
            Store::Sqlite(s) => s.pool.close().await,
            Store::Postgres(s) => s.pool.close().await,
        }
    }
}
