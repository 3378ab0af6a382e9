//! `custodia sentence`: docs/sentence.md arithmetic with the output contract of docs/command-line.md.

use std::io::Write;

use clap::Args;
use custodia_core::sentence::{self, DEFAULT_GCT_RATE, SentenceDates, SentenceInput, SentenceProfile};
use custodia_core::{Date, Term};
use serde::Serialize;

use crate::{CmdResult, Failure};

const AFTER_HELP: &str = "\
Terms are written <n>y<n>m<n>d (components optional, in that order: 5y, 60m, 1y1d, 24m1d, 1291d)
or life. The commencement day is day 1 of the sentence.

Profile us-federal (18 U.S.C. 3585, 3624): good conduct time of up to --gct-rate days per year for
terms of more than one year, prorated for a partial year; a release on a Saturday, Sunday or federal
holiday moves to the last preceding weekday. Profile two-thirds: release after two thirds of the term.

Examples:
  custodia sentence --start 2025-01-01 --term 60m --json
  custodia sentence --start 2018-03-08 --term 67m --jail-credit 337
  custodia sentence --start 2024-05-01 --term 3y --profile two-thirds";

/// Arguments of `custodia sentence`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct SentenceArgs {
    /// Date the sentence commenced, YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = crate::parse_date_arg)]
    start: Date,
    /// Term imposed: <n>y<n>m<n>d or life.
    #[arg(long, value_name = "TERM", value_parser = parse_term)]
    term: Term,
    /// Prior-custody (jail) credit in days.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=i64::from(sentence::MAX_CREDIT_DAYS)))]
    jail_credit: u32,
    /// Good conduct time per year, days (54; 42 without education progress).
    #[arg(long, value_name = "DAYS", default_value_t = DEFAULT_GCT_RATE, value_parser = clap::value_parser!(u32).range(0..=i64::from(sentence::MAX_GCT_RATE)))]
    gct_rate: u32,
    /// Good conduct time disallowed, days.
    #[arg(long, value_name = "DAYS", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=i64::from(sentence::MAX_CREDIT_DAYS)))]
    gct_disallowed_days: u32,
    /// Release rules.
    #[arg(long, value_name = "PROFILE", default_value = "us-federal", value_parser = parse_profile)]
    profile: SentenceProfile,
    /// Print one JSON object (the contract other programs read) instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_term(text: &str) -> Result<Term, String> {
    Term::parse(text).map_err(|e| format!("term {e}"))
}

fn parse_profile(text: &str) -> Result<SentenceProfile, String> {
    SentenceProfile::parse(text).ok_or_else(|| "must be us-federal or two-thirds".to_owned())
}

/// The JSON contract of docs/command-line.md, keys in this order.
#[derive(Debug, Serialize)]
pub(crate) struct SentenceJson {
    start_date: String,
    full_term_date: Option<String>,
    adjusted_full_term_date: Option<String>,
    gct_days: u32,
    statutory_release_date: Option<String>,
    projected_release_date: Option<String>,
    already_due: bool,
}

impl From<&SentenceDates> for SentenceJson {
    fn from(d: &SentenceDates) -> Self {
        let text = |date: Option<Date>| date.map(|d| d.to_string());
        SentenceJson {
            start_date: d.start_date.to_string(),
            full_term_date: text(d.full_term_date),
            adjusted_full_term_date: text(d.adjusted_full_term_date),
            gct_days: d.gct_days,
            statutory_release_date: text(d.statutory_release_date),
            projected_release_date: text(d.projected_release_date),
            already_due: d.already_due,
        }
    }
}

pub(crate) fn run(args: &SentenceArgs) -> CmdResult {
    let input = SentenceInput {
        start: args.start,
        term: args.term,
        jail_credit_days: args.jail_credit,
        gct_rate: args.gct_rate,
        gct_disallowed_days: args.gct_disallowed_days,
        profile: args.profile,
    };
    let dates = sentence::compute(&input).map_err(|e| Failure::Input(format!("--term: {e}")))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::to_string(&SentenceJson::from(&dates)).map_err(anyhow::Error::from)?;
        writeln!(out, "{json}")?;
    } else {
        let show = |date: Option<Date>| date.map_or_else(|| "—".to_owned(), |d| format!("{d} ({:?})", d.weekday()));
        writeln!(out, "profile                  {}", args.profile.as_str())?;
        writeln!(out, "term                     {}  (jail credit {} days)", args.term, args.jail_credit)?;
        writeln!(out, "start                    {}", show(Some(dates.start_date)))?;
        writeln!(out, "full term                {}", show(dates.full_term_date))?;
        writeln!(out, "adjusted full term       {}", show(dates.adjusted_full_term_date))?;
        writeln!(out, "good conduct time        {} days", dates.gct_days)?;
        writeln!(out, "statutory release        {}", show(dates.statutory_release_date))?;
        writeln!(out, "projected release        {}", show(dates.projected_release_date))?;
        if dates.already_due {
            writeln!(out, "already due              yes: release was due at commencement")?;
        }
    }
    out.flush()?;
    Ok(())
}
