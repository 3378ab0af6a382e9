//! Scheduled alerts in the register (docs/alerts.md): subscriptions (journaled configuration),
//! the alerts the scheduler has seen (`alert_occurrences`) and the outbox of their deliveries
//! (`alert_deliveries`), both operational and not journaled (`replay::NOT_PROJECTED`).
//!
//! The store decides nothing here either: which alerts are open and which subscriptions an alert
//! goes to are the application's ([`AlertChanges`] arrives decided); the store writes an
//! occurrence change and its deliveries in one transaction, so a delivery exists before anything
//! is sent, and a delivered row is never handed out again.

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, hex, store_trait};
use crate::bulk::Dialect;
use crate::events::{EventData, NewEvent};
use crate::{Actor, StoreError, Timestamp};

/// A subscription to an agreement's alerts.
#[derive(Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    /// The subscription id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The least severity delivered: `warning` (every alert) or `critical`.
    pub min_severity: String,
    /// Alert codes delivered; empty for every kind.
    pub kinds: Vec<String>,
    /// `webhook` or `email`.
    pub channel: String,
    /// The webhook URL or the e-mail address.
    pub target: String,
    /// The webhook's signing secret.
    pub secret: Option<String>,
    /// Who subscribed.
    pub created_by: String,
}

impl std::fmt::Debug for SubscriptionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubscriptionRow")
            .field("id", &self.id)
            .field("agreement_id", &self.agreement_id)
            .field("min_severity", &self.min_severity)
            .field("kinds", &self.kinds)
            .field("channel", &self.channel)
            .field("target", &self.target)
            .field("secret", &self.secret.as_ref().map(|_| "…"))
            .field("created_by", &self.created_by)
            .finish()
    }
}

/// A subscription to record (checked by the application).
#[derive(Clone, Debug)]
pub struct NewSubscription<'a> {
    /// The agreement.
    pub agreement_id: &'a str,
    /// `warning` or `critical`.
    pub min_severity: &'a str,
    /// Alert codes; empty for every kind.
    pub kinds: &'a [String],
    /// `webhook` or `email`.
    pub channel: &'a str,
    /// The URL or address.
    pub target: &'a str,
    /// The webhook's signing secret (the journal keeps its SHA-256 only).
    pub secret: Option<&'a str>,
}

/// An alert as the scheduler saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OccurrenceRow {
    /// The occurrence id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The alert's code.
    pub kind: String,
    /// The alert's subject.
    pub subject: String,
    /// `critical` or `warning`.
    pub severity: String,
    /// The reason as first seen, JSON `{"en": …, "es": …}`.
    pub reason: String,
    /// When the scheduler first saw it (RFC 3339 UTC).
    pub first_seen_at: String,
    /// When it saw it gone, if it has.
    pub resolved_at: Option<String>,
}

/// An occurrence still open, as the scheduler compares it with the alerts open now: only what
/// names it (its severity follows from its kind, [`custodia_core::alerts::AlertKind::severity`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenOccurrence {
    /// The occurrence id.
    pub id: i64,
    /// The alert's code.
    pub kind: String,
    /// The alert's subject.
    pub subject: String,
}

/// A newly seen alert and the subscriptions it goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOccurrence {
    /// The alert's code.
    pub kind: String,
    /// Its subject.
    pub subject: String,
    /// `critical` or `warning`.
    pub severity: String,
    /// JSON `{"en": …, "es": …}`.
    pub reason: String,
    /// Subscriptions to deliver `new` to.
    pub subscriptions: Vec<i64>,
}

/// What changed in an agreement's alerts at one evaluation.
#[derive(Clone, Debug)]
pub struct AlertChanges<'a> {
    /// The agreement.
    pub agreement_id: &'a str,
    /// When it was evaluated.
    pub at: &'a Timestamp,
    /// Alerts seen for the first time.
    pub opened: Vec<NewOccurrence>,
    /// Open occurrences no longer seen, and the subscriptions to deliver `resolved` to.
    pub resolved: Vec<(i64, Vec<i64>)>,
}

/// A delivery to attempt, with what it delivers.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    /// The delivery id (the `Custodia-Delivery` header).
    pub id: i64,
    /// `new` or `resolved`.
    pub event: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// The subscription.
    pub subscription: SubscriptionRow,
    /// The alert.
    pub occurrence: OccurrenceRow,
}

