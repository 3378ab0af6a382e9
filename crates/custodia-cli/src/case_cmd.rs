//! `custodia case …`: the custody lifecycle from the command line (docs/lifecycle.md).

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use custodia_app::AppError;
use custodia_app::cases::{Admission, CaseAction, FindingRequest, HoldRequest, Placement, TransitionRequest};
use custodia_core::Date;
use custodia_core::agreement::Party;
use custodia_store::Timestamp;
use custodia_store::cases::CaseRow;

use crate::register_cmd::{RegisterArgs, app_failure, block_on, open};
use crate::{CmdResult, Failure};

/// Who acts and why (every transition records both).
#[derive(Debug, Clone, Args)]
pub(crate) struct Why {
    /// Coded reason for the transition: capital letters, digits and _ (e.g. TRANSFER_AGREED,
    /// COURT_ORDER, SENTENCE_SERVED).
    #[arg(long, value_name = "CODE", value_parser = parse_reason)]
    reason: String,
    /// When it happened, RFC 3339 with any offset, kept in UTC (default: now, when it is recorded).
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
    /// Above the cell's standard capacity: the override approval another officer recorded for
    /// this case and cell with `custodia case approve-override` (used once; you are the first
    /// approver, its author the second).
    #[arg(long, value_name = "N")]
    override_approval: Option<i64>,
}

impl Place {
    fn placement(&self) -> Placement {
        Placement {
            facility_id: self.facility.clone(),
            cell_id: self.cell.clone(),
            override_approval: self.override_approval,
        }
    }
}

/// A reviewer's finding on the command line: `E02=pass:birth certificate seen`.
fn parse_finding(text: &str) -> Result<FindingRequest, String> {
    let shape =
        || format!("{text:?}: a finding is RULE=pass:EVIDENCE or RULE=fail:EVIDENCE (E02=pass:birth certificate seen)");
    let (rule, rest) = text.split_once('=').ok_or_else(shape)?;
    let (finding, evidence) = rest.split_once(':').ok_or_else(shape)?;
    Ok(FindingRequest {
        rule: rule.trim().to_owned(),
        finding: finding.trim().to_owned(),
        evidence: evidence.trim().to_owned(),
    })
}

/// What a court order demands, on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OrderArg {
    /// No scheduling, departure or admission while it stands.
    Stop,
    /// As stop, and the person must be brought back (turn back, schedule the return).
    Return,
    /// The person's challenge of the screening decision or the transfer, before departure: as
    /// stop until two legal officers decide it (`decide-challenge`, `confirm-lift`).
    Challenge,
}

