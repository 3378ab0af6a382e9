//! Witnesses of the journal (docs/journal.md#witnesses): what the register offers each
//! configured witness (C2SP tlog-witness `add-checkpoint`: the old size, a consistency proof and
//! the signed checkpoint), the cosignatures it keeps from their answers (each checked with the
//! witness's key), what it serves with its checkpoint, and `WITNESS_COSIGNATURE_OVERDUE` when a
//! witness falls behind. The HTTP exchange itself is the server's; the rules are here.

use custodia_core::alerts::{Alert, WitnessFacts, unwitnessed};
use custodia_journal::merkle::Hash;
use custodia_journal::witness::{CosignatureVerifier, add_checkpoint_body};
use custodia_store::prelude::*;
use custodia_store::{Cosignature, Timestamp};

use crate::App;
use crate::error::{AppError, AppResult};

/// What the register offers a witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessOffer {
    /// The size of the largest tree the witness is believed to have cosigned.
    pub old_size: u64,
    /// The size offered.
    pub size: u64,
    /// Its root.
    pub root: Hash,
    /// The checkpoint body the witness cosigns.
    pub body: String,
    /// The `add-checkpoint` request body.
    pub request: String,
    /// Whether the witness already cosigned this size (nothing to send).
    pub already_cosigned: bool,
}

impl App {
    /// The offer for `witness`: from `old_size` (default: the largest tree it cosigned here, 0
    /// if none) to the journal's current size, with the consistency proof between them.
    pub async fn witness_offer(&self, witness: &CosignatureVerifier, old_size: Option<u64>) -> AppResult<WitnessOffer> {
        let size = self.store().journal_size().await?;
        let latest = self.store().latest_cosignatures().await?;
        let cosigned = latest.iter().find(|c| c.witness == witness.name()).map(|c| c.size);
        let old_size = old_size.or(cosigned).unwrap_or(0);
        if old_size > size {
            return Err(AppError::Internal(format!(
                "witness {} cosigned a journal of {old_size} events and this one has {size}: it was rolled back or forked",
                witness.name()
            )));
        }
        let root = self.stored_root(size).await?;
        let proof =
            if old_size == 0 || old_size == size { Vec::new() } else { self.consistency_path(old_size, size).await? };
        let note = self.sign_checkpoint(size, root)?;
        let body = note.split_once("\n\n").map(|(b, _)| format!("{b}\n")).unwrap_or_default();
        Ok(WitnessOffer {
            old_size,
            size,
            root,
            request: add_checkpoint_body(old_size, &proof, &note),
            body,
            already_cosigned: cosigned == Some(size),
        })
    }

    /// Keeps the cosignatures of `witness` in its answer to `offer` that verify; how many.
    pub async fn accept_cosignatures(
        &self,
        witness: &CosignatureVerifier,
        offer: &WitnessOffer,
        answer: &str,
        now: &Timestamp,
    ) -> AppResult<usize> {
        let mut kept = 0;
        for line in answer.lines().take(custodia_journal::checkpoint::MAX_SIGNATURES) {
            let Some(timestamp) = witness.verify_line(&offer.body, line) else { continue };
            let cosignature = Cosignature {
                witness: witness.name().to_owned(),
                size: offer.size,
                root: offer.root,
                timestamp,
                line: format!("{line}\n"),
                received_at: now.as_str().to_owned(),
            };
            self.store().record_cosignature(&cosignature).await?;
            kept += 1;
        }
        Ok(kept)
    }

    /// The cosignature lines of the tree of `size` events with root `root`, for the checkpoint.
    pub(crate) async fn cosignature_lines(&self, size: u64, root: Hash) -> AppResult<String> {
        let stored = self.store().cosignatures_of(size).await?;
        Ok(stored.into_iter().filter(|c| c.root == root).map(|c| c.line).collect())
    }

    /// `WITNESS_COSIGNATURE_OVERDUE` at `at_unix` for the configured witnesses.
    pub(crate) async fn witness_alerts(&self, at_unix: i64) -> AppResult<Vec<Alert>> {
        let (witnesses, max_delay_s) = self.witnesses();
        if witnesses.is_empty() {
            return Ok(Vec::new());
        }
        let size = self.store().journal_size().await?;
        let latest = self.store().latest_cosignatures().await?;
        let mut facts = Vec::with_capacity(witnesses.len());
        for w in witnesses {
            let cosigned_size = latest.iter().find(|c| c.witness == w.name()).map_or(0, |c| c.size);
            let first_uncovered_at_unix = match cosigned_size < size {
                true => self.store().event_recorded_at(cosigned_size).await?,
                false => None,
            };
            facts.push(WitnessFacts { name: w.name(), cosigned_size, first_uncovered_at_unix });
        }
        Ok(unwitnessed(&facts, at_unix, max_delay_s))
    }
}
