//! The journal (docs/journal.md): its verification, the signed checkpoint (a C2SP
//! `tlog-checkpoint` body as a C2SP signed note, Ed25519), the verifier key, inclusion and
//! consistency proofs (RFC 9162), and the export of its events, exactly the leaf bytes.
//!
//! Verification, the checkpoint and the key act on the register's host and need no user; proofs
//! and the export act as a user, and every role may read the journal (docs/access.md). A proof is
//! computed from the leaf hashes of the requested tree: linear work, done off the async workers and
//! at most [`MAX_CONCURRENT_PROOFS`] at a time.

use custodia_journal::checkpoint::{Checkpoint, Signer};
use custodia_journal::merkle::{self, Hash};
use custodia_store::prelude::*;
use custodia_store::{PAGE_EVENTS, ReplayReport, VerifyReport};
use tokio::sync::Semaphore;

use crate::App;
use crate::access::Principal;
use crate::error::{AppError, AppResult};

/// Most proofs computed at the same time (each hashes up to the whole journal).
pub const MAX_CONCURRENT_PROOFS: usize = 2;

static PROOFS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_PROOFS);

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
        self.sign_checkpoint(size, root)
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
    /// journal's current size). Every role may ask.
    pub async fn inclusion_proof(&self, _who: &Principal, index: u64, size: Option<u64>) -> AppResult<InclusionProof> {
        let tree_size = self.tree_size(size).await?;
        if index >= tree_size {
            return Err(AppError::invalid("index", index_out_of_range(index, tree_size, size.is_some())));
        }
        self.with_leaves(tree_size, move |leaves| {
            let path = merkle::inclusion_proof(index, tree_size, leaves)
                .map_err(|e| AppError::invalid("index", e.to_string()))?;
            let leaf_hash = usize::try_from(index)
                .ok()
                .and_then(|i| leaves.get(i))
                .copied()
                .ok_or_else(|| AppError::Internal(format!("no leaf hash for event {index}")))?;
            Ok(InclusionProof { leaf_index: index, tree_size, leaf_hash, root_hash: merkle::root(leaves), path })
        })
        .await
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
        self.with_leaves(new_size, move |leaves| {
            let path = merkle::consistency_proof(old_size, new_size, leaves)
                .map_err(|e| AppError::invalid("old_size", e.to_string()))?;
            let old_leaves = usize::try_from(old_size).ok().and_then(|n| leaves.get(..n)).unwrap_or_default();
            Ok(ConsistencyProof {
                old_size,
                new_size,
                old_root_hash: merkle::root(old_leaves),
                new_root_hash: merkle::root(leaves),
                path,
            })
        })
        .await
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
    async fn stored_root(&self, size: u64) -> AppResult<Hash> {
        let Some(last) = size.checked_sub(1) else { return Ok(merkle::empty_root()) };
        let events = self.store().events(last, size).await?;
        let root = events.first().map(|e| e.root_after.clone()).unwrap_or_default();
        <[u8; 32]>::try_from(root)
            .map(Hash::from_bytes)
            .map_err(|_| AppError::Internal(format!("stored root of event {last} is not 32 bytes")))
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

    /// The leaf hashes of the first `size` events, then `work` on them off the async workers, with
    /// at most [`MAX_CONCURRENT_PROOFS`] running.
    async fn with_leaves<T: Send + 'static>(
        &self,
        size: u64,
        work: impl FnOnce(&[Hash]) -> AppResult<T> + Send + 'static,
    ) -> AppResult<T> {
        let _permit = PROOFS.acquire().await.map_err(|e| AppError::Internal(e.to_string()))?;
        let leaves = self.store().leaf_hashes(size).await?;
        tokio::task::spawn_blocking(move || work(&leaves)).await.map_err(|e| AppError::Internal(e.to_string()))?
    }
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
