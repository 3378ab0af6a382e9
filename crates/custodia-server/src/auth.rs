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
            crate::hardening::note_user(&parts.extensions, &p.name);
            return Ok(p);
        }
        if state.auth_failures.is_blocked(client, now) {
            return Err(ApiError::rate_limited());
        }
        match state.app.user_for_token_hash(&hash).await {
            Ok(p) => {
                state.tokens.put(hash, p.clone(), now);
                crate::hardening::note_user(&parts.extensions, &p.name);
                Ok(p)
            }
            Err(custodia_app::AppError::Unauthenticated(_)) => {
                state.auth_failures.hit(client, now);
                Err(ApiError::unauthenticated())
            }
            Err(other) => Err(other.into()),
        }
    }
}
