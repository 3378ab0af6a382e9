//! Signed checkpoints: a C2SP `tlog-checkpoint` body signed as a C2SP `signed-note` with Ed25519.
//!
//! - **Checkpoint body** (<https://c2sp.org/tlog-checkpoint>, "Note text"): three lines, each ending in
//!   a newline — the origin, the tree size in ASCII decimal without leading zeroes, and the RFC 9162
//!   root hash in standard base64. Extension lines are allowed by the spec but not used by Custodia
//!   and refused here (they would not be covered by consistency proofs).
//! - **Signed note** (<https://c2sp.org/signed-note>, "Format"): the text, a blank line, then one or
//!   more signature lines `— <key name> <base64(key id ‖ signature)>` (U+2014 EM DASH, space). The
//!   Ed25519 signature (RFC 8032) covers the text including its final newline.
//! - **Key id** ("Signatures"): the first four bytes of `SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)`,
//!   `0x01` being the Ed25519 signature type.
//! - **Verifier key**: `<name>+<key id, 8 hex digits>+<base64(0x01 ‖ public key)>`, the encoding of
//!   Go's `golang.org/x/mod/sumdb/note`, which the C2SP ecosystem shares.
//!
//! Notes produced here open with Go's `note.Open` and the reverse; the tests check the reference
//! vector of `sumdb/note` byte for byte.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::merkle::{Hash, MAX_TREE_SIZE};

/// Largest signed note accepted by [`open_note`], in bytes.
pub const MAX_NOTE_BYTES: usize = 64 * 1024;

/// Most signature lines accepted in one note (Go's `sumdb/note` limit; the spec requires at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// Longest key name or checkpoint origin accepted, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// Signature type identifier of Ed25519 in signed notes (C2SP signed-note, "Signature types").
pub const ED25519_SIGNATURE_TYPE: u8 = 0x01;

/// The start of every signature line: U+2014 EM DASH and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Length of an Ed25519 signature.
const SIGNATURE_LEN: usize = 64;

