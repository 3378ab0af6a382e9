//! Events and the journal: canonical bodies, leaf hashes, and the compact range kept in
//! `journal_head` so that appending costs O(log n).

use serde_json::Value;

use crate::StoreError;

/// An instant as RFC 3339 UTC with second precision, `YYYY-MM-DDTHH:MM:SSZ`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(String);

impl Timestamp {
    /// Parses an RFC 3339 instant with any offset (`2025-03-31T19:00:00-06:00`,
    /// `2025-04-01T01:00:00Z`, fractions of a second allowed and dropped) and keeps it in UTC
    /// (`2025-04-01T01:00:00Z`). A well-formed instant that does not exist says which part does not
    /// (`no such calendar day (February 2015 has 28 days)`, `no such month: 13`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let format = || {
            format!("must be an RFC 3339 time such as 2025-03-31T19:00:00-06:00 or YYYY-MM-DDTHH:MM:SSZ (got {text:?})")
        };
        let bytes = text.as_bytes();
        let digits = |a: usize| -> Option<i64> {
            let pair = bytes.get(a..a + 2)?;
            pair.iter().all(u8::is_ascii_digit).then(|| pair.iter().fold(0, |n, b| n * 10 + i64::from(b - b'0')))
        };
        let shaped = bytes.len() >= 20
            && bytes.len() <= 64
            && matches!(bytes.get(10), Some(b'T' | b't'))
            && bytes.get(13) == Some(&b':')
            && bytes.get(16) == Some(&b':');
        let (Some(hour), Some(minute), Some(second)) = (digits(11), digits(14), digits(17)) else {
            return Err(format());
        };
        if !shaped {
            return Err(format());
        }
        // Fractions of a second, then the offset.
        let mut at = 19;
        if bytes.get(at) == Some(&b'.') {
            at += 1;
            let first = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            if at == first {
                return Err(format());
            }
        }
        let offset_seconds = match bytes.get(at..) {
            Some(b"Z" | b"z") => 0,
            Some([sign @ (b'+' | b'-'), _, _, b':', _, _]) => {
                let (Some(h), Some(m)) = (digits(at + 1), digits(at + 4)) else { return Err(format()) };
                if h > 23 || m > 59 {
                    return Err(format!("no such offset: {}", text.get(at..).unwrap_or_default()));
                }
                let magnitude = h * 3600 + m * 60;
                if *sign == b'-' { -magnitude } else { magnitude }
            }
            _ => return Err(format()),
        };
        let date = match custodia_core::Date::parse(text.get(..10).unwrap_or_default()) {
            Err(custodia_core::date::DateError::Format) => return Err(format()),
            Err(e) => return Err(e.to_string()),
            Ok(date) => date,
        };
        if hour > 23 || minute > 59 || second > 59 {
            return Err(format!("no such time of day: {hour:02}:{minute:02}:{second:02}"));
        }
        let local = i64::from(date.days_since_epoch()) * 86_400 + hour * 3600 + minute * 60 + second;
        Self::from_unix_seconds(local - offset_seconds)
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

    /// 1970-01-01T00:00:00Z.
    pub fn epoch() -> Self {
        Self("1970-01-01T00:00:00Z".to_owned())
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(&self) -> i64 {
        let days = custodia_core::Date::parse(self.0.get(..10).unwrap_or_default())
            .map_or(0, |d| i64::from(d.days_since_epoch()));
        let part = |a: usize| self.0.get(a..a + 2).and_then(|t| t.parse::<i64>().ok()).unwrap_or(0);
        days * 86_400 + part(11) * 3600 + part(14) * 60 + part(17)
    }
}

/// An event about to be appended.
#[derive(Clone, Debug)]
pub(crate) struct NewEvent {
    pub(crate) kind: &'static str,
    pub(crate) agreement_id: Option<String>,
    pub(crate) person_id: Option<i64>,
    pub(crate) data: EventData,
}

