//! The one error of the application layer. Every edge maps it in one place: the server to an
//! HTTP status and `{code, message, field}`, the command line to an exit status and a message.
//! Messages are [`Text`]s — a catalogue key with the facts as named arguments — rendered by the
//! edge in the reader's language (docs/languages.md); `Display` is English, for logs.

use custodia_i18n::{Language, Text};
use custodia_store::StoreError;

/// Why a use case did not happen. Nothing was written in any case.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// No credential, or one that identifies nobody.
    #[error("{0}")]
    Unauthenticated(Text),
    /// Absent, or outside the caller's scope (never told apart).
    #[error("{0}")]
    NotFound(Text),
    /// In scope, but the caller's role may not do this.
    #[error("{0}")]
    Forbidden(Text),
    /// A field of the request is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field at fault (`placement.cell_id`, `--agreements` …).
        field: String,
        /// What is wrong with it.
        message: Text,
    },
    /// A rule refuses the request; `code` is the rule's stable code (`ON_HOLD`, `SAME_APPROVER`).
    #[error("{code}: {message}")]
    Refused {
        /// The stable code.
        code: String,
        /// The facts, for people.
        message: Text,
    },
    /// The request conflicts with another (a name already taken, a key reused with another body).
    #[error("{message}")]
    Conflict {
        /// The request field at fault, when there is one.
        field: Option<String>,
        /// What conflicts.
        message: Text,
    },
    /// The record changed since the version the request was based on.
    #[error("{0}")]
    Stale(Text),
    /// The register could not be used (a database failure, a corrupt record); details are for
    /// the operator's log.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A field of the request is wrong.
    pub fn invalid(field: &str, message: impl Into<Text>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }

    /// A rule refuses the request.
    pub fn refused(code: &str, message: impl Into<Text>) -> Self {
        Self::Refused { code: code.to_owned(), message: message.into() }
    }

    /// Absent or out of scope.
    pub fn not_found(message: impl Into<Text>) -> Self {
        Self::NotFound(message.into())
    }

    /// `WHAT ID does not exist` (`NOT_FOUND.record`; `what` is `person`, `case`, `invoice` …).
    pub fn no_such(what: &'static str, id: impl std::fmt::Display) -> Self {
        Self::NotFound(Text::new("NOT_FOUND.record").arg("what", what).arg("id", id.to_string()))
    }

    /// A rule refuses the request: `code` with the facts as named arguments of its message.
    pub fn rule(code: &'static str, message: Text) -> Self {
        Self::Refused { code: code.to_owned(), message }
    }

    /// The message for people in `language` (the facts included; an internal error's detail is
    /// for the operator's log only, never in it).
    pub fn message(&self, language: Language) -> String {
        match self {
            Self::Unauthenticated(t) | Self::NotFound(t) | Self::Forbidden(t) | Self::Stale(t) => t.render(language),
            Self::Invalid { message, .. } | Self::Refused { message, .. } | Self::Conflict { message, .. } => {
                message.render(language)
            }
            Self::Internal(_) => custodia_i18n::text(language, "INTERNAL", &[]),
        }
    }

    /// The message's text (none for an internal error).
    pub fn text(&self) -> Option<&Text> {
        match self {
            Self::Unauthenticated(t) | Self::NotFound(t) | Self::Forbidden(t) | Self::Stale(t) => Some(t),
            Self::Invalid { message, .. } | Self::Refused { message, .. } | Self::Conflict { message, .. } => {
                Some(message)
            }
            Self::Internal(_) => None,
        }
    }

    /// The stable code of the failure (`NOT_FOUND`, `INVALID`, a rule's own code …).
    pub fn code(&self) -> &str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::Invalid { .. } => "INVALID",
            Self::Refused { code, .. } => code,
            Self::Conflict { .. } => "CONFLICT",
            Self::Stale(_) => "PRECONDITION_FAILED",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(detail) => Self::NotFound(Text::new("NOT_FOUND.detail").arg("detail", detail)),
            StoreError::Refused(detail) => Self::rule("REFUSED", Text::new("REFUSED").arg("detail", detail)),
            StoreError::Stale(detail) => Self::Stale(Text::new("PRECONDITION_FAILED.detail").arg("detail", detail)),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<custodia_core::custody::Refusal> for AppError {
    fn from(refusal: custodia_core::custody::Refusal) -> Self {
        Self::rule(refusal.code(), custodia_i18n::facts::refusal(&refusal))
    }
}

/// A two-person-rule refusal the store made (a race the use case's own check did not see): its
/// words are the store's, in English, framed in the reader's language.
pub(crate) fn two_person_detail(detail: String) -> AppError {
    AppError::rule("TWO_PERSON_RULE", Text::new("TWO_PERSON_RULE.detail").arg("detail", detail))
}

