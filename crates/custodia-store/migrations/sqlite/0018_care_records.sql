-- The detainee's health care, visits and calls, and solitary confinement (docs/rights.md). Every change
-- is an event: `examination.recorded`, `visit.recorded`, `solitary.placed`, `solitary.ended`. An
-- examination's findings and the injuries it documents are the health file, read only by medical
-- officers; the journal is exported to any user, so the events carry the SHA-256 of the health file,
-- never its words: the replay compares the stored file with it.
CREATE TABLE care_records (
    id             INTEGER PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    kind           TEXT    NOT NULL,           -- examination | visit | placement
    health_file    TEXT,                       -- examinations only: JSON {findings, injuries}
    record         TEXT    NOT NULL,           -- JSON: times, who, fitness, outcome, the health file's SHA-256
    last_event_seq INTEGER NOT NULL REFERENCES events (seq)
) STRICT;

CREATE INDEX care_records_by_agreement ON care_records (agreement_id, case_id, id);