/// Why a checkpoint, key or note was refused. Every message says what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A key name that signed-note forbids: empty, with Unicode spaces, `+`, control characters, or
    /// longer than [`MAX_NAME_BYTES`].
    #[error("invalid key name {name:?}: {reason}")]
    InvalidKeyName {
        /// The name (cut to [`MAX_NAME_BYTES`] bytes).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A checkpoint origin that is empty, too long or contains a control character.
    #[error("invalid checkpoint origin {origin:?}: {reason}")]
    InvalidOrigin {
        /// The origin (cut to [`MAX_NAME_BYTES`] bytes).
        origin: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A verifier key string that does not have the form `<name>+<8 hex digits>+<base64>`.
    #[error("malformed verifier key: {reason}")]
    MalformedVerifierKey {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A verifier key of a signature type other than Ed25519.
    #[error("unsupported signature type 0x{signature_type:02x} in verifier key: only Ed25519 (0x01) is supported")]
    UnsupportedSignatureType {
        /// The type byte found.
        signature_type: u8,
    },
    /// A verifier key whose stated key id is not the one its name and public key give.
    #[error("verifier key id {stated} does not match its name and public key, which give {computed}")]
    VerifierKeyIdMismatch {
        /// Key id in the key string, as 8 hex digits.
        stated: String,
        /// Key id computed from name and public key.
        computed: String,
    },
    /// Note text that cannot be signed: empty, not ending in a newline, or with control characters.
    #[error("note text cannot be signed: {reason}")]
    InvalidNoteText {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A note that is not a well-formed signed note (size, encoding, structure).
    #[error("malformed signed note: {reason}")]
    MalformedNote {
        /// What is wrong with it.
        reason: String,
    },
    /// A signature line that is not `— <key name> <base64>`.
    #[error("malformed signed note, line {line}: {reason}")]
    MalformedSignatureLine {
        /// Line number in the note, from 1.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More than [`MAX_SIGNATURES`] signature lines.
    #[error("signed note has more than {MAX_SIGNATURES} signature lines")]
    TooManySignatures,
    /// A signature line from the trusted key that does not verify: the note was altered or forged.
    #[error(
        "signature by {name}+{key_id} on line {line} does not verify: the note was altered or not signed by this key"
    )]
    BadSignature {
        /// Key name.
        name: String,
        /// Key id, 8 hex digits.
        key_id: String,
        /// Line number in the note, from 1.
        line: usize,
    },
    /// No signature line from the trusted key (name and key id both matching).
    #[error("signed note has no signature by {name}+{key_id}")]
    NoSignatureFromKey {
        /// Key name.
        name: String,
        /// Key id, 8 hex digits.
        key_id: String,
    },
    /// A checkpoint body line that is missing or malformed.
    #[error("checkpoint line {line} ({field}): {reason}")]
    MalformedCheckpoint {
        /// Line number in the body, from 1.
        line: usize,
        /// `origin`, `tree size` or `root hash`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A checkpoint body with extension lines after the root hash.
    #[error("checkpoint has {count} extension line(s) after the root hash; Custodia checkpoints have none")]
    ExtensionLines {
        /// Number of extra lines.
        count: usize,
    },
    /// A tree size above the journal's limit of 2^40 leaves.
    #[error("checkpoint tree size {size} is above the limit of 2^40 leaves")]
    TreeTooLarge {
        /// The size.
        size: u64,
    },
}

/// The first `MAX_NAME_BYTES` bytes of `s` (at a character boundary), for error messages.
fn cut(s: &str) -> String {
    let mut end = s.len().min(MAX_NAME_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default().to_owned()
}

/// Checks a key name against signed-note's rules: non-empty, no Unicode spaces, no `+`; also no
/// ASCII control characters (a note may not contain them) and at most [`MAX_NAME_BYTES`] bytes.
///
/// # Errors
///
/// [`CheckpointError::InvalidKeyName`] saying which rule is broken.
pub fn validate_key_name(name: &str) -> Result<(), CheckpointError> {
    let reason = if name.is_empty() {
        "a key name must not be empty"
    } else if name.len() > MAX_NAME_BYTES {
        "a key name is at most 255 bytes"
    } else if name.chars().any(char::is_whitespace) {
        "a key name must not contain spaces"
    } else if name.contains('+') {
        "a key name must not contain '+'"
    } else if name.bytes().any(|b| b < 0x20) {
        "a key name must not contain control characters"
    } else {
        return Ok(());
    };
    Err(CheckpointError::InvalidKeyName { name: cut(name), reason })
}

fn validate_origin(origin: &str) -> Result<(), CheckpointError> {
    let reason = if origin.is_empty() {
        "the origin must not be empty"
    } else if origin.len() > MAX_NAME_BYTES {
        "the origin is at most 255 bytes"
    } else if origin.bytes().any(|b| b < 0x20) {
        "the origin must not contain control characters or newlines"
    } else {
        return Ok(());
    };
    Err(CheckpointError::InvalidOrigin { origin: cut(origin), reason })
}

/// The signed-note key id of an Ed25519 key: `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`
/// (C2SP signed-note, "Ed25519 signatures").
#[must_use]
pub fn key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', ED25519_SIGNATURE_TYPE])
        .chain_update(public_key)
        .finalize();
    let mut id = [0u8; 4];
    for (dst, src) in id.iter_mut().zip(digest.iter()) {
        *dst = *src;
    }
    id
}

fn hex8(id: [u8; 4]) -> String {
    format!("{:08x}", u32::from_be_bytes(id))
}

/// A log's tree head: origin, size and root hash (C2SP tlog-checkpoint, "Note text").
///
/// Always valid: the origin is non-empty, at most [`MAX_NAME_BYTES`] bytes, without control
/// characters, and the size is at most [`MAX_TREE_SIZE`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
}

impl Checkpoint {
    /// A checkpoint for the tree of `size` leaves with root `root`, issued by `origin`.
    ///
    /// The spec recommends that the origin be a schema-less URL and that the log's key name match
    /// it, e.g. `custodia.example/journal`.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidOrigin`], [`CheckpointError::TreeTooLarge`].
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        let origin = origin.into();
        validate_origin(&origin)?;
        if size > MAX_TREE_SIZE {
            return Err(CheckpointError::TreeTooLarge { size });
        }
        Ok(Self { origin, size, root })
    }

    /// The origin line: the log's identity.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The number of leaves (events) in the tree.
    #[must_use]
    pub const fn size(&self) -> u64 {
        self.size
    }

    /// The RFC 9162 root hash of the tree.
    #[must_use]
    pub const fn root(&self) -> Hash {
        self.root
    }

    /// The note text: `<origin>\n<size>\n<base64 root>\n` (C2SP tlog-checkpoint, "Note text").
    #[must_use]
    pub fn to_body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, self.root.to_base64())
    }

    /// Parses a checkpoint body (the note text, including its final newline).
    ///
    /// Only the three mandatory lines are accepted: extension lines are refused. The tree size must
    /// be ASCII decimal without leading zeroes (`0` for the empty tree) and the root hash canonical
    /// standard base64 of 32 bytes.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::MalformedCheckpoint`] naming the line and field,
    /// [`CheckpointError::ExtensionLines`], [`CheckpointError::InvalidOrigin`],
    /// [`CheckpointError::TreeTooLarge`].
    pub fn parse_body(text: &str) -> Result<Self, CheckpointError> {
        let Some(lines) = text.strip_suffix('\n') else {
            return Err(CheckpointError::MalformedCheckpoint {
                line: text.split('\n').count(),
                field: "root hash",
                reason: "the checkpoint must end with a newline".into(),
            });
        };
        let mut lines = lines.split('\n');
        let missing = |line, field| CheckpointError::MalformedCheckpoint { line, field, reason: "missing".into() };
        let origin = lines.next().ok_or_else(|| missing(1, "origin"))?;
        let size_text = lines.next().ok_or_else(|| missing(2, "tree size"))?;
        let root_text = lines.next().ok_or_else(|| missing(3, "root hash"))?;
        let extra = lines.count();
        if extra > 0 {
            return Err(CheckpointError::ExtensionLines { count: extra });
        }
        if origin.is_empty() {
            return Err(CheckpointError::MalformedCheckpoint {
                line: 1,
                field: "origin",
                reason: "the origin must not be empty".into(),
            });
        }
        validate_origin(origin)?;
        let size = parse_tree_size(size_text)?;
        let root = Hash::from_base64(root_text).map_err(|e| CheckpointError::MalformedCheckpoint {
            line: 3,
            field: "root hash",
            reason: format!("{:?}: {e}", cut(root_text)),
        })?;
        Self::new(origin, size, root)
    }
}

