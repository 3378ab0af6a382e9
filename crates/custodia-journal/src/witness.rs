//! Witnesses (docs/journal.md#witnesses): C2SP `tlog-cosignature` (Ed25519, `cosignature/v1`)
//! and the checks of a C2SP `tlog-witness` `add-checkpoint` request, pure.
//!
//! A witness — run by the sending state or an inspection body — keeps, per log, the last
//! checkpoint it cosigned. Offered a newer checkpoint with a consistency proof from that one, it
//! cosigns only if the log signed it and the proof shows the new tree extends the old: a register
//! that showed one history to one witness cannot get another history cosigned by the same witness,
//! and a verifier that requires cosignatures from k of n witnesses sees the same history as they
//! did.
//!
//! A cosignature is a signed-note signature line `— <witness name> base64(key id ‖ timestamp ‖
//! signature)`: the key id is `SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4]`, the timestamp a
//! big-endian `u64` of POSIX seconds, and the Ed25519 signature covers `cosignature/v1\n`,
//! `time <timestamp>\n` and the checkpoint's body.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::checkpoint::{Checkpoint, CheckpointError, MAX_SIGNATURES, Verifier, open_checkpoint, validate_key_name};
use crate::merkle::{self, Hash, MAX_PROOF_LEN};

/// The signature type of Ed25519 cosignatures (C2SP tlog-cosignature).
pub const COSIGNATURE_TYPE: u8 = 0x04;
/// The longest `add-checkpoint` request body accepted.
pub const MAX_REQUEST_BYTES: usize = 80 * 1024;
/// The most consistency proof lines a request may carry (C2SP tlog-witness).
pub const MAX_PROOF_LINES: usize = 63;

const PREFIX: &str = "\u{2014} ";

fn cosigner_key_id(name: &str, public_key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([COSIGNATURE_TYPE]);
    h.update(public_key);
    let digest = h.finalize();
    let mut id = [0u8; 4];
    id.copy_from_slice(digest.get(..4).unwrap_or(&[0; 4]));
    id
}

fn hex8(id: [u8; 4]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// The message a cosignature signs: the header, the timestamp line and the checkpoint's body.
fn message(body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

/// A witness's signing key with its name. `Debug` never shows the key.
#[derive(Clone)]
pub struct Cosigner {
    name: String,
    key: SigningKey,
    id: [u8; 4],
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cosigner").field("name", &self.name).field("key_id", &hex8(self.id)).finish_non_exhaustive()
    }
}

impl Cosigner {
    /// A cosigner from a 32-byte Ed25519 seed and its name (a schema-less URL, e.g.
    /// `witness.example/w1`).
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidKeyName`].
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, CheckpointError> {
        validate_key_name(name)?;
        let key = SigningKey::from_bytes(&seed);
        let id = cosigner_key_id(name, key.verifying_key().as_bytes());
        Ok(Self { name: name.to_owned(), key, id })
    }

    /// The name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key `<name>+<8 hex digits of key id>+<base64(0x04 ‖ public key)>`.
    #[must_use]
    pub fn verifier_key(&self) -> String {
        self.verifier().to_string()
    }

    /// The matching verifier.
    #[must_use]
    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier { name: self.name.clone(), id: self.id, key: self.key.verifying_key() }
    }

    /// The cosignature line (with its newline) over a checkpoint body at `timestamp`.
    #[must_use]
    pub fn cosign(&self, body: &str, timestamp: u64) -> String {
        let signature: Signature = self.key.sign(message(body, timestamp).as_bytes());
        let mut blob = Vec::with_capacity(4 + 8 + 64);
        blob.extend_from_slice(&self.id);
        blob.extend_from_slice(&timestamp.to_be_bytes());
        blob.extend_from_slice(&signature.to_bytes());
        format!("{PREFIX}{} {}\n", self.name, STANDARD.encode(blob))
    }
}

/// A witness's public key with its name, as a verifier configures it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    id: [u8; 4],
    key: VerifyingKey,
}

impl fmt::Display for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut material = vec![COSIGNATURE_TYPE];
        material.extend_from_slice(self.key.as_bytes());
        write!(f, "{}+{}+{}", self.name, hex8(self.id), STANDARD.encode(material))
    }
}

impl CosignatureVerifier {
    /// Parses `<name>+<8 hex digits>+<base64(0x04 ‖ public key)>`.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::MalformedVerifierKey`], [`CheckpointError::InvalidKeyName`],
    /// [`CheckpointError::UnsupportedSignatureType`], [`CheckpointError::VerifierKeyIdMismatch`].
    pub fn parse(key: &str) -> Result<Self, CheckpointError> {
        let malformed = |reason| CheckpointError::MalformedVerifierKey { reason };
        let (name, rest) = key.split_once('+').ok_or(malformed("expected <name>+<key id>+<public key>"))?;
        let (id_hex, material) = rest.split_once('+').ok_or(malformed("expected <name>+<key id>+<public key>"))?;
        validate_key_name(name)?;
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed("the key id must be 8 hex digits"));
        }
        let material = STANDARD.decode(material).map_err(|_| malformed("the public key is not standard base64"))?;
        let (kind, public) = material.split_first().ok_or(malformed("the public key is empty"))?;
        if *kind != COSIGNATURE_TYPE {
            return Err(CheckpointError::UnsupportedSignatureType { signature_type: *kind });
        }
        let public: [u8; 32] = public.try_into().map_err(|_| malformed("an Ed25519 public key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| malformed("not a valid Ed25519 public key"))?;
        if key.is_weak() {
            return Err(malformed("not a valid Ed25519 public key"));
        }
        let id = cosigner_key_id(name, &public);
        if !hex8(id).eq_ignore_ascii_case(id_hex) {
            return Err(CheckpointError::VerifierKeyIdMismatch { stated: id_hex.to_owned(), computed: hex8(id) });
        }
        Ok(Self { name: name.to_owned(), id, key })
    }

    /// The witness's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The timestamp of this witness's valid cosignature in `note` (a checkpoint body, a blank
    /// line and signature lines), if it has one. Lines of other keys are ignored; a line of this
    /// key that does not verify is not counted.
    #[must_use]
    pub fn cosigned_at(&self, note: &str) -> Option<u64> {
        let (body, lines) = split_note(note)?;
        lines.into_iter().find_map(|line| self.verify_line(body, line))
    }

    /// The timestamp of a cosignature line by this witness over `body`, if it verifies.
    #[must_use]
    pub fn verify_line(&self, body: &str, line: &str) -> Option<u64> {
        let rest = line.strip_suffix('\n').unwrap_or(line).strip_prefix(PREFIX)?;
        let (name, blob) = rest.split_once(' ')?;
        if name != self.name {
            return None;
        }
        let blob = STANDARD.decode(blob).ok()?;
        let (id, rest) = blob.split_first_chunk::<4>()?;
        let (timestamp, signature) = rest.split_first_chunk::<8>()?;
        if *id != self.id {
            return None;
        }
        let signature: [u8; 64] = signature.try_into().ok()?;
        let timestamp = u64::from_be_bytes(*timestamp);
        let signed = message(body, timestamp);
        self.key.verify_strict(signed.as_bytes(), &Signature::from_bytes(&signature)).ok().map(|()| timestamp)
    }
}

