//! `/journal`: the journal's latest signed checkpoint (docs/journal.md#checkpoint) — its origin,
//! tree size and root hash, every signature line with its key id (the register's own, and any
//! witness's cosignature), when it was signed and when its last event was recorded — opened with
//! the register's verifier key before it is shown. Every role may read the journal.

use axum::extract::State;
use axum::response::Response;
use base64::Engine as _;
use custodia_app::AppError;
use custodia_journal::checkpoint::{Checkpoint, Verifier, open_checkpoint};
use maud::{Markup, html};

use super::context::Web;
use super::layout;
use crate::auth::Principal;
use crate::state::AppState;

/// One signature line of a signed note: `— <key name> <base64(key id ‖ signature)>`.
pub(crate) struct SignatureLine {
    /// The key name.
    pub name: String,
    /// The key id, 8 hex digits (empty when the line cannot be decoded).
    pub key_id: String,
    /// The signature, base64 as written.
    pub blob: String,
    /// Whether it is the register's own key's (the others are witnesses' cosignatures).
    pub ours: bool,
}

/// The latest checkpoint as the register signs it, opened with its verifier key.
pub(crate) struct Signed {
    /// The signed note, as the API serves it.
    pub note: String,
    /// The checkpoint the signature covers.
    pub checkpoint: Checkpoint,
    /// The verifier key.
    pub key: String,
    /// The signature lines, in order.
    pub signatures: Vec<SignatureLine>,
}

/// The current checkpoint, its signature checked with the register's verifier key.
pub(crate) async fn latest(state: &AppState) -> Result<Signed, AppError> {
    let note = state.app.checkpoint().await?;
    let key = state.app.verifier_key()?;
    let verifier = Verifier::parse(&key).map_err(|e| AppError::Internal(format!("the verifier key: {e}")))?;
    let checkpoint =
        open_checkpoint(&note, &verifier).map_err(|e| AppError::Internal(format!("the checkpoint: {e}")))?;
    let our_id = hex(&verifier.key_id());
    let signatures = note
        .rsplit_once("\n\n")
        .map(|(_, lines)| lines)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (name, blob) = line.strip_prefix("\u{2014} ")?.split_once(' ')?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(blob).unwrap_or_default();
            let key_id = bytes.get(..4).map(hex).unwrap_or_default();
            let ours = name == verifier.name() && key_id == our_id;
            Some(SignatureLine { name: name.to_owned(), key_id, blob: blob.to_owned(), ours })
        })
        .collect();
    Ok(Signed { note, checkpoint, key, signatures })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An instant (`YYYY-MM-DDTHH:MM:SSZ`) for people: the date in the page's language, the time in UTC.
pub(crate) fn instant(web: &Web, text: &str) -> String {
    let day = text.get(..10).and_then(|d| custodia_core::Date::parse(d).ok());
    let time = text.get(11..19);
    match (day, time) {
        (Some(day), Some(time)) => format!("{} {time} UTC", custodia_i18n::format_date(web.lang, day)),
        _ => text.to_owned(),
    }
}

/// When the journal's event `seq` was recorded (its `recorded_at`), read through the export.
async fn recorded_at(state: &AppState, who: &Principal, seq: u64) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    state
        .app
        .export_journal(who, seq, Some(seq.saturating_add(1)), |page| {
            bytes.extend_from_slice(page);
            Ok(())
        })
        .await?;
    let event: serde_json::Value = serde_json::from_slice(bytes.trim_ascii_end())
        .map_err(|e| AppError::Internal(format!("event {seq} is not JSON: {e}")))?;
    Ok(event.get("recorded_at").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned())
}

fn signatures_table(web: &Web, signed: &Signed) -> Markup {
    let witnesses = signed.signatures.iter().filter(|s| !s.ours).count();
    html! {
        h2 { (web.t("web-journal-signatures")) }
        table {
            caption { (web.t("web-journal-signatures")) }
            thead { tr {
                th scope="col" { (web.t("web-journal-key-name")) }
                th scope="col" { (web.t("web-journal-key-id")) }
                th scope="col" { (web.t("web-journal-signed-by")) }
                th scope="col" { (web.t("web-journal-signature")) }
            } }
            tbody {
                @for s in &signed.signatures {
                    tr {
                        td { (s.name) }
                        td { code { (s.key_id) } }
                        td { @if s.ours { (web.t("web-journal-register-key")) } @else { (web.t("web-journal-witness")) } }
                        td { code class="hash" { (s.blob) } }
                    }
                }
            }
        }
        @if witnesses == 0 {
            p { (web.t("web-journal-no-witnesses")) }
        } @else {
            p { (web.ta("web-journal-witnesses", &[("count", i64::try_from(witnesses).unwrap_or(0).into())])) }
        }
    }
}

/// `GET /journal`.
pub(crate) async fn show(State(state): State<AppState>, web: Web) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let signed_at = crate::clock::now();
    let signed = match latest(&state).await {
        Ok(signed) => signed,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let size = signed.checkpoint.size();
    let last_event = match size.checked_sub(1) {
        Some(last) => match recorded_at(&state, &user.who, last).await {
            Ok(at) => instant(&web, &at),
            Err(e) => return layout::app_refusal(&web, &e),
        },
        None => "—".to_owned(),
    };
    let body = html! {
        p { (web.t("web-journal-intro")) }
        table {
            caption { (web.t("web-journal-checkpoint")) }
            tbody {
                tr { th scope="row" { (web.t("web-journal-origin")) } td { (signed.checkpoint.origin()) } }
                tr { th scope="row" { (web.t("web-journal-tree-size")) } td class="number" { (size) } }
                tr { th scope="row" { (web.t("web-journal-root-hash")) } td { code class="hash" { (signed.checkpoint.root().to_base64()) } } }
                tr { th scope="row" { (web.t("web-journal-signed-at")) } td { (instant(&web, signed_at.as_str())) } }
                tr { th scope="row" { (web.t("web-journal-last-event")) } td { (last_event) } }
                tr { th scope="row" { (web.t("web-journal-verifier-key")) } td { code class="hash" { (signed.key) } } }
            }
        }
        (signatures_table(&web, &signed))
        h2 { (web.t("web-journal-note")) }
        p { (web.t("web-journal-note-help")) }
        pre { code { (signed.note) } }
    };
    layout::page(&web, &web.t("web-journal-title"), body)
}
