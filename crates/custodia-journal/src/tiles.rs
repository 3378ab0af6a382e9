//! The journal as a C2SP `tlog-tiles` log: hash tiles, entry bundles, and proofs computed from
//! tiles in O(log n) tile reads (docs/journal.md#tiles).
//!
//! A tile at level `L` and index `N` is the run of up to 256 consecutive Merkle tree hashes at tree
//! height `8·L`, starting at hash `256·N` of that height: at level 0 the leaf hashes, at level 1 the
//! roots of 256 leaves, at level 2 of 65,536 leaves… A *full* tile has 256 hashes (8,192 bytes) and
//! never changes; the rightmost tile of a level is *partial* (1–255 hashes, path suffix `.p/<W>`)
//! until the tree grows past it. Every perfect subtree of height `8·L + r` (`r < 8`) is the root of
//! `2^r` consecutive hashes of one tile of level `L`, so any subtree hash — and so any inclusion or
//! consistency proof — needs at most a few tiles per 8 levels of the tree.
//!
//! Everything here is pure and bounded: a tree has at most [`crate::merkle::MAX_TREE_SIZE`]
//! leaves, so levels run from 0 to [`MAX_LEVEL`]; an entry is at most [`MAX_ENTRY_BYTES`].

use std::collections::HashMap;

use crate::merkle::{self, HASH_LEN, Hash, MerkleError};

/// Tree levels per tile: a tile is a subtree of height 8.
pub const TILE_HEIGHT: u32 = 8;
/// Hashes in a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// The highest tile level a tree of [`crate::merkle::MAX_TREE_SIZE`] (2^40) leaves has.
pub const MAX_LEVEL: u8 = 5;
/// The longest entry an entry bundle can carry (its length is a big-endian `uint16`).
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;
/// The longest tile path accepted (`entries/x…/…/NNN.p/WWW` for any index below 2^40).
pub const MAX_PATH_BYTES: usize = 64;

/// A hash of tile level 1 or above, as a tree completes it ([`crate::merkle::Tree::push_tiled`]):
/// the root of the `index`-th run of 256^`level` leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileHash {
    /// The tile level, at least 1.
    pub level: u8,
    /// The hash's index at its level (hash `index` of tile `index / 256`).
    pub index: u64,
    /// The subtree root.
    pub hash: Hash,
}

/// Hash tiles or entry bundles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// `tile/<L>/<N>[.p/<W>]`: Merkle tree hashes.
    Hashes,
    /// `tile/entries/<N>[.p/<W>]`: the entries (events) of a level-0 tile.
    Entries,
}

/// A tile: level, index within the level, and width (1–256 hashes; 256 is full).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    /// The level, from 0 (leaf hashes) to [`MAX_LEVEL`].
    pub level: u8,
    /// The index within the level.
    pub index: u64,
    /// The number of hashes, 1 to 256.
    pub width: u16,
}

/// Why a tile path, a tile or a tile-based proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    /// The path is not `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]` as C2SP tlog-tiles spells it.
    #[error("malformed tile path {path:?}: {reason}")]
    BadPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The tile does not exist in the tree (beyond its end, or a partial tile of the wrong width).
    #[error("tile {path} is not in the tree of {size} events")]
    NotInTree {
        /// The tile's path.
        path: String,
        /// The tree size.
        size: u64,
    },
    /// A tile's data is not `width` hashes.
    #[error("tile {path} must be {expected} bytes, not {got}")]
    BadTileData {
        /// The tile's path.
        path: String,
        /// Bytes expected.
        expected: usize,
        /// Bytes found.
        got: usize,
    },
    /// A proof needs a tile the caller did not supply.
    #[error("tile {path} is needed and was not supplied")]
    Missing {
        /// The tile's path.
        path: String,
    },
    /// An entry longer than an entry bundle's `uint16` length.
    #[error("an entry of {len} bytes is longer than the 65,535 an entry bundle carries")]
    EntryTooLong {
        /// The entry's length.
        len: usize,
    },
    /// An entry bundle that ends inside an entry.
    #[error("the entry bundle is truncated")]
    TruncatedBundle,
    /// The sizes or index of a proof are out of range.
    #[error(transparent)]
    Merkle(#[from] MerkleError),
}

