//! `custodia case …` and `custodia alerts`: the custody lifecycle from the command line (SPEC §7).

use custodia_store::prelude::*;
use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use custodia_core::Date;
use custodia_core::agreement::Party;
use custodia_core::alerts::{CaseFacts, FacilityCount, open_alerts};
use custodia_core::custody::{Actor as CaseActor, Command, IntakeRecord, Override};
use custodia_core::eligibility::Decision;
use custodia_core::lifecycle::CaseState;
use custodia_store::Timestamp;
use custodia_store::cases::{CaseCall, CaseRequest, CaseRow, PlacementRequest};

use crate::register_cmd::{RegisterArgs, block_on, open, store_failure, stored_agreement};
use crate::{CmdResult, Failure};

/// Who acts and why (every transition records both).
#[derive(Debug, Clone, Args)]
pub(crate) struct Why {
    /// Coded reason for the transition: capital letters, digits and _ (e.g. TRANSFER_AGREED,
    /// COURT_ORDER, SENTENCE_SERVED).
    #[arg(long, value_name = "CODE", value_parser = parse_reason)]
    reason: String,
    /// When it happened, YYYY-MM-DDTHH:MM:SSZ (default: now, when it is recorded).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    occurred_at: Option<Timestamp>,
}

fn parse_reason(text: &str) -> Result<String, String> {
    custodia_core::custody::ReasonCode::parse(text).map(String::from).map_err(|e| e.to_string())
}

fn parse_time(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text)
}

/// Where to place a person.
#[derive(Debug, Clone, Args)]
pub(crate) struct Place {
    /// The facility.
    #[arg(long, value_name = "ID")]
    facility: String,
    /// The cell (registered with `custodia import cells`).
    #[arg(long, value_name = "ID")]
    cell: String,
    /// First approver of an override above standard capacity.
    #[arg(long, value_name = "USER", requires_all = ["override_second", "override_reason"])]
    override_first: Option<String>,
    /// Second approver: a different user.
    #[arg(long, value_name = "USER")]
    override_second: Option<String>,
    /// Written reason for the override.
    #[arg(long, value_name = "TEXT")]
    override_reason: Option<String>,
}

impl Place {
    fn request(&self) -> PlacementRequest {
        PlacementRequest {
            facility_id: self.facility.clone(),
            cell_id: self.cell.clone(),
            override_by: match (&self.override_first, &self.override_second, &self.override_reason) {
                (Some(first), Some(second), Some(reason)) => {
                    Some(Override { first: first.clone(), second: second.clone(), reason: reason.clone() })
                }
                _ => None,
            },
        }
    }
}

/// A screening decision on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DecisionArg {
    /// Every rule passes.
    Eligible,
    /// A rule fails.
    Ineligible,
    /// Data is missing: needs a confirmed review before admission.
    Review,
}

/// A review resolution on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ResolutionArg {
    /// Resolved eligible.
    Eligible,
    /// Resolved ineligible.
    Ineligible,
}

/// A state on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum StateArg {
    /// The sending state.
    Sending,
    /// The receiving state.
    Receiving,
}

