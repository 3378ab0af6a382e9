//! Cells and space standards, docs/capacity.md: standard and floor capacity from floor area, exactly.
//!
//! Standards: CPT 4 m² per person in a shared cell and 6 m² for a single cell (sanitary annex
//! excluded); below 3 m² per person the European Court of Human Rights presumes degrading treatment
//! (Muršić v. Croatia, 2016). All divisions are exact decimal arithmetic.

use crate::agreement::{Agreement, Standards};
use crate::csv::{Delimiter, Fields};
use crate::decimal::Decimal;
use crate::ids::FacilityId;
use crate::table::{Columns, Header, Table};

/// Whether a cell holds one person or several.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    /// One person.
    Single,
    /// Several people.
    Shared,
}

impl CellKind {
    /// `single` or `shared`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Shared => "shared",
        }
    }

    /// Parses `single` or `shared`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "single" => Some(Self::Single),
            "shared" => Some(Self::Shared),
            _ => None,
        }
    }
}

/// One cell of a facility.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The facility (named by the agreement).
    pub facility_id: FacilityId,
    /// The cell's id, unique within its facility.
    pub cell_id: String,
    /// Building, wing or unit (free text).
    pub unit: String,
    /// Single or shared.
    pub kind: CellKind,
    /// Net floor area without the sanitary annex.
    pub area_m2: Decimal,
    /// Beds or bunks.
    pub beds: u32,
}

/// A cell's capacities under the agreement's standards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellCapacity {
    /// Places within the standard.
    pub standard: u32,
    /// Places within the absolute floor (between standard and floor only with a two-person override).
    pub floor: u32,
    /// Below the standard for its kind (a single cell under the minimum area, or a shared cell
    /// with room for nobody at the standard).
    pub non_compliant: bool,
}

/// Largest number of beds in one cell (a limit; CECOT's cells have 80 bunks).
pub const MAX_BEDS_PER_CELL: u32 = 10_000;
/// Longest cell id or unit, bytes.
pub const MAX_CELL_TEXT_BYTES: usize = 200;

fn places(area: Decimal, per_person: Decimal) -> u32 {
    u32::try_from(area.div_floor(per_person).unwrap_or(0)).unwrap_or(u32::MAX)
}

impl Cell {
    /// Capacities under `standards` (docs/capacity.md).
    pub fn capacity(&self, standards: &Standards) -> CellCapacity {
        match self.kind {
            CellKind::Single => {
                let fits = self.area_m2 >= standards.single_cell_min_m2;
                let standard = u32::from(fits);
                CellCapacity { standard, floor: standard, non_compliant: !fits }
            }
            CellKind::Shared => {
                let standard = self.beds.min(places(self.area_m2, standards.shared_m2_per_person));
                let floor = self.beds.min(places(self.area_m2, standards.floor_m2_per_person));
                CellCapacity { standard, floor, non_compliant: standard == 0 }
            }
        }
    }
}

/// The columns of a cells file.
pub const CELL_COLUMNS: [&str; 6] = ["facility_id", "cell_id", "unit", "kind", "area_m2", "beds"];

/// Most rows one cells file may have (a limit: a facility has hundreds of cells, not millions).
pub const MAX_CELL_ROWS: usize = 100_000;

/// A cells file read whole: the valid cells with their line numbers, and every row that cannot be
/// used, by line, in file order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CellsFile {
    /// Valid cells and the line each starts on.
    pub cells: Vec<(u64, Cell)>,
    /// Rows that cannot be used: the line and the problem (`column: …` when a column is at fault).
    pub problems: Vec<(u64, String)>,
}

/// Reads a cells file (`docs/capacity.md` columns, in any order) through [`crate::table`]: a
/// byte-order mark, any line ending and blank lines are accepted, the delimiter is `delimiter` or
/// detected from the header. A cell listed twice for a facility is a problem of the later row.
/// Errors when the file cannot be read at all: no header, a bad header, or more than
/// [`MAX_CELL_ROWS`] rows.
pub fn read_cells_file(bytes: &[u8], agreement: &Agreement, delimiter: Option<Delimiter>) -> Result<CellsFile, String> {
    let table = Table::read(bytes, delimiter, CellHeader::COLUMNS).map_err(|e| e.to_string())?;
    let header = CellHeader { header: table.header().clone() };
    let mut out = CellsFile::default();
    let mut seen = std::collections::HashSet::new();
    let mut rows = table.rows();
    while let Some(row) = rows.next() {
        if out.cells.len() + out.problems.len() >= MAX_CELL_ROWS {
            return Err(format!("more than {MAX_CELL_ROWS} rows: send the file in parts"));
        }
        if let Some(fault) = &row.fault {
            out.problems.push((row.line, fault.message(table.header())));
            continue;
        }
        match header.parse(&row.fields, agreement) {
            Ok(cell) => {
                if seen.insert((cell.facility_id.clone(), cell.cell_id.clone())) {
                    out.cells.push((row.line, cell));
                } else {
                    out.problems.push((
                        row.line,
                        format!("cell_id: {} is listed twice for {}", cell.cell_id, cell.facility_id),
                    ));
                }
            }
            Err(e) => out.problems.push((row.line, e)),
        }
    }
    Ok(out)
}

