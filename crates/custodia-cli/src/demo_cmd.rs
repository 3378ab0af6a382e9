//! `custodia demo`: a fresh register holding a simulated year of the US–El Salvador (CECOT)
//! agreement, served over HTTP.
//!
//! Everything goes through the register's own commands — the same ones the API calls — so the
//! journal is real: the agreement and its cells, a synthetic population of candidates screened
//! against the rules, cases proposed, screened, reviewed, approved by both states, flown, admitted,
//! moved, held, returned, released; a death with its three notifications (one late) and a use of
//! force, an ICRC inspection, consular and family contacts, and the monthly invoices drafted and
//! issued by two finance officers. Three safeguards are shown refusing a step
//! (docs/lifecycle.md#safeguards): a citizen of the sending state refused `NOT_ELIGIBLE`, a flight
//! in the air under a court's return order refused admission `ON_HOLD` and turned back, and an
//! admission above a cell's standard capacity refused `NEEDS_OVERRIDE`, then made with a
//! two-person override that expires (`OVERRIDE_EXPIRED` at the end). The simulation reads no
//! clock: every event carries a fixed simulated time, and everything but the admin token is the
//! same for a seed.

use custodia_store::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use custodia_core::agreement::Party;
use custodia_core::capacity::{Cell, read_cells_file};
use custodia_core::eligibility::{Decision, Outcome, Rule, Screener, SentenceFacts};
use custodia_core::incidents::{IncidentKind, Recipient};
use custodia_core::lifecycle::CaseState;
use custodia_core::oversight::{ContactMeans, RecommendationState};
use custodia_core::person::{PersonHeader, PersonRecord};
use custodia_core::table::Table;
use custodia_core::{Agreement, Date};
use custodia_store::{Store, Timestamp};

use crate::data_lock;
use crate::register_cmd::{PlaceArgs, app_failure, block_on, store_failure};
use crate::serve_cmd::{ServeArgs, bind, load_config, run_server};
use crate::{CmdResult, Failure};
use custodia_app::care::{NewExamination, NewVisit};
use custodia_app::cases::{Admission, CaseAction, FindingRequest, HoldRequest, Placement, TransitionRequest};
use custodia_app::cells::CellsUpload;
use custodia_app::oversight::{NewContact, NewIncident, NewInspection};
use custodia_app::persons::{PersonsImport, PersonsUpload};
use custodia_app::rights::NewComplaint;
use custodia_app::users::UserRequest;
use custodia_app::{App, AppError, Principal};

/// The example agreement, built in so the demo runs from any directory.
const AGREEMENT_TOML: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");
/// Its cells.
const CELLS_CSV: &str = include_str!("../../../examples/cells/cecot.csv");

/// The day the candidates are screened.
const SCREENED_ON: (i32, u32, u32) = (2025, 3, 15);
/// The last simulated day.
const SIM_END: (i32, u32, u32) = (2026, 3, 10);
/// Cases taken through the lifecycle at most.
const TARGET_CASES: usize = 250;
/// People admitted to one cell (its standard capacity is 25).
const PER_CELL: usize = 20;
/// People in the crowded cell: its standard capacity, 25, and one more over it.
const CROWDED_CELL_HOLDS: usize = 26;
/// Transfer flights: the first two weeks after the agreement starts (cases are opened on its first
/// day), then about every four weeks.
const FLIGHTS: [(i32, u32, u32); 12] = [
    (2025, 3, 29),
    (2025, 4, 26),
    (2025, 5, 24),
    (2025, 6, 21),
    (2025, 7, 19),
    (2025, 8, 16),
    (2025, 9, 13),
    (2025, 10, 11),
    (2025, 11, 8),
    (2025, 12, 6),
    (2026, 1, 10),
    (2026, 2, 7),
];

const AFTER_HELP: &str = "\
Creates DIR (it must not exist or be empty; --reset first removes the data
directory of an earlier demo; with --database URL the register itself goes into
that empty PostgreSQL database), loads the US-El Salvador (CECOT) example
agreement and its cells, generates N synthetic candidates and screens them as
of 2025-03-15, then simulates the agreement year up to 2026-03-10: about 250
people flown, admitted, moved, returned or released; a legal hold; a death with
its three notifications (one late) and a use of force; an ICRC inspection;
consular and family contacts; and the monthly invoices, drafted and issued by
two finance officers. Every change goes through the register's own commands,
so the journal is real and verifies. Everything but the token is the same for
a seed.

Three safeguards are shown refusing a step, each printed as `safeguard held`:
a citizen of the sending state (NOT_ELIGIBLE: E07), a flight in the air under
a court's return order (admission ON_HOLD, then turned back), and a 26th
person for a cell of standard capacity 25 (NEEDS_OVERRIDE, then admitted with
a two-person override that expires: OVERRIDE_EXPIRED among the alerts).

It then prints `admin token: TOKEN`, a few curl commands to try and
`address: http://HOST:PORT`, and serves until SIGINT or SIGTERM.

Users, one per role (two legal and two finance officers for the two-person
rules): admin, us.officer, sv.officer, cecot.staff, dana.legal, eli.legal,
ana.finance, ben.finance, icrc.inspector, oig.auditor.

Example:
  custodia demo --addr 127.0.0.1:8080 --reset";

/// Arguments of `custodia demo`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct DemoArgs {
    /// Listen address, HOST:PORT (port 0 picks a free one; default 127.0.0.1:8080).
    #[arg(long, value_name = "HOST:PORT")]
    addr: Option<String>,
    /// Data directory to create; it must not exist or be empty.
    #[arg(long, value_name = "DIR", default_value = "./custodia-demo")]
    data_dir: PathBuf,
    /// Remove the data directory of an earlier demo first.
    #[arg(long)]
    reset: bool,
    /// Seed of the synthetic population and of the simulation.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Synthetic candidates to generate and screen.
    #[arg(long, value_name = "N", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    people: u64,
    /// Keep the register in this empty PostgreSQL database instead of a SQLite file in DIR (the
    /// journal key stays in DIR); the environment's CUSTODIA_DATABASE_URL is never used.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
}

pub(crate) fn run(args: &DemoArgs) -> CmdResult {
    let place = PlaceArgs { data_dir: Some(args.data_dir.clone()), ..PlaceArgs::default() };
    let mut config = load_config(&ServeArgs { addr: args.addr.clone(), trusted_proxies: None, place })?;
    // In this order: a busy port or a directory another demo serves stops us before anything is
    // deleted, and the lock is held while the directory is emptied, filled and served.
    let listener = bind(&config)?;
    let _lock = lock_dir(&args.data_dir)?;
    prepare_dir(&args.data_dir, args.reset)?;
    // The demo makes its own register: a SQLite file unless --database names one, whatever the
    // environment says.
    config.database_url = args.database.clone();
    let seed = args.seed;
    let people = args.people;
    let dir = args.data_dir.clone();
    custodia_server::init_logging(&config);
    block_on(async move {
        let starts = Agreement::from_toml(AGREEMENT_TOML).map_err(other)?.starts;
        let created = stamp(at(shift(starts, -14), 7, 0))?;
        // The admin's password is set here: `init` makes the admin, the simulation the others.
        let admin_password = demo_password()?;
        let (app, _) = App::init(&config, ADMIN, Some(admin_password.clone()), &created).await.map_err(app_failure)?;
        run_server(app, config, listener, async move |app: &App, addr: SocketAddr| {
            #[allow(clippy::disallowed_methods)] // how long the setup took, shown to the user only
            let started = std::time::Instant::now();
            let summary = simulate(app, seed, people, admin_password).await?;
            write_users_file(&dir, &summary.users)?;
            progress(&format!("ready in {:.1} s", started.elapsed().as_secs_f64()))?;
            print_walkthrough(&summary, addr, &dir)
        })
        .await
    })
}

/// A user of the simulation with the token and password to act as them (`demo-users.json`).
#[derive(Debug, serde::Serialize)]
struct DemoUser {
    name: String,
    role: String,
    token: String,
    password: String,
}

/// Writes `DATA_DIR/demo-users.json` (owner-only), so scripts and browser tests can act as every
/// user of the simulation.
fn write_users_file(dir: &Path, users: &[DemoUser]) -> CmdResult {
    let path = dir.join(DEMO_USERS_FILE);
    let text = serde_json::to_string_pretty(users).map_err(other)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let failed = |e: std::io::Error| Failure::Other(anyhow::anyhow!("{}: {e}", path.display()));
    let mut file = options.open(&path).map_err(failed)?;
    // An older file keeps its mode when truncated: make it owner-only as well.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(failed)?;
    }
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    Ok(())
}

