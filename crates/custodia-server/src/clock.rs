//! The server is an edge: it reads the wall clock here, and only here, and passes the time on as
//! a parameter (the core and the store never read it).

use custodia_core::Date;
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

/// Today (UTC).
pub fn today() -> Date {
    now().as_str().get(..10).and_then(|d| Date::parse(d).ok()).unwrap_or(custodia_core::date::EPOCH)
}

/// A monotonic instant, for rate limits, caches and latencies.
#[allow(clippy::disallowed_methods)] // the one place the server reads the monotonic clock
pub fn instant() -> std::time::Instant {
    std::time::Instant::now()
}
