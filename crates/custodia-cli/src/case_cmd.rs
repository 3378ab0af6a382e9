//! `custodia case …`: the custody lifecycle from the command line (docs/lifecycle.md).

use custodia_store::prelude::*;
use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use custodia_core::Date;
use custodia_core::agreement::Party;
use custodia_core::custody::{Actor as CaseActor, Command, IntakeRecord, Override};
use custodia_core::eligibility::Decision;
use custodia_store::Timestamp;
use custodia_store::cases::{CaseCall, CaseRequest, CaseRow, PlacementRequest};

use crate::register_cmd::{RegisterArgs, block_on, open, store_failure};
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

pub(crate) fn parse_time(text: &str) -> Result<Timestamp, String> {
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
