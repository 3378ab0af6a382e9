//! Incidents and their mandatory notifications, docs/oversight.md#incidents (Nelson Mandela Rules 69 and 71).
//!
//! A death, a disappearance or a serious injury opens three notifications — next of kin, the sending
//! state, an independent authority — each due within the agreement's `[oversight]` hours. Reports
//! are never edited: a correction is an addendum appended to the report.

use crate::agreement::Oversight;

/// Kinds of incident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IncidentKind {
    /// Death in custody.
    Death,
    /// Serious injury.
    SeriousInjury,
    /// Disappearance.
    Disappearance,
    /// Use of force.
    UseOfForce,
    /// An allegation of torture.
    TortureAllegation,
    /// Hunger strike.
    HungerStrike,
    /// Anything else.
    Other,
}

impl IncidentKind {
    /// Every kind.
    pub const ALL: [IncidentKind; 7] = [
        Self::Death,
        Self::SeriousInjury,
        Self::Disappearance,
        Self::UseOfForce,
        Self::TortureAllegation,
        Self::HungerStrike,
        Self::Other,
    ];

    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Death => "death",
            Self::SeriousInjury => "serious_injury",
            Self::Disappearance => "disappearance",
            Self::UseOfForce => "use_of_force",
            Self::TortureAllegation => "torture_allegation",
            Self::HungerStrike => "hunger_strike",
            Self::Other => "other",
        }
    }

    /// Parses a kind.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether this kind opens the mandatory notifications.
    pub const fn requires_notifications(self) -> bool {
        matches!(self, Self::Death | Self::SeriousInjury | Self::Disappearance)
    }
}

/// Who must be told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// Next of kin (Mandela Rule 69).
    NextOfKin,
    /// The sending state.
    SendingState,
    /// An independent authority (Mandela Rule 71).
    IndependentAuthority,
}

impl Recipient {
    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NextOfKin => "next_of_kin",
            Self::SendingState => "sending_state",
            Self::IndependentAuthority => "independent_authority",
        }
    }
}

/// A notification owed: its deadline in seconds since the epoch, and when it was sent, if it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification {
    /// Who.
    pub recipient: Recipient,
    /// Due by, Unix seconds.
    pub due_at_unix: i64,
    /// Sent at, Unix seconds.
    pub sent_at_unix: Option<i64>,
}

impl Notification {
    /// Not sent and past its deadline at `now_unix` (a parameter, never the clock).
    pub fn is_overdue(&self, now_unix: i64) -> bool {
        self.sent_at_unix.is_none() && now_unix > self.due_at_unix
    }

    /// Sent, but after its deadline.
    pub fn was_late(&self) -> bool {
        self.sent_at_unix.is_some_and(|sent| sent > self.due_at_unix)
    }
}

/// The notifications an incident of `kind` that occurred at `occurred_at_unix` opens.
pub fn notifications_for(kind: IncidentKind, occurred_at_unix: i64, oversight: &Oversight) -> Vec<Notification> {
    if !kind.requires_notifications() {
        return Vec::new();
    }
    [
        (Recipient::NextOfKin, oversight.next_of_kin_hours),
        (Recipient::SendingState, oversight.sending_state_hours),
        (Recipient::IndependentAuthority, oversight.independent_authority_hours),
    ]
    .into_iter()
    .map(|(recipient, hours)| Notification {
        recipient,
        due_at_unix: occurred_at_unix.saturating_add(i64::from(hours) * 3600),
        sent_at_unix: None,
    })
    .collect()
}

/// An incident report: the original text and its addenda. Nothing is ever edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The report as first filed.
    pub original: String,
    /// Corrections and additions, in order, each with its author.
    pub addenda: Vec<(String, String)>,
}

impl Report {
    /// Appends a correction; the original and earlier addenda stay as they were.
    pub fn add_addendum(&mut self, author: &str, text: &str) -> Result<(), &'static str> {
        if text.trim().is_empty() {
            return Err("an addendum needs text");
        }
        self.addenda.push((author.to_owned(), text.to_owned()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_death_opens_three_notifications_with_the_agreement_deadlines() {
        let oversight = Oversight::default(); // 24 / 24 / 72 hours
        let n = notifications_for(IncidentKind::Death, 1_000_000, &oversight);
        assert_eq!(n.len(), 3);
        assert_eq!(n[0].due_at_unix, 1_000_000 + 24 * 3600);
        assert_eq!(n[2].recipient, Recipient::IndependentAuthority);
        assert_eq!(n[2].due_at_unix, 1_000_000 + 72 * 3600);
        assert!(notifications_for(IncidentKind::HungerStrike, 0, &oversight).is_empty());
    }

    #[test]
    fn overdue_and_late() {
        let mut n = Notification { recipient: Recipient::NextOfKin, due_at_unix: 100, sent_at_unix: None };
        assert!(!n.is_overdue(100));
        assert!(n.is_overdue(101));
        n.sent_at_unix = Some(150);
        assert!(!n.is_overdue(200));
        assert!(n.was_late());
    }

    #[test]
    fn reports_only_grow() {
        let mut r = Report { original: "found unresponsive at 04:10".into(), addenda: Vec::new() };
        r.add_addendum("inspector", "time corrected to 04:50 per log").unwrap();
        assert_eq!(r.original, "found unresponsive at 04:10");
        assert_eq!(r.addenda.len(), 1);
        assert!(r.add_addendum("x", " ").is_err());
    }
}
