//! Invoices in the register (docs/billing.md#register): documents drawn from the custody records,
//! drafted by one finance officer and issued by another (the two-person rule), stored immutably as
//! canonical JSON with its SHA-256 and journaled; their export and verification; and the
//! sustainability report built on the issued ones.
//!
//! The arithmetic and the order rules are the core's (`custodia_core::ledger`, and
//! `custodia_core::billing::check_extras` for extras); this module gathers their inputs from the
//! register and stores what they decide. The store only loads rows and persists them with their
//! events.

use std::collections::BTreeMap;

use custodia_core::Date;
use custodia_core::agreement::Agreement;
use custodia_core::billing::{self, BillingError, Extra, ExtraFields, Line, MAX_AMOUNT_MINOR, Period};
use custodia_core::ledger::{
    self, ADJUSTMENT, Billed, CustodyChange, CustodyEvent, DocLine, Document, DocumentKind, InvoiceRequest,
};
use custodia_core::lifecycle::CaseState;
use custodia_core::person::SecurityClass;
use custodia_store::invoices::{InvoiceDraft, InvoiceRow};
use custodia_store::prelude::*;
use custodia_store::{StoreError, Timestamp};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::access::{Capability, Principal};
use crate::error::{AppError, AppResult};
use crate::{App, actor};
use custodia_i18n::Text;

/// A stored document, drafted or issued, with its parsed content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    /// The stored row (who prepared and issued it, the canonical JSON and its hash).
    pub row: InvoiceRow,
    /// The document the canonical JSON holds.
    pub document: Document,
}

impl Invoice {
    fn from_row(row: InvoiceRow) -> AppResult<Self> {
        let document = document_from_json(&row.document)?;
        Ok(Self { row, document })
    }

    /// Whether it is issued (then it never changes).
    pub fn is_issued(&self) -> bool {
        self.row.issued.is_some()
    }
}

/// Drafting the invoice of a period.
#[derive(Clone, Debug, Default)]
pub struct DraftInvoice {
    /// The agreement.
    pub agreement_id: String,
    /// The billing period, `YYYY-MM`: in the term and over on `on`.
    pub period: String,
    /// Extras of the period, as given (checked here, the same for every edge).
    pub extras: Vec<ExtraFields>,
    /// Today (default: the day of `now` in the agreement's default time zone, its first
    /// facility's; docs/lifecycle.md#days).
    pub on: Option<Date>,
}

/// How an issued document is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// The stored canonical JSON, byte for byte: its SHA-256 is the document's hash.
    Canonical,
    /// CSV, a header and one row per line.
    Csv,
}

/// An exported document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// SHA-256 (lowercase hex) of the stored canonical JSON.
    pub sha256: String,
}

/// What checking a stored document found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceCheck {
    /// The document.
    pub invoice: Invoice,
    /// The journal events checked (`invoice.drafted`, then `invoice.issued` once issued).
    pub events: Vec<i64>,
    /// What does not match; empty when the document verifies.
    pub problems: Vec<String>,
}

/// Asking for the sustainability report.
#[derive(Clone, Debug, Default)]
pub struct SustainabilityRequest {
    /// The agreement.
    pub agreement_id: String,
    /// The receiving state's annual prison budget, minor units (1 to 10^15).
    pub receiving_budget_minor: Option<i64>,
    /// The sending state's cost of holding one person for a day at home, minor units (0 to
    /// 10^15); default the US figure for US agreements billed in USD.
    pub home_cost_per_day_minor: Option<i64>,
}

/// The sustainability report of an agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SustainabilityReport {
    /// The agreement.
    pub agreement_id: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// The home cost per person-day used.
    pub home_cost_per_day_minor: i64,
    /// The receiving state's annual prison budget, if given.
    pub receiving_budget_minor: Option<i64>,
    /// Rows per month and per agreement year.
    pub report: ledger::Sustainability,
}

/// The sending state's cost of one person-day at home: the one given, or the US Bureau of
/// Prisons' figure for a US agreement billed in USD (docs/billing.md); required otherwise.
pub(crate) fn home_cost_per_day(agreement: &Agreement, given: Option<i64>) -> AppResult<i64> {
    let (sending, currency) = (agreement.sending_state.as_str(), agreement.currency.as_str());
    match given {
        Some(h) => Ok(h),
        None if sending == "US" && currency == "USD" => Ok(ledger::US_BOP_FY2023_DAY_MINOR),
        None => Err(AppError::invalid(
            "home_cost_per_day_minor",
            format!("required (the default, $120.80 a day, is the US figure; {sending} sends and bills in {currency})"),
        )),
    }
}

