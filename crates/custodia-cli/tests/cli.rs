//! End-to-end tests of the `custodia` binary: the docs/command-line.md contracts, the data-driven sentence
//! fixtures, the shipped example agreements, and bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn custodia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia")).args(args).current_dir(repo()).output().expect("run custodia")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Runs every case in `tests/fixtures/sentence/` through `custodia sentence --json` and compares
/// the whole output object. With `CUSTODIA_UPDATE_FIXTURES=1` the `expected` objects are rewritten
/// from the current output instead (review the diff before committing it).
#[test]
fn sentence_fixtures() {
    let dir = repo().join("tests/fixtures/sentence");
    let update = std::env::var_os("CUSTODIA_UPDATE_FIXTURES").is_some();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 70, "expected at least 70 sentence fixtures, found {}", paths.len());
    let mut failures = Vec::new();
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let mut case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let input = &case["input"];
        let field = |key: &str| -> String {
            match &input[key] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("{}: input.{key} is {other}", path.display()),
            }
        };
        let (start, term, credit, rate, disallowed, profile) = (
            field("start"),
            field("term"),
            field("jail_credit_days"),
            field("gct_rate"),
            field("gct_disallowed_days"),
            field("profile"),
        );
        let output = custodia(&[
            "sentence",
            "--start",
            &start,
            "--term",
            &term,
            "--jail-credit",
            &credit,
            "--gct-rate",
            &rate,
            "--gct-disallowed-days",
            &disallowed,
            "--profile",
            &profile,
            "--json",
        ]);
        assert!(output.status.success(), "{}: {}", path.display(), stderr(&output));
        let actual: Value = serde_json::from_str(&stdout(&output)).unwrap();
        if update {
            case["expected"] = actual;
            std::fs::write(path, serde_json::to_string_pretty(&case).unwrap() + "\n").unwrap();
        } else if actual != case["expected"] {
            failures.push(format!(
                "{} ({}):\n  expected {}\n  actual   {}",
                path.file_name().unwrap().to_string_lossy(),
                case["source"],
                case["expected"],
                actual
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} fixtures differ:\n{}", failures.len(), paths.len(), failures.join("\n"));
}

#[test]
fn sentence_json_has_exactly_the_contract_keys_in_order() {
    let output = custodia(&["sentence", "--start", "2025-01-01", "--term", "120m", "--json"]);
    assert!(output.status.success());
    let text = stdout(&output);
    let keys = [
        "start_date",
        "full_term_date",
        "adjusted_full_term_date",
        "gct_days",
        "statutory_release_date",
        "projected_release_date",
        "already_due",
    ];
    let positions: Vec<usize> = keys.iter().map(|k| text.find(&format!("\"{k}\":")).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value.as_object().unwrap().len(), keys.len());
    assert_eq!(value["statutory_release_date"], "2033-07-09");
    assert_eq!(value["projected_release_date"], "2033-07-08");
}

#[test]
fn life_sentence_prints_nulls() {
    let output = custodia(&["sentence", "--start", "2025-01-01", "--term", "life", "--json"]);
    let value: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(value["start_date"], "2025-01-01");
    for key in ["full_term_date", "adjusted_full_term_date", "statutory_release_date", "projected_release_date"] {
        assert!(value[key].is_null(), "{key}");
    }
    assert_eq!(value["gct_days"], 0);
    assert_eq!(value["already_due"], false);
}

#[test]
fn sentence_table_is_readable() {
    let output = custodia(&["sentence", "--start", "2018-03-08", "--term", "67m", "--jail-credit", "337"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("good conduct time        301 days"), "{text}");
}

/// Bad input gets exit status 2 and a message naming the field; never a panic.
#[test]
fn bad_sentence_input_exits_2_naming_the_field() {
    let cases: &[(&[&str], &str)] = &[
        (&["sentence", "--start", "2025-02-30", "--term", "5y"], "--start"),
        (&["sentence", "--start", "25-01-01", "--term", "5y"], "--start"),
        (&["sentence", "--start", "2025-01-01", "--term", "5w"], "--term"),
        (&["sentence", "--start", "2025-01-01", "--term", "0d"], "--term"),
        (&["sentence", "--start", "2025-01-01", "--term", ""], "--term"),
        (&["sentence", "--start", "2025-01-01", "--term", "5y", "--jail-credit=-3"], "--jail-credit"),
        (&["sentence", "--start", "2025-01-01", "--term", "5y", "--gct-rate", "400"], "--gct-rate"),
        (&["sentence", "--start", "2025-01-01", "--term", "5y", "--profile", "uk"], "--profile"),
        (&["sentence", "--start", "9999-01-01", "--term", "5y"], "--term"),
        (&["sentence", "--term", "5y"], "--start"),
    ];
    for (args, field) in cases {
        let output = custodia(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        let message = stderr(&output);
        assert!(message.contains(field), "{args:?}: message does not name {field}: {message}");
        assert!(!message.contains("panicked"), "{message}");
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn every_example_agreement_passes_check() {
    let dir = repo().join("examples/agreements");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        count += 1;
        let output = custodia(&["agreement", "check", path.to_str().unwrap()]);
        assert!(output.status.success(), "{}: {}", path.display(), stderr(&output));
        assert!(stdout(&output).starts_with("ok: agreement "), "{}", stdout(&output));
        // Issue 15: each precedent states the detainee's rights it kept (docs/rights.md), and
        // the summary shows the terms in force.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\n[rights]\n"), "{}: no [rights] table", path.display());
        let family = if path.ends_with("us-sv-cecot.toml") { 1 } else { 4 };
        let expected = format!("complaints answered within 14 days; at least {family} family visits or calls a month");
        assert!(stdout(&output).contains(&expected), "{}", stdout(&output));
    }
    assert_eq!(count, 5, "the five precedents of DOMAIN-FACTS.md");
}

#[test]
fn malformed_agreement_lists_every_problem_and_exits_2() {
    let dir = tempdir();
    let path = dir.join("bad.toml");
    std::fs::write(
        &path,
        "id = \"X\"\ntitle = \"t\"\nsending_state = \"US\"\nreceiving_state = \"SV\"\nlegal_custodian = \"sending\"\ngoverning_law = \"sending\"\ncurrency = \"USD\"\nstarts = 2025-03-15\nends = 2026-03-14\nsentence_profile = \"us-federal\"\n[[facilities]]\nid = \"cecot\"\nname = \"CECOT\"\ncountry = \"SV\"\nstated_capacity = 40000\ncontracted_places = 300\n[fees]\nmodel = \"per_capita\"\ncapita_minor = 0\ncoverage_days = 365\n",
    )
    .unwrap();
    let output = custodia(&["agreement", "check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("2 problems"), "{message}");
    assert!(message.contains("  id: "), "{message}");
    assert!(message.contains("  fees.capita_minor: must be a positive integer"), "{message}");
    assert!(stdout(&output).is_empty());

    let output = custodia(&["agreement", "check", dir.join("missing.toml").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("missing.toml"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn version_help_and_completions() {
    let output = custodia(&["--version"]);
    assert!(stdout(&output).starts_with("custodia "), "{}", stdout(&output));
    let output = custodia(&["--help"]);
    let help = stdout(&output);
    for word in ["sentence", "agreement", "completions", "Examples:"] {
        assert!(help.contains(word), "{help}");
    }
    let output = custodia(&["completions", "bash"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("custodia"), "bash completion script");
}

/// Issue 11: `custodia completions bash | head -3` panicked on the closed pipe. The reader going
/// away is a quiet, successful end for every command that writes to standard output.
#[test]
fn closed_stdout_is_a_quiet_exit() {
    let commands: [&[&str]; 4] = [
        &["completions", "bash"],
        &["sentence", "--start", "2025-01-01", "--term", "60m", "--json"],
        &["agreement", "check", "examples/agreements/us-sv-cecot.toml"],
        &["synth", "persons", "--count", "20000", "--seed", "1"],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_custodia"))
            .args(args)
            .current_dir(repo())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the child writes anything.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let err = stderr(&output);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} printed on a closed pipe: {err}");
    }
}

/// Issue 11: `--occurred-at 2015-02-30T08:00:00Z` got a format message; an instant that does not
/// exist says which part does not, before anything is opened.
#[test]
fn impossible_occurred_at_says_no_such_day() {
    let output = custodia(&["case", "depart", "1", "--reason", "FLIGHT_LEFT", "--occurred-at", "2015-02-30T08:00:00Z"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("no such calendar day (February 2015 has 28 days)"), "{err}");
    let output = custodia(&["sentence", "--start", "2025-13-01", "--term", "60m"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no such month: 13"), "{}", stderr(&output));
}

/// Issue 11: `--reason` accepted any text where a coded reason is documented.
#[test]
fn reason_must_be_a_code() {
    let output = custodia(&["case", "depart", "1", "--reason", "the flight left"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("reason: must be a code like FLIGHT_LEFT (capital letters, digits and _)"), "{err}");
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "custodia-cli-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
