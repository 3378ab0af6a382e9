//! Signed notes (C2SP signed-note, Ed25519): `open_note` on arbitrary bytes, `sign_note` on
//! arbitrary text, `Verifier::parse` on arbitrary keys.
//!
//! Checks: nothing panics; a note opens only to a text that is its own prefix and ends with a
//! newline; a key that never signed anything never verifies (no forgery from any input); any text
//! `sign_note` accepts opens back to exactly that text, and changing any one byte of the signed
//! note makes it refused; a verifier key that parses prints as a key that parses to the same
//! verifier.
#![no_main]

use custodia_journal::checkpoint::open_note;
use custodia_journal::{Signer, Verifier};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static SIGNER: LazyLock<Signer> =
    LazyLock::new(|| Signer::from_seed("custodia.example/journal", [7; 32]).expect("a valid key name"));
/// Same name, another key: it signed nothing, so nothing may verify under it.
static STRANGER: LazyLock<Verifier> =
    LazyLock::new(|| Signer::from_seed("custodia.example/journal", [9; 32]).expect("a valid key name").verifier());

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = open_note(data, &SIGNER.verifier()) {
        assert!(text.ends_with('\n') && data.starts_with(text.as_bytes()), "opened text is not the note's prefix");
    }
    assert!(open_note(data, &STRANGER).is_err(), "a note verified under a key that signed nothing");
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(verifier) = Verifier::parse(text) {
        assert_eq!(Verifier::parse(&verifier.to_string()), Ok(verifier.clone()), "{verifier} does not re-parse");
    }
    let Ok(note) = SIGNER.sign_note(text) else { return };
    assert_eq!(open_note(note.as_bytes(), &SIGNER.verifier()), Ok(text), "a signed note does not open to its text");
    let mut tampered = note.into_bytes();
    let at = data.iter().fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(usize::from(*b))) % tampered.len();
    tampered[at] ^= 1 << (data.len() % 8);
    assert!(open_note(&tampered, &SIGNER.verifier()).is_err(), "a note changed at byte {at} still opens");
});
