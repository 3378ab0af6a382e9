//! `custodia forecast`: the Monte Carlo projection of an agreement (docs/forecast.md), over a
//! person file or the register, through the application layer's one forecast.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use clap::Args;
use custodia_app::forecast::{self, ForecastReport, ForecastRequest, Population};
use custodia_core::Date;
use custodia_core::forecast::IntakeModel;

use crate::output::AtomicOutput;
use crate::register_cmd::{RegisterArgs, app_failure, block_on, open};
use crate::{CmdResult, Failure, agreement_cmd, capacity_cmd};

/// Largest person file read, bytes.
const MAX_PERSONS_FILE_BYTES: u64 = 4 << 30;

const AFTER_HELP: &str = "\
Runs R simulations of the agreement month by month from --from (default: the agreement's start
with --persons, today with --register): each month's arrivals are drawn from the eligible people of
the person file (or of the register), each held until their return is due (projected release −
return_before_release_days, counted from the screening day) or the agreement ends; the people in
custody in the register are the starting population. For each month it prints the 5th, 50th and
95th percentile (nearest rank) of the people in custody (the month's peak), the returns due, the
person-days, the amount invoiced under the fee model and the sending state's cost of the same
person-days at home; and for contracted places, standard and floor capacity (with --cells or the
register's cells) and the fee envelope, the first month in which at least 5 % of runs exceed it.
The same seed gives the same output on any number of cores. A progress bar is drawn on standard
error when it is a terminal.

Limits: runs 1 to 100,000, months 1 to 240, intake 0 to 100,000 a month, runs × months at most
2,400,000. Exit status 2 names the field at fault.

Examples:
  custodia synth persons --count 100000 --seed 1 --out persons.csv
  custodia forecast --agreement examples/agreements/us-sv-cecot.toml --persons persons.csv \\
      --cells examples/cells/cecot.csv --intake-per-month 500 --months 12 --runs 1000 --seed 1 \\
      --chart forecast.svg
  CUSTODIA_TOKEN=cst_… custodia forecast --register --agreement us-sv-cecot --intake-per-month 50 \\
      --months 24 --json";

/// Arguments of `custodia forecast`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct ForecastArgs {
    /// The agreement: its file (TOML) with --persons, its id with --register.
    #[arg(long, value_name = "FILE|ID")]
    agreement: String,
    /// Draw arrivals from the eligible people of this person file (CSV, docs/person-file.md).
    #[arg(long, value_name = "FILE", required_unless_present = "register", conflicts_with = "register")]
    persons: Option<PathBuf>,
    /// Draw arrivals from the eligible people of the register, starting from its custody.
    #[arg(long)]
    register: bool,
    /// The cells file (docs/capacity.md) giving standard and floor capacity (with --persons).
    #[arg(long, value_name = "FILE", conflicts_with = "register")]
    cells: Option<PathBuf>,
    /// Arrivals a month.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    intake_per_month: i64,
    /// Months forecast, from the month of --from.
    #[arg(long, value_name = "M", allow_negative_numbers = true)]
    months: i64,
    /// Runs.
    #[arg(long, value_name = "R", default_value_t = 1000, allow_negative_numbers = true)]
    runs: i64,
    /// The seed: the same seed gives the same forecast.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// fixed: exactly the intake each month; binomial: a count of that mean (variance 7/8 of it).
    #[arg(long, value_name = "MODEL", default_value = "fixed", value_parser = ["fixed", "binomial"])]
    intake_model: String,
    /// The first day arrivals come and the people are screened on, YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
    from: Option<Date>,
    /// The sending state's cost of one person-day at home, minor units (default: the US figure for
    /// a US agreement billed in USD).
    #[arg(long, value_name = "MINOR", allow_negative_numbers = true)]
    home_cost_per_day_minor: Option<i64>,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print the months as CSV instead of a table.
    #[arg(long)]
    csv: bool,
    /// Also write the chart of the people in custody (SVG) to FILE.
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<PathBuf>,
    /// Threads (default: every core); the output does not depend on it.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    register_args: RegisterArgs,
}

pub(crate) fn run(args: &ForecastArgs) -> CmdResult {
    let Some(persons) = &args.persons else { return run_register(args) };
    let agreement = agreement_cmd::load(Path::new(&args.agreement))?;
    let request = request(args, args.from.unwrap_or(agreement.starts))?;
    let cells = match &args.cells {
        Some(path) => Some(capacity_cmd::read_cells(path, &agreement, None)?),
        None => None,
    };
    let csv = read_persons(persons)?;
    let (candidates, screened) =
        custodia_app::persons::forecast_candidates(&agreement, &csv, request.from).map_err(app_failure)?;
    drop(csv);
    let population = Population { candidates, held: Vec::new(), cells, screened };
    let report =
        with_progress(args.runs, |progress| forecast::run(&agreement, &population, &request, threads(args), progress))
            .map_err(app_failure)?;
    write_report(args, &report)
}

fn run_register(args: &ForecastArgs) -> CmdResult {
    block_on(async {
        let s = open(&args.register_args).await?;
        let from = match args.from {
            Some(day) => day,
            None => s.app.today_at(&s.who, &args.agreement, None, &s.now).await.map_err(app_failure)?,
        };
        let request = request(args, from)?;
        let (agreement, population) =
            s.app.forecast_population(&s.who, &args.agreement, request.from).await.map_err(app_failure)?;
        let report = with_progress(args.runs, |progress| {
            forecast::run(&agreement, &population, &request, threads(args), progress)
        })
        .map_err(app_failure)?;
        write_report(args, &report)
    })
}

fn request(args: &ForecastArgs, from: Date) -> Result<ForecastRequest, Failure> {
    let request = ForecastRequest {
        intake_per_month: args.intake_per_month,
        months: args.months,
        runs: args.runs,
        seed: args.seed,
        intake_model: IntakeModel::parse(&args.intake_model).unwrap_or(IntakeModel::Fixed),
        from,
        home_cost_per_day_minor: args.home_cost_per_day_minor,
    };
    forecast::check_request(&request).map_err(app_failure)?;
    Ok(request)
}

fn threads(args: &ForecastArgs) -> usize {
    args.threads.unwrap_or_else(forecast::every_core).max(1)
}

fn read_persons(path: &Path) -> Result<Vec<u8>, Failure> {
    let shown = path.display();
    let size = std::fs::metadata(path).map_err(|e| Failure::Input(format!("--persons: {shown}: {e}")))?.len();
    if size > MAX_PERSONS_FILE_BYTES {
        return Err(Failure::Input(format!("--persons: {shown}: larger than {MAX_PERSONS_FILE_BYTES} bytes")));
    }
    std::fs::read(path).map_err(|e| Failure::Input(format!("--persons: {shown}: {e}")))
}

/// Runs `work` with a progress bar on standard error when it is a terminal.
fn with_progress<T>(runs: i64, work: impl FnOnce(&(dyn Fn(u32) + Sync)) -> T) -> T {
    let total = u32::try_from(runs).unwrap_or(0).max(1);
    if !std::io::stderr().is_terminal() {
        return work(&|_| {});
    }
    let shown = AtomicU32::new(u32::MAX);
    let bar = move |done: u32| {
        let percent = u64::from(done) * 100 / u64::from(total);
        let percent = u32::try_from(percent).unwrap_or(100);
        if shown.swap(percent, Ordering::Relaxed) != percent {
            let filled = (percent / 5) as usize;
            let _ = write!(
                std::io::stderr(),
                "\rforecast [{}{}] {percent:>3}% of {total} runs",
                "#".repeat(filled),
                " ".repeat(20 - filled.min(20))
            );
        }
    };
    let result = work(&bar);
    let _ = writeln!(std::io::stderr());
    result
}

fn write_report(args: &ForecastArgs, report: &ForecastReport) -> CmdResult {
    if let Some(path) = &args.chart {
        let mut out = AtomicOutput::new(Some(path))?;
        out.write_all(forecast::report_svg(report, crate::language()).as_bytes())?;
        out.commit()?;
    }
    let text = if args.json {
        let mut text = serde_json::to_string(&forecast::report_json(report)).map_err(anyhow::Error::from)?;
        text.push('\n');
        text
    } else if args.csv {
        forecast::report_csv(report)
    } else {
        let currency = report.currency.clone();
        forecast::report_table(report, &move |minor| crate::invoices_cmd::money(minor, &currency))
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
