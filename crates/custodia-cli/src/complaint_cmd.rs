//! `custodia complaint`: a detainee's requests and complaints from the command line
//! (docs/rights.md#complaints).

use std::io::Write;

use clap::Subcommand;
use custodia_app::rights::NewComplaint;
use custodia_store::{ComplaintRow, Timestamp};

use crate::CmdResult;
use crate::case_cmd::parse_time;
use crate::register_cmd::{RegisterArgs, app_failure, block_on, open};

/// `custodia complaint` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ComplaintCommand {
    /// Record a request or complaint by or for the person of a case.
    File {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The case of the person it is by or for.
        #[arg(long, value_name = "CASE")]
        case: i64,
        /// conditions, treatment, health, legal, family, property or other.
        #[arg(long, value_name = "CATEGORY")]
        category: String,
        /// Readable only by the inspecting bodies and the sending state's officers.
        #[arg(long)]
        confidential: bool,
        /// It alleges torture or ill-treatment (the allegation's incident is opened with it).
        #[arg(long)]
        alleges_ill_treatment: bool,
        /// The complaint in the detainee's words.
        #[arg(long, value_name = "TEXT")]
        text: String,
        /// When it was made, RFC 3339 with any offset (default: now).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        made_at: Option<Timestamp>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Answer a complaint (once).
    Answer {
        /// The complaint id.
        id: i64,
        /// The answer.
        #[arg(long, value_name = "TEXT")]
        text: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Escalate a complaint to an inspecting body the agreement names (once).
    Escalate {
        /// The complaint id.
        id: i64,
        /// The inspecting body.
        #[arg(long, value_name = "NAME")]
        body: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// The complaints of an agreement you may read.
    List {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

/// One line of a complaint: id, case, category, confidentiality, due time and where it stands.
fn line(row: &ComplaintRow) -> String {
    let c = &row.complaint;
    let due = Timestamp::from_unix_seconds(c.due_at_unix).map(|t| t.as_str().to_owned()).unwrap_or_default();
    let state = match (&c.answer, &c.escalation) {
        (Some(_), _) if c.answered_late() => "answered late",
        (Some(_), _) => "answered",
        (None, Some(_)) => "escalated",
        (None, None) => "open",
    };
    let confidential = if c.confidential { "confidential" } else { "-" };
    format!(
        "{}  case {:<5} {:<10} {:<12} due {due}  {state}  {}",
        row.id,
        row.case_id,
        c.category.as_str(),
        confidential,
        c.text
    )
}

pub(crate) fn run(command: &ComplaintCommand) -> CmdResult {
    block_on(async {
        let mut out = std::io::stdout().lock();
        match command {
            ComplaintCommand::File {
                agreement,
                case,
                category,
                confidential,
                alleges_ill_treatment,
                text,
                made_at,
                register,
            } => {
                let s = open(register).await?;
                let new = NewComplaint {
                    agreement_id: agreement.clone(),
                    case_id: *case,
                    category: category.clone(),
                    confidential: *confidential,
                    text: text.clone(),
                    alleges_ill_treatment: *alleges_ill_treatment,
                    made_at: made_at.clone(),
                };
                let filed = s.app.file_complaint(&s.who, &new, &s.now).await;
                s.app.close().await;
                let row = filed.map_err(app_failure)?;
                writeln!(out, "complaint {} filed", row.id)?;
                if let Some(incident) = row.complaint.incident_id {
                    writeln!(out, "incident {incident} opened (torture_allegation)")?;
                }
            }
            ComplaintCommand::Answer { id, text, register } => {
                let s = open(register).await?;
                let answered = s.app.answer_complaint(&s.who, *id, text, &s.now).await;
                s.app.close().await;
                writeln!(out, "{}", line(&answered.map_err(app_failure)?))?;
            }
            ComplaintCommand::Escalate { id, body, register } => {
                let s = open(register).await?;
                let escalated = s.app.escalate_complaint(&s.who, *id, body, &s.now).await;
                s.app.close().await;
                writeln!(out, "{}", line(&escalated.map_err(app_failure)?))?;
            }
            ComplaintCommand::List { agreement, register } => {
                let s = open(register).await?;
                let rows = s.app.complaints(&s.who, agreement).await;
                s.app.close().await;
                for row in rows.map_err(app_failure)? {
                    writeln!(out, "{}", line(&row))?;
                }
            }
        }
        Ok(())
    })
}
