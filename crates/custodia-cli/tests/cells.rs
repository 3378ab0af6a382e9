//! Cell changes and the per-cell alerts from the command line (docs/capacity.md#cell-changes,
//! docs/capacity.md#alerts-per-cell), on SQLite and, when CUSTODIA_TEST_POSTGRES_URL is set, on
//! PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::Register;

const AGREEMENT: &str = "no-nl-norgerhaven";
const HEADER: &str = "facility_id,cell_id,unit,kind,area_m2,beds\n";

/// The Norgerhaven agreement with its facility in Amsterdam's time zone and overrides allowed for
/// 10 days.
fn agreement_file(r: &Register) -> String {
    let source = std::fs::read_to_string(common::repo().join("examples/agreements/no-nl-norgerhaven.toml")).unwrap();
    assert!(source.contains("time_zone = \"Europe/Amsterdam\""), "the example's facility keeps Amsterdam's days");
    r.file("agreement.toml", &format!("{source}\n[custody]\noverride_max_days = 10\n"))
}

fn cells(r: &Register, rows: &str) -> String {
    r.file("cells.csv", &format!("{HEADER}{rows}"))
}

/// Takes case `id` of `person` to in_transit in October 2015, the register screening them.
fn in_transit(r: &Register, id: &str, person: &str) {
    const AT: [&str; 2] = ["--occurred-at", "2015-10-19T10:00:00+02:00"];
    r.ok(&[&["case", "propose", "--agreement", AGREEMENT, "--person", person][..], &AT].concat());
    r.ok(&[&["case", "screen", id, "--reason", "SCREENED"][..], &AT].concat());
    r.ok(&[&["case", "approve", id, "--state", "sending", "--reason", "AGREED"][..], &AT].concat());
    r.ok(&[&["case", "approve", id, "--state", "receiving", "--reason", "AGREED"][..], &AT].concat());
    r.ok(&[&["case", "schedule", id, "--reason", "FLIGHT_BOOKED"][..], &AT].concat());
    r.ok(&[&["case", "depart", id, "--reason", "FLIGHT_LEFT"][..], &AT].concat());
}

fn admit<'a>(id: &'a str, cell: &'a str, at: &'a str) -> Vec<&'a str> {
    let mut args = vec!["case", "admit", id, "--commitment-order", "NO-2015-77", "--admitted-on", "2015-10-20"];
    args.extend(["--hour", "14", "--injuries", "none", "--property", "clothes", "--next-of-kin", "brother"]);
    args.extend(["--facility", "norgerhaven", "--cell", cell, "--reason", "ARRIVED", "--occurred-at", at]);
    args
}

/// The alert lines about cells on a day.
fn cell_alerts(r: &Register, on: &str) -> Vec<String> {
    let out = r.ok(&["alerts", "--agreement", AGREEMENT, "--on", on]);
    out.lines().filter(|l| l.contains("cell-")).map(str::to_owned).collect()
}

fn has(lines: &[String], code: &str, subject: &str) -> bool {
    lines.iter().any(|l| l.contains(code) && l.contains(subject))
}