/// The outcome of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Accepted by the receiver: never sent again.
    Delivered {
        /// When.
        at: Timestamp,
    },
    /// Refused or unreachable: tried again at `next_attempt_at` (POSIX seconds).
    Retry {
        /// When to try again.
        next_attempt_at: i64,
        /// Why it failed.
        error: String,
    },
    /// Refused too often: given up.
    Failed {
        /// Why it failed last.
        error: String,
    },
}

/// One line of the delivery log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    /// The delivery id.
    pub id: i64,
    /// The subscription.
    pub subscription_id: i64,
    /// The alert's code.
    pub kind: String,
    /// The alert's subject.
    pub subject: String,
    /// `new` or `resolved`.
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (POSIX seconds), for a pending delivery.
    pub next_attempt_at: i64,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was delivered.
    pub delivered_at: Option<String>,
}

/// Open alerts of one agreement, severity and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenAlertCount {
    /// The agreement.
    pub agreement_id: String,
    /// `critical` or `warning`.
    pub severity: String,
    /// The alert's code.
    pub kind: String,
    /// How many are open.
    pub count: i64,
}

store_trait! {
    /// Subscriptions, occurrences and deliveries of scheduled alerts.
    pub trait Notifications {
        /// Records a subscription (`subscription.created`).
        fn create_subscription(&self, new: &NewSubscription<'_>, actor: &Actor) -> Result<SubscriptionRow, StoreError>;
        /// Ends a subscription of the agreement (`subscription.removed`); its pending deliveries
        /// are no longer sent. Ending one already ended writes nothing.
        fn remove_subscription(&self, agreement_id: &str, id: i64, actor: &Actor) -> Result<SubscriptionRow, StoreError>;
        /// The agreement's subscriptions in force, in id order.
        fn subscriptions(&self, agreement_id: &str) -> Result<Vec<SubscriptionRow>, StoreError>;
        /// The agreement's open occurrences, by kind and subject.
        fn open_occurrences(&self, agreement_id: &str) -> Result<Vec<OpenOccurrence>, StoreError>;
        /// Writes what one evaluation changed and the deliveries it owes, in one transaction.
        fn record_alert_changes(&self, changes: &AlertChanges<'_>) -> Result<(), StoreError>;
        /// Claims the oldest pending delivery due at `now_unix`, of a subscription in force, until
        /// `claimed_until_unix`: it is not due again before then (its `next_attempt_at`), so two
        /// servers on one database never send the same delivery at once, and one stopped while
        /// sending lets another send it once the claim has run out. Recording the attempt
        /// ([`Notifications::delivery_attempted`]) ends the claim.
        fn claim_due_delivery(&self, now_unix: i64, claimed_until_unix: i64) -> Result<Option<DueDelivery>, StoreError>;
        /// Records one attempt of a delivery.
        fn delivery_attempted(&self, id: i64, attempt: &Attempt) -> Result<(), StoreError>;
        /// The agreement's delivery log, newest first, at most `limit` lines.
        fn deliveries(&self, agreement_id: &str, limit: u32) -> Result<Vec<DeliveryRow>, StoreError>;
        /// Open occurrences by agreement, severity and kind.
        fn open_alert_counts(&self) -> Result<Vec<OpenAlertCount>, StoreError>;
    }
}

const SUBSCRIPTION_COLUMNS: &str =
    "s.id, s.agreement_id, s.min_severity, s.kinds, s.channel, s.target, s.secret, s.created_by";
/// The open occurrences of agreement `$1`, by kind and subject (the order of the partial index
/// `alert_occurrences_open`, which holds every column read).
const OPEN_OCCURRENCES_SQL: &str = "SELECT id, kind, subject FROM alert_occurrences \
     WHERE agreement_id = $1 AND resolved_at IS NULL ORDER BY agreement_id, kind, subject";
const OCCURRENCE_COLUMNS: &str = "o.id AS o_id, o.agreement_id AS o_agreement, o.kind, o.subject, o.severity, o.reason, o.first_seen_at, o.resolved_at";

/// Claims the oldest due delivery until `$1` (`$2` is now): the id claimed, if any. PostgreSQL
/// skips a row another transaction is claiming; SQLite has one writer at a time.
fn claim_sql(dialect: Dialect) -> String {
    let skip_locked = match dialect {
        Dialect::Sqlite => "",
        Dialect::Postgres => " FOR UPDATE OF d SKIP LOCKED",
    };
    format!(
        "UPDATE alert_deliveries SET next_attempt_at = $1 WHERE id = (SELECT d.id FROM alert_deliveries d \
         JOIN alert_subscriptions s ON s.id = d.subscription_id \
         WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND s.removed_seq IS NULL \
         ORDER BY d.next_attempt_at, d.id LIMIT 1{skip_locked}) AND status = 'pending' AND next_attempt_at <= $2 RETURNING id"
    )
}

macro_rules! notifications_sql {
    ($name:ident, $db:ty, $dialect:expr) => {
        impl Notifications for $name {
            async fn create_subscription(&self, new: &NewSubscription<'_>, actor: &Actor) -> Result<SubscriptionRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                Self::agreement_in(&mut tx, new.agreement_id).await?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM alert_subscriptions")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("next")?;
                let kinds = serde_json::to_string(new.kinds).map_err(|e| StoreError::Inconsistent(e.to_string()))?;
                let secret_sha256 = new.secret.map(|s| hex(&Sha256::digest(s.as_bytes())));
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                    kind: "subscription.created",
                    agreement_id: Some(new.agreement_id.to_owned()),
                    person_id: None,
                    data: EventData::Json(json!({
                        "subscription_id": id, "min_severity": new.min_severity, "kinds": new.kinds,
                        "channel": new.channel, "target": new.target, "secret_sha256": secret_sha256,
                    })),
                }, actor).await?;
                sqlx::query(
                    "INSERT INTO alert_subscriptions (id, agreement_id, min_severity, kinds, channel, target, secret, \
                     created_by, created_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(id)
                .bind(new.agreement_id.to_owned())
                .bind(new.min_severity.to_owned())
                .bind(kinds)
                .bind(new.channel.to_owned())
                .bind(new.target.to_owned())
                .bind(new.secret.map(str::to_owned))
                .bind(actor.name.clone())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(SubscriptionRow {
                    id,
                    agreement_id: new.agreement_id.to_owned(),
                    min_severity: new.min_severity.to_owned(),
                    kinds: new.kinds.to_vec(),
                    channel: new.channel.to_owned(),
                    target: new.target.to_owned(),
                    secret: new.secret.map(str::to_owned),
                    created_by: actor.name.clone(),
                })
            }

            async fn remove_subscription(&self, agreement_id: &str, id: i64, actor: &Actor) -> Result<SubscriptionRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS}, s.removed_seq FROM alert_subscriptions s \
                     WHERE s.id = $1 AND s.agreement_id = $2"
                ))
                .bind(id)
                .bind(agreement_id.to_owned())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("subscription {id} of {agreement_id}")))?;
                let subscription = subscription_from_row(&row)?;
                if row.try_get::<Option<i64>, _>("removed_seq")?.is_some() {
                    return Ok(subscription);
                }
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                    kind: "subscription.removed",
                    agreement_id: Some(agreement_id.to_owned()),
                    person_id: None,
                    data: EventData::Json(json!({"subscription_id": id})),
                }, actor).await?;
                sqlx::query("UPDATE alert_subscriptions SET removed_by = $1, removed_seq = $2 WHERE id = $3")
                    .bind(actor.name.clone())
                    .bind(seq)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(subscription)
            }

            async fn subscriptions(&self, agreement_id: &str) -> Result<Vec<SubscriptionRow>, StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {SUBSCRIPTION_COLUMNS} FROM alert_subscriptions s \
                     WHERE s.agreement_id = $1 AND s.removed_seq IS NULL ORDER BY s.id"
                ))
                .bind(agreement_id.to_owned())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(subscription_from_row).collect()
            }

            async fn open_occurrences(&self, agreement_id: &str) -> Result<Vec<OpenOccurrence>, StoreError> {
                // Read at every tick for every agreement (300,000 rows with 100,000 in custody):
                // only the columns of the open-occurrence index (`alert_occurrences_open`), and on
                // a SQLite file through this thread's reader, a fifth of the pool's time.
                if let Some(file) = self.reader() {
                    return sqlite_open_occurrences(&file, agreement_id);
                }
                let rows = sqlx::query(OPEN_OCCURRENCES_SQL).bind(agreement_id.to_owned()).fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|row| {
                        Ok(OpenOccurrence { id: row.try_get("id")?, kind: row.try_get("kind")?, subject: row.try_get("subject")? })
                    })
                    .collect()
            }

            async fn record_alert_changes(&self, changes: &AlertChanges<'_>) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let now_unix = changes.at.unix_seconds();
                for new in &changes.opened {
                    let id: i64 = sqlx::query(
                        "INSERT INTO alert_occurrences (agreement_id, kind, subject, severity, reason, first_seen_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    )
                    .bind(changes.agreement_id.to_owned())
                    .bind(new.kind.clone())
                    .bind(new.subject.clone())
                    .bind(new.severity.clone())
                    .bind(new.reason.clone())
                    .bind(changes.at.as_str().to_owned())
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                    Self::owe_deliveries(&mut tx, id, "new", &new.subscriptions, now_unix).await?;
                }
                for (id, subscriptions) in &changes.resolved {
                    sqlx::query("UPDATE alert_occurrences SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL")
                        .bind(changes.at.as_str().to_owned())
                        .bind(*id)
                        .execute(&mut *tx)
                        .await?;
                    Self::owe_deliveries(&mut tx, *id, "resolved", subscriptions, now_unix).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn claim_due_delivery(&self, now_unix: i64, claimed_until_unix: i64) -> Result<Option<DueDelivery>, StoreError> {
                // One statement: the row is claimed only if it is still due when it is updated
                // (PostgreSQL skips a row another server is claiming; SQLite has one writer).
                let claimed: Option<i64> = sqlx::query_scalar(&claim_sql($dialect))
                    .bind(claimed_until_unix)
                    .bind(now_unix)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(id) = claimed else { return Ok(None) };
                let row = sqlx::query(&format!(
                    "SELECT d.id AS d_id, d.event, d.attempts, {SUBSCRIPTION_COLUMNS}, {OCCURRENCE_COLUMNS} \
                     FROM alert_deliveries d JOIN alert_subscriptions s ON s.id = d.subscription_id \
                     JOIN alert_occurrences o ON o.id = d.occurrence_id WHERE d.id = $1"
                ))
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
                Ok(Some(DueDelivery {
                    id: row.try_get("d_id")?,
                    event: row.try_get("event")?,
                    attempts: row.try_get("attempts")?,
                    subscription: subscription_from_row(&row)?,
                    occurrence: occurrence_from_row(&row)?,
                }))
            }

            async fn delivery_attempted(&self, id: i64, attempt: &Attempt) -> Result<(), StoreError> {
                let query = match attempt {
                    Attempt::Delivered { at } => sqlx::query(
                        "UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, \
                         delivered_at = $1, last_error = NULL WHERE id = $2 AND status = 'pending'",
                    )
                    .bind(at.as_str().to_owned()),
                    Attempt::Retry { next_attempt_at, error } => sqlx::query(
                        "UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = $1, \
                         last_error = $2 WHERE id = $3 AND status = 'pending'",
                    )
                    .bind(*next_attempt_at)
                    .bind(error.clone()),
                    Attempt::Failed { error } => sqlx::query(
                        "UPDATE alert_deliveries SET status = 'failed', attempts = attempts + 1, last_error = $1 \
                         WHERE id = $2 AND status = 'pending'",
                    )
                    .bind(error.clone()),
                };
                query.bind(id).execute(&self.pool).await?;
                Ok(())
            }

            async fn deliveries(&self, agreement_id: &str, limit: u32) -> Result<Vec<DeliveryRow>, StoreError> {
                let rows = sqlx::query(
                    "SELECT d.id, d.subscription_id, o.kind, o.subject, d.event, d.status, d.attempts, \
                     d.next_attempt_at, d.last_error, d.delivered_at FROM alert_deliveries d \
                     JOIN alert_occurrences o ON o.id = d.occurrence_id \
                     WHERE o.agreement_id = $1 ORDER BY d.id DESC LIMIT $2",
                )
                .bind(agreement_id.to_owned())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(DeliveryRow {
                            id: r.try_get("id")?,
                            subscription_id: r.try_get("subscription_id")?,
                            kind: r.try_get("kind")?,
                            subject: r.try_get("subject")?,
                            event: r.try_get("event")?,
                            status: r.try_get("status")?,
                            attempts: r.try_get("attempts")?,
                            next_attempt_at: r.try_get("next_attempt_at")?,
                            last_error: r.try_get("last_error")?,
                            delivered_at: r.try_get("delivered_at")?,
                        })
                    })
                    .collect()
            }

            async fn open_alert_counts(&self) -> Result<Vec<OpenAlertCount>, StoreError> {
                let rows = sqlx::query(
                    "SELECT agreement_id, severity, kind, count(*) AS n FROM alert_occurrences \
                     WHERE resolved_at IS NULL GROUP BY agreement_id, severity, kind \
                     ORDER BY agreement_id, severity, kind",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(OpenAlertCount {
                            agreement_id: r.try_get("agreement_id")?,
                            severity: r.try_get("severity")?,
                            kind: r.try_get("kind")?,
                            count: r.try_get("n")?,
                        })
                    })
                    .collect()
            }
        }

        impl $name {
            /// The outbox rows of one occurrence change (once per subscription and event).
            async fn owe_deliveries(
                tx: &mut sqlx::Transaction<'_, $db>,
                occurrence_id: i64,
                event: &str,
                subscriptions: &[i64],
                now_unix: i64,
            ) -> Result<(), StoreError> {
                for subscription in subscriptions {
                    sqlx::query(
                        "INSERT INTO alert_deliveries (subscription_id, occurrence_id, event, status, next_attempt_at) \
                         VALUES ($1, $2, $3, 'pending', $4) ON CONFLICT (subscription_id, occurrence_id, event) DO NOTHING",
                    )
                    .bind(*subscription)
                    .bind(occurrence_id)
                    .bind(event.to_owned())
                    .bind(now_unix)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }
        }
    };
}

