//! The journal (docs/journal.md): its verification, the signed checkpoint (a C2SP
//! `tlog-checkpoint` body as a C2SP signed note, Ed25519), the verifier key, inclusion and
//! consistency proofs (RFC 9162), the export of its events, exactly the leaf bytes, and the journal
//! as C2SP `tlog-tiles` (hash tiles and entry bundles).
//!
//! Verification, the checkpoint and the key act on the register's host and need no user; proofs,
//! tiles and the export act as a user (docs/access.md). A proof reads the few tiles it needs
//! (O(log n) hashes stored as the events were appended, [`custodia_journal::tiles`]), never every
//! leaf; tiles never change once written, so they are kept in memory (up to
//! [`DEFAULT_TILE_CACHE_MIB`] by default), and every proof is checked against the stored root
//! before it is answered. The root of each size is
//! kept too (it never changes either).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use custodia_journal::checkpoint::{Checkpoint, Signer};
use custodia_journal::merkle::{self, Hash};
use custodia_journal::tiles::{self, TileId, TileTree};
use custodia_store::prelude::*;
use custodia_store::{PAGE_EVENTS, ReplayReport, VerifyReport};

use crate::App;
use crate::access::{Principal, Role};
use crate::error::{AppError, AppResult};

/// Bytes of memory a tile takes in the cache: its 256 hashes and their 255 inner nodes.
const TILE_BYTES: usize = 511 * 32;
/// The tile cache's default size in MiB ([`App::with_tile_cache_mib`]): every lowest tile of a
/// journal of about 16,700,000 events, so that proofs are answered from memory once each tile
/// has been read. The cache fills only as proofs ask for tiles.
pub const DEFAULT_TILE_CACHE_MIB: u64 = 1024;
/// Partial tiles kept at most (the right edge of the tree: a few per level and width).
const MAX_PARTIAL_TILES: usize = 256;

/// Tiles already read, shared by the clones of the application. A tile of a given width never
/// changes (a partial tile is a prefix of the full one), so entries are never stale. Full tiles
/// are kept up to a budget of memory; when it is reached, an arbitrary full tile makes room.
/// Partial tiles, at the moving right edge, are kept apart in a small map cleared when full.
#[derive(Clone, Debug)]
pub(crate) struct TileCache {
    full: Arc<Mutex<HashMap<TileId, Arc<TileTree>>>>,
    partial: Arc<Mutex<HashMap<TileId, Arc<TileTree>>>>,
    roots: Arc<Mutex<HashMap<u64, Hash>>>,
    max_full_tiles: usize,
}

/// Most tree roots kept in memory (a root of a given size never changes).
const MAX_CACHED_ROOTS: usize = 4096;

impl Default for TileCache {
    fn default() -> Self {
        Self::with_mib(DEFAULT_TILE_CACHE_MIB)
    }
}

impl TileCache {
    /// A cache of at most `mib` MiB of full tiles (at least one tile).
    pub(crate) fn with_mib(mib: u64) -> Self {
        let bytes = usize::try_from(mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
        Self {
            full: Arc::default(),
            partial: Arc::default(),
            roots: Arc::default(),
            max_full_tiles: (bytes / TILE_BYTES).max(1),
        }
    }

    fn root(&self, size: u64) -> Option<Hash> {
        self.roots.lock().ok().and_then(|roots| roots.get(&size).copied())
    }

    fn put_root(&self, size: u64, root: Hash) {
        let Ok(mut roots) = self.roots.lock() else { return };
        if roots.len() >= MAX_CACHED_ROOTS {
            roots.clear();
        }
        roots.insert(size, root);
    }

    fn map_of(&self, id: &TileId) -> &Mutex<HashMap<TileId, Arc<TileTree>>> {
        if id.is_full() { &self.full } else { &self.partial }
    }

    fn get(&self, id: &TileId) -> Option<Arc<TileTree>> {
        self.map_of(id).lock().ok().and_then(|cache| cache.get(id).cloned())
    }

    fn put(&self, tile: Arc<TileTree>) {
        let id = tile.id();
        let Ok(mut cache) = self.map_of(&id).lock() else { return };
        if id.is_full() {
            if cache.len() >= self.max_full_tiles {
                let victim = cache.keys().next().copied();
                if let Some(victim) = victim {
                    cache.remove(&victim);
                }
            }
        } else if cache.len() >= MAX_PARTIAL_TILES {
            cache.clear();
        }
        cache.insert(id, tile);
    }
}

/// An inclusion proof: event `leaf_index` is in the tree of `tree_size` events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InclusionProof {
    /// The event, a 0-based leaf index.
    pub leaf_index: u64,
    /// The tree size.
    pub tree_size: u64,
    /// The event's leaf hash: SHA-256(0x00 ‖ its canonical JSON).
    pub leaf_hash: Hash,
    /// The root hash of the tree.
    pub root_hash: Hash,
    /// The audit path, from the leaf's sibling up.
    pub path: Vec<Hash>,
}

