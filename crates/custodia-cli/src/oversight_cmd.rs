//! `custodia alerts`, `custodia report legal-basis`, `custodia incident`, `custodia inspection` and
//! `custodia contact`: oversight from the command line (docs/oversight.md).

use custodia_store::prelude::*;
use std::io::Write;

use clap::{Args, Subcommand};
use custodia_core::Date;
use custodia_core::alerts::{CaseFacts, FacilityCount, open_alerts};
use custodia_core::lifecycle::CaseState;
use custodia_store::Timestamp;

use crate::case_cmd::parse_time;
use crate::register_cmd::{RegisterArgs, block_on, open, store_failure, stored_agreement};
use crate::{CmdResult, Failure};

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
