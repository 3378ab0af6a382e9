//! What an agreement's alerts, population and returns are computed from — its cases with their
//! people, cells, incidents and custody steps — read from the register and remembered by journal
//! size.
//!
//! Architecture invariant: every table these come from is a projection of the journal
//! (docs/journal.md), so the journal's size stamps them. The size is read *before* the facts, so
//! remembered facts are at least as new as their size, and every change after it is an event after
//! it. A later request either finds the same size (the same facts), or catches up on the events
//! since — re-reading exactly the cases, people, cells or incidents those events name, and
//! appending the custody steps among them (the steps only grow, at the journal's end; which events
//! are steps is decided by the store's [`custodia_store::custody_step_in`], the same condition as
//! its SQL) — or, for an event whose effect is not listed here or too many events, reads everything
//! again. Catching up never guesses: an unknown event kind means reading everything.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use custodia_store::CaseWithPerson;
use custodia_store::incidents::IncidentRow;
use custodia_store::prelude::*;
use serde::Deserialize;

use crate::App;
use crate::error::AppResult;

/// What an agreement's alerts are computed from.
#[derive(Clone)]
pub(crate) struct AlertFacts {
    /// Every case of the agreement with its person's record, by case id.
    pub rows: Vec<CaseWithPerson>,
    pub cells: Vec<custodia_core::capacity::Cell>,
    pub incidents: Vec<IncidentRow>,
    /// The custody steps' `case.transition` event bodies (from or to a custody state), in journal
    /// order: all that stays and override days are computed from.
    pub transitions: Vec<String>,
    /// The cells' override days computed from `transitions` ([`crate::cells`]), at most once per
    /// facts: emptied whenever `transitions` is read again.
    pub override_days: OnceLock<crate::cells::OverrideDays>,
}

/// The last [`AlertFacts`] read per agreement, with the journal size they stand for. At most
/// [`FactsMemo::AGREEMENTS`] agreements are kept; a poisoned lock only means reading again.
#[derive(Clone, Default)]
pub(crate) struct FactsMemo {
    remembered: Arc<Mutex<HashMap<String, Remembered>>>,
    /// Held while facts are read or caught up on: one reading at a time, and a request that
    /// arrives meanwhile waits for it and then finds its result (the first view after a start
    /// waits for the read-ahead instead of reading everything a second time beside it).
    reading: Arc<tokio::sync::Mutex<()>>,
}

/// Facts and the journal size they stand for.
type Remembered = (u64, Arc<AlertFacts>);

impl std::fmt::Debug for FactsMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FactsMemo")
    }
}

impl FactsMemo {
    /// Agreements kept at most: a register holds a handful.
    const AGREEMENTS: usize = 16;

    fn get(&self, agreement_id: &str) -> Option<Remembered> {
        let memo = self.remembered.lock().ok()?;
        memo.get(agreement_id).map(|(size, facts)| (*size, Arc::clone(facts)))
    }

    fn put(&self, agreement_id: &str, journal_size: u64, facts: Arc<AlertFacts>) {
        if let Ok(mut memo) = self.remembered.lock() {
            if memo.len() >= Self::AGREEMENTS && !memo.contains_key(agreement_id) {
                memo.clear();
            }
            memo.insert(agreement_id.to_owned(), (journal_size, facts));
        }
    }
}

/// Events caught up on at most; beyond, everything is read again. A busy server writes a few
/// thousand events between two evaluations of the alerts (about a second apart under load), and
/// reading everything again costs every case and every custody step of the agreement, which grow
/// without bound; catching up on 4,096 events reads those events and at most their cases.
const CATCH_UP_EVENTS: u64 = 4_096;

/// What one event changes in an agreement's facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    /// Nothing the facts hold (users, tokens, read logs, invoices, contacts, inspections, another
    /// agreement's cases, an amendment only proposed).
    Nothing,
    /// One case of this agreement (and, for a transition, maybe the custody steps).
    Case { case_id: i64, transition: bool },
    /// The record of one person.
    Person(i64),
    /// The cells.
    Cells,
    /// The incidents.
    Incidents,
    /// Not known here: read everything again.
    Everything,
}

