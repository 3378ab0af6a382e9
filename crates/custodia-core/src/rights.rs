//! The detainee's side (docs/rights.md): requests and complaints (Nelson Mandela Rules 56–57) with
//! their answer deadline. Pure: times are parameters, never the clock.

use crate::alerts::{Alert, AlertKind};

/// What a complaint is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ComplaintCategory {
    /// Material conditions: space, food, water, hygiene, light, air.
    Conditions,
    /// Treatment by staff, discipline, force.
    Treatment,
    /// Health care.
    Health,
    /// Access to counsel, courts, the consul; the legal basis.
    Legal,
    /// Contact with family: visits, calls, letters.
    Family,
    /// Property kept at intake.
    Property,
    /// Anything else.
    Other,
}

impl ComplaintCategory {
    /// Every category.
    pub const ALL: [ComplaintCategory; 7] =
        [Self::Conditions, Self::Treatment, Self::Health, Self::Legal, Self::Family, Self::Property, Self::Other];

    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Conditions => "conditions",
            Self::Treatment => "treatment",
            Self::Health => "health",
            Self::Legal => "legal",
            Self::Family => "family",
            Self::Property => "property",
            Self::Other => "other",
        }
    }

    /// The category of that name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// A complaint's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The answer's text.
    pub text: String,
    /// Who answered.
    pub by: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The same instant, Unix seconds.
    pub at_unix: i64,
}

/// A complaint's escalation to an inspecting body the agreement names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// The inspecting body.
    pub body: String,
    /// Who escalated it.
    pub by: String,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// A request or complaint filed by or for a detainee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Complaint {
    /// What it is about.
    pub category: ComplaintCategory,
    /// Readable only by the inspecting bodies and the sending state's officers, never by the
    /// facility or the receiving state's officers.
    pub confidential: bool,
    /// The complaint in the detainee's words.
    pub text: String,
    /// Who recorded it.
    pub filed_by: String,
    /// When it was made (RFC 3339, UTC).
    pub filed_at: String,
    /// The same instant, Unix seconds.
    pub filed_at_unix: i64,
    /// When the answer is due, Unix seconds: `complaint_answer_days` after it was made.
    pub due_at_unix: i64,
    /// It alleges torture or ill-treatment: the allegation's incident is opened with it.
    pub alleges_ill_treatment: bool,
    /// The incident opened for that allegation.
    pub incident_id: Option<i64>,
    /// The answer, once given.
    pub answer: Option<Answer>,
    /// The escalation, once made.
    pub escalation: Option<Escalation>,
}

/// When a complaint made at `filed_at_unix` must be answered: `answer_days` later.
pub fn answer_due_unix(filed_at_unix: i64, answer_days: u32) -> i64 {
    filed_at_unix.saturating_add(i64::from(answer_days).saturating_mul(86_400))
}

/// Why an answer or an escalation is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ComplaintRefusal {
    /// It was answered before: an answer is never replaced.
    AlreadyAnswered,
    /// It was escalated before.
    AlreadyEscalated,
    /// The body is not one the agreement names.
    UnknownBody {
        /// The body asked for.
        body: String,
    },
}

impl ComplaintRefusal {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::AlreadyAnswered => "ALREADY_ANSWERED",
            Self::AlreadyEscalated => "ALREADY_ESCALATED",
            Self::UnknownBody { .. } => "UNKNOWN_BODY",
        }
    }
}

impl Complaint {
    /// Still unanswered after its deadline, at `now_unix`.
    pub fn is_overdue(&self, now_unix: i64) -> bool {
        self.answer.is_none() && now_unix > self.due_at_unix
    }

    /// Answered after its deadline.
    pub fn answered_late(&self) -> bool {
        self.answer.as_ref().is_some_and(|a| a.at_unix > self.due_at_unix)
    }

    /// The complaint answered (refused if it was answered before).
    pub fn answered(&self, answer: Answer) -> Result<Complaint, ComplaintRefusal> {
        if self.answer.is_some() {
            return Err(ComplaintRefusal::AlreadyAnswered);
        }
        Ok(Complaint { answer: Some(answer), ..self.clone() })
    }