fn subscription_from_row<R: Row>(row: &R) -> Result<SubscriptionRow, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    let kinds: String = row.try_get("kinds")?;
    Ok(SubscriptionRow {
        id: row.try_get("id")?,
        agreement_id: row.try_get("agreement_id")?,
        min_severity: row.try_get("min_severity")?,
        kinds: serde_json::from_str(&kinds)
            .map_err(|e| StoreError::Inconsistent(format!("subscription kinds: {e}")))?,
        channel: row.try_get("channel")?,
        target: row.try_get("target")?,
        secret: row.try_get("secret")?,
        created_by: row.try_get("created_by")?,
    })
}

fn occurrence_from_row<R: Row>(row: &R) -> Result<OccurrenceRow, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    Ok(OccurrenceRow {
        id: row.try_get("o_id")?,
        agreement_id: row.try_get("o_agreement")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        severity: row.try_get("severity")?,
        reason: row.try_get("reason")?,
        first_seen_at: row.try_get("first_seen_at")?,
        resolved_at: row.try_get("resolved_at")?,
    })
}

/// The store's `open_occurrences` on a SQLite file, through this thread's read-only connection.
fn sqlite_open_occurrences(
    file: &crate::cases::SqliteReader,
    agreement_id: &str,
) -> Result<Vec<OpenOccurrence>, StoreError> {
    crate::cases::with_sqlite_reader(file, |conn| {
        let mut statement = conn.prepare_cached(&OPEN_OCCURRENCES_SQL.replace("$1", "?1"))?;
        let rows = statement.query_map([agreement_id], |row| {
            Ok(OpenOccurrence { id: row.get(0)?, kind: row.get(1)?, subject: row.get(2)? })
        })?;
        Ok(rows.collect::<Result<Vec<_>, rusqlite::Error>>()?)
    })
}

notifications_sql!(SqliteStore, sqlx::Sqlite, Dialect::Sqlite);
notifications_sql!(PostgresStore, sqlx::Postgres, Dialect::Postgres);
