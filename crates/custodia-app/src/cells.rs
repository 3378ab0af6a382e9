//! Facilities and cells (docs/capacity.md): each facility's figures (stated capacity beside the
//! standard and floor capacities computed from its cells, and occupancy), its cells with their
//! occupants, and importing cells. Occupancy is derived from custody records, never typed in.

use std::borrow::Cow;
use std::collections::HashMap;

use custodia_core::alerts::{Alert, CellFacts, cell_alerts};
use custodia_core::capacity::{CELL_COLUMNS, Cell, facility_capacities, read_cells_file};
use custodia_core::csv::Delimiter;
use custodia_core::{Agreement, Date};
use custodia_store::prelude::*;
use custodia_store::{CaseWithPerson, CellChangeRow, CellsSubmitted, StoreError, Timestamp};

use crate::access::{Capability, Principal, user_name_key};
use crate::agreements::AgreementRecord;
use crate::error::{AppError, AppResult};
use crate::facts::AlertFacts;
use crate::{App, actor};
use custodia_i18n::Text;

/// Problems listed in an error message (the count is always given).
const MAX_LISTED_PROBLEMS: usize = 100;
/// Longest agreement id, in bytes.
const MAX_AGREEMENT_ID_BYTES: usize = 64;

/// A facility's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityFigures {
    /// The facility.
    pub facility_id: String,
    /// Its name.
    pub name: String,
    /// ISO 3166 country.
    pub country: String,
    /// What the operator states (from the agreement).
    pub stated_capacity: u32,
    /// Places the agreement contracts there.
    pub contracted_places: u32,
    /// Registered cells.
    pub cells: u64,
    /// Beds over all cells.
    pub beds: u64,
    /// Sum of the cells' standard capacities.
    pub standard_capacity: u64,
    /// Sum of the cells' floor capacities.
    pub floor_capacity: u64,
    /// Cells below the standard for their kind.
    pub non_compliant_cells: u64,
    /// People in custody there now (in custody or return scheduled).
    pub in_custody: u64,
}

/// A cell with its capacities and current occupants.
#[derive(Clone, Debug, PartialEq)]
pub struct CellFigures {
    /// The cell as registered.
    pub cell: Cell,
    /// Places within the standard.
    pub standard_capacity: u32,
    /// Places within the absolute floor.
    pub floor_capacity: u32,
    /// Below the standard for its kind.
    pub non_compliant: bool,
    /// People in custody in the cell now.
    pub occupants: u64,
}

/// A cells file to import.
#[derive(Clone, Debug)]
pub struct CellsUpload<'a> {
    /// The agreement naming the facilities.
    pub agreement_id: &'a str,
    /// When given, every row must be a cell of this facility (the API's per-facility import);
    /// otherwise rows may name any facility of the agreement in the caller's scope.
    pub facility_id: Option<&'a str>,
    /// The file's bytes (CSV with its header row).
    pub bytes: &'a [u8],
    /// The delimiter, or `None` to detect it from the header.
    pub delimiter: Option<Delimiter>,
}

/// What an import of cells did, per facility (docs/capacity.md#cell-changes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellsImported {
    /// Data rows read.
    pub rows: u64,
    /// Each facility the import concerned, in the agreement's order, with what happened to it:
    /// unchanged, registered at once (its first cells) or a change proposed.
    pub facilities: Vec<(String, CellsSubmitted)>,
}

/// Reads a cells file: every row valid and of a facility the caller may import for, or an
/// `Invalid` error listing every bad row by line, `field` naming the first bad column.
pub fn read_cells(who: &Principal, upload: &CellsUpload<'_>, agreement: &Agreement) -> AppResult<Vec<Cell>> {
    let file = read_cells_file(upload.bytes, agreement, upload.delimiter).map_err(|e| AppError::invalid("csv", e))?;
    let mut problems = file.problems;
    let mut cells = Vec::with_capacity(file.cells.len());
    for (line, cell) in file.cells {
        let facility = cell.facility_id.as_str();
        match upload.facility_id {
            Some(wanted) if wanted != facility => problems.push((
                line,
                format!(
                    "facility_id: {facility:?} is not facility {wanted} (import each facility's cells at its own path)"
                ),
            )),
            _ if !who.sees(agreement.id.as_str(), Some(facility)) => {
                problems.push((line, format!("facility_id: {facility:?} is outside your scope")))
            }
            _ => cells.push(cell),
        }
    }
    problems.sort_by_key(|(line, _)| *line);
    let Some((_, first)) = problems.first() else { return Ok(cells) };
    let field = CELL_COLUMNS.iter().find(|c| first.starts_with(&format!("{c}:"))).copied().unwrap_or("csv");
    let mut message = format!("{} cell rows cannot be used: nothing was imported", problems.len());
    for (line, problem) in problems.iter().take(MAX_LISTED_PROBLEMS) {
        message.push_str(&format!("\nline {line}: {problem}"));
    }
    if problems.len() > MAX_LISTED_PROBLEMS {
        message.push_str(&format!("\n… and {} more", problems.len() - MAX_LISTED_PROBLEMS));
    }
    Err(AppError::invalid(field, message))
}

