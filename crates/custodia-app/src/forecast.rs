//! The forecast (docs/forecast.md), once for every edge: the command line over files or the
//! register, the API and the web page. The core computes the runs
//! (`custodia_core::forecast`); this module checks the request, splits the runs over the cores
//! with `std::thread::scope` (each run seeded from the seed and its index, so the answer does
//! not depend on the number of threads) and shapes the report.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use custodia_core::Agreement;
use custodia_core::Date;
use custodia_core::capacity::{Cell, facility_capacities};
use custodia_core::forecast::{
    self, Candidate, Exceedance, Forecast, Held, IntakeModel, Limits, Model, MonthForecast, ParamError, Params, Samples,
};
use custodia_i18n::Text;

use crate::error::{AppError, AppResult};

/// Runs computed together by one thread before it reports progress and takes more.
const CHUNK_RUNS: u32 = 16;

/// Most arrivals (runs × months × intake) one API request or web page may ask for: about a
/// second of one core, so that one request cannot take the server (docs/forecast.md#limits).
pub const MAX_ARRIVALS_PER_REQUEST: u64 = 60_000_000;

/// What to forecast.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForecastRequest {
    /// Arrivals a month (0 to 100,000).
    pub intake_per_month: i64,
    /// Months (1 to 240).
    pub months: i64,
    /// Runs (1 to 100,000; runs × months at most 2,400,000).
    pub runs: i64,
    /// The seed.
    pub seed: u64,
    /// `fixed` (exactly the intake each month) or `binomial` (a count of that mean).
    pub intake_model: IntakeModel,
    /// The first day arrivals may come, and the day the people are screened on.
    pub from: Date,
    /// The sending state's cost of a person-day at home; default the US figure for a US
    /// agreement billed in USD.
    pub home_cost_per_day_minor: Option<i64>,
}

/// Whom a forecast starts from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Population {
    /// The eligible people arrivals are drawn from.
    pub candidates: Vec<Candidate>,
    /// People in custody when the forecast starts.
    pub held: Vec<Held>,
    /// The facilities' cells, when known (standard and floor capacity).
    pub cells: Option<Vec<Cell>>,
    /// Rows or people looked at to find the candidates.
    pub screened: u64,
}

/// A forecast as every edge shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForecastReport {
    /// The agreement.
    pub agreement_id: String,
    /// ISO 4217 currency of the amounts.
    pub currency: String,
    /// The request, with the home cost used.
    pub request: ForecastRequest,
    /// The home cost per person-day used.
    pub home_cost_per_day_minor: i64,
    /// People looked at, eligible ones among them, people in custody at the start.
    pub screened: u64,
    /// Eligible people (arrivals are drawn from them).
    pub eligible: usize,
    /// People in custody at the start.
    pub in_custody: usize,
    /// One entry per month.
    pub months: Vec<MonthForecast>,
    /// One entry per limit.
    pub limits: Vec<Exceedance>,
}

impl ForecastReport {
    /// `YYYY-MM` of a month of the report.
    pub fn month_label(month: &MonthForecast) -> String {
        format!("{:04}-{:02}", month.year, month.month)
    }

    /// `YYYY-MM` of the month a limit is first exceeded in, if it is.
    pub fn first_month_label(&self, limit: &Exceedance) -> Option<String> {
        limit.first_month.and_then(|m| self.months.get(m)).map(Self::month_label)
    }
}

/// People read from the register per page.
const PERSONS_PAGE: usize = 10_000;

