//! Access (SPEC §11): roles, scopes, tokens and passwords.
//!
//! A token is 32 random bytes shown once as `cst_` + base64url; only its SHA-256 is stored, so
//! checking one costs one hash and one indexed lookup (cached for `token_cache_ms`). Passwords are
//! Argon2id PHC strings. A record outside the caller's scope answers 404, exactly like a record
//! that does not exist; a role that may not do something in scope answers 403.

use custodia_store::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use custodia_store::access::UserRow;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

/// The roles of SPEC §11.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users and tokens; may do everything.
    Admin,
    /// The sending state's officer: proposes cases, the sending approval, transfers out, returns.
    SendingOfficer,
    /// The receiving state's officer: the receiving approval, refusals.
    ReceivingOfficer,
    /// Facility staff: admissions, moves, releases, deaths, incidents.
    FacilityOfficer,
    /// Legal officer: screening reviews, legal holds.
    LegalOfficer,
    /// Finance officer: invoices.
    FinanceOfficer,
    /// Reads; files inspections and incidents.
    Inspector,
    /// Reads.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::SendingOfficer,
        Role::ReceivingOfficer,
        Role::FacilityOfficer,
        Role::LegalOfficer,
        Role::FinanceOfficer,
        Role::Inspector,
        Role::Auditor,
    ];

    /// The role's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SendingOfficer => "sending_officer",
            Role::ReceivingOfficer => "receiving_officer",
            Role::FacilityOfficer => "facility_officer",
            Role::LegalOfficer => "legal_officer",
            Role::FinanceOfficer => "finance_officer",
            Role::Inspector => "inspector",
            Role::Auditor => "auditor",
        }
    }

    /// Parses [`Role::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether the role may take this kind of action (reading needs no capability).
    pub fn may(self, capability: Capability) -> bool {
        use Capability as C;
        use Role as R;
        match self {
            R::Admin => true,
            R::Auditor => false,
            R::Inspector => matches!(capability, C::FileInspection | C::FileIncident),
            R::SendingOfficer => matches!(
                capability,
                C::ProposeCase | C::SendingCaseStep | C::LogContact | C::ScreenPersons | C::ImportPersons
            ),
            R::ReceivingOfficer => {
                matches!(capability, C::ReceivingCaseStep | C::LogContact | C::FileIncident | C::ScreenPersons)
            }
            R::FacilityOfficer => matches!(capability, C::FacilityCaseStep | C::FileIncident | C::ManageCells),
            R::LegalOfficer => matches!(capability, C::LegalCaseStep | C::ScreenPersons),
            R::FinanceOfficer => matches!(capability, C::Invoices),
        }
    }
}

/// What a write needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Import or amend agreements.
    ManageAgreements,
    /// Users and tokens.
    ManageUsers,
    /// Import person files.
    ImportPersons,
    /// Screen persons.
    ScreenPersons,
    /// Open a case.
    ProposeCase,
    /// Sending-state steps: screen, sending approval, schedule, depart, withdraw, schedule return,
    /// return.
    SendingCaseStep,
    /// Receiving-state steps: receiving approval, refuse.
    ReceivingCaseStep,
    /// Facility steps: admit, move, release, record a death.
    FacilityCaseStep,
    /// Legal steps: resolve and confirm reviews, place and lift holds.
    LegalCaseStep,
    /// Import cells.
    ManageCells,
    /// File and update incidents.
    FileIncident,
    /// File inspections and update recommendations.
    FileInspection,
    /// Log consular and family contacts.
    LogContact,
    /// Draft and issue invoices.
    Invoices,
}

/// The authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The user's name (the actor on events).
    pub name: String,
    /// The role.
    pub role: Role,
    /// Agreement ids in scope, or `None` for every agreement.
    pub agreements: Option<Vec<String>>,
    /// Facility ids in scope, or `None` for every facility.
    pub facilities: Option<Vec<String>>,
}

fn scope(items: &[String]) -> Option<Vec<String>> {
    if items.iter().any(|i| i == "*") { None } else { Some(items.to_vec()) }
}

impl Principal {
    /// From a stored user; `None` when the stored role is unknown.
    pub fn from_user(user: &UserRow) -> Option<Self> {
        Some(Self {
            name: user.name.clone(),
            role: Role::parse(&user.role)?,
            agreements: scope(&user.agreements),
            facilities: scope(&user.facilities),
        })
    }

