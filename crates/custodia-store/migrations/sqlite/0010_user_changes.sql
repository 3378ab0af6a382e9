-- Users (docs/access.md#user-changes): names are unique in their compared form (NFC, trimmed,
-- lower-cased, computed by the application layer), and creating a user or changing a role or scopes
-- is a change one admin proposes and a second confirms.
ALTER TABLE users ADD COLUMN name_key TEXT;
UPDATE users SET name_key = lower(trim(name));
CREATE UNIQUE INDEX users_by_name_key ON users (name_key);

CREATE TABLE user_changes (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('create', 'update')),
    name            TEXT    NOT NULL,
    name_key        TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    agreements      TEXT    NOT NULL,          -- JSON array
    facilities      TEXT    NOT NULL,          -- JSON array
    password_hash   TEXT,                      -- a new user's Argon2id PHC string; never journaled
    proposed_by     TEXT    NOT NULL,
    proposed_at     TEXT    NOT NULL,
    proposed_seq    INTEGER NOT NULL REFERENCES events (seq),
    confirmed_by    TEXT,
    confirmed_at    TEXT,
    confirmed_seq   INTEGER REFERENCES events (seq)
) STRICT;
