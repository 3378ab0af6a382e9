-- Inspections (docs/oversight.md#inspections) and the consular and family contact log (docs/oversight.md#contacts). Every change is an event.
CREATE TABLE inspections (
    id             INTEGER PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    body           TEXT    NOT NULL,
    from_date      TEXT    NOT NULL,
    to_date        TEXT    NOT NULL,
    record         TEXT    NOT NULL,           -- JSON: findings and recommendations with states
    last_event_seq INTEGER NOT NULL REFERENCES events (seq)
) STRICT;

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    case_id        INTEGER REFERENCES cases (id),
    contact        TEXT    NOT NULL,
    at             TEXT    NOT NULL,
    means          TEXT    NOT NULL,
    note           TEXT    NOT NULL,
    event_seq      INTEGER NOT NULL REFERENCES events (seq)
) STRICT;