/// The members of an event's envelope that say what it changed.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow, default)]
    agreement_id: Option<Cow<'a, str>>,
    #[serde(default)]
    person_id: Option<i64>,
    #[serde(default)]
    data: Option<EnvelopeData>,
}

#[derive(Deserialize)]
struct EnvelopeData {
    #[serde(default)]
    case_id: Option<i64>,
}

/// What the event `body` changes in the facts of `agreement_id`.
fn effect_of(body: &str, agreement_id: &str) -> Effect {
    let Ok(event) = serde_json::from_str::<Envelope<'_>>(body) else { return Effect::Everything };
    let kind = event.kind.as_ref();
    let ours = event.agreement_id.as_deref().map(|a| a == agreement_id);
    let family = kind.split_once('.').map_or(kind, |(family, _)| family);
    match (family, kind) {
        (_, "case.proposed" | "case.transition" | "case.override_approved" | "case.override_used") => {
            match (ours, event.data.and_then(|d| d.case_id)) {
                (Some(false), _) => Effect::Nothing,
                (Some(true), Some(case_id)) => Effect::Case { case_id, transition: kind == "case.transition" },
                _ => Effect::Everything,
            }
        }
        (_, "person.registered" | "person.amended" | "person.linked") => {
            event.person_id.map_or(Effect::Everything, Effect::Person)
        }
        ("cell" | "cells", _) => Effect::Cells,
        ("incident", _) => Effect::Incidents,
        // Care records (examinations, visits, placements) are read apart by the care alerts.
        (
            "user" | "token" | "invoice" | "contact" | "inspection" | "complaint" | "examination" | "visit"
            | "solitary",
            _,
        )
        | (_, "reads.logged" | "answer.kept" | "agreement.amendment_proposed") => Effect::Nothing,
        _ => Effect::Everything,
    }
}

/// What the events since the facts were read ask to re-read; `None` when everything must be.
#[derive(Debug, Default, PartialEq, Eq)]
struct Rereads<'a> {
    cases: BTreeSet<i64>,
    persons: BTreeSet<i64>,
    cells: bool,
    incidents: bool,
    /// The new custody steps, with their journal positions, in journal order: appended to the
    /// facts' steps rather than all of them read again (the steps only grow, at the journal's end).
    steps: Vec<(u64, &'a str)>,
}

fn rereads<'a>(bodies: impl IntoIterator<Item = &'a str>, agreement_id: &str) -> Option<Rereads<'a>> {
    let mut r = Rereads::default();
    for body in bodies {
        match effect_of(body, agreement_id) {
            Effect::Nothing => {}
            Effect::Case { case_id, transition } => {
                r.cases.insert(case_id);
                if transition && let Some(seq) = custodia_store::custody_step_in(body, agreement_id)? {
                    r.steps.push((seq, body));
                }
            }
            Effect::Person(id) => {
                r.persons.insert(id);
            }
            Effect::Cells => r.cells = true,
            Effect::Incidents => r.incidents = true,
            Effect::Everything => return None,
        }
    }
    Some(r)
}

/// Appends to `known` (an agreement's custody steps, in journal order) the `new` ones after the
/// last it holds: facts read whole may hold the first new steps already, since they are read after
/// the journal's size. False, and nothing changed, when the last known step cannot be read as one
/// (the caller then reads them all).
fn append_steps(known: &mut Vec<String>, new: &[(u64, &str)], agreement_id: &str) -> bool {
    let last = match known.last() {
        None => None,
        Some(body) => match custodia_store::custody_step_in(body, agreement_id) {
            Some(Some(seq)) => Some(seq),
            _ => return false,
        },
    };
    known.extend(new.iter().filter(|(seq, _)| last.is_none_or(|l| *seq > l)).map(|(_, body)| (*body).to_owned()));
    true
}

impl App {
    /// Reads every agreement's facts once, so that the first overview or alerts after the server
    /// starts find them remembered (the server calls this in the background as it starts). The
    /// number of agreements read.
    pub async fn remember_facts(&self) -> AppResult<usize> {
        let agreements = self.store().agreement_ids().await?;
        for agreement in &agreements {
            self.alert_facts(&agreement.agreement_id).await?;
        }
        Ok(agreements.len())
    }