impl App {
    /// The stored document, if it exists and its agreement is in the caller's scope ("not found"
    /// otherwise, alike).
    pub async fn invoice(&self, who: &Principal, id: i64) -> AppResult<Invoice> {
        match self.store().invoice_row(id).await? {
            Some(row) if who.sees_agreement(&row.agreement_id) => Invoice::from_row(row),
            _ => Err(AppError::no_such("invoice", id)),
        }
    }

    /// The documents of an agreement in scope, drafts and issued, in the order they were drafted.
    pub async fn invoices(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<Invoice>> {
        self.agreement(who, agreement_id).await?;
        self.store().invoice_rows(agreement_id).await?.into_iter().map(Invoice::from_row).collect()
    }

    /// A page of the agreement's invoices and credit notes: at most `count` with ids above
    /// `after`, in SQL.
    pub async fn invoices_page(
        &self,
        who: &Principal,
        agreement_id: &str,
        after: i64,
        count: usize,
    ) -> AppResult<Vec<Invoice>> {
        self.agreement(who, agreement_id).await?;
        let n = u32::try_from(count).unwrap_or(u32::MAX);
        self.store().invoice_rows_after(agreement_id, after, n).await?.into_iter().map(Invoice::from_row).collect()
    }

    /// Drafts the invoice of a period from the custody records (the first of two people).
    /// Invalid: a malformed period or one outside the term, extras that break the rules of
    /// `check_extras`; refused: a period not over, already issued, or after one not issued yet.
    pub async fn draft_invoice(&self, who: &Principal, request: &DraftInvoice, now: &Timestamp) -> AppResult<Invoice> {
        let record = self.agreement(who, &request.agreement_id).await?;
        who.require(Capability::Invoices)?;
        let period = &request.period;
        let (y, m) =
            ledger::parse_period(period).map_err(|e| AppError::invalid("period", format!("{period:?}: {e}")))?;
        Period::new(&record.agreement, y, m).map_err(|e| AppError::invalid("period", e.to_string()))?;
        let extras = billing::check_extras(&record.agreement, Some((y, m)), &request.extras).map_err(extras_invalid)?;
        let on = request.on.unwrap_or_else(|| crate::days::today_in(&record.agreement, None, now));
        let doc = self.compute_invoice(&request.agreement_id, period, &extras, Some(on)).await?;
        self.store_draft(&doc, who, now).await
    }

    /// Drafts the credit note settling an agreement that has ended by `on` (default: the day of
    /// `now` in the agreement's default time zone) and whose every period is issued.
    pub async fn draft_credit_note(
        &self,
        who: &Principal,
        agreement_id: &str,
        on: Option<Date>,
        now: &Timestamp,
    ) -> AppResult<Invoice> {
        let record = self.agreement(who, agreement_id).await?;
        who.require(Capability::Invoices)?;
        let on = on.unwrap_or_else(|| crate::days::today_in(&record.agreement, None, now));
        let doc = self.compute_credit_note(agreement_id, Some(on)).await?;
        self.store_draft(&doc, who, now).await
    }

    /// Issues a draft (the second person): the document is computed again from the records as
    /// they stand, with the draft's extras, and issued only if it is the same, byte for byte.
    /// Refused: the caller prepared it (`TWO_PERSON_RULE`), it is already issued, or it is stale.
    pub async fn issue_invoice(&self, who: &Principal, id: i64, now: &Timestamp) -> AppResult<Invoice> {
        let draft = self.invoice(who, id).await?;
        who.require(Capability::Invoices)?;
        let row = &draft.row;
        if row.prepared_by == who.name {
            return Err(two_person(&row.prepared_by, id));
        }
        if row.issued.is_some() {
            return Err(AppError::rule(
                "REFUSED",
                Text::new("REFUSED.issued").arg("number", &row.number).arg("id", id.to_string()),
            ));
        }
        let current = match draft.document.kind {
            DocumentKind::Invoice => {
                let (_, agreement) = self.current_agreement(&row.agreement_id).await?;
                let extras = draft_extras(&draft.document, &agreement)?;
                self.compute_invoice(&row.agreement_id, &draft.document.period, &extras, None).await?
            }
            DocumentKind::CreditNote => self.compute_credit_note(&row.agreement_id, None).await?,
        };
        let current = draft_of(&current)?;
        let issued = self.store().issue_invoice(id, &current.sha256, &actor(who, now, None)).await.map_err(refusal)?;
        Invoice::from_row(issued)
    }

    /// Exports an issued document (drafts are refused, `NOT_ISSUED`, in every format).
    pub async fn export_invoice(&self, who: &Principal, id: i64, format: ExportFormat) -> AppResult<Exported> {
        let invoice = self.invoice(who, id).await?;
        if !invoice.is_issued() {
            return Err(AppError::rule(
                "NOT_ISSUED",
                Text::new("NOT_ISSUED").arg("id", id.to_string()).arg("number", &invoice.row.number),
            ));
        }
        let bytes = match format {
            ExportFormat::Canonical => invoice.row.document.clone().into_bytes(),
            ExportFormat::Csv => csv_export(&invoice.document),
        };
        Ok(Exported { bytes, sha256: invoice.row.sha256_hex() })
    }

    /// Checks a stored document against itself and its journal events: that it hashes to its
    /// stored SHA-256; that the row's number, kind, period, agreement and total are the
    /// document's; and that its events (`invoice.drafted`, and `invoice.issued` once issued) are
    /// the events of this draft and record the same hash, document, total, number and people
    /// (`prepared_by`, `issued_by`) as the stored rows. A row changed in the database without an
    /// event is named here; `journal verify` replays every table.
    pub async fn verify_invoice(&self, who: &Principal, id: i64) -> AppResult<InvoiceCheck> {
        let invoice = self.invoice(who, id).await?;
        let row = &invoice.row;
        let doc = &invoice.document;
        let mut problems = Vec::new();
        let digest: [u8; 32] = Sha256::digest(row.document.as_bytes()).into();
        if digest.as_slice() != row.sha256.as_slice() {
            problems.push("the stored document does not hash to its stored SHA-256".to_owned());
        }
        let own = [
            ("number", Value::from(doc.number.as_str()), Value::from(row.number.as_str())),
            ("kind", Value::from(doc.kind.as_str()), Value::from(row.kind.as_str())),
            ("period", Value::from(doc.period.as_str()), Value::from(row.period.as_str())),
            ("agreement", Value::from(doc.agreement_id.as_str()), Value::from(row.agreement_id.as_str())),
            ("total_minor", Value::from(doc.total_minor), Value::from(row.total_minor)),
        ];
        for (what, in_document, stored) in own {
            if in_document != stored {
                problems.push(format!("the stored {what} is {stored}, the document's is {in_document}"));
            }
        }
        let stored: Value = serde_json::from_str(&row.document).map_err(|e| inconsistent(&e.to_string()))?;
        let mut checked = vec![("invoice.drafted", row.prepared_seq, row.prepared_by.as_str())];
        if let Some(i) = &row.issued {
            checked.push(("invoice.issued", i.issued_seq, i.issued_by.as_str()));
        }
        for (kind, seq, by) in &checked {
            let at = u64::try_from(*seq).unwrap_or(u64::MAX);
            let events = self.store().events(at, at.saturating_add(1)).await?;
            let Some(event) = events.first().and_then(|e| serde_json::from_str::<Value>(&e.body).ok()) else {
                problems.push(format!("journal event {seq} ({kind}) is missing"));
                continue;
            };
            let mut expect = vec![
                ("/kind", Value::from(*kind)),
                ("/data/invoice_id", Value::from(row.id)),
                ("/agreement_id", Value::from(row.agreement_id.as_str())),
                ("/actor", Value::from(*by)),
                ("/data/sha256", Value::from(row.sha256_hex())),
                ("/data/number", Value::from(row.number.as_str())),
            ];
            if *kind == "invoice.drafted" {
                expect.push(("/data/document", stored.clone()));
                expect.push(("/data/kind", Value::from(row.kind.as_str())));
                expect.push(("/data/period", Value::from(row.period.as_str())));
            } else {
                expect.push(("/data/prepared_by", Value::from(row.prepared_by.as_str())));
            }
            // Events written before the total was journaled in drafts do not carry it.
            if *kind == "invoice.issued" || event.pointer("/data/total_minor").is_some() {
                expect.push(("/data/total_minor", Value::from(row.total_minor)));
            }
            for (pointer, value) in expect {
                let in_event = event.pointer(pointer);
                if in_event != Some(&value) {
                    let member = pointer.rsplit('/').next().unwrap_or(pointer);
                    let in_event = in_event.map_or_else(|| "absent".to_owned(), shown);
                    problems.push(format!(
                        "journal event {seq} ({kind}): {member} is {in_event} there but {} in the stored row",
                        shown(&value)
                    ));
                }
            }
        }
        let events = checked.iter().map(|(_, seq, _)| *seq).collect();
        Ok(InvoiceCheck { invoice, events, problems })
    }

    /// Invoiced revenue (issued documents) against the receiving state's prison budget and the
    /// sending state's cost of holding the same person-days at home, per month and agreement year.
    pub async fn sustainability(
        &self,
        who: &Principal,
        request: &SustainabilityRequest,
    ) -> AppResult<SustainabilityReport> {
        let budget = amount("receiving_budget_minor", request.receiving_budget_minor, 1)?;
        let home = amount("home_cost_per_day_minor", request.home_cost_per_day_minor, 0)?;
        let agreement = self.agreement(who, &request.agreement_id).await?.agreement;
        let currency = agreement.currency.as_str();
        let home = home_cost_per_day(&agreement, home)?;
        let issued: Vec<Document> = self
            .store()
            .invoice_rows(&request.agreement_id)
            .await?
            .iter()
            .filter(|r| r.issued.is_some())
            .map(|r| document_from_json(&r.document))
            .collect::<AppResult<_>>()?;
        // Coverage periods need spans of custody only, not security classes.
        let rows = self.store().cases_with_persons(&request.agreement_id).await?;
        let bodies = self.store().custody_step_bodies(&request.agreement_id).await?;
        let stays = custody_spans(&agreement, &rows, &bodies)?;
        let transitions = self.store().case_transition_bodies(&request.agreement_id).await?;
        let journeys = journeys_from(&agreement, &transitions)?;
        let input = ledger::SustainabilityInput {
            agreement: &agreement,
            issued: &issued,
            stays: &stays,
            journeys: &journeys,
            home_cost_day_minor: home,
            budget_year_minor: budget,
        };
        let report =
            ledger::sustainability(&input).map_err(|e| AppError::invalid("home_cost_per_day_minor", e.to_string()))?;
        Ok(SustainabilityReport {
            agreement_id: agreement.id.as_str().to_owned(),
            currency: currency.to_owned(),
            home_cost_per_day_minor: home,
            receiving_budget_minor: budget,
            report,
        })
    }

    async fn store_draft(&self, doc: &Document, who: &Principal, now: &Timestamp) -> AppResult<Invoice> {
        let row = self.store().insert_invoice_draft(&draft_of(doc)?, &actor(who, now, None)).await.map_err(refusal)?;
        Invoice::from_row(row)
    }

    async fn agreement_version(&self, id: &str, version: i64) -> AppResult<Agreement> {
        let source = self
            .store()
            .agreement_version_source(id, version)
            .await?
            .ok_or_else(|| AppError::Internal(format!("agreement {id} has no version {version}")))?;
        Agreement::from_toml(&source)
            .map_err(|e| AppError::Internal(format!("stored agreement {id} v{version} no longer loads: {e}")))
    }

    async fn current_agreement(&self, id: &str) -> AppResult<(i64, Agreement)> {
        let record = self.stored_agreement(id).await?;
        Ok((record.version, std::sync::Arc::unwrap_or_clone(record.agreement)))
    }

    /// The people in custody under an agreement on each of `days`, from its custody records as
    /// they stand (the stays billing counts), in the caller's facilities only.
    pub async fn population_history(&self, who: &Principal, agreement_id: &str, days: &[Date]) -> AppResult<Vec<i64>> {
        self.agreement(who, agreement_id).await?;
        let stays: Vec<billing::Stay> = self
            .stays(agreement_id)
            .await?
            .into_iter()
            .filter(|s| who.sees(agreement_id, Some(s.facility_id.as_str())))
            .collect();
        Ok(billing::population_on_days(&stays, days))
    }

    /// The stays of an agreement from its custody records as they stand: one per admitted case,
    /// from the intake date to the day the person was returned, released or died — the calendar
    /// day of the step's `occurred_at` in the facility's time zone (docs/billing.md#stay-days).
    /// Refused when a person held has no readable security class.
    pub(crate) async fn stays(&self, agreement_id: &str) -> AppResult<Vec<billing::Stay>> {
        let (_, agreement) = self.current_agreement(agreement_id).await?;
        let rows = self.store().cases_with_persons(agreement_id).await?;
        let bodies = self.store().custody_step_bodies(agreement_id).await?;
        stays_from(&agreement, &rows, &bodies)
    }

    /// Issued documents of an agreement and, per issued invoice period, what was billed for it.
    async fn issued(&self, agreement_id: &str) -> AppResult<(Vec<Document>, Vec<IssuedPeriod>)> {
        let docs = self
            .store()
            .invoice_rows(agreement_id)
            .await?
            .iter()
            .filter(|r| r.issued.is_some())
            .map(|r| document_from_json(&r.document))
            .collect::<AppResult<Vec<_>>>()?;
        let periods = issued_periods(&docs);
        Ok((docs, periods))
    }

    /// Computes the invoice of `period` from the register (without storing it). Refused when the
    /// core's order rules (`ledger::invoice_due`) say it is not due.
    async fn compute_invoice(
        &self,
        agreement_id: &str,
        period: &str,
        extras: &[Extra],
        on: Option<Date>,
    ) -> AppResult<Document> {
        let (version, agreement) = self.current_agreement(agreement_id).await?;
        let (_, issued) = self.issued(agreement_id).await?;
        let labels: Vec<String> = issued.iter().map(|p| p.period.clone()).collect();
        ledger::invoice_due(&agreement, period, on, &labels).map_err(|m| AppError::refused("REFUSED", m))?;
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
        let request = InvoiceRequest { agreement: &agreement, version, period, stays: &stays, extras, billed: &billed };
        ledger::invoice_document(&request).map_err(billing_refusal)
    }

    /// Computes the credit note settling an agreement which has ended by `on` (without storing
    /// it). Refused when the core's order rules (`ledger::credit_note_due`) say it is not due.
    async fn compute_credit_note(&self, agreement_id: &str, on: Option<Date>) -> AppResult<Document> {
        let (version, agreement) = self.current_agreement(agreement_id).await?;
        let (docs, issued) = self.issued(agreement_id).await?;
        let labels: Vec<String> = issued.iter().map(|p| p.period.clone()).collect();
        let credit_note_issued = docs.iter().any(|d| d.kind == DocumentKind::CreditNote);
        ledger::credit_note_due(&agreement, on, credit_note_issued, &labels)
            .map_err(|m| AppError::refused("REFUSED", m))?;
        let stays = self.stays(agreement_id).await?;
        let billed: Vec<Billed<'_>> = issued
            .iter()
            .map(|p| Billed { period: p.period.clone(), agreement: &agreement, billed_minor: p.billed_minor })
            .collect();
        ledger::credit_note_document(&agreement, version, &stays, &billed).map_err(billing_refusal)
    }
}

/// An issued invoice period as the ledger needs it.
struct IssuedPeriod {
    period: String,
    version: i64,
    billed_minor: i64,
}

/// Per issued invoice, the custody amount billed for its period: its custody lines plus every
/// adjustment since issued for it (by any later document).
fn issued_periods(docs: &[Document]) -> Vec<IssuedPeriod> {
    let mut adjusted: BTreeMap<&str, i64> = BTreeMap::new();
    for l in docs.iter().flat_map(|d| &d.lines).filter(|l| l.line.code == ADJUSTMENT) {
        if let Some(p) = &l.refers_to {
            *adjusted.entry(p.as_str()).or_default() += l.line.amount_minor;
        }
    }
    docs.iter()
        .filter(|d| d.kind == DocumentKind::Invoice)
        .map(|d| IssuedPeriod {
            period: d.period.clone(),
            version: d.agreement_version,
            billed_minor: ledger::custody_minor(d.lines.iter().map(|l| &l.line))
                + adjusted.get(d.period.as_str()).copied().unwrap_or(0),
        })
        .collect()
}

/// The extras a drafted invoice billed, to compute it again at issue: each `EXTRA:<code>` line,
/// dated on the first day of its period within the term.
fn draft_extras(draft: &Document, agreement: &Agreement) -> AppResult<Vec<Extra>> {
    let (y, m) = ledger::parse_month(&draft.period).ok_or_else(|| inconsistent(&format!("period {}", draft.period)))?;
    let day = Date::from_ymd(y, m, 1).map_err(|e| inconsistent(&e.to_string()))?.max(agreement.starts);
    Ok(draft
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
        .collect())
}

/// Per case, the facility it was last placed in (a departure's event names none: the person has
/// left it), so that a departure is dated in that facility's days.
type HeldIn = BTreeMap<i64, String>;

/// The stays of an agreement from its cases with their persons and its transition events as read
/// (see [`App::stays`]).
pub(crate) fn stays_from(
    agreement: &Agreement,
    rows: &[custodia_store::CaseWithPerson],
    bodies: &[String],
) -> AppResult<Vec<billing::Stay>> {
    stays_with(agreement, rows, bodies, None)
}

/// The stays as spans of custody only, for counting days rather than billing them: a person's
/// missing security class (which only a rate needs) is no reason to refuse; their stays carry
/// `medium`, which nothing reading spans looks at.
pub(crate) fn custody_spans(
    agreement: &Agreement,
    rows: &[custodia_store::CaseWithPerson],
    bodies: &[String],
) -> AppResult<Vec<billing::Stay>> {
    stays_with(agreement, rows, bodies, Some(SecurityClass::Medium))
}

fn stays_with(
    agreement: &Agreement,
    rows: &[custodia_store::CaseWithPerson],
    bodies: &[String],
    class_if_missing: Option<SecurityClass>,
) -> AppResult<Vec<billing::Stay>> {
    let persons: BTreeMap<i64, (&str, Option<&str>)> =
        rows.iter().map(|c| (c.case.id, (c.person.sending_id.as_str(), c.person.security_class.as_deref()))).collect();
    let mut events = Vec::new();
    let mut problems = Vec::new();
    let mut held_in = HeldIn::default();
    for body in bodies {
        let Some((case_id, facility_id, change, on)) = custody_change(body, agreement, &mut held_in)? else {
            continue;
        };
        let (person_id, class) = persons.get(&case_id).copied().unwrap_or_default();
        let Some(security_class) = class.and_then(SecurityClass::parse).or(class_if_missing) else {
            problems.push(format!(
                "case {case_id} (person {person_id}): no security class in the person's record; amend the record first"
            ));
            continue;
        };
        events.push(CustodyEvent { case_id, person_id: person_id.to_owned(), facility_id, security_class, change, on });
    }
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        return Err(AppError::refused(
            "REFUSED",
            format!("cannot bill from incomplete records:\n  {}", problems.join("\n  ")),
        ));
    }
    Ok(ledger::stays_from_events(&events))
}

