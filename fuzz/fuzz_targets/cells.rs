//! A cells file (`capacity::read_cells_file`, docs/capacity.md) against an agreement.
//!
//! Input: an agreement, a line `%%`, a cells file. Checks: nothing panics; every cell read is in a
//! facility the agreement names, is listed once per facility, has a non-empty id, and its area
//! prints as a decimal that parses back to the same area; cells and problems come in line order
//! and within `MAX_CELL_ROWS`; a cell's capacities keep standard ≤ floor ≤ beds for a shared cell
//! and at most one place for a single cell; the facility totals equal the sums of the cells.
#![no_main]

use std::collections::HashSet;

use custodia_core::Decimal;
use custodia_core::capacity::{Cell, CellKind, MAX_CELL_ROWS, cells_diff, facility_capacities, read_cells_file};
use custodia_fuzz::{agreement, delimiter, sections};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let [agreement_text, cells_text] = sections(text, 2)[..] else { return };
    let Some(agreement) = agreement(agreement_text) else { return };
    let choice = data.len() as u8;
    let Ok(file) = read_cells_file(cells_text.as_bytes(), &agreement, delimiter(choice)) else { return };
    assert!(file.cells.len() + file.problems.len() <= MAX_CELL_ROWS);
    let mut seen = HashSet::new();
    let mut lines: Vec<u64> = Vec::new();
    for (line, cell) in &file.cells {
        lines.push(*line);
        assert!(agreement.facility(cell.facility_id.as_str()).is_some(), "cell in an unknown facility");
        assert!(!cell.cell_id.is_empty(), "a cell without an id");
        assert!(seen.insert((cell.facility_id.clone(), cell.cell_id.clone())), "a cell listed twice");
        assert_eq!(Decimal::parse(&cell.area_m2.to_string()), Ok(cell.area_m2), "area does not round-trip");
        let capacity = cell.capacity(&agreement.standards);
        match cell.kind {
            CellKind::Single => assert!(capacity.standard <= 1 && capacity.floor <= 1),
            CellKind::Shared => {
                assert!(capacity.standard <= capacity.floor, "standard above the floor: {capacity:?}");
                assert!(capacity.floor <= cell.beds, "more places than beds: {capacity:?}");
            }
        }
    }
    for (line, problem) in &file.problems {
        assert!(!problem.is_empty(), "a problem without a reason on line {line}");
        lines.push(*line);
    }
    lines.sort_unstable();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "two results for one line: {lines:?}");
    check_totals(&agreement, &file.cells.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>());
});

/// The facility totals are the sums of the cells; a facility's cells compared with themselves
/// change nothing, and compared with nothing are all added.
fn check_totals(agreement: &custodia_core::Agreement, cells: &[Cell]) {
    let totals = facility_capacities(agreement, cells);
    let beds: u64 = cells.iter().map(|c| u64::from(c.beds)).sum();
    assert_eq!(totals.iter().map(|t| t.beds).sum::<u64>(), beds, "facility beds are not the cells' sum");
    let standard: u64 = cells.iter().map(|c| u64::from(c.capacity(&agreement.standards).standard)).sum();
    assert_eq!(totals.iter().map(|t| t.standard_capacity).sum::<u64>(), standard);
    let Some(first) = cells.first() else { return };
    let one: Vec<Cell> = cells.iter().filter(|c| c.facility_id == first.facility_id).cloned().collect();
    assert!(cells_diff(&one, &one).is_empty(), "a facility's cells differ from themselves");
    assert_eq!(cells_diff(&[], &one).added.len(), one.len(), "not every cell is added to an empty facility");
}
