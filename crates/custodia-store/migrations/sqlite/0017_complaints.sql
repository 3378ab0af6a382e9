-- Requests and complaints of detainees (docs/rights.md#complaints). Every change is an event:
-- `complaint.filed`, `complaint.answered`, `complaint.escalated`. A complaint may be confidential and the
-- journal is exported to any user, so the events carry the SHA-256 of its words and of its answer's,
-- never the words: the replay compares the stored words with them.
CREATE TABLE complaints (
    id             INTEGER PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    case_id        INTEGER NOT NULL REFERENCES cases (id),
    category       TEXT    NOT NULL,
    confidential   INTEGER NOT NULL,              -- 1: only inspectors and the sending state's officers read it
    text           TEXT    NOT NULL,           -- the complaint's words: the journal keeps only their SHA-256
    answer_text    TEXT,                       -- the answer's words, likewise
    record         TEXT    NOT NULL,           -- JSON: the words' SHA-256, times, deadline, answer, escalation
    last_event_seq INTEGER NOT NULL REFERENCES events (seq)
) STRICT;

CREATE INDEX complaints_by_agreement ON complaints (agreement_id, id);
