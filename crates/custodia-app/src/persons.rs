//! Persons (docs/person-file.md): importing and exporting the sending state's person files, a
//! person's whole file and legal basis, eligibility screening of one stored person or of a whole
//! file (nothing stored), listing persons, and the public locator (docs/oversight.md).
//!
//! A person is in the caller's scope through an agreement in scope under which the person was
//! imported or has a case, unless every case of the person under that agreement is placed in a
//! facility outside the caller's scope; anything out of scope is "not found" like a person that
//! does not exist. Identifiers recorded under agreements outside the scope are not shown.
//!
//! Every read of a person's file (the file, its legal basis, a screening of the stored person) is
//! written to the read log (docs/access.md) before the use case returns: the use cases take the
//! edge's [`ReadLog`], so no edge can hand out a file without logging it. The log's writer stays
//! at the edge (the server batches the writes).

use std::collections::{BTreeMap, HashMap, HashSet};

use custodia_core::agreement::Party;
use custodia_core::csv::Delimiter;
use custodia_core::eligibility::{Decision, Language, Outcome, Screener, SentenceFacts};
use custodia_core::forecast::Candidate;
use custodia_core::lifecycle::CaseState;
use custodia_core::person::{Column, PersonHeader, PersonRecord, RowError};
use custodia_core::table::{Rows, Table};
use custodia_core::{Agreement, Date};
use custodia_store::cases::CaseRow;
use custodia_store::prelude::*;
use custodia_store::{Identifier, PersonData, PersonEntry, PersonsFile, Timestamp};

use crate::access::{Capability, Principal};
use crate::error::{AppError, AppResult};
use crate::{App, actor};

/// The reason of a row whose person_id an earlier row already used (as `custodia screen` says).
const DUPLICATE: &str = "person_id: the same person_id appears in an earlier row";
/// Invalid rows listed in a refusal's message (the count is always given).
const MAX_LISTED_PROBLEMS: usize = 100;
/// Persons read from the store per page.
const PAGE: u32 = 10_000;
/// Most data rows of one person file imported, on every edge (an edge may ask for fewer:
/// the API's request limit).
pub const MAX_IMPORT_ROWS: usize = 10_000_000;

/// Where the edges write the read log (docs/access.md): who read which person's file, and why.
pub trait ReadLog {
    /// Records one read; a failure fails the read.
    fn log_read(
        &self,
        who: &Principal,
        person_id: i64,
        purpose: &'static str,
    ) -> impl std::future::Future<Output = AppResult<()>> + Send;
}

/// The read log's purpose of reading a person's whole file.
pub const PURPOSE_FILE: &str = "person file";
/// The read log's purpose of reading a person's legal basis.
pub const PURPOSE_LEGAL_BASIS: &str = "legal basis";
/// The read log's purpose of screening a stored person.
pub const PURPOSE_SCREENING: &str = "screening";

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/// A person the caller sees, with the agreements and cases through which they see them.
#[derive(Clone, Debug)]
pub struct PersonInScope {
    /// The Custodia id.
    pub id: i64,
    /// The sending state (ISO 3166).
    pub sending_state: String,
    /// The record's version.
    pub version: i64,
    /// Sequence number of the journal event that carries the current record.
    pub event_seq: i64,
    /// The record as stored.
    pub record: PersonData,
    /// The agreements through which the caller sees the person.
    pub agreements: Vec<Agreement>,
    /// The person's cases the caller sees.
    pub cases: Vec<CaseRow>,
}

impl PersonInScope {
    fn agreement(&self, id: &str) -> Option<&Agreement> {
        self.agreements.iter().find(|a| a.id.as_str() == id)
    }

    /// The legal basis for holding the person on `day` under an agreement through which the
    /// caller sees them, and a case of theirs (its admission starts the count of custody on a
    /// removal order): computed from the current record exactly as the alerts compute
    /// `NO_LEGAL_BASIS` and `HELD_BEYOND_RELEASE` (docs/lifecycle.md#legal-basis). `None` for an
    /// agreement the caller does not see the person through.
    pub fn basis_on(
        &self,
        agreement_id: &str,
        case: Option<&CaseRow>,
        day: Date,
    ) -> Option<Result<custodia_core::safeguards::Basis, custodia_core::safeguards::NoBasis>> {
        let agreement = self.agreement(agreement_id)?;
        let since = case.and_then(|c| c.case.custody_since());
        Some(custodia_core::safeguards::legal_basis(agreement, &self.record, day, since))
    }

    /// The sentence arithmetic of the current record under an agreement's sentence profile
    /// (docs/sentence.md): its inputs and every date the core computes from them, the same
    /// computation as the projected release of the legal basis. `None` for an agreement the
    /// caller does not see the person through, or a record without a start or a term (or whose
    /// term leaves the calendar).
    pub fn sentence_under(
        &self,
        agreement_id: &str,
    ) -> Option<(custodia_core::SentenceInput, custodia_core::sentence::SentenceDates)> {
        let agreement = self.agreement(agreement_id)?;
        Some((self.record.sentence_input(agreement)?, self.record.sentence_dates(agreement)?))
    }
}

/// An identifier of the person in one state's registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonIdentifier {
    /// ISO 3166 state.
    pub state: String,
    /// `person_id` (the sending state's export id), `inmate_number`, …
    pub scheme: String,
    /// The identifier.
    pub value: String,
}

/// A person's whole file.
#[derive(Clone, Debug)]
pub struct PersonFile {
    /// The person, their record and their cases in scope.
    pub person: PersonInScope,
    /// Identifiers of both states, the sending state's `person_id` first.
    pub identifiers: Vec<PersonIdentifier>,
    /// Other names: (family name, given names).
    pub aliases: Vec<(String, String)>,
    /// The legal basis.
    pub legal_basis: LegalBasis,
}

