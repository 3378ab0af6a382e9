-- Scheduled alerts (docs/alerts.md): subscriptions, the alerts the scheduler has seen, and the
-- outbox of their deliveries.
--
-- Subscriptions are configuration users change: journaled (`subscription.created`,
-- `subscription.removed`), the webhook secret by its SHA-256 only (any user may export the
-- journal). Occurrences and deliveries are the scheduler's operational record: not events
-- (replay::NOT_PROJECTED says why).
CREATE TABLE alert_subscriptions (
    id            INTEGER PRIMARY KEY,
    agreement_id  TEXT    NOT NULL REFERENCES agreements (id),
    min_severity  TEXT    NOT NULL CHECK (min_severity IN ('warning', 'critical')),
    kinds         TEXT    NOT NULL,              -- JSON array of alert codes; [] is every kind
    channel       TEXT    NOT NULL CHECK (channel IN ('webhook', 'email')),
    target        TEXT    NOT NULL,              -- the webhook URL or the e-mail address
    secret        TEXT,                          -- the webhook's signing secret (journal: its SHA-256)
    created_by    TEXT    NOT NULL,
    created_seq   INTEGER NOT NULL REFERENCES events (seq),
    removed_by    TEXT,
    removed_seq   INTEGER REFERENCES events (seq)
) STRICT;
CREATE INDEX alert_subscriptions_by_agreement ON alert_subscriptions (agreement_id, id);

-- An alert as the scheduler saw it: open from first_seen_at until resolved_at.
CREATE TABLE alert_occurrences (
    id             INTEGER PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    kind           TEXT    NOT NULL,             -- the alert's code
    subject        TEXT    NOT NULL,
    severity       TEXT    NOT NULL,
    reason         TEXT    NOT NULL,             -- JSON: {"en": …, "es": …} as first seen
    first_seen_at  TEXT    NOT NULL,             -- RFC 3339 UTC
    resolved_at    TEXT                          -- RFC 3339 UTC, NULL while open
) STRICT;
-- At most one open occurrence of an alert.
CREATE UNIQUE INDEX alert_occurrences_open ON alert_occurrences (agreement_id, kind, subject)
    WHERE resolved_at IS NULL;

-- The outbox: one row per subscription, occurrence and event, committed with the occurrence
-- change before anything is sent; `delivered` rows are never sent again.
CREATE TABLE alert_deliveries (
    id               INTEGER PRIMARY KEY,
    subscription_id  INTEGER NOT NULL REFERENCES alert_subscriptions (id),
    occurrence_id    INTEGER NOT NULL REFERENCES alert_occurrences (id),
    event            TEXT    NOT NULL CHECK (event IN ('new', 'resolved')),
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,           -- POSIX seconds
    last_error       TEXT,
    delivered_at     TEXT,                       -- RFC 3339 UTC
    UNIQUE (subscription_id, occurrence_id, event)
) STRICT;
CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at);
CREATE INDEX alert_deliveries_by_subscription ON alert_deliveries (subscription_id, id);
