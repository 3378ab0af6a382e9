-- Access (docs/access.md): users with a role and scopes, API tokens stored only as SHA-256 hashes,
-- the log of every read of a person's file, and the answers kept for Idempotency-Key.
CREATE TABLE users (
    id            BIGINT PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL,
    agreements    TEXT    NOT NULL,            -- JSON array of agreement ids; ["*"] for every agreement
    facilities    TEXT    NOT NULL,            -- JSON array of facility ids; ["*"] for every facility
    password_hash TEXT,                        -- Argon2id PHC string; NULL: no password login
    created_seq   BIGINT NOT NULL REFERENCES events (seq)
);

CREATE TABLE api_tokens (
    id          BIGINT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    sha256      BYTEA NOT NULL UNIQUE,          -- SHA-256 of the secret; the secret is never stored
    label       TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
);

-- Every read of a person's file (docs/access.md), written in batches by the server.
CREATE TABLE person_reads (
    id          BIGINT PRIMARY KEY,
    user_name   TEXT    NOT NULL,
    person_id   BIGINT NOT NULL,
    route       TEXT    NOT NULL,
    at          TEXT    NOT NULL
);
CREATE INDEX person_reads_by_person ON person_reads (person_id);

-- The first answer to a POST with an Idempotency-Key, per user and key.
CREATE TABLE idempotency_keys (
    user_name       TEXT    NOT NULL,
    key             TEXT    NOT NULL,
    request_sha256  BYTEA NOT NULL,
    status          BIGINT NOT NULL,
    response        TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    PRIMARY KEY (user_name, key)
);

CREATE FUNCTION custodia_person_reads_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the read log is append-only';
END;
$$;
CREATE TRIGGER person_reads_are_never_changed BEFORE UPDATE OR DELETE ON person_reads
    FOR EACH ROW EXECUTE FUNCTION custodia_person_reads_are_append_only();