/// The conviction as the sending state exported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conviction {
    /// `final`, `appeal_pending`, `none`, or unknown.
    pub status: Option<String>,
    /// Offence category.
    pub offence_category: Option<String>,
    /// Commencement of the sentence.
    pub sentence_start: Option<String>,
    /// Term imposed, as written.
    pub sentence_term: Option<String>,
    /// Prior-custody credit in days.
    pub jail_credit_days: Option<u32>,
}

/// The legal basis of one custody case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustodyBasis {
    /// The case.
    pub case_id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// Lifecycle state of the case.
    pub state: CaseState,
    /// The state legally responsible for the person (ISO 3166).
    pub legal_custodian: String,
    /// Whose law governs execution of the sentence (ISO 3166).
    pub governing_law: String,
    /// The commitment order, once admitted.
    pub commitment_order: Option<String>,
    /// References of the legal holds that stand.
    pub standing_holds: Vec<String>,
    /// The agreement's sentence profile.
    pub sentence_profile: String,
    /// Whether the sentence is for life.
    pub life_sentence: bool,
    /// Projected release under the profile (none for life or unknown).
    pub projected_release: Option<Date>,
    /// The day the person must be back in the sending state.
    pub return_by: Option<Date>,
}

/// The legal basis for holding a person (docs/person-file.md, docs/lifecycle.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegalBasis {
    /// The Custodia id.
    pub person_id: i64,
    /// The sending state (ISO 3166).
    pub sending_state: String,
    /// A final conviction or a final removal order is on record.
    pub on_record: bool,
    /// The conviction.
    pub conviction: Conviction,
    /// The removal order: `final`, `pending`, `none`, or unknown.
    pub removal_order: Option<String>,
    /// Sequence number of the journal event that carries the current record.
    pub recorded_event_seq: i64,
    /// Per case in scope.
    pub custody: Vec<CustodyBasis>,
}

/// A rule that did not pass for a stored person, or why the record cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningReason {
    /// `E07` for a failure, `E02?` for an unknown, `INPUT` when the record cannot be read.
    pub code: String,
    /// The rule (`E07`), none for `INPUT`.
    pub rule: Option<String>,
    /// `fail`, `unknown`, or `invalid`.
    pub outcome: String,
    /// What the rule requires (or what is wrong with the record).
    pub message: String,
    /// The rule's legal source.
    pub citation: Option<String>,
}

/// The screening of one stored person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonScreening {
    /// The Custodia id.
    pub person_id: i64,
    /// The sending state's `person_id`.
    pub sending_id: String,
    /// The agreement.
    pub agreement_id: String,
    /// The day.
    pub as_of: Date,
    /// `eligible`, `ineligible`, `review`, or `invalid` when the record cannot be read.
    pub decision: String,
    /// Every rule that did not pass, by number.
    pub reasons: Vec<ScreeningReason>,
    /// The reasons string (`E07;E15?`), empty when eligible.
    pub reasons_text: String,
}

/// One row of a screened file, exactly as a line of `custodia screen`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreenedRow {
    /// The row's `person_id` as it was (even empty).
    pub person_id: String,
    /// `eligible`, `ineligible`, `review`, or `invalid`.
    pub decision: &'static str,
    /// `E07;E15?`; `INPUT: …` for an invalid row; empty when eligible.
    pub reasons: String,
}

/// Counts per decision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScreeningCounts {
    /// Data rows.
    pub rows: u64,
    /// Eligible.
    pub eligible: u64,
    /// Ineligible.
    pub ineligible: u64,
    /// Review.
    pub review: u64,
    /// Invalid.
    pub invalid: u64,
}

impl ScreeningCounts {
    fn add(&mut self, decision: &str) {
        self.rows += 1;
        match decision {
            "eligible" => self.eligible += 1,
            "ineligible" => self.ineligible += 1,
            "review" => self.review += 1,
            _ => self.invalid += 1,
        }
    }
}

/// The screening of a person file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileScreening {
    /// The agreement.
    pub agreement_id: String,
    /// The day.
    pub as_of: Date,
    /// One per data row, in input order.
    pub rows: Vec<ScreenedRow>,
    /// Counts.
    pub counts: ScreeningCounts,
    /// Header names that are no column of a person file, in file order.
    pub unknown_columns: Vec<String>,
    /// Columns of a person file the header lacks.
    pub missing_columns: Vec<String>,
}

/// A person file to import.
#[derive(Clone, Copy, Debug)]
pub struct PersonsUpload<'a> {
    /// The agreement whose sending state exported the file.
    pub agreement_id: &'a str,
    /// The file's bytes.
    pub csv: &'a [u8],
    /// Field delimiter; detected from the header when absent.
    pub delimiter: Option<Delimiter>,
    /// Import the valid rows even when some are invalid (those are listed in the result).
    pub skip_invalid: bool,
    /// Refuse files with more data rows than this (the API's request limit); never more than
    /// [`MAX_IMPORT_ROWS`].
    pub max_rows: Option<usize>,
}

/// An invalid row of a person file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidRow {
    /// Its line number (1 is the header).
    pub line: u64,
    /// The column at fault, when one is.
    pub column: Option<&'static str>,
    /// What is wrong, as `custodia screen` says it (`column: why`).
    pub message: String,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedPersons {
    /// The agreement.
    pub agreement_id: String,
    /// Valid data rows written or found unchanged.
    pub rows: u64,
    /// New people registered.
    pub added: u64,
    /// People whose record changed (one amendment each).
    pub amended: u64,
    /// Rows identical to the register.
    pub unchanged: u64,
    /// Invalid rows left out (only with `skip_invalid`).
    pub invalid: Vec<InvalidRow>,
    /// Header names that are no column of a person file (ignored), in file order.
    pub unknown_columns: Vec<String>,
    /// Columns of a person file the header lacks (unknown for every row).
    pub missing_columns: Vec<String>,
    /// Both lists as one line for people (`unknown columns: …; missing columns: …`), if any.
    pub column_notes: Option<String>,
    /// The open cases of amended people, re-screened with their new record
    /// (docs/lifecycle.md#rescreening).
    pub rescreened: Vec<Rescreened>,
}

