//! The replay's `persons` and `person_agreements` rows (docs/journal.md#replay). A register holds
//! millions of people, so their expected rows are kept by person id in a dense vector of compact
//! rows (the sending id in one shared text, the record's digest as bytes, names interned) rather
//! than as rows of text keyed by text like the other tables. A stored row is first compared with
//! them directly; only a row that differs is rebuilt as the generic row ([`Entry`]) whose columns
//! the generic comparison names.

use std::collections::BTreeMap;

use super::{Entry, HashMap, V};

/// The tables kept here.
pub(super) const PERSONS: &str = "persons";
pub(super) const PERSON_AGREEMENTS: &str = "person_agreements";

/// Ids below `2 × people + DENSE_SLACK` are kept in the dense vector, so its length stays
/// proportional to the people replayed; any other id (negative, or far past the others) is kept
/// in an ordered map.
const DENSE_SLACK: usize = 1 << 16;

/// Names interned once (sending states, agreement ids: a handful in a register).
#[derive(Debug, Default)]
struct Names {
    names: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Names {
    fn intern(&mut self, name: &str) -> Result<u32, String> {
        if let Some(&at) = self.index.get(name) {
            return Ok(at);
        }
        let at = u32::try_from(self.names.len()).map_err(|_| "fewer than 2^32 distinct names".to_owned())?;
        self.names.push(name.into());
        self.index.insert(name.into(), at);
        Ok(at)
    }
    fn find(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }
    fn name(&self, at: u32) -> &str {
        usize::try_from(at).ok().and_then(|at| self.names.get(at)).map_or("", |n| n)
    }
}

/// A `persons` row as the journal made it.
#[derive(Clone, Copy, Debug)]
struct Person {
    sending_state: u32,
    /// The sending id: `text[sending_id.0..sending_id.1]`.
    sending_id: (usize, usize),
    record_sha256: [u8; 32],
    version: i64,
    seq: u64,
    order: u64,
}

/// A `person_agreements` row as the journal made it.
#[derive(Clone, Copy, Debug)]
struct Link {
    agreement: u32,
    seq: u64,
    order: u64,
}

/// Everything the journal says about one person id. Nearly every person has one agreement, kept
/// inline; `more` allocates only for a person imported under several.
#[derive(Debug, Default)]
struct Slot {
    person: Option<Person>,
    first: Option<Link>,
    more: Vec<Link>,
}

impl Slot {
    fn links(&self) -> impl Iterator<Item = &Link> {
        self.first.iter().chain(&self.more)
    }
    fn links_mut(&mut self) -> impl Iterator<Item = &mut Link> {
        self.first.iter_mut().chain(&mut self.more)
    }
}

/// The rows of one table that stored rows matched, kept apart from [`Persons`] so that the two
/// tables can be compared at once (by two threads) against the same expected rows.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// One bit per id of the dense vector: its person, or its first link.
    dense: Vec<u64>,
    /// Any other row: (id, interned agreement; `u32::MAX` for a person row).
    other: std::collections::HashSet<(i64, u32), foldhash::fast::RandomState>,
    count: usize,
}

impl Seen {
    /// Marks a row; false when it was marked before.
    fn mark(&mut self, id: i64, agreement: u32, dense: Option<usize>) -> bool {
        let new = match dense {
            Some(at) => {
                if self.dense.len() <= at / 64 {
                    self.dense.resize(at / 64 + 1, 0);
                }
                let word = self.dense.get_mut(at / 64);
                let bit = 1u64 << (at % 64);
                word.is_some_and(|w| std::mem::replace(w, *w | bit) & bit == 0)
            }
            None => self.other.insert((id, agreement)),
        };
        self.count += usize::from(new);
        new
    }

    fn has(&self, id: i64, agreement: u32, dense: Option<usize>) -> bool {
        match dense {
            Some(at) => self.dense.get(at / 64).is_some_and(|w| w & (1 << (at % 64)) != 0),
            None => self.other.contains(&(id, agreement)),
        }
    }
}

/// A person row's mark in [`Seen`].
const PERSON_ROW: u32 = u32::MAX;

/// A stored row compared with the journal's.
pub(super) enum Check {
    /// The journal made this row, value for value.
    Same,
    /// The journal made a row with this key, and something differs: the row as the generic
    /// comparison takes it.
    Differs(Entry),
    /// No event made a row with this key.
    NoRow,
}

/// The expected `persons` and `person_agreements` rows.
#[derive(Debug, Default)]
pub(super) struct Persons {
    dense: Vec<Slot>,
    sparse: BTreeMap<i64, Slot>,
    ids: usize,
    names: Names,
    /// The sending ids, one after another.
    text: String,
    /// Rows made, `persons` then `person_agreements`: when a table's [`Seen`] counts as many,
    /// none is missing.
    made: [usize; 2],
}

