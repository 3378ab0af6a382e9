-- The journal as a C2SP tlog-tiles log (docs/journal.md#tiles). Level-0 tiles are the events' leaf
-- hashes; a hash of tile level L >= 1 is the root of the idx-th run of 256^L events, stored in the
-- transaction of the event that completes it. Proofs and the served tiles read them: O(log n) rows
-- for any proof. `journal verify` recomputes them from the events.
CREATE TABLE tile_hashes (
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER tile_hashes_are_never_updated BEFORE UPDATE ON tile_hashes
BEGIN SELECT RAISE(ABORT, 'tile hashes are append-only: a tile hash is never updated'); END;
CREATE TRIGGER tile_hashes_are_never_deleted BEFORE DELETE ON tile_hashes
BEGIN SELECT RAISE(ABORT, 'tile hashes are append-only: a tile hash is never deleted'); END;
