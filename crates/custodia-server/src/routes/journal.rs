//! The journal (docs/journal.md): the signed checkpoint (a C2SP `tlog-checkpoint` body as a C2SP signed
//! note, Ed25519), the verifier key, and inclusion and consistency proofs (RFC 9162), as
//! `custodia journal checkpoint | key | prove` print them. Readable by every role. The use cases
//! are the application layer's (`custodia_app::journal`, which also bounds how many proofs are
//! computed at once); this module parses the requests and renders the answers.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodia_journal::merkle::Hash;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::QueryParams as Query;
use crate::state::AppState;

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