/// A signed note's body (with its final newline) and its signature lines.
fn split_note(note: &str) -> Option<(&str, Vec<&str>)> {
    let split = note.rfind("\n\n")?;
    let body = note.get(..=split)?;
    let lines: Vec<&str> = note.get(split + 2..)?.lines().take(MAX_SIGNATURES).collect();
    Some((body, lines))
}

/// How many of `witnesses` cosigned `note`, and which did not.
#[must_use]
pub fn count_cosignatures<'a>(note: &str, witnesses: &'a [CosignatureVerifier]) -> (usize, Vec<&'a str>) {
    let mut missing = Vec::new();
    let mut count = 0;
    for w in witnesses {
        if w.cosigned_at(note).is_some() {
            count += 1;
        } else {
            missing.push(w.name());
        }
    }
    (count, missing)
}

/// Why a witness refuses an `add-checkpoint` request, with the HTTP status C2SP tlog-witness
/// assigns to each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// 400: a malformed request, or an old size above the checkpoint's.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 403: no valid signature of the log's key.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 404: a log the witness does not know.
    #[error("unknown log origin {0:?}")]
    UnknownOrigin(String),
    /// 409: the old size is not the size of the last checkpoint cosigned for the log.
    #[error("conflict: the last checkpoint cosigned for this log has {0} events")]
    Conflict(u64),
    /// 422: the proof does not show that the new tree extends the old one (a fork).
    #[error("unprocessable: {0}")]
    Unprocessable(String),
}

impl WitnessError {
    /// The HTTP status of the refusal.
    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Forbidden(_) => 403,
            Self::UnknownOrigin(_) => 404,
            Self::Conflict(_) => 409,
            Self::Unprocessable(_) => 422,
        }
    }
}

/// A parsed `add-checkpoint` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddCheckpoint<'a> {
    /// The size of the last checkpoint the client believes the witness cosigned.
    pub old_size: u64,
    /// The consistency proof from `old_size` to the checkpoint.
    pub proof: Vec<Hash>,
    /// The signed checkpoint.
    pub note: &'a str,
}

