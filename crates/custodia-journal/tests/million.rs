//! One million leaves: the incremental tree gives the root Python's `hashlib` gives, fast.
//!
//! The timing is asserted only in release builds (`cargo test --release -p custodia-journal --test
//! million -- --nocapture`); debug builds check the root alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
// Measuring needs the clock; the library itself never reads it.
#![allow(clippy::disallowed_methods, clippy::print_stderr)]

use std::time::{Duration, Instant};

use custodia_journal::merkle::{Hash, Tree, leaf_hash, root};

const LEAVES: u64 = 1_000_000;

// Cross-checked with Python's hashlib (not run in CI):
//
//   import hashlib
//   H = lambda b: hashlib.sha256(b).digest()
//   leaf = lambda d: H(b'\x00' + d)
//   node = lambda l, r: H(b'\x01' + l + r)
//   stack = []
//   for i in range(1_000_000):
//       h, n = leaf(i.to_bytes(8, 'big')), i
//       while n & 1:
//           h, n = node(stack.pop(), h), n >> 1
//       stack.append(h)
//   r = stack[-1]
//   for s in reversed(stack[:-1]):
//       r = node(s, r)
//   r.hex()
const ROOT_1M: &str = "8ed0805dba1b06ac61a0a2fd76302bbdff69af7305fe8dd16e1dd05ce3ea3295";

#[test]
fn a_million_leaf_root_matches_python_and_takes_well_under_a_second() {
    let start = Instant::now();
    let mut tree = Tree::new();
    for i in 0..LEAVES {
        tree.push(leaf_hash(&i.to_be_bytes())).unwrap();
    }
    let incremental = tree.root();
    let elapsed = start.elapsed();
    eprintln!("1,000,000 leaves (leaf hash + append) and root: {elapsed:?}");
    assert_eq!(incremental, Hash::from_hex(ROOT_1M).unwrap());

    let leaves: Vec<Hash> = (0..LEAVES).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let start = Instant::now();
    let from_slice = root(&leaves);
    eprintln!("root() of 1,000,000 leaf hashes: {:?}", start.elapsed());
    assert_eq!(from_slice, incremental);

    if !cfg!(debug_assertions) {
        assert!(elapsed < Duration::from_millis(500), "1M leaves took {elapsed:?}");
    }
}