/// An open case re-screened after its person's record was amended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rescreened {
    /// The case.
    pub case_id: i64,
    /// The sending state's id of the person.
    pub person_id: String,
    /// The case's state.
    pub state: custodia_core::lifecycle::CaseState,
    /// The new decision.
    pub decision: custodia_core::eligibility::Decision,
    /// The failing rules (`E07`); held with any is the critical alert `INELIGIBLE_IN_CUSTODY`.
    pub failed: Vec<String>,
}

/// A file refused because of invalid rows: nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedPersons {
    /// Valid data rows (that `skip_invalid` would import).
    pub valid: u64,
    /// Every invalid row, in file order.
    pub invalid: Vec<InvalidRow>,
}

impl RefusedPersons {
    /// The refusal as one error: the first bad column as the field, the count, and the first
    /// rows by line.
    pub fn error(&self) -> AppError {
        let field = self.invalid.first().and_then(|r| r.column).unwrap_or("csv");
        let mut message = format!("{} invalid rows: nothing was imported", self.invalid.len());
        for row in self.invalid.iter().take(MAX_LISTED_PROBLEMS) {
            message.push_str(&format!("\nline {}: {}", row.line, row.message));
        }
        if self.invalid.len() > MAX_LISTED_PROBLEMS {
            message.push_str(&format!("\n… and {} more", self.invalid.len() - MAX_LISTED_PROBLEMS));
        }
        AppError::invalid(field, message)
    }
}

/// The outcome of an import that could read the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersonsImport {
    /// The valid rows were written.
    Imported(ImportedPersons),
    /// Invalid rows and no `skip_invalid`: nothing was written.
    Refused(RefusedPersons),
}

// ---------------------------------------------------------------------------------------------
// Use cases
// ---------------------------------------------------------------------------------------------

impl App {
    /// The person, if they exist and the caller sees them (through `under` only, when given);
    /// "not found" otherwise, alike.
    pub async fn person_in_scope(&self, who: &Principal, id: i64, under: Option<&str>) -> AppResult<PersonInScope> {
        let missing = || AppError::no_such("person", id);
        let Some(custodia_store::PersonRow { sending_state, version, record_seq: event_seq, record, .. }) =
            self.store().person_by_id(id).await?
        else {
            return Err(missing());
        };
        let all_cases = self.store().cases_of_person(id).await?;
        let imported = self.store().person_agreements(id).await?;
        let mut agreements = Vec::new();
        for custodia_store::AgreementVersion { agreement_id, .. } in self.store().agreement_ids().await? {
            if under.is_some_and(|u| u != agreement_id) || !who.sees_agreement(&agreement_id) {
                continue;
            }
            // Imported under the agreement, or with a case under it (docs/access.md).
            if !imported.contains(&agreement_id) && !all_cases.iter().any(|c| c.agreement_id == agreement_id) {
                continue;
            }
            let agreement = std::sync::Arc::unwrap_or_clone(self.stored_agreement(&agreement_id).await?.agreement);
            let places = all_cases.iter().filter(|c| c.agreement_id == agreement_id).map(|c| c.facility_id.as_deref());
            if visible_under(who, &agreement_id, places) {
                agreements.push(agreement);
            }
        }
        if agreements.is_empty() {
            return Err(missing());
        }
        let cases = all_cases
            .into_iter()
            .filter(|c| {
                who.sees(&c.agreement_id, c.facility_id.as_deref())
                    && agreements.iter().any(|a| a.id.as_str() == c.agreement_id)
            })
            .collect();
        Ok(PersonInScope { id, sending_state, version, event_seq, record, agreements, cases })
    }

    /// A person's whole file: the record, the identifiers of both states, the aliases, the cases
    /// in scope and the legal basis. The read is logged.
    pub async fn person_file(&self, who: &Principal, id: i64, log: &impl ReadLog) -> AppResult<PersonFile> {
        let person = self.person_in_scope(who, id, None).await?;
        let mut identifiers = vec![PersonIdentifier {
            state: person.sending_state.clone(),
            scheme: "person_id".into(),
            value: person.record.sending_id.clone(),
        }];
        identifiers.extend(self.visible_identifiers(who, id).await?.into_iter().map(|i| PersonIdentifier {
            state: i.state,
            scheme: i.scheme,
            value: i.value,
        }));
        let aliases =
            self.store().aliases_of_person(id).await?.into_iter().map(|a| (a.family_name, a.given_names)).collect();
        let legal_basis = legal_basis(&person);
        log.log_read(who, id, PURPOSE_FILE).await?;
        Ok(PersonFile { person, identifiers, aliases, legal_basis })
    }

    /// The legal basis for holding a person. The read is logged.
    pub async fn legal_basis(&self, who: &Principal, id: i64, log: &impl ReadLog) -> AppResult<LegalBasis> {
        let person = self.person_in_scope(who, id, None).await?;
        let basis = legal_basis(&person);
        log.log_read(who, id, PURPOSE_LEGAL_BASIS).await?;
        Ok(basis)
    }

