//! Incidents and their mandatory notifications, docs/oversight.md#incidents (Nelson Mandela Rules 69 and 71).
//!
//! A death, a disappearance or a serious injury opens three notifications — next of kin, the sending
//! state, an independent authority — each due within the agreement's `[oversight]` hours. Reports
//! are never edited: a correction is an addendum appended to the report.
//!
//! A torture allegation opens one notification — the independent authority, within
//! `torture_allegation_hours` — and an investigation (`open → investigating → closed`, closed with a
//! finding), which is overdue when not closed within [`INVESTIGATION_DAYS`] of the allegation. A
//! notification sent after its deadline stays late for ever: its status and lateness are computed
//! from the deadline and the time it was sent, never forgotten once it is sent.

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

    /// Whether this kind opens the three mandatory notifications (next of kin, sending state,
    /// independent authority).
    pub const fn requires_notifications(self) -> bool {
        matches!(self, Self::Death | Self::SeriousInjury | Self::Disappearance)
    }

    /// Whether this kind opens an investigation (a torture allegation).
    pub const fn opens_investigation(self) -> bool {
        matches!(self, Self::TortureAllegation)
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

    /// Where the notification stands at `now_unix` (a parameter, never the clock).
    pub fn status(&self, now_unix: i64) -> NotificationStatus {
        match self.sent_at_unix {
            Some(_) if self.was_late() => NotificationStatus::SentLate,
            Some(_) => NotificationStatus::SentOnTime,
            None if self.is_overdue(now_unix) => NotificationStatus::Overdue,
            None => NotificationStatus::Pending,
        }
    }

    /// How late it is, in seconds: sent late — from the deadline to when it was sent (fixed for
    /// good); overdue — from the deadline to `now_unix`; otherwise `None`.
    pub fn late_by_seconds(&self, now_unix: i64) -> Option<i64> {
        match self.status(now_unix) {
            NotificationStatus::SentLate => self.sent_at_unix.map(|sent| sent.saturating_sub(self.due_at_unix)),
            NotificationStatus::Overdue => Some(now_unix.saturating_sub(self.due_at_unix)),
            NotificationStatus::SentOnTime | NotificationStatus::Pending => None,
        }
    }
}

/// Where a notification stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationStatus {
    /// Not sent; its deadline has not passed.
    Pending,
    /// Not sent; its deadline has passed.
    Overdue,
    /// Sent by its deadline.
    SentOnTime,
    /// Sent after its deadline (it stays late).
    SentLate,
}

impl NotificationStatus {
    /// The name used in reports and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Overdue => "overdue",
            Self::SentOnTime => "sent_on_time",
            Self::SentLate => "sent_late",
        }
    }
}

/// A duration as people read a lateness: hours and minutes, `26h 05m`. A started minute counts as
/// a whole one, so something late by a second never reads `0h 00m`; a negative duration reads as
/// none.
pub fn hours_minutes(seconds: i64) -> String {
    let minutes = seconds.max(0).saturating_add(59) / 60;
    format!("{}h {:02}m", minutes / 60, minutes % 60)
}

/// The notifications an incident of `kind` that occurred at `occurred_at_unix` opens: the three
/// mandatory ones for a death, a disappearance or a serious injury; the independent authority
/// within `torture_allegation_hours` for a torture allegation; none otherwise.
pub fn notifications_for(kind: IncidentKind, occurred_at_unix: i64, oversight: &Oversight) -> Vec<Notification> {
    let owed: &[(Recipient, u32)] = if kind.requires_notifications() {
        &[
            (Recipient::NextOfKin, oversight.next_of_kin_hours),
            (Recipient::SendingState, oversight.sending_state_hours),
            (Recipient::IndependentAuthority, oversight.independent_authority_hours),
        ]
    } else if kind.opens_investigation() {
        &[(Recipient::IndependentAuthority, oversight.torture_allegation_hours)]
    } else {
        &[]
    };
    owed.iter()
        .copied()
        .map(|(recipient, hours)| Notification {
            recipient,
            due_at_unix: occurred_at_unix.saturating_add(i64::from(hours) * 3600),
            sent_at_unix: None,
        })
        .collect()
}

/// Days within which an investigation of an allegation must be closed.
pub const INVESTIGATION_DAYS: i64 = 30;

/// The states of an investigation: `open → investigating → closed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InvestigationState {
    /// Opened with the allegation.
    Open,
    /// Under way.
    Investigating,
    /// Closed with a finding (final).
    Closed,
}

impl InvestigationState {
    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Investigating => "investigating",
            Self::Closed => "closed",
        }
    }

    /// Parses a state name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Open, Self::Investigating, Self::Closed].into_iter().find(|s| s.as_str() == text)
    }

    /// Whether an investigation may move from this state to `to`: only forward, one step at a time.
    pub fn can_become(self, to: InvestigationState) -> bool {
        matches!((self, to), (Self::Open, Self::Investigating) | (Self::Investigating, Self::Closed))
    }
}