/// How many hashes of tile level `level` a tree of `size` leaves has.
#[must_use]
pub fn hashes_at_level(level: u8, size: u64) -> u64 {
    size.checked_shr(u32::from(level) * TILE_HEIGHT).unwrap_or(0)
}

impl TileId {
    /// Tile `index` of level `level` as the tree of `size` leaves has it (full, or as wide as the
    /// tree reaches); `None` when the tree has no hash of it.
    #[must_use]
    pub fn in_tree(level: u8, index: u64, size: u64) -> Option<Self> {
        if level > MAX_LEVEL {
            return None;
        }
        let first = index.checked_mul(TILE_WIDTH)?;
        let available = hashes_at_level(level, size).checked_sub(first).filter(|n| *n > 0)?;
        let width = u16::try_from(available.min(TILE_WIDTH)).ok()?;
        Some(Self { level, index, width })
    }

    /// Whether the tile holds 256 hashes (and so never changes).
    #[must_use]
    pub const fn is_full(self) -> bool {
        self.width as u64 == TILE_WIDTH
    }

    /// The index at its level of the tile's first hash.
    #[must_use]
    pub const fn first(self) -> u64 {
        self.index * TILE_WIDTH
    }

    /// Whether the tree of `size` leaves has this tile at exactly this width: full tiles once they
    /// are complete; a partial tile while it is the tree's rightmost one at that width.
    #[must_use]
    pub fn exists_in(self, size: u64) -> bool {
        Self::in_tree(self.level, self.index, size) == Some(self)
    }

    /// `tile/<L>/<N>[.p/<W>]`.
    #[must_use]
    pub fn path(self) -> String {
        format!("tile/{}/{}{}", self.level, encode_index(self.index), self.width_suffix())
    }

    /// `tile/entries/<N>[.p/<W>]` (level 0 only).
    #[must_use]
    pub fn entries_path(self) -> String {
        format!("tile/entries/{}{}", encode_index(self.index), self.width_suffix())
    }

    fn width_suffix(self) -> String {
        if self.is_full() { String::new() } else { format!(".p/{}", self.width) }
    }
}

/// `N` as zero-padded 3-digit path elements, all but the last prefixed with `x`: 1234067 →
/// `x001/x234/067`.
fn encode_index(mut n: u64) -> String {
    let mut parts = vec![format!("{:03}", n % 1000)];
    while n >= 1000 {
        n /= 1000;
        parts.push(format!("x{:03}", n % 1000));
    }
    parts.reverse();
    parts.join("/")
}

/// Parses the part of a tile path after `tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`.
///
/// # Errors
///
/// [`TileError::BadPath`] naming what is wrong.
pub fn parse_path(path: &str) -> Result<(TileKind, TileId), TileError> {
    let bad = |reason| TileError::BadPath { path: path.chars().take(MAX_PATH_BYTES).collect(), reason };
    if path.len() > MAX_PATH_BYTES {
        return Err(bad("longer than any tile path"));
    }
    let (head, width) = match path.split_once(".p/") {
        Some((head, w)) => (head, parse_width(w).ok_or_else(|| bad("the width after .p/ must be 1 to 255"))?),
        None => (path, TILE_WIDTH as u16),
    };
    let (level, digits) = head.split_once('/').ok_or_else(|| bad("expected <L>/<N>"))?;
    let (kind, level) = match level {
        "entries" => (TileKind::Entries, 0),
        _ => (TileKind::Hashes, parse_level(level).ok_or_else(|| bad("the level must be 0 to 5"))?),
    };
    let index =
        parse_index(digits).ok_or_else(|| bad("the index must be 3-digit elements, all but the last x-prefixed"))?;
    Ok((kind, TileId { level, index, width }))
}

fn parse_width(text: &str) -> Option<u16> {
    let width: u16 = plain_decimal(text)?.try_into().ok()?;
    (1..TILE_WIDTH as u16).contains(&width).then_some(width)
}

fn parse_level(text: &str) -> Option<u8> {
    let level: u8 = plain_decimal(text)?.try_into().ok()?;
    (level <= MAX_LEVEL).then_some(level)
}

/// A decimal with no sign and no leading zero (except `0` itself).
fn plain_decimal(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit());
    (digits && (text == "0" || !text.starts_with('0'))).then(|| text.parse().ok()).flatten()
}

