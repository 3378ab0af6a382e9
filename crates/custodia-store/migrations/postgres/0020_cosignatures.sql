-- Witnesses' cosignatures of the journal's checkpoints (C2SP tlog-cosignature, docs/journal.md#witnesses).
-- Not events: a cosignature is a signature over the journal by someone else, checked with that
-- witness's key, and journaling it would change the checkpoint it signs. The register keeps the
-- last few per witness and serves those of its current size with its checkpoint.
CREATE TABLE cosignatures (
    witness     TEXT    NOT NULL,              -- the witness's key name
    size        BIGINT  NOT NULL CHECK (size >= 0), -- the tree size cosigned
    root        BYTEA    NOT NULL,              -- its root hash
    timestamp   BIGINT  NOT NULL,              -- the witness's POSIX time in the cosignature
    line        TEXT    NOT NULL,              -- the signature line, with its newline
    received_at TEXT    NOT NULL,              -- RFC 3339 UTC
    PRIMARY KEY (witness, size)
);
