//! Checkpoints (`Checkpoint::parse_body`, C2SP tlog-checkpoint) on arbitrary text, and checkpoints
//! built from arbitrary parts.
//!
//! Checks: nothing panics; a body that parses re-serialises (`to_body`) to exactly the same text
//! (so one checkpoint has one body); a checkpoint built with `Checkpoint::new` from any origin,
//! size and root that it accepts parses back from its body to itself, and, signed, opens with the
//! signer's verifier to itself.
#![no_main]

use custodia_journal::{Checkpoint, Hash, Signer, open_checkpoint};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static SIGNER: LazyLock<Signer> =
    LazyLock::new(|| Signer::from_seed("custodia.example/journal", [7; 32]).expect("a valid key name"));

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(checkpoint) = Checkpoint::parse_body(text)
    {
        assert_eq!(checkpoint.to_body(), text, "a parsed checkpoint re-serialises differently");
    }
    // The same bytes as parts: 8 bytes of size, 32 of root, the rest the origin.
    let (size, rest) = data.split_at(data.len().min(8));
    let (root, origin) = rest.split_at(rest.len().min(32));
    let size = size.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)) >> (data.len() % 24);
    let mut root_bytes = [0u8; 32];
    root_bytes[..root.len()].copy_from_slice(root);
    let Ok(origin) = std::str::from_utf8(origin) else { return };
    let Ok(built) = Checkpoint::new(origin, size, Hash::from(root_bytes)) else { return };
    assert_eq!(Checkpoint::parse_body(&built.to_body()).as_ref(), Ok(&built), "body does not parse back");
    let note = SIGNER.sign_checkpoint(&built);
    assert_eq!(open_checkpoint(&note, &SIGNER.verifier()).as_ref(), Ok(&built), "signed checkpoint does not open");
});