/// A demo password: 16 random letters and digits (shown in demo-users.json only).
fn demo_password() -> Result<String, Failure> {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(other)?;
    Ok(bytes.iter().map(|b| char::from(*ALPHABET.get(usize::from(*b) % ALPHABET.len()).unwrap_or(&b'x'))).collect())
}

/// Locks `dir` (see `data_lock`), creating it when missing; a directory that is a file is left to
/// [`prepare_dir`] to refuse.
fn lock_dir(dir: &Path) -> Result<Option<data_lock::DataDirLock>, Failure> {
    if dir.exists() && !dir.is_dir() {
        return Ok(None);
    }
    std::fs::create_dir_all(dir).map_err(|e| Failure::Input(format!("--data-dir: {}: {e}", dir.display())))?;
    data_lock::lock(dir).map(Some)
}

/// Refuses a non-empty directory unless `reset`; with `reset`, empties an earlier demo's directory
/// (never one that does not look like a Custodia data directory). The lock file stays: it is held.
fn prepare_dir(dir: &Path, reset: bool) -> CmdResult {
    let shown = dir.display();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter(|e| e.as_ref().map_or(true, |e| e.file_name() != data_lock::LOCK_FILE))
            .collect::<Result<Vec<_>, _>>()?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory || dir.is_file() => {
            return Err(Failure::Input(format!("--data-dir: {shown} is a file, not a directory")));
        }
        Err(e) => return Err(Failure::Input(format!("--data-dir: {shown}: {e}"))),
    };
    if entries.is_empty() {
        return Ok(());
    }
    if !reset {
        return Err(Failure::Input(format!(
            "--data-dir: {shown} exists and is not empty: pass --reset to remove it and start again, or choose another directory"
        )));
    }
    let ours = entries.iter().any(|e| {
        let name = e.file_name();
        name == custodia_store::SQLITE_FILE || name == custodia_store::keyfile::KEY_FILE
    });
    if !ours {
        return Err(Failure::Input(format!(
            "--data-dir: {shown} does not look like a Custodia data directory (no {}): not removing it",
            custodia_store::SQLITE_FILE
        )));
    }
    progress(&format!("removing the register in {shown}"))?;
    for entry in entries {
        let path = entry.path();
        let removed =
            if entry.file_type()?.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.map_err(|e| Failure::Other(anyhow::anyhow!("cannot remove {}: {e}", path.display())))?;
    }
    Ok(())
}

fn progress(message: &str) -> CmdResult {
    writeln!(std::io::stderr().lock(), "demo: {message}")?;
    Ok(())
}

fn other(message: impl std::fmt::Display) -> Failure {
    Failure::Other(anyhow::anyhow!("demo: {message}"))
}

fn date(ymd: (i32, u32, u32)) -> Result<Date, Failure> {
    Date::from_ymd(ymd.0, ymd.1, ymd.2).map_err(other)
}

/// `d` moved by `n` days (the simulation stays far inside the calendar).
fn shift(d: Date, n: i64) -> Date {
    d.add_days(n).unwrap_or(d)
}

/// Seconds since the epoch at `hour:minute` (minutes may run past 60) on `d`, UTC.
fn at(d: Date, hour: i64, minute: i64) -> i64 {
    i64::from(d.days_since_epoch()) * 86_400 + hour * 3600 + minute * 60
}

fn stamp(seconds: i64) -> Result<Timestamp, Failure> {
    Timestamp::from_unix_seconds(seconds).map_err(other)
}

fn day_of(seconds: i64) -> Date {
    Date::from_days_since_epoch(seconds.div_euclid(86_400)).unwrap_or(custodia_core::date::EPOCH)
}

/// SplitMix64: a small deterministic generator for the simulation's choices.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = usize::try_from(self.below(i as u64 + 1)).unwrap_or(0);
            items.swap(i, j);
        }
    }
}

// Users, by role. Their names are the actors on the events.
const ADMIN: &str = "admin";
const US_OFFICER: &str = "us.officer";
const SV_OFFICER: &str = "sv.officer";
const STAFF: &str = "cecot.staff";
const LEGAL: &str = "dana.legal";
const LEGAL_2: &str = "eli.legal";
const FINANCE_DRAFT: &str = "ana.finance";
const FINANCE_ISSUE: &str = "ben.finance";
const INSPECTOR: &str = "icrc.inspector";
const AUDITOR: &str = "oig.auditor";
const DOCTOR: &str = "dr.flores";

const USERS: [(&str, &str, &str); 11] = [
    (ADMIN, "admin", "*"),
    (US_OFFICER, "sending_officer", "*"),
    (SV_OFFICER, "receiving_officer", "*"),
    (STAFF, "facility_officer", "cecot"),
    (LEGAL, "legal_officer", "*"),
    (LEGAL_2, "legal_officer", "*"),
    (FINANCE_DRAFT, "finance_officer", "*"),
    (FINANCE_ISSUE, "finance_officer", "*"),
    (INSPECTOR, "inspector", "*"),
    (AUDITOR, "auditor", "*"),
    (DOCTOR, "medical_officer", "cecot"),
];

/// A screened candidate.
#[derive(Debug)]
struct Candidate {
    sending_id: String,
    family_name: String,
    decision: Decision,
    reasons: String,
    /// Eligible, or in review only for want of a recent torture-risk assessment.
    transferable: bool,
    has_class: bool,
    projected_release: Option<Date>,
    /// The record, to screen on the days of the case's steps as the register will.
    person: custodia_core::Person,
}

/// The synthetic population, screened, with the person file (CSV) to import.
#[derive(Debug)]
struct Population {
    csv: Vec<u8>,
    candidates: Vec<Candidate>,
    counts: [u64; 4],
}

fn population(agreement: &Agreement, seed: u64, count: u64, as_of: Date) -> Result<Population, Failure> {
    let mut bytes = Vec::with_capacity(usize::try_from(count).unwrap_or(0).saturating_mul(160));
    custodia_core::synth::write_header(&mut bytes);
    custodia_core::synth::write_rows(seed, 0, count, &mut bytes);
    let screener = Screener::new(agreement);
    let table = Table::read(&bytes, None, PersonHeader::COLUMNS).map_err(other)?;
    let columns = PersonHeader::from_header(table.header().clone());
    let mut out = Population { csv: Vec::new(), candidates: Vec::new(), counts: [0; 4] };
    let mut rows = table.rows();
    while let Some(row) = rows.next() {
        let person = match PersonRecord::from_row(&columns, &row) {
            Ok(person) => person,
            Err(_) => {
                out.counts[3] += 1;
                continue;
            }
        };
        let Ok(screening) = screener.screen(&person, as_of) else {
            out.counts[3] += 1;
            continue;
        };
        let decision = screening.decision();
        match decision {
            Decision::Eligible => out.counts[0] += 1,
            Decision::Ineligible => out.counts[1] += 1,
            Decision::Review => out.counts[2] += 1,
        }
        let only_torture_risk_unknown = screening
            .outcomes()
            .filter(|(_, o)| *o != Outcome::Pass)
            .all(|(rule, o)| rule == Rule::E15 && o == Outcome::Unknown);
        let projected_release = match screener.sentence_facts(&person) {
            Ok(SentenceFacts::Fixed { projected_release, .. }) => Some(projected_release),
            _ => None,
        };
        out.candidates.push(Candidate {
            sending_id: person.person_id.to_owned(),
            family_name: person.family_name.to_owned(),
            decision,
            reasons: screening.reasons(),
            transferable: decision != Decision::Ineligible && only_torture_risk_unknown,
            has_class: person.security_class.is_some(),
            projected_release,
            person: custodia_core::Person::from_record(&person),
        });
    }
    out.csv = bytes;
    Ok(out)
}

fn cells(agreement: &Agreement) -> Result<Vec<Cell>, Failure> {
    let file = read_cells_file(CELLS_CSV.as_bytes(), agreement, None).map_err(other)?;
    if let Some((line, problem)) = file.problems.first() {
        return Err(other(format!("demo cells, line {line}: {problem}")));
    }
    Ok(file.cells.into_iter().map(|(_, cell)| cell).collect())
}

/// How a case leaves custody before the end of the simulation, other than by a return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    Release(Date),
    Death(i64),
}

