//! `custodia agreement …`: validate and summarise agreement files.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use custodia_core::agreement::{Agreement, Eligibility, Fees, MAX_AGREEMENT_FILE_BYTES, Party};

use crate::register_cmd::{RegisterArgs, app_failure, block_on, open};
use crate::{CmdResult, Failure};

/// `custodia agreement` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum AgreementCommand {
    /// Validate an agreement file; print its summary, or every problem (key path: reason) and exit 2.
    #[command(
        after_help = "Example:\n  custodia agreement check examples/agreements/us-sv-cecot.toml\n\nThe file format is described in docs/agreement-file.md."
    )]
    Check {
        /// The agreement file (TOML).
        file: PathBuf,
    },
    /// Approve an amendment another admin proposed with `custodia import agreement` (a changed
    /// file); the new version applies at once. The proposer cannot approve (TWO_PERSON_RULE).
    Approve {
        /// The agreement id.
        agreement: String,
        /// The proposal number printed when it was proposed.
        proposal: i64,
        #[command(flatten)]
        register: RegisterArgs,
    },
}

/// Reads and validates an agreement file; every problem becomes one line of the error.
pub(crate) fn load(path: &Path) -> Result<Agreement, Failure> {
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|e| Failure::Input(format!("{shown}: cannot read: {e}")))?;
    if metadata.len() > MAX_AGREEMENT_FILE_BYTES as u64 {
        return Err(Failure::Input(format!("{shown}: file is larger than {MAX_AGREEMENT_FILE_BYTES} bytes")));
    }
    let bytes = std::fs::read(path).map_err(|e| Failure::Input(format!("{shown}: cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| Failure::Input(format!("{shown}: not valid UTF-8")))?;
    Agreement::from_toml(&text).map_err(|e| {
        let count = e.problems.len();
        let plural = if count == 1 { "problem" } else { "problems" };
        let lines: Vec<String> = e.problems.iter().map(|p| format!("  {p}")).collect();
        Failure::Input(format!("{shown}: {count} {plural}:\n{}", lines.join("\n")))
    })
}

pub(crate) fn run(command: &AgreementCommand) -> CmdResult {
    match command {
        AgreementCommand::Check { file } => {
            let agreement = load(file)?;
            let mut out = std::io::stdout().lock();
            write_summary(&mut out, &agreement)?;
            out.flush()?;
            Ok(())
        }
        AgreementCommand::Approve { agreement, proposal, register } => block_on(async {
            let s = open(register).await?;
            let (changed, record) =
                s.app.approve_amendment(&s.who, agreement, *proposal, &s.now).await.map_err(app_failure)?;
            s.app.close().await;
            let verb = if changed { "now in force" } else { "unchanged" };
            writeln!(
                std::io::stdout().lock(),
                "agreement {agreement}: amendment {proposal} approved, version {} {verb}",
                record.version
            )?;
            Ok(())
        }),
    }
}

fn party(agreement: &Agreement, party: Party) -> String {
    let state = match party {
        Party::Sending => agreement.sending_state,
        Party::Receiving => agreement.receiving_state,
    };
    format!("{} state ({state})", party.as_str())
}

fn rules(e: &Eligibility) -> Vec<String> {
    let mut out = Vec::new();
    let list = |items: &mut dyn Iterator<Item = String>| items.collect::<Vec<_>>().join(", ");
    if e.require_final_conviction {
        out.push("E01 final conviction".to_owned());
    }
    if let Some(n) = e.min_age {
        out.push(format!("E02 age ≥ {n}"));
    }
    if let Some(n) = e.min_sentence_days {
        out.push(format!("E03 sentence ≥ {n} days"));
    }
    if let Some(n) = e.min_remaining_days {
        out.push(format!("E04 ≥ {n} days left"));
    }
    out.push("E05 sentence not served".to_owned());
    if e.exclude_life_sentences {
        out.push("E06 no life sentences".to_owned());
    }
    if let Some(p) = e.sending_state_citizens {
        out.push(format!("E07 sending-state citizens {}", p.as_str()));
    }
    if let Some(p) = e.receiving_state_nationals {
        out.push(format!("E08 receiving-state nationals {}", p.as_str()));
    }
    if let Some(codes) = &e.allowed_nationalities {
        out.push(format!("E09 nationalities {}", list(&mut codes.iter().map(|c| c.to_string()))));
    }
    if e.require_consent {
        let waiver = if e.consent_waived_by_removal_order { " (waived by a final removal order)" } else { "" };
        out.push(format!("E10 consent{waiver}"));
    }
    if e.require_removal_order {
        out.push("E11 final removal order".to_owned());
    }
    if let Some(o) = &e.excluded_offences {
        out.push(format!("E12 excludes {}", list(&mut o.iter().map(|c| c.to_string()))));
    }
    if let Some(c) = &e.allowed_security_classes {
        out.push(format!("E13 security classes {}", list(&mut c.iter().map(|c| c.to_string()))));
    }
    if e.exclude_care_needs {
        out.push("E14 no care needs".to_owned());
    }
    if let Some(n) = e.torture_risk_max_age_days {
        out.push(format!("E15 torture-risk assessment ≤ {n} days old"));
    }
    out
}

fn fees(a: &Agreement) -> String {
    let money = |minor: i64| custodia_core::Money::new(minor, a.currency).to_string();
    match &a.fees {
        Fees::PerDiem { rate_minor, class_rates_minor, guaranteed_minimum_places } => {
            let mut s = format!("per_diem: {} a person-day", money(*rate_minor));
            for (class, rate) in class_rates_minor {
                s.push_str(&format!(", {class} {}", money(*rate)));
            }
            if let Some(min) = guaranteed_minimum_places {
                s.push_str(&format!(", {min} places guaranteed"));
            }
            s
        }
        Fees::PerPlaceMonth { place_month_minor, reserved_places, extra_person_day_minor } => format!(
            "per_place_month: {reserved_places} places reserved at {} a place-month, extra person-days at {}",
            money(*place_month_minor),
            money(*extra_person_day_minor)
        ),
        Fees::PerCapita { capita_minor, coverage_days, envelope_minor } => {
            let envelope = envelope_minor.map_or_else(String::new, |e| format!(", envelope {}", money(e)));
            format!("per_capita: {} per person per {coverage_days} days{envelope}", money(*capita_minor))
        }
        Fees::LumpSumYear { year_minor } => format!("lump_sum_year: {} a year", money(*year_minor)),
    }
}

fn write_summary(out: &mut impl Write, a: &Agreement) -> std::io::Result<()> {
    let days = a.ends.days_since(a.starts) + 1;
    writeln!(out, "ok: agreement {} is valid", a.id)?;
    writeln!(out, "  title            {}", a.title)?;
    writeln!(out, "  states           {} sends, {} receives", a.sending_state, a.receiving_state)?;
    writeln!(out, "  legal custodian  {}", party(a, a.legal_custodian))?;
    writeln!(out, "  governing law    {}", party(a, a.governing_law))?;
    writeln!(out, "  term             {} to {} inclusive ({days} days)", a.starts, a.ends)?;
    writeln!(out, "  sentence rules   {}", a.sentence_profile.as_str())?;
    writeln!(out, "  return           {} days before release", a.return_before_release_days)?;
    writeln!(out, "  public locator   {}", if a.public_locator { "on" } else { "off" })?;
    for f in &a.facilities {
        writeln!(
            out,
            "  facility         {} — {} ({}): {} places contracted, stated capacity {}, days in {}",
            f.id, f.name, f.country, f.contracted_places, f.stated_capacity, f.time_zone
        )?;
    }
    let s = &a.standards;
    writeln!(
        out,
        "  space standards  shared {} m²/person, single cell ≥ {} m², floor {} m²/person",
        s.shared_m2_per_person, s.single_cell_min_m2, s.floor_m2_per_person
    )?;
    writeln!(out, "  eligibility      {}", rules(&a.eligibility).join("; "))?;
    writeln!(out, "  fees             {} ({})", fees(a), a.currency)?;
    let c = &a.custody;
    let removal = match c.removal_custody_max_days {
        Some(days) => format!("allowed for at most {days} days"),
        None => c.removal_custody.as_str().to_owned(),
    };
    writeln!(
        out,
        "  custody          removal custody {removal}; court-ordered return within {} days; transit at most {} h; override at most {} days",
        c.court_return_days, c.transit_max_hours, c.override_max_days
    )?;
    let o = &a.oversight;
    writeln!(
        out,
        "  notifications    next of kin {} h, sending state {} h, independent authority {} h, torture allegation {} h",
        o.next_of_kin_hours, o.sending_state_hours, o.independent_authority_hours, o.torture_allegation_hours
    )?;
    if !o.inspection_bodies.is_empty() {
        writeln!(out, "  inspection       {}", o.inspection_bodies.join(", "))?;
    }
    if let Some(contact) = &o.family_contact {
        writeln!(out, "  family contact   {contact}")?;
    }
    let r = &a.rights;
    writeln!(
        out,
        "  rights           complaints answered within {} days; at least {} family visits or calls a month, {} consular visits a quarter",
        r.complaint_answer_days, r.family_contacts_per_month, r.consular_visits_per_quarter
    )?;
    Ok(())
}