fn a_cell_change_needs_a_second_user(r: &Register) {
    r.ok(&["import", "agreement", &agreement_file(r)]);
    let persons = r.file(
        "p.csv",
        &(1..=5).fold("person_id,birth_date,conviction,sentence_start,sentence_term\n".to_owned(), |rows, n| {
            rows + &format!("N{n},1980-01-01,final,2015-10-01,36m\n")
        }),
    );
    r.ok(&["import", "persons", &persons, "--agreement", AGREEMENT]);
    r.token("warden", "facility_officer"); // the second facility officer
    // B-201: 9 m², 4 beds → standard 2, floor 3. S-1: 6 m², 2 beds → standard 1, floor 2.
    let first = cells(r, "norgerhaven,B-201,B,shared,9,4\nnorgerhaven,S-1,S,shared,6,2\n");
    assert_eq!(
        r.ok(&["import", "cells", &first, "--agreement", AGREEMENT]).trim(),
        "cells of norgerhaven: 2 registered"
    );
    let size = r.verified_events();
    assert_eq!(r.ok(&["import", "cells", &first, "--agreement", AGREEMENT]).trim(), "cells of norgerhaven: unchanged");
    assert_eq!(r.verified_events(), size, "the same cells write nothing");
    for (id, person) in [("1", "N1"), ("2", "N2"), ("3", "N3"), ("4", "N4"), ("5", "N5")] {
        in_transit(r, id, person);
    }
    r.ok(&admit("1", "B-201", "2015-10-20T12:00:00Z"));
    r.ok(&admit("2", "B-201", "2015-10-20T12:00:00Z"));
    assert!(r.refused(&admit("3", "B-201", "2015-10-20T12:00:00Z")).contains("NEEDS_OVERRIDE"));

    // (a) The full cell re-imported at 100 m² is only proposed: nothing changes until a second user.
    let bigger = cells(r, "norgerhaven,B-201,B,shared,100,4\nnorgerhaven,S-1,S,shared,6,2\n");
    let proposed = r.ok(&["import", "cells", &bigger, "--agreement", AGREEMENT]);
    assert!(
        proposed.starts_with("cells of norgerhaven: change 1 proposed (0 added, 1 changed, 0 removed)"),
        "{proposed}"
    );
    assert!(proposed.contains("custodia cells confirm 1"), "{proposed}");
    let listed = r.ok(&["cells", "changes", "--agreement", AGREEMENT]);
    assert!(listed.contains("PENDING"), "{listed}");
    assert!(listed.contains("changed B-201: shared 9 m² 4 beds (unit B) → shared 100 m² 4 beds (unit B)"), "{listed}");
    assert!(
        r.refused(&admit("3", "B-201", "2015-10-20T12:00:00Z")).contains("NEEDS_OVERRIDE"),
        "the cell is unchanged"
    );
    let size = r.verified_events();
    assert!(r.refused(&["cells", "confirm", "1"]).contains("TWO_PERSON_RULE"), "the proposer cannot confirm");
    let auditor = r.token("auditor", "auditor");
    let out = r.run_with_token(&auditor, &["cells", "confirm", "1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("FORBIDDEN"));
    assert_eq!(r.verified_events(), size, "a refused confirmation writes nothing");
    assert!(r.refused(&admit("3", "B-201", "2015-10-20T12:00:00Z")).contains("NEEDS_OVERRIDE"));
    let confirmed = r.ok(&["cells", "confirm", "1", "--actor", "warden"]);
    assert!(confirmed.starts_with("cell change 1 confirmed"), "{confirmed}");
    assert_eq!(r.verified_events(), size + 1);
    let again = r.refused(&["cells", "confirm", "1", "--actor", "warden"]);
    assert_eq!(again, "error: ALREADY_CONFIRMED: cell change 1 was confirmed by warden\n");
    // Issue 14: the same refusal in Spanish, by `--lang es` or `CUSTODIA_LANG=es`: the code, the
    // facts and the exit status stay; `--lang` wins over the environment.
    let warden = r.token("warden", "prison_staff");
    let spanish = "error: ALREADY_CONFIRMED: el cambio de celdas 1 ya lo confirmó warden\n";
    let confirm = |lang: Option<&str>, env: Option<&str>| {
        let mut command = r.command_bare();
        command.args(["cells", "confirm", "1"]).env("CUSTODIA_TOKEN", &warden).env_remove("CUSTODIA_LANG");
        if let Some(lang) = lang {
            command.args(["--lang", lang]);
        }
        if let Some(env) = env {
            command.env("CUSTODIA_LANG", env);
        }
        let out = command.output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        String::from_utf8(out.stderr).unwrap()
    };
    assert_eq!(confirm(Some("es"), None), spanish);
    assert_eq!(confirm(None, Some("es")), spanish);
    assert_eq!(confirm(Some("en"), Some("es")), again);
    assert!(confirm(Some("fr"), None).contains("invalid value 'fr'"), "only en and es");
    assert!(r.ok(&admit("3", "B-201", "2015-10-20T12:00:00Z")).contains("→ in_custody"), "now within the standard");
    let listed = r.ok(&["cells", "changes", "--agreement", AGREEMENT]);
    assert!(listed.contains("confirmed by warden"), "{listed}");

    // (b) A confirmed shrink below the three people held: CELL_ABOVE_FLOOR, and no override expires.
    assert!(cell_alerts(r, "2015-10-21").is_empty(), "three in 100 m²");
    let smaller = cells(r, "norgerhaven,B-201,B,shared,6,4\nnorgerhaven,S-1,S,shared,6,2\n");
    assert!(r.ok(&["import", "cells", &smaller, "--agreement", AGREEMENT]).contains("change 2 proposed"));
    r.ok(&["cells", "confirm", "2", "--actor", "warden"]);
    let shrunk = cell_alerts(r, "2015-10-21");
    assert!(has(&shrunk, "CELL_ABOVE_FLOOR", "cell-norgerhaven/B-201"), "{shrunk:?}");
    assert!(shrunk.iter().any(|l| l.contains("3 held against a floor capacity of 2: 6 m² for 3: 2 m² per person")));
    assert!(has(&shrunk, "CELL_ABOVE_STANDARD", "cell-norgerhaven/B-201"), "{shrunk:?}");
    let spanish = r.ok(&["alerts", "--agreement", AGREEMENT, "--on", "2015-10-21", "--lang", "es"]);
    assert!(
        spanish.lines().any(|l| l.contains("CELL_ABOVE_FLOOR")
            && l.contains("cell-norgerhaven/B-201")
            && l.contains("3 detenidos frente a un mínimo absoluto de 2: 6 m² para 3: 2 m² por persona")),
        "{spanish}"
    );
    assert!(!has(&cell_alerts(r, "2016-06-01"), "OVERRIDE_EXPIRED", "B-201"), "no override took it there");

    // (c) S-1 takes a second person with an override at 22:30 UTC on 20 October, which is
    // 00:30 on 21 October in Amsterdam: the override's day is the facility's day.
    r.ok(&admit("4", "S-1", "2015-10-20T12:00:00Z"));
    assert!(r.refused(&admit("5", "S-1", "2015-10-20T22:30:00Z")).contains("NEEDS_OVERRIDE"));
    let approve = ["case", "approve-override", "5", "--facility", "norgerhaven", "--cell", "S-1"];
    r.ok(&[&approve[..], &["--reason", "late flight", "--actor", "warden"]].concat());
    r.ok(&[&admit("5", "S-1", "2015-10-20T22:30:00Z")[..], &["--override-approval", "1"]].concat());
    let day10 = cell_alerts(r, "2015-10-31");
    assert!(has(&day10, "CELL_ABOVE_STANDARD", "cell-norgerhaven/S-1"), "{day10:?}");
    assert!(!has(&day10, "OVERRIDE_EXPIRED", "S-1"), "10 days after the override: still within it");
    let day11 = cell_alerts(r, "2015-11-01");
    assert!(has(&day11, "OVERRIDE_EXPIRED", "cell-norgerhaven/S-1"), "override_max_days + 1: {day11:?}");
}

#[test]
fn a_cell_change_needs_a_second_user_and_cells_above_capacity_raise_alerts() {
    a_cell_change_needs_a_second_user(&Register::new("cell-changes"));
}

#[test]
fn a_cell_change_needs_a_second_user_and_cells_above_capacity_raise_alerts_on_postgres() {
    // Runs only when CUSTODIA_TEST_POSTGRES_URL names a server (as in CI).
    if let Some(r) = Register::new_on_postgres("cell-changes") {
        a_cell_change_needs_a_second_user(&r);
    }
}
