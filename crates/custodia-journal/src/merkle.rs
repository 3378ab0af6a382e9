//! The RFC 9162 §2.1 Merkle Tree: hashes, roots, an incremental tree, inclusion and consistency
//! proofs.
//!
//! RFC 9162 (Certificate Transparency 2.0) keeps RFC 6962's tree and fixes the verification
//! algorithms. With `D[n]` the list of `n` leaves and SHA-256 as `HASH`:
//!
//! - `MTH({}) = HASH()` — the hash of the empty string (§2.1.1);
//! - `MTH({d(0)}) = HASH(0x00 ‖ d(0))` — a leaf;
//! - for `n > 1`, with `k` the largest power of two smaller than `n`,
//!   `MTH(D[n]) = HASH(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))`.
//!
//! Custodia's leaves are the canonical JSON bytes of events (docs/journal.md). Everything here is bounded:
//! trees hold at most [`MAX_TREE_SIZE`] leaves and proofs at most [`MAX_PROOF_LEN`] hashes, and every
//! function returns an error instead of panicking on bad input.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// Length in bytes of a SHA-256 hash.
pub const HASH_LEN: usize = 32;

/// Largest tree accepted: 2^40 leaves (about 10^12 events).
///
/// Far beyond any journal Custodia will hold, and small enough that sizes and indices never overflow
/// and proofs stay short.
pub const MAX_TREE_SIZE: u64 = 1 << 40;

/// Longest proof accepted by the verifiers: 64 hashes.
///
/// An inclusion proof has at most ⌈log2 n⌉ hashes and a consistency proof at most ⌈log2 n⌉ + 1, so
/// real proofs for trees of [`MAX_TREE_SIZE`] leaves have at most 41; anything longer is refused
/// before any hashing.
pub const MAX_PROOF_LEN: usize = 64;

/// A SHA-256 hash: a leaf hash, a node hash or a tree root.
///
/// `Debug` and `Display` print lowercase hex; checkpoints carry it in base64 (C2SP tlog-checkpoint).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash([u8; HASH_LEN]);

impl Hash {
    /// Wraps 32 bytes.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; HASH_LEN]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; HASH_LEN] {
        &self.0
    }

    /// The 32 bytes, by value.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; HASH_LEN] {
        self.0
    }

    /// Lowercase hex, 64 characters.
    #[must_use]
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// Parses 64 hex digits (either case).
    ///
    /// # Errors
    ///
    /// [`HashParseError`] if the text is not exactly 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, HashParseError> {
        let digits = text.as_bytes();
        if digits.len() != 2 * HASH_LEN {
            return Err(HashParseError::HexLength { len: digits.len() });
        }
        let mut bytes = [0u8; HASH_LEN];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            let (Some(&hi), Some(&lo)) = (pair.first(), pair.get(1)) else {
                return Err(HashParseError::HexLength { len: digits.len() });
            };
            *byte = (hex_value(hi)? << 4) | hex_value(lo)?;
        }
        Ok(Self(bytes))
    }

    /// Standard base64 with padding (RFC 4648 §4), as in a checkpoint's root hash line.
    #[must_use]
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Parses standard base64 (RFC 4648 §4) of exactly 32 bytes, in its one canonical spelling
    /// (padding present, unused bits zero).
    ///
    /// # Errors
    ///
    /// [`HashParseError`] if the text is not canonical base64 of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, HashParseError> {
        let decoded = STANDARD.decode(text).map_err(|_| HashParseError::Base64)?;
        let bytes: [u8; HASH_LEN] =
            decoded.try_into().map_err(|d: Vec<u8>| HashParseError::Base64Length { len: d.len() })?;
        let hash = Self(bytes);
        // The engine already insists on padding and zero trailing bits; the round trip makes the
        // one-spelling rule explicit.
        if hash.to_base64() != text {
            return Err(HashParseError::Base64);
        }
        Ok(hash)
    }
}