/// One transferred person's year.
#[derive(Debug)]
struct CasePlan {
    candidate: usize,
    flight: Date,
    /// Position on the flight (spreads the times of the day).
    seat: i64,
    admitted_on: Date,
    hold: bool,
    cell: usize,
    /// When the return is scheduled, and the planned return date.
    return_plan: Option<(Date, Date)>,
    exit: Option<Exit>,
    moves: Vec<(Date, usize)>,
    use_of_force: bool,
    consular_visit: Option<Date>,
    /// Turned back in the air under a court's return order: never admitted.
    turned_back: bool,
    /// The person challenged the transfer before departure (docs/rights.md#challenges):
    /// scheduling refused `CHALLENGE_PENDING` until two legal officers dismissed it.
    challenged: bool,
    /// Held in the crowded cell for the whole year (no return, release, death or move).
    stays: bool,
    /// Admitted above the cell's standard capacity with a two-person override.
    over_standard: bool,
    /// From October on, fewer family calls than the agreement's minimum (docs/rights.md#visits).
    calls_cut: bool,
}

impl CasePlan {
    /// The last day the person is surely in custody (before any return, release or death).
    fn last_day_held(&self, end: Date) -> Date {
        let mut last = end;
        if let Some((scheduled, _)) = self.return_plan {
            last = last.min(shift(scheduled, -1));
        }
        match self.exit {
            Some(Exit::Release(d)) => last = last.min(shift(d, -1)),
            Some(Exit::Death(t)) => last = last.min(shift(day_of(t), -1)),
            None => {}
        }
        last
    }
}

/// The simulation's users as the application sees them: everything they do goes through the same
/// use cases, with the same checks, as the command line's and the API's. (Loading them is a store
/// read: the app knows a user from a token, and the demo holds no token until the end.)
struct DemoPrincipals(HashMap<String, Principal>);

impl DemoPrincipals {
    async fn load(store: &Store) -> Result<Self, Failure> {
        let users = store.users().await.map_err(store_failure)?;
        Ok(Self(users.iter().filter_map(|u| Principal::from_user(u).map(|p| (u.name.clone(), p))).collect()))
    }

    fn get(&self, name: &str) -> Result<&Principal, Failure> {
        self.0.get(name).ok_or_else(|| other(format!("demo user {name} is not registered")))
    }
}

/// What happens, in the order it happens.
#[derive(Debug)]
enum Step {
    Propose {
        case: usize,
        sending_id: String,
    },
    Act {
        case: usize,
        request: Box<CaseAction>,
        user: &'static str,
        reason: &'static str,
    },
    /// A step the register must refuse with `code`: a safeguard shown working.
    Expect {
        case: usize,
        request: Box<CaseAction>,
        user: &'static str,
        reason: &'static str,
        code: &'static str,
    },
    /// A receiving officer's approval of placing the case's person above the cell's standard
    /// capacity; the case's next admission cites it.
    ApproveOverride {
        case: usize,
        facility_id: String,
        cell_id: String,
    },
    Incident {
        case: usize,
        slot: usize,
        kind: IncidentKind,
        occurred: i64,
        report: String,
    },
    Notify {
        slot: usize,
        recipient: Recipient,
    },
    Inspection(NewInspection),
    Recommendation {
        index: usize,
        state: RecommendationState,
    },
    Contact {
        case: usize,
        contact: String,
        means: ContactMeans,
        note: String,
        user: &'static str,
    },
    Examine {
        case: usize,
        injuries: Option<String>,
    },
    Visit {
        case: usize,
        kind: &'static str,
        visitor: String,
        refusal: Option<(&'static str, &'static str)>,
        user: &'static str,
    },
    Complain {
        case: usize,
        slot: usize,
        category: &'static str,
        text: &'static str,
    },
    Answer {
        slot: usize,
        text: &'static str,
    },
    Draft {
        period: String,
        on: Date,
    },
    Issue {
        period: String,
    },
}

#[derive(Debug)]
struct Timeline {
    steps: Vec<(i64, u64, Step)>,
}

impl Timeline {
    fn push(&mut self, when: i64, step: Step) {
        let order = self.steps.len() as u64;
        self.steps.push((when, order, step));
    }
}

/// What the demo made, for the walk-through.
#[derive(Debug)]
struct Summary {
    token: String,
    locator_person: Option<String>,
    users: Vec<DemoUser>,
}

/// File in the data directory listing every user of the simulation with a token and password.
const DEMO_USERS_FILE: &str = "demo-users.json";

const KIN: [&str; 6] = ["mother", "sister", "brother", "wife", "father", "daughter"];
const PROPERTY: [&str; 4] = [
    "clothing; wristwatch; 40 USD",
    "clothing; wedding ring; 12 USD",
    "clothing; rosary; reading glasses",
    "clothing only",
];

async fn simulate(app: &App, seed: u64, people: u64, admin_password: String) -> Result<Summary, Failure> {
    let store = app.store();
    let agreement = Agreement::from_toml(AGREEMENT_TOML).map_err(other)?;
    let agreement_id = agreement.id.as_str().to_owned();
    let screened_on = date(SCREENED_ON)?;
    let end = date(SIM_END)?;
    let setup_day = shift(agreement.starts, -14);

    // Users first (the admin was made by `init`): everything after is done by one of them. While
    // the admin is the only one, each new user applies at once.
    let only_admin = DemoPrincipals::load(store).await?;
    let admin = only_admin.get(ADMIN)?;
    let mut passwords = Vec::with_capacity(USERS.len());
    for (i, (name, role, facilities)) in (0i64..).zip(USERS) {
        if name == ADMIN {
            passwords.push(admin_password.clone());
            continue;
        }
        let password = demo_password()?;
        let request = UserRequest {
            name: name.to_owned(),
            role: role.to_owned(),
            agreements: vec!["*".to_owned()],
            facilities: Some(vec![facilities.to_owned()]),
            password: Some(password.clone()),
        };
        let added = app.add_user(admin, request, &stamp(at(setup_day, 8, i))?).await.map_err(app_failure)?;
        if !added.applied {
            return Err(other(format!("user {name} awaits a second admin's confirmation")));
        }
        passwords.push(password);
    }
    let principals = DemoPrincipals::load(store).await?;
    app.import_agreement(principals.get(ADMIN)?, AGREEMENT_TOML, None, &stamp(at(setup_day, 9, 0))?)
        .await
        .map_err(app_failure)?;
    let cells = cells(&agreement)?;
    let upload =
        CellsUpload { agreement_id: &agreement_id, facility_id: None, bytes: CELLS_CSV.as_bytes(), delimiter: None };
    app.import_cells(principals.get(STAFF)?, &upload, &stamp(at(setup_day, 10, 0))?).await.map_err(app_failure)?;
    progress(&format!("agreement {agreement_id} and {} cells of CECOT loaded", cells.len()))?;

    let pop = population(&agreement, seed, people, screened_on)?;
    let upload = PersonsUpload {
        agreement_id: &agreement_id,
        csv: &pop.csv,
        delimiter: None,
        skip_invalid: true,
        max_rows: None,
    };
    let imported = match app
        .import_persons(principals.get(US_OFFICER)?, upload, &stamp(at(shift(setup_day, 2), 14, 0))?)
        .await
        .map_err(app_failure)?
    {
        PersonsImport::Imported(done) => done.rows,
        PersonsImport::Refused(refused) => {
            return Err(other(format!(
                "the synthetic person file was refused: {} invalid rows",
                refused.invalid.len()
            )));
        }
    };
    let [eligible, ineligible, review, invalid] = pop.counts;
    progress(&format!(
        "{imported} synthetic candidates imported (seed {seed}); screened as of {screened_on}: {eligible} eligible, \
         {ineligible} ineligible, {review} review, {invalid} invalid"
    ))?;

    let candidates = pop.candidates;
    let mut rng = Rng::new(seed, 0xDE40);
    let plans = plan_cases(&candidates, &agreement, end, &mut rng)?;
    let mut timeline = Timeline { steps: Vec::new() };
    let case_count = schedule_cases(&mut timeline, &plans, &candidates, &cells, &agreement, end, &mut rng)?;
    let (refused, withdrawn) = schedule_declined(&mut timeline, &candidates, &agreement, case_count)?;
    schedule_oversight(&mut timeline, end)?;
    schedule_complaints(&mut timeline, &plans, end)?;
    schedule_invoices(&mut timeline, &agreement, end)?;
    timeline.steps.sort_by_key(|(when, order, _)| (*when, *order));
    progress(&format!(
        "simulating {} .. {end}: {} transfers, {refused} refused and {withdrawn} withdrawn cases, {} events to record",
        agreement.starts,
        plans.len(),
        timeline.steps.len()
    ))?;

    let refusals = run_timeline(app, &agreement_id, timeline).await?;

    // Every user's API token, issued on the host as `custodia user token` does; the admin's is
    // shown, all are in demo-users.json.
    let mut users = Vec::with_capacity(USERS.len());
    for ((name, role, _), password) in USERS.iter().zip(passwords) {
        let token = app.issue_token_on_host(name, "demo", None, &stamp(at(end, 18, 0))?).await.map_err(app_failure)?;
        users.push(DemoUser { name: (*name).to_owned(), role: (*role).to_owned(), token: token.secret, password });
    }
    let secret = users.first().map(|u| u.token.clone()).unwrap_or_default();

    // The summary is what the auditor sees (every case, facility and record of the agreement).
    let auditor = principals.get(AUDITOR)?;
    let rows = app.cases(auditor, &agreement_id, None, 0, usize::MAX).await.map_err(app_failure)?.items;
    let mut states: BTreeMap<CaseState, usize> = BTreeMap::new();
    for r in &rows {
        *states.entry(r.case.case.state).or_default() += 1;
    }
    let shown: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let invoices = app.invoices(auditor, &agreement_id).await.map_err(app_failure)?;
    let issued: Vec<_> = invoices.iter().filter(|i| i.is_issued()).collect();
    let billed: i64 = issued.iter().map(|i| i.row.total_minor).sum();
    let incidents = app.incidents(auditor, &agreement_id).await.map_err(app_failure)?;
    let contacts = app.contacts(auditor, &agreement_id).await.map_err(app_failure)?;
    // No use case reads the journal's size alone (the checkpoint signs it): a plain store read.
    let events = store.journal_size().await.map_err(store_failure)?;
    progress(&format!("{} cases: {}", rows.len(), shown.join(", ")))?;
    progress(&format!(
        "{} incidents, 1 inspection, {} contacts, {} invoices issued ({}.{:02} {}); journal of {events} events{}",
        incidents.len(),
        contacts.len(),
        issued.len(),
        billed / 100,
        billed % 100,
        agreement.currency,
        if refusals > 0 { format!("; {refusals} steps refused (see above)") } else { String::new() }
    ))?;
    let locator_person = rows
        .iter()
        .find(|r| r.case.case.state == CaseState::InCustody)
        .or_else(|| rows.first())
        .map(|r| r.sending_id.clone());
    Ok(Summary { token: secret, locator_person, users })
}