fn parse_tree_size(text: &str) -> Result<u64, CheckpointError> {
    let bad = |reason: String| CheckpointError::MalformedCheckpoint { line: 2, field: "tree size", reason };
    if text.is_empty() {
        return Err(bad("empty".into()));
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("{:?} is not an ASCII decimal number", cut(text))));
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(bad(format!("{:?} has a leading zero", cut(text))));
    }
    match text.parse::<u64>() {
        Ok(size) if size <= MAX_TREE_SIZE => Ok(size),
        // Digits only, so the only parse failure is overflow.
        Ok(size) => Err(CheckpointError::TreeTooLarge { size }),
        Err(_) => Err(bad(format!("{:?} is above the limit of 2^40 leaves", cut(text)))),
    }
}

/// A note signer: an Ed25519 key with its signed-note key name.
///
/// `Debug` shows the name and key id, never the private key.
#[derive(Clone)]
pub struct Signer {
    name: String,
    key: SigningKey,
    id: [u8; 4],
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer").field("name", &self.name).field("key_id", &hex8(self.id)).finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a 32-byte Ed25519 secret key (RFC 8032 §5.1.5 seed) and a key name.
    ///
    /// The crate draws no randomness: the caller supplies 32 bytes from a cryptographically secure
    /// source (e.g. the OS) once, and stores them as the signing key.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidKeyName`] (see [`validate_key_name`]).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, CheckpointError> {
        validate_key_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(Self { name: name.to_owned(), key, id })
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id (see [`key_id`]).
    #[must_use]
    pub const fn key_id(&self) -> [u8; 4] {
        self.id
    }

    /// The 32-byte Ed25519 public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The verifier key string `<name>+<8 hex digits of key id>+<base64(0x01 ‖ public key)>` that
    /// inspectors configure (`custodia journal key`).
    #[must_use]
    pub fn verifier_key(&self) -> String {
        self.verifier().to_string()
    }

    /// The matching [`Verifier`].
    #[must_use]
    pub fn verifier(&self) -> Verifier {
        Verifier { name: self.name.clone(), id: self.id, key: self.key.verifying_key() }
    }