/// A consistency proof: the tree of `old_size` events is a prefix of the tree of `new_size`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// The older tree size.
    pub old_size: u64,
    /// The newer tree size.
    pub new_size: u64,
    /// The older tree's root hash.
    pub old_root_hash: Hash,
    /// The newer tree's root hash.
    pub new_root_hash: Hash,
    /// The proof.
    pub path: Vec<Hash>,
}

impl App {
    /// Recomputes the whole tree from the stored events and reports the first mismatch (on the
    /// register's host).
    pub async fn verify_journal(&self) -> AppResult<VerifyReport> {
        Ok(self.store().verify_journal().await?)
    }

    /// `journal verify` in full (on the register's host): the tree check and, in the same run,
    /// the replay — every table rebuilt from the events and compared with the stored one
    /// (docs/journal.md#replay). The register's state is the journal's only when both hold.
    pub async fn replay_journal(&self) -> AppResult<(VerifyReport, ReplayReport)> {
        Ok(self.store().replay_journal().await?)
    }

    /// The current signed checkpoint: the checkpoint body (origin, tree size, base64 root hash), a
    /// blank line, and the signature line `— <origin> <base64(key id ‖ signature)>`.
    pub async fn checkpoint(&self) -> AppResult<String> {
        let size = self.store().journal_size().await?;
        let root = self.stored_root(size).await?;
        let note = self.sign_checkpoint(size, root)?;
        // The witnesses' cosignatures of this very tree follow the register's own signature
        // (docs/journal.md#witnesses).
        Ok(note + &self.cosignature_lines(size, root).await?)
    }

    /// The signed checkpoint of a tree of `size` events with root `root` (a backup's copy).
    pub fn sign_checkpoint(&self, size: u64, root: Hash) -> AppResult<String> {
        let signer = self.signer()?;
        let checkpoint = Checkpoint::new(signer.name(), size, root)
            .map_err(|e| AppError::invalid("journal_origin", e.to_string()))?;
        Ok(signer.sign_checkpoint(&checkpoint))
    }

    /// The verifier key of the checkpoints, `<name>+<8 hex digits of key id>+<base64(0x01 ‖
    /// public key)>`.
    pub fn verifier_key(&self) -> AppResult<String> {
        Ok(self.signer()?.verifier_key())
    }

    /// Proves that event `index` (0-based) is in the tree of `size` events (default: the
    /// journal's current size), from the tiles the proof needs. Every role may ask.
    pub async fn inclusion_proof(&self, _who: &Principal, index: u64, size: Option<u64>) -> AppResult<InclusionProof> {
        let tree_size = self.tree_size(size).await?;
        if index >= tree_size {
            return Err(AppError::invalid("index", index_out_of_range(index, tree_size, size.is_some())));
        }
        let needed = tiles::inclusion_tiles(index, tree_size).map_err(|e| AppError::invalid("index", e.to_string()))?;
        let read = self.read_tiles(&needed).await?;
        let (leaf_hash, path) = tiles::inclusion_proof(&read, index, tree_size).map_err(tile_fault)?;
        let root_hash = self.stored_root(tree_size).await?;
        merkle::verify_inclusion(&leaf_hash, index, tree_size, &path, &root_hash).map_err(|e| {
            AppError::Internal(format!("the stored tiles disagree with the stored root of {tree_size} events: {e}"))
        })?;
        Ok(InclusionProof { leaf_index: index, tree_size, leaf_hash, root_hash, path })
    }

    /// Proves that the tree of `old_size` events is a prefix of the tree of `size` events
    /// (default: the journal's current size): history was only appended to. Every role may ask.
    pub async fn consistency_proof(
        &self,
        _who: &Principal,
        old_size: u64,
        size: Option<u64>,
    ) -> AppResult<ConsistencyProof> {
        let new_size = self.tree_size(size).await?;
        if old_size == 0 || old_size > new_size {
            return Err(AppError::invalid(
                "old_size",
                custodia_i18n::Text::new("INVALID.old-size").arg("size", new_size.to_string()),
            ));
        }
        let path = self.consistency_path(old_size, new_size).await?;
        let (old_root_hash, new_root_hash) = (self.stored_root(old_size).await?, self.stored_root(new_size).await?);
        merkle::verify_consistency(old_size, new_size, &old_root_hash, &new_root_hash, &path)
            .map_err(|e| AppError::Internal(format!("the stored tiles disagree with the stored roots: {e}")))?;
        Ok(ConsistencyProof { old_size, new_size, old_root_hash, new_root_hash, path })
    }

