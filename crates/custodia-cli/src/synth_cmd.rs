//! `custodia synth persons`: deterministic synthetic person files.

use clap::{Args, Subcommand};
use custodia_core::synth;
use rayon::prelude::*;

use crate::CmdResult;
use crate::output::AtomicOutput;

/// Most rows one run writes (a limit: 100 million rows is about 15 GB).
const MAX_ROWS: u64 = 100_000_000;
const BLOCK_ROWS: u64 = 16_384;

/// `custodia synth` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum SynthCommand {
    /// Write a synthetic person file (docs/person-file.md columns), identical for the same seed.
    #[command(long_about = PERSONS_ABOUT)]
    Persons(PersonsArgs),
    /// Write a synthetic stays file for `custodia invoice`, drawn over an agreement's term.
    #[command(long_about = STAYS_ABOUT)]
    Stays(StaysArgs),
}

const STAYS_ABOUT: &str = "\
Write a synthetic stays file (person_id,facility_id,security_class,admitted_on,released_on, the
`custodia invoice` columns) over the term and facilities of an agreement, for demos and
benchmarks. The same --count and --seed give the same file.

Distributions: admissions uniform from 60 days before the term to its last day; 0.5% released the
day they came; 15% still open; the rest held 30-1800 days, skewed short; security classes as in
`synth persons`.";

/// Arguments of `custodia synth stays`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  custodia synth stays --agreement examples/agreements/us-sv-cecot.toml --count 1000 --seed 1 --out stays.csv"
)]
pub(crate) struct StaysArgs {
    /// The agreement file (TOML) whose term and facilities the stays are drawn over.
    #[arg(long, value_name = "FILE")]
    agreement: std::path::PathBuf,
    /// Number of rows (at most 100,000,000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_ROWS))]
    count: u64,
    /// Seed; the same seed gives the same file.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Output file (written atomically); standard output when absent.
    #[arg(long, value_name = "FILE")]
    out: Option<std::path::PathBuf>,
}

const PERSONS_ABOUT: &str = "\
Write a synthetic person file (docs/person-file.md columns) for demos, tests and benchmarks. The file is the
same for the same --count and --seed on any machine, and the first N rows of a larger file equal
the file of N rows.

Distributions (illustrative, not statistics of a real population), around the reference date
2025-06-01:
  nationalities   US 35%, VE 20%, MX 12%, SV 8%, GT 6%, HN 6%, CO 4%, CU 3%, DO 2%, others 4%;
                  5% dual nationals
  age             0.5% aged 16-17, the rest 18-75, skewed young
  conviction      final 88%, appeal_pending 9%, none 3%
  offence         drug 30%, immigration 14%, weapons 12%, violent 10%, fraud 8%, property 7%,
                  gang 6%, sexual 5%, homicide 3%, organised_crime 2%, terrorism 0.5%,
                  national_security 0.3%, war_crimes 0.1%, other the rest
  term            life 2%; day-only 30-1500 days 8%; else months: 6-24 (30%), 25-60 (35%),
                  61-120 (20%), 121-240 (10%), 241-480 (5%), some written as years or y-m-d
  sentence start  up to 110% of the term before 2025-06-01 (most are part-way through their
                  sentence, about 1 in 11 has served it); life terms 2005-01-01 .. 2025-05-31
  jail credit     0 for 60%, else 1-400 days
  security class  minimum 15%, low 30%, medium 35%, high 15%, maximum 5%
  consent         given 40%, refused 35%, not recorded 25%
  removal order   final 45%, pending 15%, none 40%
  torture risk    no_risk 60%, risk 8%, unassessed 32%; assessed 0-400 days before 2025-06-01
  care needs      yes 12%
  missing values  each optional column empty (unknown) in 1.5% of rows, independently";

/// Arguments of `custodia synth persons`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  custodia synth persons --count 1000000 --seed 1 --out persons.csv")]
pub(crate) struct PersonsArgs {
    /// Number of rows (at most 100,000,000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=MAX_ROWS))]
    count: u64,
    /// Seed; the same seed gives the same file.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Output file (written atomically); standard output when absent.
    #[arg(long, value_name = "FILE")]
    out: Option<std::path::PathBuf>,
}

pub(crate) fn run(command: &SynthCommand) -> CmdResult {
    match command {
        SynthCommand::Persons(args) => persons(args),
        SynthCommand::Stays(args) => stays(args),
    }
}

fn stays(args: &StaysArgs) -> CmdResult {
    let agreement = crate::agreement_cmd::load(&args.agreement)?;
    let ids: Vec<&str> = agreement.facilities.iter().map(|f| f.id.as_str()).collect();
    let plan = synth::StayPlan { starts: agreement.starts, ends: agreement.ends, facilities: &ids };
    let mut sink = AtomicOutput::new(args.out.as_deref())?;
    sink.write_all(format!("{}\n", synth::STAYS_HEADER).as_bytes())?;
    write_blocks(args.count, &mut sink, |first, count, buf| synth::write_stays(&plan, args.seed, first, count, buf))?;
    sink.commit()
}

/// Writes `count` rows generated in blocks, in parallel, in order.
fn write_blocks(count: u64, sink: &mut AtomicOutput, generate: impl Fn(u64, u64, &mut Vec<u8>) + Sync) -> CmdResult {
    let blocks = count.div_ceil(BLOCK_ROWS);
    let batch = (rayon::current_num_threads() * 4) as u64;
    let mut buffers: Vec<Vec<u8>> = (0..batch).map(|_| Vec::with_capacity(4 << 20)).collect();
    let mut block = 0u64;
    while block < blocks {
        let n = batch.min(blocks - block) as usize;
        let first_block = block;
        buffers.get_mut(..n).unwrap_or_default().par_iter_mut().enumerate().for_each(|(i, buf)| {
            buf.clear();
            let first = (first_block + i as u64) * BLOCK_ROWS;
            generate(first, BLOCK_ROWS.min(count - first), buf);
        });
        for buf in buffers.get(..n).unwrap_or_default() {
            sink.write_all(buf)?;
        }
        block += n as u64;
    }
    Ok(())
}

fn persons(args: &PersonsArgs) -> CmdResult {
    let mut sink = AtomicOutput::new(args.out.as_deref())?;
    let mut header = Vec::new();
    synth::write_header(&mut header);
    sink.write_all(&header)?;
    write_blocks(args.count, &mut sink, |first, count, buf| synth::write_rows(args.seed, first, count, buf))?;
    sink.commit()
}
