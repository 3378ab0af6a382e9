//! Custodia's application layer: every use case written once. Each use case checks the acting
//! user's capability and scope, loads the facts from the store, lets the core decide, and persists
//! the decision with its journal event. The command line, the HTTP API and the web pages only parse
//! their input, call this crate and render what it returns; none of them reaches the store around
//! it, so no edge can skip a safeguard and none re-implements one.
//!
//! Time is a parameter: the edges read the clock and pass `now` in (`Timestamp`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod access;
pub mod agreements;
pub mod alerts;
pub mod billing;
pub mod care;
pub mod cases;
pub mod cells;
pub mod chart;
pub mod config;
pub mod days;
pub mod error;
mod facts;
pub mod fields;
pub mod forecast;
pub mod inspection;
pub mod journal;
pub mod locator;
pub mod notify;
pub mod oversight;
mod paging;
pub mod persons;
pub mod register;
pub mod rights;
mod transition;
pub mod users;
pub mod waiting;
pub mod witness;

use custodia_store::{Actor, Store, Timestamp};

pub use access::{Capability, Principal, Role};
pub use config::Config;
pub use error::{AppError, AppResult};

/// The register as the use cases see it: the store, the journal signing key and the settings.
#[derive(Clone, Debug)]
pub struct App {
    store: Store,
    signing_key: [u8; 32],
    journal_origin: String,
    /// What each agreement's alerts were last computed from, with the journal size it was read
    /// at ([`facts::FactsMemo`]); shared by the clones of the application.
    facts_memo: facts::FactsMemo,
    /// The journal's tiles already read (up to [`App::with_tile_cache_mib`]); shared by the clones.
    tile_cache: journal::TileCache,
    /// The configured witnesses and the delay before `WITNESS_COSIGNATURE_OVERDUE`.
    witnesses: std::sync::Arc<Vec<custodia_journal::witness::CosignatureVerifier>>,
    witness_max_delay_s: u64,
}

impl App {
    /// The application over an opened store.
    pub fn new(store: Store, signing_key: [u8; 32], journal_origin: String) -> Self {
        Self {
            store,
            signing_key,
            journal_origin,
            facts_memo: facts::FactsMemo::default(),
            tile_cache: journal::TileCache::default(),
            witnesses: std::sync::Arc::default(),
            witness_max_delay_s: 3_600,
        }
    }

    /// The store, for the edges' background work that is not a use case (the server's read-log
    /// writer and group commit drain through it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The application with the journal's witnesses (docs/journal.md#witnesses): their keys,
    /// and how long an event may wait for each one's cosignature.
    #[must_use]
    pub fn with_witnesses(
        mut self,
        witnesses: Vec<custodia_journal::witness::CosignatureVerifier>,
        max_delay_s: u64,
    ) -> Self {
        self.witnesses = std::sync::Arc::new(witnesses);
        self.witness_max_delay_s = max_delay_s;
        self
    }

    /// The application with a tile cache of at most `mib` MiB (proofs are answered from memory
    /// once the tiles they need have been read; [`journal::DEFAULT_TILE_CACHE_MIB`] otherwise).
    #[must_use]
    pub fn with_tile_cache_mib(mut self, mib: u64) -> Self {
        self.tile_cache = journal::TileCache::with_mib(mib);
        self
    }

    pub(crate) fn witnesses(&self) -> (&[custodia_journal::witness::CosignatureVerifier], u64) {
        (&self.witnesses, self.witness_max_delay_s)
    }

    pub(crate) fn tile_cache(&self) -> &journal::TileCache {
        &self.tile_cache
    }

    /// The journal signing key (Ed25519 seed).
    pub fn signing_key(&self) -> &[u8; 32] {
        &self.signing_key
    }

    /// The signer name of journal checkpoints.
    pub fn journal_origin(&self) -> &str {
        &self.journal_origin
    }

    /// Closes the store's connections.
    pub async fn close(&self) {
        self.store.close().await;
    }
}

/// The actor recorded on events: the caller's name, when it is recorded and, if earlier, when it
/// happened.
pub fn actor(who: &Principal, now: &Timestamp, occurred_at: Option<Timestamp>) -> Actor {
    Actor { name: who.name.clone(), recorded_at: now.clone(), occurred_at }
}

impl App {
    /// Whether the register answers (a query reaches the database), for readiness checks.
    pub async fn ready(&self) -> AppResult<()> {
        use custodia_store::prelude::*;
        self.store.journal_size().await.map(|_| ()).map_err(AppError::from)
    }

    /// The answer kept for a user's repeat-safe request key, if any (the HTTP edge's
    /// `Idempotency-Key`; the outcome is the edge's own code).
    pub async fn kept_answer(
        &self,
        who: &Principal,
        key: &str,
    ) -> AppResult<Option<custodia_store::access::KeptAnswer>> {
        use custodia_store::prelude::*;
        Ok(self.store.kept_answer(&who.name, key).await?)
    }

    /// Keeps the first answer to a user's repeat-safe request key (a second is ignored).
    pub async fn keep_answer(
        &self,
        who: &Principal,
        key: &str,
        answer: &custodia_store::access::KeptAnswer,
        now: &Timestamp,
    ) -> AppResult<()> {
        use custodia_store::prelude::*;
        Ok(self.store.keep_answer(&who.name, key, answer, now.as_str()).await?)
    }
}
