-- Requests and complaints of detainees (docs/rights.md#complaints). Every change is an event:
-- `complaint.filed`, `complaint.answered`, `complaint.escalated`.
CREATE TABLE complaints (
    id             BIGINT PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    case_id        BIGINT NOT NULL REFERENCES cases (id),
    category       TEXT    NOT NULL,
    confidential   BIGINT NOT NULL,              -- 1: only inspectors and the sending state's officers read it
    record         TEXT    NOT NULL,           -- JSON: text, times, deadline, answer, escalation
    last_event_seq BIGINT NOT NULL REFERENCES events (seq)
);

CREATE INDEX complaints_by_agreement ON complaints (agreement_id, id);
