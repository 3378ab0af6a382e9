//! Properties of the journal's Merkle tree and checkpoints (RFC 9162 §2.1, C2SP signed-note):
//! every generated proof verifies, any flipped bit makes verification fail, and the incremental tree
//! agrees with the recursive definition at every size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use custodia_journal::checkpoint::{Checkpoint, Signer, open_checkpoint};
use custodia_journal::merkle::{
    Hash, MAX_TREE_SIZE, Tree, consistency_proof, empty_root, inclusion_proof, leaf_hash, node_hash, root,
    verify_consistency, verify_inclusion,
};
use proptest::prelude::*;
use proptest::test_runner::Config;

// ---- An independent, recursive transcription of RFC 9162 §2.1 ------------------------------------

fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH(D[n]), §2.1.1.
fn mth(hashes: &[Hash]) -> Hash {
    match hashes.len() {
        0 => empty_root(),
        1 => hashes[0],
        n => {
            let k = split(n);
            node_hash(&mth(&hashes[..k]), &mth(&hashes[k..]))
        }
    }
}

/// PATH(m, D[n]), §2.1.3.1.
fn path(m: usize, hashes: &[Hash]) -> Vec<Hash> {
    let n = hashes.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = path(m, &hashes[..k]);
        p.push(mth(&hashes[k..]));
        p
    } else {
        let mut p = path(m - k, &hashes[k..]);
        p.push(mth(&hashes[..k]));
        p
    }
}

/// SUBPROOF(m, D[n], b), §2.1.4.1.
fn subproof(m: usize, hashes: &[Hash], b: bool) -> Vec<Hash> {
    let n = hashes.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(hashes)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &hashes[..k], b);
        p.push(mth(&hashes[k..]));
        p
    } else {
        let mut p = subproof(m - k, &hashes[k..], false);
        p.push(mth(&hashes[..k]));
        p
    }
}

// ---- Helpers -----------------------------------------------------------------------------------

fn flip_hash(h: &Hash, bit: usize) -> Hash {
    let mut bytes = h.to_bytes();
    bytes[(bit / 8) % 32] ^= 1 << (bit % 8);
    Hash::from_bytes(bytes)
}

/// A pseudo-random number from a seed and a position, so that one proptest case can flip a different
/// bit for every index it checks (splitmix64).
fn mix(seed: u64, i: u64) -> usize {
    let mut z = seed.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as usize
}

fn leaves() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..=300)
}

/// Roots of the tree at every size 0..=n, from the incremental tree.
fn roots_at_every_size(hashes: &[Hash]) -> Vec<Hash> {
    let mut tree = Tree::new();
    let mut roots = vec![tree.root()];
    for h in hashes {
        tree.push(*h).unwrap();
        roots.push(tree.root());
    }
    roots
}

// ---- Properties ----------------------------------------------------------------------------------

// Case counts keep the debug-build suite to a few seconds: each proof case checks every index or
// every old size of a tree of up to 300 leaves, thousands of verifications.

proptest! {
    #![proptest_config(Config::with_cases(32))]

    /// The incremental tree's root equals `root()` of the same prefix at every size, and both equal
    /// the recursive MTH; resuming from the compact range changes nothing.
    #[test]
    fn incremental_roots_equal_root_at_every_size(data in leaves(), cut in any::<prop::sample::Index>()) {
        let hashes: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        let roots = roots_at_every_size(&hashes);
        for (n, r) in roots.iter().enumerate() {
            prop_assert_eq!(*r, root(&hashes[..n]), "size {}", n);
        }
        prop_assert_eq!(roots[hashes.len()], mth(&hashes));
        let c = cut.index(hashes.len() + 1);
        prop_assert_eq!(roots[c], mth(&hashes[..c]));
        let mut head = Tree::new();
        for h in &hashes[..c] {
            head.push(*h).unwrap();
        }
        let mut resumed = Tree::from_parts(head.size(), head.subtree_roots().to_vec()).unwrap();
        for h in &hashes[c..] {
            resumed.push(*h).unwrap();
        }
        prop_assert_eq!(resumed.root(), roots[hashes.len()]);
    }
}

