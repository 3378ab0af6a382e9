-- Amendments through the service need two people (docs/access.md): one proposes, another approves, and
-- only the approval applies the new version (in the same transaction). Both steps are events.
CREATE TABLE amendment_proposals (
    id             BIGINT PRIMARY KEY,
    agreement_id   TEXT    NOT NULL REFERENCES agreements (id),
    source_toml    TEXT    NOT NULL,
    effective_from TEXT,
    proposed_by    TEXT    NOT NULL,
    proposed_seq   BIGINT NOT NULL REFERENCES events (seq),
    approved_by    TEXT,
    approved_seq   BIGINT REFERENCES events (seq)
);
