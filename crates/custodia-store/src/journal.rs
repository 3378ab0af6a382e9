//! The journal as stored: its size, its events, and their verification. On a SQLite file the
//! long reads go straight to the file with SQLite's C API (see [`Journal::verify_journal`]).

use std::time::Duration;

use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, event_from_row, store_trait};
use crate::bulk::Dialect;
use crate::events::{StoredEvent, VerifyReport, verify_page};
use crate::replay::{
    EVENTS_PAGE_SQL, EVENTS_SQL, EventRow, Expected, HEAD_TABLE, Replay, ReplayReport, TABLES, table_sql,
};
use crate::{PAGE_EVENTS, StoreError};

store_trait! {
    /// The journal: size, events, verification.
    pub trait Journal {
        /// Number of events in the journal.
        fn journal_size(&self) -> Result<u64, StoreError>;
        /// Events `from..to` (leaf order).
        fn events(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError>;
        /// Recomputes the whole tree from the stored events and reports the first mismatch.
        ///
        /// Each page of [`PAGE_EVENTS`] events arrives as one row — the bodies joined by line
        /// breaks (canonical JSON has none) — so the database driver is crossed once per page,
        /// not once per event, and the time goes to SHA-256. The tree is rebuilt from the bodies
        /// and its root compared with the stored root at each page end; any disagreement re-reads
        /// that page event by event (stored leaf hashes, bodies, roots) to name the first mismatch.
        ///
        /// On a SQLite file the events are read straight from the file instead (see
        /// `verify_journal_file`).
        fn verify_journal(&self) -> Result<VerifyReport, StoreError>;
        /// The leaf hashes `0..size`, recomputed from the stored bodies (for proofs).
        fn leaf_hashes(&self, size: u64) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError>;
        /// `journal verify` with replay (docs/journal.md#replay): the tree check of
        /// [`Journal::verify_journal`] and, at the same time, every table rebuilt from the events
        /// (in one read snapshot) and compared with the stored one; both reports.
        fn replay_journal(&self) -> Result<(VerifyReport, ReplayReport), StoreError>;
    }
}

macro_rules! journal_sql {
    ($name:ident, $db:ty, $dialect:expr) => {
        impl Journal for $name {
            async fn journal_size(&self) -> Result<u64, StoreError> {
                let row = sqlx::query("SELECT size FROM journal_head WHERE id = 1").fetch_one(&self.pool).await?;
                u64::try_from(row.try_get::<i64, _>("size")?)
                    .map_err(|_| StoreError::Inconsistent("negative size".into()))
            }

            async fn events(&self, from: u64, to: u64) -> Result<Vec<StoredEvent>, StoreError> {
                let rows = sqlx::query(
                    "SELECT seq, body, leaf_hash, root_after FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq",
                )
                .bind(from as i64)
                .bind(to as i64)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|row| event_from_row(row).map_err(Into::into)).collect()
            }

            async fn verify_journal(&self) -> Result<VerifyReport, StoreError> {
                if self.file.is_some() {
                    return self.verify_journal_file().await;
                }
                self.verify_journal_pool().await
            }

            async fn leaf_hashes(&self, size: u64) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError> {
                if let Some(path) = self.file.clone() {
                    // The same direct read as `journal verify`: the async driver's per-row cost dominates.
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

            async fn replay_journal(&self) -> Result<(VerifyReport, ReplayReport), StoreError> {
                let replay = async {
                    match self.file.clone() {
                        Some(path) => tokio::task::spawn_blocking(move || replay_sqlite_file(&path))
                            .await
                            .map_err(|e| StoreError::Inconsistent(format!("replay thread failed: {e}")))?,
                        None => self.replay_pool().await,
                    }
                };
                let (tree, replayed) = tokio::join!(self.verify_journal(), replay);
                let tree = tree?;
                let (mut expected, head) = replayed?;
                let head: Vec<Option<&str>> = head.iter().map(Option::as_deref).collect();
                expected.compare_head(&tree, &head);
                Ok((tree, expected.report()))
            }
        }

        impl $name {
            /// The replay through the connection pool, in one read-only snapshot: the events page
            /// by page, then each table.
            async fn replay_pool(&self) -> Result<(Expected, Vec<Option<String>>), StoreError> {
                let mut tx = self.pool.begin().await?;
                if $dialect == Dialect::Postgres {
                    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
                }
                let mut replay = Replay::new();
                let mut from = 0i64;
                while replay.wants_more() {
                    let rows =
                        sqlx::query(EVENTS_PAGE_SQL).bind(from).bind(PAGE_EVENTS as i64).fetch_all(&mut *tx).await?;
                    let Some(last) = rows.last() else { break };
                    from = last.try_get::<i64, _>("seq")? + 1;
                    for row in &rows {
                        replay.event(&EventRow {
                            seq: row.try_get("seq")?,
                            kind: row.try_get("kind")?,
                            actor: row.try_get("actor")?,
                            occurred_at: row.try_get("occurred_at")?,
                            recorded_at: row.try_get("recorded_at")?,
                            agreement_id: row.try_get("agreement_id")?,
                            person_id: row.try_get("person_id")?,
                            body: row.try_get("body")?,
                        });
                    }
                }
                let mut expected = replay.finish();
                let mut head = Vec::new();
                for table in TABLES {
                    let rows = sqlx::query(&table_sql($dialect, table)).fetch_all(&mut *tx).await?;
                    for row in &rows {
                        let cells = (0..table.columns.len())
                            .map(|i| row.try_get::<Option<String>, _>(i))
                            .collect::<Result<Vec<_>, _>>()?;
                        if table.name == HEAD_TABLE {
                            head = cells;
                        } else if expected.wants_more() {
                            let cells: Vec<Option<&str>> = cells.iter().map(Option::as_deref).collect();
                            expected.compare(table, &cells);
                        }
                    }
                    if table.name != HEAD_TABLE {
                        expected.finish_table(table);
                    }
                }
                tx.rollback().await?;
                Ok((expected, head))
            }

            /// [`Journal::verify_journal`] through the connection pool.
            async fn verify_journal_pool(&self) -> Result<VerifyReport, StoreError> {
                let size = self.journal_size().await?;
                // Rows are aggregated in scan order (the primary key, so seq order) without an ORDER
                // BY inside the aggregate, which would make SQLite sort every body. Correctness does
                // not rest on that order: a page whose hashes disagree is re-checked from the events.
                let page_sql = match $dialect {
                    Dialect::Sqlite => {
                        "SELECT count(*) AS n, group_concat(body, char(10)) AS bodies, \
                         (SELECT hex(root_after) FROM events WHERE seq = $2 - 1) AS root \
                         FROM (SELECT body FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq)"
                    }
                    Dialect::Postgres => {
                        "SELECT count(*) AS n, string_agg(body, E'\\n' ORDER BY seq) AS bodies, \
                         (SELECT upper(encode(root_after, 'hex')) FROM events WHERE seq = $2 - 1) AS root \
                         FROM events WHERE seq >= $1 AND seq < $2"
                    }
                };
                let mut tree = custodia_journal::merkle::Tree::new();
                let mut bytes = 0u64;
                let mut hex = String::with_capacity(64);
                let page_end =
                    |from: u64| if from < size { (from + PAGE_EVENTS).min(size) } else { from + PAGE_EVENTS };
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
                            return Ok(VerifyReport {
                                size: tree.size(),
                                root: tree.root(),
                                frontier: tree.subtree_roots().to_vec(),
                                bytes,
                                first_mismatch: Some(found),
                            });
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
                Ok(VerifyReport {
                    size: tree.size(),
                    root: tree.root(),
                    frontier: tree.subtree_roots().to_vec(),
                    bytes,
                    first_mismatch,
                })
            }

            /// `journal verify` on SQLite: the events are read straight from the database file with a
            /// read-only connection of SQLite's C API (rusqlite) in one snapshot, each body borrowed from
            /// SQLite's page buffer and hashed where it lies — no per-event hop through the async driver,
            /// which would cost more than the SHA-256 itself. A disagreement is then named by the ordinary
            /// event-by-event check.
            async fn verify_journal_file(&self) -> Result<VerifyReport, StoreError> {
                let Some(path) = self.file.clone() else { return self.verify_journal_pool().await };
                let scan = tokio::task::spawn_blocking(move || scan_sqlite_journal(&path))
                    .await
                    .map_err(|e| StoreError::Inconsistent(format!("verification thread failed: {e}")))??;
                match scan {
                    Scan::Verified(report) => Ok(report),
                    Scan::Disagrees { mut tree, from, to, bytes } => {
                        let events = self.events(from, to).await?;
                        match verify_page(&mut tree, &events) {
                            Some(found) => Ok(VerifyReport {
                                size: tree.size(),
                                root: tree.root(),
                                frontier: tree.subtree_roots().to_vec(),
                                bytes,
                                first_mismatch: Some(found),
                            }),
                            // The two reads disagree with each other (a write in between): check again, slowly.
                            None => self.verify_journal_pool().await,
                        }
                    }
                }
            }
        }
    };
}

journal_sql!(SqliteStore, sqlx::Sqlite, Dialect::Sqlite);
journal_sql!(PostgresStore, sqlx::Postgres, Dialect::Postgres);

/// A read-only connection of SQLite's C API to the register's file (the long reads of the
/// journal).
fn read_only(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// The replay of a SQLite file (see [`Journal::replay_journal`]), read with SQLite's C API in one
/// read transaction: the events, then each table, streamed row by row.
fn replay_sqlite_file(path: &std::path::Path) -> Result<(Expected, Vec<Option<String>>), StoreError> {
    let conn = read_only(path)?;
    conn.execute_batch("BEGIN")?;
    let mut replay = Replay::new();
    {
        let mut statement = conn.prepare(EVENTS_SQL)?;
        let mut rows = statement.query([])?;
        // Every text is borrowed from SQLite's row buffer: no allocation per event.
        fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str, StoreError> {
            row.get_ref(i)?.as_str().map_err(|e| StoreError::Inconsistent(format!("events: {e}")))
        }
        while replay.wants_more()
            && let Some(row) = rows.next()?
        {
            replay.event(&EventRow {
                seq: row.get(0)?,
                kind: text(row, 1)?,
                actor: text(row, 2)?,
                occurred_at: text(row, 3)?,
                recorded_at: text(row, 4)?,
                agreement_id: row
                    .get_ref(5)?
                    .as_str_or_null()
                    .map_err(|e| StoreError::Inconsistent(format!("events: {e}")))?,
                person_id: row.get(6)?,
                body: text(row, 7)?,
            });
        }
    }
    let mut expected = replay.finish();
    let mut head = Vec::new();
    for table in TABLES {
        let mut statement = conn.prepare(&table_sql(Dialect::Sqlite, table))?;
        let mut rows = statement.query([])?;
        let width = table.columns.len();
        if width > MAX_COLUMNS {
            return Err(StoreError::Inconsistent(format!("{}: more than {MAX_COLUMNS} columns", table.name)));
        }
        while let Some(row) = rows.next()? {
            // The cells are borrowed from SQLite's row buffer, valid until the next row.
            let mut all = [None; MAX_COLUMNS];
            for (i, cell) in all.iter_mut().enumerate().take(width) {
                *cell = row
                    .get_ref(i)?
                    .as_str_or_null()
                    .map_err(|e| StoreError::Inconsistent(format!("{}: {e}", table.name)))?;
            }
            let cells = all.get(..width).unwrap_or_default();
            if table.name == HEAD_TABLE {
                head = cells.iter().map(|c| c.map(str::to_owned)).collect();
            } else if expected.wants_more() {
                expected.compare(table, cells);
            } else {
                break;
            }
        }
        if table.name != HEAD_TABLE {
            expected.finish_table(table);
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok((expected, head))
}

/// The most columns a replayed table has (the stored row is read into an array of this size).
const MAX_COLUMNS: usize = 16;

/// Uppercase hex of `bytes` into `out` (as SQLite's `hex()` writes it).
fn hex_upper(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.clear();
    for b in bytes {
        out.push(char::from(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0')));
        out.push(char::from(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0')));
    }
}

/// What a direct scan of the SQLite file found.
enum Scan {
    /// Every leaf and every page root matched.
    Verified(VerifyReport),
    /// Events `from..to` disagree somewhere; `tree` holds the leaves before `from`.
    Disagrees { tree: custodia_journal::merkle::Tree, from: u64, to: u64, bytes: u64 },
}

/// Leaf hashes of events `0..size`, read straight from the SQLite file in one snapshot.
fn sqlite_leaf_hashes(path: &std::path::Path, size: u64) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError> {
    let conn = read_only(path)?;
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
    let conn = read_only(path)?;
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
            if next_seq.is_multiple_of(PAGE_EVENTS) {
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
    Scan::Verified(VerifyReport {
        size: tree.size(),
        root: tree.root(),
        frontier: tree.subtree_roots().to_vec(),
        bytes,
        first_mismatch,
    })
}