impl Persons {
    fn slot(&self, id: i64) -> Option<&Slot> {
        match usize::try_from(id).ok().and_then(|at| self.dense.get(at)) {
            Some(slot) => Some(slot),
            None => self.sparse.get(&id),
        }
    }

    /// The slot of `id`, made if new.
    fn slot_or_new(&mut self, id: i64) -> Result<&mut Slot, String> {
        let dense = usize::try_from(id).ok().filter(|&at| at < self.ids.saturating_mul(2).saturating_add(DENSE_SLACK));
        if let Some(at) = dense
            && at >= self.dense.len()
        {
            let before = self.dense.len();
            self.dense.resize_with(at + 1, Slot::default);
            // Ids kept in the map before the vector reached them move into it.
            let reached = i64::try_from(before).unwrap_or(i64::MAX)..=id;
            let moved: Vec<i64> = self.sparse.range(reached).map(|(k, _)| *k).collect();
            for k in moved {
                if let (Some(slot), Some(to)) =
                    (self.sparse.remove(&k), usize::try_from(k).ok().and_then(|k| self.dense.get_mut(k)))
                {
                    *to = slot;
                }
            }
        }
        if self.slot(id).is_none_or(|s| s.person.is_none() && s.first.is_none()) {
            self.ids += 1;
        }
        match dense {
            Some(at) => self.dense.get_mut(at).ok_or_else(|| format!("person {id}")),
            None => Ok(self.sparse.entry(id).or_default()),
        }
    }