impl App {
    /// The agreement, if the caller sees it and the facility it names ("not found" otherwise,
    /// alike).
    pub async fn facility_in_scope(
        &self,
        who: &Principal,
        agreement_id: &str,
        facility_id: &str,
    ) -> AppResult<AgreementRecord> {
        let record = self.agreement(who, agreement_id).await?;
        if record.agreement.facility(facility_id).is_none() || !who.sees(agreement_id, Some(facility_id)) {
            return Err(AppError::NotFound(
                Text::new("NOT_FOUND.facility").arg("facility", facility_id).arg("agreement", agreement_id),
            ));
        }
        Ok(record)
    }

    /// People in custody (in custody or return scheduled) per (facility, cell) of an agreement.
    async fn occupants(&self, agreement_id: &str) -> AppResult<Vec<(String, Option<String>)>> {
        Ok(self
            .store()
            .case_places(agreement_id)
            .await?
            .into_iter()
            .filter(|p| custodia_core::lifecycle::CaseState::parse(&p.state).is_some_and(|s| s.holds_place()))
            .filter_map(|p| p.facility_id.map(|f| (f, p.cell_id)))
            .collect())
    }

    /// The facilities of an agreement in the caller's scope, with their figures.
    pub async fn facilities(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<FacilityFigures>> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        // The cases and cells as the alerts read them: remembered by journal size (facts.rs), so a
        // list of a facility with 10,000 people in custody reads nothing it has read before.
        let facts = self.alert_facts(agreement_id).await?;
        let mut held: HashMap<&str, u32> = HashMap::new();
        for r in facts.rows.iter().filter(|r| r.case.case.state.holds_place()) {
            if let Some(f) = r.case.facility_id.as_deref() {
                let n = held.entry(f).or_insert(0);
                *n = n.saturating_add(1);
            }
        }
        let totals = facility_capacities(&agreement, &facts.cells);
        let count = |n: u32| u64::from(n);
        Ok(agreement
            .facilities
            .iter()
            .zip(&totals)
            .filter(|(f, _)| who.sees(agreement_id, Some(f.id.as_str())))
            .map(|(f, t)| FacilityFigures {
                facility_id: f.id.as_str().to_owned(),
                name: f.name.clone(),
                country: f.country.as_str().to_owned(),
                stated_capacity: t.stated_capacity,
                contracted_places: f.contracted_places,
                cells: u64::try_from(facts.cells.iter().filter(|c| c.facility_id == f.id).count()).unwrap_or(u64::MAX),
                beds: t.beds,
                standard_capacity: t.standard_capacity,
                floor_capacity: t.floor_capacity,
                non_compliant_cells: t.non_compliant_cells,
                in_custody: held.get(f.id.as_str()).copied().map_or(0, count),
            })
            .collect())
    }

    /// The cells of a facility with their capacities and occupants.
    pub async fn facility_cells(
        &self,
        who: &Principal,
        agreement_id: &str,
        facility_id: &str,
    ) -> AppResult<Vec<CellFigures>> {
        let agreement = self.facility_in_scope(who, agreement_id, facility_id).await?.agreement;
        let facts = self.alert_facts(agreement_id).await?;
        let held = held_by_cell(&facts.rows);
        Ok(facts
            .cells
            .iter()
            .filter(|c| c.facility_id.as_str() == facility_id)
            .map(|cell| {
                let capacity = cell.capacity(&agreement.standards);
                let here = held.get(&(facility_id, cell.cell_id.as_str())).copied().unwrap_or(0);
                CellFigures {
                    standard_capacity: capacity.standard,
                    floor_capacity: capacity.floor,
                    non_compliant: capacity.non_compliant,
                    occupants: u64::from(here),
                    cell: cell.clone(),
                }
            })
            .collect())
    }