/// Whether the register's screening of `person` is the same on every step of a transfer on
/// `flight` (screening, review, approvals, departure, a held admission), with no failed rule and
/// at most the torture-risk assessment unknown: the demo's transfers then go through, and a
/// review resolves exactly the unknown rule.
fn steady_screening(agreement: &Agreement, person: &custodia_core::Person, flight: Date) -> bool {
    use custodia_core::safeguards::screen_on;
    let first = screen_on(agreement, person, shift(flight, -13));
    let only_e15 =
        first.outcomes.iter().all(|(rule, o)| *o == Outcome::Pass || (*rule == Rule::E15 && *o == Outcome::Unknown));
    only_e15
        && [-11, -8, -7, 0, 4]
            .iter()
            .all(|d| screen_on(agreement, person, shift(flight, *d)).outcomes == first.outcomes)
}

/// Chooses who is transferred on which flight, and what their year holds.
fn plan_cases(
    candidates: &[Candidate],
    agreement: &Agreement,
    end: Date,
    rng: &mut Rng,
) -> Result<Vec<CasePlan>, Failure> {
    let flights: Vec<Date> = FLIGHTS.iter().map(|f| date(*f)).collect::<Result<_, _>>()?;
    let mut pool: Vec<usize> = (0..candidates.len())
        .filter(|i| candidates.get(*i).is_some_and(|c| c.transferable && c.has_class && c.projected_release.is_some()))
        .collect();
    rng.shuffle(&mut pool);
    pool.truncate(TARGET_CASES);
    let before_release = i64::from(agreement.return_before_release_days);
    let mut plans: Vec<CasePlan> = Vec::with_capacity(pool.len());
    for candidate in pool {
        let Some(c) = candidates.get(candidate) else { continue };
        let release = c.projected_release.unwrap_or(end);
        // About a third on the first flight, the rest spread over the year; never so late that
        // fewer than about six months remain before release, and only on a flight whose steps
        // the register's screening lets through (it screens again at each step).
        let wanted = if rng.chance(30) { 0 } else { 1 + usize::try_from(rng.below(11)).unwrap_or(0) };
        let Some(flight) = (0..=wanted)
            .rev()
            .filter_map(|f| flights.get(f).copied())
            .find(|d| release.days_since(*d) >= 190 && steady_screening(agreement, &c.person, *d))
        else {
            continue;
        };
        let return_on = shift(release, -before_release);
        let scheduled = shift(return_on, -21).max(shift(flight, 30));
        plans.push(CasePlan {
            candidate,
            flight,
            seat: 0,
            admitted_on: flight,
            hold: false,
            cell: 0,
            return_plan: (scheduled <= end).then_some((scheduled, return_on)),
            exit: None,
            moves: Vec::new(),
            use_of_force: false,
            consular_visit: None,
            turned_back: false,
            challenged: false,
            stays: false,
            over_standard: false,
            calls_cut: false,
        });
    }
    plans.sort_by_key(|p| p.flight);
    let mut seats: HashMap<Date, i64> = HashMap::new();
    for plan in &mut plans {
        let seat = seats.entry(plan.flight).or_default();
        plan.seat = *seat;
        *seat += 1;
    }
    // A turned-back flight: the first person on the first flight is in the air when a court
    // orders them returned (as a US district court ordered on 15 March 2025, J.G.G. v. Trump);
    // admission is refused under the order, and the plane turns back.
    if let Some(plan) = plans.first_mut() {
        plan.turned_back = true;
    }
    // A challenge: the second person contests the transfer after both approvals; it is
    // dismissed with written reasons by two legal officers, and the flight is booked a day late.
    if let Some(plan) = plans.get_mut(1) {
        plan.challenged = true;
    }
    // The crowded cell: the first people who stay all year fill the first cell to its standard
    // capacity, and one more is admitted over it with a two-person override, which expires.
    let stayers: Vec<usize> = (0..plans.len())
        .filter(|i| plans.get(*i).is_some_and(|p| !p.turned_back && p.return_plan.is_none()))
        .take(CROWDED_CELL_HOLDS)
        .collect();
    let overflow_by = shift(end, -i64::from(agreement.custody.override_max_days) - 2);
    let crowded = stayers.len() == CROWDED_CELL_HOLDS
        && stayers.last().and_then(|i| plans.get(*i)).is_some_and(|p| p.admitted_on <= overflow_by);
    let mut others = 0;
    for (i, plan) in plans.iter_mut().enumerate() {
        if crowded && stayers.contains(&i) {
            plan.stays = true;
            plan.over_standard = stayers.last() == Some(&i);
            plan.cell = 0;
        } else {
            plan.cell = usize::from(crowded) + others / PER_CELL;
            others += usize::from(!plan.turned_back);
        }
    }

    // One person who stays all year has family calls cut from October (VISITS_BELOW_MINIMUM).
    if let Some(plan) = plans.iter_mut().filter(|p| p.stays).nth(2) {
        plan.calls_cut = true;
    }
    // A legal hold on someone in transit (a court's temporary restraining order), lifted three
    // days later: admission waits for it.
    let hold_flight = flights.get(3).copied().unwrap_or(end);
    let free = |p: &CasePlan| !p.stays && !p.turned_back;
    let hold = plans.iter().position(|p| p.flight == hold_flight && free(p));
    if let Some(plan) = hold.and_then(|i| plans.get_mut(i)) {
        plan.hold = true;
        plan.admitted_on = shift(plan.flight, 3);
    }
    // One death in custody.
    let death = at(date((2025, 9, 14))?, 3, 20);
    if let Some(plan) = plans
        .iter_mut()
        .find(|p| free(p) && !p.hold && p.admitted_on < day_of(death) && p.last_day_held(end) > day_of(death))
    {
        plan.exit = Some(Exit::Death(death));
        plan.return_plan = None;
    }
    // A use of force.
    let force_day = date((2025, 7, 21))?;
    if let Some(plan) = plans.iter_mut().find(|p| {
        free(p) && p.exit.is_none() && p.admitted_on < force_day && p.last_day_held(end) > shift(force_day, 1)
    }) {
        plan.use_of_force = true;
    }
    // A few releases by court order.
    let mut released = 0;
    for plan in plans.iter_mut().skip(7).step_by(37) {
        if released == 3 || plan.exit.is_some() || plan.hold || plan.use_of_force || !free(plan) {
            continue;
        }
        let on = shift(plan.admitted_on, 60 + i64::try_from(rng.below(60)).unwrap_or(0));
        if on < plan.last_day_held(end) {
            plan.exit = Some(Exit::Release(on));
            plan.return_plan = None;
            released += 1;
        }
    }
    // Cell moves and consular visits.
    let mut moved = 0usize;
    for plan in &mut plans {
        if !free(plan) {
            continue;
        }
        let last = plan.last_day_held(end);
        if rng.chance(8) {
            let on = shift(plan.admitted_on, 30 + i64::try_from(rng.below(90)).unwrap_or(0));
            if on < last {
                plan.moves.push((on, moved));
                moved += 1;
            }
        }
        if rng.chance(12) {
            let on = shift(plan.admitted_on, 14 + i64::try_from(rng.below(30)).unwrap_or(0));
            if on < last {
                plan.consular_visit = Some(on);
            }
        }
    }
    Ok(plans)
}

