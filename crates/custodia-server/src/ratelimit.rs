//! Fixed-window limits (docs/access.md#failed-attempts): the public locator per client address;
//! failed sign-ins per user and address and per address; bad tokens per address.
//!
//! An attempt is taken *before* the credential is checked, under the limiter's lock, so parallel
//! attempts can never check more credentials than the limit allows; an attempt that succeeds is
//! given back, so only failures count.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most keys tracked at once (a limit). When full of live windows, a new key is refused until
/// windows end: counting is never silently forgotten.
const MAX_KEYS: usize = 100_000;

/// An attempt taken from a window, to give back if it succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    window_start: Instant,
}

/// At most `per_window` attempts per key per window.
#[derive(Debug)]
pub struct RateLimiter<K = IpAddr> {
    per_window: u32,
    window: Duration,
    keys: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// A limiter of `per_minute` attempts a minute.
    pub fn per_minute(per_minute: u32) -> Self {
        Self { per_window: per_minute, window: Duration::from_secs(60), keys: Mutex::new(HashMap::new()) }
    }

    /// Takes one attempt atomically: a ticket when the key is under its limit (the attempt counts
    /// until given back), or how long until the window ends.
    pub fn take(&self, key: &K, now: Instant) -> Result<Ticket, Duration> {
        let Ok(mut keys) = self.keys.lock() else { return Err(self.window) };
        if keys.len() >= MAX_KEYS && !keys.contains_key(key) {
            keys.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            if keys.len() >= MAX_KEYS {
                let oldest = keys.values().map(|(start, _)| *start).min().unwrap_or(now);
                return Err(self.remaining(oldest, now));
            }
        }
        let entry = keys.entry(key.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_window {
            return Err(self.remaining(entry.0, now));
        }
        entry.1 += 1;
        Ok(Ticket { window_start: entry.0 })
    }

    /// Gives back an attempt that succeeded (nothing when its window has ended meanwhile).
    pub fn give_back(&self, key: &K, ticket: Ticket) {
        if let Ok(mut keys) = self.keys.lock()
            && let Some(entry) = keys.get_mut(key)
            && entry.0 == ticket.window_start
        {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    /// Time left in a window that started at `start`, at least a second (for `Retry-After`).
    fn remaining(&self, start: Instant, now: Instant) -> Duration {
        self.window.saturating_sub(now.duration_since(start)).max(Duration::from_secs(1))
    }
}

/// The key of a client address: an IPv4 address, or the /64 network of an IPv6 address (one
/// host usually holds a whole /64, so counting single IPv6 addresses would not limit it).
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_has_its_own_window_and_successes_are_given_back() {
        let limiter = RateLimiter::per_minute(2);
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let t = crate::clock::instant();
        let first = limiter.take(&a, t).unwrap();
        assert!(limiter.take(&a, t).is_ok());
        let wait = limiter.take(&a, t).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        assert!(limiter.take(&b, t).is_ok(), "another address has its own window");
        limiter.give_back(&a, first);
        assert!(limiter.take(&a, t).is_ok(), "a success does not count");
        assert_eq!(limiter.take(&a, t + Duration::from_secs(45)).unwrap_err(), Duration::from_secs(15));
        assert!(limiter.take(&a, t + Duration::from_secs(61)).is_ok(), "a new window");
    }

    #[test]
    fn a_ticket_from_an_ended_window_gives_nothing_back() {
        let limiter = RateLimiter::per_minute(1);
        let a = IpAddr::from([10, 0, 0, 1]);
        let t = crate::clock::instant();
        let old = limiter.take(&a, t).unwrap();
        let later = t + Duration::from_secs(61);
        assert!(limiter.take(&a, later).is_ok());
        limiter.give_back(&a, old);
        assert!(limiter.take(&a, later).is_err(), "the new window's failure still counts");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_network() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let two: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(one), address_key(two));
        assert_ne!(address_key(one), address_key(other));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), IpAddr::from([10, 0, 0, 1]));
    }
}
