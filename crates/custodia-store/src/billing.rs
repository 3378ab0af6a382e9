//! Stored invoices and credit notes: drafts, issues, and reads. What a document says is the
//! application layer's (see [`crate::invoices`]); the register keeps it and enforces the two-person issue.

use serde_json::{Value, json};
use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, hex, store_trait};
use crate::events::{EventData, NewEvent};
use crate::invoices::{InvoiceDraft, InvoiceIssue, InvoiceRow};
use crate::{Actor, StoreError};

const INVOICE_SELECT: &str = "SELECT i.id, i.agreement_id, i.kind, i.period, i.number, i.document, i.sha256, i.total_minor, \
     i.prepared_by, i.prepared_seq, s.issued_by, s.issued_seq, e.recorded_at AS issued_at FROM invoices i \
     LEFT JOIN invoice_issues s ON s.invoice_id = i.id LEFT JOIN events e ON e.seq = s.issued_seq";

fn invoice_from_row<R: Row>(row: &R) -> Result<InvoiceRow, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> &'r str: sqlx::ColumnIndex<R>,
{
    let issued_by: Option<String> = row.try_get("issued_by")?;
    let issued_seq: Option<i64> = row.try_get("issued_seq")?;
    let issued_at: Option<String> = row.try_get("issued_at")?;
    Ok(InvoiceRow {
        id: row.try_get("id")?,
        agreement_id: row.try_get("agreement_id")?,
        kind: row.try_get("kind")?,
        period: row.try_get("period")?,
        number: row.try_get("number")?,
        document: row.try_get("document")?,
        sha256: row.try_get("sha256")?,
        total_minor: row.try_get("total_minor")?,
        prepared_by: row.try_get("prepared_by")?,
        prepared_seq: row.try_get("prepared_seq")?,
        issued: match (issued_by, issued_seq) {
            (Some(issued_by), Some(issued_seq)) => {
                Some(InvoiceIssue { issued_by, issued_seq, issued_at: issued_at.unwrap_or_default() })
            }
            _ => None,
        },
    })
}

store_trait! {
    /// Billing: invoice drafts and their issue by a second user.
    pub trait Billing {
        /// Stores a drafted document and its `invoice.drafted` event; refused when a document
        /// with its number is already issued.
        fn insert_invoice_draft(&self, draft: &InvoiceDraft, actor: &Actor) -> Result<InvoiceRow, StoreError>;
        /// Issues a drafted document: refused when the issuer prepared it (two-person rule),
        /// when it is already issued, or when `current_sha256` (the document recomputed from
        /// the records as they stand) differs from the draft's.
        fn issue_invoice(&self, id: i64, current_sha256: &[u8; 32], actor: &Actor) -> Result<InvoiceRow, StoreError>;
        /// One stored document, drafted or issued.
        fn invoice_row(&self, id: i64) -> Result<Option<InvoiceRow>, StoreError>;
        /// Every document of an agreement (drafts and issued), in the order they were drafted.
        fn invoice_rows(&self, agreement_id: &str) -> Result<Vec<InvoiceRow>, StoreError>;
        /// At most `limit` invoices of an agreement with ids above `after`, in id order (keyset).
        fn invoice_rows_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<InvoiceRow>, StoreError>;
    }
}