    /// Screens one stored person against the agreement's rules on `as_of` (docs/rules.md).
    /// Nothing is recorded on a case (that is the case's `screen` step); the read is logged.
    pub async fn screen_person(
        &self,
        who: &Principal,
        id: i64,
        agreement_id: &str,
        as_of: &str,
        lang: Option<&str>,
        log: &impl ReadLog,
    ) -> AppResult<PersonScreening> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        let person = self.person_in_scope(who, id, Some(agreement_id)).await?;
        who.require(Capability::ScreenPersons)?;
        let as_of = date("as_of", as_of)?;
        let language = language(lang)?;
        let screener = Screener::new(&agreement);
        let screening = person.record.with_record(|record| screener.screen(record, as_of)).and_then(|r| r);
        let (decision, reasons, reasons_text) = match screening {
            Ok(s) => {
                let reasons = s
                    .outcomes()
                    .filter(|(_, o)| *o != Outcome::Pass)
                    .map(|(rule, outcome)| ScreeningReason {
                        code: match outcome {
                            Outcome::Unknown => format!("{}?", rule.code()),
                            _ => rule.code().to_owned(),
                        },
                        rule: Some(rule.code().to_owned()),
                        outcome: outcome.as_str().to_owned(),
                        message: rule.message(language).to_owned(),
                        citation: Some(rule.citation().to_owned()),
                    })
                    .collect();
                (s.decision().as_str().to_owned(), reasons, s.reasons())
            }
            Err(e) => {
                let message = e.to_string();
                let reason = ScreeningReason {
                    code: "INPUT".into(),
                    rule: None,
                    outcome: "invalid".into(),
                    message: message.clone(),
                    citation: None,
                };
                ("invalid".to_owned(), vec![reason], format!("INPUT: {message}"))
            }
        };
        log.log_read(who, id, PURPOSE_SCREENING).await?;
        Ok(PersonScreening {
            person_id: person.id,
            sending_id: person.record.sending_id.clone(),
            agreement_id: agreement_id.to_owned(),
            as_of,
            decision,
            reasons,
            reasons_text,
        })
    }

    /// Screens a person file against the agreement's rules on `as_of`, as `custodia screen` does:
    /// one row per data row, in order. Nothing is stored.
    pub async fn screen_file(
        &self,
        who: &Principal,
        agreement_id: &str,
        csv: &[u8],
        as_of: &str,
        max_rows: Option<usize>,
    ) -> AppResult<FileScreening> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        who.require(Capability::ScreenPersons)?;
        let as_of = date("as_of", as_of)?;
        let screener = Screener::new(&agreement);
        let file = PersonTable::read(csv, None)?;
        let (rows, counts) = file.screen(&screener, as_of, max_rows)?;
        let (unknown_columns, missing_columns) = file.column_lists();
        Ok(FileScreening {
            agreement_id: agreement_id.to_owned(),
            as_of,
            rows,
            counts,
            unknown_columns,
            missing_columns,
        })
    }

    /// Imports a person file of the agreement's sending state (docs/person-file.md): every row is
    /// validated as `custodia screen` reads it; new people are registered, changed ones amended,
    /// identical ones left alone. With invalid rows nothing is written unless `skip_invalid`.
    /// The valid rows stream to the store as it writes them (a second pass over the bytes), so a
    /// million-row file is never held as records.
    pub async fn import_persons(
        &self,
        who: &Principal,
        upload: PersonsUpload<'_>,
        now: &Timestamp,
    ) -> AppResult<PersonsImport> {
        let agreement = self.agreement(who, upload.agreement_id).await?.agreement;
        who.require(Capability::ImportPersons)?;
        let screener = Screener::new(&agreement);
        let file = PersonTable::read(upload.csv, upload.delimiter)?;
        let max_rows = upload.max_rows.map_or(MAX_IMPORT_ROWS, |max| max.min(MAX_IMPORT_ROWS));
        let (valid, invalid) = file.check(&screener, Some(max_rows))?;
        if !invalid.is_empty() && !upload.skip_invalid {
            return Ok(PersonsImport::Refused(RefusedPersons { valid, invalid }));
        }
        let persons = ValidPersons { file: &file, screener: &screener, rows: file.table.rows(), seen: HashSet::new() };
        let outcome = self
            .store()
            .import_persons(
                PersonsFile {
                    agreement_id: agreement.id.as_str(),
                    sending_state: agreement.sending_state,
                    persons: Box::new(persons),
                },
                &actor(who, now, None),
            )
            .await?;
        let (unknown_columns, missing_columns) = file.column_lists();
        let column_notes = file.header.table().column_notes();
        let rescreened = self.rescreen(who, &outcome.amended_ids, now).await?;
        Ok(PersonsImport::Imported(ImportedPersons {
            agreement_id: agreement.id.as_str().to_owned(),
            rows: valid,
            added: outcome.added,
            amended: outcome.amended,
            unchanged: outcome.unchanged,
            invalid,
            unknown_columns,
            missing_columns,
            column_notes,
            rescreened,
        }))
    }

    /// Re-screens every open case of the amended people with their new record, each as a
    /// `rescreen` step of the importing user (a `case.transition` event that leaves the state
    /// as it is). The alerts compute the same screening from the current record, so a person held
    /// who is now ineligible is flagged even if this step were interrupted.
    async fn rescreen(&self, who: &Principal, amended: &[i64], now: &Timestamp) -> AppResult<Vec<Rescreened>> {
        let mut out = Vec::new();
        for person_id in amended {
            for row in self.store().cases_of_person(*person_id).await? {
                if row.case.state.is_final() {
                    continue;
                }
                let case_actor = custodia_core::custody::Actor {
                    user: who.name.clone(),
                    occurred_at: now.as_str().to_owned(),
                    occurred_at_unix: now.unix_seconds(),
                    recorded_at: now.as_str().to_owned(),
                    reason: "RECORD_AMENDED".to_owned(),
                };
                let request = custodia_core::custody::CaseRequest::Plain(custodia_core::custody::Command::Rescreen);
                let call = custodia_store::cases::CaseCall::new(
                    row.id,
                    "rescreen",
                    request,
                    case_actor,
                    actor(who, now, None),
                );
                let Ok(stored) = self.store().act_on_case(&call, &crate::cases::decide).await? else { continue };
                let Some(screening) = stored.case.screening.as_ref() else { continue };
                let sending_id =
                    self.store().case_with_sending_id(stored.id).await?.map(|c| c.sending_id).unwrap_or_default();
                out.push(Rescreened {
                    case_id: stored.id,
                    person_id: sending_id,
                    state: stored.case.state,
                    decision: screening.decision(),
                    failed: screening
                        .rules(custodia_core::eligibility::Outcome::Fail)
                        .iter()
                        .map(|r| r.code().to_owned())
                        .collect(),
                });
            }
        }
        Ok(out)
    }

    /// Up to `count` persons of the agreement's sending state the caller sees, by Custodia id
    /// after `after`.
    pub async fn persons(
        &self,
        who: &Principal,
        agreement_id: &str,
        after: i64,
        count: usize,
    ) -> AppResult<Vec<PersonEntry>> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        let places = self.places(who, agreement_id).await?;
        let batch = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
        let mut items = Vec::with_capacity(count.min(1024));
        let mut cursor = after;
        loop {
            let rows = self.store().persons_of_agreement(agreement.id.as_str(), cursor, batch).await?;
            let Some(last) = rows.last() else { break };
            cursor = last.id;
            let fetched = rows.len();
            for entry in rows {
                if visible_in(who, agreement_id, places.as_ref(), entry.id) {
                    items.push(entry);
                    if items.len() >= count {
                        return Ok(items);
                    }
                }
            }
            if fetched < usize::try_from(batch).unwrap_or(usize::MAX) {
                break;
            }
        }
        Ok(items)
    }

    /// Writes every person the caller sees as a person file (docs/person-file.md), in Custodia id
    /// order, with a trailing `custodia_id` column. Returns the number of persons written.
    pub async fn export_persons(&self, who: &Principal, out: &mut impl std::io::Write) -> AppResult<u64> {
        let io = |e: std::io::Error| AppError::Internal(format!("writing the export: {e}"));
        let mut line = Vec::with_capacity(1 << 16);
        for (i, name) in custodia_store::PERSON_COLUMNS.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            line.extend_from_slice(name.as_bytes());
        }
        line.extend_from_slice(b",custodia_id\n");
        out.write_all(&line).map_err(io)?;
        let mut written = 0u64;
        if who.agreements.is_none() && who.facilities.is_none() {
            // Everyone is in scope: stream the register page by page.
            let mut after = 0i64;
            loop {
                let page = self.store().persons_page(after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                written += write_persons(out, &mut line, &page).map_err(io)?;
            }
        } else {
            let seen = self.persons_in_scope(who).await?;
            let page: Vec<PersonEntry> = seen.into_values().collect();
            written += write_persons(out, &mut line, &page).map_err(io)?;
        }
        Ok(written)
    }
}