/// From one case event body: the case, facility, custody change and its date, when the event
/// admits the person or ends their custody; `None` for other events.
///
/// Days are the facility's (docs/billing.md#stay-days). The stay starts on the intake date
/// (`admitted_on`): the intake record's own civil date, written with its hour in the facility's
/// days, which stands even when the admission was recorded later (then `occurred_at` is the
/// recording time). A departure has no such date: it ends on the calendar day of its
/// `occurred_at` in the time zone of the facility the person was held in.
fn custody_change(
    body: &str,
    agreement: &Agreement,
    held_in: &mut HeldIn,
) -> AppResult<Option<(i64, String, CustodyChange, Date)>> {
    let bad = |what: String| AppError::Internal(format!("case event: {what}"));
    let t = crate::transition::Transition::read(body)?;
    let case_id = t.data.case_id.ok_or_else(|| bad("case_id".into()))?;
    let state = |s: &Option<std::borrow::Cow<'_, str>>| s.as_deref().and_then(CaseState::parse);
    let held = |s: Option<CaseState>| s.is_some_and(CaseState::holds_place);
    let placed_in = t.data.facility_id.as_deref().filter(|f| !f.is_empty());
    let last_facility = held_in.get(&case_id).cloned();
    if let Some(f) = placed_in {
        held_in.insert(case_id, f.to_owned());
    }
    let (change, on) = if t.data.action.as_deref() == Some("admit") {
        let on = t
            .record()?
            .intake
            .and_then(|i| i.admitted_on)
            .and_then(|day| Date::parse(&day).ok())
            .ok_or_else(|| bad(format!("case {case_id}: admission without an intake date")))?;
        (CustodyChange::Admitted, on)
    } else if held(state(&t.data.from)) && !held(state(&t.data.to)) {
        let when = t.occurred_at().unwrap_or_default();
        let instant =
            Timestamp::parse(when).map_err(|e| bad(format!("case {case_id}: departure without a time: {e}")))?;
        let zone = crate::days::zone_of(agreement, last_facility.as_deref());
        (CustodyChange::Left, zone.local_date(instant.unix_seconds()))
    } else {
        return Ok(None);
    };
    let facility_id = placed_in.unwrap_or_default().to_owned();
    Ok(Some((case_id, facility_id, change, on)))
}

