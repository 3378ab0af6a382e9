//! `custodia capacity`: standard and floor capacity of each facility from its cells (docs/capacity.md, docs/command-line.md).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use custodia_core::Agreement;
use custodia_core::capacity::{FacilityCapacity, facility_capacities, read_cells_file};
use serde::Serialize;

use crate::{CmdResult, Failure, agreement_cmd};

/// Largest cells file read, bytes (a limit: CECOT's 256 cells take 10 KB).
const MAX_CELLS_FILE_BYTES: u64 = 256 << 20;
/// Most problems listed before the rest are counted.
const MAX_PROBLEMS_SHOWN: usize = 1_000;

const AFTER_HELP: &str = "\
The cells file is CSV with the header facility_id,cell_id,unit,kind,area_m2,beds (any column order;
other columns are ignored). kind is single or shared; area_m2 is the net floor area without the
sanitary annex, a decimal such as 100 or 12.5; beds is a whole number.

Standard capacity of a shared cell = min(beds, floor(area_m2 / shared_m2_per_person)); of a single
cell 1 if area_m2 >= single_cell_min_m2, else 0 and the cell is non-compliant. Floor capacity of a
shared cell = min(beds, floor(area_m2 / floor_m2_per_person)); of a single cell its standard
capacity. A shared cell whose standard capacity is 0 is non-compliant too. The standards are the
agreement's [standards] (CPT defaults: 4, 6 and 3 m²). All arithmetic is exact.

Any row that cannot be read, or a cell of a facility the agreement does not name, makes the command
fail (exit 2) listing every such row; nothing is printed on standard output.

Example:
  custodia capacity --agreement examples/agreements/us-sv-cecot.toml --cells examples/cells/cecot.csv --json";

/// Arguments of `custodia capacity`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct CapacityArgs {
    /// The agreement file (TOML): facilities, stated capacities and space standards.
    #[arg(long, value_name = "FILE")]
    agreement: PathBuf,
    /// The cells file (CSV).
    #[arg(long, value_name = "FILE")]
    cells: PathBuf,
    /// Print the JSON contract of docs/command-line.md instead of a table.
    #[arg(long)]
    json: bool,
    /// Field delimiter of the cells file: `,` or `;` (default: detected from the header line).
    #[arg(long, value_name = ",|;", value_parser = crate::screen_cmd::parse_delimiter_arg)]
    delimiter: Option<custodia_core::csv::Delimiter>,
}

/// The JSON contract of docs/command-line.md, keys in this order.
#[derive(Debug, Serialize)]
struct CapacityJson<'a> {
    agreement_id: &'a str,
    facilities: Vec<FacilityJson<'a>>,
}

#[derive(Debug, Serialize)]
struct FacilityJson<'a> {
    facility_id: &'a str,
    stated_capacity: u32,
    beds: u64,
    standard_capacity: u64,
    floor_capacity: u64,
    non_compliant_cells: u64,
}

/// The bytes of a cells file, refused when larger than the limit.
pub(crate) fn read_cells_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    let shown = path.display();
    let size = std::fs::metadata(path).map_err(|e| Failure::Input(format!("{shown}: cannot read: {e}")))?.len();
    if size > MAX_CELLS_FILE_BYTES {
        return Err(Failure::Input(format!("{shown}: larger than {} MiB", MAX_CELLS_FILE_BYTES >> 20)));
    }
    std::fs::read(path).map_err(|e| Failure::Input(format!("{shown}: cannot read: {e}")))
}

pub(crate) fn read_cells(
    path: &Path,
    agreement: &Agreement,
    delimiter: Option<custodia_core::csv::Delimiter>,
) -> Result<Vec<custodia_core::capacity::Cell>, Failure> {
    let shown = path.display();
    let bytes = read_cells_bytes(path)?;
    let file = read_cells_file(&bytes, agreement, delimiter).map_err(|e| Failure::Input(format!("{shown}: {e}")))?;
    let problems: Vec<String> = file.problems.iter().map(|(line, p)| format!("{shown}:{line}: {p}")).collect();
    if !problems.is_empty() {
        let count = problems.len();
        let mut text: Vec<String> = problems.into_iter().take(MAX_PROBLEMS_SHOWN).collect();
        if count > MAX_PROBLEMS_SHOWN {
            text.push(format!("… and {} more", count - MAX_PROBLEMS_SHOWN));
        }
        return Err(Failure::Input(format!("{count} cell rows cannot be used:\n  {}", text.join("\n  "))));
    }
    Ok(file.cells.into_iter().map(|(_, cell)| cell).collect())
}

pub(crate) fn run(args: &CapacityArgs) -> CmdResult {
    let agreement = agreement_cmd::load(&args.agreement)?;
    let cells = read_cells(&args.cells, &agreement, args.delimiter)?;
    let totals = facility_capacities(&agreement, &cells);
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = CapacityJson {
            agreement_id: agreement.id.as_str(),
            facilities: totals.iter().map(facility_json).collect(),
        };
        writeln!(out, "{}", serde_json::to_string(&json).map_err(anyhow::Error::from)?)?;
    } else {
        let s = &agreement.standards;
        writeln!(
            out,
            "agreement {} — standards: shared {} m²/person, single cell ≥ {} m², floor {} m²/person",
            agreement.id, s.shared_m2_per_person, s.single_cell_min_m2, s.floor_m2_per_person
        )?;
        writeln!(
            out,
            "{:<16} {:>10} {:>10} {:>10} {:>10} {:>14}",
            "facility", "stated", "beds", "standard", "floor", "non-compliant"
        )?;
        for t in &totals {
            writeln!(
                out,
                "{:<16} {:>10} {:>10} {:>10} {:>10} {:>14}",
                t.facility_id.as_str(),
                t.stated_capacity,
                t.beds,
                t.standard_capacity,
                t.floor_capacity,
                t.non_compliant_cells
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn facility_json(t: &FacilityCapacity) -> FacilityJson<'_> {
    FacilityJson {
        facility_id: t.facility_id.as_str(),
        stated_capacity: t.stated_capacity,
        beds: t.beds,
        standard_capacity: t.standard_capacity,
        floor_capacity: t.floor_capacity,
        non_compliant_cells: t.non_compliant_cells,
    }
}