// ---------------------------------------------------------------------------------------------
// Scope helpers
// ---------------------------------------------------------------------------------------------

/// Where each person's cases under an agreement are — only for a caller limited to some
/// facilities (others see every person of the agreement's sending state).
type Places = HashMap<i64, Vec<Option<String>>>;

impl App {
    async fn places(&self, who: &Principal, agreement_id: &str) -> AppResult<Option<Places>> {
        if who.facilities.is_none() {
            return Ok(None);
        }
        let mut map: Places = HashMap::new();
        for place in self.store().case_places(agreement_id).await? {
            map.entry(place.person_id).or_default().push(place.facility_id);
        }
        Ok(Some(map))
    }

    /// A person's identifiers recorded under agreements in the caller's scope (docs/access.md):
    /// one recorded under another agreement is not shown.
    pub async fn visible_identifiers(&self, who: &Principal, person_id: i64) -> AppResult<Vec<Identifier>> {
        let all = self.store().identifiers(person_id).await?;
        Ok(all.into_iter().filter(|i| who.sees_recorded_under(i.agreement_id.as_deref())).collect())
    }

    /// Every person the caller sees, by Custodia id (for a caller with a limited scope).
    async fn persons_in_scope(&self, who: &Principal) -> AppResult<BTreeMap<i64, PersonEntry>> {
        let mut seen = BTreeMap::new();
        for record in self.agreements(who).await? {
            let id = record.agreement.id.as_str();
            let places = self.places(who, id).await?;
            let mut after = 0i64;
            loop {
                let page = self.store().persons_of_agreement(id, after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for entry in page {
                    if visible_in(who, id, places.as_ref(), entry.id) {
                        seen.insert(entry.id, entry);
                    }
                }
            }
        }
        Ok(seen)
    }
}

/// Whether the caller sees a person under an agreement, given the facilities of the person's cases
/// under it: the agreement must be in scope, and a person with cases is seen through at least one
/// of them (a case not placed is seen by everyone scoped to the agreement).
fn visible_under<'a>(who: &Principal, agreement_id: &str, places: impl IntoIterator<Item = Option<&'a str>>) -> bool {
    if !who.sees_agreement(agreement_id) {
        return false;
    }
    let mut any = false;
    for facility in places {
        if who.sees(agreement_id, facility) {
            return true;
        }
        any = true;
    }
    !any
}

fn visible_in(who: &Principal, agreement_id: &str, places: Option<&Places>, person_id: i64) -> bool {
    places
        .is_none_or(|m| visible_under(who, agreement_id, m.get(&person_id).into_iter().flatten().map(Option::as_deref)))
}

fn write_persons(out: &mut impl std::io::Write, line: &mut Vec<u8>, page: &[PersonEntry]) -> std::io::Result<u64> {
    line.clear();
    for PersonEntry { id, record } in page {
        for value in record.columns() {
            custodia_core::csv::write_field(line, value.as_bytes());
            line.push(b',');
        }
        line.extend_from_slice(id.to_string().as_bytes());
        line.push(b'\n');
    }
    out.write_all(line)?;
    Ok(page.len() as u64)
}