/// The journeys of an agreement's cases from its `case.transition` events (docs/billing.md#transport):
/// each `depart` a departure, each `return` and `turn_back` a journey back, on the calendar day of
/// the step's `occurred_at` in the time zone of the case's facility (the one the step names, else
/// the last one an earlier step named; the agreement's default zone without one).
pub(crate) fn journeys_from(agreement: &Agreement, bodies: &[String]) -> AppResult<Vec<ledger::Journey>> {
    let bad = |what: String| AppError::Internal(format!("case event: {what}"));
    let mut facility: BTreeMap<i64, String> = BTreeMap::new();
    let mut out = Vec::new();
    for body in bodies {
        let t = crate::transition::Transition::read(body)?;
        let case_id = t.data.case_id.ok_or_else(|| bad("case_id".into()))?;
        if let Some(f) = t.data.facility_id.as_deref().filter(|f| !f.is_empty()) {
            facility.insert(case_id, f.to_owned());
        }
        let kind = match t.data.action.as_deref() {
            Some("depart") => ledger::JourneyKind::Departure,
            Some("return" | "turn_back") => ledger::JourneyKind::Return,
            _ => continue,
        };
        let when = t.occurred_at().unwrap_or_default();
        let instant =
            Timestamp::parse(when).map_err(|e| bad(format!("case {case_id}: journey without a time: {e}")))?;
        let zone = crate::days::zone_of(agreement, facility.get(&case_id).map(String::as_str));
        out.push(ledger::Journey { case_id, kind, on: zone.local_date(instant.unix_seconds()) });
    }
    Ok(out)
}

