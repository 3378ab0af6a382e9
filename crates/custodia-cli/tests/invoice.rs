//! `custodia invoice`: the docs/command-line.md contract and input that must stop the computation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn custodia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia")).args(args).current_dir(repo()).output().unwrap()
}

fn temp(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("custodia-invoice-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";

#[test]
fn cecot_april_invoice_json_contract() {
    let stays = temp(
        "stays.csv",
        "person_id,facility_id,security_class,admitted_on,released_on\nA,cecot,high,2025-03-16,\nB,cecot,medium,2025-03-16,2025-04-10\nC,cecot,medium,2025-04-05,2025-04-05\n",
    );
    let extras =
        temp("extras.csv", "date,code,description,amount_minor\n2025-04-02,TRANSPORT,charter flight share,1250000\n");
    let output = custodia(&[
        "invoice",
        "--agreement",
        CECOT,
        "--stays",
        &stays,
        "--period",
        "2025-04",
        "--extras",
        &extras,
        "--json",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 7);
    let order = [
        "\"agreement_id\"",
        "\"period\"",
        "\"currency\"",
        "\"lines\"",
        "\"total_minor\"",
        "\"person_days\"",
        "\"warnings\"",
    ];
    let at: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(v["period"], "2025-04");
    assert_eq!(v["currency"], "USD");
    assert_eq!(v["person_days"], 40, "30 + 9 + a same-day stay's one day");
    assert_eq!(v["lines"][0]["code"], "CAPITA");
    assert_eq!(v["lines"][0]["quantity"], 1, "only C starts a coverage period in April");
    assert_eq!(v["lines"][1]["code"], "EXTRA:TRANSPORT");
    assert_eq!(v["total_minor"], 3_250_000);
}

#[test]
fn bad_input_lists_every_problem_and_prints_nothing() {
    let stays = temp(
        "bad.csv",
        "person_id,facility_id,security_class,admitted_on,released_on\nA,elsewhere,high,2025-03-16,\nB,cecot,supermax,2025-03-16,\nC,cecot,high,2025-04-05,2025-04-01\nD,cecot,high,2025-02-30,\n",
    );
    let extras = temp("badx.csv", "date,code,description,amount_minor\n2030-01-01,X,late,10\n2025-04-01,Y,free,0\n");
    let output = custodia(&[
        "invoice",
        "--agreement",
        CECOT,
        "--stays",
        &stays,
        "--period",
        "2025-13",
        "--extras",
        &extras,
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let err = String::from_utf8(output.stderr).unwrap();
    for needle in [
        ":2: facility_id",
        ":3: security_class",
        ":4: released_on",
        ":5: admitted_on",
        "badx.csv:2: date",
        "badx.csv:3: amount_minor",
        "--period",
    ] {
        assert!(err.contains(needle), "{needle} missing: {err}");
    }
    let outside = custodia(&[
        "invoice",
        "--agreement",
        CECOT,
        "--stays",
        &stays.replace("bad.csv", "stays.csv"),
        "--period",
        "2030-01",
    ]);
    assert_eq!(outside.status.code(), Some(2));
}

/// Issue 11: `--period 2025-13` said "must be YYYY-MM"; a month that does not exist says so.
#[test]
fn impossible_period_says_no_such_month() {
    let stays = temp("stays-13.csv", "person_id,facility_id,security_class,admitted_on,released_on\n");
    let output = custodia(&["invoice", "--agreement", CECOT, "--stays", &stays, "--period", "2025-13"]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(err.contains("--period: \"2025-13\": no such month: 13"), "{err}");
}

/// Regression: the stays reader was the one CSV reader that kept the byte-order mark, so a
/// spreadsheet's stays file had no `person_id` column.
#[test]
fn stays_reader_drops_byte_order_mark() {
    let plain = temp(
        "stays-plain.csv",
        "person_id,facility_id,security_class,admitted_on,released_on\nA,cecot,high,2025-03-16,\n",
    );
    let marked = temp(
        "stays-bom.csv",
        "\u{feff}person_id;facility_id;security_class;admitted_on;released_on\r\nA;cecot;high;2025-03-16;\r\n",
    );
    let run = |stays: &str, extra: &[&str]| {
        let mut args = vec!["invoice", "--agreement", CECOT, "--stays", stays, "--period", "2025-04", "--json"];
        args.extend_from_slice(extra);
        let output = custodia(&args);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let expected = run(&plain, &[]);
    assert_eq!(run(&marked, &[]), expected);
    assert_eq!(run(&marked, &["--delimiter", ";"]), expected);
}