/// The steps of every transferred case.
fn schedule_cases(
    timeline: &mut Timeline,
    plans: &[CasePlan],
    candidates: &[Candidate],
    cells: &[Cell],
    agreement: &Agreement,
    end: Date,
    rng: &mut Rng,
) -> Result<usize, Failure> {
    let facility = agreement.facilities.first().map(|f| f.id.as_str().to_owned()).unwrap_or_default();
    let cell_id = |index: usize| cells.get(index).map(|c| c.cell_id.clone()).unwrap_or_default();
    let place =
        |index: usize| Placement { facility_id: facility.clone(), cell_id: cell_id(index), override_approval: None };
    let plain = Box::new;
    let mut incident_slot = 0;
    for (case, plan) in plans.iter().enumerate() {
        let Some(who) = candidates.get(plan.candidate) else { continue };
        let f = plan.flight;
        let s = plan.seat;
        timeline.push(at(shift(f, -14), 8, s), Step::Propose { case, sending_id: who.sending_id.clone() });
        timeline.push(
            at(shift(f, -13), 8, s),
            Step::Act { case, request: plain(CaseAction::Screen), user: US_OFFICER, reason: "ELIGIBILITY_SCREENING" },
        );
        let screened = custodia_core::safeguards::screen_on(agreement, &who.person, shift(f, -13));
        if screened.decision() == Decision::Review {
            let assessed = shift(f, -12);
            timeline.push(
                at(shift(f, -11), 9, s),
                Step::Act {
                    case,
                    request: plain(CaseAction::ResolveReview(
                        screened
                            .rules(Outcome::Unknown)
                            .into_iter()
                            .map(|rule| FindingRequest {
                                rule: rule.code().to_owned(),
                                finding: "pass".to_owned(),
                                evidence: format!(
                                    "torture-risk assessment renewed on {assessed}, no risk found \
                                     (Convention against Torture art. 3)"
                                ),
                            })
                            .collect(),
                    )),
                    user: LEGAL,
                    reason: "TORTURE_RISK_ASSESSED",
                },
            );
            timeline.push(
                at(shift(f, -10), 9, s),
                Step::Act {
                    case,
                    request: plain(CaseAction::ConfirmReview),
                    user: LEGAL_2,
                    reason: "REVIEW_CONFIRMED",
                },
            );
        }
        for (day, party, user) in [(-8, Party::Sending, US_OFFICER), (-7, Party::Receiving, SV_OFFICER)] {
            timeline.push(
                at(shift(f, day), 10, s),
                Step::Act { case, request: plain(CaseAction::Approve(party)), user, reason: "TRANSFER_AGREED" },
            );
        }
        if plan.challenged {
            schedule_challenge(timeline, case, f, s);
        }
        timeline.push(
            at(shift(f, -5), 11, s),
            Step::Act { case, request: plain(CaseAction::Schedule), user: US_OFFICER, reason: "FLIGHT_BOOKED" },
        );
        timeline.push(
            at(f, 2, s),
            Step::Act { case, request: plain(CaseAction::Depart), user: US_OFFICER, reason: "DEPARTED" },
        );
        let reference = format!("D.D.C. 25-cv-{:04} TRO", 766 + case);
        if plan.turned_back {
            schedule_turn_back(timeline, case, plan, agreement)?;
            continue;
        }
        if plan.hold {
            timeline.push(
                at(f, 9, 0),
                Step::Act {
                    case,
                    request: plain(CaseAction::PlaceHold(HoldRequest {
                        authority: "US District Court for the District of Columbia".to_owned(),
                        reference: reference.clone(),
                        order: "stop".to_owned(),
                    })),
                    user: LEGAL,
                    reason: "COURT_ORDER",
                },
            );
            timeline.push(
                at(shift(f, 3), 9, 0),
                Step::Act {
                    case,
                    request: plain(CaseAction::LiftHold {
                        reference: reference.clone(),
                        decision_reference: format!("{reference} vacated"),
                    }),
                    user: LEGAL,
                    reason: "ORDER_VACATED",
                },
            );
            timeline.push(
                at(shift(f, 3), 10, 0),
                Step::Act {
                    case,
                    request: plain(CaseAction::ConfirmLift(reference)),
                    user: LEGAL_2,
                    reason: "ORDER_VACATED",
                },
            );
        }
        let admit_hour = 12 + s * 2 / 60;
        let kin = KIN.get(case % KIN.len()).copied().unwrap_or("sister");
        let injuries = if rng.chance(6) { "bruising on both wrists (restraints during the flight)" } else { "none" };
        let admission = |placement: Placement| {
            Box::new(CaseAction::Admit {
                admission: Admission {
                    receiving_id: Some(format!("SV-CECOT-{:05}", case + 1)),
                    commitment_order: format!("US-DOJ-{}-{:05}", f.year(), case + 1),
                    admitted_on: plan.admitted_on,
                    hour: u8::try_from(admit_hour.clamp(0, 23)).unwrap_or(12),
                    visible_injuries: injuries.to_owned(),
                    property: PROPERTY.get(case % PROPERTY.len()).copied().unwrap_or("clothing only").to_owned(),
                    next_of_kin: format!("{} family ({kin}), reachable through the US consulate", who.family_name),
                },
                placement,
            })
        };
        let admitted_at = at(plan.admitted_on, 12, s * 2);
        if plan.over_standard {
            // The cell is at its standard capacity: refused without an override, then approved
            // by a receiving officer and admitted by the facility's staff citing it.
            timeline.push(
                admitted_at,
                Step::Expect {
                    case,
                    request: admission(place(plan.cell)),
                    user: STAFF,
                    reason: "ADMITTED",
                    code: "NEEDS_OVERRIDE",
                },
            );
            timeline.push(
                admitted_at,
                Step::ApproveOverride { case, facility_id: facility.clone(), cell_id: cell_id(plan.cell) },
            );
        }
        timeline.push(
            admitted_at,
            Step::Act { case, request: admission(place(plan.cell)), user: STAFF, reason: "ADMITTED" },
        );
        timeline.push(
            at(shift(plan.admitted_on, 1), 15, s),
            Step::Contact {
                case,
                contact: format!("{} family ({kin})", who.family_name),
                means: ContactMeans::Phone,
                note: "told of the transfer and the admission to CECOT (Mandela Rule 68)".to_owned(),
                user: SV_OFFICER,
            },
        );
        schedule_care(timeline, case, plan, admitted_at, injuries, end)?;
        for (on, n) in &plan.moves {
            timeline.push(
                at(*on, 10, s),
                Step::Act {
                    case,
                    request: Box::new(CaseAction::Move(place(cells.len().saturating_sub(1 + n / PER_CELL)))),
                    user: STAFF,
                    reason: "CELL_REASSIGNMENT",
                },
            );
        }
        if let Some(on) = plan.consular_visit {
            timeline.push(
                at(on, 11, s),
                Step::Contact {
                    case,
                    contact: "US consular section, San Salvador".to_owned(),
                    means: ContactMeans::Visit,
                    note: "welfare visit; asked about medical care and contact with family".to_owned(),
                    user: US_OFFICER,
                },
            );
        }
        if plan.use_of_force {
            let occurred = at(date((2025, 7, 21))?, 14, 5);
            timeline.push(
                occurred + 2 * 3600,
                Step::Incident {
                    case,
                    slot: incident_slot,
                    kind: IncidentKind::UseOfForce,
                    occurred,
                    report: "Riot-control spray used in building 1 to end a fight between two detainees; \
                             both seen by the medical unit, no lasting injury."
                        .to_owned(),
                },
            );
            incident_slot += 1;
        }
        if let Some((scheduled, return_on)) = plan.return_plan {
            timeline.push(
                at(scheduled, 9, s),
                Step::Act {
                    case,
                    request: plain(CaseAction::ScheduleReturn(return_on)),
                    user: US_OFFICER,
                    reason: "RETURN_BEFORE_RELEASE",
                },
            );
            if return_on <= end {
                timeline.push(
                    at(return_on, 10, s),
                    Step::Act {
                        case,
                        request: plain(CaseAction::Return),
                        user: STAFF,
                        reason: "RETURNED_TO_SENDING_STATE",
                    },
                );
            }
        }
        match plan.exit {
            Some(Exit::Release(on)) => timeline.push(
                at(on, 16, s),
                Step::Act {
                    case,
                    request: plain(CaseAction::Release("US".to_owned())),
                    user: STAFF,
                    reason: "COURT_ORDER",
                },
            ),
            Some(Exit::Death(occurred)) => {
                let slot = incident_slot;
                incident_slot += 1;
                // `record-death` files the death incident; this step finds it for the notifications.
                timeline.push(
                    occurred + 120 * 60,
                    Step::Incident {
                        case,
                        slot,
                        kind: IncidentKind::Death,
                        occurred,
                        report: "Found unresponsive in cell at the 03:20 count; resuscitation failed. \
                                 Cause of death to be established by the forensic institute."
                            .to_owned(),
                    },
                );
                timeline.push(
                    occurred + 110 * 60,
                    Step::Act {
                        case,
                        request: plain(CaseAction::RecordDeath(
                            "Found unresponsive in cell at the 03:20 count".to_owned(),
                        )),
                        user: STAFF,
                        reason: "DIED_IN_CUSTODY",
                    },
                );
                // Sending state and family in time; the independent authority a day late.
                timeline.push(occurred + 5 * 3600 + 40 * 60, Step::Notify { slot, recipient: Recipient::SendingState });
                timeline.push(occurred + 21 * 3600 + 40 * 60, Step::Notify { slot, recipient: Recipient::NextOfKin });
                timeline.push(
                    occurred + 96 * 3600 + 40 * 60,
                    Step::Notify { slot, recipient: Recipient::IndependentAuthority },
                );
                timeline.push(
                    occurred + 6 * 3600,
                    Step::Contact {
                        case,
                        contact: "US consular section, San Salvador".to_owned(),
                        means: ContactMeans::Phone,
                        note: "consul told of the death; repatriation of the remains requested".to_owned(),
                        user: SV_OFFICER,
                    },
                );
            }
            None => {}
        }
    }
    Ok(plans.len())
}

