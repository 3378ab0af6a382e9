//! The register's side of its witnesses (docs/journal.md#witnesses): every `witness_interval_ms`
//! it offers each configured witness its signed checkpoint with a consistency proof from the last
//! one that witness cosigned (C2SP tlog-witness `add-checkpoint`), keeps the cosignatures that
//! verify, and serves them with its checkpoint. A witness that answers 409 names the size it holds:
//! the offer is made again from there. A witness that holds more events than the journal, or
//! refuses, is logged; the alert `WITNESS_COSIGNATURE_OVERDUE` says when one falls behind.

use std::time::Duration;

use custodia_app::App;
use custodia_app::config::WitnessEndpoint;

/// Longest wait for a witness's answer.
const WITNESS_TIMEOUT: Duration = Duration::from_secs(10);

/// Offers the checkpoint to every witness, then again every `interval`, until aborted.
pub async fn run(app: App, witnesses: Vec<WitnessEndpoint>, interval: Duration) {
    let client = match reqwest::Client::builder().timeout(WITNESS_TIMEOUT).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the witnesses' client: no cosignatures");
            return;
        }
    };
    loop {
        for witness in &witnesses {
            if let Err(e) = offer(&app, &client, witness).await {
                tracing::warn!(witness = witness.key.name(), error = %e, "witness did not cosign");
            }
        }
        tokio::time::sleep(interval).await;
    }
}

/// One offer to one witness (and, after a 409, one more from the size it names).
async fn offer(app: &App, client: &reqwest::Client, witness: &WitnessEndpoint) -> Result<(), String> {
    let mut old_size = None;
    for _ in 0..2 {
        let offer = app.witness_offer(&witness.key, old_size).await.map_err(|e| e.to_string())?;
        if offer.already_cosigned && old_size.is_none() {
            return Ok(());
        }
        let url = format!("{}/add-checkpoint", witness.url);
        let response = client.post(&url).body(offer.request.clone()).send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| e.to_string())?;
        match status {
            200 => {
                let now = crate::clock::now();
                let kept =
                    app.accept_cosignatures(&witness.key, &offer, &body, &now).await.map_err(|e| e.to_string())?;
                if kept == 0 {
                    return Err("the answer holds no valid cosignature of its key".into());
                }
                tracing::info!(witness = witness.key.name(), size = offer.size, "cosigned");
                return Ok(());
            }
            409 => {
                let held: u64 = body.trim().parse().map_err(|_| format!("409 without a size: {body:?}"))?;
                old_size = Some(held);
            }
            other => return Err(format!("{other}: {}", body.trim())),
        }
    }
    Err("the witness keeps naming another size".into())
}
