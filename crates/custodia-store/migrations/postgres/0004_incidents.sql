-- Incidents (docs/oversight.md#incidents): the report is never edited — corrections are addenda — and a death,
-- disappearance or serious injury opens notifications with deadlines. The record (report,
-- addenda, notifications) is JSON; every change is an event.
CREATE TABLE incidents (
    id             BIGINT PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    case_id        BIGINT REFERENCES cases (id),
    kind           TEXT    NOT NULL,
    occurred_at    TEXT    NOT NULL,
    record         TEXT    NOT NULL,
    last_event_seq BIGINT NOT NULL REFERENCES events (seq)
);
