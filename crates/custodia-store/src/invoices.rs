//! Invoices in the register (SPEC §8, §11): documents drawn from the custody records, drafted by
//! one user and issued by another, stored immutably as canonical JSON with its SHA-256, and
//! journaled. The arithmetic and the order rules are the core's (`custodia_core::ledger`); this
//! module gathers their inputs from the register (caller-side code, kept here until the
//! application layer takes it).

use std::collections::BTreeMap;

use custodia_core::Date;
use custodia_core::agreement::Agreement;
use custodia_core::billing::{BillingError, Extra, Line};
use custodia_core::ledger::{
    self, ADJUSTMENT, Billed, CustodyChange, CustodyEvent, DocLine, Document, DocumentKind, InvoiceRequest,
};
use custodia_core::lifecycle::CaseState;
use custodia_core::person::SecurityClass;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::prelude::*;
use crate::{Actor, Store, StoreError};

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
    /// The stored document.
    pub fn parsed(&self) -> Result<Document, StoreError> {
        document_from_json(&self.document)
    }

    /// The SHA-256 as lowercase hex.
    pub fn sha256_hex(&self) -> String {
        self.sha256.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The JSON of a document; its canonical form (RFC 8785) is what is stored and hashed.
pub fn document_json(doc: &Document) -> Value {
    json!({
        "kind": doc.kind.as_str(),
        "number": doc.number,
        "agreement_id": doc.agreement_id,
        "agreement_version": doc.agreement_version,
        "period": doc.period,
        "currency": doc.currency,
        "lines": doc.lines.iter().map(|l| {
            let mut line = json!({
                "code": l.line.code,
                "description": l.line.description,
                "quantity": l.line.quantity,
                "unit_price_minor": l.line.unit_price_minor,
                "amount_minor": l.line.amount_minor,
            });
            if let (Some(period), Some(obj)) = (&l.refers_to, line.as_object_mut()) {
                obj.insert("refers_to".into(), Value::String(period.clone()));
            }
            line
        }).collect::<Vec<_>>(),
        "total_minor": doc.total_minor,
        "person_days": doc.person_days,
        "warnings": doc.warnings,
    })
}

/// Reads [`document_json`] back.
pub fn document_from_json(text: &str) -> Result<Document, StoreError> {
    let bad = |what: &str| StoreError::Inconsistent(format!("invoice document: {what}"));
    let v: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let text_of = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| bad(key));
    let int_of = |value: &Value, key: &str| value.get(key).and_then(Value::as_i64).ok_or_else(|| bad(key));
    let lines = v
        .get("lines")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("lines"))?
        .iter()
        .map(|l| {
            Ok(DocLine {
                line: Line {
                    code: l.get("code").and_then(Value::as_str).ok_or_else(|| bad("lines.code"))?.to_owned(),
                    description: l.get("description").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    quantity: int_of(l, "quantity")?,
                    unit_price_minor: int_of(l, "unit_price_minor")?,
                    amount_minor: int_of(l, "amount_minor")?,
                },
                refers_to: l.get("refers_to").and_then(Value::as_str).map(str::to_owned),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Document {
        kind: DocumentKind::parse(&text_of("kind")?).ok_or_else(|| bad("kind"))?,
        number: text_of("number")?,
        agreement_id: text_of("agreement_id")?,
        agreement_version: int_of(&v, "agreement_version")?,
        period: text_of("period")?,
        currency: text_of("currency")?,
        lines,
        total_minor: int_of(&v, "total_minor")?,
        person_days: int_of(&v, "person_days")?,
        warnings: v
            .get("warnings")
            .and_then(Value::as_array)
            .map(|w| w.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}

/// The draft of a document: canonical JSON and its SHA-256.
pub fn draft_of(doc: &Document) -> Result<InvoiceDraft, StoreError> {
    let bytes = custodia_journal::canonical::canonicalize(&document_json(doc))
        .map_err(|e| StoreError::Journal(e.to_string()))?;
    let document = String::from_utf8(bytes).map_err(|e| StoreError::Journal(e.to_string()))?;
    Ok(InvoiceDraft {
        agreement_id: doc.agreement_id.clone(),
        kind: doc.kind.as_str().to_owned(),
        period: doc.period.clone(),
        number: doc.number.clone(),
        sha256: Sha256::digest(document.as_bytes()).into(),
        document,
        total_minor: doc.total_minor,
    })
}

/// The CSV export of a document: a header and one row per line —
/// `number,kind,agreement_id,period,currency,code,refers_to,description,quantity,unit_price_minor,amount_minor`.
pub fn csv_export(doc: &Document) -> Vec<u8> {
    use custodia_core::csv::write_field;
    let mut out =
        b"number,kind,agreement_id,period,currency,code,refers_to,description,quantity,unit_price_minor,amount_minor\n"
            .to_vec();
    for l in &doc.lines {
        let fields: [&str; 8] = [
            &doc.number,
            doc.kind.as_str(),
            &doc.agreement_id,
            &doc.period,
            &doc.currency,
            &l.line.code,
            l.refers_to.as_deref().unwrap_or_default(),
            &l.line.description,
        ];
        for f in fields {
            write_field(&mut out, f.as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(
            format!("{},{},{}\n", l.line.quantity, l.line.unit_price_minor, l.line.amount_minor).as_bytes(),
        );
    }
    out
}

fn billing(e: BillingError) -> StoreError {
    StoreError::Refused(e.to_string())
}

fn refused(message: String) -> StoreError {
    StoreError::Refused(message)
}

/// An issued period as the ledger needs it.
struct IssuedPeriod {
    period: String,
    version: i64,
    billed_minor: i64,
}

impl Store {
    async fn agreement_version(&self, id: &str, version: i64) -> Result<Agreement, StoreError> {
        let source = self
            .agreement_version_source(id, version)
            .await?
            .ok_or_else(|| StoreError::Inconsistent(format!("agreement {id} has no version {version}")))?;
        Agreement::from_toml(&source)
            .map_err(|e| StoreError::Inconsistent(format!("stored agreement {id} v{version} no longer loads: {e}")))
    }

    async fn current_agreement(&self, id: &str) -> Result<(i64, Agreement), StoreError> {
        let crate::AgreementSource { version, source } = self.agreement_source(id).await?.ok_or_else(|| {
            StoreError::NotFound(format!("agreement {id} is not in the register: import the agreement file first"))
        })?;
        let agreement = Agreement::from_toml(&source)
            .map_err(|e| StoreError::Inconsistent(format!("stored agreement {id} no longer loads: {e}")))?;
        Ok((version, agreement))
    }

    /// The stays of an agreement from its custody records as they stand: one per admitted case,
    /// from the intake date to the day the person was returned, released or died (the event's
    /// `occurred_at` date, UTC). Refused when a person held has no readable security class.
    pub async fn stays(&self, agreement_id: &str) -> Result<Vec<custodia_core::billing::Stay>, StoreError> {
        let persons: BTreeMap<i64, (String, Option<String>)> = self
            .cases_with_persons(agreement_id)
            .await?
            .into_iter()
            .map(|c| (c.case.id, (c.person.sending_id, c.person.security_class)))
            .collect();
        let mut events = Vec::new();
        let mut problems = Vec::new();
        let bad = |what: String| StoreError::Inconsistent(format!("case event: {what}"));
        for body in self.case_transition_bodies(agreement_id).await? {
            let v: Value = serde_json::from_str(&body).map_err(|e| bad(e.to_string()))?;
            let data = v.get("data").ok_or_else(|| bad("no data".into()))?;
            let case_id = data.get("case_id").and_then(Value::as_i64).ok_or_else(|| bad("case_id".into()))?;
            let state = |key: &str| data.get(key).and_then(Value::as_str).and_then(CaseState::parse);
            let (from, to) = (state("from"), state("to"));
            let held = |s: Option<CaseState>| matches!(s, Some(CaseState::InCustody | CaseState::ReturnScheduled));
            let (change, on) = if data.get("action").and_then(Value::as_str) == Some("admit") {
                let on = data
                    .pointer("/record/intake/admitted_on")
                    .and_then(Value::as_str)
                    .and_then(|t| Date::parse(t).ok())
                    .ok_or_else(|| bad(format!("case {case_id}: admission without an intake date")))?;
                (CustodyChange::Admitted, on)
            } else if held(from) && !held(to) {
                let when = data
                    .get("occurred_at")
                    .and_then(Value::as_str)
                    .or_else(|| v.get("occurred_at").and_then(Value::as_str))
                    .unwrap_or_default();
                let on = when
                    .get(..10)
                    .and_then(|t| Date::parse(t).ok())
                    .ok_or_else(|| bad(format!("case {case_id}: departure without a date")))?;
                (CustodyChange::Left, on)
            } else {
                continue;
            };
            let (person_id, class) = persons.get(&case_id).cloned().unwrap_or_default();
            let Some(security_class) = class.as_deref().and_then(SecurityClass::parse) else {
                problems.push(format!(
                    "case {case_id} (person {person_id}): no security class in the person's record; amend the record first"
                ));
                continue;
            };
            let facility_id = data.get("facility_id").and_then(Value::as_str).unwrap_or_default().to_owned();
            events.push(CustodyEvent { case_id, person_id, facility_id, security_class, change, on });
        }
        if !problems.is_empty() {
            problems.sort();
            problems.dedup();
            return Err(refused(format!("cannot bill from incomplete records:\n  {}", problems.join("\n  "))));
        }
        Ok(ledger::stays_from_events(&events))
    }

    /// Issued documents of an agreement and, per issued invoice period, what was billed for it.
    async fn issued(&self, agreement_id: &str) -> Result<(Vec<InvoiceRow>, Vec<IssuedPeriod>), StoreError> {
        let rows: Vec<InvoiceRow> =
            self.invoice_rows(agreement_id).await?.into_iter().filter(|r| r.issued.is_some()).collect();
        let mut periods = Vec::new();
        let mut adjusted: BTreeMap<String, i64> = BTreeMap::new();
        for row in &rows {
            let doc = row.parsed()?;
            for l in doc.lines.iter().filter(|l| l.line.code == ADJUSTMENT) {
                if let Some(p) = &l.refers_to {
                    *adjusted.entry(p.clone()).or_default() += l.line.amount_minor;
                }
            }
            if doc.kind == DocumentKind::Invoice {
                periods.push(IssuedPeriod {
                    period: doc.period.clone(),
                    version: doc.agreement_version,
                    billed_minor: ledger::custody_minor(doc.lines.iter().map(|l| &l.line)),
                });
            }
        }
        for p in &mut periods {
            p.billed_minor += adjusted.get(&p.period).copied().unwrap_or(0);
        }
        Ok((rows, periods))
    }

    /// Computes the invoice of `period` from the register (without storing it). Refused when
    /// the core's order rules (`ledger::invoice_due`) say it is not due.
    pub async fn compute_invoice(
        &self,
        agreement_id: &str,
        period: &str,
        extras: &[Extra],
        on: Option<Date>,
    ) -> Result<Document, StoreError> {
        let (version, agreement) = self.current_agreement(agreement_id).await?;
        let (_, issued) = self.issued(agreement_id).await?;
        let labels: Vec<String> = issued.iter().map(|p| p.period.clone()).collect();
        ledger::invoice_due(&agreement, period, on, &labels).map_err(refused)?;
        let (y, m) = ledger::parse_period(period).map_err(|e| refused(format!("period {period:?}: {e}")))?;
        for extra in extras {
            if !(extra.date.year() == y && extra.date.month() == m && agreement.in_term(extra.date)) {
                return Err(refused(format!("extras: {} is not in period {period}", extra.date)));
            }
        }
        let stays = self.stays(agreement_id).await?;
        let mut versions: BTreeMap<i64, Agreement> = BTreeMap::new();
        for p in &issued {
            if let std::collections::btree_map::Entry::Vacant(slot) = versions.entry(p.version) {
                slot.insert(self.agreement_version(agreement_id, p.version).await?);
            }
        }
        let billed: Vec<Billed<'_>> = issued
            .iter()
            .filter_map(|p| {
                versions.get(&p.version).map(|a| Billed {
                    period: p.period.clone(),
                    agreement: a,
                    billed_minor: p.billed_minor,
                })
            })
            .collect();
        ledger::invoice_document(&InvoiceRequest {
            agreement: &agreement,
            version,
            period,
            stays: &stays,
            extras,
            billed: &billed,
        })
        .map_err(billing)
    }

    /// Computes the credit note that settles an agreement which has ended by `on` (without
    /// storing it). Refused when the core's order rules (`ledger::credit_note_due`) say it is not
    /// due.
    pub async fn compute_credit_note(&self, agreement_id: &str, on: Option<Date>) -> Result<Document, StoreError> {
        let (version, agreement) = self.current_agreement(agreement_id).await?;
        let (rows, issued) = self.issued(agreement_id).await?;
        let labels: Vec<String> = issued.iter().map(|p| p.period.clone()).collect();
        let credit_note_issued = rows.iter().any(|r| r.kind == DocumentKind::CreditNote.as_str());
        ledger::credit_note_due(&agreement, on, credit_note_issued, &labels).map_err(refused)?;
        let stays = self.stays(agreement_id).await?;
        let billed: Vec<Billed<'_>> = issued
            .iter()
            .map(|p| Billed { period: p.period.clone(), agreement: &agreement, billed_minor: p.billed_minor })
            .collect();
        ledger::credit_note_document(&agreement, version, &stays, &billed).map_err(billing)
    }

    /// Drafts the invoice of a period (the first of the two people).
    pub async fn draft_invoice(
        &self,
        agreement_id: &str,
        period: &str,
        extras: &[Extra],
        on: Date,
        actor: &Actor,
    ) -> Result<InvoiceRow, StoreError> {
        let doc = self.compute_invoice(agreement_id, period, extras, Some(on)).await?;
        self.insert_invoice_draft(&draft_of(&doc)?, actor).await
    }

    /// Drafts the credit note of an agreement that has ended by `on`.
    pub async fn draft_credit_note(
        &self,
        agreement_id: &str,
        on: Date,
        actor: &Actor,
    ) -> Result<InvoiceRow, StoreError> {
        let doc = self.compute_credit_note(agreement_id, Some(on)).await?;
        self.insert_invoice_draft(&draft_of(&doc)?, actor).await
    }

    /// Issues a draft (the second person): the document is computed again from the records as
    /// they stand, with the draft's extras, and issued only if it is the same, byte for byte.
    pub async fn issue(&self, id: i64, actor: &Actor) -> Result<InvoiceRow, StoreError> {
        let row = self
            .invoice_row(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("invoice draft {id} does not exist")))?;
        if row.issued.is_some() {
            return Err(refused(format!("{} (draft {id}) is already issued", row.number)));
        }
        let draft = row.parsed()?;
        let now = match draft.kind {
            DocumentKind::Invoice => {
                let (y, m) = ledger::parse_month(&draft.period)
                    .ok_or_else(|| StoreError::Inconsistent(format!("draft {id}: period {}", draft.period)))?;
                let day = Date::from_ymd(y, m, 1).map_err(|e| StoreError::Inconsistent(e.to_string()))?;
                let (_, agreement) = self.current_agreement(&row.agreement_id).await?;
                let day = day.max(agreement.starts);
                let extras: Vec<Extra> = draft
                    .lines
                    .iter()
                    .filter_map(|l| {
                        l.line.code.strip_prefix("EXTRA:").map(|code| Extra {
                            date: day,
                            code: code.to_owned(),
                            description: l.line.description.clone(),
                            amount_minor: l.line.amount_minor,
                        })
                    })
                    .collect();
                self.compute_invoice(&row.agreement_id, &draft.period, &extras, None).await?
            }
            DocumentKind::CreditNote => self.compute_credit_note(&row.agreement_id, None).await?,
        };
        let current = draft_of(&now)?;
        self.issue_invoice(id, &current.sha256, actor).await
    }
}