/// Where each column is in a cells file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellHeader {
    header: Header,
}

impl CellHeader {
    /// Every column of [`CELL_COLUMNS`] is required; others are ignored.
    pub const COLUMNS: Columns<'static> = Columns { known: &CELL_COLUMNS, required: &CELL_COLUMNS };

    /// Maps header names.
    pub fn from_names<'a, I: IntoIterator<Item = &'a [u8]>>(names: I) -> Result<Self, String> {
        Header::resolve(names, Self::COLUMNS).map(|header| Self { header }).map_err(|e| e.to_string())
    }

    /// Parses one row (with the header's number of fields) against the agreement (its facility
    /// must be one the agreement names).
    pub fn parse(&self, fields: &Fields<'_>, agreement: &Agreement) -> Result<Cell, String> {
        if fields.len() != self.header.field_count() {
            return Err(format!("row has {} fields but the header has {}", fields.len(), self.header.field_count()));
        }
        let get = |i: usize| -> Result<&str, String> {
            let column = CELL_COLUMNS.get(i).copied().unwrap_or("?");
            let raw = self.header.position(i).and_then(|p| fields.get(p)).unwrap_or_default();
            let text = std::str::from_utf8(raw).map_err(|_| format!("{column}: is not valid UTF-8"))?;
            if text.len() > MAX_CELL_TEXT_BYTES {
                return Err(format!("{column}: is longer than {MAX_CELL_TEXT_BYTES} bytes"));
            }
            Ok(text)
        };
        let facility = get(0)?;
        let facility_id = agreement
            .facility(facility)
            .map(|f| f.id.clone())
            .ok_or_else(|| format!("facility_id: {facility:?} is not a facility of agreement {}", agreement.id))?;
        let cell_id = get(1)?;
        if cell_id.is_empty() {
            return Err("cell_id: must not be empty".into());
        }
        let kind_text = get(3)?;
        let kind =
            CellKind::parse(kind_text).ok_or_else(|| format!("kind: {kind_text:?} is not one of: single, shared"))?;
        let area_text = get(4)?;
        let area_m2 = Decimal::parse(area_text).map_err(|e| format!("area_m2: {area_text:?} {e}"))?;
        let beds_text = get(5)?;
        let beds = if !beds_text.is_empty() && beds_text.bytes().all(|b| b.is_ascii_digit()) {
            beds_text.parse::<u32>().ok().filter(|b| *b <= MAX_BEDS_PER_CELL)
        } else {
            None
        }
        .ok_or_else(|| format!("beds: {beds_text:?} is not a whole number from 0 to {MAX_BEDS_PER_CELL}"))?;
        Ok(Cell { facility_id, cell_id: cell_id.to_owned(), unit: get(2)?.to_owned(), kind, area_m2, beds })
    }
}

/// A facility's figures (docs/capacity.md, docs/command-line.md `capacity`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FacilityCapacity {
    /// The facility.
    pub facility_id: FacilityId,
    /// What the operator claims (from the agreement).
    pub stated_capacity: u32,
    /// Beds over all cells, single ones included.
    pub beds: u64,
    /// Sum of the cells' standard capacities.
    pub standard_capacity: u64,
    /// Sum of the cells' floor capacities.
    pub floor_capacity: u64,
    /// Number of non-compliant cells.
    pub non_compliant_cells: u64,
}

/// Sums the cells per facility, in the agreement's facility order; a facility without cells reports
/// zeros.
pub fn facility_capacities<'a>(
    agreement: &Agreement,
    cells: impl IntoIterator<Item = &'a Cell>,
) -> Vec<FacilityCapacity> {
    let mut out: Vec<FacilityCapacity> = agreement
        .facilities
        .iter()
        .map(|f| FacilityCapacity {
            facility_id: f.id.clone(),
            stated_capacity: f.stated_capacity,
            beds: 0,
            standard_capacity: 0,
            floor_capacity: 0,
            non_compliant_cells: 0,
        })
        .collect();
    for cell in cells {
        let capacity = cell.capacity(&agreement.standards);
        if let Some(total) = out.iter_mut().find(|t| t.facility_id == cell.facility_id) {
            total.beds += u64::from(cell.beds);
            total.standard_capacity += u64::from(capacity.standard);
            total.floor_capacity += u64::from(capacity.floor);
            total.non_compliant_cells += u64::from(capacity.non_compliant);
        }
    }
    out
}

