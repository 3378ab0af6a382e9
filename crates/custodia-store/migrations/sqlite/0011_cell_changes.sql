-- Cell changes (docs/capacity.md#cell-changes): once a facility has cells, a change to them (a new
-- cell, a changed unit, kind, area or bed count, a removed cell) is proposed by one user
-- (`cells.change_proposed`) and applied only when a second user confirms it
-- (`cells.change_confirmed`, in the same transaction as the change to `cells`).
CREATE TABLE cell_changes (
    id              INTEGER PRIMARY KEY,
    agreement_id    TEXT    NOT NULL REFERENCES agreements (id),
    facility_id     TEXT    NOT NULL,
    diff            TEXT    NOT NULL,          -- JSON {added, changed: [{before, after}], removed}
    base            TEXT    NOT NULL,          -- JSON: the facility's cells when proposed (a confirmation
                                               -- of a change whose base no longer holds is refused)
    proposed_by     TEXT    NOT NULL,
    proposed_at     TEXT    NOT NULL,
    proposed_seq    INTEGER NOT NULL REFERENCES events (seq),
    confirmed_by    TEXT,
    confirmed_at    TEXT,
    confirmed_seq   INTEGER REFERENCES events (seq)
) STRICT;
CREATE INDEX cell_changes_by_agreement ON cell_changes (agreement_id, id);