fn hex_value(digit: u8) -> Result<u8, HashParseError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        _ => Err(HashParseError::HexDigit),
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl From<[u8; HASH_LEN]> for Hash {
    fn from(bytes: [u8; HASH_LEN]) -> Self {
        Self(bytes)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Why text is not a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashParseError {
    /// Hex text of the wrong length.
    #[error("a hash is 64 hex digits, got {len} characters")]
    HexLength {
        /// Length of the text in bytes.
        len: usize,
    },
    /// A character that is not a hex digit.
    #[error("a hash in hex may contain only 0-9 and a-f")]
    HexDigit,
    /// Not canonical standard base64.
    #[error("not canonical standard base64 (RFC 4648 §4, with padding)")]
    Base64,
    /// Base64 of the wrong number of bytes.
    #[error("a hash is 32 bytes, the base64 decodes to {len}")]
    Base64Length {
        /// Number of decoded bytes.
        len: usize,
    },
}

/// Why a tree operation, a proof generation or a proof verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// A tree size above [`MAX_TREE_SIZE`], or an append to a full tree.
    #[error("tree size {size} is above the limit of 2^40 leaves")]
    TreeTooLarge {
        /// The size asked for.
        size: u64,
    },
    /// A leaf index not below the tree size (RFC 9162 §2.1.3.2 step 1).
    #[error("leaf index {index} is not in a tree of {size} leaves")]
    IndexOutOfRange {
        /// The leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency check from a larger tree to a smaller one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    SizesOutOfOrder {
        /// Size of the older tree.
        old_size: u64,
        /// Size of the newer tree.
        new_size: u64,
    },
    /// Fewer leaf hashes supplied than the tree size needs.
    #[error("a tree of {size} leaves needs {size} leaf hashes, only {available} supplied")]
    NotEnoughLeaves {
        /// The tree size.
        size: u64,
        /// Number of leaf hashes supplied.
        available: usize,
    },
    /// A proof longer than [`MAX_PROOF_LEN`].
    #[error("proof has {len} hashes, more than the limit of {MAX_PROOF_LEN}")]
    ProofTooLong {
        /// Number of hashes in the proof.
        len: usize,
    },
    /// A proof with too few or too many hashes for the sizes (RFC 9162 §2.1.3.2 step 4a and 5,
    /// §2.1.4.2 steps 1, 6a and 7), or a non-empty proof where none is needed.
    #[error("proof has the wrong number of hashes ({len}) for these tree sizes")]
    ProofWrongLength {
        /// Number of hashes in the proof.
        len: usize,
    },
    /// The root computed from the proof differs from the expected root (RFC 9162 §2.1.3.2 step 5,
    /// §2.1.4.2 step 7 for the new root).
    #[error("root computed from the proof ({computed}) does not match the expected root ({expected})")]
    RootMismatch {
        /// Root the proof leads to.
        computed: Hash,
        /// Root the caller holds.
        expected: Hash,
    },
    /// The old root computed from a consistency proof differs from the old root held
    /// (RFC 9162 §2.1.4.2 step 7).
    #[error("old root computed from the proof ({computed}) does not match the old root held ({expected})")]
    OldRootMismatch {
        /// Old root the proof leads to.
        computed: Hash,
        /// Old root the caller holds.
        expected: Hash,
    },
    /// A compact range whose subtree roots do not match its size (see [`Tree::from_parts`]).
    #[error("a tree of {size} leaves has {expected} subtree roots, {got} supplied")]
    BadCompactRange {
        /// The tree size.
        size: u64,
        /// Number of subtree roots a tree of that size has (its population count).
        expected: u32,
        /// Number supplied.
        got: usize,
    },
}

/// `MTH({})`: the root of the empty tree, SHA-256 of the empty string (RFC 9162 §2.1.1),
/// `e3b0c442…7852b855`.
#[must_use]
pub fn empty_root() -> Hash {
    Hash(Sha256::digest(b"").into())
}

/// The hash of leaf data: `SHA-256(0x00 ‖ data)` (RFC 9162 §2.1.1).
///
/// For Custodia, `data` is an event's canonical JSON ([`crate::canonical::canonicalize`]).
#[must_use]
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    Hash(h.finalize().into())
}

/// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)` (RFC 9162 §2.1.1).
#[must_use]
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 1 + 2 * HASH_LEN];
    let (prefix, rest) = buf.split_at_mut(1);
    let (l, r) = rest.split_at_mut(HASH_LEN);
    prefix.copy_from_slice(&[0x01]);
    l.copy_from_slice(&left.0);
    r.copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// `MTH(D[n])` of the given leaf hashes (RFC 9162 §2.1.1), [`empty_root`] when there are none.
///
/// Computed in one pass with a [`Tree`]: `n − 1` node hashes and O(log n) memory. The result equals
/// the recursive definition with the largest-power-of-two split.
#[must_use]
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    let mut stack = Stack::default();
    for (i, leaf) in leaf_hashes.iter().enumerate() {
        stack.push(i as u64, *leaf);
    }
    stack.root().unwrap_or_else(empty_root)
}

/// The roots of the perfect subtrees of a compact range, biggest (leftmost) first. Private so that
/// the size ↔ length invariant lives in one place.
#[derive(Clone, Default, PartialEq, Eq)]
struct Stack(Vec<Hash>);