/// Extras problems as one invalid field: the first problem's field (`extras[2].date`), and every
/// other problem listed after its message.
fn extras_invalid(problems: Vec<billing::ExtraProblem>) -> AppError {
    let path = |p: &billing::ExtraProblem| match p.row {
        Some(row) => format!("extras[{row}].{}", p.field),
        None => p.field.to_owned(),
    };
    let mut all = problems.iter();
    let Some(first) = all.next() else { return AppError::invalid("extras", "invalid") };
    let mut message = first.message.clone();
    for p in all {
        message.push_str(&format!("\n  {}: {}", path(p), p.message));
    }
    AppError::invalid(&path(first), message)
}

/// An optional amount in `min..=MAX_AMOUNT_MINOR`.
fn amount(field: &str, value: Option<i64>, min: i64) -> AppResult<Option<i64>> {
    match value {
        Some(v) if !(min..=MAX_AMOUNT_MINOR).contains(&v) => {
            Err(AppError::invalid(field, format!("{v} must be an integer from {min} to {MAX_AMOUNT_MINOR}")))
        }
        other => Ok(other),
    }
}

fn two_person(prepared_by: &str, id: i64) -> AppError {
    AppError::rule(
        "TWO_PERSON_RULE",
        Text::new("TWO_PERSON_RULE").arg("what", "draft").arg("id", id.to_string()).arg("by", prepared_by),
    )
}

