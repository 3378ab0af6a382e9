//! What every handler shares.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use custodia_store::Store;
use custodia_store::access::PersonRead;
use tokio::sync::mpsc;

use crate::auth::{Principal, TokenCache};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use custodia_app::{App, Config};

/// Most reads of persons' files waiting to be written to the read log.
pub const READ_LOG_QUEUE: usize = 65_536;

/// A client address may fail sign-ins this many times the per-user limit, over all users.
pub const SIGN_IN_USERS_PER_ADDRESS: u32 = 10;

/// The shared state (cheap to clone).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

/// The state behind [`AppState`].
#[derive(Debug)]
pub struct Inner {
    /// The application layer: every use case.
    pub app: App,
    /// The register, for the background writers (read log, group commit) only.
    pub store: Store,
    /// The configuration.
    pub config: Config,
    /// Checked tokens.
    pub tokens: TokenCache,
    /// Bad tokens per client address (a valid token is accepted whatever this count).
    pub token_failures: RateLimiter,
    /// Failed sign-ins per user (the SHA-256 of the compared name) and client address.
    pub sign_in_failures: RateLimiter<([u8; 32], IpAddr)>,
    /// Failed sign-ins per client address, whatever the user.
    pub sign_in_address_failures: RateLimiter,
    /// Public locator requests per address.
    pub locator: RateLimiter,
    /// Request metrics.
    pub metrics: Metrics,
    /// Reads of persons' files, on their way to the read log.
    pub reads: mpsc::Sender<PersonRead>,
    /// Idempotency keys being answered right now.
    pub in_flight: Mutex<HashSet<(String, String)>>,
    /// Case transitions, committed in groups.
    pub committer: crate::committer::Committer,
    /// The web interface's sessions (in memory: a restart signs everyone out).
    pub web_sessions: crate::web::session::Sessions,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The state, the receiving end of the read log (see [`crate::read_log_writer`]) and the
    /// transition queue (see [`crate::committer::run`]).
    pub fn new(app: App, config: Config) -> (Self, mpsc::Receiver<PersonRead>, crate::committer::Queue) {
        let (reads, receiver) = mpsc::channel(READ_LOG_QUEUE);
        let (committer, queue) = crate::committer::channel();
        let inner = Inner {
            token_failures: RateLimiter::per_minute(config.auth_failures_per_minute),
            sign_in_failures: RateLimiter::per_minute(config.auth_failures_per_minute),
            sign_in_address_failures: RateLimiter::per_minute(
                config.auth_failures_per_minute.saturating_mul(SIGN_IN_USERS_PER_ADDRESS),
            ),
            locator: RateLimiter::per_minute(config.locator_per_minute),
            store: app.store().clone(),
            app,
            config,
            tokens: TokenCache::default(),
            metrics: Metrics::default(),
            reads,
            in_flight: Mutex::new(HashSet::new()),
            committer,
            web_sessions: crate::web::session::Sessions::default(),
        };
        (Self(Arc::new(inner)), receiver, queue)
    }

    /// Logs a read of a person's file (docs/access.md); waits if the log is behind, never drops one.
    pub async fn log_read(&self, who: &Principal, person_id: i64, route: &str) -> Result<(), ApiError> {
        let read = PersonRead {
            user_name: who.name.clone(),
            person_id,
            purpose: route.to_owned(),
            at: crate::clock::now().as_str().to_owned(),
        };
        self.reads.send(read).await.map_err(|_| ApiError::internal("the read log is closed"))
    }
}

impl AppState {
    /// The client's address, as the limits count it: the connection's peer, or — when the peer
    /// is a trusted proxy — the right-most `X-Forwarded-For` address that is not itself one
    /// (docs/access.md#client-address). IPv6 clients count by their /64 network.
    pub fn client(&self, parts: &Parts) -> IpAddr {
        let peer = client_address(parts);
        let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        crate::ratelimit::address_key(forwarded_client(peer, forwarded, &self.config.trusted_proxies))
    }
}

/// Most `X-Forwarded-For` addresses looked at, from the right.
const MAX_FORWARDED_HOPS: usize = 32;

/// The client behind a chain of proxies: walking `X-Forwarded-For` from the right (the hop
/// nearest to us) while the current hop is a trusted proxy. The header is ignored unless the
/// peer is trusted; an unreadable entry stops the walk at the last proxy seen.
pub fn forwarded_client<'a>(peer: IpAddr, headers: impl Iterator<Item = &'a str>, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers.flat_map(|h| h.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev().take(MAX_FORWARDED_HOPS) {
        let Some(ip) = parse_hop(hop) else { return client };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, or an address with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// The client's address (from the connection), or 0.0.0.0 when unknown.
pub fn client_address(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap(), "192.168.1.1/32".parse().unwrap()];
        let chain = ["203.0.113.9, 198.51.100.7, 10.1.2.3"];
        // From a trusted proxy: the right-most address that is not a proxy.
        assert_eq!(forwarded_client(ip("10.0.0.1"), chain.into_iter(), &trusted), ip("198.51.100.7"));
        // From anyone else, the header is ignored (it could be forged).
        assert_eq!(forwarded_client(ip("198.51.100.20"), chain.into_iter(), &trusted), ip("198.51.100.20"));
        assert_eq!(forwarded_client(ip("10.0.0.1"), chain.into_iter(), &[]), ip("10.0.0.1"));
        // Several headers are one list, in order; ports are allowed.
        let split = ["203.0.113.9", "198.51.100.7:4711, 192.168.1.1"];
        assert_eq!(forwarded_client(ip("10.0.0.1"), split.into_iter(), &trusted), ip("198.51.100.7"));
        // Garbage stops the walk at the last proxy seen; no header leaves the peer.
        assert_eq!(forwarded_client(ip("10.0.0.1"), ["bogus, 10.2.2.2"].into_iter(), &trusted), ip("10.2.2.2"));
        assert_eq!(forwarded_client(ip("10.0.0.1"), std::iter::empty(), &trusted), ip("10.0.0.1"));
        // Every hop a proxy: the left-most.
        assert_eq!(forwarded_client(ip("10.0.0.1"), ["10.9.9.9, 10.8.8.8"].into_iter(), &trusted), ip("10.9.9.9"));
        assert_eq!(
            forwarded_client(ip("::1"), ["2001:db8::1"].into_iter(), &["::1/128".parse().unwrap()]),
            ip("2001:db8::1")
        );
    }
}