/// The request body of `add-checkpoint`: `old <size>\n`, proof lines, a blank line, the note.
#[must_use]
pub fn add_checkpoint_body(old_size: u64, proof: &[Hash], note: &str) -> String {
    let mut body = format!("old {old_size}\n");
    for h in proof {
        body.push_str(&h.to_base64());
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    body
}

/// Parses an `add-checkpoint` request body.
///
/// # Errors
///
/// [`WitnessError::BadRequest`] naming what is malformed.
pub fn parse_add_checkpoint(body: &str) -> Result<AddCheckpoint<'_>, WitnessError> {
    let bad = |why: &str| WitnessError::BadRequest(why.to_owned());
    if body.len() > MAX_REQUEST_BYTES {
        return Err(bad("the request is longer than 80 KiB"));
    }
    let (head, note) = body.split_once("\n\n").ok_or_else(|| bad("no blank line before the checkpoint"))?;
    let mut lines = head.split('\n');
    let old = lines
        .next()
        .and_then(|l| l.strip_prefix("old "))
        .ok_or_else(|| bad("the first line must be \"old <size>\""))?;
    let canonical = old == "0" || (!old.starts_with('0') && !old.is_empty() && old.bytes().all(|b| b.is_ascii_digit()));
    let old_size: u64 = old
        .parse()
        .ok()
        .filter(|_| canonical)
        .ok_or_else(|| bad("the old size must be a decimal without leading zeros"))?;
    let proof = lines
        .map(|l| Hash::from_base64(l).map_err(|_| bad("a proof line is not a base64 SHA-256 hash")))
        .collect::<Result<Vec<_>, _>>()?;
    if proof.len() > MAX_PROOF_LINES {
        return Err(bad("more than 63 proof lines"));
    }
    Ok(AddCheckpoint { old_size, proof, note })
}