fn parse_index(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.split('/').collect();
    let (last, leading) = parts.split_last()?;
    let mut n: u64 = 0;
    for part in leading {
        n = n.checked_mul(1000)?.checked_add(three_digits(part.strip_prefix('x')?)?)?;
    }
    let n = n.checked_mul(1000)?.checked_add(three_digits(last)?)?;
    // The shortest spelling only: no leading `x000/` element.
    leading.first().is_none_or(|p| *p != "x000").then_some(n)
}

fn three_digits(text: &str) -> Option<u64> {
    (text.len() == 3 && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok()).flatten()
}

/// An entry bundle: each entry as a big-endian `uint16` length and its bytes.
///
/// # Errors
///
/// [`TileError::EntryTooLong`] for an entry over [`MAX_ENTRY_BYTES`].
pub fn entry_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>, TileError> {
    let mut out = Vec::new();
    for entry in entries {
        let len = u16::try_from(entry.len()).map_err(|_| TileError::EntryTooLong { len: entry.len() })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// The entries of an entry bundle.
///
/// # Errors
///
/// [`TileError::TruncatedBundle`] when the bytes end inside an entry.
pub fn parse_entry_bundle(mut bytes: &[u8]) -> Result<Vec<&[u8]>, TileError> {
    let mut entries = Vec::new();
    while let Some((len, rest)) = bytes.split_first_chunk::<2>() {
        let len = usize::from(u16::from_be_bytes(*len));
        let entry = rest.get(..len).ok_or(TileError::TruncatedBundle)?;
        entries.push(entry);
        bytes = rest.get(len..).unwrap_or_default();
    }
    if bytes.is_empty() { Ok(entries) } else { Err(TileError::TruncatedBundle) }
}

/// A tile's hashes with every perfect subtree inside it, so that any subtree hash the tile holds
/// is a lookup. Building one costs at most 255 node hashes; a full tile never changes, so callers
/// keep them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileTree {
    id: TileId,
    /// `heights[r]`: the roots of the perfect subtrees of `2^r` consecutive tile hashes that fit
    /// in the tile's width; `heights[0]` are the tile's hashes.
    heights: Vec<Vec<Hash>>,
}

impl TileTree {
    /// The tile `id` with its hashes.
    ///
    /// # Errors
    ///
    /// [`TileError::BadTileData`] unless there are exactly `id.width` hashes.
    pub fn new(id: TileId, hashes: Vec<Hash>) -> Result<Self, TileError> {
        if hashes.len() != usize::from(id.width) {
            return Err(TileError::BadTileData {
                path: id.path(),
                expected: usize::from(id.width) * HASH_LEN,
                got: hashes.len() * HASH_LEN,
            });
        }
        let mut heights = vec![hashes];
        while let Some(below) = heights.last().filter(|h| h.len() >= 2) {
            let above: Vec<Hash> = below.chunks_exact(2).map(merkle::root).collect();
            heights.push(above);
        }
        Ok(Self { id, heights })
    }

    /// A tile from its served bytes (concatenated 32-byte hashes).
    ///
    /// # Errors
    ///
    /// [`TileError::BadTileData`] when the length is not `id.width` hashes.
    pub fn from_bytes(id: TileId, bytes: &[u8]) -> Result<Self, TileError> {
        let expected = usize::from(id.width) * HASH_LEN;
        if bytes.len() != expected {
            return Err(TileError::BadTileData { path: id.path(), expected, got: bytes.len() });
        }
        let hashes = bytes
            .chunks_exact(HASH_LEN)
            .filter_map(|c| <[u8; HASH_LEN]>::try_from(c).ok())
            .map(Hash::from_bytes)
            .collect();
        Self::new(id, hashes)
    }

    /// The tile.
    #[must_use]
    pub const fn id(&self) -> TileId {
        self.id
    }

    /// The tile's hashes, in order.
    #[must_use]
    pub fn hashes(&self) -> &[Hash] {
        self.heights.first().map(Vec::as_slice).unwrap_or_default()
    }

    /// The bytes served: the hashes back to back.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        self.hashes().iter().flat_map(|h| h.to_bytes()).collect()
    }

    /// The root of the perfect subtree of `2^height` tile hashes starting at tile position
    /// `offset · 2^height`, when the tile holds all of it.
    fn node(&self, height: u32, offset: u64) -> Option<Hash> {
        let row = self.heights.get(usize::try_from(height).ok()?)?;
        row.get(usize::try_from(offset).ok()?).copied()
    }
}

