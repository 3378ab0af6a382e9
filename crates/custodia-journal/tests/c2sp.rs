//! The journal's tiles, proofs and signed checkpoints read by an independent implementation of the
//! C2SP specifications (Cloudflare's `tlog_tiles` and `signed_note`, ports of Go's
//! `golang.org/x/mod/sumdb`): what a standard transparency-log client would do with Custodia's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;

use custodia_journal::merkle::{self, Hash};
use custodia_journal::tiles::{self, TileHash, TileId, TileTree, Tiles};
use custodia_journal::{Checkpoint, Signer};
use proptest::prelude::*;

/// Every tile of a tree of `size` leaves, as the register stores them.
fn tiled(size: u64, salt: u8) -> (Vec<Hash>, Tiles) {
    let leaves: Vec<Hash> = (0..size).map(|i| merkle::leaf_hash(&[&i.to_be_bytes()[..], &[salt]].concat())).collect();
    let mut tree = merkle::Tree::new();
    let mut higher: Vec<TileHash> = Vec::new();
    for leaf in &leaves {
        tree.push_tiled(*leaf, &mut higher).unwrap();
    }
    let mut by_level: HashMap<u8, Vec<Hash>> = HashMap::new();
    by_level.insert(0, leaves.clone());
    for h in &higher {
        let level = by_level.entry(h.level).or_default();
        assert_eq!(level.len() as u64, h.index, "level-{} hashes arrive in order", h.level);
        level.push(h.hash);
    }
    let mut tiles = Tiles::new();
    for (level, hashes) in &by_level {
        let mut index = 0;
        while let Some(id) = TileId::in_tree(*level, index, size) {
            let start = usize::try_from(id.first()).unwrap();
            let run = hashes[start..start + usize::from(id.width)].to_vec();
            tiles.insert(id, TileTree::new(id, run).unwrap());
            index += 1;
        }
    }
    (leaves, tiles)
}

/// A `tlog_tiles` tile reader over Custodia's tiles, checking that its paths are Custodia's (C2SP
/// spells `tile/<L>/<N>`; the Go-derived library also writes the height, `tile/8/<L>/<N>`).
struct Reader<'a>(&'a Tiles);

impl tlog_tiles::TileReader for Reader<'_> {
    fn height(&self) -> u8 {
        8
    }

    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        let mut out = Vec::new();
        for t in tiles {
            let id = TileId { level: t.level(), index: t.level_index(), width: u16::try_from(t.width()).unwrap() };
            assert_eq!(id.path(), t.path().replacen("tile/8/", "tile/", 1));
            let tile = self.0.get(&id).unwrap_or_else(|| panic!("no tile {}", id.path()));
            out.push(tile.to_bytes());
        }
        Ok(out)
    }

    fn save_tiles(&self, _tiles: &[tlog_tiles::Tile], _data: &[Vec<u8>]) {}
}

fn theirs(h: Hash) -> tlog_tiles::Hash {
    tlog_tiles::Hash(h.to_bytes())
}

fn check(size: u64, index: u64, old: u64, salt: u8) {
    let (leaves, tiles) = tiled(size, salt);
    let root = merkle::root(&leaves);
    let reader = Reader(&tiles);
    let hashes = tlog_tiles::TileHashReader::new(size, theirs(root), &reader);
    assert_eq!(tlog_tiles::tree_hash(size, &hashes).unwrap(), theirs(root), "their root from our tiles");
    assert_eq!(tiles::tree_root(&tiles, size).unwrap(), root);

    let (leaf, path) = tiles::inclusion_proof(&tiles, index, size).unwrap();
    let their_path = tlog_tiles::prove_record(size, index, &hashes).unwrap();
    assert_eq!(path.iter().copied().map(theirs).collect::<Vec<_>>(), their_path, "inclusion {index} in {size}");
    tlog_tiles::check_record(&their_path, size, theirs(root), index, theirs(leaf)).unwrap();

    let proof = tiles::consistency_proof(&tiles, old, size).unwrap();
    let their_proof = tlog_tiles::prove_tree(size, old, &hashes).unwrap();
    assert_eq!(proof.iter().copied().map(theirs).collect::<Vec<_>>(), their_proof, "consistency {old} → {size}");
    let old_root = merkle::root(&leaves[..usize::try_from(old).unwrap()]);
    tlog_tiles::check_tree(&their_proof, size, theirs(root), old, theirs(old_root)).unwrap();
}

#[test]
fn tiles_and_proofs_agree_with_tlog_tiles_at_tile_edges() {
    for size in [1u64, 255, 256, 257, 65_535, 65_536, 65_537, 70_000] {
        for index in [0, size / 2, size - 1] {
            check(size, index, (size / 3).max(1), 7);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn tiles_and_proofs_agree_with_tlog_tiles(size in 1u64..140_000, i in any::<u64>(), o in any::<u64>(), salt in any::<u8>()) {
        check(size, i % size, 1 + o % size, salt);
    }
}

/// The signed checkpoint opens with `signed_note` and parses with `tlog_tiles`'s checkpoint
/// reader: origin, size and root as signed.
#[test]
fn checkpoints_open_with_signed_note_and_parse_as_tlog_checkpoints() {
    let (leaves, _) = tiled(1000, 1);
    let signer = Signer::from_seed("custodia.example/journal", [9; 32]).unwrap();
    let head = Checkpoint::new("custodia.example/journal", 1000, merkle::root(&leaves)).unwrap();
    let note = signer.sign_checkpoint(&head);
    let verifier = signed_note::StandardVerifier::new(&signer.verifier_key()).unwrap();
    let opened = signed_note::Note::from_bytes(note.as_bytes()).unwrap();
    let verifiers = signed_note::VerifierList::new(vec![Box::new(verifier)]);
    let (verified, _) = opened.verify(&verifiers).unwrap();
    assert_eq!(verified.len(), 1);
    let parsed = tlog_tiles::Checkpoint::from_bytes(opened.text()).unwrap();
    assert_eq!(
        (parsed.origin(), parsed.size(), parsed.hash()),
        ("custodia.example/journal", 1000, &theirs(merkle::root(&leaves)))
    );
}