proptest! {
    #![proptest_config(Config::with_cases(16))]

    /// Every inclusion proof verifies; a flipped bit in the leaf, in any proof hash or in the root
    /// makes it fail.
    #[test]
    fn every_inclusion_proof_verifies_and_every_flip_fails(data in leaves(), seed in any::<u64>()) {
        let hashes: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        let n = hashes.len();
        let size = n as u64;
        let r = root(&hashes);
        let sampled = mix(seed, 0) % n;
        prop_assert_eq!(inclusion_proof(sampled as u64, size, &hashes).unwrap(), path(sampled, &hashes));
        for i in 0..n {
            let index = i as u64;
            let proof = inclusion_proof(index, size, &hashes).unwrap();
            prop_assert!(proof.len() <= 9);
            prop_assert_eq!(verify_inclusion(&hashes[i], index, size, &proof, &r), Ok(()));

            // A flipped bit in the leaf's data (an empty leaf: in its hash).
            let altered_leaf = if data[i].is_empty() {
                flip_hash(&hashes[i], mix(seed, index))
            } else {
                let mut d = data[i].clone();
                let bit = mix(seed, index) % (d.len() * 8);
                d[bit / 8] ^= 1 << (bit % 8);
                leaf_hash(&d)
            };
            prop_assert!(verify_inclusion(&altered_leaf, index, size, &proof, &r).is_err());
            // A flipped bit in the root.
            let bad_root = flip_hash(&r, mix(seed, index + 1));
            prop_assert!(verify_inclusion(&hashes[i], index, size, &proof, &bad_root).is_err());
            // A flipped bit in every proof hash.
            for j in 0..proof.len() {
                let mut bad = proof.clone();
                bad[j] = flip_hash(&bad[j], mix(seed, index + j as u64 + 2));
                prop_assert!(verify_inclusion(&hashes[i], index, size, &bad, &r).is_err());
            }
            // A proof with a hash missing or added.
            if let Some((_, shorter)) = proof.split_last() {
                prop_assert!(verify_inclusion(&hashes[i], index, size, shorter, &r).is_err());
            }
            let mut longer = proof.clone();
            longer.push(r);
            prop_assert!(verify_inclusion(&hashes[i], index, size, &longer, &r).is_err());
        }
    }

    /// Every consistency proof from every old size to the new size verifies; a flipped bit in any
    /// proof hash, the old root or the new root makes it fail.
    #[test]
    fn every_consistency_proof_verifies_and_every_flip_fails(data in leaves(), seed in any::<u64>()) {
        let hashes: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
        let n = hashes.len();
        let roots = roots_at_every_size(&hashes);
        let new_root = roots[n];
        let sampled = 1 + mix(seed, 0) % n;
        if sampled < n {
            let generated = consistency_proof(sampled as u64, n as u64, &hashes).unwrap();
            prop_assert_eq!(generated, subproof(sampled, &hashes, true));
        }
        for m in 0..=n {
            let (old, new) = (m as u64, n as u64);
            let proof = consistency_proof(old, new, &hashes).unwrap();
            prop_assert!(proof.len() <= 10);
            prop_assert_eq!(verify_consistency(old, new, &roots[m], &new_root, &proof), Ok(()), "{} -> {}", m, n);
            let bad_old = flip_hash(&roots[m], mix(seed, old));
            prop_assert!(verify_consistency(old, new, &bad_old, &new_root, &proof).is_err());
            if m > 0 {
                // (From the empty tree every new root is consistent: there is nothing to check.)
                let bad_new = flip_hash(&new_root, mix(seed, old + 1));
                prop_assert!(verify_consistency(old, new, &roots[m], &bad_new, &proof).is_err());
            }
            for j in 0..proof.len() {
                let mut bad = proof.clone();
                bad[j] = flip_hash(&bad[j], mix(seed, old + j as u64 + 2));
                let result = verify_consistency(old, new, &roots[m], &new_root, &bad);
                prop_assert!(result.is_err(), "{} -> {} hash {}", m, n, j);
            }
            if let Some((_, shorter)) = proof.split_last() {
                prop_assert!(verify_consistency(old, new, &roots[m], &new_root, shorter).is_err());
            }
            let mut longer = proof.clone();
            longer.push(new_root);
            prop_assert!(verify_consistency(old, new, &roots[m], &new_root, &longer).is_err());
            // The proof for m does not prove consistency with a different old size's root.
            if m > 0 && m < n && roots[m - 1] != roots[m] {
                prop_assert!(verify_consistency(old, new, &roots[m - 1], &new_root, &proof).is_err());
            }
        }
    }
}

