//! `custodia capacity`: the docs/command-line.md contract, exact arithmetic, and unusable rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn custodia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custodia")).args(args).current_dir(repo()).output().unwrap()
}

fn temp(name: &str, contents: &str) -> String {
    let dir = std::env::temp_dir().join(format!("custodia-capacity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

const TWO_FACILITIES: &str = r#"
id = "cells-test"
title = "Cells"
sending_state = "NO"
receiving_state = "NL"
legal_custodian = "sending"
governing_law = "sending"
currency = "EUR"
starts = 2025-01-01
ends = 2025-12-31
sentence_profile = "two-thirds"
[[facilities]]
id = "north"
name = "North"
country = "NL"
stated_capacity = 100
contracted_places = 50
[[facilities]]
id = "empty"
name = "No cells yet"
country = "NL"
stated_capacity = 10
contracted_places = 10
[standards]
shared_m2_per_person = 3.4
single_cell_min_m2 = 5.4
floor_m2_per_person = 3
[fees]
model = "lump_sum_year"
year_minor = 100
"#;

#[test]
fn cecot_example_reproduces_the_domain_figures() {
    let output = custodia(&[
        "capacity",
        "--agreement",
        "examples/agreements/us-sv-cecot.toml",
        "--cells",
        "examples/cells/cecot.csv",
        "--json",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["agreement_id"], "us-sv-cecot");
    let f = &value["facilities"][0];
    assert_eq!(
        (f["beds"].as_u64(), f["standard_capacity"].as_u64(), f["floor_capacity"].as_u64()),
        (Some(20_480), Some(6_400), Some(8_448))
    );
    assert_eq!(f["stated_capacity"], 40_000);
    let keys = [
        "\"facility_id\"",
        "\"stated_capacity\"",
        "\"beds\"",
        "\"standard_capacity\"",
        "\"floor_capacity\"",
        "\"non_compliant_cells\"",
    ];
    let positions: Vec<usize> = keys.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "key order of docs/command-line.md: {text}");
}

#[test]
fn decimal_areas_single_cells_and_facilities_without_cells() {
    let agreement = temp("two.toml", TWO_FACILITIES);
    // 10.2 m² at 3.4 m² is exactly 3 places (a float division gives 2.999…); a 5.39 m² single cell
    // is below the 5.4 m² minimum; a 2.9 m² shared cell holds nobody at the standard.
    let cells = temp(
        "cells.csv",
        "beds,area_m2,kind,unit,cell_id,facility_id,notes\n9,10.2,shared,A,1,north,x\n1,5.4,single,A,2,north,\n1,5.39,single,A,3,north,\n\n4,2.9,shared,B,4,north,\n",
    );
    let output = custodia(&["capacity", "--agreement", &agreement, "--cells", &cells, "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    let north = &value["facilities"][0];
    assert_eq!(north["facility_id"], "north");
    assert_eq!(north["beds"], 15, "beds summed over all cells, single ones included");
    assert_eq!(north["standard_capacity"], 4, "3 in the 10.2 m² cell, 1 in the 5.4 m² single cell");
    assert_eq!(north["floor_capacity"], 4, "the 2.9 m² cell holds nobody even at the 3 m² floor");
    assert_eq!(north["non_compliant_cells"], 2);
    let empty = &value["facilities"][1];
    assert_eq!(
        (empty["beds"].as_u64(), empty["standard_capacity"].as_u64(), empty["stated_capacity"].as_u64()),
        (Some(0), Some(0), Some(10))
    );
}

#[test]
fn unusable_rows_exit_2_naming_every_row_and_print_nothing() {
    let agreement = temp("two-b.toml", TWO_FACILITIES);
    let cells = temp(
        "bad.csv",
        "facility_id,cell_id,unit,kind,area_m2,beds\nnorth,1,A,shared,10,2\nsouth,2,A,shared,10,2\nnorth,3,A,double,10,2\nnorth,4,A,shared,ten,2\nnorth,5,A,shared,10,-1\nnorth,1,A,shared,10,2\nnorth,6\n",
    );
    let output = custodia(&["capacity", "--agreement", &agreement, "--cells", &cells, "--json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let err = String::from_utf8(output.stderr).unwrap();
    for needle in
        [":3: facility_id", ":4: kind", ":5: area_m2", ":6: beds", ":7: cell_id", ":8: row has 2 fields", "6 cell rows"]
    {
        assert!(err.contains(needle), "{needle} missing from {err}");
    }
    let no_header = temp("noheader.csv", "facility_id,cell_id\n");
    let output = custodia(&["capacity", "--agreement", &agreement, "--cells", &no_header]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unit, kind, area_m2, beds"));
}

/// A semicolon-separated cells file (decimal commas are not numbers, but the separator is
/// read): detected from the header or named by --delimiter; CR line endings too.
#[test]
fn semicolon_cells_files_are_read() {
    let comma = temp("cells-comma.csv", &std::fs::read_to_string(repo().join("examples/cells/cecot.csv")).unwrap());
    let semi = std::fs::read_to_string(&comma).unwrap().replace(',', ";").replace('\n', "\r");
    let semi = temp("cells-semi.csv", &semi);
    let run = |cells: &str, extra: &[&str]| {
        let mut args =
            vec!["capacity", "--agreement", "examples/agreements/us-sv-cecot.toml", "--cells", cells, "--json"];
        args.extend_from_slice(extra);
        let output = custodia(&args);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let expected = run(&comma, &[]);
    assert_eq!(run(&semi, &[]), expected);
    assert_eq!(run(&semi, &["--delimiter", ";"]), expected);
}
