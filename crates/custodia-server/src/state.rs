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
    /// Failed logins and bad tokens per address.
    pub auth_failures: RateLimiter,
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
            auth_failures: RateLimiter::per_minute(config.auth_failures_per_minute),
            locator: RateLimiter::per_minute(config.locator_per_minute),
            store: app.store().clone(),
            app,
            config,
            tokens: TokenCache::default(),
            metrics: Metrics::default(),
            reads,
            in_flight: Mutex::new(HashSet::new()),
            committer,
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

/// The client's address (from the connection), or 0.0.0.0 when unknown.
pub fn client_address(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}
