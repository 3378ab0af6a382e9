//! The connection loop: HTTP/1.1 connections with a limit on the request head and a time limit
//! on reading it (a client that trickles its headers — "slowloris" — is cut off), each request
//! carrying its client's address, and a graceful stop.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The smallest read buffer hyper accepts.
const MIN_BUFFER_BYTES: usize = 8192;

/// How long to wait for requests in flight after the stop signal.
const DRAIN: Duration = Duration::from_secs(30);

/// The limits of a connection.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// Longest time to read a request's head.
    pub header_read_timeout: Duration,
    /// Largest request head; the router answers 431 above it, the connection's buffer (a little
    /// larger) cuts off anything beyond.
    pub max_header_bytes: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and waits (at
/// most [`DRAIN`]) for the requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.max_header_bytes.saturating_add(MIN_BUFFER_BYTES).max(MIN_BUFFER_BYTES));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Each request carries the client's address (`ConnectInfo`), as axum's own server does.
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, client = %peer.ip(), "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight {} s after the stop signal were cut off", DRAIN.as_secs());
    }
    Ok(())
}
