//! Large trees: the incremental tree gives the root Python's `hashlib` gives.
//!
//! Debug builds, as CI runs them, check a 65,537-leaf tree so the suite stays quick (unoptimised
//! SHA-256 is about 25 times slower); release builds check a million leaves. Timing is measured by
//! `bench/journal.sh`, never asserted here (machines are noisy).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use custodia_journal::merkle::{Hash, Tree, leaf_hash, root};

// Roots of the trees whose leaf `i` is the 8-byte big-endian encoding of `i`, cross-checked with
// Python's hashlib (not run in CI):
//
//   import hashlib
//   H = lambda b: hashlib.sha256(b).digest()
//   leaf = lambda d: H(b'\x00' + d)
//   node = lambda l, r: H(b'\x01' + l + r)
//   def root(count):
//       stack = []
//       for i in range(count):
//           h, n = leaf(i.to_bytes(8, 'big')), i
//           while n & 1:
//               h, n = node(stack.pop(), h), n >> 1
//           stack.append(h)
//       r = stack[-1]
//       for s in reversed(stack[:-1]):
//           r = node(s, r)
//       return r.hex()
//   root(1_000_000), root(65_537)
const ROOT_1M: &str = "8ed0805dba1b06ac61a0a2fd76302bbdff69af7305fe8dd16e1dd05ce3ea3295";
const ROOT_65537: &str = "a901bb447a4b4c361cdf559658f27f24a8a3ebbc49257c472efe950932d4853a";

#[test]
fn a_large_tree_root_matches_python() {
    let (count, expected) = if cfg!(debug_assertions) { (65_537, ROOT_65537) } else { (1_000_000, ROOT_1M) };
    let mut tree = Tree::new();
    for i in 0..count {
        tree.push(leaf_hash(&u64::to_be_bytes(i))).unwrap();
    }
    let incremental = tree.root();
    assert_eq!(incremental, Hash::from_hex(expected).unwrap());
    let leaves: Vec<Hash> = (0..count).map(|i| leaf_hash(&u64::to_be_bytes(i))).collect();
    assert_eq!(root(&leaves), incremental);
}
