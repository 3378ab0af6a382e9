//! Invoices in the register as stored (docs/billing.md#register): the rows of drafted and issued
//! documents. What a document says is computed by the application layer (`custodia-app`, from the
//! core's ledger); the register keeps it as canonical JSON with its SHA-256, journals it and
//! enforces the two-person issue ([`crate::Billing`]).

/// A document ready to be stored as a draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceDraft {
    /// The agreement.
    pub agreement_id: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// `YYYY-MM`.
    pub period: String,
    /// The document number.
    pub number: String,
    /// Canonical JSON (RFC 8785) of the document.
    pub document: String,
    /// SHA-256 of `document`.
    pub sha256: [u8; 32],
    /// The document's total.
    pub total_minor: i64,
}

/// Who issued a document, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceIssue {
    /// The second user.
    pub issued_by: String,
    /// The `invoice.issued` event.
    pub issued_seq: i64,
    /// When it was recorded (RFC 3339 UTC).
    pub issued_at: String,
}

/// A stored document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRow {
    /// The draft id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// `YYYY-MM`.
    pub period: String,
    /// The document number.
    pub number: String,
    /// Canonical JSON (RFC 8785) of the document.
    pub document: String,
    /// SHA-256 of `document`.
    pub sha256: Vec<u8>,
    /// The total.
    pub total_minor: i64,
    /// The first user.
    pub prepared_by: String,
    /// The `invoice.drafted` event.
    pub prepared_seq: i64,
    /// Set once issued.
    pub issued: Option<InvoiceIssue>,
}

impl InvoiceRow {
    /// The SHA-256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }
}