impl Stack {
    /// Appends the leaf with index `size` (the tree's size before the append): it merges with one
    /// subtree root per trailing one bit of `size`.
    fn push(&mut self, size: u64, leaf: Hash) {
        self.push_observed(size, leaf, |_, _| {});
    }

    /// [`Stack::push`], calling `merged(height, hash)` for every perfect subtree the append
    /// completes (height 1 for two leaves, 2 for four, …).
    fn push_observed(&mut self, size: u64, leaf: Hash, mut merged: impl FnMut(u32, &Hash)) {
        let mut hash = leaf;
        let mut carry = size;
        let mut height = 0;
        while carry & 1 == 1 {
            match self.0.pop() {
                Some(left) => hash = node_hash(&left, &hash),
                None => break, // unreachable while the invariant holds
            }
            height += 1;
            merged(height, &hash);
            carry >>= 1;
        }
        self.0.push(hash);
    }

    /// Folds the subtree roots right to left: `MTH` of the whole range, `None` when empty.
    fn root(&self) -> Option<Hash> {
        let mut iter = self.0.iter().rev();
        let last = *iter.next()?;
        Some(iter.fold(last, |acc, left| node_hash(left, &acc)))
    }
}

/// An append-only Merkle tree that keeps only a compact range: the roots of the perfect subtrees
/// that make up `[0, size)`, one per set bit of `size`, so at most 40 hashes.
///
/// Appending costs at most 40 node hashes (one on average), [`Tree::root`] one node hash per set bit
/// of the size less one. Use it to record the root after each event and to recompute a whole journal
/// in one pass. Its roots equal [`root`] of the same leaves at every size (RFC 9162 §2.1.1).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tree {
    size: u64,
    stack: Stack,
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree").field("size", &self.size).field("subtree_roots", &self.stack.0).finish()
    }
}

impl Tree {
    /// The empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds a tree from its size and the subtree roots given by [`Tree::subtree_roots`], so that
    /// appending can resume without the leaves.
    ///
    /// # Errors
    ///
    /// [`MerkleError::TreeTooLarge`] above [`MAX_TREE_SIZE`]; [`MerkleError::BadCompactRange`] when
    /// the number of roots is not the population count of `size`.
    pub fn from_parts(size: u64, subtree_roots: Vec<Hash>) -> Result<Self, MerkleError> {
        if size > MAX_TREE_SIZE {
            return Err(MerkleError::TreeTooLarge { size });
        }
        if subtree_roots.len() != size.count_ones() as usize {
            return Err(MerkleError::BadCompactRange { size, expected: size.count_ones(), got: subtree_roots.len() });
        }
        Ok(Self { size, stack: Stack(subtree_roots) })
    }

    /// Number of leaves appended so far.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The roots of the perfect subtrees covering `[0, size)`, largest (leftmost) first.
    #[must_use]
    pub fn subtree_roots(&self) -> &[Hash] {
        &self.stack.0
    }

    /// Appends a leaf hash (see [`leaf_hash`]).
    ///
    /// # Errors
    ///
    /// [`MerkleError::TreeTooLarge`] when the tree already holds [`MAX_TREE_SIZE`] leaves; the tree
    /// is then unchanged.
    pub fn push(&mut self, leaf_hash: Hash) -> Result<(), MerkleError> {
        if self.size >= MAX_TREE_SIZE {
            return Err(MerkleError::TreeTooLarge { size: self.size.saturating_add(1) });
        }
        self.stack.push(self.size, leaf_hash);
        self.size += 1;
        Ok(())
    }

    /// [`Tree::push`], adding to `completed` the C2SP tlog-tiles hashes of level 1 and above that
    /// this leaf completes: the root of every perfect subtree of 256^L leaves (L ≥ 1) that ends
    /// with it (see [`crate::tiles`]). Level-0 hashes are the leaf hashes themselves.
    ///
    /// # Errors
    ///
    /// As [`Tree::push`]; nothing is added then.
    pub fn push_tiled(
        &mut self,
        leaf_hash: Hash,
        completed: &mut Vec<crate::tiles::TileHash>,
    ) -> Result<(), MerkleError> {
        if self.size >= MAX_TREE_SIZE {
            return Err(MerkleError::TreeTooLarge { size: self.size.saturating_add(1) });
        }
        let new_size = self.size + 1;
        self.stack.push_observed(self.size, leaf_hash, |height, hash| {
            if height % crate::tiles::TILE_HEIGHT == 0 {
                completed.push(crate::tiles::TileHash {
                    level: (height / crate::tiles::TILE_HEIGHT) as u8,
                    index: (new_size >> height) - 1,
                    hash: *hash,
                });
            }
        });
        self.size = new_size;
        Ok(())
    }

