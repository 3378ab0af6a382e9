//! `custodia cells`: the cell changes of an agreement's facilities (docs/capacity.md#cell-changes)
//! — a change to registered cells is proposed by one user and takes effect when a second confirms it.

use std::io::Write;

use clap::Subcommand;
use custodia_app::cells::CellsImported;
use custodia_core::capacity::Cell;
use custodia_store::{CellChangeRow, CellsSubmitted};

use crate::CmdResult;
use crate::register_cmd::{RegisterArgs, app_failure, block_on, open};

/// `custodia cells` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum CellsCommand {
    /// List the cell changes of an agreement's facilities in your scope, pending first, with each
    /// added, changed (before → after) and removed cell.
    Changes {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Confirm a cell change another user proposed; it takes effect at once. Refused
    /// TWO_PERSON_RULE for its proposer, ALREADY_CONFIRMED, STALE when the facility's cells changed
    /// since it was proposed, CELL_OCCUPIED when it removes a cell someone is held in.
    Confirm {
        /// The change id (`custodia cells changes` lists them).
        id: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

pub(crate) fn run(command: &CellsCommand) -> CmdResult {
    match command {
        CellsCommand::Changes { agreement, register } => block_on(async {
            let s = open(register).await?;
            let changes = s.app.cell_changes(&s.who, agreement).await;
            s.app.close().await;
            let changes = changes.map_err(app_failure)?;
            let mut out = std::io::stdout().lock();
            if changes.is_empty() {
                writeln!(out, "no cell changes")?;
            }
            for c in &changes {
                write_change(&mut out, c)?;
            }
            Ok(())
        }),
        CellsCommand::Confirm { id, register } => block_on(async {
            let s = open(register).await?;
            let change = s.app.confirm_cell_change(&s.who, *id, &s.now).await;
            s.app.close().await;
            let change = change.map_err(app_failure)?;
            writeln!(
                std::io::stdout().lock(),
                "cell change {} confirmed: the cells of {} are changed ({})",
                change.id,
                change.facility_id,
                counts(&change)
            )?;
            Ok(())
        }),
    }
}

/// One line per facility an import concerned: registered, unchanged or a change proposed.
pub(crate) fn write_imported(out: &mut impl Write, imported: &CellsImported) -> std::io::Result<()> {
    for (facility, outcome) in &imported.facilities {
        match outcome {
            CellsSubmitted::Unchanged => writeln!(out, "cells of {facility}: unchanged")?,
            CellsSubmitted::Registered { added } => writeln!(out, "cells of {facility}: {added} registered")?,
            CellsSubmitted::Proposed(change) => writeln!(
                out,
                "cells of {facility}: change {} proposed ({}); it takes effect when another user confirms it: \
                 custodia cells confirm {}",
                change.id,
                counts(change),
                change.id
            )?,
        }
    }
    Ok(())
}

fn counts(change: &CellChangeRow) -> String {
    format!(
        "{} added, {} changed, {} removed",
        change.diff.added.len(),
        change.diff.changed.len(),
        change.diff.removed.len()
    )
}

fn describe(cell: &Cell) -> String {
    format!("{} {} m² {} beds (unit {})", cell.kind.as_str(), cell.area_m2, cell.beds, cell.unit)
}

fn write_change(out: &mut impl Write, c: &CellChangeRow) -> std::io::Result<()> {
    let state = match &c.confirmed_by {
        Some(by) => format!("confirmed by {by} at {}", c.confirmed_at.as_deref().unwrap_or("")),
        None => "PENDING".into(),
    };
    writeln!(
        out,
        "{:>4}  {:<16} {}  proposed by {} at {}  {state}",
        c.id,
        c.facility_id,
        counts(c),
        c.proposed_by,
        c.proposed_at
    )?;
    for cell in &c.diff.added {
        writeln!(out, "        added   {}: {}", cell.cell_id, describe(cell))?;
    }
    for (before, after) in &c.diff.changed {
        writeln!(out, "        changed {}: {} → {}", after.cell_id, describe(before), describe(after))?;
    }
    for cell in &c.diff.removed {
        writeln!(out, "        removed {}: {}", cell.cell_id, describe(cell))?;
    }
    Ok(())
}