fn legal_basis(p: &PersonInScope) -> LegalBasis {
    let r = &p.record;
    let final_ = |v: &Option<String>| v.as_deref() == Some("final");
    let custody =
        p.cases.iter().filter_map(|row| Some(custody_basis(p.agreement(&row.agreement_id)?, r, row))).collect();
    LegalBasis {
        person_id: p.id,
        sending_state: p.sending_state.clone(),
        on_record: final_(&r.conviction) || final_(&r.removal_order),
        conviction: Conviction {
            status: r.conviction.clone(),
            offence_category: r.offence_category.clone(),
            sentence_start: r.sentence_start.clone(),
            sentence_term: r.sentence_term.clone(),
            jail_credit_days: r.jail_credit_days,
        },
        removal_order: r.removal_order.clone(),
        recorded_event_seq: p.event_seq,
        custody,
    }
}

fn custody_basis(agreement: &Agreement, record: &PersonData, row: &CaseRow) -> CustodyBasis {
    let party_state = |party: Party| match party {
        Party::Sending => agreement.sending_state.as_str().to_owned(),
        Party::Receiving => agreement.receiving_state.as_str().to_owned(),
    };
    let facts = record
        .with_record(|r| Screener::new(agreement).sentence_facts(r))
        .ok()
        .and_then(Result::ok)
        .unwrap_or(SentenceFacts::Unknown);
    let release = match facts {
        SentenceFacts::Fixed { projected_release, .. } => Some(projected_release),
        _ => None,
    };
    CustodyBasis {
        case_id: row.id,
        agreement_id: row.agreement_id.clone(),
        state: row.case.state,
        legal_custodian: party_state(agreement.legal_custodian),
        governing_law: party_state(agreement.governing_law),
        commitment_order: row.case.commitment_order.clone(),
        standing_holds: row.case.holds.iter().filter(|h| h.stands()).map(|h| h.reference.clone()).collect(),
        sentence_profile: agreement.sentence_profile.as_str().to_owned(),
        life_sentence: facts == SentenceFacts::Life,
        projected_release: release,
        return_by: release.and_then(|d| custodia_core::alerts::return_by(d, agreement.return_before_release_days)),
    }
}

/// A date field (`YYYY-MM-DD`).
fn date(field: &str, text: &str) -> AppResult<Date> {
    crate::fields::date(field, text)
}

/// The language of screening messages: `en` (default) or `es`.
fn language(lang: Option<&str>) -> AppResult<Language> {
    match lang {
        None | Some("en") => Ok(Language::En),
        Some("es") => Ok(Language::Es),
        Some(other) => Err(AppError::invalid("lang", crate::fields::not_one_of(other, &["en", "es"]))),
    }
}

fn too_many_rows(max: usize, command: &str) -> AppError {
    AppError::invalid("csv", custodia_i18n::Text::new("INVALID.rows").count("max", max).arg("command", command))
}

// ---------------------------------------------------------------------------------------------
// Person files (CSV)
// ---------------------------------------------------------------------------------------------

/// A person file's table and header, read through the one table reader (`custodia_core::table`).
struct PersonTable<'a> {
    table: Table<'a>,
    header: PersonHeader,
}

impl<'a> PersonTable<'a> {
    fn read(csv: &'a [u8], delimiter: Option<Delimiter>) -> AppResult<Self> {
        let table =
            Table::read(csv, delimiter, PersonHeader::COLUMNS).map_err(|e| AppError::invalid("csv", e.to_string()))?;
        let header = PersonHeader::from_header(table.header().clone());
        Ok(Self { table, header })
    }

    fn column_lists(&self) -> (Vec<String>, Vec<String>) {
        let table = self.header.table();
        (table.unknown().to_vec(), table.missing().iter().map(|c| (*c).to_owned()).collect())
    }

