//! Canonical JSON (`custodia_journal::canonicalize`, RFC 8785 in Custodia's integer profile) on
//! arbitrary JSON text.
//!
//! Checks: nothing panics; the canonical bytes are JSON that means the same value; canonicalising
//! them again gives the same bytes (idempotence), as does canonicalising serde_json's own printing
//! of the value (keys in another order, other escapes); the bytes hold no newline (one event per export line); a refusal
//! is a coded error whose pointer resolves in the value; `canonicalize_into` leaves its buffer
//! unchanged on refusal and appends exactly the canonical bytes on success.
#![no_main]

use custodia_journal::canonical::{CanonicalError, canonicalize_into};
use custodia_journal::canonicalize;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let mut buffer = b"prefix".to_vec();
    let into = canonicalize_into(&value, &mut buffer);
    match canonicalize(&value) {
        Ok(bytes) => {
            assert_eq!(into, Ok(()));
            assert_eq!(
                buffer.strip_prefix(b"prefix"),
                Some(bytes.as_slice()),
                "canonicalize_into appended other bytes"
            );
            assert!(!bytes.contains(&b'\n'), "a newline in canonical bytes");
            let reparsed: Value = serde_json::from_slice(&bytes).expect("canonical bytes are JSON");
            assert_eq!(reparsed, value, "canonical form changed the value");
            assert_eq!(canonicalize(&reparsed).as_deref(), Ok(bytes.as_slice()), "not idempotent");
            let printed = serde_json::to_vec(&value).expect("a parsed value prints");
            let other: Value = serde_json::from_slice(&printed).expect("serde_json reads its own output");
            assert_eq!(canonicalize(&other).as_deref(), Ok(bytes.as_slice()), "another writing, another form");
        }
        Err(error) => {
            assert_eq!(into.as_ref(), Err(&error));
            assert_eq!(buffer, b"prefix", "a refused value left bytes in the buffer");
            let pointer = match &error {
                CanonicalError::NotAnInteger { pointer, .. }
                | CanonicalError::IntegerOutOfRange { pointer, .. }
                | CanonicalError::TooDeep { pointer } => pointer,
            };
            assert!(value.pointer(pointer).is_some(), "{error}: the pointer does not resolve");
        }
    }
});