/// `custodia case` subcommands; each prints the case's new state, or the refusal code (exit 2).
#[derive(Debug, Subcommand)]
pub(crate) enum CaseCommand {
    /// Open a case for a person of the agreement's sending state.
    Propose {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The sending state's person_id.
        #[arg(long, value_name = "PERSON_ID")]
        person: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Show a case.
    Show {
        /// The case id.
        id: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Record the screening decision.
    Screen {
        /// The case id.
        id: i64,
        /// The decision.
        #[arg(long, value_enum)]
        decision: DecisionArg,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Resolve a `review` decision with a written justification (you are the reviewer).
    ResolveReview {
        /// The case id.
        id: i64,
        /// Resolve to eligible or ineligible.
        #[arg(long, value_enum)]
        to: ResolutionArg,
        /// The written justification.
        #[arg(long, value_name = "TEXT")]
        justification: String,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Confirm a review resolution: a second user, not the reviewer (SPEC §5).
    ConfirmReview(Plain),
    /// One state's approval; both states, by two different users, approve a case.
    Approve {
        /// The case id.
        id: i64,
        /// Which state approves.
        #[arg(long, value_enum)]
        state: StateArg,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Schedule the transfer.
    Schedule(Plain),
    /// The transfer leaves.
    Depart(Plain),
    /// Admit to a cell (SPEC §7: approvals, eligibility, no hold, commitment order, placement, intake).
    Admit {
        /// The case id.
        id: i64,
        /// Commitment-order reference (Nelson Mandela Rules 7).
        #[arg(long, value_name = "REF")]
        commitment_order: String,
        /// The receiving state's identifier of the person (e.g. the Salvadoran inmate number).
        #[arg(long, value_name = "ID")]
        receiving_id: Option<String>,
        /// Admission date.
        #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
        admitted_on: Date,
        /// Admission hour, 0–23.
        #[arg(long, value_name = "H", value_parser = clap::value_parser!(u8).range(0..24))]
        hour: u8,
        /// Visible injuries ("none" is an answer).
        #[arg(long, value_name = "TEXT")]
        injuries: String,
        /// Property taken into safekeeping.
        #[arg(long, value_name = "TEXT")]
        property: String,
        /// Next of kin and how to reach them.
        #[arg(long, value_name = "TEXT")]
        next_of_kin: String,
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Move to another cell.
    Move {
        /// The case id.
        id: i64,
        #[command(flatten)]
        place: Place,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Schedule the return to the sending state.
    ScheduleReturn {
        /// The case id.
        id: i64,
        /// Planned date.
        #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
        on: Date,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Returned to the sending state.
    Return(Plain),
    /// Released.
    Release(Plain),
    /// Record a death (open an incident too).
    RecordDeath(Plain),
    /// Withdraw the case.
    Withdraw(Plain),
    /// Refuse the case.
    Refuse(Plain),
    /// Place a legal hold (e.g. a court order).
    PlaceHold(HoldArgs),
    /// Lift a legal hold.
    LiftHold(HoldArgs),
}

/// A command with no options of its own.
#[derive(Debug, Args)]
pub(crate) struct Plain {
    /// The case id.
    id: i64,
    #[command(flatten)]
    why: Why,
    #[command(flatten)]
    register: RegisterArgs,
}

/// A hold command.
#[derive(Debug, Args)]
pub(crate) struct HoldArgs {
    /// The case id.
    id: i64,
    /// Reference of the order (court order number…).
    #[arg(long, value_name = "REF")]
    reference: String,
    #[command(flatten)]
    why: Why,
    #[command(flatten)]
    register: RegisterArgs,
}

/// `custodia alerts`.
#[derive(Debug, Args)]
pub(crate) struct AlertsArgs {
    /// The agreement.
    #[arg(long, value_name = "ID")]
    agreement: String,
    /// The day the alerts are computed for (a parameter, never the clock).
    #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
    on: Date,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    register: RegisterArgs,
}

fn print_case(row: &CaseRow) -> CmdResult {
    let case = &row.case;
    let mut out = std::io::stdout().lock();
    writeln!(out, "case {} — {} (agreement {}, person {})", row.id, case.state, row.agreement_id, row.person_id)?;
    let place = row.facility_id.as_deref().zip(case.cell_id.as_deref());
    if let Some((facility, cell)) = place {
        writeln!(out, "  placed in {facility} / {cell}")?;
    }
    writeln!(out, "  legal basis on record: {}", if case.legal_basis { "yes" } else { "NO" })?;
    if case.on_hold() {
        writeln!(out, "  ON HOLD")?;
    }
    Ok(())
}

fn run_request(register: &RegisterArgs, why: &Why, id: i64, action: &str, request: CaseRequest) -> CmdResult {
    block_on(async {
        let store = open(register).await?;
        let mut store_actor = store.actor();
        store_actor.occurred_at = why.occurred_at.clone();
        let case_actor = CaseActor {
            user: store_actor.name.clone(),
            occurred_at: why.occurred_at.as_ref().unwrap_or(&store_actor.recorded_at).as_str().to_owned(),
            recorded_at: store_actor.recorded_at.as_str().to_owned(),
            reason: why.reason.clone(),
        };
        let call = CaseCall::new(id, action, request, case_actor, store_actor);
        let outcome = store.act_on_case(&call, &decide).await.map_err(store_failure)?;
        let result = match outcome {
            Ok(row) => {
                writeln!(std::io::stdout().lock(), "case {id}: {action} → {}", row.case.state)?;
                Ok(())
            }
            Err(refusal) => Err(Failure::Input(format!("case {id}: {action} refused: {refusal}"))),
        };
        store.close().await;
        result
    })
}

/// The rules of a case command: the core's, on the facts the register read.
pub(crate) fn decide(
    facts: &custodia_core::custody::CaseFacts,
    call: &CaseCall,
) -> Result<custodia_core::custody::CaseChange, custodia_core::custody::Decline> {
    custodia_core::custody::decide(facts, &call.request, &call.actor)
}

/// A new case, with the legal basis the person's record gives (docs/lifecycle.md).
pub(crate) fn open_case(person: &custodia_store::PersonData) -> custodia_core::custody::Case {
    custodia_core::custody::Case::new(custodia_core::custody::legal_basis_on_record(
        person.conviction.as_deref(),
        person.removal_order.as_deref(),
    ))
}

pub(crate) fn run(command: &CaseCommand) -> CmdResult {
    use CaseCommand as C;
    let plain = |p: &Plain, action: &str, command: Command| {
        run_request(&p.register, &p.why, p.id, action, CaseRequest::Plain(command))
    };
    match command {
        C::Propose { agreement, person, register } => block_on(async {
            let store = open(register).await?;
            let actor = store.actor();
            let row = store.propose_case(agreement, person, &open_case, &actor).await.map_err(store_failure)?;
            store.close().await;
            print_case(&row)
        }),
        C::Show { id, register } => block_on(async {
            let store = open(register).await?;
            let row = store
                .case_row(*id)
                .await
                .map_err(store_failure)?
                .ok_or_else(|| Failure::Input(format!("case {id} does not exist")))?;
            let identifiers = store.identifiers(row.person_id).await.map_err(store_failure)?;
            store.close().await;
            print_case(&row)?;
            let mut out = std::io::stdout().lock();
            for i in identifiers {
                writeln!(out, "  identifier {} {}: {}", i.state, i.scheme, i.value)?;
            }
            Ok(())
        }),
        C::Screen { id, decision, why, register } => {
            let decision = match decision {
                DecisionArg::Eligible => Decision::Eligible,
                DecisionArg::Ineligible => Decision::Ineligible,
                DecisionArg::Review => Decision::Review,
            };
            run_request(register, why, *id, "screen", CaseRequest::Plain(Command::Screen { decision }))
        }
        C::ResolveReview { id, to, justification, why, register } => run_request(
            register,
            why,
            *id,
            "resolve_review",
            CaseRequest::Plain(Command::ResolveReview {
                eligible: matches!(to, ResolutionArg::Eligible),
                justification: justification.clone(),
            }),
        ),
        C::ConfirmReview(p) => plain(p, "confirm_review", Command::ConfirmReview),
        C::Approve { id, state, why, register } => {
            let state = match state {
                StateArg::Sending => Party::Sending,
                StateArg::Receiving => Party::Receiving,
            };
            run_request(register, why, *id, "approve", CaseRequest::Plain(Command::Approve { state }))
        }
        C::Schedule(p) => plain(p, "schedule", Command::Schedule),
        C::Depart(p) => plain(p, "depart", Command::Depart),
        C::Admit {
            id,
            commitment_order,
            receiving_id,
            admitted_on,
            hour,
            injuries,
            property,
            next_of_kin,
            place,
            why,
            register,
        } => {
            let request = CaseRequest::Admit {
                receiving_id: receiving_id.clone(),
                commitment_order: commitment_order.clone(),
                intake: IntakeRecord {
                    admitted_on: *admitted_on,
                    hour: *hour,
                    visible_injuries: injuries.clone(),
                    property: property.clone(),
                    next_of_kin: next_of_kin.clone(),
                },
                placement: place.request(),
            };
            run_request(register, why, *id, "admit", request)
        }
        C::Move { id, place, why, register } => {
            run_request(register, why, *id, "move", CaseRequest::Move { placement: place.request() })
        }
        C::ScheduleReturn { id, on, why, register } => {
            run_request(register, why, *id, "schedule_return", CaseRequest::Plain(Command::ScheduleReturn { on: *on }))
        }
        C::Return(p) => plain(p, "return", Command::Return),
        C::Release(p) => plain(p, "release", Command::Release),
        C::RecordDeath(p) => plain(p, "record_death", Command::RecordDeath),
        C::Withdraw(p) => plain(p, "withdraw", Command::Withdraw),
        C::Refuse(p) => plain(p, "refuse", Command::Refuse),
        C::PlaceHold(h) => run_request(
            &h.register,
            &h.why,
            h.id,
            "place_hold",
            CaseRequest::Plain(Command::PlaceHold { reference: h.reference.clone() }),
        ),
        C::LiftHold(h) => run_request(
            &h.register,
            &h.why,
            h.id,
            "lift_hold",
            CaseRequest::Plain(Command::LiftHold { reference: h.reference.clone() }),
        ),
    }
}

pub(crate) fn run_alerts(args: &AlertsArgs) -> CmdResult {
    block_on(async {
        let store = open(&args.register).await?;
        let agreement = stored_agreement(&store, &args.agreement).await?;
        let rows = store.cases_with_persons(&args.agreement).await.map_err(store_failure)?;
        let cells = store.cells(&args.agreement).await.map_err(store_failure)?;
        let incidents = store.incidents(&args.agreement).await.map_err(store_failure)?;
        store.close().await;
        // Each alert names the case and the person (the sending state's id).
        let ids: Vec<String> = rows.iter().map(|r| format!("case-{}/{}", r.case.id, r.person.sending_id)).collect();
        let facts: Vec<CaseFacts<'_>> = rows
            .iter()
            .zip(&ids)
            .map(|(r, id)| CaseFacts {
                case_id: id,
                case: &r.case.case,
                projected_release: r.person.projected_release(&agreement),
                return_before_release_days: agreement.return_before_release_days,
            })
            .collect();
        let totals = custodia_core::capacity::facility_capacities(&agreement, &cells);
        let counts: Vec<FacilityCount<'_>> = totals
            .iter()
            .map(|t| FacilityCount {
                facility_id: t.facility_id.as_str(),
                in_custody: rows
                    .iter()
                    .filter(|r| {
                        r.case.facility_id.as_deref() == Some(t.facility_id.as_str())
                            && matches!(r.case.case.state, CaseState::InCustody | CaseState::ReturnScheduled)
                    })
                    .count() as u32,
                standard_capacity: u32::try_from(t.standard_capacity).unwrap_or(u32::MAX),
            })
            .collect();
        let contracted: u32 = agreement.facilities.iter().map(|f| f.contracted_places).sum();
        let incident_ids: Vec<String> = incidents.iter().map(|i| format!("incident-{}", i.id)).collect();
        let incident_facts: Vec<custodia_core::alerts::IncidentFacts<'_>> = incidents
            .iter()
            .zip(&incident_ids)
            .map(|(i, id)| custodia_core::alerts::IncidentFacts { incident_id: id, notifications: &i.notifications })
            .collect();
        let alerts = open_alerts(&facts, &counts, contracted, &incident_facts, args.on);
        let mut out = std::io::stdout().lock();
        if args.json {
            let list: Vec<serde_json::Value> = alerts
                .iter()
                .map(|a| {
                    serde_json::json!({"code": a.kind.code(), "severity": a.kind.severity().as_str(), "subject": a.subject, "reason": a.reason})
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string(&list).map_err(anyhow::Error::from)?)?;
        } else if alerts.is_empty() {
            writeln!(out, "no open alerts for {} on {}", args.agreement, args.on)?;
        } else {
            for a in &alerts {
                writeln!(
                    out,
                    "{:<9} {:<27} {:<10} {}",
                    a.kind.severity().as_str(),
                    a.kind.code(),
                    a.subject,
                    a.reason
                )?;
            }
        }
        Ok(())
    })
}

/// `custodia report legal-basis`.
#[derive(Debug, Args)]
pub(crate) struct LegalBasisArgs {
    /// The agreement.
    #[arg(long, value_name = "ID")]
    agreement: String,
    /// The day of the audit (a parameter, never the clock).
    #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
    on: Date,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    register: RegisterArgs,
}

/// The legal-basis audit (SPEC §9.3): everyone held under the agreement whose legal basis is
/// missing, expired (past the projected release) or on hold.
pub(crate) fn run_legal_basis(args: &LegalBasisArgs) -> CmdResult {
    block_on(async {
        let store = open(&args.register).await?;
        let agreement = stored_agreement(&store, &args.agreement).await?;
        let rows = store.cases_with_persons(&args.agreement).await.map_err(store_failure)?;
        store.close().await;
        let mut findings = Vec::new();
        for custodia_store::CaseWithPerson { case: row, person } in &rows {
            if !row.case.state.is_held() {
                continue;
            }
            let release = person.projected_release(&agreement);
            let mut problems = Vec::new();
            if !row.case.legal_basis {
                problems.push("missing: no final conviction or final removal order on record".to_owned());
            }
            if let Some(release) = release.filter(|r| args.on > *r) {
                problems.push(format!("expired: projected release was {release}"));
            }
            for hold in row.case.holds.iter().filter(|h| h.lifted_by.is_none()) {
                problems.push(format!("on hold: {} (placed by {})", hold.reference, hold.placed_by));
            }
            if !problems.is_empty() {
                findings.push((row.id, person.sending_id.clone(), row.case.state, problems));
            }
        }
        let mut out = std::io::stdout().lock();
        if args.json {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|(id, person, state, problems)| {
                    serde_json::json!({"case_id": id, "person_id": person, "state": state.as_str(), "problems": problems})
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string(&list).map_err(anyhow::Error::from)?)?;
        } else if findings.is_empty() {
            writeln!(
                out,
                "legal-basis audit of {} on {}: everyone held has a current legal basis",
                args.agreement, args.on
            )?;
        } else {
            writeln!(out, "legal-basis audit of {} on {}: {} case(s)", args.agreement, args.on, findings.len())?;
            for (id, person, state, problems) in &findings {
                writeln!(out, "case {id} (person {person}, {state}): {}", problems.join("; "))?;
            }
        }
        Ok(())
    })
}

/// `custodia incident` subcommands (SPEC §9.1).
#[derive(Debug, Subcommand)]
pub(crate) enum IncidentCommand {
    /// File an incident; a death, disappearance or serious injury opens its notifications (next of
    /// kin, sending state, independent authority) with the agreement's deadlines.
    File {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The case concerned.
        #[arg(long, value_name = "CASE")]
        case: Option<i64>,
        /// death, serious_injury, disappearance, use_of_force, torture_allegation, hunger_strike or other.
        #[arg(long, value_name = "KIND", value_parser = parse_kind)]
        kind: custodia_core::incidents::IncidentKind,
        /// When it happened, YYYY-MM-DDTHH:MM:SSZ.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        occurred_at: Timestamp,
        /// The report (never edited afterwards: corrections are addenda).
        #[arg(long, value_name = "TEXT")]
        report: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Record that a mandatory notification was sent.
    Notify {
        /// The incident id.
        id: i64,
        /// next_of_kin, sending_state or independent_authority.
        #[arg(long, value_name = "WHO", value_parser = parse_recipient)]
        recipient: custodia_core::incidents::Recipient,
        /// When it was sent, YYYY-MM-DDTHH:MM:SSZ.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        at: Timestamp,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Add a correction or addition to the report.
    Addendum {
        /// The incident id.
        id: i64,
        /// The text.
        #[arg(long, value_name = "TEXT")]
        text: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

fn parse_kind(text: &str) -> Result<custodia_core::incidents::IncidentKind, String> {
    custodia_core::incidents::IncidentKind::parse(text).ok_or_else(|| {
        "must be one of death, serious_injury, disappearance, use_of_force, torture_allegation, hunger_strike, other".into()
    })
}

fn parse_recipient(text: &str) -> Result<custodia_core::incidents::Recipient, String> {
    custodia_store::incidents::parse_recipient(text)
        .ok_or_else(|| "must be next_of_kin, sending_state or independent_authority".into())
}

fn print_incident(row: &custodia_store::incidents::IncidentRow) -> CmdResult {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "incident {} — {} at {} (agreement {})",
        row.id,
        row.kind.as_str(),
        row.occurred_at,
        row.agreement_id
    )?;
    for n in &row.notifications {
        let due = Timestamp::from_unix_seconds(n.due_at_unix).map(|t| t.as_str().to_owned()).unwrap_or_default();
        let state = match n.sent_at_unix {
            Some(_) if n.was_late() => "sent late",
            Some(_) => "sent",
            None => "pending",
        };
        writeln!(out, "  notify {:<22} due {due}  {state}", n.recipient.as_str())?;
    }
    writeln!(out, "  addenda: {}", row.report.addenda.len())?;
    Ok(())
}

pub(crate) fn run_incident(command: &IncidentCommand) -> CmdResult {
    match command {
        IncidentCommand::File { agreement, case, kind, occurred_at, report, register } => {
            if report.trim().is_empty() {
                return Err(Failure::Input("--report: must not be empty".into()));
            }
            block_on(async {
                let store = open(register).await?;
                let actor = store.actor();
                let row = store
                    .file_incident(agreement, *case, *kind, occurred_at, report, &actor)
                    .await
                    .map_err(store_failure)?;
                store.close().await;
                print_incident(&row)
            })
        }
        IncidentCommand::Notify { id, recipient, at, register } => {
            let update = custodia_store::IncidentUpdate::Notified { recipient: *recipient, at: at.clone() };
            block_on(async {
                let store = open(register).await?;
                let actor = store.actor();
                let row = store.update_incident(*id, &update, &actor).await.map_err(store_failure)?;
                store.close().await;
                print_incident(&row)
            })
        }
        IncidentCommand::Addendum { id, text, register } => {
            let update = custodia_store::IncidentUpdate::Addendum { text: text.clone() };
            block_on(async {
                let store = open(register).await?;
                let actor = store.actor();
                let row = store.update_incident(*id, &update, &actor).await.map_err(store_failure)?;
                store.close().await;
                print_incident(&row)
            })
        }
    }
}

/// `custodia inspection` subcommands (SPEC §9.2).
#[derive(Debug, Subcommand)]
pub(crate) enum InspectionCommand {
    /// File an inspection visit with its findings and recommendations (all recommendations open).
    File {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The inspecting body (one of the agreement's `oversight.inspection_bodies`).
        #[arg(long, value_name = "NAME")]
        body: String,
        /// First day of the visit.
        #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
        from: Date,
        /// Last day of the visit.
        #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
        to: Date,
        /// A finding (repeat for several).
        #[arg(long, value_name = "TEXT")]
        finding: Vec<String>,
        /// A recommendation (repeat for several).
        #[arg(long, value_name = "TEXT")]
        recommendation: Vec<String>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Move a recommendation: open → accepted | rejected, accepted → implemented | rejected.
    Recommendation {
        /// The inspection id.
        id: i64,
        /// Which recommendation (from 0, in filing order).
        #[arg(long, value_name = "N")]
        index: usize,
        /// accepted, implemented or rejected.
        #[arg(long, value_name = "STATE", value_parser = parse_recommendation_state)]
        state: custodia_core::oversight::RecommendationState,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

fn parse_recommendation_state(text: &str) -> Result<custodia_core::oversight::RecommendationState, String> {
    custodia_core::oversight::RecommendationState::parse(text)
        .ok_or_else(|| "must be open, accepted, implemented or rejected".into())
}

/// `custodia contact` subcommands (SPEC §9.5).
#[derive(Debug, Subcommand)]
pub(crate) enum ContactCommand {
    /// Log who was contacted, when and by what means.
    Log {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The case concerned.
        #[arg(long, value_name = "CASE")]
        case: Option<i64>,
        /// Who was contacted (a consul, a family member…).
        #[arg(long, value_name = "WHO")]
        contact: String,
        /// When, YYYY-MM-DDTHH:MM:SSZ.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        at: Timestamp,
        /// visit, phone, video, letter or email.
        #[arg(long, value_name = "MEANS", value_parser = parse_means)]
        means: custodia_core::oversight::ContactMeans,
        /// What was said or arranged.
        #[arg(long, value_name = "TEXT", default_value = "")]
        note: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// List the contact log of an agreement.
    List {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

fn parse_means(text: &str) -> Result<custodia_core::oversight::ContactMeans, String> {
    custodia_core::oversight::ContactMeans::parse(text)
        .ok_or_else(|| "must be visit, phone, video, letter or email".into())
}

pub(crate) fn run_inspection(command: &InspectionCommand) -> CmdResult {
    use custodia_core::oversight::{Inspection, RecommendationState};
    match command {
        InspectionCommand::File { agreement, body, from, to, finding, recommendation, register } => {
            let inspection = Inspection {
                body: body.clone(),
                from: *from,
                to: *to,
                findings: finding.clone(),
                recommendations: recommendation.iter().map(|r| (r.clone(), RecommendationState::Open)).collect(),
            };
            block_on(async {
                let store = open(register).await?;
                let actor = store.actor();
                let id = store.file_inspection(agreement, &inspection, &actor).await.map_err(store_failure)?;
                store.close().await;
                writeln!(
                    std::io::stdout().lock(),
                    "inspection {id} filed: {} findings, {} recommendations",
                    inspection.findings.len(),
                    inspection.recommendations.len()
                )?;
                Ok(())
            })
        }
        InspectionCommand::Recommendation { id, index, state, register } => block_on(async {
            let store = open(register).await?;
            let actor = store.actor();
            let inspection = store.update_recommendation(*id, *index, *state, &actor).await.map_err(store_failure)?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            for (i, (text, state)) in inspection.recommendations.iter().enumerate() {
                writeln!(out, "{i}  {:<12} {text}", state.as_str())?;
            }
            Ok(())
        }),
    }
}

pub(crate) fn run_contact(command: &ContactCommand) -> CmdResult {
    match command {
        ContactCommand::Log { agreement, case, contact, at, means, note, register } => {
            if contact.trim().is_empty() {
                return Err(Failure::Input("--contact: must not be empty".into()));
            }
            let entry = custodia_core::oversight::Contact {
                contact: contact.clone(),
                at: at.as_str().to_owned(),
                means: *means,
                note: note.clone(),
            };
            block_on(async {
                let store = open(register).await?;
                let actor = store.actor();
                let id = store.log_contact(agreement, *case, &entry, &actor).await.map_err(store_failure)?;
                store.close().await;
                writeln!(std::io::stdout().lock(), "contact {id} logged")?;
                Ok(())
            })
        }
        ContactCommand::List { agreement, register } => block_on(async {
            let store = open(register).await?;
            let contacts = store.contacts(agreement).await.map_err(store_failure)?;
            store.close().await;
            let mut out = std::io::stdout().lock();
            for custodia_store::ContactRow { id, case_id, contact: c } in contacts {
                let case = case_id.map_or_else(|| "-".to_owned(), |c| c.to_string());
                writeln!(out, "{id}  case {case:<5} {}  {:<7} {}  {}", c.at, c.means.as_str(), c.contact, c.note)?;
            }
            Ok(())
        }),
    }
}
