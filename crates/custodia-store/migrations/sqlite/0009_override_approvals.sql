-- A placement above a cell's standard capacity needs two people (docs/capacity.md, docs/access.md): through the
-- service, a second user first records an approval for this case and cell; the user who places
-- the person then cites it. An approval is used once.
CREATE TABLE override_approvals (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    facility_id  TEXT    NOT NULL,
    cell_id      TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    approved_by  TEXT    NOT NULL,
    approved_seq INTEGER NOT NULL REFERENCES events (seq),
    used_seq     INTEGER REFERENCES events (seq)
) STRICT;