    /// Signs note text: returns the text, a blank line and this key's signature line (C2SP
    /// signed-note, "Format"). The text must be non-empty, end with a newline, contain no control
    /// characters other than newlines, and keep the note within [`MAX_NOTE_BYTES`].
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidNoteText`].
    pub fn sign_note(&self, text: &str) -> Result<String, CheckpointError> {
        let reason = if text.is_empty() {
            "it is empty"
        } else if !text.ends_with('\n') {
            "it must end with a newline"
        } else if text.bytes().any(|b| b < 0x20 && b != b'\n') {
            "it contains a control character other than newline"
        } else if text.len() + self.name.len() + 200 > MAX_NOTE_BYTES {
            "the signed note would exceed 64 KiB"
        } else {
            return Ok(self.sign_unchecked(text));
        };
        Err(CheckpointError::InvalidNoteText { reason })
    }

    fn sign_unchecked(&self, text: &str) -> String {
        let signature: Signature = self.key.sign(text.as_bytes());
        let mut blob = Vec::with_capacity(4 + SIGNATURE_LEN);
        blob.extend_from_slice(&self.id);
        blob.extend_from_slice(&signature.to_bytes());
        format!("{text}\n{SIGNATURE_PREFIX}{} {}\n", self.name, STANDARD.encode(blob))
    }

    /// Signs a checkpoint: its body ([`Checkpoint::to_body`]) as a signed note.
    #[must_use]
    pub fn sign_checkpoint(&self, checkpoint: &Checkpoint) -> String {
        // A valid checkpoint's body is non-empty, newline-terminated, free of control characters
        // and far below the size limit, so `sign_note`'s checks always pass.
        self.sign_unchecked(&checkpoint.to_body())
    }
}

/// A trusted note verifier: key name, key id and Ed25519 public key.
///
/// `Display` writes the verifier key string that [`Verifier::parse`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl fmt::Display for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = [0u8; 33];
        let (alg, key) = material.split_at_mut(1);
        alg.copy_from_slice(&[ED25519_SIGNATURE_TYPE]);
        key.copy_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, hex8(self.id), STANDARD.encode(material))
    }
}

impl Verifier {
    /// Parses a verifier key `<name>+<8 hex digits of key id>+<base64(0x01 ‖ public key)>`.
    ///
    /// The name must be a valid key name, the key id must be the one computed from the name and the
    /// key ([`key_id`]), the type byte must be Ed25519 (`0x01`) followed by a 32-byte public key that
    /// is a valid point of non-small order. Hex digits may be in either case, as Go accepts them.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::MalformedVerifierKey`], [`CheckpointError::InvalidKeyName`],
    /// [`CheckpointError::UnsupportedSignatureType`], [`CheckpointError::VerifierKeyIdMismatch`].
    pub fn parse(key: &str) -> Result<Self, CheckpointError> {
        let malformed = |reason| CheckpointError::MalformedVerifierKey { reason };
        let (name, rest) = key.split_once('+').ok_or(malformed("expected <name>+<key id>+<public key>"))?;
        let (id_hex, material_b64) = rest.split_once('+').ok_or(malformed("expected <name>+<key id>+<public key>"))?;
        validate_key_name(name)?;
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed("the key id must be 8 hex digits"));
        }
        let stated = u32::from_str_radix(id_hex, 16).map_err(|_| malformed("the key id must be 8 hex digits"))?;
        let material = STANDARD.decode(material_b64).map_err(|_| malformed("the public key is not standard base64"))?;
        let (&signature_type, public) = material.split_first().ok_or(malformed("the public key is empty"))?;
        if signature_type != ED25519_SIGNATURE_TYPE {
            return Err(CheckpointError::UnsupportedSignatureType { signature_type });
        }
        let public: [u8; 32] =
            public.try_into().map_err(|_| malformed("an Ed25519 public key is 32 bytes after the type byte"))?;
        let id = key_id(name, &public);
        if u32::from_be_bytes(id) != stated {
            return Err(CheckpointError::VerifierKeyIdMismatch { stated: id_hex.to_owned(), computed: hex8(id) });
        }
        let key =
            VerifyingKey::from_bytes(&public).map_err(|_| malformed("the public key is not a valid Ed25519 point"))?;
        if key.is_weak() {
            return Err(malformed("the public key is a small-order (weak) Ed25519 point"));
        }
        Ok(Self { name: name.to_owned(), id, key })
    }

    /// The key name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    #[must_use]
    pub const fn key_id(&self) -> [u8; 4] {
        self.id
    }

    /// The 32-byte Ed25519 public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; 32] {
        self.key.to_bytes()
    }
}