    /// Imports a cells file (docs/capacity.md#cell-changes). The file lists all the cells of each
    /// facility it names (with a facility given, of that facility): a facility without cells has
    /// them registered at once; for one with cells, any difference (added, changed or removed
    /// cells) is proposed and takes effect only when a second user confirms it; the same cells
    /// write nothing. A bad row means nothing is written.
    pub async fn import_cells(
        &self,
        who: &Principal,
        upload: &CellsUpload<'_>,
        now: &Timestamp,
    ) -> AppResult<CellsImported> {
        let agreement_id = upload.agreement_id;
        if agreement_id.is_empty() || agreement_id.len() > MAX_AGREEMENT_ID_BYTES {
            return Err(AppError::invalid("agreement_id", crate::fields::length(MAX_AGREEMENT_ID_BYTES)));
        }
        let record = match upload.facility_id {
            Some(facility) => self.facility_in_scope(who, agreement_id, facility).await?,
            None => self.agreement(who, agreement_id).await?,
        };
        who.require(Capability::ManageCells)?;
        let cells = read_cells(who, upload, &record.agreement)?;
        let by = actor(who, now, None);
        let mut facilities = Vec::new();
        for facility in &record.agreement.facilities {
            let id = facility.id.as_str();
            let of_facility: Vec<Cell> = cells.iter().filter(|c| c.facility_id.as_str() == id).cloned().collect();
            if upload.facility_id != Some(id) && of_facility.is_empty() {
                continue;
            }
            let outcome = self.store().submit_cells(agreement_id, id, &of_facility, &by).await?;
            facilities.push((id.to_owned(), outcome));
        }
        Ok(CellsImported { rows: u64::try_from(cells.len()).unwrap_or(u64::MAX), facilities })
    }