/// What a witness checks before it cosigns: the log's signature (`logs` holds the keys it trusts,
/// by origin), the old size against the last checkpoint it cosigned for that origin (`last`), and
/// the consistency proof. Returns the checkpoint to record as the last cosigned and its body.
///
/// # Errors
///
/// [`WitnessError`], each with the status C2SP tlog-witness prescribes.
pub fn check_add_checkpoint(
    request: &AddCheckpoint<'_>,
    logs: &[Verifier],
    last: impl Fn(&str) -> Option<(u64, Hash)>,
) -> Result<(Checkpoint, String), WitnessError> {
    let origin = request.note.lines().next().unwrap_or_default();
    let log = logs.iter().find(|v| v.name() == origin).ok_or_else(|| WitnessError::UnknownOrigin(origin.to_owned()))?;
    let checkpoint = open_checkpoint(request.note, log).map_err(|e| match e {
        CheckpointError::MalformedNote { .. } | CheckpointError::MalformedSignatureLine { .. } => {
            WitnessError::BadRequest(e.to_string())
        }
        other => WitnessError::Forbidden(other.to_string()),
    })?;
    if checkpoint.origin() != origin {
        return Err(WitnessError::BadRequest("the checkpoint's origin is not its key's name".into()));
    }
    let (size, root) = (checkpoint.size(), checkpoint.root());
    if request.old_size > size {
        return Err(WitnessError::BadRequest(format!(
            "old size {} is above the checkpoint's {size}",
            request.old_size
        )));
    }
    let (known_size, known_root) = last(origin).unwrap_or((0, merkle::empty_root()));
    if request.old_size != known_size {
        return Err(WitnessError::Conflict(known_size));
    }
    if size == 0 && root != merkle::empty_root() {
        return Err(WitnessError::Unprocessable("a checkpoint of size 0 must have the empty tree's root".into()));
    }
    if request.proof.len() > MAX_PROOF_LEN {
        return Err(WitnessError::BadRequest("the proof is too long".into()));
    }
    match known_size {
        0 if !request.proof.is_empty() => {
            return Err(WitnessError::Unprocessable("from size 0 the proof must be empty".into()));
        }
        0 => {}
        n if n == size && known_root != root => {
            return Err(WitnessError::Unprocessable(format!(
                "a different root for size {n}: the log forked its history"
            )));
        }
        n => merkle::verify_consistency(n, size, &known_root, &root, &request.proof).map_err(|e| {
            WitnessError::Unprocessable(format!("the tree of {size} does not extend the cosigned tree of {n}: {e}"))
        })?,
    }
    let body = checkpoint.to_body();
    Ok((checkpoint, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Signer;
    use crate::merkle::{Tree, leaf_hash};

    fn tree(leaves: &[&[u8]]) -> (Vec<Hash>, Tree) {
        let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l)).collect();
        let mut tree = Tree::new();
        for h in &hashes {
            tree.push(*h).unwrap();
        }
        (hashes, tree)
    }

    fn note(signer: &Signer, tree: &Tree) -> String {
        signer.sign_checkpoint(&Checkpoint::new(signer.name(), tree.size(), tree.root()).unwrap())
    }

    #[test]
    fn a_cosignature_verifies_only_for_its_body_and_key() {
        let log = Signer::from_seed("register.example/journal", [1; 32]).unwrap();
        let witness = Cosigner::from_seed("witness.example/w1", [2; 32]).unwrap();
        let (_, t) = tree(&[b"a", b"b", b"c"]);
        let signed = note(&log, &t);
        let body = Checkpoint::new(log.name(), t.size(), t.root()).unwrap().to_body();
        let line = witness.cosign(&body, 1_700_000_000);
        let verifier = CosignatureVerifier::parse(&witness.verifier_key()).unwrap();
        assert_eq!(verifier, witness.verifier());
        let cosigned = format!("{signed}{line}");
        assert_eq!(verifier.cosigned_at(&cosigned), Some(1_700_000_000));
        assert!(open_checkpoint(&cosigned, &log.verifier()).is_ok(), "the log's signature still opens");
        let other = Cosigner::from_seed("witness.example/w1", [3; 32]).unwrap().verifier();
        assert_eq!(other.cosigned_at(&cosigned), None);
        let forged = cosigned.replacen("\n3\n", "\n4\n", 1);
        assert_eq!(verifier.cosigned_at(&forged), None);
        assert_eq!(count_cosignatures(&cosigned, &[verifier, other]).0, 1);
        assert!(CosignatureVerifier::parse(&log.verifier_key()).is_err(), "a log key is not a cosigner key");
    }

    #[test]
    fn a_witness_cosigns_extensions_and_refuses_forks() {
        let log = Signer::from_seed("register.example/journal", [1; 32]).unwrap();
        let logs = [log.verifier()];
        let (leaves, t3) = tree(&[b"a", b"b", b"c"]);
        let first = note(&log, &t3);
        let body = add_checkpoint_body(0, &[], &first);
        let request = parse_add_checkpoint(&body).unwrap();
        let (seen, _) = check_add_checkpoint(&request, &logs, |_| None).unwrap();
        let last = |_: &str| Some((seen.size(), seen.root()));
        // An extension with its proof: cosigned.
        let (more, t5) = tree(&[b"a", b"b", b"c", b"d", b"e"]);
        let proof = merkle::consistency_proof(3, 5, &more).unwrap();
        let ok = add_checkpoint_body(3, &proof, &note(&log, &t5));
        assert!(check_add_checkpoint(&parse_add_checkpoint(&ok).unwrap(), &logs, last).is_ok());
        // A fork: the same log key, another history of 5.
        let (forked, f5) = tree(&[b"a", b"b", b"X", b"d", b"e"]);
        let proof = merkle::consistency_proof(3, 5, &forked).unwrap();
        let fork = add_checkpoint_body(3, &proof, &note(&log, &f5));
        let refused = check_add_checkpoint(&parse_add_checkpoint(&fork).unwrap(), &logs, last).unwrap_err();
        assert_eq!(refused.status(), 422, "{refused}");
        // The same size with another root.
        let (_, f3) = tree(&[b"a", b"b", b"X"]);
        let same = add_checkpoint_body(3, &[], &note(&log, &f3));
        assert_eq!(check_add_checkpoint(&parse_add_checkpoint(&same).unwrap(), &logs, last).unwrap_err().status(), 422);
        // The wrong old size: 409 with the size the witness holds.
        let stale = add_checkpoint_body(2, &merkle::consistency_proof(2, 5, &more).unwrap(), &note(&log, &t5));
        assert_eq!(
            check_add_checkpoint(&parse_add_checkpoint(&stale).unwrap(), &logs, last),
            Err(WitnessError::Conflict(3))
        );
        // Another key, an unknown log, malformed requests.
        let mallory = Signer::from_seed("register.example/journal", [9; 32]).unwrap();
        let forged = add_checkpoint_body(3, &[], &note(&mallory, &t5));
        assert_eq!(
            check_add_checkpoint(&parse_add_checkpoint(&forged).unwrap(), &logs, last).unwrap_err().status(),
            403
        );
        let stranger = Signer::from_seed("other.example/log", [1; 32]).unwrap();
        let unknown = add_checkpoint_body(0, &[], &note(&stranger, &t5));
        assert_eq!(
            check_add_checkpoint(&parse_add_checkpoint(&unknown).unwrap(), &logs, last).unwrap_err().status(),
            404
        );
        for bad in ["old 01\n\nx", "old 3\nnot-base64\n\nx", "nothing"] {
            assert_eq!(parse_add_checkpoint(bad).unwrap_err().status(), 400, "{bad:?}");
        }
        let _ = leaves;
    }
}
