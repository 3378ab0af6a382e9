//! The journal (docs/journal.md): the signed checkpoint (a C2SP `tlog-checkpoint` body as a C2SP signed
//! note, Ed25519), the verifier key, and inclusion and consistency proofs (RFC 9162), as
//! `custodia journal checkpoint | key | prove` print them, readable by every role; the events for
//! inspectors and auditors; and the journal as a C2SP `tlog-tiles` log — `/checkpoint` and the
//! hash tiles with no login, the entry bundles for readers of the whole register. The use cases
//! are the application layer's (`custodia_app::journal`); this module parses the requests and
//! renders the answers.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodia_app::journal::JournalItem;
use custodia_journal::merkle::Hash;
use custodia_journal::tiles::{self, TileKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::QueryParams as Query;
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(checkpoint, key, inclusion, consistency, events, tlog_checkpoint, hash_tile, entry_bundle),
    components(schemas(InclusionProof, ConsistencyProof, EventsPage, EventItem)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/journal/checkpoint", get(checkpoint))
        .route("/api/v1/journal/key", get(key))
        .route("/api/v1/journal/proofs/inclusion", get(inclusion))
        .route("/api/v1/journal/proofs/consistency", get(consistency))
        .route("/api/v1/journal/events", get(events))
        .route("/checkpoint", get(tlog_checkpoint))
        .route("/tile/entries/{*path}", get(entry_bundle))
        .route("/tile/{*path}", get(hash_tile))
}

/// `Cache-Control` of what never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn plain(text: String) -> Response {
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// The current signed checkpoint: the C2SP `tlog-checkpoint` body (origin, tree size, base64 root
/// hash), a blank line, and the signature line `— <origin> <base64(key id ‖ signature)>`.
#[utoipa::path(get, path = "/api/v1/journal/checkpoint", tag = "journal",
    responses((status = 200, description = "The signed note", body = String, content_type = "text/plain"),
        (status = 401, body = ErrorBody)))]
async fn checkpoint(State(state): State<AppState>, _who: Principal) -> ApiResult<Response> {
    Ok(plain(state.app.checkpoint().await?))
}

/// The verifier key of the checkpoints, `<name>+<8 hex digits of key id>+<base64(0x01 ‖ public
/// key)>`, followed by a newline.
#[utoipa::path(get, path = "/api/v1/journal/key", tag = "journal",
    responses((status = 200, description = "The verifier key", body = String, content_type = "text/plain"),
        (status = 401, body = ErrorBody)))]
async fn key(State(state): State<AppState>, _who: Principal) -> ApiResult<Response> {
    Ok(plain(format!("{}\n", state.app.verifier_key()?)))
}

/// Parameters of an inclusion proof.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The event (leaf index, from 0).
    pub index: u64,
    /// The tree size (default: the journal's current size).
    pub size: Option<u64>,
}

/// An inclusion proof (as `custodia journal prove --index N`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    /// `inclusion`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The event.
    pub leaf_index: u64,
    /// The tree size.
    pub tree_size: u64,
    /// The event's leaf hash, base64: SHA-256(0x00 ‖ its canonical JSON).
    pub leaf_hash: String,
    /// The root hash of the tree, base64.
    pub root_hash: String,
    /// The audit path, base64, from the leaf's sibling up.
    pub proof: Vec<String>,
}

/// Proves that an event is in the tree of `size` events (RFC 9162 §2.1.3).
#[utoipa::path(get, path = "/api/v1/journal/proofs/inclusion", tag = "journal", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`EMPTY_JOURNAL`")))]
async fn inclusion(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<axum::Json<InclusionProof>> {
    let proof = state.app.inclusion_proof(&who, q.index, q.size).await?;
    Ok(axum::Json(InclusionProof {
        kind: "inclusion".into(),
        leaf_index: proof.leaf_index,
        tree_size: proof.tree_size,
        leaf_hash: proof.leaf_hash.to_base64(),
        root_hash: proof.root_hash.to_base64(),
        proof: proof.path.iter().map(Hash::to_base64).collect(),
    }))
}

/// Parameters of a consistency proof.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The older tree size (from 1 to `size`).
    pub old_size: u64,
    /// The newer tree size (default: the journal's current size).
    pub size: Option<u64>,
}

/// A consistency proof (as `custodia journal prove --old-size M`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProof {
    /// `consistency`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The older tree size.
    pub old_size: u64,
    /// The newer tree size.
    pub new_size: u64,
    /// The older tree's root hash, base64.
    pub old_root_hash: String,
    /// The newer tree's root hash, base64.
    pub new_root_hash: String,
    /// The proof, base64.
    pub proof: Vec<String>,
}

/// Proves that the tree of `old_size` events is a prefix of the tree of `size` events (RFC 9162
/// §2.1.4): history was only appended to.
#[utoipa::path(get, path = "/api/v1/journal/proofs/consistency", tag = "journal", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "`EMPTY_JOURNAL`")))]
async fn consistency(
    State(state): State<AppState>,
    who: Principal,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<axum::Json<ConsistencyProof>> {
    let proof = state.app.consistency_proof(&who, q.old_size, q.size).await?;
    Ok(axum::Json(ConsistencyProof {
        kind: "consistency".into(),
        old_size: proof.old_size,
        new_size: proof.new_size,
        old_root_hash: proof.old_root_hash.to_base64(),
        new_root_hash: proof.new_root_hash.to_base64(),
        proof: proof.path.iter().map(Hash::to_base64).collect(),
    }))
}

/// Parameters of a page of events.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The first event (leaf index, from 0).
    pub from: u64,
    /// One past the last event (default and at most `from` + 1,000, and at most the journal's size).
    pub to: Option<u64>,
}