    /// What the alerts of an agreement are computed from, as the journal stands now: remembered
    /// when the journal has not grown, caught up on when it grew by a few known events, else
    /// read whole (see the module's invariant).
    pub(crate) async fn alert_facts(&self, agreement_id: &str) -> AppResult<Arc<AlertFacts>> {
        if let Some(facts) = self.remembered_facts(agreement_id).await? {
            return Ok(facts);
        }
        let _reading = self.facts_memo.reading.lock().await;
        // Read again under the lock: the reading waited for may have brought them up to date.
        let journal_size = self.store().journal_size().await?;
        let known = self.facts_memo.get(agreement_id);
        if let Some((size, facts)) = &known
            && *size == journal_size
        {
            return Ok(Arc::clone(facts));
        }
        let caught_up = match known {
            Some((size, facts)) if size < journal_size && journal_size - size <= CATCH_UP_EVENTS => {
                self.caught_up(agreement_id, &facts, size, journal_size).await?
            }
            _ => None,
        };
        let facts = match caught_up {
            Some(facts) => facts,
            None => self.read_facts(agreement_id).await?,
        };
        let facts = Arc::new(facts);
        self.facts_memo.put(agreement_id, journal_size, Arc::clone(&facts));
        Ok(facts)
    }

    /// The remembered facts, if the journal has not grown since they were read.
    async fn remembered_facts(&self, agreement_id: &str) -> AppResult<Option<Arc<AlertFacts>>> {
        let journal_size = self.store().journal_size().await?;
        Ok(self.facts_memo.get(agreement_id).filter(|(size, _)| *size == journal_size).map(|(_, facts)| facts))
    }

    /// Everything, read on four connections at once: the database works on the small reads
    /// while the cases are decoded.
    async fn read_facts(&self, agreement_id: &str) -> AppResult<AlertFacts> {
        let store = self.store();
        let (rows, cells, incidents, transitions) = tokio::try_join!(
            store.cases_with_persons(agreement_id),
            store.cells(agreement_id),
            store.incidents(agreement_id),
            store.custody_step_bodies(agreement_id),
        )?;
        Ok(AlertFacts { rows, cells, incidents, transitions, override_days: OnceLock::new() })
    }