/// A refusal of the store: the two-person rule (checked again when issuing) has its own code.
fn refusal(e: StoreError) -> AppError {
    match e {
        StoreError::Refused(m) if m.starts_with("two-person rule") => crate::error::two_person_detail(m),
        other => AppError::from(other),
    }
}

fn billing_refusal(e: BillingError) -> AppError {
    AppError::refused("REFUSED", e.to_string())
}

fn inconsistent(what: &str) -> AppError {
    AppError::Internal(format!("invoice document: {what}"))
}

/// The JSON of a document; its canonical form (RFC 8785) is what is stored and hashed.
pub fn document_json(doc: &Document) -> Value {
    let lines: Vec<Value> = doc
        .lines
        .iter()
        .map(|l| {
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
        })
        .collect();
    json!({
        "kind": doc.kind.as_str(),
        "number": doc.number,
        "agreement_id": doc.agreement_id,
        "agreement_version": doc.agreement_version,
        "period": doc.period,
        "currency": doc.currency,
        "lines": lines,
        "total_minor": doc.total_minor,
        "person_days": doc.person_days,
        "warnings": doc.warnings,
    })
}

/// Reads [`document_json`] back.
pub fn document_from_json(text: &str) -> AppResult<Document> {
    let v: Value = serde_json::from_str(text).map_err(|e| inconsistent(&e.to_string()))?;
    let text_of = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| inconsistent(key));
    let int_of = |value: &Value, key: &str| value.get(key).and_then(Value::as_i64).ok_or_else(|| inconsistent(key));
    let lines = v
        .get("lines")
        .and_then(Value::as_array)
        .ok_or_else(|| inconsistent("lines"))?
        .iter()
        .map(|l| {
            Ok(DocLine {
                line: Line {
                    code: l.get("code").and_then(Value::as_str).ok_or_else(|| inconsistent("lines.code"))?.to_owned(),
                    description: l.get("description").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    quantity: int_of(l, "quantity")?,
                    unit_price_minor: int_of(l, "unit_price_minor")?,
                    amount_minor: int_of(l, "amount_minor")?,
                },
                refers_to: l.get("refers_to").and_then(Value::as_str).map(str::to_owned),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Document {
        kind: DocumentKind::parse(&text_of("kind")?).ok_or_else(|| inconsistent("kind"))?,
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
fn draft_of(doc: &Document) -> AppResult<InvoiceDraft> {
    let bytes = custodia_journal::canonical::canonicalize(&document_json(doc))
        .map_err(|e| AppError::Internal(format!("canonical JSON: {e}")))?;
    let document = String::from_utf8(bytes).map_err(|e| AppError::Internal(format!("canonical JSON: {e}")))?;
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

/// A JSON value for a message, long ones cut.
fn shown(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const AGREEMENT: &str = r#"
id = "xx-days"
title = "Days"
sending_state = "US"
receiving_state = "SV"
legal_custodian = "sending"
governing_law = "sending"
currency = "USD"
starts = 2025-01-01
ends = 2025-12-31
sentence_profile = "us-federal"
[[facilities]]
id = "f1"
name = "Facility one"
country = "SV"
stated_capacity = 100
contracted_places = 50
time_zone = "America/El_Salvador"
[[facilities]]
id = "f2"
name = "Facility two"
country = "SV"
stated_capacity = 100
contracted_places = 50
[fees]
model = "per_diem"
rate_minor = 10000
"#;

    fn event(action: &str, from: &str, to: &str, facility: Option<&str>, occurred_at: &str) -> String {
        json!({"kind": "case.transition", "data": {
            "case_id": 7, "action": action, "from": from, "to": to, "facility_id": facility,
            "occurred_at": occurred_at, "record": {"intake": {"admitted_on": "2025-03-10"}}
        }})
        .to_string()
    }

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    /// docs/billing.md#stay-days: the intake date starts the stay; a departure is dated in the zone
    /// of the facility the person was held in (its event names no facility).
    #[test]
    fn a_departure_is_dated_in_the_zone_of_the_facility_left() {
        let agreement = Agreement::from_toml(AGREEMENT).unwrap();
        let mut held_in = HeldIn::default();
        let admit = event("admit", "in_transit", "in_custody", Some("f1"), "2025-03-11T15:00:00Z");
        let (_, facility, change, on) = custody_change(&admit, &agreement, &mut held_in).unwrap().unwrap();
        assert_eq!((facility.as_str(), change, on), ("f1", CustodyChange::Admitted, day("2025-03-10")));
        let release = event("release", "in_custody", "released", None, "2025-04-01T01:00:00Z");
        let (_, _, change, on) = custody_change(&release, &agreement, &mut held_in).unwrap().unwrap();
        assert_eq!((change, on), (CustodyChange::Left, day("2025-03-31")), "19:00 on 31 March in San Salvador");

        // Moved to f2 (UTC) first: the same instant is 1 April there.
        let mut held_in = HeldIn::default();
        custody_change(&admit, &agreement, &mut held_in).unwrap();
        let moved = event("move", "in_custody", "in_custody", Some("f2"), "2025-03-20T12:00:00Z");
        assert!(custody_change(&moved, &agreement, &mut held_in).unwrap().is_none());
        let (_, _, _, on) = custody_change(&release, &agreement, &mut held_in).unwrap().unwrap();
        assert_eq!(on, day("2025-04-01"));
    }

    #[test]
    fn a_departure_without_a_readable_time_is_an_error_not_a_guess() {
        let agreement = Agreement::from_toml(AGREEMENT).unwrap();
        let release = event("release", "in_custody", "released", None, "31 March");
        assert!(custody_change(&release, &agreement, &mut HeldIn::default()).is_err());
    }
}