/// Opens a signed note (C2SP signed-note): checks its form and the signature of `verifier`'s key,
/// and returns the note text (including its final newline).
///
/// Following the spec: the note must be UTF-8 without control characters other than newline; the
/// text ends at the last blank line; every signature line must be well formed; lines from other keys
/// (name or key id differing) are ignored; every line from `verifier`'s key must verify (strict
/// Ed25519, RFC 8032 §5.1.7 with canonical `S` and no small-order keys), and there must be at least
/// one.
///
/// # Errors
///
/// [`CheckpointError::MalformedNote`], [`CheckpointError::MalformedSignatureLine`],
/// [`CheckpointError::TooManySignatures`], [`CheckpointError::BadSignature`],
/// [`CheckpointError::NoSignatureFromKey`].
pub fn open_note<'a>(note: &'a [u8], verifier: &Verifier) -> Result<&'a str, CheckpointError> {
    let malformed = |reason: String| CheckpointError::MalformedNote { reason };
    if note.len() > MAX_NOTE_BYTES {
        return Err(malformed(format!("{} bytes, more than the limit of {MAX_NOTE_BYTES}", note.len())));
    }
    let note =
        std::str::from_utf8(note).map_err(|e| malformed(format!("not valid UTF-8 (at byte {})", e.valid_up_to())))?;
    if let Some((at, c)) = note.char_indices().find(|&(_, c)| u32::from(c) < 0x20 && c != '\n') {
        return Err(malformed(format!("control character U+{:04X} at byte {at}", u32::from(c))));
    }
    let split =
        note.rfind("\n\n").ok_or_else(|| malformed("no blank line between the text and the signature lines".into()))?;
    let (text, signatures) = (note.get(..=split).unwrap_or_default(), note.get(split + 2..).unwrap_or_default());
    let Some(signatures) = signatures.strip_suffix('\n') else {
        return Err(malformed(if signatures.is_empty() {
            "no signature lines after the blank line".into()
        } else {
            "the last signature line must end with a newline".into()
        }));
    };
    // Line numbers for messages: the text's lines, then the blank line.
    let first_line = text.matches('\n').count() + 2;
    let mut verified = false;
    for (i, line) in signatures.split('\n').enumerate() {
        let line_no = first_line + i;
        if i >= MAX_SIGNATURES {
            return Err(CheckpointError::TooManySignatures);
        }
        let bad = |reason| CheckpointError::MalformedSignatureLine { line: line_no, reason };
        let rest = line.strip_prefix(SIGNATURE_PREFIX).ok_or(bad("a signature line starts with \"— \" (U+2014)"))?;
        let (name, blob) = rest.split_once(' ').ok_or(bad("expected \"— <key name> <signature>\""))?;
        if validate_key_name(name).is_err() {
            return Err(bad("invalid key name"));
        }
        if blob.is_empty() {
            return Err(bad("empty signature"));
        }
        let blob = STANDARD.decode(blob).map_err(|_| bad("the signature is not standard base64"))?;
        if blob.len() < 5 {
            return Err(bad("a signature is a 4-byte key id and at least one byte"));
        }
        let (id, signature) = blob.split_at(4);
        if name != verifier.name || id != verifier.id {
            continue; // another key's signature: ignored, as the spec requires
        }
        let failed =
            || CheckpointError::BadSignature { name: verifier.name.clone(), key_id: hex8(verifier.id), line: line_no };
        let signature: [u8; SIGNATURE_LEN] = signature.try_into().map_err(|_| failed())?;
        verifier.key.verify_strict(text.as_bytes(), &Signature::from_bytes(&signature)).map_err(|_| failed())?;
        verified = true;
    }
    if !verified {
        return Err(CheckpointError::NoSignatureFromKey { name: verifier.name.clone(), key_id: hex8(verifier.id) });
    }
    Ok(text)
}

