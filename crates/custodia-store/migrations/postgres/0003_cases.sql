-- Cases (docs/lifecycle.md): one row per case with its current state; the record (screening decision,
-- approvals, holds, commitment order, intake record, planned return) is JSON, and every change is
-- an event. Occupancy is derived from the in-custody rows here, never typed in.
CREATE TABLE cases (
    id             BIGINT PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    person_id      BIGINT NOT NULL REFERENCES persons (id),
    state          TEXT    NOT NULL,
    facility_id    TEXT,
    cell_id        TEXT,
    record         TEXT    NOT NULL,
    version        BIGINT NOT NULL,
    last_event_seq BIGINT NOT NULL REFERENCES events (seq)
);
CREATE INDEX cases_by_place ON cases (agreement_id, facility_id, cell_id, state);
CREATE INDEX cases_by_person ON cases (person_id);