    /// Visits every non-blank data row in order with its line number, its raw `person_id` and
    /// the record with whether an earlier row had the same id (or why it cannot be read, exactly
    /// as `custodia screen` says), until `visit` answers false. Every earlier row counts for
    /// duplicates, valid or not; empty ids are never duplicates (docs/person-file.md).
    fn each_row(&self, mut visit: impl FnMut(u64, &[u8], Result<(PersonRecord<'_>, bool), RowError>) -> bool) {
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        let mut rows = self.table.rows();
        while let Some(row) = rows.next() {
            let id = self.header.position(Column::PersonId).and_then(|i| row.fields.get(i)).unwrap_or_default();
            let duplicate = !id.is_empty() && !seen.insert(id.to_vec());
            let read = PersonRecord::from_row(&self.header, &row).map(|record| (record, duplicate));
            if !visit(row.line, id, read) {
                break;
            }
        }
    }

    /// Checks every row for import: the number of valid rows and every invalid row.
    fn check(&self, screener: &Screener, max_rows: Option<usize>) -> AppResult<(u64, Vec<InvalidRow>)> {
        let (mut rows, mut valid, mut invalid) = (0usize, 0u64, Vec::new());
        self.each_row(|line, _, row| {
            rows += 1;
            if max_rows.is_some_and(|max| rows > max) {
                return false;
            }
            match row.and_then(|(record, duplicate)| screener.check(&record).map(|()| duplicate)) {
                Err(e) => invalid.push(InvalidRow { line, column: e.column.map(Column::name), message: e.to_string() }),
                Ok(true) => invalid.push(InvalidRow { line, column: Some("person_id"), message: DUPLICATE.into() }),
                Ok(false) => valid += 1,
            }
            true
        });
        match max_rows {
            Some(max) if rows > max => Err(too_many_rows(max, "custodia import persons")),
            _ => Ok((valid, invalid)),
        }
    }
}

impl PersonTable<'_> {
    /// Screens every row as `custodia screen` does: one row per data row, in order.
    fn screen(
        &self,
        screener: &Screener,
        as_of: Date,
        max_rows: Option<usize>,
    ) -> AppResult<(Vec<ScreenedRow>, ScreeningCounts)> {
        let mut rows = Vec::new();
        let mut counts = ScreeningCounts::default();
        let mut too_many = false;
        self.each_row(|_, id, row| {
            if max_rows.is_some_and(|max| rows.len() >= max) {
                too_many = true;
                return false;
            }
            let (decision, reasons) = match row {
                Err(e) => ("invalid", format!("INPUT: {e}")),
                // A row that is already invalid keeps its own reason.
                Ok((record, duplicate)) => match screener.screen(&record, as_of) {
                    Err(e) => ("invalid", format!("INPUT: {e}")),
                    Ok(_) if duplicate => ("invalid", format!("INPUT: {DUPLICATE}")),
                    Ok(s) => (s.decision().as_str(), s.reasons()),
                },
            };
            counts.add(decision);
            rows.push(ScreenedRow { person_id: String::from_utf8_lossy(id).into_owned(), decision, reasons });
            true
        });
        if too_many {
            return Err(too_many_rows(max_rows.unwrap_or_default(), "custodia screen"));
        }
        Ok((rows, counts))
    }
}

/// Most rows of a person file a forecast draws from (the import's limit).
pub const MAX_FORECAST_ROWS: usize = 10_000_000;

/// The eligible people of a person file on `as_of`, as the forecast draws its arrivals from them
/// (docs/forecast.md): every row screened as `custodia screen` screens it (the same reader, the
/// same duplicates rule, the same `Screener`); each eligible one becomes a candidate held from
/// arrival until their return is due. Also the number of rows read.
pub fn forecast_candidates(agreement: &Agreement, csv: &[u8], as_of: Date) -> AppResult<(Vec<Candidate>, u64)> {
    let file = PersonTable::read(csv, None)?;
    let screener = Screener::new(agreement).for_date(as_of);
    let (mut candidates, mut rows) = (Vec::new(), 0u64);
    file.each_row(|_, _, row| {
        rows += 1;
        if let Ok((record, false)) = row
            && let Some(candidate) = forecast_candidate(agreement, &screener, &record, as_of)
        {
            candidates.push(candidate);
        }
        rows <= MAX_FORECAST_ROWS as u64
    });
    if rows > MAX_FORECAST_ROWS as u64 {
        return Err(too_many_rows(MAX_FORECAST_ROWS, "custodia forecast"));
    }
    Ok((candidates, rows))
}

/// A person as the forecast draws them, if eligible on `as_of` under `screener` (the agreement's
/// rules): held from arrival until their return is due. The one test of the file's rows and the
/// register's people.
pub(crate) fn forecast_candidate(
    agreement: &Agreement,
    screener: &Screener,
    record: &PersonRecord<'_>,
    as_of: Date,
) -> Option<Candidate> {
    let screening = screener.screen(record, as_of).ok()?;
    if screening.decision() != Decision::Eligible {
        return None;
    }
    let facts = screener.sentence_facts(record).ok()?;
    Candidate::from_facts(agreement, facts, as_of, record.security_class)
}

/// The valid rows of a checked file as owned records, produced as the store consumes them.
struct ValidPersons<'f, 'a> {
    file: &'f PersonTable<'a>,
    screener: &'f Screener,
    rows: Rows<'a>,
    seen: HashSet<Vec<u8>>,
}

impl Iterator for ValidPersons<'_, '_> {
    type Item = PersonData;

