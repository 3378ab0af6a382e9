//! `custodia alerts`, `custodia report legal-basis`, `custodia incident`, `custodia inspection` and
//! `custodia contact`: oversight from the command line (docs/oversight.md).

use std::io::Write;

use clap::{Args, Subcommand};
use custodia_app::oversight::{NewContact, NewIncident, NewInspection};
use custodia_core::Date;
use custodia_store::Timestamp;

use crate::CmdResult;
use crate::case_cmd::parse_time;
use crate::register_cmd::{RegisterArgs, Session, app_failure, block_on, open};

/// `custodia alerts`.
#[derive(Debug, Args)]
pub(crate) struct AlertsArgs {
    /// The agreement.
    #[arg(long, value_name = "ID")]
    agreement: String,
    /// The day the alerts are computed for (default: today in the agreement's time zone, its first
    /// facility's; docs/lifecycle.md#days).
    #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
    on: Option<Date>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    register: RegisterArgs,
}

/// The day given, or today in the agreement's time zone (`App::today_at`).
async fn day_or_today(s: &Session, agreement: &str, on: Option<Date>) -> Result<Date, crate::Failure> {
    match on {
        Some(day) => Ok(day),
        None => s.app.today_at(&s.who, agreement, None, &s.now).await.map_err(app_failure),
    }
}

pub(crate) fn run_alerts(args: &AlertsArgs) -> CmdResult {
    block_on(async {
        let s = open(&args.register).await?;
        let on = day_or_today(&s, &args.agreement, args.on).await?;
        let alerts = s.app.alerts(&s.who, &args.agreement, on).await.map_err(app_failure)?;
        s.app.close().await;
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
            writeln!(out, "no open alerts for {} on {on}", args.agreement)?;
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
    /// The day of the audit (default: today in the agreement's time zone, its first facility's;
    /// docs/lifecycle.md#days).
    #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
    on: Option<Date>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    register: RegisterArgs,
}

/// The legal-basis audit (docs/oversight.md#legal-basis): everyone held under the agreement whose legal basis is
/// missing, expired (past the projected release) or on hold.
pub(crate) fn run_legal_basis(args: &LegalBasisArgs) -> CmdResult {
    block_on(async {
        let s = open(&args.register).await?;
        let on = day_or_today(&s, &args.agreement, args.on).await?;
        let findings = s.app.legal_basis_report(&s.who, &args.agreement, on).await.map_err(app_failure)?;
        s.app.close().await;
        let mut out = std::io::stdout().lock();
        if args.json {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| {
                    serde_json::json!({"case_id": f.case_id, "person_id": f.person_id, "state": f.state.as_str(), "problems": f.problems})
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string(&list).map_err(anyhow::Error::from)?)?;
        } else if findings.is_empty() {
            writeln!(out, "legal-basis audit of {} on {on}: everyone held has a current legal basis", args.agreement)?;
        } else {
            writeln!(out, "legal-basis audit of {} on {on}: {} case(s)", args.agreement, findings.len())?;
            for f in &findings {
                writeln!(out, "case {} (person {}, {}): {}", f.case_id, f.person_id, f.state, f.problems.join("; "))?;
            }
        }
        Ok(())
    })
}

/// `custodia incident` subcommands (docs/oversight.md#incidents).
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
        /// When it happened, RFC 3339 with any offset (2025-03-31T19:00:00-06:00).
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
        /// When it was sent, RFC 3339 with any offset.
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
    block_on(async {
        let (s, row) = match command {
            IncidentCommand::File { agreement, case, kind, occurred_at, report, register } => {
                let s = open(register).await?;
                let new = NewIncident {
                    agreement_id: agreement.clone(),
                    case_id: *case,
                    kind: *kind,
                    occurred_at: occurred_at.clone(),
                    report: report.clone(),
                };
                let row = s.app.file_incident(&s.who, &new, &s.now).await;
                (s, row)
            }
            IncidentCommand::Notify { id, recipient, at, register } => {
                let s = open(register).await?;
                let row = s.app.notify_incident(&s.who, *id, *recipient, at, &s.now).await;
                (s, row)
            }
            IncidentCommand::Addendum { id, text, register } => {
                let s = open(register).await?;
                let row = s.app.add_addendum(&s.who, *id, text, &s.now).await;
                (s, row)
            }
        };
        s.app.close().await;
        print_incident(&row.map_err(app_failure)?)
    })
}

/// `custodia inspection` subcommands (docs/oversight.md#inspections).
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

/// `custodia contact` subcommands (docs/oversight.md#contacts).
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
        /// When, RFC 3339 with any offset.
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
    block_on(async {
        match command {
            InspectionCommand::File { agreement, body, from, to, finding, recommendation, register } => {
                let s = open(register).await?;
                let new = NewInspection {
                    agreement_id: agreement.clone(),
                    body: body.clone(),
                    from: *from,
                    to: *to,
                    findings: finding.clone(),
                    recommendations: recommendation.clone(),
                };
                let filed = s.app.file_inspection(&s.who, &new, &s.now).await;
                s.app.close().await;
                let row = filed.map_err(app_failure)?;
                writeln!(
                    std::io::stdout().lock(),
                    "inspection {} filed: {} findings, {} recommendations",
                    row.id,
                    row.inspection.findings.len(),
                    row.inspection.recommendations.len()
                )?;
            }
            InspectionCommand::Recommendation { id, index, state, register } => {
                let s = open(register).await?;
                let moved = s.app.move_recommendation(&s.who, *id, *index, *state, &s.now).await;
                s.app.close().await;
                let row = moved.map_err(app_failure)?;
                let mut out = std::io::stdout().lock();
                for (i, (text, state)) in row.inspection.recommendations.iter().enumerate() {
                    writeln!(out, "{i}  {:<12} {text}", state.as_str())?;
                }
            }
        }
        Ok(())
    })
}

pub(crate) fn run_contact(command: &ContactCommand) -> CmdResult {
    block_on(async {
        match command {
            ContactCommand::Log { agreement, case, contact, at, means, note, register } => {
                let s = open(register).await?;
                let new = NewContact {
                    agreement_id: agreement.clone(),
                    case_id: *case,
                    contact: contact.clone(),
                    at: at.clone(),
                    means: *means,
                    note: note.clone(),
                };
                let logged = s.app.log_contact(&s.who, &new, &s.now).await;
                s.app.close().await;
                writeln!(std::io::stdout().lock(), "contact {} logged", logged.map_err(app_failure)?.id)?;
            }
            ContactCommand::List { agreement, register } => {
                let s = open(register).await?;
                let contacts = s.app.contacts(&s.who, agreement).await;
                s.app.close().await;
                let mut out = std::io::stdout().lock();
                for custodia_store::ContactRow { id, case_id, contact: c } in contacts.map_err(app_failure)? {
                    let case = case_id.map_or_else(|| "-".to_owned(), |c| c.to_string());
                    writeln!(out, "{id}  case {case:<5} {}  {:<7} {}  {}", c.at, c.means.as_str(), c.contact, c.note)?;
                }
            }
        }
        Ok(())
    })
}
