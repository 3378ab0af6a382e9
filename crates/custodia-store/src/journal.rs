//! The journal as stored: its size, its events, and their verification. On a SQLite file the
//! long reads go straight to the file with SQLite's C API (see [`Journal::verify_journal`]).

use std::time::Duration;

use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, event_from_row, store_trait};
use crate::bulk::Dialect;
use crate::events::{StoredEvent, VerifyReport, verify_page};
use crate::replay::{
    Col, EVENTS_PAGE_SQL, EventRow, Expected, HEAD_TABLE, Replay, ReplayReport, TABLES, TableSpec, table_sql,
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
        /// Hashes `from..to` of tile level `level` (C2SP tlog-tiles): the events' leaf hashes at
        /// level 0, the stored `tile_hashes` above; all of them or an error.
        fn tile_hashes(&self, level: u8, from: u64, to: u64) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError>;
        /// Computes and stores the tile hashes of level 1 and above a register made before they
        /// were kept lacks (run when the register opens); how many were added.
        fn backfill_tile_hashes(&self) -> Result<u64, StoreError>;
        /// Keeps a witness's cosignature of the tree of `size` events (once per witness and size).
        fn record_cosignature(&self, cosignature: &Cosignature) -> Result<(), StoreError>;
        /// Each witness's cosignature of the largest tree it cosigned.
        fn latest_cosignatures(&self) -> Result<Vec<Cosignature>, StoreError>;
        /// The cosignatures of the tree of exactly `size` events.
        fn cosignatures_of(&self, size: u64) -> Result<Vec<Cosignature>, StoreError>;
        /// When event `seq` was recorded (POSIX seconds), if it exists.
        fn event_recorded_at(&self, seq: u64) -> Result<Option<i64>, StoreError>;
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
                // Asked by nearly every request (each proof, each remembered-facts check): on a
                // SQLite file through this thread's reader, not the pool's thread and back.
                if let Some(file) = self.reader() {
                    return sqlite_journal_size(&file);
                }
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
                let report = self.tree_check().await?;
                self.compare_tile_hashes(report).await
            }

            async fn tile_hashes(
                &self,
                level: u8,
                from: u64,
                to: u64,
            ) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError> {
                // A proof at 10,000,000 events mostly misses the tile cache and reads a full
                // tile — 256 rows — per proof: on a SQLite file through this thread's reader
                // (a tenth of the time of the pool's row-by-row answer, BENCHMARKS.md).
                if let Some(file) = self.reader() {
                    return sqlite_tile_hashes(&file, level, from, to);
                }
                let rows = if level == 0 {
                    sqlx::query("SELECT leaf_hash AS hash FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq")
                        .bind(from as i64)
                        .bind(to as i64)
                        .fetch_all(&self.pool)
                        .await?
                } else {
                    sqlx::query("SELECT hash FROM tile_hashes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx")
                        .bind(i16::from(level))
                        .bind(from as i64)
                        .bind(to as i64)
                        .fetch_all(&self.pool)
                        .await?
                };
                let hashes = rows
                    .iter()
                    .map(|row| tile_hash(level, &row.try_get::<Vec<u8>, _>("hash")?))
                    .collect::<Result<Vec<_>, StoreError>>()?;
                all_tile_hashes(hashes, level, from, to)
            }

            async fn record_cosignature(&self, c: &Cosignature) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO cosignatures (witness, size, root, timestamp, line, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (witness, size) DO NOTHING",
                )
                .bind(c.witness.clone())
                .bind(c.size as i64)
                .bind(c.root.to_bytes().to_vec())
                .bind(c.timestamp as i64)
                .bind(c.line.clone())
                .bind(c.received_at.clone())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn latest_cosignatures(&self) -> Result<Vec<Cosignature>, StoreError> {
                let rows = sqlx::query(
                    "SELECT c.witness, c.size, c.root, c.timestamp, c.line, c.received_at FROM cosignatures c \
                     JOIN (SELECT witness, max(size) AS size FROM cosignatures GROUP BY witness) m \
                     ON m.witness = c.witness AND m.size = c.size ORDER BY c.witness",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(cosignature_from_row).collect()
            }

            async fn cosignatures_of(&self, size: u64) -> Result<Vec<Cosignature>, StoreError> {
                let rows = sqlx::query(
                    "SELECT witness, size, root, timestamp, line, received_at FROM cosignatures \
                     WHERE size = $1 ORDER BY witness",
                )
                .bind(size as i64)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(cosignature_from_row).collect()
            }

            async fn event_recorded_at(&self, seq: u64) -> Result<Option<i64>, StoreError> {
                let at: Option<String> = sqlx::query_scalar("SELECT recorded_at FROM events WHERE seq = $1")
                    .bind(seq as i64)
                    .fetch_optional(&self.pool)
                    .await?;
                at.map(|t| {
                    crate::Timestamp::parse(&t)
                        .map(|t| t.unix_seconds())
                        .map_err(|e| StoreError::Inconsistent(format!("event {seq}: recorded_at: {e}")))
                })
                .transpose()
            }

            async fn backfill_tile_hashes(&self) -> Result<u64, StoreError> {
                let size = self.journal_size().await?;
                let expected: u64 = (1..=custodia_journal::tiles::MAX_LEVEL)
                    .map(|level| custodia_journal::tiles::hashes_at_level(level, size))
                    .sum();
                let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM tile_hashes").fetch_one(&self.pool).await?;
                if stored as u64 >= expected {
                    return Ok(0);
                }
                let mut tx = self.pool.begin().await?;
                let head = Self::lock_head(&mut tx).await?;
                let size = head.range.size();
                let mut tree = custodia_journal::merkle::Tree::new();
                let mut tiles = Vec::new();
                let mut from = 0;
                while from < size {
                    let to = (from + PAGE_EVENTS).min(size);
                    let rows = sqlx::query("SELECT leaf_hash FROM events WHERE seq >= $1 AND seq < $2 ORDER BY seq")
                        .bind(from as i64)
                        .bind(to as i64)
                        .fetch_all(&mut *tx)
                        .await?;
                    if rows.len() as u64 != to - from {
                        return Err(StoreError::Inconsistent(format!("events {from}..{to} are not all stored")));
                    }
                    for row in &rows {
                        let bytes: Vec<u8> = row.try_get("leaf_hash")?;
                        let leaf = <[u8; 32]>::try_from(bytes.as_slice())
                            .map(custodia_journal::merkle::Hash::from_bytes)
                            .map_err(|_| StoreError::Inconsistent("a stored leaf hash is not 32 bytes".into()))?;
                        tree.push_tiled(leaf, &mut tiles).map_err(|e| StoreError::Journal(e.to_string()))?;
                    }
                    from = to;
                }
                Self::insert_tile_hashes(&mut tx, &tiles).await?;
                tx.commit().await?;
                Ok(tiles.len() as u64)
            }

            async fn replay_journal(&self) -> Result<(VerifyReport, ReplayReport), StoreError> {
                let (tree, (mut expected, head)) = match self.file.clone() {
                    // On a SQLite file the events are read once, for the tree check and the replay.
                    Some(path) => {
                        let (scan, replayed) = tokio::task::spawn_blocking(move || scan_sqlite_journal(&path, true))
                            .await
                            .map_err(|e| StoreError::Inconsistent(format!("replay thread failed: {e}")))??;
                        let replayed =
                            replayed.ok_or_else(|| StoreError::Inconsistent("the replay did not run".into()))?;
                        (self.scan_report(scan).await?, replayed)
                    }
                    None => {
                        let (tree, replayed) = tokio::join!(self.tree_check(), self.replay_pool());
                        (tree?, replayed?)
                    }
                };
                let tree = self.compare_tile_hashes(tree).await?;
                let head: Vec<Option<&str>> = head.iter().map(Option::as_deref).collect();
                expected.compare_head(&tree, &head);
                Ok((tree, expected.report()))
            }
        }

        impl $name {
            /// The tree check's report with the stored tile hashes compared with the recomputed
            /// ones: the first that differs, is missing or should not exist is named by the event
            /// that completes it (when the events themselves all matched).
            async fn compare_tile_hashes(&self, mut report: VerifyReport) -> Result<VerifyReport, StoreError> {
                if report.first_mismatch.is_some() {
                    return Ok(report);
                }
                let rows = sqlx::query("SELECT level, idx, hash FROM tile_hashes ORDER BY level, idx")
                    .fetch_all(&self.pool)
                    .await?;
                let mut stored = Vec::with_capacity(rows.len());
                for row in &rows {
                    let level: i64 = match $dialect {
                        Dialect::Postgres => i64::from(row.try_get::<i16, _>("level")?),
                        Dialect::Sqlite => row.try_get("level")?,
                    };
                    stored.push((level, row.try_get::<i64, _>("idx")?, row.try_get::<Vec<u8>, _>("hash")?));
                }
                report.first_mismatch = first_tile_difference(&report.tiles, &stored);
                Ok(report)
            }

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
                let mut tiles = Vec::new();
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
                    let tiles_at_start = tiles.len();
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
                                if tree
                                    .push_tiled(custodia_journal::merkle::leaf_hash(body.as_bytes()), &mut tiles)
                                    .is_err()
                                {
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
                        tiles.truncate(tiles_at_start);
                        if let Some(found) = verify_page(&mut tree, &mut tiles, &events) {
                            return Ok(VerifyReport::of(&tree, bytes, Some(found), tiles));
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
                Ok(VerifyReport::of(&tree, bytes, first_mismatch, tiles))
            }

            /// `journal verify` on SQLite: the events are read straight from the database file with a
            /// read-only connection of SQLite's C API (rusqlite) in one snapshot, each body borrowed from
            /// SQLite's page buffer and hashed where it lies — no per-event hop through the async driver,
            /// which would cost more than the SHA-256 itself. A disagreement is then named by the ordinary
            /// event-by-event check.
            #[allow(dead_code)] // SQLite's: a PostgreSQL store has no file (its check is a COPY)
            async fn verify_journal_file(&self) -> Result<VerifyReport, StoreError> {
                let Some(path) = self.file.clone() else { return self.verify_journal_pool().await };
                let (scan, _) = tokio::task::spawn_blocking(move || scan_sqlite_journal(&path, false))
                    .await
                    .map_err(|e| StoreError::Inconsistent(format!("verification thread failed: {e}")))??;
                self.scan_report(scan).await
            }

            /// The tree check's report from a scan of the file: a disagreement is named by the
            /// ordinary event-by-event check.
            async fn scan_report(&self, scan: Scan) -> Result<VerifyReport, StoreError> {
                match scan {
                    Scan::Verified(report) => Ok(report),
                    Scan::Disagrees { mut tree, from, to, bytes } => {
                        let events = self.events(from, to).await?;
                        let mut tiles = Vec::new();
                        match verify_page(&mut tree, &mut tiles, &events) {
                            Some(found) => Ok(VerifyReport::of(&tree, bytes, Some(found), tiles)),
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

impl SqliteStore {
    /// The tree check: straight from the file when there is one.
    async fn tree_check(&self) -> Result<VerifyReport, StoreError> {
        match self.file.is_some() {
            true => self.verify_journal_file().await,
            false => self.verify_journal_pool().await,
        }
    }
}

impl PostgresStore {
    /// The tree check on PostgreSQL: the bodies and stored roots streamed in leaf order by one
    /// `COPY … TO STDOUT (FORMAT binary)` — one statement, one snapshot, each body as sent, no
    /// per-row driver decoding or text escaping — and hashed as they arrive. The root is compared
    /// at every page end; a disagreement is named by the event-by-event check of that page.
    async fn tree_check(&self) -> Result<VerifyReport, StoreError> {
        use futures_util::StreamExt as _;
        use sqlx::postgres::PgPoolCopyExt as _;
        let size = self.journal_size().await?;
        let mut stream = self
            .pool
            .copy_out_raw("COPY (SELECT body, root_after FROM events ORDER BY seq) TO STDOUT (FORMAT binary)")
            .await?;
        let mut copy = CopyRows::default();
        let mut tree = custodia_journal::merkle::Tree::new();
        let mut page_start = tree.clone();
        let mut tiles = Vec::new();
        let mut tiles_at_page_start = 0;
        let mut bytes = 0u64;
        let mut disagrees = None;
        while let Some(chunk) = stream.next().await {
            copy.extend(&chunk?);
            let mut at = 0;
            while let Some((body, root, used)) = copy.next_row(at)? {
                at = used;
                if disagrees.is_some() {
                    continue; // drain the stream; the page is checked again below
                }
                bytes += body.len() as u64;
                if tree.push_tiled(custodia_journal::merkle::leaf_hash(body), &mut tiles).is_err() {
                    disagrees = Some(page_start.size());
                    continue;
                }
                let end_of_page = tree.size().is_multiple_of(PAGE_EVENTS) || tree.size() == size;
                if end_of_page {
                    if tree.root().as_bytes().as_slice() != root {
                        disagrees = Some(page_start.size());
                    } else {
                        page_start = tree.clone();
                        tiles_at_page_start = tiles.len();
                    }
                }
            }
            copy.consume(at);
        }
        if !copy.finished() {
            return Err(StoreError::Inconsistent("the COPY of the events ended early".into()));
        }
        let from = match disagrees {
            Some(from) => Some(from),
            // Rows past the head's size, or fewer than it: the page after the last good one.
            None if tree.size() != size || tree.size() != page_start.size() => Some(page_start.size()),
            None => None,
        };
        if let Some(from) = from {
            let mut tree = page_start;
            tiles.truncate(tiles_at_page_start);
            let events = self.events(from, from + PAGE_EVENTS).await?;
            if let Some(found) = verify_page(&mut tree, &mut tiles, &events) {
                return Ok(VerifyReport::of(&tree, bytes, Some(found), tiles));
            }
            // The page holds up event by event: the difference is the head's count, or a write
            // between the two reads; the page-by-page check says which.
            return self.verify_journal_pool().await;
        }
        Ok(VerifyReport::of(&tree, bytes, None, tiles))
    }
}

/// The rows of a binary `COPY … TO STDOUT` of `(body text, root_after bytea)`, parsed across the
/// stream's chunks: the 19-byte signature, flags and header extension, then per row a 16-bit field
/// count and each field as a 32-bit length and its bytes, then the trailer (a count of -1).
#[derive(Debug, Default)]
struct CopyRows {
    buf: Vec<u8>,
    header_done: bool,
    trailer_seen: bool,
}

/// One row of the COPY: the body, the stored root, and where the row ends in the buffer.
type CopyRow<'a> = (&'a [u8], &'a [u8], usize);

impl CopyRows {
    fn extend(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    fn consume(&mut self, used: usize) {
        self.buf.drain(..used.min(self.buf.len()));
    }

    fn finished(&self) -> bool {
        self.trailer_seen && self.buf.is_empty()
    }

    fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
        bytes.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes)
    }

    /// The next complete row at `at`: its body, its root and where the row ends; `None` when the
    /// buffer holds no complete row (or only the trailer).
    fn next_row(&mut self, mut at: usize) -> Result<Option<CopyRow<'_>>, StoreError> {
        let bad = |why: &str| StoreError::Inconsistent(format!("the COPY of the events: {why}"));
        if !self.header_done {
            let Some(ext) = Self::be_u32(&self.buf, 15) else { return Ok(None) };
            if self.buf.get(..11) != Some(crate::bulk::COPY_SIGNATURE.as_slice()) {
                return Err(bad("not the binary COPY format"));
            }
            let header = 19 + usize::try_from(ext).map_err(|_| bad("header"))?;
            if self.buf.len() < header {
                return Ok(None);
            }
            self.buf.drain(..header);
            self.header_done = true;
            at = 0;
        }
        let count = self.buf.get(at..at + 2).and_then(|b| <[u8; 2]>::try_from(b).ok()).map(i16::from_be_bytes);
        let Some(count) = count else { return Ok(None) };
        if count == -1 {
            self.trailer_seen = true;
            self.buf.truncate(at);
            return Ok(None);
        }
        if count != 2 {
            return Err(bad("a row has not two fields"));
        }
        let body_len = Self::be_u32(&self.buf, at + 2).map(|n| n as usize);
        let Some(body_len) = body_len else { return Ok(None) };
        let root_at = at + 6 + body_len;
        let Some(root_len) = Self::be_u32(&self.buf, root_at).map(|n| n as usize) else { return Ok(None) };
        let end = root_at + 4 + root_len;
        if self.buf.len() < end {
            return Ok(None);
        }
        let body = self.buf.get(at + 6..root_at).unwrap_or_default();
        let root = self.buf.get(root_at + 4..end).unwrap_or_default();
        Ok(Some((body, root, end)))
    }
}

/// A witness's cosignature of a checkpoint (docs/journal.md#witnesses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosignature {
    /// The witness's key name.
    pub witness: String,
    /// The tree size cosigned.
    pub size: u64,
    /// Its root hash.
    pub root: custodia_journal::merkle::Hash,
    /// The witness's time in the cosignature (POSIX seconds).
    pub timestamp: u64,
    /// The signature line, with its newline.
    pub line: String,
    /// When the register received it (RFC 3339 UTC).
    pub received_at: String,
}

fn cosignature_from_row<R: Row>(row: &R) -> Result<Cosignature, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    let root: Vec<u8> = row.try_get("root")?;
    let root = <[u8; 32]>::try_from(root.as_slice())
        .map(custodia_journal::merkle::Hash::from_bytes)
        .map_err(|_| StoreError::Inconsistent("a cosigned root is not 32 bytes".into()))?;
    Ok(Cosignature {
        witness: row.try_get("witness")?,
        size: u64::try_from(row.try_get::<i64, _>("size")?).unwrap_or(0),
        root,
        timestamp: u64::try_from(row.try_get::<i64, _>("timestamp")?).unwrap_or(0),
        line: row.try_get("line")?,
        received_at: row.try_get("received_at")?,
    })
}

/// The first stored tile hash (level, index, hash) that differs from the recomputed ones, as the
/// event that completes it and why.
fn first_tile_difference(
    computed: &[custodia_journal::tiles::TileHash],
    stored: &[(i64, i64, Vec<u8>)],
) -> Option<(u64, String)> {
    let mut computed: Vec<&custodia_journal::tiles::TileHash> = computed.iter().collect();
    computed.sort_by_key(|t| (t.level, t.index));
    let completing = |level: u8, index: u64| ((index + 1) << (8 * u32::from(level))).saturating_sub(1);
    for (i, want) in computed.iter().enumerate() {
        let path = format!("tile hash {}/{} (level {}, index {})", want.level, want.index, want.level, want.index);
        match stored.get(i) {
            Some((level, idx, hash))
                if *level == i64::from(want.level)
                    && *idx == want.index as i64
                    && hash.as_slice() == want.hash.as_bytes() => {}
            Some((level, idx, _)) if *level == i64::from(want.level) && *idx == want.index as i64 => {
                return Some((
                    completing(want.level, want.index),
                    format!("{path} does not match the events: the tiles were altered"),
                ));
            }
            _ => {
                return Some((
                    completing(want.level, want.index),
                    format!("{path} is missing or out of place in table tile_hashes"),
                ));
            }
        }
    }
    stored.get(computed.len()).map(|(level, idx, _)| {
        let seq = ((*idx as u64 + 1) << (8 * (*level).clamp(0, 5) as u32)).saturating_sub(1);
        (seq, format!("table tile_hashes holds a hash {level}/{idx} that no run of events completes"))
    })
}

/// A read-only connection of SQLite's C API to the register's file (the long reads of the
/// journal).
fn read_only(path: &std::path::Path) -> Result<rusqlite::Connection, StoreError> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    // Pages read through a memory map: a full scan without copying every page out of the kernel
    // (about 6% of the replay). The mapped pages are the kernel's file cache, shared and clean,
    // but they count in the process's resident size.
    conn.pragma_update(None, "mmap_size", 1i64 << 40)?;
    Ok(conn)
}

/// The replay's comparison of every table with the stored rows, read with SQLite's C API in the
/// read transaction the events were read in, row by row; the stored journal head's row.
fn compare_tables(
    conn: &rusqlite::Connection,
    expected: &mut Expected,
    only: impl Fn(&TableSpec) -> bool,
) -> Result<Vec<Option<String>>, StoreError> {
    let mut head = Vec::new();
    let mut scratch = String::new();
    for table in TABLES.iter().filter(|t| only(t)) {
        let mut statement = conn.prepare(&table_sql_native(table))?;
        let mut rows = statement.query([])?;
        let width = table.columns.len();
        if width > MAX_COLUMNS {
            return Err(StoreError::Inconsistent(format!("{}: more than {MAX_COLUMNS} columns", table.name)));
        }
        let native = matches!(table.name, "persons" | "person_agreements");
        while let Some(row) = rows.next()? {
            if native && expected.wants_more() {
                // Millions of rows: first compared as read, written as text only if they differ.
                let mut read = [rusqlite::types::ValueRef::Null; MAX_COLUMNS];
                for (at, cell) in read.iter_mut().enumerate().take(width) {
                    *cell = row.get_ref(at)?;
                }
                if expected.same_as_made(table, read.get(..width).unwrap_or_default()) {
                    continue;
                }
            }
            let mut all = [None; MAX_COLUMNS];
            let cells = stored_cells(table, row, &mut scratch, &mut all)?;
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
    Ok(head)
}

/// The comparison of every table with the stored rows on two cores: the `persons` table (as many
/// rows as the rest together) on a second connection, in a thread of its own, the other tables
/// on `conn`; both connections read the same snapshot (see [`second_reader`]).
fn compare_tables_beside(
    conn: &rusqlite::Connection,
    second: rusqlite::Connection,
    expected: &mut Expected,
) -> Result<Vec<Option<String>>, StoreError> {
    const APART: &str = "persons";
    let mut fork = expected.fork(&[APART]);
    let (head, fork) = std::thread::scope(|scope| {
        let apart = scope.spawn(move || compare_tables(&second, &mut fork, |t| t.name == APART).map(|_| fork));
        let head = compare_tables(conn, expected, |t| t.name != APART);
        let fork = apart.join().map_err(|_| StoreError::Inconsistent("the comparing thread panicked".into()));
        (head, fork)
    });
    expected.absorb(fork??);
    head
}

/// The journal head as a connection's snapshot sees it.
fn snapshot_head(conn: &rusqlite::Connection) -> Result<(i64, String), StoreError> {
    Ok(conn
        .query_row("SELECT size, quote(frontier) FROM journal_head WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// A second read-only connection whose read transaction sees what `head` (the first's) saw:
/// every write to the register appends an event, so the same journal head is the same snapshot.
/// `None` when a write came between the two (the comparison then runs on one connection).
fn second_reader(path: &std::path::Path, head: &(i64, String)) -> Result<Option<rusqlite::Connection>, StoreError> {
    let second = read_only(path)?;
    second.execute_batch("BEGIN")?;
    Ok((snapshot_head(&second)? == *head).then_some(second))
}

/// `SELECT` of a table's compared columns as stored, in key order: read natively and written as
/// text by [`stored_cells`] (SQLite's `CAST` and `hex()` cost more than the rest of the read).
fn table_sql_native(table: &TableSpec) -> String {
    let names =
        |columns: &[(&str, Col)]| columns.iter().map(|(n, _)| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
    let keys = table.columns.get(..table.keys).unwrap_or_default();
    format!("SELECT {} FROM {} ORDER BY {}", names(table.columns), table.name, names(keys))
}

/// A stored row's cells as the text [`table_sql`] would give for them — an integer in decimal
/// (`CAST(n AS TEXT)`), a `Col::Blob` column's bytes in lowercase hex (`lower(hex(b))`), text as
/// it is — borrowed from the row, or written into `scratch`.
fn stored_cells<'a>(
    table: &TableSpec,
    row: &'a rusqlite::Row<'_>,
    scratch: &'a mut String,
    all: &'a mut [Option<&'a str>; MAX_COLUMNS],
) -> Result<&'a [Option<&'a str>], StoreError> {
    use rusqlite::types::ValueRef;
    use std::fmt::Write;
    enum Cell<'r> {
        Null,
        Row(&'r str),
        Scratch(usize, usize),
    }
    let text = |bytes: &'a [u8]| {
        std::str::from_utf8(bytes).map_err(|e| StoreError::Inconsistent(format!("{}: {e}", table.name)))
    };
    scratch.clear();
    let mut read = [const { Cell::Null }; MAX_COLUMNS];
    for (at, ((_, kind), cell)) in table.columns.iter().zip(read.iter_mut()).enumerate() {
        let start = scratch.len();
        *cell = match (row.get_ref(at)?, kind) {
            (ValueRef::Null, _) => Cell::Null,
            (ValueRef::Integer(n), _) => {
                let _ = write!(scratch, "{n}");
                Cell::Scratch(start, scratch.len())
            }
            (ValueRef::Real(f), _) => {
                let _ = write!(scratch, "{f:?}");
                Cell::Scratch(start, scratch.len())
            }
            (ValueRef::Blob(bytes) | ValueRef::Text(bytes), Col::Blob) => {
                hex_lower_into(bytes, scratch);
                Cell::Scratch(start, scratch.len())
            }
            (ValueRef::Blob(bytes) | ValueRef::Text(bytes), _) => Cell::Row(text(bytes)?),
        };
    }
    let scratch: &'a str = scratch;
    for (out, cell) in all.iter_mut().zip(&read).take(table.columns.len()) {
        *out = match *cell {
            Cell::Null => None,
            Cell::Row(text) => Some(text),
            Cell::Scratch(from, to) => scratch.get(from..to),
        };
    }
    Ok(all.get(..table.columns.len()).unwrap_or_default())
}

/// Lowercase hex of `bytes`, appended to `out` (as SQLite's `lower(hex())` writes it).
fn hex_lower_into(bytes: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0')));
        out.push(char::from(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0')));
    }
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

/// One page of events as read from the file: the bodies back to back, where each ends, and the
/// stored root after the page's last event; with the replay, the other columns of each event.
struct FilePage {
    from: u64,
    bodies: Vec<u8>,
    ends: Vec<usize>,
    last_root: [u8; 32],
    /// False when the sequence numbers had a gap or a root was malformed within this page.
    well_formed: bool,
    /// With the replay: each event's columns beside its body (empty without).
    beside: Vec<Beside>,
    /// `kind`, `actor`, `occurred_at`, `recorded_at` and `agreement_id` of each event, back to back.
    texts: String,
}

/// An event's columns beside its body, for the replay.
#[derive(Clone, Copy, Debug)]
struct Beside {
    seq: i64,
    person_id: Option<i64>,
    /// Where `kind`, `actor`, `occurred_at`, `recorded_at` and `agreement_id` end in `texts`.
    ends: [usize; 5],
    agreement_is_null: bool,
}

/// The events' columns the scan reads: the tree check's, and with the replay the others.
const SCAN_SQL: &str = "SELECT seq, body, root_after FROM events ORDER BY seq";
const SCAN_REPLAY_SQL: &str = "SELECT seq, body, root_after, kind, actor, occurred_at, recorded_at, agreement_id, person_id \
     FROM events ORDER BY seq";

impl FilePage {
    fn new(from: u64, spare: Option<FilePage>) -> FilePage {
        let mut page = spare.unwrap_or(FilePage {
            from,
            bodies: Vec::with_capacity(8 << 20),
            ends: Vec::with_capacity(PAGE_EVENTS as usize),
            last_root: [0; 32],
            well_formed: true,
            beside: Vec::new(),
            texts: String::new(),
        });
        page.from = from;
        page.bodies.clear();
        page.ends.clear();
        page.well_formed = true;
        page.beside.clear();
        page.texts.clear();
        page
    }

    /// Adds the columns beside the body of the event in `row` (read with [`SCAN_REPLAY_SQL`]).
    fn add_beside(&mut self, seq: i64, row: &rusqlite::Row<'_>) -> Result<(), StoreError> {
        let mut ends = [0; 5];
        let mut agreement_is_null = false;
        for (end, column) in ends.iter_mut().zip(3..) {
            let text = row
                .get_ref(column)?
                .as_str_or_null()
                .map_err(|e| StoreError::Inconsistent(format!("event {seq}: {e}")))?;
            match text {
                Some(text) => self.texts.push_str(text),
                None if column == 7 => agreement_is_null = true,
                None => return Err(StoreError::Inconsistent(format!("event {seq}: a column is NULL"))),
            }
            *end = self.texts.len();
        }
        self.beside.push(Beside { seq, person_id: row.get(8)?, ends, agreement_is_null });
        Ok(())
    }

    /// Applies the page's events to the replay, in order.
    fn replay_into(&self, replay: &mut Replay) -> Result<(), StoreError> {
        let (mut body_start, mut text_start) = (0, 0);
        for (&body_end, beside) in self.ends.iter().zip(&self.beside) {
            if !replay.wants_more() {
                break;
            }
            let body = std::str::from_utf8(self.bodies.get(body_start..body_end).unwrap_or_default())
                .map_err(|e| StoreError::Inconsistent(format!("event {}: {e}", beside.seq)))?;
            let mut texts = [""; 5];
            for (text, &end) in texts.iter_mut().zip(&beside.ends) {
                *text = self.texts.get(text_start..end).unwrap_or_default();
                text_start = end;
            }
            let [kind, actor, occurred_at, recorded_at, agreement_id] = texts;
            replay.event(&EventRow {
                seq: beside.seq,
                kind,
                actor,
                occurred_at,
                recorded_at,
                agreement_id: (!beside.agreement_is_null).then_some(agreement_id),
                person_id: beside.person_id,
                body,
            });
            body_start = body_end;
        }
        Ok(())
    }
}

/// A page back to the reader once every thread is done with it.
fn recycle(page: std::sync::Arc<FilePage>, spare: &std::sync::mpsc::Sender<FilePage>) {
    if let Ok(page) = std::sync::Arc::try_unwrap(page) {
        let _ = spare.send(page);
    }
}

/// The replay's outcome from a scan: the expected rows compared with every table, and the stored
/// journal head.
type Replayed = (Expected, Vec<Option<String>>);

/// Reads the events into pages on this thread while another thread hashes them (reading a page
/// out of SQLite and hashing it take about the same time, so the two cores share the work), and,
/// with `replay`, a third replays the same pages: the events are read once for both. Then, in the
/// same read transaction, the stored tables are compared with the replay's rows.
fn scan_sqlite_journal(path: &std::path::Path, replay: bool) -> Result<(Scan, Option<Replayed>), StoreError> {
    use std::sync::mpsc::{channel, sync_channel};
    let conn = read_only(path)?;
    // One read transaction: the head, the events and the tables come from the same snapshot.
    conn.execute_batch("BEGIN")?;
    let head = snapshot_head(&conn)?;
    let size = u64::try_from(head.0).map_err(|_| StoreError::Inconsistent("negative journal size".into()))?;
    // With the replay, the tables are compared on two connections in this same snapshot.
    let second = if replay { second_reader(path, &head)? } else { None };
    let (spare_tx, spare_rx) = channel::<FilePage>();
    let (tree_tx, tree_rx) = sync_channel(2);
    let hasher = {
        let spare = spare_tx.clone();
        std::thread::spawn(move || hash_pages(tree_rx, spare, size))
    };
    let (replay_tx, replayer) = if replay {
        let (tx, rx) = sync_channel::<std::sync::Arc<FilePage>>(2);
        let spare = spare_tx.clone();
        let replayer = std::thread::spawn(move || {
            let mut replay = Replay::new();
            for page in rx {
                page.replay_into(&mut replay)?;
                recycle(page, &spare);
                if !replay.wants_more() {
                    break;
                }
            }
            Ok::<_, StoreError>(replay)
        });
        (Some(tx), Some(replayer))
    } else {
        (None, None)
    };
    drop(spare_tx);
    let read = read_pages(&conn, Some(tree_tx), replay_tx, &spare_rx);
    let outcome = hasher.join().map_err(|_| StoreError::Inconsistent("the hashing thread panicked".into()))?;
    let replay = match replayer {
        Some(replayer) => {
            Some(replayer.join().map_err(|_| StoreError::Inconsistent("the replay thread panicked".into()))??)
        }
        None => None,
    };
    read?;
    let replayed = match replay {
        Some(replay) => {
            let mut expected = replay.finish();
            let head = match second {
                Some(second) => compare_tables_beside(&conn, second, &mut expected)?,
                None => compare_tables(&conn, &mut expected, |_| true)?,
            };
            Some((expected, head))
        }
        None => None,
    };
    conn.execute_batch("COMMIT")?;
    Ok((outcome, replayed))
}

/// The scan's reading: every event into pages, each page sent to the hasher (until it stops at a
/// disagreement or at a gap) and to the replay (every event, until it stops at a difference).
fn read_pages(
    conn: &rusqlite::Connection,
    mut tree: Option<std::sync::mpsc::SyncSender<std::sync::Arc<FilePage>>>,
    mut replay: Option<std::sync::mpsc::SyncSender<std::sync::Arc<FilePage>>>,
    spare: &std::sync::mpsc::Receiver<FilePage>,
) -> Result<(), StoreError> {
    let with_replay = replay.is_some();
    let mut statement = conn.prepare(if with_replay { SCAN_REPLAY_SQL } else { SCAN_SQL })?;
    let mut rows = statement.query([])?;
    let mut next_seq = 0u64;
    let mut page = FilePage::new(0, None);
    // Sends a page to whichever threads still take pages; false when none does.
    let mut send = |page: FilePage, tree: &mut Option<_>, last_for_tree: bool| {
        let page = std::sync::Arc::new(page);
        for (to, last) in [(&mut *tree, last_for_tree), (&mut replay, false)] {
            if let Some(channel) = to.as_ref()
                && (channel.send(std::sync::Arc::clone(&page)).is_err() || last)
            {
                *to = None;
            }
        }
        tree.is_some() || replay.is_some()
    };
    while let Some(row) = rows.next()? {
        let seq = row.get::<_, i64>(0)?;
        let body = row.get_ref(1)?.as_bytes().map_err(|e| StoreError::Inconsistent(format!("event {seq}: {e}")))?;
        let root = row.get_ref(2)?.as_bytes().map_err(|e| StoreError::Inconsistent(format!("event {seq}: {e}")))?;
        if tree.is_some() && (u64::try_from(seq).ok() != Some(next_seq) || root.len() != 32) {
            // The tree check stops here: its last page, without this event; the replay goes on.
            page.well_formed = false;
            let from = page.from + page.ends.len() as u64;
            let last = std::mem::replace(&mut page, FilePage::new(from, spare.try_recv().ok()));
            if !send(last, &mut tree, true) {
                return Ok(());
            }
        }
        next_seq += 1;
        page.bodies.extend_from_slice(body);
        page.ends.push(page.bodies.len());
        if root.len() == 32 {
            page.last_root.copy_from_slice(root);
        }
        if with_replay {
            page.add_beside(seq, row)?;
        }
        if page.ends.len() as u64 == PAGE_EVENTS {
            let from = page.from + PAGE_EVENTS;
            let full = std::mem::replace(&mut page, FilePage::new(from, spare.try_recv().ok()));
            if !send(full, &mut tree, false) {
                return Ok(()); // every thread stopped (at a disagreement, or a difference)
            }
        }
    }
    if !page.ends.is_empty() || !page.well_formed {
        send(page, &mut tree, false);
    }
    Ok(())
}

/// Rebuilds the tree from the pages and compares each page's stored root.
fn hash_pages(
    pages: std::sync::mpsc::Receiver<std::sync::Arc<FilePage>>,
    spare: std::sync::mpsc::Sender<FilePage>,
    size: u64,
) -> Scan {
    let mut tree = custodia_journal::merkle::Tree::new();
    let mut tiles = Vec::new();
    let mut bytes = 0u64;
    for page in pages {
        let page_start = tree.clone();
        let mut start = 0usize;
        let mut ok = page.well_formed;
        for &end in &page.ends {
            let body = page.bodies.get(start..end).unwrap_or_default();
            bytes += body.len() as u64;
            if tree.push_tiled(custodia_journal::merkle::leaf_hash(body), &mut tiles).is_err() {
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
        recycle(page, &spare);
    }
    let first_mismatch = (tree.size() != size)
        .then(|| (tree.size(), format!("journal head says {size} events but {} are stored", tree.size())));
    Scan::Verified(VerifyReport::of(&tree, bytes, first_mismatch, tiles))
}

/// A stored tile hash: exactly 32 bytes.
fn tile_hash(level: u8, bytes: &[u8]) -> Result<custodia_journal::merkle::Hash, StoreError> {
    <[u8; 32]>::try_from(bytes)
        .map(custodia_journal::merkle::Hash::from_bytes)
        .map_err(|_| StoreError::Inconsistent(format!("a tile hash of level {level} is not 32 bytes")))
}

/// The hashes `from..to` of a level, all of them or an error naming what is missing.
fn all_tile_hashes(
    hashes: Vec<custodia_journal::merkle::Hash>,
    level: u8,
    from: u64,
    to: u64,
) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError> {
    if hashes.len() as u64 != to.saturating_sub(from) {
        return Err(StoreError::Inconsistent(format!(
            "tile hashes {from}..{to} of level {level}: {} stored",
            hashes.len()
        )));
    }
    Ok(hashes)
}

/// The journal's size on a SQLite file, through this thread's read-only connection.
fn sqlite_journal_size(file: &crate::cases::SqliteReader) -> Result<u64, StoreError> {
    let size: i64 = crate::cases::with_sqlite_reader(file, |conn| {
        let mut statement = conn.prepare_cached("SELECT size FROM journal_head WHERE id = 1")?;
        Ok(statement.query_row([], |row| row.get(0))?)
    })?;
    u64::try_from(size).map_err(|_| StoreError::Inconsistent("negative size".into()))
}

/// The store's `tile_hashes` on a SQLite file, through this thread's read-only connection.
fn sqlite_tile_hashes(
    file: &crate::cases::SqliteReader,
    level: u8,
    from: u64,
    to: u64,
) -> Result<Vec<custodia_journal::merkle::Hash>, StoreError> {
    let (from_i, to_i) = (i64::try_from(from).unwrap_or(i64::MAX), i64::try_from(to).unwrap_or(i64::MAX));
    let hashes = crate::cases::with_sqlite_reader(file, |conn| {
        let mut statement = if level == 0 {
            conn.prepare_cached("SELECT leaf_hash FROM events WHERE seq >= ?1 AND seq < ?2 ORDER BY seq")?
        } else {
            conn.prepare_cached(
                "SELECT hash FROM tile_hashes WHERE level = ?3 AND idx >= ?1 AND idx < ?2 ORDER BY idx",
            )?
        };
        let mut rows = if level == 0 {
            statement.query(rusqlite::params![from_i, to_i])?
        } else {
            statement.query(rusqlite::params![from_i, to_i, i64::from(level)])?
        };
        let mut hashes = Vec::with_capacity(usize::try_from(to.saturating_sub(from)).unwrap_or(0));
        while let Some(row) = rows.next()? {
            let bytes = row
                .get_ref(0)?
                .as_blob()
                .map_err(|e| StoreError::Inconsistent(format!("a tile hash of level {level}: {e}")))?;
            hashes.push(tile_hash(level, bytes)?);
        }
        Ok(hashes)
    })?;
    all_tile_hashes(hashes, level, from, to)
}