/// An event's `data` member: a JSON value, or bytes already in canonical form (bulk imports build
/// these from canonical parts, which saves canonicalising every record twice).
#[derive(Clone, Debug)]
pub(crate) enum EventData {
    Json(Value),
    Canonical(Vec<u8>),
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
    /// The recomputed tree's compact range (what `journal_head.frontier` must hold).
    pub frontier: Vec<custodia_journal::merkle::Hash>,
    /// Leaf bytes hashed.
    pub bytes: u64,
    /// The first event that does not match, with the reason; `None` when all match.
    pub first_mismatch: Option<(u64, String)>,
    /// The recomputed tile hashes of level 1 and above, in order of completion (what the table
    /// `tile_hashes` must hold).
    pub tiles: Vec<custodia_journal::tiles::TileHash>,
}

impl VerifyReport {
    /// The report of a tree check that rebuilt `tree` from `bytes` of leaves.
    pub(crate) fn of(
        tree: &custodia_journal::merkle::Tree,
        bytes: u64,
        first_mismatch: Option<(u64, String)>,
        tiles: Vec<custodia_journal::tiles::TileHash>,
    ) -> Self {
        Self {
            size: tree.size(),
            root: tree.root(),
            frontier: tree.subtree_roots().to_vec(),
            bytes,
            first_mismatch,
            tiles,
        }
    }
}

/// The journal's head: tree size and compact range, and the tile hashes of level 1 and above
/// that the events appended in this transaction completed (stored with the head).
#[derive(Clone, Debug)]
pub(crate) struct Head {
    pub(crate) range: custodia_journal::merkle::Tree,
    pub(crate) completed: Vec<custodia_journal::tiles::TileHash>,
}