    /// The complaint escalated to `escalation.body`, one of `bodies` (refused if escalated before).
    pub fn escalated(&self, escalation: Escalation, bodies: &[String]) -> Result<Complaint, ComplaintRefusal> {
        if self.escalation.is_some() {
            return Err(ComplaintRefusal::AlreadyEscalated);
        }
        if !bodies.contains(&escalation.body) {
            return Err(ComplaintRefusal::UnknownBody { body: escalation.body });
        }
        Ok(Complaint { escalation: Some(escalation), ..self.clone() })
    }
}

/// A complaint, for the deadline check.
#[derive(Clone, Debug)]
pub struct ComplaintFacts<'a> {
    /// Its subject (`complaint-<id>`).
    pub subject: &'a str,
    /// The complaint.
    pub complaint: &'a Complaint,
}

/// `COMPLAINT_UNANSWERED` warnings: every complaint still unanswered at `now_unix`, past its due
/// time.
pub fn unanswered_complaints(complaints: &[ComplaintFacts<'_>], now_unix: i64) -> Vec<Alert> {
    complaints
        .iter()
        .filter(|c| c.complaint.is_overdue(now_unix))
        .map(|c| {
            let days = now_unix.saturating_sub(c.complaint.due_at_unix) / 86_400;
            let category = c.complaint.category.as_str();
            Alert {
                kind: AlertKind::ComplaintUnanswered,
                subject: c.subject.to_owned(),
                reason: format!("a {category} complaint is unanswered {days} days past its deadline"),
                facts: vec![("category", category.to_owned()), ("days", days.to_string())],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complaint(filed_at_unix: i64, days: u32) -> Complaint {
        Complaint {
            category: ComplaintCategory::Conditions,
            confidential: false,
            text: "no water in cell B1-C01 for two days".into(),
            filed_by: "facility".into(),
            filed_at: String::new(),
            filed_at_unix,
            due_at_unix: answer_due_unix(filed_at_unix, days),
            alleges_ill_treatment: false,
            incident_id: None,
            answer: None,
            escalation: None,
        }
    }

    fn answer(at_unix: i64) -> Answer {
        Answer { text: "water restored".into(), by: "warden".into(), at: String::new(), at_unix }
    }

    #[test]
    fn a_complaint_is_due_after_the_agreements_days_and_overdue_only_unanswered() {
        let c = complaint(1_000_000, 14);
        assert_eq!(c.due_at_unix, 1_000_000 + 14 * 86_400);
        assert!(!c.is_overdue(c.due_at_unix), "on the due second it is still on time");
        assert!(c.is_overdue(c.due_at_unix + 1));
        let subject = "complaint-1";
        let alerts = unanswered_complaints(&[ComplaintFacts { subject, complaint: &c }], c.due_at_unix + 3 * 86_400);
        assert_eq!(alerts.len(), 1);
        assert_eq!((alerts[0].kind.code(), alerts[0].subject.as_str()), ("COMPLAINT_UNANSWERED", subject));
        assert_eq!(alerts[0].facts, vec![("category", "conditions".to_owned()), ("days", "3".to_owned())]);
        let late = c.answered(answer(c.due_at_unix + 5)).unwrap();
        assert!(!late.is_overdue(i64::MAX) && late.answered_late());
        assert!(unanswered_complaints(&[ComplaintFacts { subject, complaint: &late }], i64::MAX).is_empty());
        assert_eq!(late.answered(answer(0)).unwrap_err().code(), "ALREADY_ANSWERED");
        assert!(!c.answered(answer(c.due_at_unix)).unwrap().answered_late());
    }

    #[test]
    fn escalation_goes_to_a_named_body_once() {
        let c = complaint(0, 14);
        let bodies = vec!["ICRC".to_owned()];
        let to = |body: &str| Escalation { body: body.into(), by: "consul".into(), at: String::new() };
        assert_eq!(c.escalated(to("UN SPT"), &bodies).unwrap_err().code(), "UNKNOWN_BODY");
        let escalated = c.escalated(to("ICRC"), &bodies).unwrap();
        assert_eq!(escalated.escalated(to("ICRC"), &bodies).unwrap_err().code(), "ALREADY_ESCALATED");
    }

    #[test]
    fn categories_parse_by_name() {
        for c in ComplaintCategory::ALL {
            assert_eq!(ComplaintCategory::parse(c.as_str()), Some(c));
        }
        assert_eq!(ComplaintCategory::parse("Conditions"), None);
    }
}
