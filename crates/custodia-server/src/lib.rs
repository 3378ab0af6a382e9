//! Custodia's HTTP service (docs/access.md, docs/http-api.md): the REST API under `/api/v1`, access by role and
//! scope, the public locator, OpenAPI, health and metrics.
//!
//! Requests are parsed at the edge into core types; the store decides and journals in one
//! transaction; handlers render wire types (defined here, never the core's). Errors become
//! `{code, message, field}` in one place ([`error`]).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod auth;
pub mod clock;
pub mod committer;
pub mod connections;
pub mod error;
pub mod extract;
pub mod hardening;
pub mod idempotency;
pub mod locator_page;
pub mod metrics;
pub mod notifying;
pub mod openapi;
pub mod ratelimit;
pub mod routes;
pub mod state;
pub mod web;
pub mod wire;
pub mod witness;
pub mod witnessing;

use custodia_store::prelude::*;
use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::middleware;
use custodia_store::Store;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use custodia_app::config;
pub use custodia_app::{App, Config};
pub use state::AppState;

/// Header carrying the request id (set when the client sends none, echoed in the answer).
pub const REQUEST_ID: &str = "x-request-id";

/// The whole application.
pub fn app(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static(REQUEST_ID);
    routes::router()
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn_with_state(state.clone(), idempotency::layer))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), hardening::deadline))
        .layer(middleware::from_fn_with_state(state.clone(), hardening::request_limits))
        .layer(middleware::from_fn(hardening::security_headers))
        .layer(middleware::from_fn_with_state(state.clone(), hardening::observe))
        .layer(middleware::from_fn(error::localize))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %request.method(), uri = %request.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Writes reads of persons' files to the read log in batches, until every sender is gone. A batch
/// that cannot be written is retried (a busy database) before it is reported as lost.
pub async fn read_log_writer(store: Store, mut reads: tokio::sync::mpsc::Receiver<custodia_store::access::PersonRead>) {
    const BATCH: usize = 1000;
    const ATTEMPTS: u64 = 8;
    let mut batch = Vec::with_capacity(BATCH);
    while reads.recv_many(&mut batch, BATCH).await > 0 {
        for attempt in 1..=ATTEMPTS {
            match store.log_person_reads(&batch).await {
                Ok(()) => break,
                Err(e) if attempt < ATTEMPTS => {
                    tracing::warn!(error = %e, attempt, "read log busy; retrying");
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                Err(e) => tracing::error!(error = %e, lost = batch.len(), "cannot write the read log"),
            }
        }
        batch.clear();
    }
}

/// Serves until `shutdown` resolves, then stops accepting, finishes the requests in flight, and
/// flushes the read log. `ready` is called with the bound address once it accepts connections.
pub async fn serve(
    app: App,
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_clock(app, config, listener, shutdown, clock::Clock::system()).await
}

/// [`serve`], with the alert scheduler judging by `clock` (a test's, to let days pass).
pub async fn serve_with_clock(
    app: App,
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    clock: clock::Clock,
) -> std::io::Result<()> {
    let store = app.store().clone();
    // Each agreement's alert facts, read once in the background: the first overview after a
    // start finds them remembered (custodia-app's facts module).
    let remembered = {
        let app = app.clone();
        tokio::spawn(async move {
            match app.remember_facts().await {
                Ok(agreements) => tracing::info!(agreements, "alert facts read"),
                Err(e) => tracing::warn!(error = %e, "alert facts not read ahead: read on first use"),
            }
        })
    };
    // The witnesses, offered the checkpoint in the background (docs/journal.md#witnesses).
    let witnessing = (!config.witnesses.is_empty()).then(|| {
        let interval = Duration::from_millis(config.witness_interval_ms);
        tokio::spawn(witnessing::run(app.clone(), config.witnesses.clone(), interval))
    });
    // The alert scheduler (docs/alerts.md), woken early by every committed case transition.
    let case_changed = std::sync::Arc::new(tokio::sync::Notify::new());
    let stop_scheduler = std::sync::Arc::new(tokio::sync::Notify::new());
    let scheduler = tokio::spawn(notifying::run(
        app.clone(),
        notifying::Settings::from_config(&config),
        clock,
        case_changed.clone(),
        stop_scheduler.clone(),
    ));
    let (state, reads, transitions) = AppState::new(app, config);
    let app = self::app;
    let writer = tokio::spawn(read_log_writer(store.clone(), reads));
    let committer = tokio::spawn(committer::run(store.clone(), transitions, case_changed));
    let limits = connections::ConnectionLimits {
        header_read_timeout: Duration::from_millis(state.config.header_read_timeout_ms),
        max_header_bytes: state.config.max_header_bytes,
    };
    let served = connections::serve(listener, app(state), limits, shutdown).await;
    remembered.abort();
    // The scheduler finishes its round, so that every attempt it made is recorded.
    stop_scheduler.notify_one();
    let scheduler_abort = scheduler.abort_handle();
    if tokio::time::timeout(Duration::from_secs(10), scheduler).await.is_err() {
        tracing::warn!("the alert scheduler did not finish its round within 10 s: stopped");
        scheduler_abort.abort();
    }
    if let Some(task) = witnessing {
        task.abort();
    }
    // The state (and with it the last sender) is dropped with the service: the writer drains.
    if tokio::time::timeout(Duration::from_secs(10), writer).await.is_err() {
        tracing::error!("the read log did not flush within 10 s");
    }
    if tokio::time::timeout(Duration::from_secs(10), committer).await.is_err() {
        tracing::error!("queued transitions did not finish within 10 s");
    }
    store.close().await;
    served
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Sets up logging (tracing) as configured.
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    let _ = match config.log_format {
        config::LogFormat::Json => builder.json().try_init(),
        config::LogFormat::Text => builder.try_init(),
    };
}
