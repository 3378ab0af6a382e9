//! `custodia forecast` (docs/forecast.md): the same seed gives byte-identical output on any number
//! of threads, equal terms with a fixed intake give equal percentiles, percentiles are ordered,
//! the formats, and bad parameters exit 2 naming their field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::PathBuf;
use std::process::Output;

use common::Register;
use serde_json::Value;

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";

fn custodia(args: &[&str]) -> Output {
    common::custodia().args(args).output().unwrap()
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("custodia-forecast-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A synthetic person file of `count` people (the project's own generator).
fn persons(count: u32) -> String {
    let path = temp_dir().join(format!("persons-{count}.csv"));
    let out =
        custodia(&["synth", "persons", "--count", &count.to_string(), "--seed", "1", "--out", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path.to_str().unwrap().to_owned()
}

fn forecast(extra: &[&str]) -> Output {
    let mut args = vec!["forecast", "--agreement", CECOT, "--cells", "examples/cells/cecot.csv"];
    args.extend_from_slice(extra);
    custodia(&args)
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_output_on_any_number_of_threads_and_percentiles_are_ordered() {
    let file = persons(3_000);
    let run = |threads: &str, seed: &str| {
        forecast(&[
            "--persons",
            &file,
            "--intake-per-month",
            "120",
            "--months",
            "15",
            "--runs",
            "150",
            "--seed",
            seed,
            "--intake-model",
            "binomial",
            "--threads",
            threads,
            "--json",
        ])
    };
    let one = run("1", "7");
    let three = run("3", "7");
    assert_eq!(one.stdout, three.stdout, "byte-identical whatever the threads");
    assert!(one.stderr.is_empty(), "no progress bar when standard error is not a terminal");
    let report = json(&one);
    assert_ne!(json(&run("2", "8"))["months"], report["months"], "another seed draws other people");
    assert_eq!(report["percentile_rule"], "nearest-rank");
    assert_eq!(report["months"].as_array().unwrap().len(), 15);
    assert!(report["eligible"].as_u64().unwrap() > 0);
    for month in report["months"].as_array().unwrap() {
        for figure in ["population", "returns_due", "person_days", "invoiced_minor", "home_cost_minor"] {
            let q = &month[figure];
            let (p5, p50, p95) = (q["p5"].as_i64().unwrap(), q["p50"].as_i64().unwrap(), q["p95"].as_i64().unwrap());
            assert!(p5 <= p50 && p50 <= p95, "{month}");
        }
    }
    let limits: Vec<&str> = report["limits"].as_array().unwrap().iter().map(|l| l["limit"].as_str().unwrap()).collect();
    assert_eq!(limits, ["contracted_places", "standard_capacity", "floor_capacity", "fee_envelope"]);
    // 120 a month against 300 contracted places: exceeded in the third month, in every run.
    let places = &report["limits"][0];
    assert_eq!((places["value"].as_i64(), places["first_month"].as_str()), (Some(300), Some("2025-05")), "{places}");
}

/// Three people alike but for their ids, eligible under the CECOT example on 2025-03-15, with a
/// 120-month term from 2024-01-01: projected release 2033-07-08, so held past the end of the term.
const ALIKE: &str = "\
person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,torture_risk_assessed_on,care_needs
A1,Doe,J,1990-01-01,VE,final,gang,2024-01-01,120m,0,high,,final,no_risk,2025-03-01,no
A2,Roe,K,1990-01-01,VE,final,gang,2024-01-01,120m,0,high,,final,no_risk,2025-03-01,no
A3,Poe,L,1990-01-01,VE,final,gang,2024-01-01,120m,0,high,,final,no_risk,2025-03-01,no
";

#[test]
fn a_fixed_intake_of_equal_terms_gives_the_exact_figures() {
    let path = temp_dir().join("alike.csv");
    std::fs::write(&path, ALIKE).unwrap();
    let report = json(&forecast(&[
        "--persons",
        path.to_str().unwrap(),
        "--intake-per-month",
        "10",
        "--months",
        "14",
        "--runs",
        "40",
        "--json",
    ]));
    assert_eq!(report["eligible"], 3);
    let months = report["months"].as_array().unwrap();
    // Everyone is held to the end of the term (2026-03-14): 10 more each month, all back on
    // 2026-03-15; per-capita: one charge each on arrival ($20,000), none renewed within the year.
    for (k, month) in months.iter().enumerate() {
        let in_term = k < 13;
        let expected_population = if in_term { 10 * (k as i64 + 1) } else { 0 };
        let exact = |figure: &str, value: i64| {
            assert_eq!(
                month[figure],
                serde_json::json!({"p5": value, "p50": value, "p95": value}),
                "{figure} in {month}"
            );
        };
        exact("population", expected_population);
        exact("returns_due", if k == 12 { 130 } else { 0 });
        exact("invoiced_minor", if in_term { 10 * 2_000_000 } else { 0 });
        let days = month["person_days"]["p50"].as_i64().unwrap();
        exact("person_days", days);
        exact("home_cost_minor", days * 12_080);
    }
    // March 2025: arrivals on the 15th, 16th … (17 days for 10 people: ⌊i·17/10⌋), held to the 31st.
    let march: i64 = (0..10).map(|i| 17 - i * 17 / 10).sum();
    assert_eq!(months[0]["person_days"]["p50"], march);
}

#[test]
fn formats_table_csv_and_chart() {
    let path = temp_dir().join("alike-formats.csv");
    std::fs::write(&path, ALIKE).unwrap();
    let chart = temp_dir().join("forecast.svg");
    let common = ["--persons", path.to_str().unwrap(), "--intake-per-month", "10", "--months", "3", "--runs", "5"];
    let csv = forecast(&[&common[..], &["--csv", "--chart", chart.to_str().unwrap()]].concat());
    assert!(csv.status.success(), "{}", String::from_utf8_lossy(&csv.stderr));
    let text = String::from_utf8(csv.stdout).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with("month,population_p5,population_p50,population_p95,returns_due_p5"));
    assert_eq!(lines.next().unwrap().split(',').take(4).collect::<Vec<_>>(), ["2025-03", "10", "10", "10"]);
    assert_eq!(text.lines().count(), 4);
    let svg = std::fs::read_to_string(&chart).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<title id=\"forecast-title\">People in custody per month"));
    assert!(svg.contains("contracted places 300") && svg.trim_end().ends_with("</svg>"));
    let table = forecast(&common);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("contracted places 300: not exceeded by 5 % of runs within the horizon"), "{table}");
    assert!(table.contains("2025-05"), "{table}");
}

#[test]
fn bad_parameters_exit_2_naming_the_field() {
    let path = temp_dir().join("alike-bad.csv");
    std::fs::write(&path, ALIKE).unwrap();
    let file = path.to_str().unwrap();
    for (args, field) in [
        (["--runs", "0", "--months", "12", "--intake-per-month", "5"], "runs: must be 1 to 100000"),
        (["--runs", "10", "--months", "241", "--intake-per-month", "5"], "months: must be 1 to 240"),
        (["--runs", "10", "--months", "12", "--intake-per-month", "-5"], "intake_per_month: must be 0 to 100000"),
        (
            ["--runs", "100000", "--months", "240", "--intake-per-month", "5"],
            "runs: runs × months must be at most 2400000",
        ),
    ] {
        let out = forecast(&[&["--persons", file][..], &args[..]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(field), "{field} in {stderr}");
        assert!(out.stdout.is_empty());
    }
    // Nobody eligible (the people are screened on 2030-01-01, after their torture-risk assessment
    // went stale): refused with its code.
    let out = forecast(&[
        "--persons",
        file,
        "--from",
        "2030-01-01",
        "--runs",
        "3",
        "--months",
        "2",
        "--intake-per-month",
        "5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("NOBODY_ELIGIBLE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn over_the_register_the_forecast_is_the_person_files() {
    let r = Register::new("forecast");
    r.ok(&["import", "agreement", CECOT]);
    let persons = r.file("alike.csv", ALIKE);
    r.ok(&["import", "persons", &persons, "--agreement", "us-sv-cecot"]);
    let asked = ["--intake-per-month", "10", "--months", "14", "--runs", "6", "--from", "2025-03-15", "--json"];
    let register: Value = serde_json::from_str(
        &r.ok(&[&["forecast", "--register", "--agreement", "us-sv-cecot"][..], &asked[..]].concat()),
    )
    .unwrap();
    let file = json(&custodia(&[&["forecast", "--agreement", CECOT, "--persons", &persons][..], &asked[..]].concat()));
    assert_eq!((register["eligible"].as_u64(), register["in_custody"].as_u64()), (Some(3), Some(0)), "{register}");
    assert_eq!(register["months"], file["months"]);
    assert_eq!(register["limits"], file["limits"]);
    // Without a token nothing is read.
    let bare = r.bare(&[&["forecast", "--register", "--agreement", "us-sv-cecot"][..], &asked[..]].concat());
    assert_eq!(bare.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("token"));
}
