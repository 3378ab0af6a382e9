//! The server is an edge: it reads the wall clock here, and only here, and passes the time on as
//! a parameter (the core and the store never read it). There is no "today" here: a day is a
//! facility's (`App::today_at`, docs/lifecycle.md#days), never the UTC date.

use custodia_store::Timestamp;

/// Now, as an RFC 3339 UTC timestamp.
#[allow(clippy::disallowed_methods)] // the one place the server reads the clock
pub fn now() -> Timestamp {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_unix_seconds(seconds).unwrap_or_else(|_| Timestamp::epoch())
}

/// A monotonic instant, for rate limits, caches and latencies.
#[allow(clippy::disallowed_methods)] // the one place the server reads the monotonic clock
pub fn instant() -> std::time::Instant {
    std::time::Instant::now()
}

/// The time the alert scheduler judges by: the wall clock, or one a test sets (days pass in a
/// test without waiting for them).
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<std::sync::Arc<std::sync::Mutex<Timestamp>>>);

impl Clock {
    /// The wall clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands at `at` until [`Clock::set`] moves it.
    pub fn manual(at: Timestamp) -> Self {
        Self(Some(std::sync::Arc::new(std::sync::Mutex::new(at))))
    }

    /// Moves a manual clock (the wall clock is not moved).
    pub fn set(&self, at: Timestamp) {
        if let Some(Ok(mut now)) = self.0.as_ref().map(|m| m.lock()) {
            *now = at;
        }
    }

    /// Now.
    pub fn now(&self) -> Timestamp {
        match self.0.as_ref().map(|m| m.lock()) {
            Some(Ok(now)) => now.clone(),
            _ => now(),
        }
    }
}