    fn next(&mut self) -> Option<PersonData> {
        let header = &self.file.header;
        while let Some(row) = self.rows.next() {
            let id = header.position(Column::PersonId).and_then(|i| row.fields.get(i)).unwrap_or_default();
            let first = id.is_empty() || self.seen.insert(id.to_vec());
            let Ok(person) = PersonRecord::from_row(header, &row) else { continue };
            if first && self.screener.check(&person).is_ok() {
                return Some(PersonData::from_record(&person));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cecot() -> Screener {
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/agreements/us-sv-cecot.toml"))
                .unwrap();
        Screener::new(&Agreement::from_toml(&source).unwrap())
    }

    const HEADER: &str = "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,torture_risk_assessed_on,care_needs,removal_destination";

    /// Checks a file for import as the use case does: the refusal, or the valid records.
    fn import(screener: &Screener, csv: &[u8]) -> Result<Vec<PersonData>, AppError> {
        let file = PersonTable::read(csv, None)?;
        let (valid, invalid) = file.check(screener, Some(100_000))?;
        if !invalid.is_empty() {
            return Err(RefusedPersons { valid, invalid }.error());
        }
        let persons = ValidPersons { file: &file, screener, rows: file.table.rows(), seen: HashSet::new() };
        Ok(persons.collect())
    }

    fn screen(csv: &[u8]) -> (Vec<ScreenedRow>, ScreeningCounts) {
        let file = PersonTable::read(csv, None).unwrap();
        file.screen(&cecot(), Date::parse("2025-06-01").unwrap(), None).unwrap()
    }

    fn invalid(e: AppError) -> (String, String) {
        match e {
            AppError::Invalid { field, message } => (field, message.to_string()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn import_lists_every_bad_row_by_line_and_names_the_first_column() {
        let csv = format!(
            "\u{feff}{HEADER}\n\nP1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,5y,,medium,,final,no_risk,2025-05-01,no,VE\n\
             P2,Roe,John,1990-02-30,VE,final,drug,2024-01-01,5y,,medium,,final,no_risk,2025-05-01,no,VE\n\
             P1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,5y,,medium,,final,no_risk,2025-05-01,no,VE\n"
        );
        let (field, message) = invalid(import(&cecot(), csv.as_bytes()).unwrap_err());
        assert_eq!(field, "birth_date");
        assert!(message.starts_with("2 invalid rows"), "{message}");
        assert!(message.contains("line 4: birth_date:"), "{message}");
        assert!(message.contains("line 5: person_id: the same"), "{message}");
    }

    #[test]
    fn import_reads_valid_rows_exactly() {
        let csv = format!("{HEADER}\nP1,Doe,Jane,1990-02-28,US;SV,final,drug,2024-01-01,5y,,medium,,final,,,no,SV\n");
        let file = PersonTable::read(csv.as_bytes(), None).unwrap();
        let (unknown, missing) = file.column_lists();
        assert!(unknown.is_empty() && missing.is_empty(), "{unknown:?} {missing:?}");
        let persons = import(&cecot(), csv.as_bytes()).unwrap();
        assert_eq!(persons.len(), 1);
        assert_eq!(persons[0].nationalities.as_deref(), Some("US;SV"));
        assert_eq!(persons[0].jail_credit_days, None, "an empty credit stays empty");
        assert_eq!(persons[0].removal_destination.as_deref(), Some("SV"), "the last column is read");
        assert_eq!(invalid(import(&cecot(), b"\n\n").unwrap_err()).0, "csv");
        assert_eq!(invalid(import(&cecot(), b"name\nx\n").unwrap_err()).0, "csv");
    }

    #[test]
    fn skipping_invalid_rows_streams_only_the_valid_ones() {
        let csv = "person_id,birth_date\nA1,1990-01-01\nA2,1990-02-30\nA1,1990-01-01\nA3,\n";
        let file = PersonTable::read(csv.as_bytes(), None).unwrap();
        let (valid, invalid) = file.check(&cecot(), None).unwrap();
        assert_eq!(valid, 2);
        let lines: Vec<u64> = invalid.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4]);
        let persons = ValidPersons { file: &file, screener: &cecot(), rows: file.table.rows(), seen: HashSet::new() };
        let ids: Vec<String> = persons.map(|p| p.sending_id).collect();
        assert_eq!(ids, ["A1", "A3"], "the duplicate of A1 is left out, as the check counted it");
    }

    #[test]
    fn too_many_rows_are_refused_before_anything_is_read_into_records() {
        let csv = "person_id\nA1\nA2\nA3\n";
        let file = PersonTable::read(csv.as_bytes(), None).unwrap();
        let (field, message) = invalid(file.check(&cecot(), Some(2)).unwrap_err());
        assert_eq!(field, "csv");
        assert!(message.starts_with("more than 2 rows"), "{message}");
        assert!(file.check(&cecot(), Some(3)).is_ok());
    }

    #[test]
    fn import_rejects_jail_credit_that_screen_rejects() {
        let csv = "person_id,sentence_start,sentence_term,jail_credit_days\nP1,2024-01-01,5y,99999999999999999999\n";
        let (field, message) = invalid(import(&cecot(), csv.as_bytes()).unwrap_err());
        assert_eq!(field, "jail_credit_days");
        assert!(message.contains("line 2: jail_credit_days: "), "{message}");
        let (rows, _) = screen(csv.as_bytes());
        assert_eq!(rows[0].decision, "invalid");
        let line = message.lines().nth(1).unwrap().trim_start_matches("line 2: ").to_owned();
        assert_eq!(rows[0].reasons, format!("INPUT: {line}"), "the same message in both");
        // A term that ends beyond the calendar: screen calls the row invalid, so does the import.
        let csv = "person_id,sentence_start,sentence_term\nP1,9999-01-01,5y\n";
        assert_eq!(invalid(import(&cecot(), csv.as_bytes()).unwrap_err()).0, "sentence_term");
    }

    #[test]
    fn header_typo_is_listed_in_the_answers() {
        let csv = "person_id;convction;nationalities\nP1;final;\"US;SV\"\r";
        let persons = import(&cecot(), csv.as_bytes()).unwrap();
        assert_eq!(persons[0].nationalities.as_deref(), Some("US;SV"), "semicolons detected, bare CR read");
        let (unknown, missing) = PersonTable::read(csv.as_bytes(), None).unwrap().column_lists();
        assert_eq!(unknown, ["convction"]);
        assert!(missing.contains(&"conviction".to_owned()), "{missing:?}");
    }

    #[test]
    fn screening_a_file_matches_the_cli_contract() {
        let csv = format!(
            "{HEADER}\nP1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no,VE\n\
             P2,Roe,John,1990-02-28,US,final,drug,2024-01-01,60m,0,medium,,final,,,no,US\n\
             P1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no,VE\n\
             ,x\n\
             P4,\"a\"b,,,,,,,,,,,,,,,\n"
        );
        let (rows, counts) = screen(csv.as_bytes());
        let got: Vec<(&str, &str, &str)> =
            rows.iter().map(|r| (r.person_id.as_str(), r.decision, r.reasons.as_str())).collect();
        assert_eq!(got[0], ("P1", "eligible", ""));
        assert_eq!(got[1], ("P2", "ineligible", "E07;E15?"));
        assert_eq!(got[2], ("P1", "invalid", "INPUT: person_id: the same person_id appears in an earlier row"));
        assert_eq!(got[3].1, "invalid");
        assert!(got[3].2.starts_with("INPUT: row has 2 fields"), "{}", got[3].2);
        assert_eq!(got[4], ("P4", "invalid", "INPUT: family_name: has text after its closing quote"));
        assert_eq!((counts.rows, counts.eligible, counts.ineligible, counts.invalid), (5, 1, 1, 3));
    }
}
