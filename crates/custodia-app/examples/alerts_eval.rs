//! The scheduler's evaluation over 100,000 people in custody (BENCHMARKS.md, "Scheduled alerts"):
//! the core's `open_alerts` over every case of an agreement on a day, then
//! `notify::plan_changes` against the occurrences still open from the day before and a hundred
//! subscriptions — what `App::evaluate_scheduled_alerts` computes once the facts are loaded.
//! Loading the facts from the register is not measured here (see BENCHMARKS.md for the overview
//! with 10,000 in custody, which reads them).
//!
//!   cargo run --release -p custodia-app --example alerts_eval -- [PEOPLE] [RUNS]
#![allow(clippy::disallowed_methods, clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::indexing_slicing)]

use std::time::Instant;

use custodia_app::notify::plan_changes;
use custodia_core::alerts::{CaseFacts, FacilityCount, open_alerts};
use custodia_core::custody::Case;
use custodia_core::lifecycle::CaseState;
use custodia_core::{Agreement, Date, Person};
use custodia_store::Timestamp;
use custodia_store::notifications::{OpenOccurrence, SubscriptionRow};

/// A person whose 10-year sentence started on one of 4,000 days: on the day evaluated some have
/// served it (held beyond release), most have not.
fn person(i: usize) -> Person {
    let start = Date::parse("2016-01-01").unwrap().add_days(i64::try_from(i % 4_000).unwrap()).unwrap();
    Person {
        sending_id: format!("P-{i}"),
        family_name: "Doe".into(),
        given_names: "Given".into(),
        birth_date: Some("1990-05-01".into()),
        nationalities: Some("VE".into()),
        conviction: Some("final".into()),
        sentence_start: Some(start.to_string()),
        sentence_term: Some("10y".into()),
        jail_credit_days: Some(0),
        torture_risk: Some("no_risk".into()),
        torture_risk_assessed_on: Some("2025-03-01".into()),
        ..Person::default()
    }
}

fn subscription(id: i64) -> SubscriptionRow {
    SubscriptionRow {
        id,
        agreement_id: "us-sv-cecot".into(),
        min_severity: if id % 2 == 0 { "critical" } else { "warning" }.into(),
        kinds: if id % 3 == 0 { vec!["HELD_BEYOND_RELEASE".into()] } else { Vec::new() },
        channel: "webhook".into(),
        target: format!("https://hooks.example.org/{id}"),
        secret: Some("0123456789abcdef".into()),
        created_by: "bench".into(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let people: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let runs: usize = args.next().map_or(7, |a| a.parse().unwrap());
    let source = std::fs::read_to_string("examples/agreements/us-sv-cecot.toml").expect("run from the repository root");
    let agreement = Agreement::from_toml(&source).unwrap();
    let persons: Vec<Person> = (0..people).map(person).collect();
    let mut case = Case::new();
    case.state = CaseState::InCustody;
    let ids: Vec<String> = persons.iter().enumerate().map(|(i, p)| format!("case-{i}/{}", p.sending_id)).collect();
    let zone = agreement.default_time_zone();
    let day = Date::parse("2025-09-15").unwrap();
    let facts = |on: Date| -> Vec<CaseFacts<'_>> {
        persons
            .iter()
            .zip(&ids)
            .map(|(person, case_id)| CaseFacts {
                case_id,
                case: &case,
                person,
                zone_day: on,
                now_unix: zone.end_of_day(on),
            })
            .collect()
    };
    let counts =
        [FacilityCount { facility_id: "cecot", in_custody: u32::try_from(people).unwrap(), standard_capacity: 40_000 }];
    // Yesterday's alerts are the occurrences still open.
    let yesterday = open_alerts(&agreement, &facts(day.add_days(-1).unwrap()), &counts, &[], day.add_days(-1).unwrap());
    let open: Vec<OpenOccurrence> = yesterday
        .iter()
        .enumerate()
        .map(|(i, a)| OpenOccurrence {
            id: i64::try_from(i).unwrap(),
            kind: a.kind.code().into(),
            subject: a.subject.clone(),
        })
        .collect();
    let subscriptions: Vec<SubscriptionRow> = (1..=100).map(subscription).collect();
    let at = Timestamp::parse("2025-09-15T06:00:30Z").unwrap();
    let mut totals_ms = Vec::new();
    for run in 0..runs {
        let started = Instant::now();
        let case_facts = facts(day);
        let alerts = open_alerts(&agreement, &case_facts, &counts, &[], day);
        let evaluated = started.elapsed();
        let changes = plan_changes("us-sv-cecot", &at, &alerts, &open, &subscriptions);
        let total = started.elapsed();
        totals_ms.push(total.as_secs_f64() * 1e3);
        println!(
            "run {run}: {people} in custody, {} alerts open ({} yesterday), {} new, {} resolved: \
             evaluation {:.1} ms, plan {:.1} ms, total {:.1} ms",
            alerts.len(),
            open.len(),
            changes.opened.len(),
            changes.resolved.len(),
            evaluated.as_secs_f64() * 1e3,
            (total - evaluated).as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3
        );
    }
    totals_ms.sort_by(f64::total_cmp);
    println!(
        "median total {:.1} ms, max {:.1} ms over {runs} runs",
        totals_ms[totals_ms.len() / 2],
        totals_ms[totals_ms.len() - 1]
    );
}