/// What a closed investigation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Finding {
    /// The allegation is borne out.
    Substantiated,
    /// The allegation is not borne out.
    Unsubstantiated,
    /// The evidence does not allow either conclusion.
    Inconclusive,
}

impl Finding {
    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Substantiated => "substantiated",
            Self::Unsubstantiated => "unsubstantiated",
            Self::Inconclusive => "inconclusive",
        }
    }

    /// Parses a finding.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Substantiated, Self::Unsubstantiated, Self::Inconclusive].into_iter().find(|f| f.as_str() == text)
    }
}

/// One move of an investigation: to which state, with which finding, by whom and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvestigationStep {
    /// The state entered.
    pub state: InvestigationState,
    /// The finding (closing only).
    pub finding: Option<Finding>,
    /// Who recorded the move.
    pub by: String,
    /// When, Unix seconds.
    pub at_unix: i64,
}

/// Why a move of an investigation is refused; nothing is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvestigationRefusal {
    /// Not a move of `open → investigating → closed` (`INVESTIGATION_STATE`).
    IllegalMove {
        /// The current state.
        from: InvestigationState,
        /// The state asked for.
        to: InvestigationState,
    },
    /// Closing needs a finding (`FINDING_REQUIRED`).
    FindingRequired,
    /// Only closing records a finding (`FINDING_NOT_CLOSING`).
    FindingWithoutClosing,
}

impl InvestigationRefusal {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::IllegalMove { .. } => "INVESTIGATION_STATE",
            Self::FindingRequired => "FINDING_REQUIRED",
            Self::FindingWithoutClosing => "FINDING_NOT_CLOSING",
        }
    }

    /// The facts, for people.
    pub fn message(self) -> String {
        match self {
            Self::IllegalMove { from, to } => {
                format!(
                    "an investigation cannot go from {} to {} (open → investigating → closed)",
                    from.as_str(),
                    to.as_str()
                )
            }
            Self::FindingRequired => {
                "closing an investigation needs a finding: substantiated, unsubstantiated or inconclusive".into()
            }
            Self::FindingWithoutClosing => "only closing an investigation records a finding".into(),
        }
    }
}

/// The investigation of an allegation: opened with it, overdue when not closed within
/// [`INVESTIGATION_DAYS`] of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Investigation {
    /// When the allegation was made (the incident's `occurred_at`), Unix seconds.
    pub opened_at_unix: i64,
    /// The moves since it was opened, in order.
    pub steps: Vec<InvestigationStep>,
}

impl Investigation {
    /// A new, open investigation of an allegation made at `opened_at_unix`.
    pub const fn open(opened_at_unix: i64) -> Self {
        Self { opened_at_unix, steps: Vec::new() }
    }

    /// The investigation an incident of `kind` opens, if any.
    pub fn for_incident(kind: IncidentKind, occurred_at_unix: i64) -> Option<Self> {
        kind.opens_investigation().then(|| Self::open(occurred_at_unix))
    }

    /// The current state.
    pub fn state(&self) -> InvestigationState {
        self.steps.last().map_or(InvestigationState::Open, |s| s.state)
    }

    /// The finding, once closed.
    pub fn finding(&self) -> Option<Finding> {
        self.steps.iter().find_map(|s| s.finding)
    }

    /// When it must be closed by, Unix seconds.
    pub fn due_at_unix(&self) -> i64 {
        self.opened_at_unix.saturating_add(INVESTIGATION_DAYS * 86_400)
    }

    /// When it was closed, if it was.
    pub fn closed_at_unix(&self) -> Option<i64> {
        self.steps.iter().find(|s| s.state == InvestigationState::Closed).map(|s| s.at_unix)
    }

    /// Still open at `now_unix` (not closed, or closed only later) and past its deadline.
    pub fn is_overdue(&self, now_unix: i64) -> bool {
        now_unix > self.due_at_unix() && self.closed_at_unix().is_none_or(|closed| closed > now_unix)
    }

    /// Whether moving to `to` with `finding` is allowed.
    pub fn check_move(&self, to: InvestigationState, finding: Option<Finding>) -> Result<(), InvestigationRefusal> {
        let from = self.state();
        if !from.can_become(to) {
            return Err(InvestigationRefusal::IllegalMove { from, to });
        }
        match (to, finding) {
            (InvestigationState::Closed, None) => Err(InvestigationRefusal::FindingRequired),
            (InvestigationState::Open | InvestigationState::Investigating, Some(_)) => {
                Err(InvestigationRefusal::FindingWithoutClosing)
            }
            _ => Ok(()),
        }
    }

