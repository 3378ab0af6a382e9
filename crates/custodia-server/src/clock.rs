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
