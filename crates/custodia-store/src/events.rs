//! Events and the journal: canonical bodies, leaf hashes, and the compact range kept in
//! `journal_head` so that appending costs O(log n).

use serde_json::{Map, Value};

use crate::StoreError;

/// An instant as RFC 3339 UTC with second precision, `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(String);

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bytes = text.as_bytes();
        let ok = bytes.len() == 20
            && custodia_core::Date::parse(text.get(..10).unwrap_or_default()).is_ok()
            && bytes.get(10) == Some(&b'T')
            && bytes.get(19) == Some(&b'Z')
            && matches!(bytes.get(13), Some(b':'))
            && matches!(bytes.get(16), Some(b':'))
            && {
                let num = |a: usize| -> Option<u32> { text.get(a..a + 2)?.parse().ok() };
                matches!((num(11), num(14), num(17)), (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60)
            };
        if ok { Ok(Self(text.to_owned())) } else { Err(format!("must be YYYY-MM-DDTHH:MM:SSZ (got {text:?})")) }
    }

    /// From seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix_seconds(seconds: i64) -> Result<Self, String> {
        let days = seconds.div_euclid(86_400);
        let rest = seconds.rem_euclid(86_400);
        let date = custodia_core::Date::from_days_since_epoch(days).map_err(|e| e.to_string())?;
        Ok(Self(format!("{date}T{:02}:{:02}:{:02}Z", rest / 3600, rest / 60 % 60, rest % 60)))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An event about to be appended.
#[derive(Clone, Debug)]
pub(crate) struct NewEvent {
    pub(crate) kind: &'static str,
    pub(crate) agreement_id: Option<String>,
    pub(crate) person_id: Option<i64>,
    pub(crate) data: Value,
}

/// An event as stored: its leaf bytes and hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Leaf index, from 0.
    pub seq: u64,
    /// The leaf bytes: canonical JSON (RFC 8785) of the event.
    pub body: String,
    /// Stored `SHA-256(0x00 ‖ body)`.
    pub leaf_hash: Vec<u8>,
    /// Stored tree root after this leaf.
    pub root_after: Vec<u8>,
}

/// What `journal verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events checked.
    pub size: u64,
    /// The recomputed root of the whole tree.
    pub root: custodia_journal::merkle::Hash,
    /// The first event that does not match, with the reason; `None` when all match.
    pub first_mismatch: Option<(u64, String)>,
}

/// The journal's head: tree size and compact range.
#[derive(Clone, Debug)]
pub(crate) struct Head {
    pub(crate) range: custodia_journal::merkle::Tree,
}

impl Head {
    pub(crate) fn decode(size: i64, frontier: &[u8]) -> Result<Self, StoreError> {
        let size = u64::try_from(size).map_err(|_| StoreError::Inconsistent("negative journal size".into()))?;
        if frontier.len() % 32 != 0 {
            return Err(StoreError::Inconsistent("journal head: frontier is not a list of 32-byte hashes".into()));
        }
        let roots = frontier
            .chunks_exact(32)
            .map(|chunk| <[u8; 32]>::try_from(chunk).map(custodia_journal::merkle::Hash::from_bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Inconsistent(format!("journal head: {e}")))?;
        let range = custodia_journal::merkle::Tree::from_parts(size, roots)
            .map_err(|e| StoreError::Inconsistent(format!("journal head: {e}")))?;
        Ok(Self { range })
    }

    pub(crate) fn encode(&self) -> (i64, Vec<u8>) {
        let frontier = self.range.subtree_roots().iter().flat_map(|h| h.to_bytes()).collect();
        (self.range.size() as i64, frontier)
    }

    /// Builds the canonical body of `event` as leaf number `size`, appends it, and returns the row
    /// to insert.
    pub(crate) fn append(&mut self, event: NewEvent, actor: &crate::Actor) -> Result<AppendedEvent, StoreError> {
        let seq = self.range.size();
        let NewEvent { kind, agreement_id, person_id, data } = event;
        let body = event_body(seq, kind, agreement_id.as_deref(), person_id, data, actor)?;
        let leaf = custodia_journal::merkle::leaf_hash(body.as_bytes());
        self.range.push(leaf).map_err(|e| StoreError::Journal(e.to_string()))?;
        let stored = StoredEvent {
            seq,
            body,
            leaf_hash: leaf.to_bytes().to_vec(),
            root_after: self.range.root().to_bytes().to_vec(),
        };
        Ok(AppendedEvent { stored, kind, agreement_id, person_id })
    }
}

/// An appended event with the columns stored beside its body.
#[derive(Clone, Debug)]
pub(crate) struct AppendedEvent {
    pub(crate) stored: StoredEvent,
    pub(crate) kind: &'static str,
    pub(crate) agreement_id: Option<String>,
    pub(crate) person_id: Option<i64>,
}

/// The canonical JSON of an event: what the journal hashes and `journal export` prints.
fn event_body(
    seq: u64,
    kind: &str,
    agreement_id: Option<&str>,
    person_id: Option<i64>,
    data: Value,
    actor: &crate::Actor,
) -> Result<String, StoreError> {
    let mut map = Map::new();
    map.insert("seq".into(), Value::from(seq));
    map.insert("kind".into(), Value::from(kind));
    map.insert("actor".into(), Value::from(actor.name.as_str()));
    // Imports record what happened when it was recorded; later issues pass a distinct occurred_at.
    map.insert("occurred_at".into(), Value::from(actor.recorded_at.as_str()));
    map.insert("recorded_at".into(), Value::from(actor.recorded_at.as_str()));
    if let Some(agreement) = agreement_id {
        map.insert("agreement_id".into(), Value::from(agreement));
    }
    if let Some(person) = person_id {
        map.insert("person_id".into(), Value::from(person));
    }
    map.insert("data".into(), data);
    let bytes = custodia_journal::canonical::canonicalize(&Value::Object(map))
        .map_err(|e| StoreError::Journal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| StoreError::Journal(e.to_string()))
}

/// Checks a run of stored events against a tree being rebuilt from scratch; returns the first
/// mismatch. `range` must hold exactly the leaves before `events[0]`.
pub(crate) fn verify_page(range: &mut custodia_journal::merkle::Tree, events: &[StoredEvent]) -> Option<(u64, String)> {
    for event in events {
        if event.seq != range.size() {
            return Some((range.size(), format!("event {} is missing (found {} next)", range.size(), event.seq)));
        }
        let canonical = serde_json::from_str::<Value>(&event.body)
            .ok()
            .and_then(|v| custodia_journal::canonical::canonicalize(&v).ok());
        if canonical.as_deref() != Some(event.body.as_bytes()) {
            return Some((event.seq, "body is not canonical JSON (RFC 8785): it was edited".into()));
        }
        if serde_json::from_str::<Value>(&event.body).ok().and_then(|v| v.get("seq").and_then(Value::as_u64))
            != Some(event.seq)
        {
            return Some((event.seq, "body names another sequence number".into()));
        }
        let leaf = custodia_journal::merkle::leaf_hash(event.body.as_bytes());
        if leaf.as_bytes().as_slice() != event.leaf_hash.as_slice() {
            return Some((event.seq, "leaf hash does not match the body: the event was altered".into()));
        }
        if range.push(leaf).is_err() {
            return Some((event.seq, "journal is larger than the tree limit".into()));
        }
        if range.root().as_bytes().as_slice() != event.root_after.as_slice() {
            return Some((event.seq, "tree root after this event does not match: history was rewritten".into()));
        }
    }
    None
}
