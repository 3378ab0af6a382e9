//! `custodia alerts`, `custodia report legal-basis`, `custodia report notifications`, `custodia
//! incident`, `custodia inspection` and `custodia contact`: oversight from the command line
//! (docs/oversight.md).

use std::io::Write;

use clap::{Args, Subcommand};
use custodia_app::oversight::{NewContact, NewIncident, NewInspection};
use custodia_core::Date;
use custodia_core::incidents::{Notification, NotificationStatus, hours_minutes};
use custodia_store::Timestamp;
use custodia_store::incidents::IncidentRow;

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
                    serde_json::json!({"code": a.kind.code(), "severity": a.kind.severity().as_str(), "subject": a.subject, "reason": custodia_i18n::facts::alert_reason(a).render(crate::language())})
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string(&list).map_err(anyhow::Error::from)?)?;
        } else if alerts.is_empty() {
            let args = [
                ("agreement", custodia_i18n::Arg::from(args.agreement.as_str())),
                ("on", custodia_i18n::Arg::from(on.to_string())),
            ];
            writeln!(out, "{}", custodia_i18n::text(crate::language(), "msg-cli-no-alerts", &args))?;
        } else {
            for a in &alerts {
                writeln!(
                    out,
                    "{:<9} {:<27} {:<10} {}",
                    a.kind.severity().as_str(),
                    a.kind.code(),
                    a.subject,
                    custodia_i18n::facts::alert_reason(a).render(crate::language())
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
    /// Move the investigation of a torture allegation: open → investigating → closed (closing
    /// needs --finding). Legal officers and inspectors.
    Investigate {
        /// The incident id.
        id: i64,
        /// investigating or closed.
        #[arg(long, value_name = "STATE", value_parser = parse_investigation_state)]
        status: custodia_core::incidents::InvestigationState,
        /// substantiated, unsubstantiated or inconclusive (required with --status closed).
        #[arg(long, value_name = "FINDING", value_parser = parse_finding)]
        finding: Option<custodia_core::incidents::Finding>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Show an incident: its notifications (late ones with how late) and its investigation.
    Show {
        /// The incident id.
        id: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// List the incidents of an agreement, each as `show` prints it.
    List {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

fn parse_investigation_state(text: &str) -> Result<custodia_core::incidents::InvestigationState, String> {
    custodia_core::incidents::InvestigationState::parse(text)
        .filter(|s| *s != custodia_core::incidents::InvestigationState::Open)
        .ok_or_else(|| "must be investigating or closed".into())
}

fn parse_finding(text: &str) -> Result<custodia_core::incidents::Finding, String> {
    custodia_core::incidents::Finding::parse(text)
        .ok_or_else(|| "must be substantiated, unsubstantiated or inconclusive".into())
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

fn unix_text(seconds: i64) -> String {
    Timestamp::from_unix_seconds(seconds).map(|t| t.as_str().to_owned()).unwrap_or_else(|_| seconds.to_string())
}

/// Where a notification stands at `now_unix`, as people read it: a late one says how late.
fn notification_state(n: &Notification, now_unix: i64) -> String {
    let late = n.late_by_seconds(now_unix).map(hours_minutes).unwrap_or_default();
    match n.status(now_unix) {
        NotificationStatus::Pending => "pending".into(),
        NotificationStatus::Overdue => format!("overdue by {late}"),
        NotificationStatus::SentOnTime => format!("sent on time at {}", unix_text(n.sent_at_unix.unwrap_or_default())),
        NotificationStatus::SentLate => {
            format!("sent late by {late} at {}", unix_text(n.sent_at_unix.unwrap_or_default()))
        }
    }
}

fn write_incident(out: &mut impl Write, row: &IncidentRow, now_unix: i64) -> std::io::Result<()> {
    writeln!(
        out,
        "incident {} — {} at {} (agreement {})",
        row.id,
        row.kind.as_str(),
        row.occurred_at,
        row.agreement_id
    )?;
    for n in &row.notifications {
        let due = unix_text(n.due_at_unix);
        writeln!(out, "  notify {:<22} due {due}  {}", n.recipient.as_str(), notification_state(n, now_unix))?;
    }
    if let Some(i) = &row.investigation {
        let finding = i.finding().map(|f| format!(", finding {}", f.as_str())).unwrap_or_default();
        writeln!(
            out,
            "  investigation {}{finding}  to be closed by {}",
            i.state().as_str(),
            unix_text(i.due_at_unix())
        )?;
        for step in &i.steps {
            writeln!(out, "    {} by {} at {}", step.state.as_str(), step.by, unix_text(step.at_unix))?;
        }
    }
    writeln!(out, "  addenda: {}", row.report.addenda.len())
}

fn print_incident(row: &IncidentRow, now: &Timestamp) -> CmdResult {
    write_incident(&mut std::io::stdout().lock(), row, now.unix_seconds())?;
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
            IncidentCommand::Investigate { id, status, finding, register } => {
                let s = open(register).await?;
                let row = s.app.move_investigation(&s.who, *id, *status, *finding, &s.now).await;
                (s, row)
            }
            IncidentCommand::Show { id, register } => {
                let s = open(register).await?;
                let row = s.app.incident(&s.who, *id).await;
                (s, row)
            }
            IncidentCommand::List { agreement, register } => {
                let s = open(register).await?;
                let rows = s.app.incidents(&s.who, agreement).await;
                s.app.close().await;
                let mut out = std::io::stdout().lock();
                for row in rows.map_err(app_failure)? {
                    write_incident(&mut out, &row, s.now.unix_seconds())?;
                }
                return Ok(());
            }
        };
        s.app.close().await;
        print_incident(&row.map_err(app_failure)?, &s.now)
    })
}

/// `custodia report notifications`.
#[derive(Debug, Args)]
pub(crate) struct NotificationsArgs {
    /// The agreement.
    #[arg(long, value_name = "ID")]
    agreement: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    register: RegisterArgs,
}

/// The notifications report (docs/oversight.md#notifications-report): every notification of the
/// agreement's incidents, with its deadline, when it was sent, its status now and how late it is.
pub(crate) fn run_notifications(args: &NotificationsArgs) -> CmdResult {
    block_on(async {
        let s = open(&args.register).await?;
        let lines = s.app.notifications_report(&s.who, &args.agreement, &s.now).await.map_err(app_failure)?;
        s.app.close().await;
        let mut out = std::io::stdout().lock();
        if args.json {
            let list: Vec<serde_json::Value> = lines
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "incident_id": l.incident_id,
                        "kind": l.kind.as_str(),
                        "case_id": l.case_id,
                        "recipient": l.recipient.as_str(),
                        "due_at": unix_text(l.due_at_unix),
                        "sent_at": l.sent_at_unix.map(unix_text),
                        "status": l.status.as_str(),
                        "late_by": l.late_by_seconds.map(hours_minutes),
                        "late_by_seconds": l.late_by_seconds,
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string(&list).map_err(anyhow::Error::from)?)?;
            return Ok(());
        }
        writeln!(out, "notifications of {} at {}: {}", args.agreement, s.now.as_str(), lines.len())?;
        if !lines.is_empty() {
            writeln!(
                out,
                "{:<8} {:<18} {:<21} {:<20} {:<20} {:<12} late by",
                "incident", "kind", "recipient", "due", "sent", "status"
            )?;
        }
        for l in &lines {
            writeln!(
                out,
                "{:<8} {:<18} {:<21} {:<20} {:<20} {:<12} {}",
                l.incident_id,
                l.kind.as_str(),
                l.recipient.as_str(),
                unix_text(l.due_at_unix),
                l.sent_at_unix.map_or_else(|| "-".to_owned(), unix_text),
                l.status.as_str(),
                l.late_by_seconds.map_or_else(|| "-".to_owned(), hours_minutes)
            )?;
        }
        Ok(())
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