/// The tiles a computation may read, by id.
pub type Tiles = HashMap<TileId, TileTree>;

/// Where a proof finds its tiles: a map of owned tiles, or of shared ones (a cache's).
pub trait TileSource {
    /// The tile `id`, if supplied.
    fn tile(&self, id: &TileId) -> Option<&TileTree>;
}

impl TileSource for HashMap<TileId, TileTree> {
    fn tile(&self, id: &TileId) -> Option<&TileTree> {
        self.get(id)
    }
}

impl TileSource for HashMap<TileId, std::sync::Arc<TileTree>> {
    fn tile(&self, id: &TileId) -> Option<&TileTree> {
        self.get(id).map(std::sync::Arc::as_ref)
    }
}

/// The perfect subtrees `(height, first leaf)` whose roots make `MTH(D[lo:hi])`, left to right:
/// RFC 9162's split puts the largest power of two first, and every range a proof asks for starts
/// at a multiple of it.
fn perfect_subtrees(lo: u64, hi: u64) -> Result<Vec<(u32, u64)>, TileError> {
    let mut parts = Vec::new();
    let mut at = lo;
    while at < hi {
        let height = 63 - (hi - at).leading_zeros();
        if !at.is_multiple_of(1 << height) {
            return Err(MerkleError::IndexOutOfRange { index: at, size: hi }.into());
        }
        parts.push((height, at));
        at += 1 << height;
    }
    Ok(parts)
}

/// Where the root of the perfect subtree `(height, first)` lives: its tile in the tree of `size`,
/// the height within the tile, and its offset at that height.
fn locate(height: u32, first: u64, size: u64) -> Option<(TileId, u32, u64)> {
    let level = u8::try_from(height / TILE_HEIGHT).ok()?;
    let within = height % TILE_HEIGHT;
    let at_level = first >> (u32::from(level) * TILE_HEIGHT);
    let tile = TileId::in_tree(level, at_level / TILE_WIDTH, size)?;
    Some((tile, within, (at_level % TILE_WIDTH) >> within))
}

/// The tiles that hold the hashes of these leaf ranges in the tree of `size` leaves.
fn tiles_for(ranges: &[(u64, u64)], size: u64) -> Result<Vec<TileId>, TileError> {
    let mut tiles = Vec::new();
    for &(lo, hi) in ranges {
        for (height, first) in perfect_subtrees(lo, hi)? {
            let (tile, _, _) = locate(height, first, size).ok_or(MerkleError::IndexOutOfRange { index: hi, size })?;
            if !tiles.contains(&tile) {
                tiles.push(tile);
            }
        }
    }
    tiles.sort_unstable();
    Ok(tiles)
}

/// `MTH(D[lo:hi])` of the tree of `size` leaves from its tiles.
///
/// # Errors
///
/// [`TileError::Missing`] when `tiles` lacks a tile the range needs.
pub fn range_hash(tiles: &impl TileSource, lo: u64, hi: u64, size: u64) -> Result<Hash, TileError> {
    let mut roots = Vec::new();
    for (height, first) in perfect_subtrees(lo, hi)? {
        let (tile, within, offset) =
            locate(height, first, size).ok_or(MerkleError::IndexOutOfRange { index: hi, size })?;
        let missing = || TileError::Missing { path: tile.path() };
        roots.push(tiles.tile(&tile).ok_or_else(missing)?.node(within, offset).ok_or_else(missing)?);
    }
    let mut iter = roots.into_iter().rev();
    let last = iter.next().unwrap_or_else(merkle::empty_root);
    Ok(iter.fold(last, |right, left| merkle::node_hash(&left, &right)))
}

/// The tiles an inclusion proof of leaf `index` in the tree of `size` leaves reads, its leaf's
/// tile included.
///
/// # Errors
///
/// [`MerkleError::IndexOutOfRange`] and [`MerkleError::TreeTooLarge`] as for the proof.
pub fn inclusion_tiles(index: u64, size: u64) -> Result<Vec<TileId>, TileError> {
    let mut ranges = merkle::inclusion_ranges(index, size)?;
    ranges.push((index, index + 1));
    tiles_for(&ranges, size)
}

