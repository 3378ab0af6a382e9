//! A consistent copy of the register, for `custodia backup` (docs/operations.md#backup).
//!
//! SQLite: `VACUUM INTO` writes the whole database as of one read transaction, while writers go on.
//! PostgreSQL: a `REPEATABLE READ` transaction exports its snapshot and holds it while `pg_dump
//! --snapshot` (run by the caller) dumps exactly that state; the journal head is read in the same
//! snapshot, so the copy and the size reported for it agree.

use std::future::Future;
use std::path::Path;

use crate::{Store, StoreError};

/// The journal as of a copy: its size and the root hash after its last event (empty for an empty
/// journal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotHead {
    /// Events in the copy.
    pub size: u64,
    /// `root_after` of the last event; empty when `size` is 0.
    pub root_after: Vec<u8>,
}

impl Store {
    /// SQLite only: writes a consistent copy of the database to `dest`, which must not exist.
    pub async fn copy_sqlite_into(&self, dest: &Path) -> Result<(), StoreError> {
        let Store::Sqlite(s) = self else {
            return Err(StoreError::Refused("copy_sqlite_into: the register is not SQLite".into()));
        };
        let path = dest.to_str().ok_or_else(|| StoreError::Refused(format!("{}: not UTF-8", dest.display())))?;
        sqlx::query("VACUUM INTO $1").bind(path).execute(&s.pool).await?;
        Ok(())
    }

    /// PostgreSQL only: exports a snapshot, reads the journal head in it, and awaits `dump` with
    /// the snapshot's id while holding it. `dump`'s error is returned as [`StoreError::Refused`].
    pub async fn with_postgres_snapshot<F, Fut>(&self, dump: F) -> Result<SnapshotHead, StoreError>
    where
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<(), String>>,
    {
        let Store::Postgres(s) = self else {
            return Err(StoreError::Refused("with_postgres_snapshot: the register is not PostgreSQL".into()));
        };
        let mut tx = s.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut *tx).await?;
        let size: i64 = sqlx::query_scalar("SELECT size FROM journal_head WHERE id = 1").fetch_one(&mut *tx).await?;
        let root_after: Vec<u8> = match size.checked_sub(1).filter(|last| *last >= 0) {
            None => Vec::new(),
            Some(last) => {
                sqlx::query_scalar("SELECT root_after FROM events WHERE seq = $1")
                    .bind(last)
                    .fetch_one(&mut *tx)
                    .await?
            }
        };
        let dumped = dump(snapshot).await;
        tx.rollback().await?;
        dumped.map_err(StoreError::Refused)?;
        let size = u64::try_from(size).map_err(|_| StoreError::Inconsistent(format!("journal size {size}")))?;
        Ok(SnapshotHead { size, root_after })
    }

    /// The journal head as the store holds it now (for a copy just opened).
    pub async fn snapshot_head(&self) -> Result<SnapshotHead, StoreError> {
        use crate::prelude::Journal;
        let size = self.journal_size().await?;
        let root_after = match size.checked_sub(1) {
            None => Vec::new(),
            Some(last) => self.events(last, size).await?.first().map(|e| e.root_after.clone()).unwrap_or_default(),
        };
        Ok(SnapshotHead { size, root_after })
    }
}
