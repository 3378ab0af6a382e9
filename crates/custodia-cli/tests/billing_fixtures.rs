//! `custodia invoice`: the billing fixtures of `tests/fixtures/billing/` (docs/billing.md, docs/command-line.md), whose
//! expected outputs come from the independent reference `tools/billing_reference.py`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn custodia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia")).args(args).current_dir(repo()).output().expect("run custodia")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("custodia-billing-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A line as the fixtures compare it: (code, quantity, unit_price_minor, amount_minor). The
/// description is implementation-defined and not compared.
type Line = (String, Option<i64>, Option<i64>, Option<i64>);

/// The lines of an invoice as a multiset (line order is free, docs/billing.md).
fn line_multiset(value: &Value) -> BTreeMap<Line, usize> {
    let mut lines = BTreeMap::new();
    for line in value["lines"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let key = (
            line["code"].as_str().unwrap_or("<no code>").to_owned(),
            line["quantity"].as_i64(),
            line["unit_price_minor"].as_i64(),
            line["amount_minor"].as_i64(),
        );
        *lines.entry(key).or_insert(0) += 1;
    }
    lines
}

/// The number of warnings: the fixtures hold a count, the output a list of strings.
fn warning_count(value: &Value) -> Option<usize> {
    match &value["warnings"] {
        Value::Array(list) => Some(list.len()),
        other => other.as_u64().and_then(|n| usize::try_from(n).ok()),
    }
}

/// Every difference between the fixture's expected invoice and the actual one.
fn differences(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["agreement_id", "period", "currency", "total_minor", "person_days"] {
        if expected[key] != actual[key] {
            out.push(format!("{key}: expected {}, got {}", expected[key], actual[key]));
        }
    }
    if warning_count(expected) != warning_count(actual) {
        out.push(format!("warnings: expected {:?}, got {}", warning_count(expected), actual["warnings"]));
    }
    let (want, got) = (line_multiset(expected), line_multiset(actual));
    if want != got {
        let missing: Vec<_> =
            want.iter().filter(|(k, n)| got.get(*k).copied().unwrap_or(0) < **n).map(|(k, _)| k).collect();
        let unexpected: Vec<_> =
            got.iter().filter(|(k, n)| want.get(*k).copied().unwrap_or(0) < **n).map(|(k, _)| k).collect();
        out.push(format!("lines: missing {missing:?}, unexpected {unexpected:?}"));
    }
    out
}

/// Runs every case in `tests/fixtures/billing/` through `custodia invoice --json`.
#[test]
fn billing_fixtures() {
    let dir = repo().join("tests/fixtures/billing");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 30, "expected at least 30 billing fixtures, found {}", paths.len());
    let temp = TempDir::new("fixtures");
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let doc: toml_edit::DocumentMut = std::fs::read_to_string(path).unwrap().parse().unwrap();
        let field = |key: &str| doc.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let agreement = temp.file(&format!("{name}.agreement.toml"), &field("agreement").unwrap());
        let stays = temp.file(&format!("{name}.stays.csv"), &field("stays").unwrap());
        let period = field("period").unwrap();
        let mut args = vec!["invoice", "--agreement", &agreement, "--stays", &stays, "--period", &period];
        let extras = field("extras").map(|x| temp.file(&format!("{name}.extras.csv"), &x));
        if let Some(extras) = &extras {
            args.extend(["--extras", extras.as_str()]);
        }
        args.push("--json");
        let output = custodia(&args);
        let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));

        let expected_exit = doc.get("expected_exit").and_then(toml_edit::Item::as_integer);
        match (expected_exit, field("expected_json")) {
            (Some(2), None) => {
                if output.status.code() != Some(2) || !stdout.is_empty() {
                    failures.push(format!(
                        "{name}: expected exit 2 and empty stdout, got exit {:?}, stdout {stdout:?}, stderr {stderr:?}",
                        output.status.code()
                    ));
                }
            }
            (None, Some(json)) => {
                let expected: Value =
                    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: expected_json: {e}"));
                if !output.status.success() {
                    failures.push(format!("{name}: exit {:?}: {}", output.status.code(), stderr.trim()));
                    continue;
                }
                match serde_json::from_str::<Value>(&stdout) {
                    Err(e) => failures.push(format!("{name}: stdout is not JSON ({e}): {stdout:?}")),
                    Ok(actual) => {
                        let diffs = differences(&expected, &actual);
                        if !diffs.is_empty() {
                            failures.push(format!("{name}:\n    {}\n    actual: {stdout}", diffs.join("\n    ")));
                        }
                    }
                }
            }
            _ => panic!("{name}: needs exactly one of expected_exit = 2 and expected_json"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} billing fixtures differ:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}