/// The leaf hash of `index` and its inclusion proof (RFC 9162 §2.1.3.1, leaf side first) in the
/// tree of `size` leaves, from the tiles [`inclusion_tiles`] names.
///
/// # Errors
///
/// As [`inclusion_tiles`], and [`TileError::Missing`].
pub fn inclusion_proof(tiles: &impl TileSource, index: u64, size: u64) -> Result<(Hash, Vec<Hash>), TileError> {
    let path = merkle::inclusion_ranges(index, size)?
        .into_iter()
        .map(|(lo, hi)| range_hash(tiles, lo, hi, size))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((range_hash(tiles, index, index + 1, size)?, path))
}

/// The tiles a consistency proof from `old_size` to `new_size` reads.
///
/// # Errors
///
/// [`MerkleError::SizesOutOfOrder`] and [`MerkleError::TreeTooLarge`] as for the proof.
pub fn consistency_tiles(old_size: u64, new_size: u64) -> Result<Vec<TileId>, TileError> {
    tiles_for(&merkle::consistency_ranges(old_size, new_size)?, new_size)
}

/// The consistency proof from `old_size` to `new_size` (RFC 9162 §2.1.4.1, leaf side first), from
/// the tiles [`consistency_tiles`] names.
///
/// # Errors
///
/// As [`consistency_tiles`], and [`TileError::Missing`].
pub fn consistency_proof(tiles: &impl TileSource, old_size: u64, new_size: u64) -> Result<Vec<Hash>, TileError> {
    merkle::consistency_ranges(old_size, new_size)?
        .into_iter()
        .map(|(lo, hi)| range_hash(tiles, lo, hi, new_size))
        .collect()
}

/// The tiles that make the root of the tree of `size` leaves.
///
/// # Errors
///
/// [`MerkleError::TreeTooLarge`].
pub fn root_tiles(size: u64) -> Result<Vec<TileId>, TileError> {
    if size > merkle::MAX_TREE_SIZE {
        return Err(MerkleError::TreeTooLarge { size }.into());
    }
    tiles_for(&[(0, size)], size)
}

