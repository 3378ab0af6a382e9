-- Invoices and credit notes (docs/billing.md). A document is drafted by one user and issued by another
-- (the two-person rule, docs/access.md). Both tables are insert-only: a draft is never edited (a new
-- draft is prepared instead) and an issued document never changes; corrections are ADJUSTMENT
-- lines on the next invoice. `document` is the canonical JSON (RFC 8785) whose SHA-256 is `sha256`.
CREATE TABLE invoices (
    id            BIGINT  PRIMARY KEY,
    agreement_id  TEXT    NOT NULL REFERENCES agreements (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    period        TEXT    NOT NULL,
    number        TEXT    NOT NULL,
    document      TEXT    NOT NULL,
    sha256        BYTEA   NOT NULL,
    total_minor   BIGINT  NOT NULL,
    prepared_by   TEXT    NOT NULL,
    prepared_seq  BIGINT  NOT NULL REFERENCES events (seq)
);
CREATE INDEX invoices_by_agreement ON invoices (agreement_id, period);

-- One row per issued document; the unique number means a period is invoiced once.
CREATE TABLE invoice_issues (
    invoice_id    BIGINT  PRIMARY KEY REFERENCES invoices (id),
    number        TEXT    NOT NULL UNIQUE,
    issued_by     TEXT    NOT NULL,
    issued_seq    BIGINT  NOT NULL REFERENCES events (seq)
);

CREATE FUNCTION custodia_invoices_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'invoices are immutable: a draft or an issued invoice is never %', lower(TG_OP);
END;
$$;
CREATE TRIGGER invoices_are_never_changed BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION custodia_invoices_are_immutable();
CREATE TRIGGER invoices_are_never_truncated BEFORE TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION custodia_invoices_are_immutable();
CREATE TRIGGER invoice_issues_are_never_changed BEFORE UPDATE OR DELETE ON invoice_issues
    FOR EACH ROW EXECUTE FUNCTION custodia_invoices_are_immutable();
CREATE TRIGGER invoice_issues_are_never_truncated BEFORE TRUNCATE ON invoice_issues
    FOR EACH STATEMENT EXECUTE FUNCTION custodia_invoices_are_immutable();