    /// The consistency proof from `old_size` to `new_size` (`0 < old_size ≤ new_size ≤ size`),
    /// from the tiles it needs.
    pub(crate) async fn consistency_path(&self, old_size: u64, new_size: u64) -> AppResult<Vec<Hash>> {
        let needed =
            tiles::consistency_tiles(old_size, new_size).map_err(|e| AppError::invalid("old_size", e.to_string()))?;
        let read = self.read_tiles(&needed).await?;
        tiles::consistency_proof(&read, old_size, new_size).map_err(tile_fault)
    }

    /// The journal's current size (what the served checkpoint covers).
    pub async fn journal_size(&self) -> AppResult<u64> {
        Ok(self.store().journal_size().await?)
    }

    /// A hash tile (C2SP tlog-tiles `tile/<L>/<N>[.p/<W>]`): its bytes, when the journal of
    /// the current size has it at that width. Hash tiles reveal nothing about people; the edge
    /// decides who may fetch them (docs/journal.md#tiles).
    pub async fn hash_tile(&self, id: TileId) -> AppResult<Vec<u8>> {
        let size = self.store().journal_size().await?;
        if !id.exists_in(size) {
            return Err(tile_not_in_tree(id.path(), size));
        }
        Ok(self.read_tiles(&[id]).await?.get(&id).map(|t| t.to_bytes()).unwrap_or_default())
    }

