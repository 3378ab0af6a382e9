//! Access over HTTP: the bearer-token extractor and its cache. Roles, capabilities, scopes, tokens
//! and passwords are the application layer's ([`custodia_app::access`], docs/access.md); a record
//! outside the caller's scope answers 404, exactly like a record that does not exist; a role that
//! may not do something in scope answers 403.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
pub use custodia_app::access::{Capability, Principal, Role, hash_password, new_token, token_hash, verify_password};

use crate::error::ApiError;
use crate::state::AppState;

/// Checked tokens, kept for a short time so a read costs one hash and one map lookup. An entry is
/// used for at most the cache time and never past its token's expiry; a revocation or a user
/// disabled through this server clears the cache, so elsewhere they take effect within the cache
/// time (docs/access.md#token-cache).
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: Mutex<HashMap<[u8; 32], Cached>>,
}

#[derive(Debug)]
struct Cached {
    principal: Principal,
    at: Instant,
    expires_at_unix: Option<i64>,
}

/// Most cached tokens (a limit: the cache is cleared when full).
const MAX_CACHED_TOKENS: usize = 10_000;

impl TokenCache {
    fn get(&self, hash: &[u8; 32], ttl: Duration, now: Instant, now_unix: i64) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(hash)
            .filter(|c| now.duration_since(c.at) < ttl && c.expires_at_unix.is_none_or(|at| now_unix < at))
            .map(|c| c.principal.clone())
    }

    fn put(&self, hash: [u8; 32], principal: Principal, expires_at_unix: Option<i64>, now: Instant) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_CACHED_TOKENS {
                entries.clear();
            }
            entries.insert(hash, Cached { principal, at: now, expires_at_unix });
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

    /// A valid token is always accepted, whatever the failures from the caller's address: only
    /// bad tokens count, and beyond `auth_failures_per_minute` a bad token answers 429 instead of
    /// 401 (docs/access.md#failed-attempts).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim).filter(|t| !t.is_empty())
        else {
            return Err(ApiError::unauthenticated());
        };
        principal_for_hash(state, parts, &token_hash(token)).await
    }
}

/// The user a token's hash identifies (through the cache), as every edge resolves it: the bearer
/// token of the API and the session of the web interface.
pub(crate) async fn principal_for_hash(
    state: &AppState,
    parts: &Parts,
    hash: &[u8; 32],
) -> Result<Principal, ApiError> {
    let now = crate::clock::instant();
    let wall = crate::clock::now();
    let ttl = Duration::from_millis(state.config.token_cache_ms);
    if let Some(p) = state.tokens.get(hash, ttl, now, wall.unix_seconds()) {
        crate::hardening::note_user(&parts.extensions, &p.name);
        return Ok(p);
    }
    let client = state.client(parts);
    let attempt = state.token_failures.take(&client, now);
    match state.app.user_for_token_hash(hash, &wall).await {
        Ok(found) => {
            if let Ok(ticket) = attempt {
                state.token_failures.give_back(&client, ticket);
            }
            state.tokens.put(*hash, found.principal.clone(), found.expires_at_unix, now);
            crate::hardening::note_user(&parts.extensions, &found.principal.name);
            Ok(found.principal)
        }
        Err(custodia_app::AppError::Unauthenticated(message)) => {
            tracing::warn!(%client, reason = %message, "bearer token refused");
            match attempt {
                Ok(_) => Err(ApiError::invalid_token(message)),
                Err(retry_after) => Err(ApiError::rate_limited(retry_after)),
            }
        }
        Err(other) => {
            if let Ok(ticket) = attempt {
                state.token_failures.give_back(&client, ticket);
            }
            Err(other.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_token_is_used_for_the_cache_time_and_never_past_its_expiry() {
        let cache = TokenCache::default();
        let who =
            Principal { name: "ana".into(), role: Role::Auditor, agreements: None, facilities: None, language: None };
        let t = crate::clock::instant();
        let ttl = Duration::from_secs(2);
        cache.put([1; 32], who.clone(), Some(1_000), t);
        cache.put([2; 32], who.clone(), None, t);
        assert_eq!(cache.get(&[1; 32], ttl, t, 999), Some(who.clone()));
        assert_eq!(cache.get(&[1; 32], ttl, t, 1_000), None, "expired while cached");
        assert_eq!(cache.get(&[2; 32], ttl, t + Duration::from_millis(1999), 5_000), Some(who));
        assert_eq!(cache.get(&[2; 32], ttl, t + ttl, 5_000), None, "the cache time is over");
        cache.clear();
        assert_eq!(cache.get(&[1; 32], ttl, t, 0), None);
    }
}