/// A page of the journal.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventsPage {
    /// The first event.
    pub from: u64,
    /// One past the last event.
    pub to: u64,
    /// The journal's size when read.
    pub size: u64,
    /// The next page's `from`, while there is one.
    pub next: Option<u64>,
    /// The events, in order.
    pub items: Vec<EventItem>,
}

/// One event: in the reader's scope, its canonical JSON (exactly the leaf's bytes, as
/// `journal export` prints it); outside it, only its leaf hash.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct EventItem {
    /// The leaf index.
    pub seq: u64,
    /// The event's canonical JSON, a string (absent when withheld).
    pub event: Option<String>,
    /// SHA-256(0x00 ‖ the canonical JSON), base64 (only when withheld).
    pub leaf_hash: Option<String>,
    /// Whether the event is outside the reader's scope.
    pub withheld: bool,
}

/// Events `from..to` for inspectors and auditors scoped to agreements (docs/journal.md#events):
/// each event of an agreement in scope as its canonical JSON, every other as its leaf hash, so the
/// page still rebuilds its part of the tree.
#[utoipa::path(get, path = "/api/v1/journal/events", tag = "journal", params(EventsQuery),
    responses((status = 200, body = EventsPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
async fn events(State(state): State<AppState>, who: Principal, Query(q): Query<EventsQuery>) -> ApiResult<Response> {
    let page = state.app.journal_events(&who, q.from, q.to).await?;
    let items = page
        .items
        .into_iter()
        .map(|item| match item {
            JournalItem::Event { seq, body } => EventItem { seq, event: Some(body), leaf_hash: None, withheld: false },
            JournalItem::Withheld { seq, leaf_hash } => {
                EventItem { seq, event: None, leaf_hash: Some(leaf_hash.to_base64()), withheld: true }
            }
        })
        .collect();
    let next = (page.to < page.size).then_some(page.to);
    Ok(axum::Json(EventsPage { from: page.from, to: page.to, size: page.size, next, items }).into_response())
}

/// The signed checkpoint at the C2SP tlog-tiles location, with no login: it reveals only the
/// journal's size and root. Mutable: cached for a few seconds at most.
#[utoipa::path(get, path = "/checkpoint", tag = "journal",
    responses((status = 200, description = "The signed note (C2SP tlog-checkpoint)", body = String, content_type = "text/plain")))]
async fn tlog_checkpoint(State(state): State<AppState>) -> ApiResult<Response> {
    let mut response = plain(state.app.checkpoint().await?);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=2"));
    Ok(response)
}

fn octets(bytes: Vec<u8>, full: bool, private: bool) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    let cache = match (full, private) {
        (true, false) => IMMUTABLE,
        (true, true) => "private, max-age=31536000, immutable",
        // A partial tile never changes either, but is served only while the tree is that wide.
        (false, false) => "public, max-age=60",
        (false, true) => "private, max-age=60",
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

fn tile_path(kind: TileKind, path: &str) -> Result<tiles::TileId, ApiError> {
    let full = match kind {
        TileKind::Entries => format!("entries/{path}"),
        TileKind::Hashes => path.to_owned(),
    };
    match tiles::parse_path(&full) {
        Ok((found, id)) if found == kind => Ok(id),
        Ok(_) => Err(ApiError::not_found(custodia_i18n::Text::new("NOT_FOUND.route"))),
        Err(e) => Err(ApiError::invalid("path", e.to_string())),
    }
}

/// A hash tile, `tile/<L>/<N>[.p/<W>]` (C2SP tlog-tiles), with no login: Merkle tree hashes
/// reveal nothing about people. A full tile never changes and is served as immutable.
#[utoipa::path(get, path = "/tile/{path}", tag = "journal",
    params(("path" = String, Path, description = "`<L>/<N>[.p/<W>]`, e.g. `0/x001/234/067` or `1/000.p/17`")),
    responses((status = 200, description = "The tile's hashes, 32 bytes each", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn hash_tile(State(state): State<AppState>, Path(path): Path<String>) -> ApiResult<Response> {
    let id = tile_path(TileKind::Hashes, &path)?;
    let bytes = state.app.hash_tile(id).await?;
    Ok(octets(bytes, id.is_full(), false))
}

/// An entry bundle, `tile/entries/<N>[.p/<W>]` (C2SP tlog-tiles): the events of a level-0 tile,
/// each as a big-endian `uint16` length and its canonical JSON. For inspectors and auditors whose
/// scope covers every agreement in the register.
#[utoipa::path(get, path = "/tile/entries/{path}", tag = "journal",
    params(("path" = String, Path, description = "`<N>[.p/<W>]`, e.g. `x001/234/067` or `000.p/7`")),
    responses((status = 200, description = "The entry bundle", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn entry_bundle(State(state): State<AppState>, who: Principal, Path(path): Path<String>) -> ApiResult<Response> {
    let id = tile_path(TileKind::Entries, &path)?;
    let bytes = state.app.entry_bundle(&who, id).await?;
    Ok(octets(bytes, id.is_full(), true))
}