    /// An entry bundle (C2SP tlog-tiles `tile/entries/<N>[.p/<W>]`): the events of a level-0
    /// tile, each its canonical JSON with a big-endian `uint16` length. Entry bundles carry the
    /// events themselves, so only users who may read every event fetch them: inspectors and
    /// auditors whose scope covers every agreement in the register.
    pub async fn entry_bundle(&self, who: &Principal, id: TileId) -> AppResult<Vec<u8>> {
        self.require_whole_journal(who).await?;
        let size = self.store().journal_size().await?;
        if id.level != 0 || !id.exists_in(size) {
            return Err(tile_not_in_tree(id.entries_path(), size));
        }
        let events = self.store().events(id.first(), id.first() + u64::from(id.width)).await?;
        if events.len() != usize::from(id.width) {
            return Err(AppError::Internal(format!("events of {} are missing", id.entries_path())));
        }
        tiles::entry_bundle(events.iter().map(|e| e.body.as_bytes())).map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Events `from..to` for an inspector or an auditor (`to` at most [`MAX_EVENTS_PAGE`] after
    /// `from`, and at most the journal's size): each event of an agreement in the reader's scope
    /// as its canonical JSON; every other one withheld, as its leaf hash only, so that the page
    /// still rebuilds its part of the tree (docs/journal.md#events). A reader scoped to
    /// facilities reads no events: an event's facility is inside its data.
    pub async fn journal_events(&self, who: &Principal, from: u64, to: Option<u64>) -> AppResult<JournalPage> {
        if !matches!(who.role, Role::Inspector | Role::Auditor) {
            return Err(AppError::Forbidden(
                custodia_i18n::Text::new("FORBIDDEN.journal-events").arg("role", who.role.as_str()),
            ));
        }
        if who.facilities.is_some() {
            return Err(whole_journal_refused(who));
        }
        let size = self.store().journal_size().await?;
        if from > size {
            return Err(AppError::invalid(
                "from",
                custodia_i18n::Text::new("INVALID.after-end").arg("end", size.to_string()),
            ));
        }
        let limit = from.saturating_add(MAX_EVENTS_PAGE).min(size);
        let to = match to {
            Some(to) if to < from => {
                return Err(AppError::invalid(
                    "to",
                    custodia_i18n::Text::new("INVALID.at-least").count("min", from as i64),
                ));
            }
            Some(to) => to.min(limit),
            None => limit,
        };
        let events = self.store().events(from, to).await?;
        let items = events
            .into_iter()
            .map(|event| {
                let agreement = event_agreement(&event.body);
                if who.sees_recorded_under(agreement.as_deref()) {
                    JournalItem::Event { seq: event.seq, body: event.body }
                } else {
                    let leaf = merkle::leaf_hash(event.body.as_bytes());
                    JournalItem::Withheld { seq: event.seq, leaf_hash: leaf }
                }
            })
            .collect();
        Ok(JournalPage { from, to, size, items })
    }

    /// Inspectors and auditors whose scope covers every agreement in the register, and no
    /// facility scope: they may read every event.
    async fn require_whole_journal(&self, who: &Principal) -> AppResult<()> {
        if !matches!(who.role, Role::Inspector | Role::Auditor) || who.facilities.is_some() {
            return Err(whole_journal_refused(who));
        }
        let agreements = self.store().agreement_ids().await?;
        if agreements.iter().all(|a| who.sees_agreement(&a.agreement_id)) {
            Ok(())
        } else {
            Err(whole_journal_refused(who))
        }
    }

    /// The tiles `ids`, from memory or from the store.
    async fn read_tiles(&self, ids: &[TileId]) -> AppResult<HashMap<TileId, Arc<TileTree>>> {
        let mut out = HashMap::with_capacity(ids.len());
        for id in ids {
            let tile = match self.tile_cache().get(id) {
                Some(tile) => tile,
                None => {
                    let hashes =
                        self.store().tile_hashes(id.level, id.first(), id.first() + u64::from(id.width)).await?;
                    let tile = Arc::new(TileTree::new(*id, hashes).map_err(tile_fault)?);
                    self.tile_cache().put(Arc::clone(&tile));
                    tile
                }
            };
            out.insert(*id, tile);
        }
        Ok(out)
    }

    /// Exports events `from..to` (`to` default and at most the current size), each exactly its
    /// leaf bytes followed by a line break, in leaf order, a page at a time through `write`.
    /// Returns the number of events written. Every role may read the journal.
    pub async fn export_journal(
        &self,
        _who: &Principal,
        from: u64,
        to: Option<u64>,
        mut write: impl FnMut(&[u8]) -> Result<(), String>,
    ) -> AppResult<u64> {
        let size = self.store().journal_size().await?;
        let end = to.unwrap_or(size).min(size);
        if from > end {
            return Err(AppError::invalid(
                "from",
                custodia_i18n::Text::new("INVALID.after-end").arg("end", end.to_string()),
            ));
        }
        let mut at = from;
        let mut buf = Vec::with_capacity(1 << 20);
        while at < end {
            let page = self.store().events(at, at.saturating_add(PAGE_EVENTS).min(end)).await?;
            if page.is_empty() {
                return Err(AppError::Internal(format!("event {at} is missing from the register")));
            }
            buf.clear();
            for event in &page {
                buf.extend_from_slice(event.body.as_bytes());
                buf.push(b'\n');
            }
            write(&buf).map_err(AppError::Internal)?;
            at += page.len() as u64;
        }
        Ok(end - from)
    }

    fn signer(&self) -> AppResult<Signer> {
        Signer::from_seed(self.journal_origin(), *self.signing_key())
            .map_err(|e| AppError::invalid("journal_origin", e.to_string()))
    }

    /// The root of the tree of the first `size` events: the root stored with event `size − 1`.
    pub(crate) async fn stored_root(&self, size: u64) -> AppResult<Hash> {
        let Some(last) = size.checked_sub(1) else { return Ok(merkle::empty_root()) };
        if let Some(root) = self.tile_cache().root(size) {
            return Ok(root);
        }
        let events = self.store().events(last, size).await?;
        let root = events.first().map(|e| e.root_after.clone()).unwrap_or_default();
        let root = <[u8; 32]>::try_from(root)
            .map(Hash::from_bytes)
            .map_err(|_| AppError::Internal(format!("stored root of event {last} is not 32 bytes")))?;
        self.tile_cache().put_root(size, root);
        Ok(root)
    }

    /// The tree size a proof is for: `requested`, or the journal's size; never beyond the journal.
    async fn tree_size(&self, requested: Option<u64>) -> AppResult<u64> {
        let current = self.store().journal_size().await?;
        match requested {
            None if current == 0 => Err(AppError::rule("EMPTY_JOURNAL", custodia_i18n::Text::new("EMPTY_JOURNAL"))),
            None => Ok(current),
            Some(0) => Err(AppError::invalid("size", custodia_i18n::Text::new("INVALID.at-least").count("min", 1))),
            Some(size) if size > current => {
                let text = custodia_i18n::Text::new("INVALID.beyond-journal").arg("size", size.to_string());
                Err(AppError::invalid("size", text.arg("events", current.to_string())))
            }
            Some(size) => Ok(size),
        }
    }
}

/// Most events one page of [`App::journal_events`] carries.
pub const MAX_EVENTS_PAGE: u64 = 1000;

/// A page of the journal as an inspector reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalPage {
    /// The first event.
    pub from: u64,
    /// One past the last event.
    pub to: u64,
    /// The journal's size when read.
    pub size: u64,
    /// The events `from..to`, in order.
    pub items: Vec<JournalItem>,
}

/// One event of a [`JournalPage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalItem {
    /// An event in the reader's scope: its canonical JSON, exactly the leaf's bytes.
    Event {
        /// Its leaf index.
        seq: u64,
        /// The canonical JSON.
        body: String,
    },
    /// An event outside the reader's scope: only its leaf hash.
    Withheld {
        /// Its leaf index.
        seq: u64,
        /// SHA-256(0x00 ‖ its canonical JSON).
        leaf_hash: Hash,
    },
}