impl crate::App {
    /// What a forecast of an agreement in the caller's scope starts from on `from`: the people of
    /// the register imported under it whom the caller sees, eligible that day and not in custody
    /// (screened by the same rules as a person file), the people in custody that day in the
    /// caller's facilities, each until their return is due (`projected release −
    /// return_before_release_days`, or the end of the agreement when it cannot be computed), and
    /// the cells of those facilities (none registered: the capacities are not known).
    pub async fn forecast_population(
        &self,
        who: &crate::Principal,
        agreement_id: &str,
        from: Date,
    ) -> AppResult<(Agreement, Population)> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        let facts = self.alert_facts(agreement_id).await?;
        let stays = crate::billing::custody_spans(&agreement, &facts.rows, &facts.transitions)?;
        let in_custody: std::collections::BTreeMap<&str, &custodia_store::PersonData> =
            facts.rows.iter().map(|r| (r.person.sending_id.as_str(), &r.person)).collect();
        // In the caller's facilities only, as the population history of the overview.
        let open: Vec<&custodia_core::billing::Stay> = stays
            .iter()
            .filter(|s| who.sees(agreement_id, Some(s.facility_id.as_str())))
            .filter(|s| s.admitted_on <= from && s.released_on.is_none_or(|r| r > from))
            .collect();
        let mut held = Vec::new();
        for stay in &open {
            let person = in_custody.get(stay.person_id.as_str());
            let return_on = person
                .and_then(|p| p.projected_release(&agreement))
                .and_then(|release| release.add_days(-i64::from(agreement.return_before_release_days)).ok());
            held.push(Held { admitted_on: stay.admitted_on, return_on, class: stay.security_class });
        }
        let held_ids: std::collections::BTreeSet<&str> = open.iter().map(|s| s.person_id.as_str()).collect();
        let screener = custodia_core::eligibility::Screener::new(&agreement).for_date(from);
        let (mut candidates, mut screened, mut after) = (Vec::new(), 0u64, 0i64);
        loop {
            let page = self.persons(who, agreement_id, after, PERSONS_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for entry in &page {
                screened += 1;
                if held_ids.contains(entry.record.sending_id.as_str()) {
                    continue;
                }
                let candidate = entry
                    .record
                    .with_record(|record| crate::persons::forecast_candidate(&agreement, &screener, record, from));
                if let Ok(Some(c)) = candidate {
                    candidates.push(c);
                }
            }
            if page.len() < PERSONS_PAGE {
                break;
            }
        }
        // No cells registered: the capacities are not known (rather than zero).
        let cells: Vec<_> =
            facts.cells.iter().filter(|c| who.sees(agreement_id, Some(c.facility_id.as_str()))).cloned().collect();
        let cells = (!cells.is_empty()).then_some(cells);
        Ok((std::sync::Arc::unwrap_or_clone(agreement), Population { candidates, held, cells, screened }))
    }
}

impl crate::App {
    /// The forecast of an agreement in the caller's scope from the register (the API's and the
    /// web page's): the request checked, at most [`MAX_ARRIVALS_PER_REQUEST`] arrivals, the
    /// population read, and the runs computed on every core on a blocking thread, off the
    /// asynchronous workers.
    pub async fn forecast(
        &self,
        who: &crate::Principal,
        agreement_id: &str,
        request: &ForecastRequest,
    ) -> AppResult<ForecastReport> {
        check_request(request)?;
        check_work(request, MAX_ARRIVALS_PER_REQUEST)?;
        let (agreement, population) = self.forecast_population(who, agreement_id, request.from).await?;
        let request = *request;
        tokio::task::spawn_blocking(move || run(&agreement, &population, &request, every_core(), &|_| {}))
            .await
            .map_err(|e| AppError::Internal(format!("the forecast's task failed: {e}")))?
    }
}

/// Refuses a request whose runs × months × intake is above `max` arrivals (`FORECAST_TOO_LARGE`).
pub fn check_work(request: &ForecastRequest, max: u64) -> AppResult<()> {
    let work = arrivals(request);
    if work > max {
        return Err(AppError::rule(
            "FORECAST_TOO_LARGE",
            Text::new("FORECAST_TOO_LARGE").count("arrivals", work).count("max", max),
        ));
    }
    Ok(())
}

/// runs × months × intake.
pub fn arrivals(request: &ForecastRequest) -> u64 {
    request
        .runs
        .unsigned_abs()
        .saturating_mul(request.months.unsigned_abs())
        .saturating_mul(request.intake_per_month.unsigned_abs())
}