/// Opens a signed checkpoint: [`open_note`] with `verifier`, then [`Checkpoint::parse_body`] of the
/// signed text.
///
/// The caller decides what the origin must be (normally the key name it trusts); it is returned,
/// not checked.
///
/// # Errors
///
/// Any error of [`open_note`] or [`Checkpoint::parse_body`].
pub fn open_checkpoint(note: impl AsRef<[u8]>, verifier: &Verifier) -> Result<Checkpoint, CheckpointError> {
    Checkpoint::parse_body(open_note(note.as_ref(), verifier)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{empty_root, leaf_hash};

    // The reference vector of Go's golang.org/x/mod/sumdb/note (note_test.go, and the signed-note
    // README): private key PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz,
    // i.e. base64(0x01 ‖ seed).
    const GO_SKEY_B64: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_TEXT: &str =
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const GO_NOTE: &str = concat!(
        "If you think cryptography is the answer to your problem,\n",
        "then you don't know what your problem is.\n",
        "\n",
        "\u{2014} PeterNeumann ",
        "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
    );

    fn go_signer() -> Signer {
        let material = STANDARD.decode(GO_SKEY_B64).unwrap();
        assert_eq!(material[0], 0x01);
        Signer::from_seed("PeterNeumann", material[1..].try_into().unwrap()).unwrap()
    }

    fn custodia_signer() -> Signer {
        Signer::from_seed("custodia.example/journal", [42; 32]).unwrap()
    }

    #[test]
    fn go_reference_vector_signs_and_opens_byte_for_byte() {
        let signer = go_signer();
        assert_eq!(signer.verifier_key(), GO_VKEY);
        assert_eq!(hex8(signer.key_id()), "c74f20a3");
        assert_eq!(signer.sign_note(GO_TEXT).unwrap(), GO_NOTE);
        let verifier = Verifier::parse(GO_VKEY).unwrap();
        assert_eq!(verifier, signer.verifier());
        assert_eq!(verifier.to_string(), GO_VKEY);
        assert_eq!(open_note(GO_NOTE.as_bytes(), &verifier).unwrap(), GO_TEXT);
        let altered = GO_NOTE.replace("cryptography", "cryptographY");
        assert!(matches!(open_note(altered.as_bytes(), &verifier), Err(CheckpointError::BadSignature { line: 4, .. })));
    }

    #[test]
    fn checkpoint_round_trip() {
        let signer = custodia_signer();
        let cp = Checkpoint::new("custodia.example/journal", 3, leaf_hash(b"x")).unwrap();
        let note = signer.sign_checkpoint(&cp);
        let body = cp.to_body();
        assert_eq!(body, format!("custodia.example/journal\n3\n{}\n", leaf_hash(b"x").to_base64()));
        assert!(note.starts_with(&format!("{body}\n\u{2014} custodia.example/journal ")));
        assert!(note.ends_with('\n'));
        assert_eq!(note.lines().count(), 5);
        let verifier = Verifier::parse(&signer.verifier_key()).unwrap();
        assert_eq!(open_checkpoint(&note, &verifier).unwrap(), cp);
        assert_eq!(open_checkpoint(note.as_bytes(), &verifier).unwrap(), cp);
        let empty = Checkpoint::new("o", 0, empty_root()).unwrap();
        assert_eq!(open_checkpoint(signer.sign_checkpoint(&empty), &verifier).unwrap(), empty);
    }

    #[test]
    fn signatures_from_other_keys_are_ignored_but_one_from_ours_is_required() {
        let ours = custodia_signer();
        let other = Signer::from_seed("witness.example", [1; 32]).unwrap();
        let same_name_other_key = Signer::from_seed("custodia.example/journal", [2; 32]).unwrap();
        let cp = Checkpoint::new("custodia.example/journal", 1, leaf_hash(b"")).unwrap();
        let body = cp.to_body();
        let line = |s: &Signer| s.sign_note(&body).unwrap()[body.len() + 1..].to_owned();
        let verifier = ours.verifier();
        // Witness line first, then ours: accepted.
        let note = format!("{body}\n{}{}", line(&other), line(&ours));
        assert_eq!(open_checkpoint(&note, &verifier).unwrap(), cp);
        // Only a witness and a same-name different key: no signature from our key.
        let note = format!("{body}\n{}{}", line(&other), line(&same_name_other_key));
        assert_eq!(
            open_checkpoint(&note, &verifier),
            Err(CheckpointError::NoSignatureFromKey {
                name: "custodia.example/journal".into(),
                key_id: hex8(ours.key_id())
            })
        );
        // A valid line from our key plus a forged one from our key: rejected.
        let mut forged = line(&ours);
        forged.replace_range(forged.len() - 6..forged.len() - 4, "AA");
        let note = format!("{body}\n{}{}", line(&ours), forged);
        let err = open_checkpoint(&note, &verifier).unwrap_err();
        assert!(
            matches!(
                err,
                CheckpointError::BadSignature { line: 6, .. } | CheckpointError::MalformedSignatureLine { .. }
            ),
            "{err}"
        );
    }

    #[test]
    fn malformed_notes_are_rejected_precisely() {
        let signer = custodia_signer();
        let verifier = signer.verifier();
        let cp = Checkpoint::new("custodia.example/journal", 7, leaf_hash(b"")).unwrap();
        let note = signer.sign_checkpoint(&cp);
        let sig_line = note.lines().last().unwrap().to_owned();
        let body = cp.to_body();
        let cases: Vec<(String, &str)> = vec![
            (body.clone(), "no blank line"),
            (format!("{body}\n"), "no signature lines"),
            (note.trim_end().to_owned(), "must end with a newline"),
            (note.replace('\u{2014}', "-"), "line 5: a signature line starts with"),
            (format!("{body}\n\u{2014} custodia.example/journal\n"), "line 5: expected"),
            (format!("{body}\n\u{2014} custodia.example/journal \n"), "line 5: empty signature"),
            (format!("{body}\n\u{2014} a+b AAAAAAA=\n"), "line 5: invalid key name"),
            (format!("{body}\n\u{2014} x !!!!\n"), "line 5: the signature is not standard base64"),
            (format!("{body}\n\u{2014} x AAAA\n"), "line 5: a signature is a 4-byte key id"),
            (note.replace("\n7\n", "\n7\r\n"), "control character U+000D"),
            (format!("{note}\n"), "no signature lines"),
        ];
        for (text, expected) in cases {
            let err = open_checkpoint(&text, &verifier).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        let invalid_utf8 = [&note.as_bytes()[..3], &[0xff], &note.as_bytes()[3..]].concat();
        assert!(open_checkpoint(&invalid_utf8, &verifier).unwrap_err().to_string().contains("not valid UTF-8"));
        let huge = format!("{}{note}", "x".repeat(MAX_NOTE_BYTES));
        assert!(open_checkpoint(&huge, &verifier).unwrap_err().to_string().contains("more than the limit"));
        let many = format!("{body}\n{}", format!("{sig_line}\n").repeat(MAX_SIGNATURES + 1));
        assert_eq!(open_checkpoint(&many, &verifier), Err(CheckpointError::TooManySignatures));
        // 99 witness lines (ignored) and ours: at the limit, accepted.
        let witness = Signer::from_seed("witness.example", [3; 32]).unwrap().sign_note(&body).unwrap();
        let witness_line = witness.lines().last().unwrap();
        let enough = format!("{body}\n{}{sig_line}\n", format!("{witness_line}\n").repeat(MAX_SIGNATURES - 1));
        assert_eq!(open_checkpoint(&enough, &verifier), Ok(cp));
    }

    #[test]
    fn checkpoint_bodies_are_parsed_strictly() {
        let root = leaf_hash(b"").to_base64();
        let ok = Checkpoint::parse_body(&format!("o\n10\n{root}\n")).unwrap();
        assert_eq!((ok.origin(), ok.size(), ok.root()), ("o", 10, leaf_hash(b"")));
        let cases: Vec<(String, &str)> = vec![
            (format!("o\n10\n{root}"), "must end with a newline"),
            ("o\n".into(), "line 2 (tree size): missing"),
            ("o\n10\n".into(), "line 3 (root hash): missing"),
            (format!("\n10\n{root}\n"), "line 1 (origin): the origin must not be empty"),
            (format!("o\n010\n{root}\n"), "line 2 (tree size): \"010\" has a leading zero"),
            (format!("o\n+1\n{root}\n"), "not an ASCII decimal number"),
            (format!("o\n 1\n{root}\n"), "not an ASCII decimal number"),
            (format!("o\n\n{root}\n"), "line 2 (tree size): empty"),
            (format!("o\n99999999999999999999\n{root}\n"), "above the limit"),
            (format!("o\n1099511627777\n{root}\n"), "above the limit of 2^40"),
            ("o\n1\nAAAA\n".into(), "line 3 (root hash)"),
            (format!("o\n1\n{}\n", root.trim_end_matches('=')), "line 3 (root hash)"),
            (format!("o\n1\n{root}\nextension\n"), "1 extension line"),
        ];
        for (text, expected) in cases {
            let err = Checkpoint::parse_body(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        assert_eq!(Checkpoint::parse_body(&format!("o\n0\n{root}\n")).unwrap().size(), 0);
        assert_eq!(Checkpoint::parse_body(&format!("o\n1099511627776\n{root}\n")).unwrap().size(), MAX_TREE_SIZE);
    }

    #[test]
    fn key_names_and_origins_are_validated() {
        for (name, reason) in [
            ("", "empty"),
            ("a b", "spaces"),
            ("a\u{a0}b", "spaces"),
            ("a\u{2003}b", "spaces"),
            ("a+b", "'+'"),
            ("a\u{0}b", "control"),
        ] {
            let err = Signer::from_seed(name, [0; 32]).unwrap_err().to_string();
            assert!(err.contains(reason), "{name:?}: {err}");
        }
        assert!(Signer::from_seed(&"n".repeat(256), [0; 32]).is_err());
        assert!(Signer::from_seed(&"n".repeat(255), [0; 32]).is_ok());
        assert!(Checkpoint::new("", 0, empty_root()).is_err());
        assert!(Checkpoint::new("a\nb", 0, empty_root()).is_err());
        assert!(Checkpoint::new("a b+c", 0, empty_root()).is_ok());
        assert_eq!(
            Checkpoint::new("o", MAX_TREE_SIZE + 1, empty_root()),
            Err(CheckpointError::TreeTooLarge { size: MAX_TREE_SIZE + 1 })
        );
    }

    #[test]
    fn note_text_must_be_signable() {
        let s = custodia_signer();
        assert!(s.sign_note("").is_err());
        assert!(s.sign_note("no newline").is_err());
        assert!(s.sign_note("tab\there\n").is_err());
        assert!(s.sign_note(&"x\n".repeat(MAX_NOTE_BYTES / 2)).is_err());
        // A text with an empty line is allowed: the note splits at the last blank line.
        let note = s.sign_note("a\n\nb\n").unwrap();
        assert_eq!(open_note(note.as_bytes(), &s.verifier()).unwrap(), "a\n\nb\n");
    }

    #[test]
    fn verifier_keys_are_parsed_strictly() {
        let vkey = custodia_signer().verifier_key();
        let v = Verifier::parse(&vkey).unwrap();
        assert_eq!(v.name(), "custodia.example/journal");
        assert_eq!(v.public_key(), custodia_signer().public_key());
        let (name, rest) = vkey.split_once('+').unwrap();
        let (id, material) = rest.split_once('+').unwrap();
        let upper = format!("{name}+{}+{material}", id.to_uppercase());
        assert!(Verifier::parse(&upper).is_ok());
        let other_type = {
            let mut m = STANDARD.decode(material).unwrap();
            m[0] = 0x04;
            format!("{name}+{id}+{}", STANDARD.encode(m))
        };
        let short = {
            let m = STANDARD.decode(material).unwrap();
            format!("{name}+{id}+{}", STANDARD.encode(&m[..32]))
        };
        let small_order = {
            // The identity point (y = 1) has order 1. Its key id is computed so that only the weak
            // key check can reject it.
            let mut pk = [0u8; 32];
            pk[0] = 1;
            let mut m = vec![0x01];
            m.extend_from_slice(&pk);
            format!("weak+{}+{}", hex8(key_id("weak", &pk)), STANDARD.encode(m))
        };
        let cases: Vec<(String, &str)> = vec![
            (name.to_owned(), "expected <name>+<key id>+<public key>"),
            (format!("{name}+{id}"), "expected <name>+<key id>+<public key>"),
            (format!("{name}+{}+{material}", &id[..7]), "8 hex digits"),
            (format!("{name}+0x{}+{material}", &id[..6]), "8 hex digits"),
            (format!("{name}+{id}+{}", &material[1..]), "not standard base64"),
            (format!("{name}+{id}+"), "the public key is empty"),
            (format!("other+{id}+{material}"), "does not match its name and public key"),
            (format!("a b+{id}+{material}"), "spaces"),
            (other_type, "unsupported signature type 0x04"),
            (short, "32 bytes"),
            (small_order, "small-order"),
        ];
        for (text, expected) in cases {
            let err = Verifier::parse(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        // Every single-byte alteration of the Go reference key is refused (as Go's own test does).
        let mut b = GO_VKEY.as_bytes().to_vec();
        for i in 0..b.len() {
            b[i] = b[i].wrapping_add(1);
            if let Ok(s) = std::str::from_utf8(&b) {
                assert!(Verifier::parse(s).is_err(), "{s}");
            }
            b[i] = b[i].wrapping_sub(1);
        }
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let s = format!("{:?}", go_signer());
        assert_eq!(s, "Signer { name: \"PeterNeumann\", key_id: \"c74f20a3\", .. }");
    }
}