/// A flight in the air when a court orders the person returned: the register refuses the
/// admission under the order (`ON_HOLD`) and the sending state turns the flight back.
/// The person's care in custody (docs/rights.md): a doctor's examination three hours after
/// admission (documenting the injuries the intake saw), a family call on the 10th of every month
/// and a consular visit every 80 days while held. One person's calls are cut from October
/// (`VISITS_BELOW_MINIMUM`): refused for "security", then held only every other month.
fn schedule_care(
    timeline: &mut Timeline,
    case: usize,
    plan: &CasePlan,
    admitted_at: i64,
    injuries: &str,
    end: Date,
) -> CmdResult {
    let documented = (injuries != "none").then(|| format!("{injuries}; consistent with the account given"));
    // The intake's hour is San Salvador's (UTC−6) and `admitted_at` is UTC: three hours after
    // the admission is nine after `admitted_at`.
    timeline.push(admitted_at + 9 * 3600, Step::Examine { case, injuries: documented });
    let last = plan.last_day_held(end);
    let cut_from = date((2025, 10, 1))?;
    let mut call = Date::from_ymd(plan.admitted_on.year(), plan.admitted_on.month(), 10).map_err(other)?;
    if call <= plan.admitted_on {
        call = call.add_months(1).map_err(other)?;
    }
    while call <= last {
        let cut = plan.calls_cut && call >= cut_from;
        let refusal = (cut && call.month() % 2 == 0).then_some(("security", "lockdown of building 1"));
        if !cut || refusal.is_some() || call.month() % 2 == 1 {
            let visitor = "family, through the US consulate's call line".to_owned();
            let user = STAFF;
            timeline.push(at(call, 16, 0), Step::Visit { case, kind: "family_call", visitor, refusal, user });
        }
        call = call.add_months(1).map_err(other)?;
    }
    let mut visit = shift(plan.admitted_on, 20);
    while visit <= last {
        let visitor = "US consular section, San Salvador".to_owned();
        timeline.push(
            at(visit, 11, 0),
            Step::Visit { case, kind: "consular_visit", visitor, refusal: None, user: US_OFFICER },
        );
        visit = shift(visit, 80);
    }
    Ok(())
}

/// Two complaints of people who stay all year: one about water answered within three days, one
/// about the lights answered 21 days after it was made, late (`complaint_answer_days` is 14).
fn schedule_complaints(timeline: &mut Timeline, plans: &[CasePlan], end: Date) -> CmdResult {
    let mut stayers = plans.iter().enumerate().filter(|(_, p)| p.stays).map(|(i, _)| i);
    let (Some(first), Some(second)) = (stayers.next(), stayers.next()) else { return Ok(()) };
    let made = date((2025, 11, 3))?;
    if shift(made, 21) > end {
        return Ok(());
    }
    let water = "no drinking water in the cell for two days";
    timeline.push(at(made, 9, 0), Step::Complain { case: first, slot: 0, category: "conditions", text: water });
    timeline.push(at(shift(made, 3), 9, 0), Step::Answer { slot: 0, text: "pump replaced; water restored" });
    let lights = "the lights stay on all night; I cannot sleep";
    timeline.push(at(made, 10, 0), Step::Complain { case: second, slot: 1, category: "conditions", text: lights });
    timeline.push(
        at(shift(made, 21), 9, 0),
        Step::Answer { slot: 1, text: "lights dimmed from 22:00 to 06:00 (ICRC recommendation accepted)" },
    );
    Ok(())
}

/// The person's challenge of the transfer, between the approvals and the booking: recorded,
/// scheduling refused while it is undecided, dismissed with written reasons and confirmed by a
/// second legal officer (docs/rights.md#challenges).
fn schedule_challenge(timeline: &mut Timeline, case: usize, flight: Date, seat: i64) {
    let reference = format!("CH-{}-{:04}", flight.year(), case + 1);
    let challenge = HoldRequest {
        authority: "the person, by counsel".to_owned(),
        reference: reference.clone(),
        order: "challenge".to_owned(),
    };
    let day = shift(flight, -6);
    timeline.push(
        at(day, 9, seat),
        Step::Act { case, request: Box::new(CaseAction::PlaceHold(challenge)), user: LEGAL, reason: "CHALLENGE_FILED" },
    );
    timeline.push(
        at(day, 10, seat),
        Step::Expect {
            case,
            request: Box::new(CaseAction::Schedule),
            user: US_OFFICER,
            reason: "FLIGHT_BOOKED",
            code: "CHALLENGE_PENDING",
        },
    );
    let decision = CaseAction::DecideChallenge {
        reference: reference.clone(),
        outcome: "dismissed".to_owned(),
        reasons: "the torture-risk assessment on record is current and found no risk; the conviction is \
                  final; the transfer is lawful under the agreement"
            .to_owned(),
    };
    timeline.push(
        at(day, 15, seat),
        Step::Act { case, request: Box::new(decision), user: LEGAL, reason: "CHALLENGE_DISMISSED" },
    );
    timeline.push(
        at(shift(flight, -5), 9, seat),
        Step::Act {
            case,
            request: Box::new(CaseAction::ConfirmLift(reference)),
            user: LEGAL_2,
            reason: "CHALLENGE_DISMISSED",
        },
    );
}

fn schedule_turn_back(timeline: &mut Timeline, case: usize, plan: &CasePlan, agreement: &Agreement) -> CmdResult {
    let (f, s) = (plan.flight, plan.seat);
    let facility_id = agreement.facilities.first().map(|f| f.id.as_str().to_owned()).unwrap_or_default();
    timeline.push(
        at(f, 4, 0),
        Step::Act {
            case,
            request: Box::new(CaseAction::PlaceHold(HoldRequest {
                authority: "US District Court for the District of Columbia".to_owned(),
                reference: "D.D.C. 25-cv-0766 order to return the flight".to_owned(),
                order: "return".to_owned(),
            })),
            user: LEGAL,
            reason: "COURT_ORDER",
        },
    );
    let admission = Admission {
        receiving_id: None,
        commitment_order: format!("US-DOJ-{}-{:05}", f.year(), case + 1),
        admitted_on: f,
        hour: 12,
        visible_injuries: "none".to_owned(),
        property: "clothing only".to_owned(),
        next_of_kin: "family, reachable through the US consulate".to_owned(),
    };
    let placement = Placement { facility_id, cell_id: "B1-C01".to_owned(), override_approval: None };
    timeline.push(
        at(f, 12, s * 2),
        Step::Expect {
            case,
            request: Box::new(CaseAction::Admit { admission, placement }),
            user: STAFF,
            reason: "ADMITTED",
            code: "ON_HOLD",
        },
    );
    timeline.push(
        at(f, 13, 0),
        Step::Act { case, request: Box::new(CaseAction::TurnBack), user: US_OFFICER, reason: "COURT_ORDERED_RETURN" },
    );
    Ok(())
}

