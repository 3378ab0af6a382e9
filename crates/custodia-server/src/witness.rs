//! `custodia witness serve`: a C2SP `tlog-witness` (docs/journal.md#witnesses), run by the
//! sending state or an inspection body. It trusts the logs (registers) it is given by their
//! verifier keys, keeps for each the last checkpoint it cosigned in a state file, and answers
//! `POST /add-checkpoint`: it cosigns a newer checkpoint only when the log signed it and the
//! consistency proof shows that it extends the last one (the checks are
//! `custodia_journal::witness`'s). Checking the old size and recording the new checkpoint happen
//! under one lock, and the state is on disk (written to a new file, synced and renamed) before the
//! cosignature is answered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use custodia_journal::checkpoint::Verifier;
use custodia_journal::merkle::Hash;
use custodia_journal::witness::{
    Cosigner, MAX_REQUEST_BYTES, WitnessError, check_add_checkpoint, parse_add_checkpoint,
};

/// Most logs a witness follows.
pub const MAX_LOGS: usize = 1000;

/// A witness: its key, the logs it trusts, and the last checkpoint it cosigned for each.
#[derive(Debug)]
pub struct Witness {
    cosigner: Cosigner,
    logs: Vec<Verifier>,
    state_file: PathBuf,
    /// Origin → (size, root) of the last checkpoint cosigned.
    last: Mutex<BTreeMap<String, (u64, Hash)>>,
}

impl Witness {
    /// A witness with its state read from `state_file` (none yet: nothing cosigned).
    ///
    /// # Errors
    ///
    /// A state file that cannot be read or is malformed, or too many logs.
    pub fn open(cosigner: Cosigner, logs: Vec<Verifier>, state_file: PathBuf) -> Result<Self, String> {
        if logs.len() > MAX_LOGS {
            return Err(format!("at most {MAX_LOGS} logs"));
        }
        let last = match std::fs::read_to_string(&state_file) {
            Ok(text) => parse_state(&text).map_err(|e| format!("{}: {e}", state_file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(format!("{}: {e}", state_file.display())),
        };
        Ok(Self { cosigner, logs, state_file, last: Mutex::new(last) })
    }

    /// The cosignature line for `body`, or the refusal with its status; the state is persisted
    /// before a cosignature is returned.
    fn add_checkpoint(&self, body: &str, now_unix: u64) -> Result<String, WitnessError> {
        let request = parse_add_checkpoint(body)?;
        let mut last = self.last.lock().map_err(|_| WitnessError::BadRequest("the witness is unavailable".into()))?;
        let (checkpoint, signed_body) = check_add_checkpoint(&request, &self.logs, |o| last.get(o).copied())?;
        let mut next = last.clone();
        next.insert(checkpoint.origin().to_owned(), (checkpoint.size(), checkpoint.root()));
        persist(&self.state_file, &next).map_err(|e| {
            tracing::error!(error = %e, "cannot persist the witness state");
            WitnessError::BadRequest("the witness cannot record the checkpoint".into())
        })?;
        *last = next;
        tracing::info!(origin = checkpoint.origin(), size = checkpoint.size(), "cosigned");
        Ok(self.cosigner.cosign(&signed_body, now_unix))
    }

    fn status(&self) -> String {
        let last = self.last.lock().map(|l| l.clone()).unwrap_or_default();
        let mut out = format!("witness {}\n", self.cosigner.verifier_key());
        for (origin, (size, root)) in last {
            out.push_str(&format!("{origin} {size} {}\n", root.to_base64()));
        }
        out
    }
}

/// The state file: one line per log, `<origin> <size> <base64 root>`.
fn parse_state(text: &str) -> Result<BTreeMap<String, (u64, Hash)>, String> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let mut parts = line.split(' ');
        let (Some(origin), Some(size), Some(root), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("line {}: expected <origin> <size> <root>", i + 1));
        };
        let size: u64 = size.parse().map_err(|_| format!("line {}: {size:?} is not a size", i + 1))?;
        let root = Hash::from_base64(root).map_err(|e| format!("line {}: {e}", i + 1))?;
        out.insert(origin.to_owned(), (size, root));
    }
    Ok(out)
}

/// Writes the state to a new file, syncs it and renames it over the old one.
fn persist(path: &Path, state: &BTreeMap<String, (u64, Hash)>) -> std::io::Result<()> {
    use std::io::Write;
    let text: String = state.iter().map(|(o, (s, r))| format!("{o} {s} {}\n", r.to_base64())).collect();
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn add_checkpoint(State(witness): State<Arc<Witness>>, body: Bytes) -> Response {
    let Ok(body) = std::str::from_utf8(&body) else {
        return text(StatusCode::BAD_REQUEST, "text/plain; charset=utf-8", "the request is not UTF-8\n".into());
    };
    let now = u64::try_from(crate::clock::now().unix_seconds()).unwrap_or(0);
    match witness.add_checkpoint(body, now) {
        Ok(line) => text(StatusCode::OK, "text/plain; charset=utf-8", line),
        Err(WitnessError::Conflict(size)) => text(StatusCode::CONFLICT, "text/x.tlog.size", format!("{size}\n")),
        Err(e) => {
            tracing::warn!(refusal = %e, "checkpoint refused");
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            text(status, "text/plain; charset=utf-8", format!("{e}\n"))
        }
    }
}

async fn status(State(witness): State<Arc<Witness>>) -> Response {
    text(StatusCode::OK, "text/plain; charset=utf-8", witness.status())
}

/// The witness's routes: `POST /add-checkpoint` and `GET /` (its key and the last checkpoint
/// cosigned per log).
pub fn router(witness: Arc<Witness>) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/", get(status))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(witness)
}

/// Serves the witness on `listener` until `shutdown` resolves.
///
/// # Errors
///
/// The listener fails.
pub async fn serve(
    witness: Witness,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(Arc::new(witness))).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_file_round_trips_and_refuses_garbage() {
        let root = custodia_journal::merkle::leaf_hash(b"x");
        let state: BTreeMap<String, (u64, Hash)> = [("register.example/journal".to_owned(), (42, root))].into();
        let text: String = state.iter().map(|(o, (s, r))| format!("{o} {s} {}\n", r.to_base64())).collect();
        assert_eq!(parse_state(&text).unwrap(), state);
        assert!(parse_state("a b\n").is_err());
        assert!(parse_state("a x AAAA\n").is_err());
    }
}
