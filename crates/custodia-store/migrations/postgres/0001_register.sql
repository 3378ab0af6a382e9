-- Custodia register, PostgreSQL dialect. Same contract as the SQLite schema; types differ
-- (BIGINT, BYTEA, DATE kept as TEXT for identical canonical forms across both stores).

CREATE TABLE events (
    seq          BIGINT PRIMARY KEY,
    kind         TEXT   NOT NULL,
    actor        TEXT   NOT NULL,
    occurred_at  TEXT   NOT NULL,
    recorded_at  TEXT   NOT NULL,
    agreement_id TEXT,
    person_id    BIGINT,
    body         TEXT   NOT NULL,
    leaf_hash    BYTEA  NOT NULL,
    root_after   BYTEA  NOT NULL
);

CREATE FUNCTION custodia_events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: an event is never %', lower(TG_OP);
END;
$$;
CREATE TRIGGER events_are_never_updated BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION custodia_events_are_append_only();
CREATE TRIGGER events_are_never_truncated BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION custodia_events_are_append_only();

CREATE TABLE journal_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    size      BIGINT NOT NULL,
    frontier  BYTEA  NOT NULL
);
INSERT INTO journal_head (id, size, frontier) VALUES (1, 0, '\x');

CREATE TABLE agreements (
    id              TEXT PRIMARY KEY,
    current_version BIGINT NOT NULL
);

CREATE TABLE agreement_versions (
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    version        BIGINT  NOT NULL,
    effective_from TEXT    NOT NULL,
    source_toml    TEXT    NOT NULL,
    source_sha256  BYTEA   NOT NULL,
    event_seq      BIGINT  NOT NULL REFERENCES events (seq),
    PRIMARY KEY (agreement_id, version)
);

CREATE TABLE persons (
    id             BIGINT PRIMARY KEY,
    sending_state  TEXT   NOT NULL,
    sending_id     TEXT   NOT NULL,
    record_sha256  BYTEA  NOT NULL,
    version        BIGINT NOT NULL,
    last_event_seq BIGINT NOT NULL REFERENCES events (seq),
    UNIQUE (sending_state, sending_id)
);

CREATE TABLE person_identifiers (
    person_id BIGINT NOT NULL REFERENCES persons (id),
    state     TEXT   NOT NULL,
    scheme    TEXT   NOT NULL,
    value     TEXT   NOT NULL,
    PRIMARY KEY (state, scheme, value)
);
CREATE INDEX person_identifiers_by_person ON person_identifiers (person_id);

CREATE TABLE person_aliases (
    person_id    BIGINT NOT NULL REFERENCES persons (id),
    family_name  TEXT   NOT NULL,
    given_names  TEXT   NOT NULL,
    PRIMARY KEY (person_id, family_name, given_names)
);

CREATE TABLE legal_basis (
    id               BIGSERIAL PRIMARY KEY,
    person_id        BIGINT NOT NULL REFERENCES persons (id),
    kind             TEXT   NOT NULL CHECK (kind IN ('conviction', 'removal_order')),
    status           TEXT,
    offence_category TEXT,
    sentence_start   TEXT,
    sentence_term    TEXT,
    jail_credit_days BIGINT,
    recorded_event_seq BIGINT NOT NULL REFERENCES events (seq),
    UNIQUE (person_id, kind)
);

-- Legal-basis records as exported by the sending state, read from the person's last event.
CREATE VIEW person_legal_basis AS
    SELECT p.id AS person_id, 'conviction' AS kind, e.body::json -> 'data' -> 'record' ->> 'conviction' AS status,
           e.body::json -> 'data' -> 'record' ->> 'offence_category' AS offence_category,
           e.body::json -> 'data' -> 'record' ->> 'sentence_start' AS sentence_start,
           e.body::json -> 'data' -> 'record' ->> 'sentence_term' AS sentence_term,
           (e.body::json -> 'data' -> 'record' ->> 'jail_credit_days')::bigint AS jail_credit_days,
           p.last_event_seq AS recorded_event_seq
      FROM persons p JOIN events e ON e.seq = p.last_event_seq
    UNION ALL
    SELECT p.id, 'removal_order', e.body::json -> 'data' -> 'record' ->> 'removal_order', NULL, NULL, NULL, NULL,
           p.last_event_seq
      FROM persons p JOIN events e ON e.seq = p.last_event_seq;