/// A change to one facility's cells (docs/capacity.md#cell-changes): what a cells file would do
/// to the cells registered there, each list in cell-id order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CellsDiff {
    /// Cells in the file and not registered.
    pub added: Vec<Cell>,
    /// Registered cells the file changes (unit, kind, area or beds): `(before, after)`.
    pub changed: Vec<(Cell, Cell)>,
    /// Registered cells the file no longer lists.
    pub removed: Vec<Cell>,
}

impl CellsDiff {
    /// True when the file is what is registered.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// The change that turns a facility's registered cells (`before`) into the cells of a file listing
/// all of that facility's cells (`after`). Cells are matched by id; both lists are of one facility.
pub fn cells_diff(before: &[Cell], after: &[Cell]) -> CellsDiff {
    use std::collections::BTreeMap;
    let old: BTreeMap<&str, &Cell> = before.iter().map(|c| (c.cell_id.as_str(), c)).collect();
    let new: BTreeMap<&str, &Cell> = after.iter().map(|c| (c.cell_id.as_str(), c)).collect();
    let mut diff = CellsDiff::default();
    for (id, cell) in &new {
        match old.get(id) {
            None => diff.added.push((*cell).clone()),
            Some(was) if *was != *cell => diff.changed.push(((*was).clone(), (*cell).clone())),
            Some(_) => {}
        }
    }
    diff.removed = old.iter().filter(|(id, _)| !new.contains_key(*id)).map(|(_, c)| (*c).clone()).collect();
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(kind: CellKind, area: &str, beds: u32) -> Cell {
        Cell {
            facility_id: FacilityId::parse("f").unwrap(),
            cell_id: "c".into(),
            unit: String::new(),
            kind,
            area_m2: Decimal::parse(area).unwrap(),
            beds,
        }
    }

    fn standards(shared: &str, single: &str, floor: &str) -> Standards {
        Standards {
            shared_m2_per_person: Decimal::parse(shared).unwrap(),
            single_cell_min_m2: Decimal::parse(single).unwrap(),
            floor_m2_per_person: Decimal::parse(floor).unwrap(),
        }
    }

    #[test]
    fn cecot_cell_at_cpt_and_floor() {
        let c = cell(CellKind::Shared, "100", 80).capacity(&Standards::default());
        assert_eq!((c.standard, c.floor, c.non_compliant), (25, 33, false));
    }

    #[test]
    fn beds_cap_both_capacities() {
        let c = cell(CellKind::Shared, "100", 10).capacity(&Standards::default());
        assert_eq!((c.standard, c.floor), (10, 10));
    }

    #[test]
    fn decimals_are_exact() {
        // 10.2 / 3.4 is exactly 3; in binary floating point it is 2.9999999999999996.
        let s = standards("3.4", "5.4", "3");
        assert_eq!(cell(CellKind::Shared, "10.2", 9).capacity(&s).standard, 3);
        assert_eq!(cell(CellKind::Single, "5.4", 1).capacity(&s).standard, 1);
        assert!(cell(CellKind::Single, "5.39", 1).capacity(&s).non_compliant);
    }

    #[test]
    fn single_cells_below_the_minimum_and_tiny_shared_cells_are_flagged() {
        let s = Standards::default();
        let single = cell(CellKind::Single, "5.99", 1).capacity(&s);
        assert_eq!((single.standard, single.floor, single.non_compliant), (0, 0, true));
        let ok = cell(CellKind::Single, "6", 1).capacity(&s);
        assert_eq!((ok.standard, ok.floor, ok.non_compliant), (1, 1, false));
        let tiny = cell(CellKind::Shared, "3.99", 4).capacity(&s);
        assert_eq!((tiny.standard, tiny.floor, tiny.non_compliant), (0, 1, true));
    }

    #[test]
    fn a_cells_file_is_diffed_against_the_registered_cells_by_id() {
        let named = |id: &str, area: &str, beds: u32| Cell { cell_id: id.into(), ..cell(CellKind::Shared, area, beds) };
        let before = [named("a", "9", 4), named("b", "20", 5), named("c", "12", 3)];
        assert!(cells_diff(&before, &before).is_empty(), "the same cells change nothing");
        let after = [named("c", "12", 3), named("a", "100", 4), named("d", "8", 2)];
        let diff = cells_diff(&before, &after);
        assert_eq!(diff.added, [named("d", "8", 2)]);
        assert_eq!(diff.changed, [(named("a", "9", 4), named("a", "100", 4))]);
        assert_eq!(diff.removed, [named("b", "20", 5)]);
        let first = cells_diff(&[], &before);
        assert_eq!((first.added.len(), first.changed.len(), first.removed.len()), (3, 0, 0));
    }
}