impl Head {
    pub(crate) fn decode(size: i64, frontier: &[u8]) -> Result<Self, StoreError> {
        let size = u64::try_from(size).map_err(|_| StoreError::Inconsistent("negative journal size".into()))?;
        if !frontier.len().is_multiple_of(32) {
            return Err(StoreError::Inconsistent("journal head: frontier is not a list of 32-byte hashes".into()));
        }
        let roots = frontier
            .chunks_exact(32)
            .map(|chunk| <[u8; 32]>::try_from(chunk).map(custodia_journal::merkle::Hash::from_bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Inconsistent(format!("journal head: {e}")))?;
        let range = custodia_journal::merkle::Tree::from_parts(size, roots)
            .map_err(|e| StoreError::Inconsistent(format!("journal head: {e}")))?;
        Ok(Self { range, completed: Vec::new() })
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
        if body.len() > custodia_journal::tiles::MAX_ENTRY_BYTES {
            return Err(StoreError::Refused(format!(
                "EVENT_TOO_LARGE: the {kind} event would be {} bytes; one journal entry holds at most {} \
                 (a C2SP tlog-tiles entry bundle)",
                body.len(),
                custodia_journal::tiles::MAX_ENTRY_BYTES
            )));
        }
        let leaf = custodia_journal::merkle::leaf_hash(body.as_bytes());
        self.range.push_tiled(leaf, &mut self.completed).map_err(|e| StoreError::Journal(e.to_string()))?;
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
///
/// The envelope's members are fixed, so it is written directly in RFC 8785 order (member names
/// sorted: actor, agreement_id, data, kind, occurred_at, person_id, recorded_at, seq), with strings
/// escaped by the journal's own canonical writer; a test checks the result against `canonicalize`.
fn event_body(
    seq: u64,
    kind: &str,
    agreement_id: Option<&str>,
    person_id: Option<i64>,
    data: EventData,
    actor: &crate::Actor,
) -> Result<String, StoreError> {
    use custodia_journal::canonical::{MAX_SAFE_INTEGER, canonicalize, write_string};
    let data = match data {
        EventData::Json(value) => canonicalize(&value).map_err(|e| StoreError::Journal(e.to_string()))?,
        EventData::Canonical(bytes) => bytes,
    };
    let in_range = |n: i64| (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&n);
    if !in_range(i64::try_from(seq).unwrap_or(i64::MAX)) || !person_id.is_none_or(in_range) {
        return Err(StoreError::Journal("an event number is beyond the JSON safe-integer range".into()));
    }
    let mut out = Vec::with_capacity(data.len() + 256);
    out.extend_from_slice(b"{\"actor\":");
    write_string(&actor.name, &mut out);
    if let Some(agreement) = agreement_id {
        out.extend_from_slice(b",\"agreement_id\":");
        write_string(agreement, &mut out);
    }
    out.extend_from_slice(b",\"data\":");
    out.extend_from_slice(&data);
    out.extend_from_slice(b",\"kind\":");
    write_string(kind, &mut out);
    out.extend_from_slice(b",\"occurred_at\":");
    write_string(actor.occurred_at.as_ref().unwrap_or(&actor.recorded_at).as_str(), &mut out);
    if let Some(person) = person_id {
        out.extend_from_slice(b",\"person_id\":");
        out.extend_from_slice(person.to_string().as_bytes());
    }
    out.extend_from_slice(b",\"recorded_at\":");
    write_string(actor.recorded_at.as_str(), &mut out);
    out.extend_from_slice(b",\"seq\":");
    out.extend_from_slice(seq.to_string().as_bytes());
    out.push(b'}');
    String::from_utf8(out).map_err(|e| StoreError::Journal(e.to_string()))
}

/// Checks a run of stored events against a tree being rebuilt from scratch; returns the first
/// mismatch. `range` must hold exactly the leaves before `events[0]`.
///
/// The fast path recomputes each leaf hash from the body and compares the stored root only after the
/// page's last event — that is all the hashing integrity needs, and it keeps verification close to
/// the speed of SHA-256 itself. When the page's root disagrees, the page is checked again event by
/// event to name the first one.
pub(crate) fn verify_page(
    range: &mut custodia_journal::merkle::Tree,
    tiles: &mut Vec<custodia_journal::tiles::TileHash>,
    events: &[StoredEvent],
) -> Option<(u64, String)> {
    let at_start = range.clone();
    let tiles_at_start = tiles.len();
    for event in events {
        if event.seq != range.size() {
            return Some((range.size(), format!("event {} is missing (found {} next)", range.size(), event.seq)));
        }
        let leaf = custodia_journal::merkle::leaf_hash(event.body.as_bytes());
        if leaf.as_bytes().as_slice() != event.leaf_hash.as_slice() {
            return Some((event.seq, "leaf hash does not match the body: the event was altered".into()));
        }
        if range.push_tiled(leaf, tiles).is_err() {
            return Some((event.seq, "journal is larger than the tree limit".into()));
        }
    }
    match events.last() {
        Some(last) if range.root().as_bytes().as_slice() != last.root_after.as_slice() => {
            *range = at_start;
            tiles.truncate(tiles_at_start);
            Some(first_root_mismatch(range, events))
        }
        _ => None,
    }
}

/// The slow path of [`verify_page`]: every event's body, sequence number and root.
fn first_root_mismatch(range: &mut custodia_journal::merkle::Tree, events: &[StoredEvent]) -> (u64, String) {
    for event in events {
        let parsed = serde_json::from_str::<Value>(&event.body).ok();
        let canonical = parsed.as_ref().and_then(|v| custodia_journal::canonical::canonicalize(v).ok());
        if canonical.as_deref() != Some(event.body.as_bytes()) {
            return (event.seq, "body is not canonical JSON (RFC 8785): it was edited".into());
        }
        if parsed.as_ref().and_then(|v| v.get("seq")).and_then(Value::as_u64) != Some(event.seq) {
            return (event.seq, "body names another sequence number".into());
        }
        let _ = range.push(custodia_journal::merkle::leaf_hash(event.body.as_bytes()));
        if range.root().as_bytes().as_slice() != event.root_after.as_slice() {
            return (event.seq, "tree root after this event does not match: history was rewritten".into());
        }
    }
    (range.size(), "the stored roots disagree with the events".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12 (docs/lifecycle.md#days): any RFC 3339 offset is accepted and kept in UTC.
    #[test]
    fn timestamps_with_any_offset_are_kept_in_utc() {
        let utc = |text: &str| Timestamp::parse(text).map(|t| t.as_str().to_owned());
        assert_eq!(utc("2025-03-31T19:00:00-06:00").as_deref(), Ok("2025-04-01T01:00:00Z"));
        assert_eq!(utc("2025-04-01T03:30:00+02:30").as_deref(), Ok("2025-04-01T01:00:00Z"));
        assert_eq!(utc("2025-04-01T01:00:00.123Z").as_deref(), Ok("2025-04-01T01:00:00Z"));
        assert_eq!(utc("2025-04-01t01:00:00z").as_deref(), Ok("2025-04-01T01:00:00Z"));
        assert_eq!(utc("2024-12-31T23:30:00-01:00").as_deref(), Ok("2025-01-01T00:30:00Z"));
        for bad in ["2025-04-01T01:00:00", "2025-04-01T01:00:00+0600", "2025-04-01T01:00:00.Z", "2025-04-01 01:00:00Z"]
        {
            assert!(utc(bad).unwrap_err().contains("RFC 3339"), "{bad}");
        }
        assert_eq!(utc("2025-04-01T01:00:00+24:00").unwrap_err(), "no such offset: +24:00");
    }

    /// Issue 11: a well-formed instant that does not exist says which part does not.
    #[test]
    fn impossible_timestamps_say_no_such_day_month_or_time() {
        let message = |text: &str| Timestamp::parse(text).unwrap_err();
        assert_eq!(message("2015-02-30T08:00:00Z"), "no such calendar day (February 2015 has 28 days)");
        assert_eq!(message("2025-13-01T08:00:00Z"), "no such month: 13");
        assert_eq!(message("2025-01-01T24:00:00Z"), "no such time of day: 24:00:00");
        assert_eq!(message("2025-01-01T08:60:00Z"), "no such time of day: 08:60:00");
        for bad in ["2025-01-01 08:00:00Z", "2025-01-01T08:00:00", "2025-1-01T08:00:00Z", "2025-01-01T8:00:00Z", ""] {
            assert!(message(bad).starts_with("must be an RFC 3339 time"), "{bad:?}: {}", message(bad));
        }
        assert!(Timestamp::parse("2024-02-29T23:59:59Z").is_ok());
    }

    #[test]
    fn timestamps_convert_to_unix_seconds_and_back() {
        for seconds in [0i64, 86_399, 1_742_061_600, 4_102_444_799] {
            assert_eq!(Timestamp::from_unix_seconds(seconds).unwrap().unix_seconds(), seconds);
        }
    }

    /// Issue 16: an event must fit one entry of a tlog-tiles entry bundle (65,535 bytes); a
    /// longer one is refused, and the head is unchanged.
    #[test]
    fn an_event_longer_than_an_entry_bundle_entry_is_refused() {
        let actor = crate::Actor {
            name: "setup".into(),
            recorded_at: Timestamp::parse("2026-11-27T12:00:00Z").unwrap(),
            occurred_at: None,
        };
        let mut head = Head::decode(0, &[]).unwrap();
        let event = |len: usize| NewEvent {
            kind: "agreement.registered",
            agreement_id: None,
            person_id: None,
            data: EventData::Json(serde_json::json!({"source": "x".repeat(len)})),
        };
        let fits = head.append(event(60_000), &actor).unwrap();
        assert!(fits.stored.body.len() <= custodia_journal::tiles::MAX_ENTRY_BYTES);
        let refused = head.append(event(custodia_journal::tiles::MAX_ENTRY_BYTES), &actor).unwrap_err();
        assert!(matches!(&refused, StoreError::Refused(why) if why.starts_with("EVENT_TOO_LARGE: ")), "{refused}");
        assert_eq!(head.range.size(), 1, "nothing appended");
    }

    #[test]
    fn hand_written_envelope_is_canonical() {
        let actor = crate::Actor {
            name: "José \"admin\"\u{8}\u{1f}".into(),
            recorded_at: Timestamp::parse("2026-11-27T12:00:00Z").unwrap(),
            occurred_at: None,
        };
        let data = serde_json::json!({"zeta": 1, "alpha": ["é", null, -5], "Δ": {"b": true, "a": "x\ny"}});
        for (agreement, person) in [(Some("us-sv-cecot"), Some(42)), (None, None), (Some("a"), None), (None, Some(-7))]
        {
            let body =
                event_body(9, "person.registered", agreement, person, EventData::Json(data.clone()), &actor).unwrap();
            let reparsed: Value = serde_json::from_str(&body).unwrap();
            let canonical = custodia_journal::canonical::canonicalize(&reparsed).unwrap();
            assert_eq!(body.as_bytes(), canonical.as_slice(), "{body}");
            let spliced = event_body(
                9,
                "person.registered",
                agreement,
                person,
                EventData::Canonical(custodia_journal::canonical::canonicalize(&data).unwrap()),
                &actor,
            )
            .unwrap();
            assert_eq!(spliced, body);
        }
    }
}
