//! `custodia care`: medical examinations, visits and calls, and solitary confinement from the
//! command line (docs/rights.md#health, #visits, #solitary).

use std::io::Write;

use clap::Subcommand;
use custodia_app::care::{CareRecord, NewExamination, NewPlacement, NewVisit};
use custodia_store::{CareItem, Timestamp};

use crate::CmdResult;
use crate::case_cmd::parse_time;
use crate::register_cmd::{RegisterArgs, app_failure, block_on, open};

/// `custodia care` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum CareCommand {
    /// Record a medical examination (medical officers).
    Examine {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The case of the person examined.
        #[arg(long, value_name = "CASE")]
        case: i64,
        /// admission, solitary_review, transfer or other.
        #[arg(long, value_name = "PURPOSE")]
        purpose: String,
        /// The examining doctor or nurse (name and qualification).
        #[arg(long, value_name = "NAME")]
        examiner: String,
        /// fit or unfit for custody.
        #[arg(long, value_name = "FIT")]
        custody: String,
        /// fit or unfit for a transfer.
        #[arg(long, value_name = "FIT")]
        transfer: String,
        /// fit or unfit for solitary confinement.
        #[arg(long, value_name = "FIT")]
        solitary: String,
        /// The findings (health file: medical officers only).
        #[arg(long, value_name = "TEXT")]
        findings: String,
        /// The injuries documented (health file); required when the intake recorded visible injuries.
        #[arg(long, value_name = "TEXT")]
        injuries: Option<String>,
        /// When, RFC 3339 with any offset (default: now).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        at: Option<Timestamp>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Record a visit or call, held or refused (nothing said at a visit is recorded).
    Visit {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The case of the person visited.
        #[arg(long, value_name = "CASE")]
        case: i64,
        /// family_visit, family_call, consular_visit or counsel_visit.
        #[arg(long, value_name = "KIND")]
        kind: String,
        /// Who visited or called.
        #[arg(long, value_name = "NAME")]
        visitor: String,
        /// held or refused.
        #[arg(long, value_name = "OUTCOME")]
        outcome: String,
        /// For a refusal: capacity, security, discipline, declined, visitor_absent or other.
        #[arg(long, value_name = "GROUND")]
        ground: Option<String>,
        /// For a refusal: the reason in words.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// When, RFC 3339 with any offset (default: now).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        at: Option<Timestamp>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// Place a person in solitary confinement; you are its authoriser.
    Place {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        /// The case of the person placed.
        #[arg(long, value_name = "CASE")]
        case: i64,
        /// Why.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// When it started, RFC 3339 with any offset (default: now).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        at: Option<Timestamp>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// End a placement in solitary confinement.
    EndSolitary {
        /// The placement's record id.
        id: i64,
        /// When it ended, RFC 3339 with any offset (default: now).
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        at: Option<Timestamp>,
        #[command(flatten)]
        register: RegisterArgs,
    },
    /// The records of care of an agreement in your scope.
    List {
        /// The agreement.
        #[arg(long, value_name = "ID")]
        agreement: String,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

/// One line of a record: id, case, kind and what it says (the health file only to medical officers).
fn line(record: &CareRecord) -> String {
    let row = &record.row;
    let what = match &row.item {
        CareItem::Examination(e) => {
            let file = if record.health_file_withheld {
                "health file withheld".to_owned()
            } else {
                format!(
                    "findings: {}{}",
                    e.findings,
                    e.injuries.as_deref().map(|i| format!("; injuries: {i}")).unwrap_or_default()
                )
            };
            format!(
                "examination {} by {} at {}  custody {} transfer {} solitary {}  {file}",
                e.purpose.as_str(),
                e.examiner,
                e.examined_at,
                e.fitness.custody.as_str(),
                e.fitness.transfer.as_str(),
                e.fitness.solitary.as_str()
            )
        }
        CareItem::Visit(v) => {
            let outcome = match &v.refusal {
                Some(r) => format!("refused ({}: {})", r.ground.as_str(), r.reason),
                None => "held".to_owned(),
            };
            format!("{} by {} at {}  {outcome}", v.kind.as_str(), v.visitor, v.at)
        }
        CareItem::Placement(p) => {
            let end = p.end.as_ref().map_or_else(|| "ongoing".to_owned(), |e| format!("ended {} by {}", e.at, e.by));
            format!("solitary from {} authorised by {}  {end}  reason: {}", p.start_at, p.authorised_by, p.reason)
        }
    };
    format!("{}  case {:<5} {what}", row.id, row.case_id)
}

pub(crate) fn run(command: &CareCommand) -> CmdResult {
    block_on(async {
        let mut out = std::io::stdout().lock();
        let result = match command {
            CareCommand::Examine {
                agreement,
                case,
                purpose,
                examiner,
                custody,
                transfer,
                solitary,
                findings,
                injuries,
                at,
                register,
            } => {
                let s = open(register).await?;
                let new = NewExamination {
                    agreement_id: agreement.clone(),
                    case_id: *case,
                    purpose: purpose.clone(),
                    examiner: examiner.clone(),
                    examined_at: at.clone(),
                    fit_for_custody: custody.clone(),
                    fit_for_transfer: transfer.clone(),
                    fit_for_solitary: solitary.clone(),
                    findings: findings.clone(),
                    injuries: injuries.clone(),
                };
                let recorded = s.app.record_examination(&s.who, &new, &s.now).await;
                s.app.close().await;
                recorded.map(|r| vec![r])
            }
            CareCommand::Visit { agreement, case, kind, visitor, outcome, ground, reason, at, register } => {
                let s = open(register).await?;
                let new = NewVisit {
                    agreement_id: agreement.clone(),
                    case_id: *case,
                    kind: kind.clone(),
                    visitor: visitor.clone(),
                    at: at.clone(),
                    outcome: outcome.clone(),
                    ground: ground.clone(),
                    reason: reason.clone(),
                };
                let recorded = s.app.record_visit(&s.who, &new, &s.now).await;
                s.app.close().await;
                recorded.map(|r| vec![r])
            }
            CareCommand::Place { agreement, case, reason, at, register } => {
                let s = open(register).await?;
                let new = NewPlacement {
                    agreement_id: agreement.clone(),
                    case_id: *case,
                    reason: reason.clone(),
                    start_at: at.clone(),
                };
                let placed = s.app.place_in_solitary(&s.who, &new, &s.now).await;
                s.app.close().await;
                placed.map(|r| vec![r])
            }
            CareCommand::EndSolitary { id, at, register } => {
                let s = open(register).await?;
                let ended = s.app.end_solitary(&s.who, *id, at.as_ref(), &s.now).await;
                s.app.close().await;
                ended.map(|r| vec![r])
            }
            CareCommand::List { agreement, register } => {
                let s = open(register).await?;
                let rows = s.app.care_records(&s.who, agreement).await;
                s.app.close().await;
                rows
            }
        };
        for record in result.map_err(app_failure)? {
            writeln!(out, "{}", line(&record))?;
        }
        Ok(())
    })
}

/// `custodia report inspection`: the inspector's report for a facility and a period
/// (docs/rights.md#report).
#[derive(Debug, clap::Args)]
pub(crate) struct InspectionArgs {
    /// The agreement.
    #[arg(long, value_name = "ID")]
    agreement: String,
    /// The facility.
    #[arg(long, value_name = "ID")]
    facility: String,
    /// First day of the period, YYYY-MM-DD.
    #[arg(long, value_name = "DAY")]
    from: custodia_core::Date,
    /// Last day of the period, YYYY-MM-DD.
    #[arg(long, value_name = "DAY")]
    to: custodia_core::Date,
    /// table (default), csv or svg; labels in the language of `--lang`.
    #[arg(long, value_name = "FORMAT", default_value = "table", value_parser = ["table", "csv", "svg"])]
    format: String,
    #[command(flatten)]
    register: RegisterArgs,
}

pub(crate) fn run_inspection(args: &InspectionArgs) -> CmdResult {
    use custodia_app::inspection::{report_csv, report_svg, report_table};
    block_on(async {
        let s = open(&args.register).await?;
        let report = s.app.inspection_report(&s.who, &args.agreement, &args.facility, args.from, args.to).await;
        s.app.close().await;
        let report = report.map_err(app_failure)?;
        let language = crate::language();
        let text = match args.format.as_str() {
            "csv" => report_csv(&report, language),
            "svg" => report_svg(&report, language),
            _ => report_table(&report, language),
        };
        std::io::stdout().lock().write_all(text.as_bytes())?;
        Ok(())
    })
}