/// Cases that never travel: people screened ineligible, refused by the receiving state or
/// withdrawn by the sending state. Their case numbers follow the transfers'.
fn schedule_declined(
    timeline: &mut Timeline,
    candidates: &[Candidate],
    agreement: &Agreement,
    first_case: usize,
) -> Result<(usize, usize), Failure> {
    // People with a legal basis (a final conviction and a sentence still running, so neither E01
    // nor E05 in their reasons) whom another rule excludes: their cases can be opened, and the
    // register's screening then refuses them.
    let day = date(FLIGHTS.get(1).copied().unwrap_or(SCREENED_ON))?;
    let with_basis = |i: &usize| {
        candidates.get(*i).is_some_and(|c| {
            c.decision == Decision::Ineligible && !c.reasons.contains("E01") && !c.reasons.contains("E05")
        })
    };
    let mut ineligible: Vec<usize> = (0..candidates.len()).filter(with_basis).take(6).collect();
    // A citizen of the sending state (E07) first: the sending state's approval is refused
    // NOT_ELIGIBLE before the case is refused.
    let citizen = |i: &usize| {
        candidates.get(*i).is_some_and(|c| {
            custodia_core::safeguards::screen_on(agreement, &c.person, shift(day, -10))
                .rules(Outcome::Fail)
                .contains(&Rule::E07)
        })
    };
    let first_citizen = (0..candidates.len()).find(|i| with_basis(i) && citizen(i));
    if let Some(found) = first_citizen {
        ineligible.retain(|i| *i != found);
        ineligible.insert(0, found);
        ineligible.truncate(6);
    }
    let (mut refused, mut withdrawn) = (0, 0);
    for (n, candidate) in ineligible.into_iter().enumerate() {
        let case = first_case + n;
        let seat = i64::try_from(n).unwrap_or(0);
        let sending_id = candidates.get(candidate).map(|c| c.sending_id.clone()).unwrap_or_default();
        timeline.push(at(shift(day, -12), 7, seat), Step::Propose { case, sending_id });
        timeline.push(
            at(shift(day, -11), 7, seat),
            Step::Act {
                case,
                request: Box::new(CaseAction::Screen),
                user: US_OFFICER,
                reason: "ELIGIBILITY_SCREENING",
            },
        );
        if n == 0 && first_citizen.is_some() {
            timeline.push(
                at(shift(day, -10), 6, seat),
                Step::Expect {
                    case,
                    request: Box::new(CaseAction::Approve(Party::Sending)),
                    user: US_OFFICER,
                    reason: "TRANSFER_AGREED",
                    code: "NOT_ELIGIBLE",
                },
            );
        }
        let (command, user) = if n % 3 == 2 {
            withdrawn += 1;
            (CaseAction::Withdraw, US_OFFICER)
        } else {
            refused += 1;
            (CaseAction::Refuse, SV_OFFICER)
        };
        timeline.push(
            at(shift(day, -10), 7, seat),
            Step::Act { case, request: Box::new(command), user, reason: "NOT_ELIGIBLE" },
        );
    }
    Ok((refused, withdrawn))
}

/// The ICRC's visit.
fn schedule_oversight(timeline: &mut Timeline, end: Date) -> Result<(), Failure> {
    let from = date((2025, 10, 6))?;
    let to = date((2025, 10, 8))?;
    if shift(to, 12) > end {
        return Ok(());
    }
    timeline.push(
        at(shift(to, 12), 10, 0),
        Step::Inspection(NewInspection {
            agreement_id: String::new(),
            body: "ICRC".to_owned(),
            from,
            to,
            findings: vec![
                "Shared cells of 100 m² hold at most 20 people from the agreement: within the CPT standard of 4 m² each."
                    .to_owned(),
                "Cell lights stay on day and night.".to_owned(),
                "Two people said their families did not know where they were held.".to_owned(),
            ],
            recommendations: vec![
                "Switch cell lighting off at night (Nelson Mandela Rule 14).".to_owned(),
                "Allow every person held under the agreement a monthly video call with family (Rule 58).".to_owned(),
            ],
        }),
    );
    timeline.push(
        at(date((2025, 11, 14))?, 10, 0),
        Step::Recommendation { index: 0, state: RecommendationState::Accepted },
    );
    Ok(())
}