    /// The cell changes of an agreement in the caller's facility scope, pending ones first.
    pub async fn cell_changes(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<CellChangeRow>> {
        self.agreement(who, agreement_id).await?;
        let mut changes: Vec<CellChangeRow> = self
            .store()
            .cell_changes(agreement_id)
            .await?
            .into_iter()
            .filter(|c| who.sees(agreement_id, Some(c.facility_id.as_str())))
            .collect();
        changes.sort_by_key(|c| (c.confirmed_by.is_some(), c.id));
        Ok(changes)
    }

    /// Confirms a pending cell change (docs/capacity.md#cell-changes): a user other than its
    /// proposer, who may change cells in that facility; it takes effect at once. Refused
    /// `TWO_PERSON_RULE` for the proposer, `ALREADY_CONFIRMED`, `STALE` when the facility's cells
    /// changed since it was proposed, `CELL_OCCUPIED` when it removes a cell someone is held in.
    pub async fn confirm_cell_change(&self, who: &Principal, id: i64, now: &Timestamp) -> AppResult<CellChangeRow> {
        let missing = || AppError::no_such("cell-change", id);
        let change = self.store().cell_change(id).await?.ok_or_else(missing)?;
        match self.facility_in_scope(who, &change.agreement_id, &change.facility_id).await {
            Err(AppError::NotFound(_)) => return Err(missing()),
            other => other?,
        };
        who.require(Capability::ManageCells)?;
        if let Some(by) = &change.confirmed_by {
            return Err(AppError::rule(
                "ALREADY_CONFIRMED",
                Text::new("ALREADY_CONFIRMED").arg("what", "cell-change").arg("id", id.to_string()).arg("by", by),
            ));
        }
        if user_name_key(&change.proposed_by) == user_name_key(&who.name) {
            return Err(AppError::rule(
                "TWO_PERSON_RULE",
                Text::new("TWO_PERSON_RULE")
                    .arg("what", "cell-change")
                    .arg("id", id.to_string())
                    .arg("by", &change.proposed_by),
            ));
        }
        let held = self.occupants(&change.agreement_id).await?;
        let occupied: Vec<&str> = change
            .diff
            .removed
            .iter()
            .filter(|c| held.iter().any(|(f, h)| *f == change.facility_id && h.as_deref() == Some(c.cell_id.as_str())))
            .map(|c| c.cell_id.as_str())
            .collect();
        if !occupied.is_empty() {
            return Err(AppError::rule(
                "CELL_OCCUPIED",
                Text::new("CELL_OCCUPIED").arg("id", id.to_string()).arg("cells", occupied.join(", ")),
            ));
        }
        self.store().confirm_cell_change(id, &actor(who, now, None)).await.map_err(|e| match e {
            StoreError::Refused(m) if m.starts_with("two-person rule") => crate::error::two_person_detail(m),
            StoreError::Refused(m) if m.contains("already confirmed") => {
                AppError::rule("ALREADY_CONFIRMED", Text::new("ALREADY_CONFIRMED.detail").arg("detail", m))
            }
            StoreError::Stale(m) => AppError::rule("STALE", Text::new("STALE").arg("detail", m)),
            other => other.into(),
        })
    }

    /// The per-cell alerts on `on` (docs/capacity.md#alerts-per-cell) of the cells in the caller's
    /// scope; subjects are `cell-<facility>/<cell>`. Occupancy comes from the cases held now; the
    /// override of a cell is the latest placement into it made with an override, dated in the
    /// facility's time zone.
    pub(crate) fn cell_alerts(
        who: &Principal,
        agreement: &Agreement,
        facts: &AlertFacts,
        on: Date,
    ) -> AppResult<Vec<Alert>> {
        let agreement_id = agreement.id.as_str();
        let AlertFacts { rows, cells, .. } = facts;
        let overrides = OverrideDays::of(agreement, facts)?;
        let occupants = held_by_cell(rows);
        let seen: Vec<&Cell> = cells.iter().filter(|c| who.sees(agreement_id, Some(c.facility_id.as_str()))).collect();
        let subjects: Vec<String> =
            seen.iter().map(|c| format!("cell-{}/{}", c.facility_id.as_str(), c.cell_id)).collect();
        let facts: Vec<CellFacts<'_>> = seen
            .iter()
            .zip(&subjects)
            .map(|(c, subject)| {
                let key = (c.facility_id.as_str(), c.cell_id.as_str());
                CellFacts {
                    subject,
                    area_m2: c.area_m2,
                    capacity: c.capacity(&agreement.standards),
                    occupants: occupants.get(&key).copied().unwrap_or(0),
                    override_on: overrides.days.get(&(key.0.to_owned(), key.1.to_owned())).copied(),
                }
            })
            .collect();
        Ok(cell_alerts(&facts, agreement.custody.override_max_days, on))
    }
}

/// The day of the latest placement made with an override, per (facility, cell), and the
/// facilities' time zones those days are reckoned in.
#[derive(Clone, Debug)]
pub(crate) struct OverrideDays {
    zones: Vec<(String, String)>,
    days: HashMap<(String, String), Date>,
}

impl OverrideDays {
    /// The override days of `facts` in `agreement`'s zones: computed once per facts (every alerts
    /// call and scheduler tick would otherwise scan every custody step again) and kept with them;
    /// computed afresh, and not kept, if the agreement's zones are not the ones they were kept for.
    fn of<'f>(agreement: &Agreement, facts: &'f AlertFacts) -> AppResult<Cow<'f, OverrideDays>> {
        let zones: Vec<(String, String)> =
            agreement.facilities.iter().map(|f| (f.id.as_str().to_owned(), f.time_zone.name().to_owned())).collect();
        if let Some(kept) = facts.override_days.get() {
            if kept.zones == zones {
                return Ok(Cow::Borrowed(kept));
            }
            return Ok(Cow::Owned(OverrideDays { days: override_days(agreement, &facts.transitions)?, zones }));
        }
        let computed = OverrideDays { days: override_days(agreement, &facts.transitions)?, zones };
        if let Err(computed) = facts.override_days.set(computed) {
            return Ok(Cow::Owned(computed)); // another call kept its own meanwhile
        }
        facts.override_days.get().map(Cow::Borrowed).ok_or_else(|| AppError::Internal("override days not kept".into()))
    }
}

/// The day of the latest placement made with an override, per (facility, cell), from the
/// `case.transition` events: the `occurred_at` instant's calendar day in the facility's zone.
fn override_days(agreement: &Agreement, transitions: &[String]) -> AppResult<HashMap<(String, String), Date>> {
    let mut days = HashMap::new();
    for body in transitions.iter().filter(|b| may_carry_override(b)) {
        let event = crate::transition::Transition::read(body)?;
        if !event.has_override() {
            continue;
        }
        let (Some(facility), Some(cell)) = (event.data.facility_id.as_deref(), event.record()?.cell_id) else {
            continue;
        };
        let at = Timestamp::parse(event.occurred_at().unwrap_or_default())
            .map_err(|e| AppError::Internal(format!("a case.transition event has no readable occurred_at: {e}")))?;
        let day = agreement.time_zone_of(facility).local_date(at.unix_seconds());
        days.insert((facility.to_owned(), cell.into_owned()), day);
    }
    Ok(days)
}

/// Whether a `case.transition` event's canonical JSON may carry an override: some `"override":`
/// key whose value is not `null`. Every call of the cell alerts reads every custody step, and most
/// carry none (at 10,000 people in custody, parsing them all was a quarter of an alerts request);
/// a step with `"override":null` only is not parsed. The key's quotes cannot come from inside a
/// string value, which escapes them (`\"override\"`).
fn may_carry_override(body: &str) -> bool {
    const KEY: &str = "\"override\":";
    body.match_indices(KEY).any(|(at, _)| !body[at + KEY.len()..].starts_with("null"))
}