    /// Appends leaf data: `push(leaf_hash(data))`.
    ///
    /// # Errors
    ///
    /// As [`Tree::push`].
    pub fn push_data(&mut self, data: &[u8]) -> Result<(), MerkleError> {
        self.push(leaf_hash(data))
    }

    /// `MTH` of the leaves appended so far; [`empty_root`] for the empty tree.
    #[must_use]
    pub fn root(&self) -> Hash {
        self.stack.root().unwrap_or_else(empty_root)
    }
}

/// The largest power of two strictly smaller than `n`, for `n ≥ 2` (RFC 9162 §2.1.1's `k`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// `MTH` of the leaves `[lo, hi)` of the slice. The range is always inside the slice (callers check
/// the size against the slice length first); if not, the missing leaves are simply absent.
fn subtree_root(leaf_hashes: &[Hash], lo: u64, hi: u64) -> Hash {
    let range = usize::try_from(lo).ok().zip(usize::try_from(hi).ok()).and_then(|(lo, hi)| leaf_hashes.get(lo..hi));
    root(range.unwrap_or_default())
}

fn check_tree(size: u64, leaf_hashes: &[Hash]) -> Result<(), MerkleError> {
    if size > MAX_TREE_SIZE {
        return Err(MerkleError::TreeTooLarge { size });
    }
    if (leaf_hashes.len() as u64) < size {
        return Err(MerkleError::NotEnoughLeaves { size, available: leaf_hashes.len() });
    }
    Ok(())
}

/// The inclusion proof of leaf `leaf_index` in the tree of the first `tree_size` leaf hashes:
/// `PATH(m, D[n])` of RFC 9162 §2.1.3.1, ordered from the leaf's sibling up to the root's child.
///
/// Hashes the `n − 1` nodes of the sibling subtrees: O(n) time, O(log n) memory.
///
/// # Errors
///
/// [`MerkleError::TreeTooLarge`], [`MerkleError::NotEnoughLeaves`] (`leaf_hashes` shorter than
/// `tree_size`), [`MerkleError::IndexOutOfRange`] (`leaf_index ≥ tree_size`).
pub fn inclusion_proof(leaf_index: u64, tree_size: u64, leaf_hashes: &[Hash]) -> Result<Vec<Hash>, MerkleError> {
    check_tree(tree_size, leaf_hashes)?;
    let ranges = inclusion_ranges(leaf_index, tree_size)?;
    Ok(ranges.into_iter().map(|(lo, hi)| subtree_root(leaf_hashes, lo, hi)).collect())
}

/// The leaf ranges `[lo, hi)` whose `MTH`s make the inclusion proof of leaf `leaf_index` in the
/// tree of `tree_size` leaves, leaf side first: `PATH(m, D[n])` of RFC 9162 §2.1.3.1 without the
/// hashing, so that the hashes can come from a tree's leaves or from its tiles
/// ([`crate::tiles`]).
///
/// # Errors
///
/// [`MerkleError::TreeTooLarge`], [`MerkleError::IndexOutOfRange`] (`leaf_index ≥ tree_size`).
pub fn inclusion_ranges(leaf_index: u64, tree_size: u64) -> Result<Vec<(u64, u64)>, MerkleError> {
    if tree_size > MAX_TREE_SIZE {
        return Err(MerkleError::TreeTooLarge { size: tree_size });
    }
    if leaf_index >= tree_size {
        return Err(MerkleError::IndexOutOfRange { index: leaf_index, size: tree_size });
    }
    // PATH(m, D[lo:hi]) for n = hi − lo > 1: with k the split, recurse into the half holding m and
    // append the other half's MTH. Walking down collects the ranges root-first; reverse at the end.
    let mut path = Vec::new();
    let (mut lo, mut hi) = (0, tree_size);
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if leaf_index < lo + k {
            path.push((lo + k, hi));
            hi = lo + k;
        } else {
            path.push((lo, lo + k));
            lo += k;
        }
    }
    path.reverse();
    Ok(path)
}