    /// `person.registered` and `person.amended`: the person's row made or replaced; `order` is
    /// the replay's count of rows made, which orders missing rows. A `sending_state` of `None`
    /// keeps the one the person has.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn put_person(
        &mut self,
        id: i64,
        sending_state: Option<&str>,
        sending_id: &str,
        record_sha256: [u8; 32],
        version: i64,
        seq: u64,
        order: u64,
    ) -> Result<(), String> {
        let state = match sending_state {
            Some(state) => self.names.intern(state)?,
            None => self.slot(id).and_then(|s| s.person.as_ref()).ok_or("the person registered before")?.sending_state,
        };
        let start = self.text.len();
        self.text.push_str(sending_id);
        let sending_id = (start, self.text.len());
        let slot = self.slot_or_new(id)?;
        let order = slot.person.as_ref().map_or(order, |p| p.order);
        let new = usize::from(slot.person.is_none());
        slot.person = Some(Person { sending_state: state, sending_id, record_sha256, version, seq, order });
        self.made[0] += new;
        Ok(())
    }

    /// A person imported (or linked) under an agreement.
    pub(super) fn put_link(&mut self, id: i64, agreement: &str, seq: u64, order: u64) -> Result<(), String> {
        let agreement = self.names.intern(agreement)?;
        let slot = self.slot_or_new(id)?;
        if let Some(link) = slot.links_mut().find(|l| l.agreement == agreement) {
            link.seq = seq;
            return Ok(());
        }
        let link = Link { agreement, seq, order };
        match slot.first {
            None => slot.first = Some(link),
            Some(_) => slot.more.push(link),
        }
        self.made[1] += 1;
        Ok(())
    }

    /// Where `id`'s slot is in the dense vector, if there.
    fn dense_at(&self, id: i64) -> Option<usize> {
        usize::try_from(id).ok().filter(|&at| at < self.dense.len())
    }

    /// A stored `persons` row read natively (its columns in `TABLES` order) that is exactly the
    /// journal's, marked in `seen`; false for any other (which [`Persons::check_person`] then
    /// names).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn same_person(
        &self,
        id: i64,
        sending_state: &[u8],
        sending_id: &[u8],
        record_sha256: &[u8],
        version: i64,
        last_event_seq: i64,
        seen: &mut Seen,
    ) -> bool {
        let Some(person) = self.slot(id).and_then(|s| s.person.as_ref()) else { return false };
        let same = self.names.name(person.sending_state).as_bytes() == sending_state
            && self.text.as_bytes().get(person.sending_id.0..person.sending_id.1) == Some(sending_id)
            && person.record_sha256 == record_sha256
            && person.version == version
            && seq_i64(person.seq) == last_event_seq;
        same && seen.mark(id, PERSON_ROW, self.dense_at(id))
    }

    /// A stored `person_agreements` row read natively that the journal made, marked in `seen`;
    /// false for any other.
    pub(super) fn same_link(&self, id: i64, agreement: &[u8], seen: &mut Seen) -> bool {
        let Some(agreement) = std::str::from_utf8(agreement).ok().and_then(|a| self.names.find(a)) else {
            return false;
        };
        let place = self.slot(id).and_then(|slot| Self::link_place(slot, agreement, self.dense_at(id)));
        place.is_some_and(|place| seen.mark(id, agreement, place))
    }

    /// A stored `persons` row (its columns as text in `TABLES` order), marked in `seen`.
    pub(super) fn check_person(&self, found: &[Option<&str>], seen: &mut Seen) -> Check {
        let Some(id) = key_id(found.first().copied().flatten()) else { return Check::NoRow };
        let Some(person) = self.slot(id).and_then(|s| s.person.as_ref()) else { return Check::NoRow };
        if !seen.mark(id, PERSON_ROW, self.dense_at(id)) {
            return Check::NoRow;
        }
        let sending_id = self.text.get(person.sending_id.0..person.sending_id.1).unwrap_or_default();
        let state = self.names.name(person.sending_state);
        let mut digest = [0u8; 64];
        let cell = |at: usize| found.get(at).copied().flatten();
        let same = cell(1) == Some(state)
            && cell(2) == Some(sending_id)
            && cell(3).map(str::as_bytes) == Some(hex_lower(&person.record_sha256, &mut digest))
            && cell(4).is_some_and(|v| super::decimal_is(person.version, v))
            && cell(5).is_some_and(|v| super::decimal_is(seq_i64(person.seq), v));
        if same {
            return Check::Same;
        }
        Check::Differs(Entry {
            cells: vec![
                V::Int(id),
                V::text(state),
                V::text(sending_id),
                V::Text(super::hex(&person.record_sha256)),
                V::Int(person.version),
                V::Int(seq_i64(person.seq)),
            ],
            seq: person.seq,
            order: person.order,
        })
    }

    /// A stored `person_agreements` row (both its columns are its key), marked in `seen`.
    pub(super) fn check_link(&self, found: &[Option<&str>], seen: &mut Seen) -> Check {
        let Some(id) = key_id(found.first().copied().flatten()) else { return Check::NoRow };
        let Some(agreement) = found.get(1).copied().flatten().and_then(|a| self.names.find(a)) else {
            return Check::NoRow;
        };
        let Some(slot) = self.slot(id) else { return Check::NoRow };
        let Some(place) = Self::link_place(slot, agreement, self.dense_at(id)) else { return Check::NoRow };
        if seen.mark(id, agreement, place) { Check::Same } else { Check::NoRow }
    }

    /// Where a link of `slot` is marked in [`Seen`]: `Some(Some(at))` for the first link of a
    /// dense slot, `Some(None)` for any other link; `None` when the slot has no such link.
    fn link_place(slot: &Slot, agreement: u32, dense: Option<usize>) -> Option<Option<usize>> {
        match slot.first {
            Some(first) if first.agreement == agreement => Some(dense),
            _ => slot.more.iter().any(|l| l.agreement == agreement).then_some(None),
        }
    }

    /// The key and the event of the first-made row of `table` that no stored row matched.
    pub(super) fn first_missing(&self, table: &str, seen: &Seen) -> Option<(String, u64)> {
        let at = usize::from(table != PERSONS);
        if self.made.get(at) == Some(&seen.count) {
            return None;
        }
        let slots = self.dense.iter().enumerate().filter_map(|(id, s)| Some((i64::try_from(id).ok()?, s)));
        let slots = slots.chain(self.sparse.iter().map(|(id, s)| (*id, s)));
        let mut first: Option<(u64, String, u64)> = None;
        let mut consider = |order: u64, key: &dyn Fn() -> String, seq: u64| {
            if first.as_ref().is_none_or(|(o, _, _)| order < *o) {
                first = Some((order, key(), seq));
            }
        };
        for (id, slot) in slots {
            let dense = self.dense_at(id);
            if table == PERSONS {
                if let Some(p) = slot.person.as_ref().filter(|_| !seen.has(id, PERSON_ROW, dense)) {
                    consider(p.order, &|| id.to_string(), p.seq);
                }
            } else {
                for l in slot.links() {
                    let place = Self::link_place(slot, l.agreement, dense).flatten();
                    if !seen.has(id, l.agreement, place) {
                        consider(
                            l.order,
                            &|| format!("{id}{}{}", super::KEY_SEPARATOR, self.names.name(l.agreement)),
                            l.seq,
                        );
                    }
                }
            }
        }
        first.map(|(_, key, seq)| (key, seq))
    }
}