/// The agreement an event was recorded under (its envelope's `agreement_id`).
fn event_agreement(body: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        agreement_id: Option<String>,
    }
    serde_json::from_str::<Envelope>(body).ok().and_then(|e| e.agreement_id)
}

fn whole_journal_refused(who: &Principal) -> AppError {
    let scope = match (&who.agreements, &who.facilities) {
        (_, Some(f)) => format!("facilities {}", f.join(", ")),
        (Some(a), None) => format!("agreements {}", a.join(", ")),
        (None, None) => "every agreement".to_owned(),
    };
    AppError::Forbidden(
        custodia_i18n::Text::new("FORBIDDEN.whole-journal").arg("role", who.role.as_str()).arg("scope", scope),
    )
}

/// A tile-based proof that could not be computed from the stored tiles: the register is
/// inconsistent (`journal verify` names where).
fn tile_fault(e: tiles::TileError) -> AppError {
    AppError::Internal(format!("the journal's tiles: {e}"))
}

fn tile_not_in_tree(path: String, size: u64) -> AppError {
    AppError::NotFound(custodia_i18n::Text::new("NOT_FOUND.tile").arg("tile", path).arg("size", size.to_string()))
}

/// The refusal of a leaf index beyond the tree, naming its size and the 0-based numbering.
fn index_out_of_range(index: u64, size: u64, size_requested: bool) -> String {
    let last = size.saturating_sub(1);
    let events = if size == 1 { "event" } else { "events" };
    if size_requested {
        format!("{index} is out of range: the tree of {size} {events} is indexed from 0 to {last} (0-based)")
    } else {
        format!("{index} is out of range: the journal has {size} {events}, indexed from 0 to {last} (0-based)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(index: u64, width: u16) -> Arc<TileTree> {
        let hashes = (0..width).map(|i| Hash::from_bytes([u8::try_from(i % 251).unwrap(); 32])).collect();
        Arc::new(TileTree::new(TileId { level: 0, index, width }, hashes).unwrap())
    }

    #[test]
    fn the_tile_cache_keeps_full_tiles_within_its_memory_and_partial_ones_apart() {
        let cache = TileCache::with_mib(1);
        let fit = (1 << 20) / TILE_BYTES;
        assert_eq!(cache.max_full_tiles, fit);
        for index in 0..u64::try_from(fit).unwrap() {
            cache.put(tile(index, 256));
        }
        // Full: every tile is still there.
        assert!(
            (0..u64::try_from(fit).unwrap()).all(|i| cache.get(&TileId { level: 0, index: i, width: 256 }).is_some())
        );
        // One more makes room by dropping one, never growing past the budget.
        let extra = u64::try_from(fit).unwrap() + 7;
        cache.put(tile(extra, 256));
        assert_eq!(cache.full.lock().unwrap().len(), fit);
        assert!(cache.get(&TileId { level: 0, index: extra, width: 256 }).is_some());
        // A partial tile does not take a full tile's place, and is found at its own width only.
        cache.put(tile(extra + 1, 3));
        assert_eq!(cache.full.lock().unwrap().len(), fit);
        assert!(cache.get(&TileId { level: 0, index: extra + 1, width: 3 }).is_some());
        assert!(cache.get(&TileId { level: 0, index: extra + 1, width: 4 }).is_none());
        // The smallest cache still holds one tile.
        let tiny = TileCache::with_mib(0);
        tiny.put(tile(1, 256));
        tiny.put(tile(2, 256));
        assert_eq!(tiny.full.lock().unwrap().len(), 1);
    }

    #[test]
    fn an_index_beyond_the_journal_names_its_size_and_the_0_based_numbering() {
        assert_eq!(
            index_out_of_range(5, 5, false),
            "5 is out of range: the journal has 5 events, indexed from 0 to 4 (0-based)"
        );
        assert_eq!(
            index_out_of_range(3, 1, true),
            "3 is out of range: the tree of 1 event is indexed from 0 to 0 (0-based)"
        );
    }
}
