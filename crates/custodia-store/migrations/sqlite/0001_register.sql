-- Custodia register, SQLite dialect. Every change is an event in `events`, written in the same
-- transaction as its effect; events are never updated or deleted (enforced by triggers below).

CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,          -- leaf index in the journal's Merkle tree, from 0
    kind         TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    occurred_at  TEXT    NOT NULL,             -- RFC 3339 UTC
    recorded_at  TEXT    NOT NULL,             -- RFC 3339 UTC
    agreement_id TEXT,
    person_id    INTEGER,
    body         TEXT    NOT NULL,             -- the leaf bytes: RFC 8785 canonical JSON of the event
    leaf_hash    BLOB    NOT NULL,             -- SHA-256(0x00 || body)
    root_after   BLOB    NOT NULL              -- tree root after appending this leaf
) STRICT;

CREATE TRIGGER events_are_never_updated BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: an event is never updated'); END;
CREATE TRIGGER events_are_never_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only: an event is never deleted'); END;

-- The journal's compact range (frontier) after the last event, so appends cost O(log n).
CREATE TABLE journal_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    size      INTEGER NOT NULL,
    frontier  BLOB    NOT NULL                 -- concatenated 32-byte hashes
) STRICT;
INSERT INTO journal_head (id, size, frontier) VALUES (1, 0, x'');

CREATE TABLE agreements (
    id              TEXT PRIMARY KEY,
    current_version INTEGER NOT NULL
) STRICT;

-- Every version of an agreement file as loaded; a change is a new version with an effective date.
CREATE TABLE agreement_versions (
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    version        INTEGER NOT NULL,
    effective_from TEXT    NOT NULL,           -- civil date
    source_toml    TEXT    NOT NULL,
    source_sha256  BLOB    NOT NULL,
    event_seq      INTEGER NOT NULL REFERENCES events (seq),
    PRIMARY KEY (agreement_id, version)
) STRICT;

-- A person has one Custodia id; the sending state's export id identifies the row it came from.
-- The record itself (docs/person-file.md columns, exactly as written) lives in the journal: the person's last
-- event (`person.registered` or `person.amended`) carries the whole current record as
-- `data.record`, so it is stored once, and this table indexes it.
CREATE TABLE persons (
    id             INTEGER PRIMARY KEY,        -- the Custodia id
    sending_state  TEXT    NOT NULL,
    sending_id     TEXT    NOT NULL,           -- person_id of the sending state's export
    record_sha256  BLOB    NOT NULL,           -- for idempotent imports
    version        INTEGER NOT NULL,
    last_event_seq INTEGER NOT NULL REFERENCES events (seq),
    UNIQUE (sending_state, sending_id)
) STRICT;

-- Identifiers of both states (US register number, A-number, Salvadoran inmate number, …).
CREATE TABLE person_identifiers (
    person_id INTEGER NOT NULL REFERENCES persons (id),
    state     TEXT    NOT NULL,
    scheme    TEXT    NOT NULL,
    value     TEXT    NOT NULL,
    PRIMARY KEY (state, scheme, value)
) STRICT;
CREATE INDEX person_identifiers_by_person ON person_identifiers (person_id);

CREATE TABLE person_aliases (
    person_id    INTEGER NOT NULL REFERENCES persons (id),
    family_name  TEXT    NOT NULL,
    given_names  TEXT    NOT NULL,
    PRIMARY KEY (person_id, family_name, given_names)
) STRICT;

-- Legal basis for holding a person: convictions (with sentence data) and removal orders. The
-- sending state's export carries one of each per person (the view `person_legal_basis`); this table
-- holds records entered in the register itself (court orders, commitment orders), keyed by person
-- and kind so later issues add cases, custody, cells, invoices and incidents beside it.
CREATE TABLE legal_basis (
    id               INTEGER PRIMARY KEY,
    person_id        INTEGER NOT NULL REFERENCES persons (id),
    kind             TEXT    NOT NULL CHECK (kind IN ('conviction', 'removal_order')),
    status           TEXT,                     -- conviction: final|appeal_pending|none; order: final|pending|none
    offence_category TEXT,
    sentence_start   TEXT,
    sentence_term    TEXT,
    jail_credit_days INTEGER,
    recorded_event_seq INTEGER NOT NULL REFERENCES events (seq),
    UNIQUE (person_id, kind)
) STRICT;

-- Legal-basis records as exported by the sending state, one conviction and one removal order per
-- person, read from the record in the person's last event.
CREATE VIEW person_legal_basis AS
    SELECT p.id AS person_id, 'conviction' AS kind, e.body ->> '$.data.record.conviction' AS status,
           e.body ->> '$.data.record.offence_category' AS offence_category,
           e.body ->> '$.data.record.sentence_start' AS sentence_start,
           e.body ->> '$.data.record.sentence_term' AS sentence_term,
           e.body ->> '$.data.record.jail_credit_days' AS jail_credit_days,
           p.last_event_seq AS recorded_event_seq
      FROM persons p JOIN events e ON e.seq = p.last_event_seq
    UNION ALL
    SELECT p.id, 'removal_order', e.body ->> '$.data.record.removal_order', NULL, NULL, NULL, NULL, p.last_event_seq
      FROM persons p JOIN events e ON e.seq = p.last_event_seq;
