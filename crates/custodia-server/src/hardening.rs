//! What every answer gets, whatever route it came from (docs/http-api.md#limits): security
//! headers, `Cache-Control: no-store`, a limit on the request head, a deadline per request, one
//! log line per request and one per refused authentication, and the gate of `/metrics`.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use custodia_app::config::MetricsAccess;
use sha2::{Digest, Sha256};

use crate::state::AppState;
use custodia_i18n::Text;

/// The documentation page (`/docs`); its inline script and style are allowed by their hashes.
pub const DOCS_PAGE: &str = include_str!("../assets/docs.html");

/// The Content-Security-Policy of every answer but the documentation page: nothing may be
/// loaded, framed or submitted.
const CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The documentation page's policy: its own inline script and style (by hash) and `fetch` of
/// `/openapi.json`; nothing else.
static DOCS_CSP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; connect-src 'self'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'none'",
        inline_hash(DOCS_PAGE, "script"),
        inline_hash(DOCS_PAGE, "style")
    )
});

/// The CSP source (`sha256-…`) of the first inline `<tag>` element of `page`.
fn inline_hash(page: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let body = page.split_once(&open).and_then(|(_, rest)| rest.split_once(&close)).map_or("", |(body, _)| body);
    let digest = Sha256::digest(body.as_bytes());
    format!("sha256-{}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest))
}

/// Adds the security headers and `Cache-Control: no-store` to every answer. Every answer may
/// carry personal data or a token (the API, the locator, errors naming records), so none is
/// stored by a browser or a proxy — except what the journal's tlog-tiles routes mark themselves
/// (the checkpoint and the hash tiles, which name nobody, and the immutable entry bundles as
/// `private`): a handler's own `Cache-Control` is kept.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let docs = matches!(request.uri().path(), "/docs" | "/docs/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let csp = if docs { HeaderValue::from_str(&DOCS_CSP).ok() } else { Some(HeaderValue::from_static(CSP)) };
    // A page of the web interface sets its own policy (crate::web::PAGE_CSP).
    if let Some(csp) = csp.filter(|_| !headers.contains_key(header::CONTENT_SECURITY_POLICY)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// An error answer outside the application's errors (`{code, message, field}`).
fn error(status: StatusCode, code: &str, message: Text) -> Response {
    crate::error::error_response(status, code, message)
}

/// The size of a request's head as sent: request line and header lines.
fn head_bytes(request: &Request) -> usize {
    let line = request.method().as_str().len() + request.uri().to_string().len() + 12;
    let headers: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    line + headers
}

/// Refuses, on every route, a request head larger than `max_header_bytes` (431) and a body
/// announced larger than `max_body_bytes` (413), with a JSON body. (A body sent without a
/// length is cut off at `max_body_bytes` by the routes that read one; the connection's own
/// buffer is a little larger than the head limit, so a head beyond it is cut off there.)
pub async fn request_limits(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let size = head_bytes(&request);
    let max = state.config.max_header_bytes;
    if size > max {
        let message = Text::new("HEADERS_TOO_LARGE.size").count("size", size).count("max", max);
        return error(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "HEADERS_TOO_LARGE", message);
    }
    let announced = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let max = state.config.max_body_bytes;
    if announced.is_some_and(|n| n > u64::try_from(max).unwrap_or(u64::MAX)) {
        let message = Text::new("PAYLOAD_TOO_LARGE.limit").count("max", max);
        return error(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", message);
    }
    next.run(request).await
}

/// Gives a request `request_timeout_ms` to send its body and be answered; then answers 503 with
/// `TIMEOUT`. A write the request started may still complete (the group committer is not
/// interrupted), which the message says.
pub async fn deadline(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = Duration::from_millis(state.config.request_timeout_ms);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let message = Text::new("TIMEOUT.deadline").arg("ms", limit.as_millis().to_string());
            let mut response = error(StatusCode::SERVICE_UNAVAILABLE, "TIMEOUT", message);
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// Where the bearer-token extractor notes the acting user for the request's log line.
#[derive(Clone, Debug, Default)]
pub struct ActingUser(Arc<OnceLock<String>>);

impl ActingUser {
    /// Notes the request's user (the first one noted stays).
    pub fn note(&self, name: &str) {
        let _ = self.0.set(name.to_owned());
    }
}

/// Notes the acting user of a request, if the request is being logged.
pub fn note_user(extensions: &axum::http::Extensions, name: &str) {
    if let Some(slot) = extensions.get::<ActingUser>() {
        slot.note(name);
    }
}

/// The route template of a request (`/api/v1/cases/{id}`), or `unmatched`; never the path
/// itself, which may hold a person's id.
fn route_of(request: &Request) -> String {
    request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned())
}

/// The client's address as connected (the peer; a proxy's address behind a proxy).
fn peer_of(request: &Request) -> Option<SocketAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| *addr)
}

/// Why an authentication was refused, from what the request carried (never the credential).
fn refusal_reason(headers: &HeaderMap, route: &str) -> &'static str {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match authorization {
        _ if route == "/api/v1/login" => "bad user name or password",
        None => "no credentials",
        Some(value) if value.starts_with("Bearer ") => "bad or revoked token",
        Some(_) => "not a bearer token",
    }
}

