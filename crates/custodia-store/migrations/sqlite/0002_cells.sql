-- Cells of the agreement's facilities (docs/capacity.md). Occupancy is never stored: it is derived from
-- custody records. Each cell's latest record is also in its last event (`cell.registered` or
-- `cell.amended`).
CREATE TABLE cells (
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    facility_id    TEXT    NOT NULL,
    cell_id        TEXT    NOT NULL,
    unit           TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('single', 'shared')),
    area_m2        TEXT    NOT NULL,           -- exact decimal as text
    beds           INTEGER NOT NULL CHECK (beds >= 0),
    last_event_seq INTEGER NOT NULL REFERENCES events (seq),
    PRIMARY KEY (agreement_id, facility_id, cell_id)
) STRICT;
