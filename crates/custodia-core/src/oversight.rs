//! Inspections and the consular and family contact log, docs/oversight.md#inspections and docs/oversight.md#contacts.

use crate::date::Date;

/// The state of an inspection recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecommendationState {
    /// Made, not yet answered.
    Open,
    /// Accepted by the authorities.
    Accepted,
    /// Carried out.
    Implemented,
    /// Rejected (a reason is recorded).
    Rejected,
}

impl RecommendationState {
    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Implemented => "implemented",
            Self::Rejected => "rejected",
        }
    }

    /// Parses a state name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Open, Self::Accepted, Self::Implemented, Self::Rejected].into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a recommendation may move from this state to `to`: open → accepted | rejected,
    /// accepted → implemented | rejected. Implemented and rejected are final.
    pub fn can_become(self, to: RecommendationState) -> bool {
        matches!(
            (self, to),
            (Self::Open, Self::Accepted | Self::Rejected) | (Self::Accepted, Self::Implemented | Self::Rejected)
        )
    }
}

/// An inspection visit and what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// The inspecting body (one of the agreement's `inspection_bodies`).
    pub body: String,
    /// First day of the visit.
    pub from: Date,
    /// Last day of the visit (inclusive).
    pub to: Date,
    /// Findings, as written.
    pub findings: Vec<String>,
    /// Recommendations and their states.
    pub recommendations: Vec<(String, RecommendationState)>,
}

impl Inspection {
    /// Checks an inspection against the agreement's inspecting bodies; problems by field.
    pub fn validate(&self, inspection_bodies: &[String]) -> Result<(), String> {
        if !inspection_bodies.iter().any(|b| b == &self.body) {
            return Err(format!("body: {:?} is not an inspection body of the agreement", self.body));
        }
        if self.to < self.from {
            return Err(format!("to: {} is before from ({})", self.to, self.from));
        }
        if self.recommendations.iter().any(|(text, _)| text.trim().is_empty()) {
            return Err("recommendations: a recommendation needs text".into());
        }
        Ok(())
    }

    /// Moves recommendation `index` to `to`, if that move is allowed.
    pub fn update_recommendation(&mut self, index: usize, to: RecommendationState) -> Result<(), String> {
        let (_, state) =
            self.recommendations.get_mut(index).ok_or_else(|| format!("recommendation {index} does not exist"))?;
        if !state.can_become(to) {
            return Err(format!("a recommendation cannot go from {} to {}", state.as_str(), to.as_str()));
        }
        *state = to;
        Ok(())
    }
}

/// How a contact was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContactMeans {
    /// In person.
    Visit,
    /// By telephone.
    Phone,
    /// By video call.
    Video,
    /// By letter.
    Letter,
    /// By e-mail.
    Email,
}

impl ContactMeans {
    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Visit => "visit",
            Self::Phone => "phone",
            Self::Video => "video",
            Self::Letter => "letter",
            Self::Email => "email",
        }
    }

    /// Parses a name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Visit, Self::Phone, Self::Video, Self::Letter, Self::Email].into_iter().find(|m| m.as_str() == text)
    }
}

/// One entry of the consular and family contact log: who was contacted, when, by what means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// Who was contacted (a consul, a family member…).
    pub contact: String,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// By what means.
    pub means: ContactMeans,
    /// What was said or arranged.
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn recommendations_move_forward_only() {
        use RecommendationState::*;
        assert!(Open.can_become(Accepted) && Open.can_become(Rejected) && Accepted.can_become(Implemented));
        assert!(!Open.can_become(Implemented) && !Implemented.can_become(Open) && !Rejected.can_become(Accepted));
        let mut inspection = Inspection {
            body: "ICRC".into(),
            from: d("2025-05-01"),
            to: d("2025-05-03"),
            findings: vec!["cells at 0.64 m² per person".into()],
            recommendations: vec![("reduce occupancy to the CPT standard".into(), Open)],
        };
        assert!(inspection.validate(&["ICRC".into()]).is_ok());
        assert!(inspection.validate(&["CPT".into()]).unwrap_err().starts_with("body:"));
        assert!(inspection.update_recommendation(0, Implemented).is_err());
        inspection.update_recommendation(0, Accepted).unwrap();
        inspection.update_recommendation(0, Implemented).unwrap();
        assert!(inspection.update_recommendation(1, Accepted).is_err());
        inspection.to = d("2025-04-30");
        assert!(inspection.validate(&["ICRC".into()]).unwrap_err().starts_with("to:"));
    }

    #[test]
    fn contact_means_parse() {
        assert_eq!(ContactMeans::parse("video"), Some(ContactMeans::Video));
        assert_eq!(ContactMeans::parse("fax"), None);
    }
}