/// Runs the forecast of `agreement` from `population` on `threads` threads (at least one),
/// calling `progress` with the number of runs done after each chunk. The answer is the same
/// for every number of threads.
pub fn run(
    agreement: &Agreement,
    population: &Population,
    request: &ForecastRequest,
    threads: usize,
    progress: &(dyn Fn(u32) + Sync),
) -> AppResult<ForecastReport> {
    let home = crate::billing::home_cost_per_day(agreement, request.home_cost_per_day_minor)?;
    let params = params(request, home);
    let limits = limits(agreement, population.cells.as_deref());
    let model = Model::new(agreement, params, &population.candidates, &population.held, limits).map_err(param_error)?;
    let forecast = in_parallel(&model, threads, progress)?;
    Ok(ForecastReport {
        agreement_id: agreement.id.as_str().to_owned(),
        currency: agreement.currency.as_str().to_owned(),
        request: *request,
        home_cost_per_day_minor: home,
        screened: population.screened,
        eligible: population.candidates.len(),
        in_custody: population.held.len(),
        months: forecast.months,
        limits: forecast.exceedances,
    })
}

/// The agreement's contracted places and, with the cells, the standard and floor capacities,
/// summed over its facilities.
fn limits(agreement: &Agreement, cells: Option<&[Cell]>) -> Limits {
    let contracted_places = agreement.facilities.iter().map(|f| i64::from(f.contracted_places)).sum();
    let sums = cells.map(|cells| {
        let capacities = facility_capacities(agreement, cells);
        let sum = |f: fn(&custodia_core::capacity::FacilityCapacity) -> u64| {
            i64::try_from(capacities.iter().map(f).sum::<u64>()).unwrap_or(i64::MAX)
        };
        (sum(|c| c.standard_capacity), sum(|c| c.floor_capacity))
    });
    Limits { contracted_places, standard_capacity: sums.map(|s| s.0), floor_capacity: sums.map(|s| s.1) }
}

/// Every run, in chunks taken by `threads` scoped threads; the chunks are summarised in run order.
fn in_parallel(model: &Model<'_>, threads: usize, progress: &(dyn Fn(u32) + Sync)) -> AppResult<Forecast> {
    let runs = u32::try_from(model.params().runs).unwrap_or(0);
    let chunks = runs.div_ceil(CHUNK_RUNS);
    let next = AtomicU32::new(0);
    let done = AtomicU32::new(0);
    let parts: Mutex<Vec<(u32, Samples)>> = Mutex::new(Vec::with_capacity(chunks as usize));
    let failure: Mutex<Option<AppError>> = Mutex::new(None);
    let work = || {
        loop {
            let chunk = next.fetch_add(1, Ordering::Relaxed);
            if chunk >= chunks {
                return;
            }
            let range = chunk * CHUNK_RUNS..((chunk + 1) * CHUNK_RUNS).min(runs);
            let count = range.len() as u32;
            match model.simulate(range) {
                Ok(samples) => {
                    if let Ok(mut parts) = parts.lock() {
                        parts.push((chunk, samples));
                    }
                }
                Err(e) => {
                    if let Ok(mut slot) = failure.lock() {
                        // Amounts beyond 64 bits: the intake times the fees is too large.
                        *slot = Some(AppError::invalid("intake_per_month", e.to_string()));
                    }
                    return;
                }
            }
            progress(done.fetch_add(count, Ordering::Relaxed) + count);
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads.max(1) {
            scope.spawn(work);
        }
        work();
    });
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut parts = parts.into_inner().map_err(|_| AppError::Internal("a forecast thread failed".into()))?;
    parts.sort_by_key(|(chunk, _)| *chunk);
    let parts: Vec<Samples> = parts.into_iter().map(|(_, s)| s).collect();
    Ok(model.summarise(&parts))
}

/// A parameter's refusal, naming the field.
fn param_error(e: ParamError) -> AppError {
    match e {
        ParamError::Between { field, min, max } => {
            AppError::invalid(field, Text::new("INVALID.between").count("min", min).count("max", max))
        }
        ParamError::RunMonths { value, max } => {
            AppError::invalid("runs", Text::new("INVALID.run-months").count("value", value).count("max", max))
        }
        ParamError::NobodyEligible => AppError::rule("NOBODY_ELIGIBLE", Text::new("NOBODY_ELIGIBLE")),
    }
}

