//! The one error of the application layer. Every edge maps it in one place: the server to an
//! HTTP status and `{code, message, field}`, the command line to an exit status and a message.

use custodia_store::StoreError;

/// Why a use case did not happen. Nothing was written in any case.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// No credential, or one that identifies nobody.
    #[error("{0}")]
    Unauthenticated(String),
    /// Absent, or outside the caller's scope (never told apart).
    #[error("{0}")]
    NotFound(String),
    /// In scope, but the caller's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A field of the request is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field at fault (`placement.cell_id`, `--agreements` …).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A rule refuses the request; `code` is the rule's stable code (`ON_HOLD`, `SAME_APPROVER`).
    #[error("{code}: {message}")]
    Refused {
        /// The stable code.
        code: String,
        /// The facts, for people.
        message: String,
    },
    /// The request conflicts with another (a name already taken, a key reused with another body).
    #[error("{message}")]
    Conflict {
        /// The request field at fault, when there is one.
        field: Option<String>,
        /// What conflicts.
        message: String,
    },
    /// The record changed since the version the request was based on.
    #[error("{0}")]
    Stale(String),
    /// The register could not be used (a database failure, a corrupt record); details are for
    /// the operator's log.
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    /// A field of the request is wrong.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.to_owned(), message: message.into() }
    }

    /// A rule refuses the request.
    pub fn refused(code: &str, message: impl Into<String>) -> Self {
        Self::Refused { code: code.to_owned(), message: message.into() }
    }

    /// Absent or out of scope.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
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
            StoreError::NotFound(message) => Self::NotFound(message),
            StoreError::Refused(message) => Self::refused("REFUSED", message),
            StoreError::Stale(message) => Self::Stale(message),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<custodia_core::custody::Refusal> for AppError {
    fn from(refusal: custodia_core::custody::Refusal) -> Self {
        Self::refused(refusal.code(), refusal.to_string())
    }
}

/// What use cases return.
pub type AppResult<T> = Result<T, AppError>;