    /// `facts` (at journal size `from`) brought to `to` by re-reading what the events between
    /// change; `None` when one of them asks for everything.
    async fn caught_up(
        &self,
        agreement_id: &str,
        facts: &AlertFacts,
        from: u64,
        to: u64,
    ) -> AppResult<Option<AlertFacts>> {
        let store = self.store();
        let events = store.events(from, to).await?;
        let Some(mut r) = rereads(events.iter().map(|e| e.body.as_str()), agreement_id) else { return Ok(None) };
        let mut next = facts.clone();
        // A person's new record changes every case of theirs.
        r.cases.extend(next.rows.iter().filter(|row| r.persons.contains(&row.case.person_id)).map(|row| row.case.id));
        for &case_id in &r.cases {
            let found = store.case_with_person(case_id).await?.filter(|row| row.case.agreement_id == agreement_id);
            let at = next.rows.binary_search_by_key(&case_id, |row| row.case.id);
            match (found, at) {
                (Some(row), Ok(i)) => {
                    if let Some(slot) = next.rows.get_mut(i) {
                        *slot = row;
                    }
                }
                (Some(row), Err(i)) => next.rows.insert(i, row),
                (None, Ok(i)) => {
                    next.rows.remove(i);
                }
                (None, Err(_)) => {}
            }
        }
        if r.cells {
            next.cells = store.cells(agreement_id).await?;
        }
        if r.incidents {
            next.incidents = store.incidents(agreement_id).await?;
        }
        if !r.steps.is_empty() {
            if !append_steps(&mut next.transitions, &r.steps, agreement_id) {
                next.transitions = store.custody_step_bodies(agreement_id).await?;
            }
            next.override_days = OnceLock::new();
        }
        Ok(Some(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, agreement: Option<&str>, person: Option<i64>, case: Option<i64>) -> String {
        serde_json::json!({"kind": kind, "agreement_id": agreement, "person_id": person,
            "data": {"case_id": case, "record": {"state": "in_custody"}}, "actor": "a", "seq": 1})
        .to_string()
    }

    #[test]
    fn each_event_kind_re_reads_what_it_changed_and_an_unknown_one_everything() {
        let a = "us-sv-cecot";
        let transition = event("case.transition", Some(a), Some(4), Some(9));
        assert_eq!(effect_of(&transition, a), Effect::Case { case_id: 9, transition: true });
        let proposed = event("case.proposed", Some(a), Some(4), Some(10));
        assert_eq!(effect_of(&proposed, a), Effect::Case { case_id: 10, transition: false });
        assert_eq!(effect_of(&event("case.transition", Some("other"), None, Some(9)), a), Effect::Nothing);
        assert_eq!(effect_of(&event("case.transition", None, None, Some(9)), a), Effect::Everything);
        assert_eq!(effect_of(&event("case.transition", Some(a), None, None), a), Effect::Everything);
        assert_eq!(effect_of(&event("person.amended", Some(a), Some(4), None), a), Effect::Person(4));
        assert_eq!(effect_of(&event("person.amended", Some(a), None, None), a), Effect::Everything);
        assert_eq!(effect_of(&event("cells.change_confirmed", Some(a), None, None), a), Effect::Cells);
        assert_eq!(effect_of(&event("cell.registered", Some(a), None, None), a), Effect::Cells);
        assert_eq!(effect_of(&event("incident.filed", Some(a), None, Some(9)), a), Effect::Incidents);
        for nothing in [
            "user.language_set",
            "token.created",
            "reads.logged",
            "invoice.issued",
            "contact.logged",
            "examination.recorded",
            "visit.recorded",
            "solitary.placed",
            "solitary.ended",
        ] {
            assert_eq!(effect_of(&event(nothing, Some(a), None, None), a), Effect::Nothing, "{nothing}");
        }
        for everything in ["agreement.amendment_approved", "agreement.imported", "something.new"] {
            assert_eq!(effect_of(&event(everything, Some(a), None, None), a), Effect::Everything, "{everything}");
        }
        assert_eq!(effect_of("not json", a), Effect::Everything);
        // A transition from or to a custody state is a new custody step, kept with its position;
        // one between other states is not.
        let step = |seq: u64, from: &str, to: &str| {
            serde_json::json!({"kind": "case.transition", "agreement_id": a, "person_id": 4,
                "data": {"case_id": 9, "from": from, "to": to}, "actor": "a", "seq": seq})
            .to_string()
        };
        let (admitted, moved, returned) =
            (step(7, "in_transit", "in_custody"), step(8, "in_custody", "in_custody"), step(11, "returned", "closed"));
        let all = [transition.as_str(), admitted.as_str(), proposed.as_str(), moved.as_str(), returned.as_str()];
        let r = rereads(all, a).unwrap();
        assert_eq!(r.cases.iter().copied().collect::<Vec<_>>(), [9, 10]);
        assert_eq!(r.steps, [(7, admitted.as_str()), (8, moved.as_str())]);
        assert!(!r.cells && !r.incidents);
        assert!(rereads([transition.as_str(), proposed.as_str()], a).unwrap().steps.is_empty());
        // Appended after the last step known, never twice (facts read whole may hold step 7).
        let mut known = vec![admitted.clone()];
        assert!(append_steps(&mut known, &r.steps, a));
        assert_eq!(known, [admitted.clone(), moved.clone()]);
        let mut none = Vec::new();
        assert!(append_steps(&mut none, &r.steps, a));
        assert_eq!(none, [admitted.clone(), moved.clone()]);
        let mut unreadable = vec!["not an event".to_owned()];
        assert!(!append_steps(&mut unreadable, &r.steps, a));
        assert_eq!(unreadable, ["not an event"]);
        let unknown = event("something.new", Some(a), None, None);
        assert_eq!(rereads([transition.as_str(), unknown.as_str()], a), None);
    }
}