/// Records every answer in the metrics and writes one log line per request (target
/// `custodia::request`: method, route template, status, duration, request id, acting user) and
/// one per refused authentication (target `custodia::auth`: reason and client address).
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = crate::clock::instant();
    let method = request.method().clone();
    let route = route_of(&request);
    let peer = peer_of(&request);
    let request_id = request
        .headers()
        .get(crate::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "-".to_owned(), str::to_owned);
    let auth_refusal = refusal_reason(request.headers(), &route);
    let user = ActingUser::default();
    request.extensions_mut().insert(user.clone());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state.metrics.observe(method.as_str(), &route, status, elapsed);
    let client = peer.map_or_else(|| "-".to_owned(), |p| p.ip().to_string());
    tracing::info!(
        target: "custodia::request",
        method = %crate::metrics::method_label(method.as_str()),
        route = %route,
        status,
        duration_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        request_id = %request_id,
        user = user.0.get().map_or("-", String::as_str),
        client = %client,
        "request"
    );
    if status == 401 {
        tracing::warn!(target: "custodia::auth", reason = auth_refusal, client = %client, route = %route,
            request_id = %request_id, "authentication refused");
    }
    response
}

/// The refusal of a request that may not read `/metrics` (docs/http-api.md#metrics), or `None`
/// when it may: from a loopback peer, or with the metrics token, as configured. Refused as if the
/// route did not exist (404), or 401 without the token.
pub fn metrics_refusal(state: &AppState, peer: Option<SocketAddr>, headers: &HeaderMap) -> Option<Response> {
    let not_found = || Some(error(StatusCode::NOT_FOUND, "NOT_FOUND", Text::new("NOT_FOUND.route")));
    match state.config.metrics {
        MetricsAccess::Off => not_found(),
        MetricsAccess::Loopback if peer.is_some_and(|p| p.ip().is_loopback()) => None,
        MetricsAccess::Loopback => not_found(),
        MetricsAccess::Token => {
            let sent = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "));
            let wanted = state.config.metrics_token.as_deref();
            // Compared as hashes, so the time taken does not depend on where they differ.
            match (sent, wanted) {
                (Some(sent), Some(wanted)) if Sha256::digest(sent.trim()) == Sha256::digest(wanted) => None,
                _ => {
                    let mut refused =
                        error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", Text::new("UNAUTHENTICATED.metrics"));
                    refused
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
                    Some(refused)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_policy_allows_exactly_the_pages_inline_script_and_style() {
        let script = DOCS_PAGE.split_once("<script>").unwrap().1.split_once("</script>").unwrap().0;
        assert!(script.contains("fetch('/openapi.json')"), "the page's script was found");
        let expected = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, Sha256::digest(script));
        assert!(DOCS_CSP.contains(&format!("script-src 'sha256-{expected}'")), "{}", *DOCS_CSP);
        assert!(DOCS_CSP.contains("connect-src 'self'") && DOCS_CSP.contains("frame-ancestors 'none'"));
        assert_eq!(DOCS_PAGE.matches("<script").count(), 1, "one inline script, no external one");
        assert_eq!(DOCS_PAGE.matches("<style").count(), 1, "one inline style");
        assert!(!DOCS_PAGE.contains(" style=\""), "no style attributes (the policy would block them)");
    }

    #[test]
    fn refusal_reasons_never_carry_the_credential() {
        let mut headers = HeaderMap::new();
        assert_eq!(refusal_reason(&headers, "/api/v1/cases"), "no credentials");
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer cst_secret"));
        assert_eq!(refusal_reason(&headers, "/api/v1/cases"), "bad or revoked token");
        assert_eq!(refusal_reason(&headers, "/api/v1/login"), "bad user name or password");
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic dTpw"));
        assert_eq!(refusal_reason(&headers, "/api/v1/cases"), "not a bearer token");
    }
}
