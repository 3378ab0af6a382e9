-- The journal as a C2SP tlog-tiles log (docs/journal.md#tiles). Level-0 tiles are the events' leaf
-- hashes; a hash of tile level L >= 1 is the root of the idx-th run of 256^L events, stored in the
-- transaction of the event that completes it. Proofs and the served tiles read them: O(log n) rows
-- for any proof. `journal verify` recomputes them from the events.
CREATE TABLE tile_hashes (
    level SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    idx   BIGINT   NOT NULL CHECK (idx >= 0),
    hash  BYTEA    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE FUNCTION custodia_tile_hashes_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tile hashes are append-only: a tile hash is never %', lower(TG_OP);
END;
$$;
CREATE TRIGGER tile_hashes_are_never_updated BEFORE UPDATE OR DELETE ON tile_hashes
    FOR EACH ROW EXECUTE FUNCTION custodia_tile_hashes_are_append_only();
CREATE TRIGGER tile_hashes_are_never_truncated BEFORE TRUNCATE ON tile_hashes
    FOR EACH STATEMENT EXECUTE FUNCTION custodia_tile_hashes_are_append_only();
