//! Custodia's journal (docs/journal.md): the tamper-evident, append-only record of every change.
//!
//! This crate is pure: no IO, no clock, no async, no randomness. Key material comes in as bytes the
//! caller drew; every function that can meet bad data returns a typed `Result`.
//!
//! Three layers, each a published standard so that nobody needs Custodia to check the journal:
//!
//! - [`canonical`]: an event is a JSON object; its leaf bytes are its RFC 8785 (JCS) canonical form.
//!   Custodia events hold integers only (money is integer minor units), so numbers are restricted to
//!   integers of the I-JSON range and anything else is refused.
//! - [`merkle`]: the events are the leaves of an RFC 9162 §2.1 Merkle tree
//!   (`leaf = SHA-256(0x00 ‖ bytes)`, `node = SHA-256(0x01 ‖ left ‖ right)`), with inclusion and
//!   consistency proofs and their verification exactly as RFC 9162 §2.1.3.2 and §2.1.4.2 state them.
//! - [`checkpoint`]: the service commits to a tree head by signing a C2SP `tlog-checkpoint` body
//!   (origin, size, base64 root) as a C2SP `signed-note` with Ed25519.
//! - [`tiles`]: the same tree as a C2SP `tlog-tiles` log — hash tiles and entry bundles — and
//!   proofs computed from a few tiles instead of every leaf.
//! - [`witness`]: C2SP `tlog-cosignature` and the checks of a `tlog-witness`, so that witnesses
//!   cosign only histories that extend what they saw.
//!
//! # How an inspector verifies, offline
//!
//! The inspector needs the service's verifier key (`custodia journal key`, e.g.
//! `custodia.example/journal+1a2b3c4d+AXN…`), obtained once through a trusted channel, and later:
//!
//! 1. **A signed checkpoint** (`custodia journal checkpoint`). [`checkpoint::open_checkpoint`] checks
//!    the Ed25519 signature line from that key and returns the origin, tree size `n` and root hash.
//! 2. **The export** (`custodia journal export`): one line per event, each line exactly the leaf's
//!    bytes. Hashing every line with [`merkle::leaf_hash`] and folding them with [`merkle::Tree`]
//!    (or [`merkle::root`]) must give the checkpoint's root at size `n`. Any edited, removed,
//!    reordered or inserted event changes the root. This step needs only SHA-256, so it can be
//!    redone with any language's standard library.
//! 3. **Append-only across visits.** Holding an older checkpoint of size `m ≤ n`, the inspector asks
//!    for a consistency proof from `m` to `n` and checks it with [`merkle::verify_consistency`]: it
//!    proves the `m` events under the old root are an unchanged prefix of the new tree, so history
//!    was only appended to. (With the full export, recomputing the root at `m` proves the same.)
//! 4. **One event without the export.** An inclusion proof for leaf `i` checked with
//!    [`merkle::verify_inclusion`] against the signed root proves that event is in the journal.
//!
//! ```
//! use custodia_journal::{canonical, checkpoint, merkle};
//!
//! // Service side: canonical event bytes → leaves → root → signed checkpoint.
//! let event = serde_json::json!({"type": "person.admitted", "amount_minor": 125_00, "seq": 1});
//! let bytes = canonical::canonicalize(&event)?;
//! assert_eq!(bytes, br#"{"amount_minor":12500,"seq":1,"type":"person.admitted"}"#);
//! let mut tree = merkle::Tree::new();
//! tree.push(merkle::leaf_hash(&bytes))?;
//! let signer = checkpoint::Signer::from_seed("custodia.example/journal", [7; 32])?;
//! let head = checkpoint::Checkpoint::new("custodia.example/journal", tree.size(), tree.root())?;
//! let note = signer.sign_checkpoint(&head);
//!
//! // Inspector side: only the verifier key, the note and the exported lines.
//! let verifier = checkpoint::Verifier::parse(&signer.verifier_key())?;
//! let opened = checkpoint::open_checkpoint(&note, &verifier)?;
//! let leaves = [merkle::leaf_hash(&bytes)];
//! assert_eq!(merkle::root(&leaves), opened.root());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod canonical;
pub mod checkpoint;
pub mod merkle;
pub mod tiles;
pub mod witness;

pub use canonical::{CanonicalError, canonicalize};
pub use checkpoint::{Checkpoint, CheckpointError, Signer, Verifier, open_checkpoint};
pub use merkle::{Hash, MerkleError, Tree, leaf_hash, node_hash, root};