/// The number of threads to use: every core.
pub fn every_core() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The request checked against every limit before any work (an edge can refuse early, before
/// reading a file).
pub fn check_request(request: &ForecastRequest) -> AppResult<()> {
    forecast::check_params(&params(request, request.home_cost_per_day_minor.unwrap_or(0))).map_err(param_error)
}

fn params(request: &ForecastRequest, home_cost_day_minor: i64) -> Params {
    Params {
        intake_per_month: request.intake_per_month,
        months: request.months,
        runs: request.runs,
        seed: request.seed,
        intake: request.intake_model,
        from: request.from,
        home_cost_day_minor,
    }
}

// ---------------------------------------------------------------------------------------------
// The report as every edge renders it: JSON, CSV, a table, an SVG chart.
// ---------------------------------------------------------------------------------------------

/// The figures of a month, named as the CSV columns and the JSON members.
const FIGURES: [&str; 5] = ["population", "returns_due", "person_days", "invoiced_minor", "home_cost_minor"];

fn figures(month: &MonthForecast) -> [(&'static str, forecast::Percentiles); 5] {
    let [a, b, c, d, e] = FIGURES;
    [
        (a, month.population),
        (b, month.returns_due),
        (c, month.person_days),
        (d, month.invoiced_minor),
        (e, month.home_cost_minor),
    ]
}

/// The report as JSON (docs/forecast.md#output).
pub fn report_json(report: &ForecastReport) -> serde_json::Value {
    use serde_json::json;
    let r = &report.request;
    let months: Vec<serde_json::Value> = report
        .months
        .iter()
        .map(|m| {
            let mut row = serde_json::Map::new();
            row.insert("month".into(), ForecastReport::month_label(m).into());
            for (name, q) in figures(m) {
                row.insert(name.into(), json!({"p5": q.p5, "p50": q.p50, "p95": q.p95}));
            }
            serde_json::Value::Object(row)
        })
        .collect();
    let limits: Vec<serde_json::Value> = report
        .limits
        .iter()
        .map(|l| {
            json!({
                "limit": l.kind.as_str(),
                "value": l.value,
                "first_month": report.first_month_label(l),
                "runs_exceeding": l.runs_exceeding,
            })
        })
        .collect();
    json!({
        "agreement_id": report.agreement_id,
        "currency": report.currency,
        "from": r.from.to_string(),
        "intake_per_month": r.intake_per_month,
        "intake_model": r.intake_model.as_str(),
        "months_asked": r.months,
        "runs": r.runs,
        "seed": r.seed,
        "home_cost_per_day_minor": report.home_cost_per_day_minor,
        "percentile_rule": "nearest-rank",
        "screened": report.screened,
        "eligible": report.eligible,
        "in_custody": report.in_custody,
        "months": months,
        "limits": limits,
    })
}

/// The months as CSV: `month` and the 5th, 50th and 95th percentile of each figure.
pub fn report_csv(report: &ForecastReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("month");
    for name in FIGURES {
        for p in forecast::PERCENTILES {
            let _ = write!(out, ",{name}_p{p}");
        }
    }
    out.push('\n');
    for m in &report.months {
        out.push_str(&ForecastReport::month_label(m));
        for (_, q) in figures(m) {
            let _ = write!(out, ",{},{},{}", q.p5, q.p50, q.p95);
        }
        out.push('\n');
    }
    out
}

/// The report as a table for a terminal (English, like the other reports of the command line).
pub fn report_table(report: &ForecastReport, money: &dyn Fn(i64) -> String) -> String {
    use std::fmt::Write as _;
    let r = &report.request;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "forecast of {} from {}: {} arrivals a month ({}), {} months, {} runs, seed {}",
        report.agreement_id,
        r.from,
        r.intake_per_month,
        r.intake_model.as_str(),
        r.months,
        r.runs,
        r.seed
    );
    let _ = writeln!(
        out,
        "{} eligible of {} screened, {} in custody at the start; percentiles p5/p50/p95 by nearest rank",
        report.eligible, report.screened, report.in_custody
    );
    let _ = writeln!(
        out,
        "{:<7} {:>20} {:>15} {:>26} {:>56} {:>20}",
        "month", "in custody (peak)", "returns due", "person-days", "invoiced", "cost at home (p50)"
    );
    for m in &report.months {
        let three = |q: forecast::Percentiles| format!("{}/{}/{}", q.p5, q.p50, q.p95);
        let money3 = |q: forecast::Percentiles| format!("{}/{}/{}", money(q.p5), money(q.p50), money(q.p95));
        let _ = writeln!(
            out,
            "{:<7} {:>20} {:>15} {:>26} {:>56} {:>20}",
            ForecastReport::month_label(m),
            three(m.population),
            three(m.returns_due),
            three(m.person_days),
            money3(m.invoiced_minor),
            money(m.home_cost_minor.p50)
        );
    }
    for l in &report.limits {
        let name = l.kind.as_str().replace('_', " ");
        let line = match (l.value, report.first_month_label(l)) {
            (None, _) => format!("{name}: not known (no cells given, or no envelope in the agreement)"),
            (Some(v), None) => {
                format!("{name} {}: not exceeded by 5 % of runs within the horizon", limit_value(l, v, money))
            }
            (Some(v), Some(month)) => format!(
                "{name} {}: first exceeded in {month} ({} of {} runs)",
                limit_value(l, v, money),
                l.runs_exceeding,
                r.runs
            ),
        };
        let _ = writeln!(out, "{line}");
    }
    out
}

fn limit_value(limit: &Exceedance, value: i64, money: &dyn Fn(i64) -> String) -> String {
    match limit.kind {
        forecast::LimitKind::FeeEnvelope => money(value),
        _ => value.to_string(),
    }
}

/// The chart's drawing area, in SVG units.
const AREA: crate::chart::Area =
    crate::chart::Area { width: 760, height: 340, left: 64, right: 170, top: 40, bottom: 40 };
const CHART_WIDTH: i64 = AREA.width;
const CHART_HEIGHT: i64 = AREA.height;
const CHART_LEFT: i64 = AREA.left;
const CHART_RIGHT: i64 = AREA.right;
const CHART_BOTTOM: i64 = AREA.bottom;

/// The people in custody per month as an SVG chart, labels in `language`: the band from the 5th
/// to the 95th percentile, the median as a line with markers, and each known capacity limit as
/// a dashed level labelled at its end; a `<title>` and a `<desc>` say the same in words.
pub fn report_svg(report: &ForecastReport, language: custodia_i18n::Language) -> String {
    use std::fmt::Write as _;
    let t = |key: &str, args: &[(&str, custodia_i18n::Arg)]| {
        crate::inspection::escape(&custodia_i18n::text(language, key, args))
    };
    let levels: Vec<(String, i64, &str)> = report
        .limits
        .iter()
        .filter(|l| l.kind != forecast::LimitKind::FeeEnvelope)
        .filter_map(|l| l.value.map(|v| (t(&format!("forecast-limit-{}", l.kind.as_str()), &[]), v, dash(l.kind))))
        .collect();
    let most = report.months.iter().map(|m| m.population.p95).chain(levels.iter().map(|l| l.1)).max().unwrap_or(0);
    let top = nice_top(most);
    let n = report.months.len();
    let x = |i: usize| AREA.x(i, n);
    let y = |v: i64| AREA.y(v, top);
    let title = t("forecast-chart-title", &[]);
    let peak = report.months.iter().map(|m| m.population.p50).max().unwrap_or(0);
    let desc = t(
        "forecast-chart-desc",
        &[("months", custodia_i18n::Arg::Int(i64::try_from(n).unwrap_or(0))), ("peak", custodia_i18n::Arg::Int(peak))],
    );
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"forecast-title forecast-desc\" \
         viewBox=\"0 0 {CHART_WIDTH} {CHART_HEIGHT}\" width=\"{CHART_WIDTH}\" height=\"{CHART_HEIGHT}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<title id=\"forecast-title\">{title}</title>\n\
         <desc id=\"forecast-desc\">{desc}</desc>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
         <text x=\"8\" y=\"20\" font-weight=\"bold\" font-size=\"14\">{title}</text>\n"
    );
    for k in 0..=4 {
        let v = top * k / 4;
        let _ = writeln!(
            out,
            "<line x1=\"{CHART_LEFT}\" x2=\"{}\" y1=\"{y0}\" y2=\"{y0}\" stroke=\"#dddddd\"/><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{v}</text>",
            CHART_WIDTH - CHART_RIGHT,
            CHART_LEFT - 6,
            y(v) + 4,
            y0 = y(v)
        );
    }
    let upper: Vec<String> =
        report.months.iter().enumerate().map(|(i, m)| format!("{},{}", x(i), y(m.population.p95))).collect();
    let lower: Vec<String> =
        report.months.iter().enumerate().rev().map(|(i, m)| format!("{},{}", x(i), y(m.population.p5))).collect();
    let _ = writeln!(
        out,
        "<polygon points=\"{} {}\" fill=\"#9ecae1\" fill-opacity=\"0.6\" stroke=\"none\"/>",
        upper.join(" "),
        lower.join(" ")
    );
    let median: Vec<String> =
        report.months.iter().enumerate().map(|(i, m)| format!("{},{}", x(i), y(m.population.p50))).collect();
    let _ = writeln!(
        out,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"#08519c\" stroke-width=\"2\"/>",
        median.join(" ")
    );
    if n <= 60 {
        for (i, m) in report.months.iter().enumerate() {
            let _ =
                writeln!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"#08519c\"/>", x(i), y(m.population.p50));
        }
    }
    let right = CHART_WIDTH - CHART_RIGHT;
    let mut label_ys: Vec<i64> = Vec::new();
    let mut label = |wanted: i64| {
        let mut at = wanted;
        while label_ys.iter().any(|u| (u - at).abs() < 14) {
            at += 14;
        }
        label_ys.push(at);
        at
    };
    for (name, value, pattern) in &levels {
        let ly = label(y(*value) + 4);
        let _ = writeln!(
            out,
            "<line x1=\"{CHART_LEFT}\" x2=\"{right}\" y1=\"{yv}\" y2=\"{yv}\" stroke=\"#b30000\" stroke-dasharray=\"{pattern}\"/><text x=\"{}\" y=\"{ly}\">{name} {value}</text>",
            right + 6,
            yv = y(*value)
        );
    }
    let _ = writeln!(
        out,
        "<rect x=\"{CHART_LEFT}\" y=\"28\" width=\"14\" height=\"8\" fill=\"#9ecae1\"/><text x=\"{}\" y=\"36\">{}</text>",
        CHART_LEFT + 18,
        t("forecast-chart-band", &[])
    );
    for i in x_label_indices(n) {
        if let Some(m) = report.months.get(i) {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x(i),
                CHART_HEIGHT - CHART_BOTTOM + 18,
                ForecastReport::month_label(m)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The dash pattern of a limit's level (told apart without colour).
fn dash(kind: forecast::LimitKind) -> &'static str {
    match kind {
        forecast::LimitKind::ContractedPlaces => "8 4",
        forecast::LimitKind::StandardCapacity => "2 3",
        _ => "12 3 2 3",
    }
}

/// The top of the vertical axis: 1, 2 or 5 times a power of ten, at least `most` (and 10).
fn nice_top(most: i64) -> i64 {
    let mut step = 10i64;
    loop {
        for k in [1, 2, 5] {
            if step.saturating_mul(k) >= most {
                return step.saturating_mul(k);
            }
        }
        step = step.saturating_mul(10);
    }
}

/// At most seven evenly spaced month labels, the first and the last included.
fn x_label_indices(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let every = (n - 1).div_ceil(6).max(1);
    let mut shown: Vec<usize> = (0..n).step_by(every).collect();
    if shown.last() != Some(&(n - 1)) {
        if shown.len() > 1 && n - 1 - shown.last().copied().unwrap_or(0) < every / 2 + 1 {
            shown.pop();
        }
        shown.push(n - 1);
    }
    shown
}
