-- Cells of the agreement's facilities (docs/capacity.md); see the SQLite migration for the contract.
CREATE TABLE cells (
    agreement_id   TEXT   NOT NULL REFERENCES agreements (id),
    facility_id    TEXT   NOT NULL,
    cell_id        TEXT   NOT NULL,
    unit           TEXT   NOT NULL,
    kind           TEXT   NOT NULL CHECK (kind IN ('single', 'shared')),
    area_m2        TEXT   NOT NULL,
    beds           BIGINT NOT NULL CHECK (beds >= 0),
    last_event_seq BIGINT NOT NULL REFERENCES events (seq),
    PRIMARY KEY (agreement_id, facility_id, cell_id)
);
