//! The journal (SPEC §10): the signed checkpoint (a C2SP `tlog-checkpoint` body as a C2SP signed
//! note, Ed25519), the verifier key, and inclusion and consistency proofs (RFC 9162), as
//! `custodia journal checkpoint | key | prove` print them. Readable by every role.
//!
//! A proof is computed from the leaf hashes of the requested tree (at most the journal's size):
//! linear work, done off the async workers, and at most [`MAX_CONCURRENT_PROOFS`] at a time.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodia_journal::checkpoint::{Checkpoint, Signer};
use custodia_journal::merkle::{self, Hash};
use custodia_store::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::QueryParams as Query;
use crate::state::AppState;

/// Most proofs computed at the same time (each hashes up to the whole journal).
pub const MAX_CONCURRENT_PROOFS: usize = 2;

static PROOFS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_PROOFS);

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(checkpoint, key, inclusion, consistency),
    components(schemas(InclusionProof, ConsistencyProof)),
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
}

fn signer(state: &AppState) -> ApiResult<Signer> {
    Signer::from_seed(state.app.journal_origin(), *state.app.signing_key())
        .map_err(|e| ApiError::internal(format!("journal signing key: {e}")))
}

fn plain(text: String) -> Response {
    let mut response = (StatusCode::OK, text).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// The root of the tree of the first `size` events: the root stored with event `size − 1`.
async fn stored_root(state: &AppState, size: u64) -> ApiResult<Hash> {
    let Some(last) = size.checked_sub(1) else { return Ok(merkle::empty_root()) };
    let events = state.store.events(last, size).await?;
    let root = events.first().map(|e| e.root_after.clone()).unwrap_or_default();
    <[u8; 32]>::try_from(root)
        .map(Hash::from_bytes)
        .map_err(|_| ApiError::internal(format!("stored root of event {last} is not 32 bytes")))
}

/// The current signed checkpoint: the C2SP `tlog-checkpoint` body (origin, tree size, base64 root
/// hash), a blank line, and the signature line `— <origin> <base64(key id ‖ signature)>`.
#[utoipa::path(get, path = "/api/v1/journal/checkpoint", tag = "journal",
    responses((status = 200, description = "The signed note", body = String, content_type = "text/plain"),
        (status = 401, body = ErrorBody)))]
async fn checkpoint(State(state): State<AppState>, _who: Principal) -> ApiResult<Response> {
    let signer = signer(&state)?;
    let size = state.store.journal_size().await?;
    let root = stored_root(&state, size).await?;
    let checkpoint = Checkpoint::new(state.config.journal_origin.clone(), size, root)
        .map_err(|e| ApiError::internal(format!("journal origin: {e}")))?;
    Ok(plain(signer.sign_checkpoint(&checkpoint)))
}

/// The verifier key of the checkpoints, `<name>+<8 hex digits of key id>+<base64(0x01 ‖ public
/// key)>`, followed by a newline.
#[utoipa::path(get, path = "/api/v1/journal/key", tag = "journal",
    responses((status = 200, description = "The verifier key", body = String, content_type = "text/plain"),
        (status = 401, body = ErrorBody)))]
async fn key(State(state): State<AppState>, _who: Principal) -> ApiResult<Response> {
    Ok(plain(format!("{}\n", signer(&state)?.verifier_key())))
}

/// The tree size a proof is for: `requested`, or the journal's size; never beyond the journal.
async fn tree_size(state: &AppState, requested: Option<u64>) -> ApiResult<u64> {
    let current = state.store.journal_size().await?;
    match requested {
        None if current == 0 => Err(ApiError::refused("EMPTY_JOURNAL", "the journal has no events yet")),
        None => Ok(current),
        Some(0) => Err(ApiError::invalid("size", "must be at least 1")),
        Some(size) if size > current => {
            Err(ApiError::invalid("size", format!("{size} is beyond the journal, which has {current} events")))
        }
        Some(size) => Ok(size),
    }
}

/// The leaf hashes of the first `size` events, then `work` on them off the async workers, with at
/// most [`MAX_CONCURRENT_PROOFS`] running.
async fn with_leaves<T: Send + 'static>(
    state: &AppState,
    size: u64,
    work: impl FnOnce(&[Hash]) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let _permit = PROOFS.acquire().await.map_err(ApiError::internal)?;
    let leaves = state.store.leaf_hashes(size).await?;
    tokio::task::spawn_blocking(move || work(&leaves)).await.map_err(ApiError::internal)?
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
    _who: Principal,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<axum::Json<InclusionProof>> {
    let size = tree_size(&state, q.size).await?;
    let index = q.index;
    if index >= size {
        return Err(ApiError::invalid("index", format!("the tree has {size} events (0..{size})")));
    }
    let proof = with_leaves(&state, size, move |leaves| {
        let path =
            merkle::inclusion_proof(index, size, leaves).map_err(|e| ApiError::invalid("index", e.to_string()))?;
        let leaf = usize::try_from(index).ok().and_then(|i| leaves.get(i)).ok_or_else(|| ApiError::internal("leaf"))?;
        Ok(InclusionProof {
            kind: "inclusion".into(),
            leaf_index: index,
            tree_size: size,
            leaf_hash: leaf.to_base64(),
            root_hash: merkle::root(leaves).to_base64(),
            proof: path.iter().map(Hash::to_base64).collect(),
        })
    })
    .await?;
    Ok(axum::Json(proof))
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
    _who: Principal,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<axum::Json<ConsistencyProof>> {
    let size = tree_size(&state, q.size).await?;
    let old = q.old_size;
    if old == 0 || old > size {
        return Err(ApiError::invalid("old_size", format!("must be between 1 and the tree size {size}")));
    }
    let proof = with_leaves(&state, size, move |leaves| {
        let path =
            merkle::consistency_proof(old, size, leaves).map_err(|e| ApiError::invalid("old_size", e.to_string()))?;
        let old_leaves = usize::try_from(old).ok().and_then(|n| leaves.get(..n)).unwrap_or_default();
        Ok(ConsistencyProof {
            kind: "consistency".into(),
            old_size: old,
            new_size: size,
            old_root_hash: merkle::root(old_leaves).to_base64(),
            new_root_hash: merkle::root(leaves).to_base64(),
            proof: path.iter().map(Hash::to_base64).collect(),
        })
    })
    .await?;
    Ok(axum::Json(proof))
}
