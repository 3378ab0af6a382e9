//! The alert scheduler (docs/alerts.md): every `alerts_interval_ms`, and promptly after a case
//! changes, it evaluates every agreement's alerts ([`custodia_app::App::evaluate_scheduled_alerts`]:
//! the occurrences first seen or resolved and the deliveries they owe, committed together), then
//! sends the deliveries due — webhooks (an HMAC-SHA-256 signature over the timestamp and the
//! body) and e-mail through the configured SMTP relay. A delivery is marked delivered after a 2xx
//! (or the relay's acceptance) and never sent again; a failure is tried again with exponential
//! backoff up to `alert_retry_max_s`, and marked failed after `alert_max_attempts`. Pending
//! deliveries survive a restart: they are rows, sent when due.
//!
//! The time the scheduler judges by is a [`Clock`]: the wall clock, or a test's.

use std::sync::Arc;
use std::time::Duration;

use custodia_app::App;
use custodia_app::config::SmtpRelay;
use custodia_store::Timestamp;
use custodia_store::notifications::{Attempt, DueDelivery};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Notify;

use crate::clock::Clock;

/// Longest wait for a webhook's answer or the SMTP relay.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries sent per round.
const DELIVERIES_PER_ROUND: u32 = 100;
/// How long a delivery being sent is claimed, in seconds: longer than one attempt can take
/// ([`SEND_TIMEOUT`]), short enough that a delivery claimed by a server that stopped is sent by
/// another, or after the restart, within a minute.
const CLAIM_S: i64 = 60;
/// The delivery's id, stable across retries: receivers keep the ids they saw.
pub const DELIVERY_HEADER: &str = "Custodia-Delivery";
/// When the delivery was signed (POSIX seconds), part of the signed text.
pub const TIMESTAMP_HEADER: &str = "Custodia-Timestamp";
/// `sha256=` and the hex HMAC-SHA-256 of `TIMESTAMP.BODY` with the subscription's secret.
pub const SIGNATURE_HEADER: &str = "Custodia-Signature";

/// How the scheduler runs.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Between two evaluations.
    pub interval: Duration,
    /// The first retry's wait; each next one doubles.
    pub retry_base_s: u64,
    /// The longest wait between attempts.
    pub retry_max_s: u64,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// The SMTP relay, if e-mail is configured.
    pub smtp: Option<SmtpRelay>,
}

impl Settings {
    /// From the configuration.
    pub fn from_config(config: &custodia_app::Config) -> Self {
        Self {
            interval: Duration::from_millis(config.alerts_interval_ms),
            retry_base_s: config.alert_retry_base_s,
            retry_max_s: config.alert_retry_max_s,
            max_attempts: config.alert_max_attempts,
            smtp: config.smtp.clone(),
        }
    }
}

/// The wait before attempt `attempts + 1`, after `attempts` failures: base, 2·base, 4·base …,
/// at most `max_s`.
pub fn backoff_s(attempts: u32, base_s: u64, max_s: u64) -> u64 {
    let factor = 1u64.checked_shl(attempts.saturating_sub(1)).unwrap_or(u64::MAX);
    base_s.saturating_mul(factor).min(max_s)
}

/// `sha256=` and the hex HMAC-SHA-256 of `timestamp.body` with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The JSON a delivery carries (docs/alerts.md#payload).
pub fn payload(delivery: &DueDelivery) -> serde_json::Value {
    let o = &delivery.occurrence;
    let reason: serde_json::Value = serde_json::from_str(&o.reason).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "delivery": delivery.id,
        "event": delivery.event,
        "subscription": delivery.subscription.id,
        "agreement": o.agreement_id,
        "alert": {
            "occurrence": o.id,
            "code": o.kind,
            "severity": o.severity,
            "subject": o.subject,
            "reason": reason,
            "first_seen_at": o.first_seen_at,
            "resolved_at": o.resolved_at,
        },
    })
}

/// After a case changes, the evaluation waits until this long after the last one: under a stream
/// of transitions (thousands a second) it runs about once a second instead of back to back, which
/// took half of the machine from the transitions themselves (1,065 a second against 3,100).
const CHANGE_GAP: Duration = Duration::from_secs(1);

/// Evaluates and delivers until `stop` is notified (it finishes the round it is in, so every
/// attempt made is recorded): every `settings.interval`, or sooner when `changed` is notified (a
/// case changed) — at most once per [`CHANGE_GAP`]; due deliveries are looked for at least every
/// second.
pub async fn run(app: App, settings: Settings, clock: Clock, changed: Arc<Notify>, stop: Arc<Notify>) {
    let client = match reqwest::Client::builder().timeout(SEND_TIMEOUT).build() {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhooks' client: no alerts are delivered");
            return;
        }
    };
    let poll = settings.interval.min(Duration::from_secs(1));
    let gap = CHANGE_GAP.min(settings.interval);
    let mut evaluated_at: Option<std::time::Instant> = None;
    let mut case_changed = false;
    loop {
        let since = evaluated_at.map(|at| at.elapsed());
        let change_due = case_changed && since.is_none_or(|s| s >= gap);
        if change_due || since.is_none_or(|s| s >= settings.interval) {
            evaluate(&app, &clock).await;
            evaluated_at = Some(crate::clock::instant());
            case_changed = false;
        }
        deliver_due(&app, &client, &settings, &clock).await;
        // A change already noted needs no other notice: wait until its evaluation is due.
        let wait = match (case_changed, evaluated_at) {
            (true, Some(at)) => gap.saturating_sub(at.elapsed()).min(poll),
            _ => poll,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = changed.notified(), if !case_changed => case_changed = true,
            () = stop.notified() => return,
        }
    }
}