/// Each month of the agreement year that is over by the end of the simulation: drafted on the
/// second day after it ends by one finance officer, issued the same afternoon by the other.
fn schedule_invoices(timeline: &mut Timeline, agreement: &Agreement, end: Date) -> Result<(), Failure> {
    let (mut y, mut m) = (agreement.starts.year(), agreement.starts.month());
    loop {
        let first = Date::from_ymd(y, m, 1).map_err(other)?;
        if first > agreement.ends {
            break;
        }
        let last = Date::from_ymd(y, m, custodia_core::date::days_in_month(y, m)).map_err(other)?.min(agreement.ends);
        let on = shift(last, 2);
        if on > end {
            break;
        }
        let period = format!("{y:04}-{m:02}");
        timeline.push(at(on, 9, 30), Step::Draft { period: period.clone(), on });
        timeline.push(at(on, 15, 0), Step::Issue { period });
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    Ok(())
}

/// Records every step in time order; returns how many were refused (each is reported).
async fn run_timeline(app: &App, agreement_id: &str, timeline: Timeline) -> Result<usize, Failure> {
    let store = app.store();
    let users = DemoPrincipals::load(store).await?;
    let mut case_ids: HashMap<usize, i64> = HashMap::new();
    let mut derailed: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut incidents: HashMap<usize, i64> = HashMap::new();
    let mut inspection: Option<i64> = None;
    let mut drafts: HashMap<String, i64> = HashMap::new();
    let mut complaints: HashMap<usize, i64> = HashMap::new();
    let mut approvals: HashMap<usize, i64> = HashMap::new();
    let mut refusals = 0usize;
    let total = timeline.steps.len();
    let mut quarter = None;
    for (done, (when, _, step)) in timeline.steps.into_iter().enumerate() {
        let day = day_of(when);
        let this_quarter = (day.year(), (day.month() - 1) / 3);
        if quarter != Some(this_quarter) {
            quarter = Some(this_quarter);
            progress(&format!("… {:04}-{:02} ({done}/{total} steps)", day.year(), day.month()))?;
        }
        match step {
            Step::Propose { case, sending_id } => {
                let row = app
                    .propose_case(users.get(US_OFFICER)?, agreement_id, &sending_id, None, &stamp(when)?)
                    .await
                    .map_err(app_failure)?;
                case_ids.insert(case, row.case.id);
            }
            Step::Act { case, request, user, reason } => {
                if derailed.contains(&case) {
                    continue;
                }
                let Some(id) = case_ids.get(&case).copied() else { continue };
                let t = stamp(when)?;
                let mut action = *request;
                if let CaseAction::Admit { placement, .. } | CaseAction::Move(placement) = &mut action {
                    placement.override_approval = approvals.get(&case).copied();
                }
                let request = TransitionRequest {
                    action,
                    reason: reason.to_owned(),
                    occurred_at: Some(t.clone()),
                    expected_version: None,
                };
                match app.transition(users.get(user)?, id, request, &t).await {
                    Ok(_) => {}
                    Err(AppError::Refused { message, .. }) => {
                        refusals += 1;
                        derailed.insert(case);
                        progress(&format!("warning: {message} (its later steps skipped)"))?;
                    }
                    Err(other) => return Err(app_failure(other)),
                }
            }
            Step::Expect { case, request, user, reason, code } => {
                let Some(id) = case_ids.get(&case).copied() else { continue };
                let t = stamp(when)?;
                let request = TransitionRequest {
                    action: *request,
                    reason: reason.to_owned(),
                    occurred_at: Some(t.clone()),
                    expected_version: None,
                };
                match app.transition(users.get(user)?, id, request, &t).await {
                    Err(AppError::Refused { code: refused, message }) if refused == code => {
                        progress(&format!("safeguard held on {day}: {message}"))?;
                    }
                    Ok(_) => {
                        return Err(other(format!("case {id}: the register accepted a step it must refuse {code}")));
                    }
                    Err(e) => return Err(other(format!("case {id}: expected {code}, got {e}"))),
                }
            }
            Step::ApproveOverride { case, facility_id, cell_id } => {
                let Some(id) = case_ids.get(&case).copied() else { continue };
                let reason = "flight arrived with the cell at its standard capacity; no other cell of the unit free";
                let approval = app
                    .approve_override(users.get(SV_OFFICER)?, id, &facility_id, &cell_id, reason, &stamp(when)?)
                    .await
                    .map_err(app_failure)?;
                approvals.insert(case, approval.id);
            }
            Step::Incident { case, slot, kind, occurred, report } => {
                if derailed.contains(&case) {
                    continue;
                }
                let Some(id) = case_ids.get(&case).copied() else { continue };
                if kind == IncidentKind::Death {
                    // Filed by `record-death` in the same transaction as the death.
                    let filed = app.incidents(users.get(STAFF)?, agreement_id).await.map_err(app_failure)?;
                    if let Some(found) = filed.iter().find(|i| i.case_id == Some(id) && i.kind == IncidentKind::Death) {
                        incidents.insert(slot, found.id);
                    }
                    continue;
                }
                let new = NewIncident {
                    agreement_id: agreement_id.to_owned(),
                    case_id: Some(id),
                    kind,
                    occurred_at: stamp(occurred)?,
                    report,
                };
                let row = app.file_incident(users.get(STAFF)?, &new, &stamp(when)?).await.map_err(app_failure)?;
                incidents.insert(slot, row.id);
            }
            Step::Notify { slot, recipient } => {
                let Some(id) = incidents.get(&slot).copied() else { continue };
                let t = stamp(when)?;
                app.notify_incident(users.get(STAFF)?, id, recipient, &t, &t).await.map_err(app_failure)?;
            }
            Step::Inspection(filed) => {
                // Scheduled without the agreement id, which only the timeline's runner knows.
                let new = NewInspection { agreement_id: agreement_id.to_owned(), ..filed };
                let row = app.file_inspection(users.get(INSPECTOR)?, &new, &stamp(when)?).await.map_err(app_failure)?;
                inspection = Some(row.id);
            }
            Step::Recommendation { index, state } => {
                let Some(id) = inspection else { continue };
                app.move_recommendation(users.get(INSPECTOR)?, id, index, state, &stamp(when)?)
                    .await
                    .map_err(app_failure)?;
            }
            Step::Contact { case, contact, means, note, user } => {
                let Some(id) = case_ids.get(&case).copied() else { continue };
                let t = stamp(when)?;
                let new = NewContact {
                    agreement_id: agreement_id.to_owned(),
                    case_id: Some(id),
                    contact,
                    at: t.clone(),
                    means,
                    note,
                };
                app.log_contact(users.get(user)?, &new, &t).await.map_err(app_failure)?;
            }
            Step::Examine { case, injuries } => {
                let Some(id) = case_ids.get(&case).copied().filter(|_| !derailed.contains(&case)) else { continue };
                let t = stamp(when)?;
                let new = NewExamination {
                    agreement_id: agreement_id.to_owned(),
                    case_id: id,
                    purpose: "admission".to_owned(),
                    examiner: "Dr. Lucía Flores, MD (CECOT medical unit)".to_owned(),
                    examined_at: Some(t.clone()),
                    fit_for_custody: "fit".to_owned(),
                    fit_for_transfer: "fit".to_owned(),
                    fit_for_solitary: "fit".to_owned(),
                    findings: "general condition good; no acute findings; TB screening negative".to_owned(),
                    injuries,
                };
                app.record_examination(users.get(DOCTOR)?, &new, &t).await.map_err(app_failure)?;
            }
            Step::Visit { case, kind, visitor, refusal, user } => {
                let Some(id) = case_ids.get(&case).copied().filter(|_| !derailed.contains(&case)) else { continue };
                let t = stamp(when)?;
                let new = NewVisit {
                    agreement_id: agreement_id.to_owned(),
                    case_id: id,
                    kind: kind.to_owned(),
                    visitor,
                    at: Some(t.clone()),
                    outcome: if refusal.is_some() { "refused" } else { "held" }.to_owned(),
                    ground: refusal.map(|(ground, _)| ground.to_owned()),
                    reason: refusal.map(|(_, reason)| reason.to_owned()),
                };
                app.record_visit(users.get(user)?, &new, &t).await.map_err(app_failure)?;
            }
            Step::Complain { case, slot, category, text } => {
                let Some(id) = case_ids.get(&case).copied().filter(|_| !derailed.contains(&case)) else { continue };
                let t = stamp(when)?;
                let new = NewComplaint {
                    agreement_id: agreement_id.to_owned(),
                    case_id: id,
                    category: category.to_owned(),
                    confidential: false,
                    text: text.to_owned(),
                    alleges_ill_treatment: false,
                    made_at: Some(t.clone()),
                };
                let row = app.file_complaint(users.get(STAFF)?, &new, &t).await.map_err(app_failure)?;
                complaints.insert(slot, row.id);
            }
            Step::Answer { slot, text } => {
                let Some(id) = complaints.get(&slot).copied() else { continue };
                app.answer_complaint(users.get(STAFF)?, id, text, &stamp(when)?).await.map_err(app_failure)?;
            }
            Step::Draft { period, on } => {
                let request = custodia_app::billing::DraftInvoice {
                    agreement_id: agreement_id.to_owned(),
                    period: period.clone(),
                    extras: Vec::new(),
                    on: Some(on),
                };
                match app.draft_invoice(users.get(FINANCE_DRAFT)?, &request, &stamp(when)?).await {
                    Ok(drafted) => {
                        drafts.insert(period, drafted.row.id);
                    }
                    Err(e) => {
                        refusals += 1;
                        progress(&format!("warning: invoice {period} not drafted: {e}"))?;
                    }
                }
            }
            Step::Issue { period } => {
                let Some(id) = drafts.get(&period).copied() else { continue };
                if let Err(e) = app.issue_invoice(users.get(FINANCE_ISSUE)?, id, &stamp(when)?).await {
                    refusals += 1;
                    progress(&format!("warning: invoice {period} not issued: {e}"))?;
                }
            }
        }
    }
    Ok(refusals)
}

/// Prints the admin token and a walk-through (standard output); `run_server` then prints the
/// address line.
fn print_walkthrough(summary: &Summary, addr: SocketAddr, dir: &Path) -> CmdResult {
    let base = format!("http://{addr}");
    let token = &summary.token;
    let auth = format!("-H 'Authorization: Bearer {token}'");
    let mut out = std::io::stdout().lock();
    writeln!(out, "admin token: {token}")?;
    writeln!(out)?;
    writeln!(out, "Custodia demo: the US–El Salvador (CECOT) agreement, a year simulated up to 2026-03-10.")?;
    writeln!(out, "Register and journal signing key in {}.", dir.display())?;
    writeln!(out)?;
    writeln!(out, "Open {base}/ in a browser and sign in with a user and password from")?;
    writeln!(out, "{}: admin, us.officer, sv.officer, cecot.staff, …", dir.join("demo-users.json").display())?;
    writeln!(out, "(the overview of the agreement, what waits for you, cases, people, invoices; Español / English).")?;
    writeln!(out)?;
    writeln!(out, "The API, with the admin's token:")?;
    writeln!(out, "  curl {auth} {base}/api/v1/agreements")?;
    writeln!(out, "  curl {auth} '{base}/api/v1/cases?agreement=us-sv-cecot&limit=5'")?;
    writeln!(out, "  curl {auth} '{base}/api/v1/alerts?agreement=us-sv-cecot&on=2026-03-10'")?;
    writeln!(out, "      (OVERRIDE_EXPIRED: cell B1-C01 above its standard since the override of its 26th person)")?;
    writeln!(out, "  curl {auth} {base}/api/v1/cases/1   (turned back in the air under a court's return order)")?;
    writeln!(out, "  curl {auth} '{base}/api/v1/incidents?agreement=us-sv-cecot'")?;
    writeln!(out, "  curl {auth} '{base}/api/v1/invoices?agreement=us-sv-cecot'")?;
    writeln!(out, "  curl {auth} '{base}/api/v1/reports/sustainability?agreement=us-sv-cecot'")?;
    writeln!(out, "  curl {auth} {base}/api/v1/journal/checkpoint")?;
    if let Some(person) = &summary.locator_person {
        writeln!(out, "  curl '{base}/locator?person_id={person}'        (public: no token)")?;
    }
    writeln!(out, "  open {base}/locator in a browser: the public locator for families (Spanish and English)")?;
    writeln!(out, "  open {base}/docs in a browser for the whole API")?;
    writeln!(out, "  custodia journal verify --data-dir {}   (after stopping the demo)", dir.display())?;
    writeln!(out, "Stop with Ctrl-C.")?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