/// A stored key as the id it writes (only in the form `CAST(id AS TEXT)` gives).
fn key_id(text: Option<&str>) -> Option<i64> {
    let text = text?;
    text.parse::<i64>().ok().filter(|&id| super::decimal_is(id, text))
}

fn seq_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// Lowercase hex of a digest, written into `out`.
fn hex_lower<'o>(bytes: &[u8; 32], out: &'o mut [u8; 64]) -> &'o [u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            *lo = HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: i64, persons: &Persons) -> Vec<Option<String>> {
        let slot = persons.slot(id).and_then(|s| s.person).unwrap();
        let mut hex = [0u8; 64];
        vec![
            Some(id.to_string()),
            Some("US".into()),
            persons.text.get(slot.sending_id.0..slot.sending_id.1).map(str::to_owned),
            Some(String::from_utf8(hex_lower(&slot.record_sha256, &mut hex).to_vec()).unwrap()),
            Some(slot.version.to_string()),
            Some(slot.seq.to_string()),
        ]
    }

    fn check(persons: &Persons, seen: &mut Seen, row: &[Option<String>]) -> Check {
        let row: Vec<Option<&str>> = row.iter().map(Option::as_deref).collect();
        persons.check_person(&row, seen)
    }

    #[test]
    fn ids_near_and_far_are_all_kept_and_found_once() {
        let mut persons = Persons::default();
        let ids = [5, 70_000, -3, 3, 1 << 40, 65_000, 140_000, 2];
        for (order, id) in (1..).zip(ids) {
            persons.put_person(id, Some("US"), &format!("P{id}"), [7; 32], 1, order, order).unwrap();
            persons.put_link(id, "a", order, order).unwrap();
        }
        // Amended: the sending state kept, the order of the first event kept.
        persons.put_person(70_000, None, "P70000", [8; 32], 2, 100, 100).unwrap();
        assert!(persons.dense.len() < 200_000, "far ids stay out of the vector: {}", persons.dense.len());
        assert!(persons.sparse.contains_key(&(1 << 40)) && persons.sparse.contains_key(&-3));
        let (mut people, mut links) = (Seen::default(), Seen::default());
        assert_eq!(persons.first_missing(PERSONS, &people), Some(("5".into(), 1)));
        for id in ids {
            let row = stored(id, &persons);
            assert!(matches!(check(&persons, &mut people, &row), Check::Same), "{id}");
            assert!(matches!(check(&persons, &mut people, &row), Check::NoRow), "{id} twice");
        }
        assert_eq!(persons.first_missing(PERSONS, &people), None);
        assert_eq!(persons.first_missing(PERSON_AGREEMENTS, &links), Some(("5 / a".into(), 1)));
        fn link<'a>(id: &'a str, a: &'a str) -> [Option<&'a str>; 2] {
            [Some(id), Some(a)]
        }
        assert!(matches!(persons.check_link(&link("-3", "a"), &mut links), Check::Same));
        assert!(matches!(persons.check_link(&link("-3", "b"), &mut links), Check::NoRow));
        assert!(matches!(persons.check_link(&link("+5", "a"), &mut links), Check::NoRow), "only the form CAST writes");
        // A second agreement's link is kept apart from the first's, and found once.
        persons.put_link(70_000, "b", 101, 101).unwrap();
        assert!(matches!(persons.check_link(&link("70000", "b"), &mut links), Check::Same));
        assert!(matches!(persons.check_link(&link("70000", "b"), &mut links), Check::NoRow));
        assert_eq!(persons.first_missing(PERSON_AGREEMENTS, &links), Some(("5 / a".into(), 1)));
        for id in ids.iter().filter(|&&id| id != -3) {
            assert!(matches!(persons.check_link(&link(&id.to_string(), "a"), &mut links), Check::Same), "{id}");
        }
        assert_eq!(persons.first_missing(PERSON_AGREEMENTS, &links), None);
    }

    #[test]
    fn a_differing_column_gives_the_whole_row() {
        let mut persons = Persons::default();
        persons.put_person(1, Some("US"), "P1", [1; 32], 3, 9, 1).unwrap();
        let mut row = stored(1, &persons);
        row[4] = Some("4".into());
        let Check::Differs(entry) = check(&persons, &mut Seen::default(), &row) else { panic!("a different version") };
        assert_eq!(entry.cells[4], V::Int(3));
        assert_eq!(entry.cells[2], V::text("P1"));
        assert_eq!((entry.seq, entry.order), (9, 1));
        assert_eq!(persons.put_person(2, None, "P2", [1; 32], 1, 10, 2), Err("the person registered before".into()));
    }
}