/// Every stable code an edge can answer or show (docs/languages.md): the generic codes of the API
/// and the command line, every refusal, every alert and warning, every eligibility rule. Each
/// has a message in both catalogues, and a code the source emits that is missing here fails the
/// tests (`tests/messages.rs`).
pub const STABLE_CODES: &[&str] = &[
    // Generic codes.
    "UNAUTHENTICATED",
    "NOT_FOUND",
    "FORBIDDEN",
    "INVALID",
    "CONFLICT",
    "PRECONDITION_FAILED",
    "INTERNAL",
    "TIMEOUT",
    "RATE_LIMITED",
    "HEADERS_TOO_LARGE",
    "PAYLOAD_TOO_LARGE",
    "METHOD_NOT_ALLOWED",
    "UNSUPPORTED_MEDIA_TYPE",
    "REFUSED",
    "INPUT",
    // Refusals of case steps (core).
    "INVALID_TRANSITION",
    "ON_HOLD",
    "CHALLENGE_PENDING",
    "NOT_APPROVED",
    "SAME_APPROVER",
    "NOT_ELIGIBLE",
    "NEEDS_REVIEW",
    "NOT_UNKNOWN",
    "INCOMPLETE_REVIEW",
    "NO_LEGAL_BASIS",
    "AGREEMENT_ENDED",
    "NO_COMMITMENT_ORDER",
    "NO_INTAKE_RECORD",
    "CAPACITY_FLOOR",
    "CONTRACTED_PLACES",
    "NEEDS_OVERRIDE",
    "UNKNOWN_HOLD",
    "NO_REASON",
    "WRONG_DESTINATION",
    // Refusals of the application layer.
    "NOT_IMPORTED_UNDER_AGREEMENT",
    "APPROVAL_USED",
    "ALREADY_CONFIRMED",
    "TWO_PERSON_RULE",
    "CELL_OCCUPIED",
    "STALE",
    "ALREADY_DISABLED",
    "NOT_DISABLED",
    "LAST_ADMIN",
    "USER_DISABLED",
    "EMPTY_JOURNAL",
    "FORECAST_TOO_LARGE",
    "NOBODY_ELIGIBLE",
    "NOT_ISSUED",
    "NOT_PENDING",
    "RECOMMENDATION_STATE",
    "NO_INVESTIGATION",
    "INVESTIGATION_STATE",
    "FINDING_REQUIRED",
    "FINDING_NOT_CLOSING",
    "ALREADY_ANSWERED",
    "ALREADY_ESCALATED",
    "UNKNOWN_BODY",
    "NOT_IN_CUSTODY",
    "COUNSEL_NOT_REFUSABLE",
    "INJURIES_UNDOCUMENTED",
    "UNFIT_FOR_SOLITARY",
    "ALREADY_IN_SOLITARY",
    "ALREADY_ENDED",
    "END_BEFORE_START",
    // Alerts and warnings.
    "RETURN_NOT_SCHEDULED",
    "RETURN_OVERDUE",
    "HELD_BEYOND_RELEASE",
    "HOLD_IN_TRANSIT",
    "CONTRACTED_PLACES_EXCEEDED",
    "STANDARD_CAPACITY_EXCEEDED",
    "NOTIFICATION_OVERDUE",
    "INELIGIBLE_IN_CUSTODY",
    "COURT_RETURN_OVERDUE",
    "AGREEMENT_ENDING",
    "HELD_AFTER_AGREEMENT_END",
    "STUCK_IN_TRANSIT",
    "CELL_ABOVE_STANDARD",
    "OVERRIDE_EXPIRED",
    "CELL_ABOVE_FLOOR",
    "INVESTIGATION_OVERDUE",
    "COMPLAINT_UNANSWERED",
    "WITNESS_COSIGNATURE_OVERDUE",
    "MEDICAL_EXAM_OVERDUE",
    "VISITS_BELOW_MINIMUM",
    "CONSULAR_ACCESS_OVERDUE",
    "PROLONGED_SOLITARY",
    "SOLITARY_REVIEW_OVERDUE",
    "SINGLE_ADMIN",
    // Eligibility rules (docs/rules.md).
    "E01",
    "E02",
    "E03",
    "E04",
    "E05",
    "E06",
    "E07",
    "E08",
    "E09",
    "E10",
    "E11",
    "E12",
    "E13",
    "E14",
    "E15",
];

/// What use cases return.
pub type AppResult<T> = Result<T, AppError>;