    /// Moves to `to` (with `finding` when closing), recorded as done by `by` at `at_unix`.
    pub fn advance(
        &mut self,
        to: InvestigationState,
        finding: Option<Finding>,
        by: &str,
        at_unix: i64,
    ) -> Result<(), InvestigationRefusal> {
        self.check_move(to, finding)?;
        self.steps.push(InvestigationStep { state: to, finding, by: by.to_owned(), at_unix });
        Ok(())
    }
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
    fn a_torture_allegation_opens_a_notification_to_the_independent_authority_and_an_investigation() {
        let oversight = Oversight { torture_allegation_hours: 12, ..Oversight::default() };
        let n = notifications_for(IncidentKind::TortureAllegation, 1_000_000, &oversight);
        assert_eq!(
            n,
            [Notification {
                recipient: Recipient::IndependentAuthority,
                due_at_unix: 1_000_000 + 12 * 3600,
                sent_at_unix: None
            }]
        );
        let investigation = Investigation::for_incident(IncidentKind::TortureAllegation, 1_000_000).unwrap();
        assert_eq!(investigation.state(), InvestigationState::Open);
        assert_eq!(investigation.due_at_unix(), 1_000_000 + 30 * 86_400);
        assert!(Investigation::for_incident(IncidentKind::Death, 0).is_none());
        assert!(Investigation::for_incident(IncidentKind::UseOfForce, 0).is_none());
    }

    #[test]
    fn an_investigation_moves_open_investigating_closed_and_closes_only_with_a_finding() {
        use InvestigationState::*;
        let mut i = Investigation::open(0);
        let refused = i.advance(Closed, Some(Finding::Inconclusive), "lo", 10).unwrap_err();
        assert_eq!(refused.code(), "INVESTIGATION_STATE", "open cannot jump to closed");
        assert_eq!(
            i.advance(Investigating, Some(Finding::Substantiated), "lo", 10).unwrap_err().code(),
            "FINDING_NOT_CLOSING"
        );
        assert!(i.steps.is_empty(), "a refused move changes nothing");
        i.advance(Investigating, None, "lo", 10).unwrap();
        assert_eq!(i.advance(Closed, None, "lo", 20).unwrap_err(), InvestigationRefusal::FindingRequired);
        assert_eq!(i.state(), Investigating);
        i.advance(Closed, Some(Finding::Substantiated), "inspector", 20).unwrap();
        assert_eq!((i.state(), i.finding(), i.closed_at_unix()), (Closed, Some(Finding::Substantiated), Some(20)));
        assert_eq!(i.steps[1].by, "inspector");
        assert_eq!(i.check_move(Investigating, None).unwrap_err().code(), "INVESTIGATION_STATE", "closed is final");
        assert_eq!(Finding::parse("inconclusive"), Some(Finding::Inconclusive));
        assert_eq!(InvestigationState::parse("investigating"), Some(Investigating));
        assert_eq!(Finding::parse("proven"), None);
    }

    #[test]
    fn an_investigation_not_closed_within_30_days_is_overdue() {
        let mut i = Investigation::open(0);
        let due = 30 * 86_400;
        assert!(!i.is_overdue(due), "day 30 is still in time");
        assert!(i.is_overdue(due + 1));
        assert!(i.is_overdue(31 * 86_400));
        i.advance(InvestigationState::Investigating, None, "lo", 100).unwrap();
        assert!(i.is_overdue(31 * 86_400), "investigating is not closed");
        i.advance(InvestigationState::Closed, Some(Finding::Unsubstantiated), "lo", 40 * 86_400).unwrap();
        assert!(i.is_overdue(31 * 86_400), "on day 31 it was still open");
        assert!(!i.is_overdue(40 * 86_400), "closed");
    }

    #[test]
    fn a_notification_sent_late_stays_late_with_its_lateness() {
        let mut n = Notification { recipient: Recipient::SendingState, due_at_unix: 1_000, sent_at_unix: None };
        assert_eq!(n.status(1_000), NotificationStatus::Pending);
        assert_eq!(n.late_by_seconds(1_000), None);
        assert_eq!(n.status(1_001), NotificationStatus::Overdue);
        assert_eq!(n.late_by_seconds(1_000 + 26 * 3600 + 5 * 60), Some(26 * 3600 + 300));
        n.sent_at_unix = Some(1_000 + 26 * 3600 + 5 * 60);
        for later in [0, 1_000_000, i64::MAX] {
            assert_eq!(n.status(later), NotificationStatus::SentLate, "sent late stays late");
            assert_eq!(n.late_by_seconds(later), Some(26 * 3600 + 300), "lateness is fixed when sent");
        }
        assert_eq!(n.status(0).as_str(), "sent_late");
        n.sent_at_unix = Some(1_000);
        assert_eq!((n.status(5_000), n.late_by_seconds(5_000)), (NotificationStatus::SentOnTime, None));
        assert_eq!(NotificationStatus::SentOnTime.as_str(), "sent_on_time");
    }

    #[test]
    fn lateness_reads_in_hours_and_minutes() {
        assert_eq!(hours_minutes(26 * 3600 + 5 * 60), "26h 05m");
        assert_eq!(hours_minutes(1), "0h 01m", "a started minute counts");
        assert_eq!(hours_minutes(0), "0h 00m");
        assert_eq!(hours_minutes(-5), "0h 00m");
        assert_eq!(hours_minutes(59 * 60 + 1), "1h 00m");
        assert_eq!(hours_minutes(400 * 3600), "400h 00m");
        assert!(hours_minutes(i64::MAX).ends_with('m'));
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
