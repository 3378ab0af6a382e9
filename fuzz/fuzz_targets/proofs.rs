//! Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4): verification with arbitrary
//! inputs, and with honest proofs that are then tampered with.
//!
//! The input drives both: read as raw parameters (sizes, index, hashes, a proof) it must never
//! panic the verifiers; read as a tree (up to 64 leaves, their data from the input) the proofs
//! `inclusion_proof` and `consistency_proof` make must verify against `root`, and the same
//! verification must fail when the leaf, the index, one proof hash or a root is changed, or the
//! proof loses or gains a hash.
#![no_main]

use custodia_journal::Hash;
use custodia_journal::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    raw(data);
    honest(data);
});

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u64(&mut self) -> u64 {
        let (head, rest) = self.0.split_at(self.0.len().min(8));
        self.0 = rest;
        head.iter().fold(0, |acc, b| acc << 8 | u64::from(*b))
    }
    fn byte(&mut self) -> u8 {
        let (head, rest) = self.0.split_at(self.0.len().min(1));
        self.0 = rest;
        head.first().copied().unwrap_or(0)
    }
    fn hash(&mut self) -> Hash {
        let (head, rest) = self.0.split_at(self.0.len().min(32));
        self.0 = rest;
        let mut bytes = [0u8; 32];
        bytes[..head.len()].copy_from_slice(head);
        Hash::from(bytes)
    }
}

/// Arbitrary sizes, index, hashes and proof: the verifiers answer, never panic.
fn raw(data: &[u8]) {
    let mut input = Input(data);
    let (a, b, leaf, first, second) = (input.u64(), input.u64(), input.hash(), input.hash(), input.hash());
    let mut proof = Vec::new();
    while !input.0.is_empty() {
        proof.push(input.hash());
    }
    let _ = verify_inclusion(&leaf, a, b, &proof, &first);
    let _ = verify_consistency(a, b, &first, &second, &proof);
}

/// A tree from the input, honest proofs, then each kind of tampering.
fn honest(data: &[u8]) {
    let mut input = Input(data);
    let size = u64::from(input.byte() % 64) + 1;
    let (pick_a, pick_b, what, pick_hash) = (input.byte(), input.byte(), input.byte(), input.hash());
    let leaves: Vec<Hash> = (0..size).map(|i| leaf_hash(&[input.0, &i.to_be_bytes()].concat())).collect();
    let top = root(&leaves);
    let index = u64::from(pick_a) % size;
    let proof = inclusion_proof(index, size, &leaves).expect("an index inside the tree has a proof");
    let leaf = leaves[index as usize];
    assert_eq!(verify_inclusion(&leaf, index, size, &proof, &top), Ok(()), "honest inclusion proof refused");
    let other = if pick_hash == leaf { leaf_hash(b"other") } else { pick_hash };
    let refused = |leaf: &Hash, index: u64, proof: &[Hash], root: &Hash| {
        verify_inclusion(leaf, index, size, proof, root).is_err()
    };
    match what % 5 {
        0 => assert!(refused(&other, index, &proof, &top), "another leaf verified"),
        1 if size > 1 => {
            let wrong = (index + 1 + u64::from(pick_b) % (size - 1)) % size;
            assert!(refused(&leaf, wrong, &proof, &top), "leaf {index} verified at {wrong}");
        }
        2 if !proof.is_empty() => {
            let mut bad = proof.clone();
            let at = usize::from(pick_b) % bad.len();
            bad[at] = if bad[at] == other { leaf_hash(b"another") } else { other };
            assert!(refused(&leaf, index, &bad, &top), "a changed proof hash verified");
        }
        3 => assert!(refused(&leaf, index, &proof, &other), "another root verified"),
        _ => {
            let mut longer = proof.clone();
            longer.push(other);
            assert!(refused(&leaf, index, &longer, &top), "a longer proof verified");
            if !proof.is_empty() {
                assert!(refused(&leaf, index, &proof[1..], &top), "a shorter proof verified");
            }
        }
    }
    consistency(&leaves, u64::from(pick_b) % (size + 1), what, other);
}

/// The consistency proof from the first `old` leaves to all of them, honest then tampered.
fn consistency(leaves: &[Hash], old: u64, what: u8, other: Hash) {
    let new = leaves.len() as u64;
    let (old_root, new_root) = (root(&leaves[..old as usize]), root(leaves));
    let proof = consistency_proof(old, new, leaves).expect("sizes in order have a proof");
    assert_eq!(verify_consistency(old, new, &old_root, &new_root, &proof), Ok(()), "honest consistency refused");
    let refused = |old_root: &Hash, new_root: &Hash, proof: &[Hash]| {
        verify_consistency(old, new, old_root, new_root, proof).is_err()
    };
    assert!(refused(&other, &new_root, &proof), "another old root verified");
    // From the empty tree every new root is consistent (docs of `verify_consistency`).
    if old > 0 {
        assert!(refused(&old_root, &other, &proof), "another new root verified");
    }
    match what % 3 {
        0 if !proof.is_empty() => {
            let mut bad = proof.clone();
            let at = usize::from(what) % bad.len();
            bad[at] = if bad[at] == other { leaf_hash(b"another") } else { other };
            assert!(refused(&old_root, &new_root, &bad), "a changed consistency hash verified");
        }
        1 => {
            let mut longer = proof.clone();
            longer.push(other);
            assert!(refused(&old_root, &new_root, &longer), "a longer consistency proof verified");
        }
        _ if !proof.is_empty() => {
            assert!(refused(&old_root, &new_root, &proof[..proof.len() - 1]), "a shorter consistency proof verified");
        }
        _ => {}
    }
}