/// The root of the tree of `size` leaves, from the tiles [`root_tiles`] names.
///
/// # Errors
///
/// [`TileError::Missing`].
pub fn tree_root(tiles: &impl TileSource, size: u64) -> Result<Hash, TileError> {
    range_hash(tiles, 0, size, size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| merkle::leaf_hash(&i.to_be_bytes())).collect()
    }

    /// Every tile of the tree of `leaves`, built the way the register stores them: level 0 from
    /// the leaf hashes, higher levels from the hashes `push_tiled` reports.
    fn all_tiles(leaves: &[Hash]) -> Tiles {
        let size = leaves.len() as u64;
        let mut tree = merkle::Tree::new();
        let mut higher = Vec::new();
        for leaf in leaves {
            tree.push_tiled(*leaf, &mut higher).unwrap();
        }
        let mut tiles = Tiles::new();
        for level in 0..=MAX_LEVEL {
            let mut index = 0;
            while let Some(id) = TileId::in_tree(level, index, size) {
                let hashes: Vec<Hash> = if level == 0 {
                    leaves[id.first() as usize..][..usize::from(id.width)].to_vec()
                } else {
                    let mut at: Vec<&TileHash> = higher.iter().filter(|h| h.level == level).collect();
                    at.sort_by_key(|h| h.index);
                    at[id.first() as usize..][..usize::from(id.width)].iter().map(|h| h.hash).collect()
                };
                tiles.insert(id, TileTree::new(id, hashes).unwrap());
                index += 1;
            }
        }
        tiles
    }

    #[test]
    fn paths_follow_the_spec_examples() {
        let id = TileId { level: 0, index: 1_234_067, width: 256 };
        assert_eq!(id.path(), "tile/0/x001/x234/067");
        assert_eq!(TileId { width: 7, ..id }.entries_path(), "tile/entries/x001/x234/067.p/7");
        assert_eq!(TileId { level: 2, index: 5, width: 1 }.path(), "tile/2/005.p/1");
        for id in [id, TileId { level: 3, index: 0, width: 1 }, TileId { level: 1, index: 999_999, width: 255 }] {
            assert_eq!(parse_path(id.path().strip_prefix("tile/").unwrap()), Ok((TileKind::Hashes, id)));
            let entries = TileId { level: 0, ..id };
            assert_eq!(
                parse_path(entries.entries_path().strip_prefix("tile/").unwrap()),
                Ok((TileKind::Entries, entries))
            );
        }
        for bad in [
            "0/1",
            "0/0001",
            "00/000",
            "6/000",
            "0/001/002",
            "0/x001",
            "0/000.p/0",
            "0/000.p/256",
            "0/000.p/07",
            "0/x000/001",
            "a/000",
            "0/-01",
            "",
        ] {
            assert!(matches!(parse_path(bad), Err(TileError::BadPath { .. })), "{bad}");
        }
    }

    /// The example of C2SP tlog-tiles: a tree of 70,000 leaves has 273 full level-0 tiles, a
    /// partial one of width 112, one full level-1 tile, a partial one of width 17, and a partial
    /// level-2 tile of width 1.
    #[test]
    fn tile_widths_follow_the_spec_example() {
        let size = 70_000;
        assert!(TileId::in_tree(0, 272, size).is_some_and(TileId::is_full));
        assert_eq!(TileId::in_tree(0, 273, size), Some(TileId { level: 0, index: 273, width: 112 }));
        assert_eq!(TileId::in_tree(0, 274, size), None);
        assert!(TileId::in_tree(1, 0, size).is_some_and(TileId::is_full));
        assert_eq!(TileId::in_tree(1, 1, size), Some(TileId { level: 1, index: 1, width: 17 }));
        assert_eq!(TileId::in_tree(2, 0, size), Some(TileId { level: 2, index: 0, width: 1 }));
        assert_eq!(TileId::in_tree(3, 0, size), None);
        assert_eq!(TileId::in_tree(1, 0, 256), Some(TileId { level: 1, index: 0, width: 1 }));
        assert!(!TileId { level: 0, index: 273, width: 111 }.exists_in(size));
    }

    #[test]
    fn proofs_from_tiles_equal_proofs_from_every_leaf() {
        for size in [1u64, 2, 3, 255, 256, 257, 511, 512, 1000, 65_535, 65_536, 65_537, 70_000] {
            let leaves = leaves(size);
            let tiles = all_tiles(&leaves);
            assert_eq!(tree_root(&tiles, size).unwrap(), merkle::root(&leaves), "root at {size}");
            for index in [0, 1, size / 3, size / 2, size.saturating_sub(2), size - 1].into_iter().filter(|i| *i < size)
            {
                let needed = inclusion_tiles(index, size).unwrap();
                let only: Tiles = needed.iter().map(|id| (*id, tiles[id].clone())).collect();
                let (leaf, path) = inclusion_proof(&only, index, size).unwrap();
                assert_eq!(leaf, leaves[index as usize]);
                assert_eq!(path, merkle::inclusion_proof(index, size, &leaves).unwrap(), "inclusion {index} in {size}");
                assert!(needed.len() <= 2 * (1 + usize::from(MAX_LEVEL)), "{needed:?}");
            }
            for old in [1, size / 2, size.saturating_sub(1), size] {
                let old = old.max(1);
                let needed = consistency_tiles(old, size).unwrap();
                let only: Tiles = needed.iter().map(|id| (*id, tiles[id].clone())).collect();
                assert_eq!(
                    consistency_proof(&only, old, size).unwrap(),
                    merkle::consistency_proof(old, size, &leaves).unwrap(),
                    "consistency {old} → {size}"
                );
            }
        }
    }

    #[test]
    fn a_missing_tile_is_named() {
        let tiles = Tiles::new();
        assert_eq!(inclusion_proof(&tiles, 3, 10), Err(TileError::Missing { path: "tile/0/000.p/10".into() }));
    }

    #[test]
    fn entry_bundles_round_trip_and_refuse_long_entries() {
        let entries: [&[u8]; 3] = [b"{}", b"", &[b'x'; 300]];
        let bundle = entry_bundle(entries).unwrap();
        assert_eq!(&bundle[..4], &[0, 2, b'{', b'}']);
        assert_eq!(parse_entry_bundle(&bundle).unwrap(), entries.to_vec());
        assert_eq!(parse_entry_bundle(&bundle[..bundle.len() - 1]), Err(TileError::TruncatedBundle));
        let long = vec![0u8; MAX_ENTRY_BYTES + 1];
        assert_eq!(entry_bundle([long.as_slice()]), Err(TileError::EntryTooLong { len: MAX_ENTRY_BYTES + 1 }));
    }
}