/// How a challenge is decided.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutcomeArg {
    /// The transfer does not go ahead: once confirmed, the case is withdrawn.
    Upheld,
    /// The transfer may go ahead once confirmed.
    Dismissed,
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
        /// When it happened, RFC 3339 with any offset (default: now): its day is the proposal's
        /// day for the legal basis and the agreement's term.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        occurred_at: Option<Timestamp>,
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
    /// Screen the case: the register computes the decision from the person's current record on
    /// the step's day and stores every rule's outcome (no decision is typed in).
    Screen(Plain),
    /// Resolve the unknown rules of the screening, each with a finding and its evidence (you are
    /// the reviewer; a second legal officer confirms). A failed rule cannot be resolved.
    ResolveReview {
        /// The case id.
        id: i64,
        /// One per unknown rule: RULE=pass:EVIDENCE or RULE=fail:EVIDENCE
        /// (`--finding "E02=pass:birth certificate seen"`).
        #[arg(long = "finding", value_name = "FINDING", value_parser = parse_finding, required = true)]
        findings: Vec<FindingRequest>,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Confirm a review resolution: a second user, not the reviewer (docs/rules.md).
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
    /// Admit to a cell (docs/lifecycle.md: approvals, eligibility, no hold, commitment order, placement, intake).
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
    /// Approve placing this case's person in a cell above its standard capacity (never above
    /// its floor): the officer who admits or moves the person cites the printed approval id with
    /// `--override-approval`; the two must be different users.
    ApproveOverride {
        /// The case id.
        id: i64,
        /// The facility.
        #[arg(long, value_name = "ID")]
        facility: String,
        /// The cell.
        #[arg(long, value_name = "ID")]
        cell: String,
        /// Why the standard may be exceeded.
        #[arg(long, value_name = "TEXT")]
        reason: String,
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
    /// Turn a transfer in transit back to the sending state (allowed under any hold).
    TurnBack(Plain),
    /// Released, to a country.
    Release(ToCountry),
    /// Removed to the destination of the person's removal order (any other is refused
    /// WRONG_DESTINATION).
    Remove(ToCountry),
    /// Record a death: files the death incident and its notifications in the same step.
    RecordDeath {
        /// The case id.
        id: i64,
        /// The incident report.
        #[arg(long, value_name = "TEXT")]
        report: String,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Withdraw the case.
    Withdraw(Plain),
    /// Refuse the case.
    Refuse(Plain),
    /// Place a legal hold: a court order, `stop` or `return`.
    PlaceHold {
        /// The case id.
        id: i64,
        /// The court or authority.
        #[arg(long, value_name = "NAME")]
        authority: String,
        /// Reference of the order (court order number…).
        #[arg(long, value_name = "REF")]
        reference: String,
        /// What it orders.
        #[arg(long, value_enum)]
        order: OrderArg,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Ask to lift a legal hold, citing the lifting decision; it stands until a second legal
    /// officer confirms with `confirm-lift`.
    LiftHold {
        /// The case id.
        id: i64,
        /// Reference of the hold's order.
        #[arg(long, value_name = "REF")]
        reference: String,
        /// Reference of the decision that lifts it.
        #[arg(long, value_name = "REF")]
        decision: String,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Confirm the lifting of a hold, or the decision of a challenge (a second legal officer).
    ConfirmLift(HoldArgs),
    /// Decide the person's challenge with written reasons; it stands until a second legal
    /// officer confirms with `confirm-lift` (docs/rights.md#challenges).
    DecideChallenge {
        /// The case id.
        id: i64,
        /// Reference of the challenge.
        #[arg(long, value_name = "REF")]
        reference: String,
        /// Upheld or dismissed.
        #[arg(long, value_enum)]
        outcome: OutcomeArg,
        /// The decision's written reasons.
        #[arg(long, value_name = "TEXT")]
        reasons: String,
        #[command(flatten)]
        why: Why,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

/// A release or removal: where the person goes.
#[derive(Debug, Args)]
pub(crate) struct ToCountry {
    /// The case id.
    id: i64,
    /// The country (ISO 3166-1 alpha-2).
    #[arg(long, value_name = "CC")]
    to: String,
    #[command(flatten)]
    why: Why,
    #[command(flatten)]
    register: RegisterArgs,
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
    if let Some(screening) = &case.screening {
        writeln!(out, "  screened {} on {}: {}", screening.decision(), screening.on, screening.reasons())?;
    }
    for hold in case.holds.iter().filter(|h| h.stands()) {
        writeln!(out, "  ON HOLD: {} by {} ({})", hold.reference, hold.authority, hold.order.as_str())?;
    }
    if let Some(to) = &case.destination {
        writeln!(out, "  to {to}")?;
    }
    Ok(())
}

/// A case command's failure: a refusal prints its own message (`case 1: depart refused: CODE:
/// facts`), the rest as every register command does.
fn case_failure(e: AppError) -> Failure {
    match e {
        AppError::Refused { message, .. } if message.key() == Some("msg-case-step-refused") => {
            Failure::Input(message.render(crate::language()))
        }
        other => app_failure(other),
    }
}

fn run_request(register: &RegisterArgs, why: &Why, id: i64, action: CaseAction) -> CmdResult {
    block_on(async {
        let s = open(register).await?;
        let name = action.name();
        let request = TransitionRequest {
            action,
            reason: why.reason.clone(),
            occurred_at: why.occurred_at.clone(),
            expected_version: None,
        };
        let done = s.app.transition(&s.who, id, request, &s.now).await;
        s.app.close().await;
        let done = done.map_err(case_failure)?;
        if let Some(warning) = &done.warning {
            writeln!(std::io::stderr().lock(), "warning: {warning}")?;
        }
        writeln!(std::io::stdout().lock(), "case {id}: {name} → {}", done.case.case.case.state)?;
        Ok(())
    })
}

pub(crate) fn run(command: &CaseCommand) -> CmdResult {
    use CaseCommand as C;
    let plain = |p: &Plain, action: CaseAction| run_request(&p.register, &p.why, p.id, action);
    match command {
        C::Propose { agreement, person, occurred_at, register } => block_on(async {
            let s = open(register).await?;
            let case = s.app.propose_case(&s.who, agreement, person, occurred_at.as_ref(), &s.now).await;
            s.app.close().await;
            print_case(&case.map_err(app_failure)?.case)
        }),
        C::Show { id, register } => block_on(async {
            let s = open(register).await?;
            let detail = s.app.case_detail(&s.who, *id).await;
            s.app.close().await;
            let detail = detail.map_err(app_failure)?;
            print_case(&detail.case.case)?;
            let mut out = std::io::stdout().lock();
            for i in detail.identifiers {
                writeln!(out, "  identifier {} {}: {}", i.state, i.scheme, i.value)?;
            }
            Ok(())
        }),
        C::Screen(p) => plain(p, CaseAction::Screen),
        C::ResolveReview { id, findings, why, register } => {
            run_request(register, why, *id, CaseAction::ResolveReview(findings.clone()))
        }
        C::ConfirmReview(p) => plain(p, CaseAction::ConfirmReview),
        C::Approve { id, state, why, register } => {
            let state = match state {
                StateArg::Sending => Party::Sending,
                StateArg::Receiving => Party::Receiving,
            };
            run_request(register, why, *id, CaseAction::Approve(state))
        }
        C::Schedule(p) => plain(p, CaseAction::Schedule),
        C::Depart(p) => plain(p, CaseAction::Depart),
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
            let admission = Admission {
                commitment_order: commitment_order.clone(),
                receiving_id: receiving_id.clone(),
                admitted_on: *admitted_on,
                hour: *hour,
                visible_injuries: injuries.clone(),
                property: property.clone(),
                next_of_kin: next_of_kin.clone(),
            };
            run_request(register, why, *id, CaseAction::Admit { admission, placement: place.placement() })
        }
        C::ApproveOverride { id, facility, cell, reason, register } => block_on(async {
            let s = open(register).await?;
            let approval = s.app.approve_override(&s.who, *id, facility, cell, reason, &s.now).await;
            s.app.close().await;
            let approval = approval.map_err(app_failure)?;
            writeln!(
                std::io::stdout().lock(),
                "override approval {} for case {id} in {} / {} (cite it with --override-approval {})",
                approval.id,
                approval.facility_id,
                approval.cell_id,
                approval.id
            )?;
            Ok(())
        }),
        C::Move { id, place, why, register } => run_request(register, why, *id, CaseAction::Move(place.placement())),
        C::ScheduleReturn { id, on, why, register } => run_request(register, why, *id, CaseAction::ScheduleReturn(*on)),
        C::Return(p) => plain(p, CaseAction::Return),
        C::TurnBack(p) => plain(p, CaseAction::TurnBack),
        C::Release(t) => run_request(&t.register, &t.why, t.id, CaseAction::Release(t.to.clone())),
        C::Remove(t) => run_request(&t.register, &t.why, t.id, CaseAction::Remove(t.to.clone())),
        C::RecordDeath { id, report, why, register } => {
            run_request(register, why, *id, CaseAction::RecordDeath(report.clone()))
        }
        C::Withdraw(p) => plain(p, CaseAction::Withdraw),
        C::Refuse(p) => plain(p, CaseAction::Refuse),
        C::PlaceHold { id, authority, reference, order, why, register } => {
            let order = match order {
                OrderArg::Stop => "stop",
                OrderArg::Return => "return",
                OrderArg::Challenge => "challenge",
            };
            let hold =
                HoldRequest { authority: authority.clone(), reference: reference.clone(), order: order.to_owned() };
            run_request(register, why, *id, CaseAction::PlaceHold(hold))
        }
        C::LiftHold { id, reference, decision, why, register } => {
            let action = CaseAction::LiftHold { reference: reference.clone(), decision_reference: decision.clone() };
            run_request(register, why, *id, action)
        }
        C::ConfirmLift(h) => run_request(&h.register, &h.why, h.id, CaseAction::ConfirmLift(h.reference.clone())),
        C::DecideChallenge { id, reference, outcome, reasons, why, register } => {
            let outcome = match outcome {
                OutcomeArg::Upheld => "upheld",
                OutcomeArg::Dismissed => "dismissed",
            };
            let action = CaseAction::DecideChallenge {
                reference: reference.clone(),
                outcome: outcome.to_owned(),
                reasons: reasons.clone(),
            };
            run_request(register, why, *id, action)
        }
    }
}
