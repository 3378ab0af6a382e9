//! Access records (SPEC §11): users with a role and scopes, API tokens (only their SHA-256 is
//! stored), the log of reads of a person's file, and kept answers for idempotent requests. The
//! rules that use them (roles, scopes, two-person checks) live in the server; this is storage.

/// A user as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    /// The user id.
    pub id: i64,
    /// The unique name (also the actor recorded on events).
    pub name: String,
    /// The role name (`admin`, `sending_officer`, …).
    pub role: String,
    /// Agreement ids in scope; `*` for every agreement.
    pub agreements: Vec<String>,
    /// Facility ids in scope; `*` for every facility.
    pub facilities: Vec<String>,
    /// Argon2id PHC string, when the user may log in with a password.
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("agreements", &self.agreements)
            .field("facilities", &self.facilities)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A new user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    /// The unique name.
    pub name: String,
    /// The role name.
    pub role: String,
    /// Agreement ids in scope (`*` for all).
    pub agreements: Vec<String>,
    /// Facility ids in scope (`*` for all).
    pub facilities: Vec<String>,
    /// Argon2id PHC string, if any.
    pub password_hash: Option<String>,
}

/// An API token as listed (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// The token id.
    pub id: i64,
    /// Its user.
    pub user_name: String,
    /// A label chosen when it was created.
    pub label: String,
    /// When it was created (RFC 3339 UTC).
    pub created_at: String,
    /// When it was revoked.
    pub revoked_at: Option<String>,
}

/// One read of a person's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRead {
    /// Who read it.
    pub user_name: String,
    /// The person's Custodia id.
    pub person_id: i64,
    /// The route (`GET /api/v1/persons/{id}`).
    pub route: String,
    /// When (RFC 3339 UTC).
    pub at: String,
}

/// The first answer to an idempotent request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptAnswer {
    /// SHA-256 of the method, path and body of the first request.
    pub request_sha256: Vec<u8>,
    /// Its HTTP status.
    pub status: u16,
    /// Its body.
    pub response: String,
}

pub(crate) fn list_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

pub(crate) fn list_from_json(text: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(text).unwrap_or_default()
}