/// The consistency proof between the trees of the first `old_size` and the first `new_size` leaf
/// hashes: `PROOF(m, D[n])` of RFC 9162 §2.1.4.1, ordered leaf side first.
///
/// For `old_size == 0` or `old_size == new_size` the proof is empty (the RFC defines `PROOF` for
/// `0 < m < n`; see [`verify_consistency`] for how those cases verify).
///
/// # Errors
///
/// [`MerkleError::TreeTooLarge`], [`MerkleError::NotEnoughLeaves`] (`leaf_hashes` shorter than
/// `new_size`), [`MerkleError::SizesOutOfOrder`] (`old_size > new_size`).
pub fn consistency_proof(old_size: u64, new_size: u64, leaf_hashes: &[Hash]) -> Result<Vec<Hash>, MerkleError> {
    check_tree(new_size, leaf_hashes)?;
    let ranges = consistency_ranges(old_size, new_size)?;
    Ok(ranges.into_iter().map(|(lo, hi)| subtree_root(leaf_hashes, lo, hi)).collect())
}

/// The leaf ranges `[lo, hi)` whose `MTH`s make the consistency proof from `old_size` to
/// `new_size`, leaf side first ([`consistency_proof`] without the hashing).
///
/// # Errors
///
/// [`MerkleError::TreeTooLarge`], [`MerkleError::SizesOutOfOrder`] (`old_size > new_size`).
pub fn consistency_ranges(old_size: u64, new_size: u64) -> Result<Vec<(u64, u64)>, MerkleError> {
    if new_size > MAX_TREE_SIZE {
        return Err(MerkleError::TreeTooLarge { size: new_size });
    }
    if old_size > new_size {
        return Err(MerkleError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    // SUBPROOF(m, D[lo:hi], b):
    //   m == n:  {} if b, else {MTH(D[lo:hi])}
    //   m <= k:  SUBPROOF(m, D[lo:lo+k], b) : MTH(D[lo+k:hi])
    //   m > k:   SUBPROOF(m − k, D[lo+k:hi], false) : MTH(D[lo:lo+k])
    let mut proof = Vec::new();
    let (mut m, mut lo, mut hi, mut complete) = (old_size, 0, new_size, true);
    loop {
        let n = hi - lo;
        if m == n {
            if !complete {
                proof.push((lo, hi));
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            proof.push((lo + k, hi));
            hi = lo + k;
        } else {
            proof.push((lo, lo + k));
            m -= k;
            lo += k;
            complete = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Right-shifts `fn_` and `sn` together until the low bit of `fn_` is set or `fn_` is 0
/// (RFC 9162 §2.1.3.2 step 4b.ii, §2.1.4.2 step 6b.iii).
fn shift_to_set_bit(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// Verifies that `leaf_hash` is leaf `leaf_index` of the tree of `tree_size` leaves whose root is
/// `root`, following RFC 9162 §2.1.3.2 step by step.
///
/// # Errors
///
/// [`MerkleError::IndexOutOfRange`] (step 1), [`MerkleError::TreeTooLarge`],
/// [`MerkleError::ProofTooLong`], [`MerkleError::ProofWrongLength`] (steps 4a and 5: `sn` must reach
/// 0 exactly when the proof ends), [`MerkleError::RootMismatch`] (step 5).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    leaf_index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), MerkleError> {
    if tree_size > MAX_TREE_SIZE {
        return Err(MerkleError::TreeTooLarge { size: tree_size });
    }
    if proof.len() > MAX_PROOF_LEN {
        return Err(MerkleError::ProofTooLong { len: proof.len() });
    }
    // 1. leaf_index ≥ tree_size fails.
    if leaf_index >= tree_size {
        return Err(MerkleError::IndexOutOfRange { index: leaf_index, size: tree_size });
    }
    // 2. fn = leaf_index, sn = tree_size − 1.  3. r = hash.
    let (mut fn_, mut sn) = (leaf_index, tree_size - 1);
    let mut r = *leaf_hash;
    // 4. For each p in the path:
    for p in proof {
        // a. sn == 0: fail.
        if sn == 0 {
            return Err(MerkleError::ProofWrongLength { len: proof.len() });
        }
        // b. LSB(fn) set or fn == sn: r = HASH(0x01 ‖ p ‖ r), then, if LSB(fn) is not set, shift
        //    until it is or fn is 0. Otherwise r = HASH(0x01 ‖ r ‖ p).
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            shift_to_set_bit(&mut fn_, &mut sn);
        } else {
            r = node_hash(&r, p);
        }
        // c. Shift both once.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. sn must be 0 and r must equal the root.
    if sn != 0 {
        return Err(MerkleError::ProofWrongLength { len: proof.len() });
    }
    if r != *root {
        return Err(MerkleError::RootMismatch { computed: r, expected: *root });
    }
    Ok(())
}

/// Verifies that the tree of `new_size` leaves with root `new_root` extends the tree of `old_size`
/// leaves with root `old_root`, following RFC 9162 §2.1.4.2 step by step for `0 < old_size <
/// new_size`.
///
/// The RFC's algorithm covers only `0 < old_size < new_size`; the two remaining cases are decided
/// without hashing and need an empty proof: `old_size == new_size` verifies when the roots are equal,
/// `old_size == 0` when `old_root` is [`empty_root`] (every tree extends the empty one, so `new_root`
/// is not constrained).
///
/// # Errors
///
/// [`MerkleError::SizesOutOfOrder`], [`MerkleError::TreeTooLarge`], [`MerkleError::ProofTooLong`],
/// [`MerkleError::ProofWrongLength`] (steps 1, 6a and 7), [`MerkleError::OldRootMismatch`] and
/// [`MerkleError::RootMismatch`] (step 7).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), MerkleError> {
    if new_size > MAX_TREE_SIZE {
        return Err(MerkleError::TreeTooLarge { size: new_size });
    }
    if old_size > new_size {
        return Err(MerkleError::SizesOutOfOrder { old_size, new_size });
    }
    if proof.len() > MAX_PROOF_LEN {
        return Err(MerkleError::ProofTooLong { len: proof.len() });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(MerkleError::ProofWrongLength { len: proof.len() });
        }
        let expected_old = if old_size == 0 { empty_root() } else { *new_root };
        if *old_root != expected_old {
            return Err(MerkleError::OldRootMismatch { computed: expected_old, expected: *old_root });
        }
        return Ok(());
    }
    // 1. An empty path fails.
    let Some((first, rest)) = proof.split_first() else {
        return Err(MerkleError::ProofWrongLength { len: 0 });
    };
    // 2. If first is an exact power of 2, prepend first_hash to the path.
    let (seed, path) = if old_size.is_power_of_two() { (old_root, proof) } else { (first, rest) };
    // 3. fn = first − 1, sn = second − 1.
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    // 4. If LSB(fn) is set, shift both until it is not.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5. fr = sr = the first value of the path.
    let (mut fr, mut sr) = (*seed, *seed);
    // 6. For each subsequent value c:
    for c in path {
        // a. sn == 0: fail.
        if sn == 0 {
            return Err(MerkleError::ProofWrongLength { len: proof.len() });
        }
        // b. LSB(fn) set or fn == sn: fr = HASH(0x01 ‖ c ‖ fr), sr = HASH(0x01 ‖ c ‖ sr), then, if
        //    LSB(fn) is not set, shift until it is or fn is 0. Otherwise sr = HASH(0x01 ‖ sr ‖ c).
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            shift_to_set_bit(&mut fn_, &mut sn);
        } else {
            sr = node_hash(&sr, c);
        }
        // c. Shift both once.
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7. fr == first_hash, sr == second_hash and sn == 0.
    if sn != 0 {
        return Err(MerkleError::ProofWrongLength { len: proof.len() });
    }
    if fr != *old_root {
        return Err(MerkleError::OldRootMismatch { computed: fr, expected: *old_root });
    }
    if sr != *new_root {
        return Err(MerkleError::RootMismatch { computed: sr, expected: *new_root });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hex: &str) -> Hash {
        Hash::from_hex(hex).unwrap()
    }

    /// The eight leaves of the RFC 6962 test tree used by Certificate Transparency implementations.
    fn leaves() -> Vec<Hash> {
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
            .iter()
            .map(|hex| {
                let bytes: Vec<u8> =
                    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
                leaf_hash(&bytes)
            })
            .collect()
    }

    // Cross-checked with Python's hashlib (not run in CI):
    //
    //   import hashlib
    //   H = lambda b: hashlib.sha256(b).digest()
    //   leaf = lambda d: H(b'\x00' + d)
    //   node = lambda l, r: H(b'\x01' + l + r)
    //   def mth(hs):
    //       if len(hs) == 0: return H(b'')
    //       if len(hs) == 1: return hs[0]
    //       k = 1
    //       while k * 2 < len(hs): k *= 2
    //       return node(mth(hs[:k]), mth(hs[k:]))
    //   ls = [bytes.fromhex(x) for x in ["", "00", "10", "2021", "3031", "40414243",
    //                                    "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
    //   hs = [leaf(l) for l in ls]
    //   [mth(hs[:n]).hex() for n in range(0, 9)]
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    #[test]
    fn empty_tree_root_is_sha256_of_nothing() {
        assert_eq!(empty_root(), h(ROOTS[0]));
        assert_eq!(root(&[]), h(ROOTS[0]));
        assert_eq!(Tree::new().root(), h(ROOTS[0]));
    }

    #[test]
    fn one_leaf_root_is_its_leaf_hash() {
        // leaf("") = SHA-256(0x00) — python: hashlib.sha256(b'\x00').hexdigest()
        assert_eq!(leaf_hash(b""), h(ROOTS[1]));
        assert_eq!(root(&leaves()[..1]), h(ROOTS[1]));
    }

    #[test]
    fn node_hash_is_prefixed_concatenation() {
        let l = leaves();
        assert_eq!(node_hash(&l[0], &l[1]), h(ROOTS[2]));
    }

    #[test]
    fn roots_of_the_rfc6962_test_tree_match_python() {
        let l = leaves();
        let mut tree = Tree::new();
        for n in 0..=8 {
            assert_eq!(root(&l[..n]), h(ROOTS[n]), "root({n})");
            assert_eq!(tree.root(), h(ROOTS[n]), "tree root({n})");
            assert_eq!(tree.size(), n as u64);
            if n < 8 {
                tree.push(l[n]).unwrap();
            }
        }
        assert_eq!(tree.subtree_roots(), &[h(ROOTS[8])]);
    }

    #[test]
    fn inclusion_proofs_match_python() {
        // python: path(0, hs), path(5, hs), path(2, hs[:3]) with PATH of RFC 9162 §2.1.3.1.
        let l = leaves();
        let p0 = inclusion_proof(0, 8, &l).unwrap();
        assert_eq!(
            p0,
            [
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ]
        );
        let p5 = inclusion_proof(5, 8, &l).unwrap();
        assert_eq!(
            p5,
            [
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ]
        );
        assert_eq!(inclusion_proof(2, 3, &l).unwrap(), [h(ROOTS[2])]);
        assert_eq!(inclusion_proof(0, 1, &l).unwrap(), []);
        verify_inclusion(&l[0], 0, 8, &p0, &h(ROOTS[8])).unwrap();
        verify_inclusion(&l[5], 5, 8, &p5, &h(ROOTS[8])).unwrap();
        verify_inclusion(&l[0], 0, 1, &[], &h(ROOTS[1])).unwrap();
    }

    #[test]
    fn consistency_proofs_match_python() {
        // python: sub(m, hs[:n], True) with SUBPROOF of RFC 9162 §2.1.4.1.
        let l = leaves();
        let p68 = consistency_proof(6, 8, &l).unwrap();
        assert_eq!(
            p68,
            [
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ]
        );
        let p25 = consistency_proof(2, 5, &l).unwrap();
        assert_eq!(
            p25,
            [
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ]
        );
        let p37 = consistency_proof(3, 7, &l).unwrap();
        assert_eq!(
            p37,
            [
                h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
                h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
                h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
                h("837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e"),
            ]
        );
        verify_consistency(6, 8, &h(ROOTS[6]), &h(ROOTS[8]), &p68).unwrap();
        verify_consistency(2, 5, &h(ROOTS[2]), &h(ROOTS[5]), &p25).unwrap();
        verify_consistency(3, 7, &h(ROOTS[3]), &h(ROOTS[7]), &p37).unwrap();
        assert!(matches!(
            verify_consistency(6, 8, &h(ROOTS[5]), &h(ROOTS[8]), &p68),
            Err(MerkleError::OldRootMismatch { .. })
        ));
    }

    #[test]
    fn degenerate_consistency_cases() {
        let l = leaves();
        assert_eq!(consistency_proof(0, 8, &l).unwrap(), []);
        assert_eq!(consistency_proof(8, 8, &l).unwrap(), []);
        verify_consistency(0, 8, &h(ROOTS[0]), &h(ROOTS[8]), &[]).unwrap();
        verify_consistency(0, 0, &h(ROOTS[0]), &h(ROOTS[0]), &[]).unwrap();
        verify_consistency(8, 8, &h(ROOTS[8]), &h(ROOTS[8]), &[]).unwrap();
        assert!(verify_consistency(8, 8, &h(ROOTS[7]), &h(ROOTS[8]), &[]).is_err());
        assert!(verify_consistency(0, 8, &h(ROOTS[1]), &h(ROOTS[8]), &[]).is_err());
        assert!(matches!(
            verify_consistency(8, 8, &h(ROOTS[8]), &h(ROOTS[8]), &[h(ROOTS[8])]),
            Err(MerkleError::ProofWrongLength { len: 1 })
        ));
        assert!(matches!(
            verify_consistency(2, 5, &h(ROOTS[2]), &h(ROOTS[5]), &[]),
            Err(MerkleError::ProofWrongLength { len: 0 })
        ));
        assert!(matches!(consistency_proof(5, 4, &l), Err(MerkleError::SizesOutOfOrder { .. })));
        assert!(matches!(
            verify_consistency(5, 4, &h(ROOTS[5]), &h(ROOTS[4]), &[]),
            Err(MerkleError::SizesOutOfOrder { .. })
        ));
    }

    #[test]
    fn bounds_are_enforced() {
        let l = leaves();
        assert_eq!(inclusion_proof(8, 8, &l), Err(MerkleError::IndexOutOfRange { index: 8, size: 8 }));
        assert_eq!(inclusion_proof(0, 9, &l), Err(MerkleError::NotEnoughLeaves { size: 9, available: 8 }));
        assert_eq!(
            inclusion_proof(0, MAX_TREE_SIZE + 1, &l),
            Err(MerkleError::TreeTooLarge { size: MAX_TREE_SIZE + 1 })
        );
        let long = vec![l[0]; MAX_PROOF_LEN + 1];
        assert_eq!(verify_inclusion(&l[0], 0, 8, &long, &l[0]), Err(MerkleError::ProofTooLong { len: 65 }));
        assert_eq!(verify_consistency(3, 8, &l[0], &l[0], &long), Err(MerkleError::ProofTooLong { len: 65 }));
        assert_eq!(verify_inclusion(&l[0], 0, u64::MAX, &[], &l[0]), Err(MerkleError::TreeTooLarge { size: u64::MAX }));
        assert_eq!(verify_inclusion(&l[0], 3, 3, &[], &l[0]), Err(MerkleError::IndexOutOfRange { index: 3, size: 3 }));
        // A proof one hash too long or too short.
        let p = inclusion_proof(5, 8, &l).unwrap();
        let mut longer = p.clone();
        longer.push(l[0]);
        assert_eq!(verify_inclusion(&l[5], 5, 8, &longer, &h(ROOTS[8])), Err(MerkleError::ProofWrongLength { len: 4 }));
        assert_eq!(verify_inclusion(&l[5], 5, 8, &p[..2], &h(ROOTS[8])), Err(MerkleError::ProofWrongLength { len: 2 }));
    }

    #[test]
    fn a_full_tree_refuses_appends_and_stays_unchanged() {
        let roots: Vec<Hash> = (0..40).map(|_| empty_root()).collect();
        let mut full = Tree::from_parts(MAX_TREE_SIZE, vec![empty_root()]).unwrap();
        assert_eq!(full.push(empty_root()), Err(MerkleError::TreeTooLarge { size: MAX_TREE_SIZE + 1 }));
        assert_eq!(full.size(), MAX_TREE_SIZE);
        let almost = Tree::from_parts(MAX_TREE_SIZE - 1, roots);
        assert!(almost.is_ok());
        assert!(matches!(Tree::from_parts(3, vec![empty_root()]), Err(MerkleError::BadCompactRange { .. })));
        assert!(matches!(Tree::from_parts(MAX_TREE_SIZE + 1, vec![]), Err(MerkleError::TreeTooLarge { .. })));
    }

    #[test]
    fn a_tree_resumes_from_its_parts() {
        let l = leaves();
        let mut a = Tree::new();
        for leaf in &l[..5] {
            a.push(*leaf).unwrap();
        }
        let mut b = Tree::from_parts(a.size(), a.subtree_roots().to_vec()).unwrap();
        for leaf in &l[5..] {
            b.push(*leaf).unwrap();
        }
        assert_eq!(b.root(), h(ROOTS[8]));
    }

    #[test]
    fn hash_text_forms() {
        let r = h(ROOTS[8]);
        assert_eq!(r.to_hex(), ROOTS[8]);
        assert_eq!(Hash::from_hex(&ROOTS[8].to_uppercase()), Ok(r));
        assert_eq!(Hash::from_base64(&r.to_base64()), Ok(r));
        assert_eq!(format!("{r:?}"), format!("Hash({})", ROOTS[8]));
        assert_eq!(Hash::from_hex("00"), Err(HashParseError::HexLength { len: 2 }));
        assert_eq!(Hash::from_hex(&"g".repeat(64)), Err(HashParseError::HexDigit));
        assert!(Hash::from_base64("AAAA").is_err());
        let no_pad = r.to_base64().trim_end_matches('=').to_owned();
        assert_eq!(Hash::from_base64(&no_pad), Err(HashParseError::Base64));
        // The last character of a 32-byte base64 carries 2 unused bits: setting one is not canonical.
        let zero = Hash::from_bytes([0; 32]).to_base64();
        assert_eq!(&zero[40..], "AAA=");
        assert_eq!(Hash::from_base64(&format!("{}AAB=", &zero[..40])), Err(HashParseError::Base64));
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(MAX_TREE_SIZE), MAX_TREE_SIZE / 2);
    }
}