    /// Whether an agreement is in scope.
    pub fn sees_agreement(&self, agreement_id: &str) -> bool {
        self.agreements.as_ref().is_none_or(|a| a.iter().any(|x| x == agreement_id))
    }

    /// Whether a record of an agreement, bound to a facility or not, is in scope. Records not bound
    /// to a facility (a case not yet placed) are in scope for everyone scoped to the agreement.
    pub fn sees(&self, agreement_id: &str, facility_id: Option<&str>) -> bool {
        self.sees_agreement(agreement_id)
            && match (facility_id, &self.facilities) {
                (Some(f), Some(allowed)) => allowed.iter().any(|x| x == f),
                _ => true,
            }
    }

    /// 404 unless the agreement is in scope.
    pub fn agreement_in_scope(&self, agreement_id: &str) -> Result<(), ApiError> {
        if self.sees_agreement(agreement_id) {
            Ok(())
        } else {
            Err(ApiError::not_found(format!("agreement {agreement_id} does not exist")))
        }
    }

    /// 403 unless the role has the capability.
    pub fn require(&self, capability: Capability) -> Result<(), ApiError> {
        if self.role.may(capability) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("the {} role may not do this ({capability:?})", self.role.as_str())))
        }
    }
}

/// A new token: the secret to show once, and the hash to store.
pub fn new_token() -> Result<(String, [u8; 32]), getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    let text = format!("cst_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret));
    let hash = token_hash(&text);
    Ok((text, hash))
}

/// SHA-256 of a token's text.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Argon2id hash (PHC string) of a password, with a random salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether a password matches an Argon2id PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Checked tokens, kept for a short time so a read costs one hash and one map lookup.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
}

/// Most cached tokens (a limit: the cache is cleared when full).
const MAX_CACHED_TOKENS: usize = 10_000;

impl TokenCache {
    fn get(&self, hash: &[u8; 32], ttl: Duration, now: Instant) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        entries.get(hash).filter(|(_, at)| now.duration_since(*at) < ttl).map(|(p, _)| p.clone())
    }

    fn put(&self, hash: [u8; 32], principal: Principal, now: Instant) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_CACHED_TOKENS {
                entries.clear();
            }
            entries.insert(hash, (principal, now));
        }
    }

    /// Forgets every cached token (after a revocation through this server).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let client = crate::state::client_address(parts);
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).filter(|t| !t.is_empty())
        else {
            return Err(ApiError::unauthenticated());
        };
        let hash = token_hash(token);
        let now = crate::clock::instant();
        let ttl = Duration::from_millis(state.config.token_cache_ms);
        if let Some(p) = state.tokens.get(&hash, ttl, now) {
            return Ok(p);
        }
        if state.auth_failures.is_blocked(client, now) {
            return Err(ApiError::rate_limited());
        }
        let user = state.store.user_by_token(&hash).await.map_err(ApiError::from)?;
        match user.as_ref().and_then(Principal::from_user) {
            Some(p) => {
                state.tokens.put(hash, p.clone(), now);
                Ok(p)
            }
            None => {
                state.auth_failures.hit(client, now);
                Err(ApiError::unauthenticated())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_only_their_hash_identifies_them() {
        let (a, ha) = new_token().unwrap();
        let (b, hb) = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("cst_") && a.len() == 4 + 43, "{a}");
        assert_eq!(token_hash(&a), ha);
        assert_ne!(ha, hb);
    }

    #[test]
    fn passwords_are_argon2id() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn scopes_hide_other_agreements_and_facilities() {
        let p = Principal {
            name: "f".into(),
            role: Role::FacilityOfficer,
            agreements: Some(vec!["us-sv-cecot".into()]),
            facilities: Some(vec!["cecot".into()]),
        };
        assert!(p.sees("us-sv-cecot", Some("cecot")));
        assert!(p.sees("us-sv-cecot", None), "a case not yet placed");
        assert!(!p.sees("us-sv-cecot", Some("izalco")));
        assert!(!p.sees("dk-xk-gjilan", None));
        assert!(p.require(Capability::FacilityCaseStep).is_ok());
        assert!(p.require(Capability::Invoices).is_err());
        assert!(!Role::Auditor.may(Capability::FileIncident));
        assert!(Role::Inspector.may(Capability::FileInspection));
    }
}
