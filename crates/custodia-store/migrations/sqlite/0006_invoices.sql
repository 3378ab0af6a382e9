-- Invoices and credit notes (docs/billing.md). A document is drafted by one user and issued by another
-- (the two-person rule, docs/access.md). Both tables are insert-only: a draft is never edited (a new
-- draft is prepared instead) and an issued document never changes; corrections are ADJUSTMENT
-- lines on the next invoice. `document` is the canonical JSON (RFC 8785) whose SHA-256 is `sha256`.
CREATE TABLE invoices (
    id            INTEGER PRIMARY KEY,
    agreement_id  TEXT    NOT NULL REFERENCES agreements (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    period        TEXT    NOT NULL,
    number        TEXT    NOT NULL,
    document      TEXT    NOT NULL,
    sha256        BLOB    NOT NULL,
    total_minor   INTEGER NOT NULL,
    prepared_by   TEXT    NOT NULL,
    prepared_seq  INTEGER NOT NULL REFERENCES events (seq)
) STRICT;
CREATE INDEX invoices_by_agreement ON invoices (agreement_id, period);

-- One row per issued document; the unique number means a period is invoiced once.
CREATE TABLE invoice_issues (
    invoice_id    INTEGER PRIMARY KEY REFERENCES invoices (id),
    number        TEXT    NOT NULL UNIQUE,
    issued_by     TEXT    NOT NULL,
    issued_seq    INTEGER NOT NULL REFERENCES events (seq)
) STRICT;

CREATE TRIGGER invoices_are_never_updated BEFORE UPDATE ON invoices
BEGIN SELECT RAISE(ABORT, 'invoices are immutable: a draft or an issued invoice is never updated'); END;
CREATE TRIGGER invoices_are_never_deleted BEFORE DELETE ON invoices
BEGIN SELECT RAISE(ABORT, 'invoices are immutable: a draft or an issued invoice is never deleted'); END;
CREATE TRIGGER invoice_issues_are_never_updated BEFORE UPDATE ON invoice_issues
BEGIN SELECT RAISE(ABORT, 'invoices are immutable: an issue is never updated'); END;
CREATE TRIGGER invoice_issues_are_never_deleted BEFORE DELETE ON invoice_issues
BEGIN SELECT RAISE(ABORT, 'invoices are immutable: an issue is never deleted'); END;