/// The people held (in custody or with their return scheduled) in each cell, by facility and cell.
fn held_by_cell(rows: &[CaseWithPerson]) -> HashMap<(&str, &str), u32> {
    let mut occupants: HashMap<(&str, &str), u32> = HashMap::new();
    for r in rows.iter().filter(|r| r.case.case.state.holds_place()) {
        if let (Some(f), Some(c)) = (r.case.facility_id.as_deref(), r.case.case.cell_id.as_deref()) {
            let n = occupants.entry((f, c)).or_insert(0);
            *n = n.saturating_add(1);
        }
    }
    occupants
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;

    #[test]
    fn only_steps_with_an_override_are_parsed_for_override_days() {
        assert!(!may_carry_override(r#"{"data":{"action":"admit","override":null,"reason":"ARRIVED"}}"#));
        assert!(may_carry_override(r#"{"data":{"action":"admit","override":{"approval_id":3},"reason":"ARRIVED"}}"#));
        // A value that spells the key inside a string has its quotes escaped: not a key.
        assert!(!may_carry_override(r#"{"data":{"note":"\"override\":{\"x\":1}","override":null}}"#));
        // Any non-null occurrence is enough to parse the step.
        assert!(may_carry_override(r#"{"a":{"override":null},"data":{"override":{"approval_id":1}}}"#));
        assert!(!may_carry_override(r#"{"data":{"action":"move"}}"#));
    }

    fn cecot() -> Agreement {
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/agreements/us-sv-cecot.toml"))
                .unwrap();
        Agreement::from_toml(&source).unwrap()
    }

    fn officer(facilities: Option<Vec<String>>) -> Principal {
        Principal { name: "officer".into(), role: Role::FacilityOfficer, agreements: None, facilities, language: None }
    }

    fn upload<'a>(bytes: &'a [u8], facility_id: Option<&'a str>) -> CellsUpload<'a> {
        CellsUpload { agreement_id: "us-sv-cecot", facility_id, bytes, delimiter: None }
    }

    #[test]
    fn every_bad_row_is_listed_by_line_and_the_first_column_at_fault_is_the_field() {
        let (a, who) = (cecot(), officer(None));
        let ok = "\u{feff}facility_id,cell_id,unit,kind,area_m2,beds\ncecot,B1,u,shared,100,80\n\ncecot,S1,u,single,5.99,1\n";
        assert_eq!(read_cells(&who, &upload(ok.as_bytes(), Some("cecot")), &a).unwrap().len(), 2);
        let bad = "facility_id,cell_id,unit,kind,area_m2,beds\ncecot,B1,u,shared,100,80\ncecot,B2,u,triple,100,80\n\
                   izalco,B3,u,shared,100,80\ncecot,B1,u,shared,100,80\n";
        let Err(AppError::Invalid { field, message }) = read_cells(&who, &upload(bad.as_bytes(), Some("cecot")), &a)
        else {
            panic!("bad rows must be refused")
        };
        assert_eq!(field, "kind");
        assert!(message.to_string().starts_with("3 cell rows cannot be used: nothing was imported"), "{message}");
        assert!(message.to_string().contains("line 3: kind:"), "{message}");
        assert!(message.to_string().contains("line 4: facility_id:"), "{message}");
        assert!(message.to_string().contains("line 5: cell_id: B1 is listed twice"), "{message}");
        let field_of = |bytes: &[u8]| match read_cells(&who, &upload(bytes, None), &a) {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field_of(b""), "csv");
        assert_eq!(field_of(b"facility_id,cell_id\n"), "csv");
    }

    #[test]
    fn rows_of_a_facility_outside_the_caller_s_scope_are_refused() {
        let a = cecot();
        let csv = b"facility_id,cell_id,unit,kind,area_m2,beds\ncecot,B1,u,shared,100,80\n";
        let elsewhere = officer(Some(vec!["izalco".into()]));
        let Err(AppError::Invalid { field, message }) = read_cells(&elsewhere, &upload(csv, None), &a) else {
            panic!("a cell outside the scope must be refused")
        };
        assert_eq!(field, "facility_id");
        assert!(message.to_string().contains("line 2: facility_id: \"cecot\" is outside your scope"), "{message}");
        let here = officer(Some(vec!["cecot".into()]));
        assert_eq!(read_cells(&here, &upload(csv, None), &a).unwrap().len(), 1);
    }
}