proptest! {
    #![proptest_config(Config::with_cases(64))]

    /// A signed checkpoint opens to itself; a flipped bit anywhere in the note — the body, the
    /// signature line's text — or in the signature's bytes makes opening fail.
    #[test]
    fn signed_checkpoints_open_and_every_flip_fails(
        origin in "[a-z0-9]{1,12}\\.example/[a-z0-9/._-]{0,20}",
        size in 0..=MAX_TREE_SIZE,
        root_bytes in any::<[u8; 32]>(),
        seed in any::<[u8; 32]>(),
        body_bit in any::<prop::sample::Index>(),
        note_bit in any::<prop::sample::Index>(),
        signature_bit in 0usize..(64 * 8),
    ) {
        let signer = Signer::from_seed(&origin, seed).unwrap();
        let verifier = signer.verifier();
        let checkpoint = Checkpoint::new(origin.clone(), size, Hash::from_bytes(root_bytes)).unwrap();
        let note = signer.sign_checkpoint(&checkpoint);
        prop_assert_eq!(open_checkpoint(&note, &verifier), Ok(checkpoint.clone()));

        // Any bit of the body.
        let body_len = checkpoint.to_body().len();
        let mut altered = note.clone().into_bytes();
        let bit = body_bit.index(body_len * 8);
        altered[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(open_checkpoint(&altered, &verifier).is_err());

        // Any bit of the whole note.
        let mut altered = note.clone().into_bytes();
        let bit = note_bit.index(altered.len() * 8);
        altered[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(open_checkpoint(&altered, &verifier).is_err());

        // Any bit of the Ed25519 signature, re-encoded as valid base64.
        let (head, blob) = note.trim_end().rsplit_once(' ').unwrap();
        let mut bytes = STANDARD.decode(blob).unwrap();
        prop_assert_eq!(bytes.len(), 68);
        bytes[4 + signature_bit / 8] ^= 1 << (signature_bit % 8);
        let forged = format!("{head} {}\n", STANDARD.encode(&bytes));
        prop_assert!(open_checkpoint(&forged, &verifier).is_err());
    }
}

/// Every single-bit flip of one signed note is refused, whatever it hits.
#[test]
fn every_single_bit_flip_of_a_note_is_refused() {
    // Short names keep the number of flips (each a signature check in an unoptimised build) down.
    let signer = Signer::from_seed("c.example", [9; 32]).unwrap();
    let verifier = signer.verifier();
    let checkpoint = Checkpoint::new("c.example", 1_234_567, leaf_hash(b"event")).unwrap();
    let note = signer.sign_checkpoint(&checkpoint).into_bytes();
    assert_eq!(open_checkpoint(&note, &verifier), Ok(checkpoint));
    for bit in 0..note.len() * 8 {
        let mut altered = note.clone();
        altered[bit / 8] ^= 1 << (bit % 8);
        assert!(open_checkpoint(&altered, &verifier).is_err(), "bit {bit} of byte {:?}", note[bit / 8] as char);
    }
}
