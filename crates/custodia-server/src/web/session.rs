//! Server-side sessions of the web interface (docs/web.md#sessions).
//!
//! Signing in with a password issues a token through the application layer (labelled `login`,
//! expiring with the session); the session keeps only that token's hash, so every page resolves
//! the same user, role and scopes an API token would — a disabled user or a revoked token ends the
//! session too. Sessions live in the server's memory: a restart signs everyone out. A session ends
//! after [`IDLE`] without a request, [`ABSOLUTE`] after sign-in, or at sign-out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

/// A session without a request for this long ends.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session ends this long after sign-in, whatever its use (its token expires then too).
pub const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
/// Most sessions held at once (a limit): beyond it the oldest is ended.
pub const MAX_SESSIONS: usize = 10_000;
/// The session cookie's name.
pub const COOKIE: &str = "custodia_session";

/// A signed-in browser.
#[derive(Clone, Debug)]
pub struct Session {
    /// The SHA-256 of the token the sign-in issued.
    pub token_hash: [u8; 32],
    /// That token's id (revoked at sign-out).
    pub token_id: i64,
    /// The CSRF token every form of the session carries.
    pub csrf: String,
    started: Instant,
    last_seen: Instant,
}

impl Session {
    fn live(&self, now: Instant) -> bool {
        now.duration_since(self.started) < ABSOLUTE && now.duration_since(self.last_seen) < IDLE
    }
}

/// The sessions of this server, by the SHA-256 of their id.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<[u8; 32], Session>>,
}

/// 32 random bytes as base64url (256 bits: a session id or a CSRF token).
pub fn random_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

fn key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// Whether two secrets are equal, compared as hashes (the time taken does not depend on where
/// they differ).
pub fn same_secret(a: &str, b: &str) -> bool {
    key(a) == key(b)
}

impl Sessions {
    /// Starts a session for a token; its id (for the cookie) and the session.
    pub fn start(
        &self,
        token_hash: [u8; 32],
        token_id: i64,
        now: Instant,
    ) -> Result<(String, Session), getrandom::Error> {
        let id = random_secret()?;
        let session = Session { token_hash, token_id, csrf: random_secret()?, started: now, last_seen: now };
        if let Ok(mut map) = self.by_id.lock() {
            map.retain(|_, s| s.live(now));
            if map.len() >= MAX_SESSIONS {
                let oldest = map.iter().min_by_key(|(_, s)| s.started).map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    map.remove(&oldest);
                }
            }
            map.insert(key(&id), session.clone());
        }
        Ok((id, session))
    }

    /// The live session of an id, its idle time restarted; an expired one is ended.
    pub fn touch(&self, id: &str, now: Instant) -> Option<Session> {
        let mut map = self.by_id.lock().ok()?;
        let k = key(id);
        let live = map.get(&k).is_some_and(|s| s.live(now));
        if !live {
            map.remove(&k);
            return None;
        }
        let session = map.get_mut(&k)?;
        session.last_seen = now;
        Some(session.clone())
    }

    /// Ends a session; the ended session, if it was there.
    pub fn end(&self, id: &str) -> Option<Session> {
        self.by_id.lock().ok()?.remove(&key(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_when_idle_or_old_and_at_sign_out() {
        let sessions = Sessions::default();
        let t = crate::clock::instant();
        let (id, s) = sessions.start([7; 32], 3, t).unwrap();
        assert_eq!(id.len(), 43, "256 bits in base64url");
        assert_ne!(id, s.csrf);
        assert!(sessions.touch(&id, t + IDLE - Duration::from_secs(1)).is_some());
        let later = t + IDLE + IDLE - Duration::from_secs(2);
        assert!(sessions.touch(&id, later).is_some(), "each request restarts the idle time");
        assert!(sessions.touch(&id, later + IDLE).is_none(), "idle too long");
        assert!(sessions.touch(&id, later).is_none(), "an ended session stays ended");
        let (id, _) = sessions.start([7; 32], 3, t).unwrap();
        let mut now = t;
        while now < t + ABSOLUTE - Duration::from_secs(600) {
            now += Duration::from_secs(600);
            assert!(sessions.touch(&id, now).is_some());
        }
        assert!(sessions.touch(&id, t + ABSOLUTE).is_none(), "absolute expiry");
        let (id, _) = sessions.start([7; 32], 3, t).unwrap();
        assert_eq!(sessions.end(&id).map(|s| s.token_id), Some(3));
        assert!(sessions.touch(&id, t).is_none());
        assert!(sessions.touch("not-a-session", t).is_none());
    }

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("", "abc"));
    }
}