/// One evaluation, logged with how long it took (`elapsed_ms`: at `info` when alerts opened or
/// resolved, at `debug` otherwise — bench/lists.sh reads it).
async fn evaluate(app: &App, clock: &Clock) {
    let started = crate::clock::instant();
    let result = app.evaluate_scheduled_alerts(&clock.now()).await;
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match result {
        Ok(e) if e.opened + e.resolved > 0 => {
            tracing::info!(open = e.open, opened = e.opened, resolved = e.resolved, elapsed_ms, "alerts changed");
        }
        Ok(e) => tracing::debug!(agreements = e.agreements, open = e.open, elapsed_ms, "alerts evaluated"),
        Err(e) => tracing::warn!(error = %e, "alerts not evaluated; next tick tries again"),
    }
}

/// Sends the deliveries due now, at most a round's worth, each claimed before it is sent and its
/// attempt recorded after. Each is claimed, signed and judged at the time it is sent (a round of
/// slow receivers can outlast a claim counted from the round's start).
async fn deliver_due(app: &App, client: &reqwest::Client, settings: &Settings, clock: &Clock) {
    for _ in 0..DELIVERIES_PER_ROUND {
        let now = clock.now();
        let delivery = match app.claim_due_delivery(&now, CLAIM_S).await {
            Ok(Some(delivery)) => delivery,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "deliveries not read");
                return;
            }
        };
        let delivery = &delivery;
        let sent = send(client, settings, delivery, &now).await;
        let attempt = outcome(sent, delivery, settings, &now);
        if let Attempt::Retry { error, .. } | Attempt::Failed { error } = &attempt {
            tracing::warn!(delivery = delivery.id, attempts = delivery.attempts + 1, error = %error, "delivery failed");
        }
        if let Err(e) = app.delivery_attempted(delivery.id, &attempt).await {
            tracing::error!(delivery = delivery.id, error = %e, "delivery attempt not recorded");
        }
    }
}

/// What an attempt's result means for the delivery.
fn outcome(sent: Result<(), String>, delivery: &DueDelivery, settings: &Settings, now: &Timestamp) -> Attempt {
    let attempts = u32::try_from(delivery.attempts.saturating_add(1)).unwrap_or(u32::MAX);
    match sent {
        Ok(()) => Attempt::Delivered { at: now.clone() },
        Err(error) if attempts >= settings.max_attempts => Attempt::Failed { error },
        Err(error) => {
            let wait_s = backoff_s(attempts, settings.retry_base_s, settings.retry_max_s);
            let next_attempt_at = now.unix_seconds().saturating_add(i64::try_from(wait_s).unwrap_or(i64::MAX));
            Attempt::Retry { next_attempt_at, error }
        }
    }
}

async fn send(
    client: &reqwest::Client,
    settings: &Settings,
    delivery: &DueDelivery,
    now: &Timestamp,
) -> Result<(), String> {
    let body = payload(delivery);
    match delivery.subscription.channel.as_str() {
        "webhook" => post(client, delivery, &body, now).await,
        "email" => match &settings.smtp {
            Some(relay) => mail(relay, delivery, &body).await,
            None => Err("no SMTP relay is configured (smtp_host, smtp_from)".into()),
        },
        other => Err(format!("unknown channel {other:?}")),
    }
}

/// POSTs the payload, signed; a 2xx answer delivers it.
async fn post(
    client: &reqwest::Client,
    delivery: &DueDelivery,
    body: &serde_json::Value,
    now: &Timestamp,
) -> Result<(), String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let secret = delivery.subscription.secret.as_deref().unwrap_or_default();
    let timestamp = now.unix_seconds();
    let response = client
        .post(&delivery.subscription.target)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(DELIVERY_HEADER, delivery.id.to_string())
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature(secret, timestamp, &bytes))
        .body(bytes)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_success() { Ok(()) } else { Err(format!("the receiver answered {}", status.as_u16())) }
}

/// The subject line of an e-mail delivery.
fn subject(delivery: &DueDelivery) -> String {
    let o = &delivery.occurrence;
    let what = if delivery.event == "resolved" { "resolved" } else { "new" };
    format!("[Custodia {}] {what} {} alert {}: {}", o.agreement_id, o.severity, o.kind, o.subject)
}

/// Sends the payload as a plain-text e-mail through the relay.
async fn mail(relay: &SmtpRelay, delivery: &DueDelivery, body: &serde_json::Value) -> Result<(), String> {
    use lettre::message::header::ContentType;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
    let from = relay.from.parse().map_err(|e| format!("smtp_from: {e}"))?;
    let to = delivery.subscription.target.parse().map_err(|e| format!("the subscription's address: {e}"))?;
    let text = serde_json::to_string_pretty(body).map_err(|e| e.to_string())?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(subject(delivery))
        .header(ContentType::TEXT_PLAIN)
        .body(text)
        .map_err(|e| e.to_string())?;
    let mut builder = if relay.starttls {
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&relay.host).map_err(|e| e.to_string())?
    } else {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
    };
    builder = builder.port(relay.port).timeout(Some(SEND_TIMEOUT));
    if let Some((user, password)) = &relay.credentials {
        builder = builder
            .credentials(lettre::transport::smtp::authentication::Credentials::new(user.clone(), password.clone()));
    }
    builder.build().send(message).await.map(|_| ()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let waits: Vec<u64> = (1..=7).map(|n| backoff_s(n, 10, 300)).collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 300, 300]);
        assert_eq!(backoff_s(200, 10, 3600), 3600);
    }

    #[test]
    fn the_signature_is_rfc_4231s_hmac_over_the_timestamp_and_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signed = signature("Jefe", 0, b"what do ya want for nothing?");
        assert_ne!(signed, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"0.what do ya want for nothing?");
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(signed, format!("sha256={hex}"));
    }
}
