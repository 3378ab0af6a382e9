//! Fixed-window limits per client address (the public locator; failed logins and bad tokens).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses tracked at once (a limit: when full, windows are forgotten).
const MAX_CLIENTS: usize = 100_000;

/// At most `per_window` hits per address per window.
#[derive(Debug)]
pub struct RateLimiter {
    per_window: u32,
    window: Duration,
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter of `per_minute` hits a minute.
    pub fn per_minute(per_minute: u32) -> Self {
        Self { per_window: per_minute, window: Duration::from_secs(60), clients: Mutex::new(HashMap::new()) }
    }

    /// Counts a hit; false when the address is over its limit.
    pub fn allow(&self, client: IpAddr, now: Instant) -> bool {
        self.hit(client, now) <= self.per_window
    }

    /// Counts a hit and returns the count in the current window.
    pub fn hit(&self, client: IpAddr, now: Instant) -> u32 {
        let Ok(mut clients) = self.clients.lock() else { return u32::MAX };
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&client) {
            clients.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            if clients.len() >= MAX_CLIENTS {
                clients.clear();
            }
        }
        let entry = clients.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1
    }

    /// Whether the address has used up its window (without counting a hit).
    pub fn is_blocked(&self, client: IpAddr, now: Instant) -> bool {
        let Ok(clients) = self.clients.lock() else { return true };
        clients.get(&client).is_some_and(|(start, n)| now.duration_since(*start) < self.window && *n >= self.per_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_window() {
        let limiter = RateLimiter::per_minute(2);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let t = crate::clock::instant();
        assert!(limiter.allow(a, t));
        assert!(limiter.allow(a, t));
        assert!(!limiter.allow(a, t));
        assert!(limiter.is_blocked(a, t));
        assert!(limiter.allow(b, t));
        assert!(limiter.allow(a, t + Duration::from_secs(61)), "a new window");
    }
}