macro_rules! billing_sql {
    ($name:ident, $db:ty) => {
        impl Billing for $name {
            async fn insert_invoice_draft(&self, draft: &InvoiceDraft, actor: &Actor) -> Result<InvoiceRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let issued = sqlx::query("SELECT invoice_id FROM invoice_issues WHERE number = $1")
                    .bind(draft.number.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                if issued.is_some() {
                    return Err(StoreError::Refused(format!("{} is already issued", draft.number)));
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM invoices").fetch_one(&mut *tx).await?.try_get("next")?;
                let document: Value = serde_json::from_str(&draft.document).map_err(|e| StoreError::Journal(e.to_string()))?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "invoice.drafted",
                        agreement_id: Some(draft.agreement_id.clone()),
                        person_id: None,
                        data: EventData::Json(json!({
                            "invoice_id": id,
                            "number": draft.number,
                            "kind": draft.kind,
                            "period": draft.period,
                            "sha256": hex(&draft.sha256),
                            "total_minor": draft.total_minor,
                            "document": document,
                        })),
                    }, actor).await?;
                sqlx::query(
                    "INSERT INTO invoices (id, agreement_id, kind, period, number, document, sha256, total_minor, prepared_by, prepared_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(id)
                .bind(draft.agreement_id.clone())
                .bind(draft.kind.clone())
                .bind(draft.period.clone())
                .bind(draft.number.clone())
                .bind(draft.document.clone())
                .bind(draft.sha256.to_vec())
                .bind(draft.total_minor)
                .bind(actor.name.clone())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(InvoiceRow {
                    id,
                    agreement_id: draft.agreement_id.clone(),
                    kind: draft.kind.clone(),
                    period: draft.period.clone(),
                    number: draft.number.clone(),
                    document: draft.document.clone(),
                    sha256: draft.sha256.to_vec(),
                    total_minor: draft.total_minor,
                    prepared_by: actor.name.clone(),
                    prepared_seq: seq,
                    issued: None,
                })
            }

            async fn issue_invoice(&self, id: i64, current_sha256: &[u8; 32], actor: &Actor) -> Result<InvoiceRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let mut row = Self::invoice_in(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("invoice draft {id} does not exist")))?;
                if row.issued.is_some() {
                    return Err(StoreError::Refused(format!("{} (draft {id}) is already issued", row.number)));
                }
                if row.prepared_by == actor.name {
                    return Err(StoreError::Refused(format!(
                        "two-person rule: {} prepared draft {id}; another user must issue it", row.prepared_by
                    )));
                }
                let taken = sqlx::query("SELECT invoice_id FROM invoice_issues WHERE number = $1")
                    .bind(row.number.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Refused(format!("{} is already issued from another draft", row.number)));
                }
                if row.sha256.as_slice() != current_sha256.as_slice() {
                    return Err(StoreError::Refused(format!(
                        "draft {id} is stale: the custody records changed since it was prepared (its SHA-256 {}, now {}); prepare a new draft",
                        hex(&row.sha256),
                        hex(current_sha256)
                    )));
                }
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "invoice.issued",
                        agreement_id: Some(row.agreement_id.clone()),
                        person_id: None,
                        data: EventData::Json(json!({
                            "invoice_id": id,
                            "number": row.number,
                            "sha256": hex(&row.sha256),
                            "prepared_by": row.prepared_by,
                            "total_minor": row.total_minor,
                        })),
                    }, actor).await?;
                sqlx::query("INSERT INTO invoice_issues (invoice_id, number, issued_by, issued_seq) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(row.number.clone())
                    .bind(actor.name.clone())
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                row.issued = Some(InvoiceIssue { issued_by: actor.name.clone(), issued_seq: seq, issued_at: actor.recorded_at.as_str().to_owned() });
                Ok(row)
            }

            async fn invoice_row(&self, id: i64) -> Result<Option<InvoiceRow>, StoreError> {
                let row = sqlx::query(&format!("{INVOICE_SELECT} WHERE i.id = $1")).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(invoice_from_row).transpose()
            }

            async fn invoice_rows(&self, agreement_id: &str) -> Result<Vec<InvoiceRow>, StoreError> {
                self.invoice_rows_after(agreement_id, 0, u32::MAX).await
            }

            async fn invoice_rows_after(&self, agreement_id: &str, after: i64, limit: u32) -> Result<Vec<InvoiceRow>, StoreError> {
                let rows = sqlx::query(&format!("{INVOICE_SELECT} WHERE i.agreement_id = $1 AND i.id > $2 ORDER BY i.id LIMIT $3"))
                    .bind(agreement_id.to_owned())
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(invoice_from_row).collect()
            }
        }

        impl $name {
            async fn invoice_in(tx: &mut sqlx::Transaction<'_, $db>, id: i64) -> Result<Option<InvoiceRow>, StoreError> {
                let row = sqlx::query(&format!("{INVOICE_SELECT} WHERE i.id = $1"))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
                row.as_ref().map(invoice_from_row).transpose()
            }
        }
    };
}

billing_sql!(SqliteStore, sqlx::Sqlite);
billing_sql!(PostgresStore, sqlx::Postgres);
