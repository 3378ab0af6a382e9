-- Access (docs/access.md): users with a role and scopes, API tokens stored only as SHA-256 hashes,
-- the log of every read of a person's file, and the answers kept for Idempotency-Key.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL,
    agreements    TEXT    NOT NULL,            -- JSON array of agreement ids; ["*"] for every agreement
    facilities    TEXT    NOT NULL,            -- JSON array of facility ids; ["*"] for every facility
    password_hash TEXT,                        -- Argon2id PHC string; NULL: no password login
    created_seq   INTEGER NOT NULL REFERENCES events (seq)
) STRICT;

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    sha256      BLOB NOT NULL UNIQUE,          -- SHA-256 of the secret; the secret is never stored
    label       TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
) STRICT;

-- Every read of a person's file (docs/access.md), written in batches by the server.
CREATE TABLE person_reads (
    id          INTEGER PRIMARY KEY,
    user_name   TEXT    NOT NULL,
    person_id   INTEGER NOT NULL,
    route       TEXT    NOT NULL,
    at          TEXT    NOT NULL
) STRICT;
CREATE INDEX person_reads_by_person ON person_reads (person_id);

-- The first answer to a POST with an Idempotency-Key, per user and key.
CREATE TABLE idempotency_keys (
    user_name       TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    request_sha256  BLOB NOT NULL,
    status          INTEGER NOT NULL,
    response        TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    PRIMARY KEY (user_name, key)
) STRICT;

CREATE TRIGGER person_reads_are_never_updated BEFORE UPDATE ON person_reads
BEGIN SELECT RAISE(ABORT, 'the read log is append-only'); END;
CREATE TRIGGER person_reads_are_never_deleted BEFORE DELETE ON person_reads
BEGIN SELECT RAISE(ABORT, 'the read log is append-only'); END;
