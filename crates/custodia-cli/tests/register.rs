//! The register from the command line: imports, export, and the journal as an inspector uses it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

mod common;
use common::Register;

const AGREEMENT: &str = "examples/agreements/us-sv-cecot.toml";

#[test]
fn imports_are_idempotent_and_export_round_trips() {
    let r = Register::new("roundtrip");
    let base = r.verified_events();
    assert!(r.ok(&["import", "agreement", AGREEMENT]).contains("as version 1"));
    assert!(r.ok(&["import", "agreement", AGREEMENT]).contains("unchanged"));
    let persons = r.dir.join("p.csv");
    r.ok(&["synth", "persons", "--count", "500", "--seed", "5", "--out", persons.to_str().unwrap()]);
    let persons = persons.to_str().unwrap();
    assert_eq!(
        r.ok(&["import", "persons", persons, "--agreement", "us-sv-cecot"]).trim(),
        "persons: 500 added, 0 amended, 0 unchanged"
    );
    assert_eq!(
        r.ok(&["import", "persons", persons, "--agreement", "us-sv-cecot"]).trim(),
        "persons: 0 added, 0 amended, 500 unchanged"
    );
    // The export holds every record exactly and imports back as unchanged.
    let exported = r.ok(&["export", "persons"]);
    let original = std::fs::read_to_string(persons).unwrap();
    let mut lines = exported.lines();
    assert_eq!(lines.next().unwrap(), format!("{},custodia_id", original.lines().next().unwrap()));
    for (i, (e, o)) in lines.zip(original.lines().skip(1)).enumerate() {
        assert_eq!(e, format!("{o},{}", i + 1));
    }
    let back = r.file("back.csv", &exported);
    assert_eq!(
        r.ok(&["import", "persons", &back, "--agreement", "us-sv-cecot"]).trim(),
        "persons: 0 added, 0 amended, 500 unchanged\nunknown columns: custodia_id",
        "the export's custodia_id column is ignored, and said so"
    );
    assert_eq!(r.verified_events(), base + 501);
}

#[test]
fn invalid_rows_are_listed_with_line_numbers_and_nothing_is_written() {
    let r = Register::new("invalid");
    let base = r.verified_events();
    r.ok(&["import", "agreement", AGREEMENT]);
    let file = r.file("p.csv", "person_id,birth_date,conviction\nA1,1990-01-01,final\nA2,1990-02-30,final\n\nA3,1990-01-01,maybe\nA1,1990-01-01,final\n");
    let output = r.run(&["import", "persons", &file, "--agreement", "us-sv-cecot"]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(err.contains("p.csv:3: birth_date"), "{err}");
    assert!(err.contains("p.csv:5: conviction"), "{err}");
    assert!(err.contains("p.csv:6: person_id"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert_eq!(r.verified_events(), base + 1, "only the agreement");
    let output = r.run(&["import", "persons", &file, "--agreement", "us-sv-cecot", "--skip-invalid"]);
    assert_eq!(output.status.code(), Some(2), "still reports the invalid rows");
    assert!(String::from_utf8(output.stdout).unwrap().contains("1 added"));
    let output = r.run(&["import", "persons", &file, "--agreement", "no-such-agreement"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr).unwrap().contains("--agreement"));
}

#[test]
fn an_inspector_checks_checkpoints_and_proofs_offline() {
    let r = Register::new("inspector");
    r.ok(&["import", "agreement", AGREEMENT]);
    let persons = r.dir.join("p.csv");
    r.ok(&["synth", "persons", "--count", "40", "--seed", "9", "--out", persons.to_str().unwrap()]);
    r.ok(&["import", "persons", persons.to_str().unwrap(), "--agreement", "us-sv-cecot"]);
    let key = r.ok(&["journal", "key"]).trim().to_owned();
    assert!(key.starts_with("custodia.invalid/journal+"), "{key}");
    let key_file = r.dir.join("data/journal-signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600, "owner-only key");
    }
    let old_size = r.verified_events();
    let old_checkpoint = r.file("old.note", &r.ok(&["journal", "checkpoint"]));
    assert!(std::fs::read_to_string(&old_checkpoint).unwrap().contains(&format!("\n{old_size}\n")));
    // More history is appended.
    let amended = std::fs::read_to_string(&persons).unwrap().replacen(",no_risk,", ",risk,", 3);
    let amended = r.file("amended.csv", &amended);
    r.ok(&["import", "persons", &amended, "--agreement", "us-sv-cecot"]);
    let checkpoint = r.file("new.note", &r.ok(&["journal", "checkpoint"]));
    // Inclusion of event 7, with its exported line.
    let proof = r.file("inclusion.json", &r.ok(&["journal", "prove", "--index", "7"]));
    let leaf = r.file("leaf.txt", &r.ok(&["journal", "export", "--from", "7", "--to", "8"]));
    let check = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_custodia")).args(args).output().unwrap();
    let output =
        check(&["journal", "check", "--checkpoint", &checkpoint, "--proof", &proof, "--leaf", &leaf, "--key", &key]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // A different leaf does not verify.
    let other = r.file("other.txt", &r.ok(&["journal", "export", "--from", "8", "--to", "9"]));
    let output =
        check(&["journal", "check", "--checkpoint", &checkpoint, "--proof", &proof, "--leaf", &other, "--key", &key]);
    assert_eq!(output.status.code(), Some(1));
    // History was only appended to: consistency from the old checkpoint's size.
    let consistency = r.file("consistency.json", &r.ok(&["journal", "prove", "--old-size", &old_size.to_string()]));
    let output = check(&[
        "journal",
        "check",
        "--checkpoint",
        &checkpoint,
        "--proof",
        &consistency,
        "--old-checkpoint",
        &old_checkpoint,
        "--key",
        &key,
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8(output.stdout).unwrap().contains("only appended to"));
    // A checkpoint signed by another key is refused.
    let stranger = r.dir.join("stranger.key");
    std::fs::write(&stranger, "11".repeat(32)).unwrap();
    let forged = r.file("forged.note", &r.ok(&["journal", "checkpoint", "--signing-key", stranger.to_str().unwrap()]));
    let output = check(&["journal", "check", "--checkpoint", &forged, "--proof", &consistency, "--key", &key]);
    assert_eq!(output.status.code(), Some(1));
    // The export recomputes to the signed root without Custodia: one line per leaf.
    let export = r.ok(&["journal", "export"]);
    assert_eq!(export.lines().count(), old_size + 3, "three amendments after the old checkpoint");
}

#[test]
fn journal_verify_names_an_event_edited_in_the_sqlite_file() {
    let r = Register::new("tamper");
    let edited = r.verified_events() + 5; // a person's registration
    r.ok(&["import", "agreement", AGREEMENT]);
    let persons = r.dir.join("p.csv");
    r.ok(&["synth", "persons", "--count", "30", "--seed", "3", "--out", persons.to_str().unwrap()]);
    r.ok(&["import", "persons", persons.to_str().unwrap(), "--agreement", "us-sv-cecot"]);
    let db = r.dir.join("data/custodia.db");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query("DROP TRIGGER events_are_never_updated").execute(&mut c).await.unwrap();
        sqlx::query("UPDATE events SET body = replace(body, '\"sending-officer\"', '\"someone-else\"') WHERE seq = $1")
            .bind(i64::try_from(edited).unwrap())
            .execute(&mut c)
            .await
            .unwrap();
    });
    let output = r.run(&["journal", "verify"]);
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8(output.stderr).unwrap();
    assert!(err.contains(&format!("event {edited}")), "{err}");
}

#[test]
fn a_bad_database_url_is_bad_input() {
    let r = Register::new("url");
    let output = r.run(&["journal", "verify", "--database", "mysql://x"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr).unwrap().contains("--database"));
}

#[test]
fn cells_import_into_the_register() {
    let r = Register::new("cells");
    let base = r.verified_events();
    r.ok(&["import", "agreement", AGREEMENT]);
    assert_eq!(
        r.ok(&["import", "cells", "examples/cells/cecot.csv", "--agreement", "us-sv-cecot"]).trim(),
        "cells of cecot: 256 registered"
    );
    assert_eq!(
        r.ok(&["import", "cells", "examples/cells/cecot.csv", "--agreement", "us-sv-cecot"]).trim(),
        "cells of cecot: unchanged"
    );
    let bad = r.file("bad.csv", "facility_id,cell_id,unit,kind,area_m2,beds\nsomewhere,1,A,shared,10,2\n");
    let output = r.run(&["import", "cells", &bad, "--agreement", "us-sv-cecot"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr).unwrap().contains(":2: facility_id"));
    assert_eq!(r.verified_events(), base + 257);
}

/// Scenario: the March 2025 CECOT flights. A court order to bring the people back arrives while
/// the plane is in the air: the critical alert is raised, admission is refused and writes nothing,
/// the flight is turned back, and the order is lifted only when a second legal officer confirms.
/// Nobody states a screening decision: the register computes it on each step's day.
#[test]
fn scenario_cecot_flight_with_a_hold_in_transit() {
    let r = Register::new("cecot-flight");
    r.ok(&["import", "agreement", AGREEMENT]);
    r.ok(&["import", "cells", "examples/cells/cecot.csv", "--agreement", "us-sv-cecot"]);
    // Torture-risk assessments within CECOT's 90 days before every step (15 and 16 March 2025).
    let persons = r.file(
        "p.csv",
        "person_id,birth_date,nationalities,conviction,sentence_start,sentence_term,removal_order,torture_risk,torture_risk_assessed_on,removal_destination\n\
         V001,1995-04-02,VE,final,2024-01-01,5y,final,no_risk,2025-03-01,VE\n\
         V002,1993-07-19,VE,final,2024-01-01,5y,final,no_risk,2025-03-01,VE\n",
    );
    r.ok(&["import", "persons", &persons, "--agreement", "us-sv-cecot"]);
    // Both on the flight of 15 March 2025, every step taken that day.
    let on_the_day = |args: &[&str], at: &str| {
        let mut args = args.to_vec();
        args.extend(["--occurred-at", at]);
        r.run(&args)
    };
    let ok_on_the_day = |args: &[&str], at: &str| {
        let output = on_the_day(args, at);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let morning = "2025-03-15T10:00:00Z";
    for (id, person) in [("1", "V001"), ("2", "V002")] {
        assert_eq!(r.propose_on("us-sv-cecot", person, "us-officer", morning).to_string(), id);
        assert!(r.ok(&["case", "show", id]).starts_with(&format!("case {id} — proposed")));
        // A decision cannot be typed in: the flag is gone.
        let stated = r.run(&["case", "screen", id, "--decision", "eligible", "--reason", "SCREENED"]);
        assert_eq!(stated.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&stated.stderr).contains("--decision"));
        ok_on_the_day(&["case", "screen", id, "--reason", "SCREENED"], morning);
        let shown = r.ok(&["case", "show", id]);
        assert!(shown.contains("screened eligible on 2025-03-15"), "computed by the register: {shown}");
        ok_on_the_day(
            &["case", "approve", id, "--state", "sending", "--reason", "AGREED", "--actor", "us-officer"],
            morning,
        );
        // The receiving approval is a receiving officer's: the sending officer is refused by
        // role, as the API refuses it, before any rule is asked.
        let same = on_the_day(
            &["case", "approve", id, "--state", "receiving", "--reason", "AGREED", "--actor", "us-officer"],
            morning,
        );
        assert_eq!(same.status.code(), Some(2));
        let message = String::from_utf8_lossy(&same.stderr);
        assert!(message.contains("FORBIDDEN: the sending_officer role may not do this"), "{message}");
        ok_on_the_day(
            &["case", "approve", id, "--state", "receiving", "--reason", "AGREED", "--actor", "sv-officer"],
            morning,
        );
        let early = on_the_day(&["case", "depart", id, "--reason", "FLIGHT_LEFT"], morning);
        let message = String::from_utf8_lossy(&early.stderr);
        assert!(
            message.contains(&format!(
                "case {id}: depart refused: INVALID_TRANSITION: case is approved; depart needs scheduled"
            )),
            "{message}"
        );
        ok_on_the_day(&["case", "schedule", id, "--reason", "FLIGHT_BOOKED"], morning);
        ok_on_the_day(&["case", "depart", id, "--reason", "FLIGHT_LEFT"], "2025-03-15T18:00:00Z");
    }
    // The court orders V001 brought back while the plane is in the air. The same field checks as
    // the API's.
    let order = |reference: &'static str| {
        vec![
            "case",
            "place-hold",
            "1",
            "--authority",
            "US District Court for the District of Columbia",
            "--reference",
            reference,
            "--order",
            "return",
            "--reason",
            "COURT_ORDER",
            "--actor",
            "court",
        ]
    };
    let blank = on_the_day(&order(" "), "2025-03-15T19:00:00Z");
    assert_eq!(blank.status.code(), Some(2));
    let message = String::from_utf8_lossy(&blank.stderr);
    assert!(message.contains("reference: must not be empty"), "{message}");
    ok_on_the_day(&order("TRO-2025-0315"), "2025-03-15T19:00:00Z");
    let shown = r.ok(&["case", "show", "1"]);
    assert!(
        shown.contains("ON HOLD: TRO-2025-0315 by US District Court for the District of Columbia (return)"),
        "{shown}"
    );
    let alerts = r.ok(&["alerts", "--agreement", "us-sv-cecot", "--on", "2025-03-15", "--json"]);
    let alerts: serde_json::Value = serde_json::from_str(&alerts).unwrap();
    let in_transit: Vec<&serde_json::Value> =
        alerts.as_array().unwrap().iter().filter(|a| a["code"] == "HOLD_IN_TRANSIT").collect();
    assert_eq!(in_transit.len(), 1, "only the case under the order: {alerts}");
    assert_eq!(in_transit[0]["severity"], "critical");
    // Admission is refused while the order stands, and writes nothing.
    let admit = |id: &'static str, receiving_id: &'static str| {
        let mut args = vec!["case", "admit", id, "--receiving-id", receiving_id, "--commitment-order", "US-DC-117"];
        args.extend(["--admitted-on", "2025-03-16", "--hour", "6", "--injuries", "none", "--property", "watch"]);
        args.extend(["--next-of-kin", "sister", "--facility", "cecot", "--cell", "B1-C01", "--reason", "ARRIVED"]);
        args.extend(["--occurred-at", "2025-03-16T12:00:00Z"]);
        args
    };
    let before = r.verified_events();
    let refused = r.refused(&admit("1", "CECOT-2025-00417"));
    assert!(refused.contains("ON_HOLD"), "{refused}");
    assert_eq!(r.verified_events(), before, "a refusal writes nothing");
    assert!(r.ok(&["case", "show", "1"]).contains("in_transit"), "a refusal changes nothing");
    let audit = r.ok(&["report", "legal-basis", "--agreement", "us-sv-cecot", "--on", "2025-03-15"]);
    assert!(
        audit.contains(
            "case 1 (person V001, in_transit): on hold: TRO-2025-0315 by US District Court for the District of \
             Columbia (return; placed by court)"
        ),
        "{audit}"
    );
    // The order does not touch the other person on the flight.
    assert!(r.ok(&admit("2", "CECOT-2025-00418")).contains("→ in_custody"));
    let shown = r.ok(&["case", "show", "2"]);
    assert!(shown.contains("placed in cecot / B1-C01"), "{shown}");
    assert!(shown.contains("identifier SV inmate_number: CECOT-2025-00418"), "both states' identifiers: {shown}");
    // The plane turns back, as the order demands; turning back is allowed under any hold.
    let turned = ok_on_the_day(&["case", "turn-back", "1", "--reason", "COURT_ORDER"], "2025-03-15T21:00:00Z");
    assert!(turned.contains("→ returned"), "{turned}");
    assert!(r.refused(&admit("1", "CECOT-2025-00417")).contains("INVALID_TRANSITION"), "returned, not admitted");
    let audit = r.ok(&["report", "legal-basis", "--agreement", "us-sv-cecot", "--on", "2025-03-16"]);
    assert!(audit.contains("everyone held has a current legal basis"), "{audit}");
    let audit = r.ok(&["report", "legal-basis", "--agreement", "us-sv-cecot", "--on", "2030-01-01", "--json"]);
    assert!(audit.contains("expired: the sentence was served: projected release 2028-04-05"), "{audit}");
    // Lifting the order takes two legal officers: one cites the lifting decision, another confirms.
    let lift = ["case", "lift-hold", "1", "--reference", "TRO-2025-0315", "--decision", "APPEAL-2025-0407"];
    ok_on_the_day(&[&lift[..], &["--reason", "ORDER_VACATED", "--actor", "court"]].concat(), "2025-04-07T15:00:00Z");
    assert!(r.ok(&["case", "show", "1"]).contains("ON HOLD: TRO-2025-0315"), "it stands until confirmed");
    let confirm = |actor: &'static str| {
        vec!["case", "confirm-lift", "1", "--reference", "TRO-2025-0315", "--reason", "ORDER_VACATED", "--actor", actor]
    };
    let before = r.verified_events();
    let same = r.refused(&confirm("court"));
    assert!(same.contains("SAME_APPROVER"), "the confirmation must be another legal officer's: {same}");
    assert_eq!(r.verified_events(), before, "a refusal writes nothing");
    assert!(r.ok(&["case", "show", "1"]).contains("ON HOLD: TRO-2025-0315"), "still standing");
    r.ok(&confirm("second-judge"));
    assert!(!r.ok(&["case", "show", "1"]).contains("ON HOLD"), "lifted once confirmed");
    let events = r.ok(&["journal", "export"]);
    assert!(events.contains("\"occurred_at\":\"2025-03-15T18:00:00Z\""), "occurred_at is recorded beside recorded_at");
    assert!(events.contains("\"reason\":\"COURT_ORDER\""));
    assert!(r.ok(&["journal", "verify"]).starts_with("ok:"));
}

/// Scenario: Norway → Netherlands (Norgerhaven). People must be back in Norway two months before
/// release; the alerts warn 30 days before `return_by` and turn critical after it.
#[test]
fn scenario_norgerhaven_return_two_months_before_release() {
    let r = Register::new("norgerhaven");
    r.ok(&["import", "agreement", "examples/agreements/no-nl-norgerhaven.toml"]);
    let cells = r.file("cells.csv", "facility_id,cell_id,unit,kind,area_m2,beds\nnorgerhaven,A-101,A,single,9.5,1\n");
    r.ok(&["import", "cells", &cells, "--agreement", "no-nl-norgerhaven"]);
    // 36 months from 2015-10-01, two-thirds release: T = 1096 days, ceil(2T/3) = 731 → 2017-09-30.
    let persons = r.file(
        "p.csv",
        "person_id,birth_date,conviction,sentence_start,sentence_term\nN1,1980-05-01,final,2015-10-01,36m\n",
    );
    r.ok(&["import", "persons", &persons, "--agreement", "no-nl-norgerhaven"]);
    // The transfer of October 2015, each step on its day; the register screens on each.
    let on = |args: &[&str], at: &str| {
        let mut args = args.to_vec();
        args.extend(["--occurred-at", at]);
        r.ok(&args)
    };
    let day = "2015-10-15T09:00:00Z";
    assert_eq!(r.propose_on("no-nl-norgerhaven", "N1", "kdi", day), 1);
    on(&["case", "screen", "1", "--reason", "SCREENED"], day);
    on(&["case", "approve", "1", "--state", "sending", "--reason", "AGREED", "--actor", "kdi"], day);
    on(&["case", "approve", "1", "--state", "receiving", "--reason", "AGREED", "--actor", "dji"], day);
    on(&["case", "schedule", "1", "--reason", "FLIGHT_BOOKED"], day);
    on(&["case", "depart", "1", "--reason", "FLIGHT_LEFT"], "2015-10-20T08:00:00Z");
    on(
        &[
            "case",
            "admit",
            "1",
            "--commitment-order",
            "NO-2015-77",
            "--admitted-on",
            "2015-10-20",
            "--hour",
            "14",
            "--injuries",
            "none",
            "--property",
            "clothes",
            "--next-of-kin",
            "brother",
            "--facility",
            "norgerhaven",
            "--cell",
            "A-101",
            "--reason",
            "ARRIVED",
        ],
        "2015-10-20T14:00:00Z",
    );
    // The detainee's care (examinations, visits: docs/rights.md) is not recorded in this scenario
    // about returns, so its alerts are left out.
    const CARE: [&str; 3] = ["MEDICAL_EXAM_OVERDUE", "VISITS_BELOW_MINIMUM", "CONSULAR_ACCESS_OVERDUE"];
    let alerts_on = |day: &str| {
        let out = r.ok(&["alerts", "--agreement", "no-nl-norgerhaven", "--on", day]);
        let kept: Vec<&str> = out.lines().filter(|l| !CARE.iter().any(|c| l.contains(c))).collect();
        if kept.is_empty() { "no open alerts".to_owned() } else { kept.join("\n") }
    };
    // return_by = 2017-09-30 − 60 days = 2017-08-01.
    assert!(alerts_on("2017-07-01").starts_with("no open alerts"));
    assert!(alerts_on("2017-07-02").contains("RETURN_NOT_SCHEDULED"));
    assert!(alerts_on("2017-08-02").contains("RETURN_OVERDUE"));
    on(&["case", "schedule-return", "1", "--on", "2017-07-25", "--reason", "RETURN_PLANNED"], "2017-07-05T09:00:00Z");
    assert!(alerts_on("2017-07-10").starts_with("no open alerts"));
    on(&["case", "return", "1", "--reason", "RETURNED"], "2017-07-25T12:00:00Z");
    assert!(alerts_on("2017-10-01").starts_with("no open alerts"), "custody ended");
}

/// Placing above a cell's standard capacity: another officer records an approval for the case
/// and cell, the placing officer cites it; it is another user's, used once, and both names are in
/// the journal. Nobody names an approver on the command line.
#[test]
fn an_override_is_approved_by_another_officer_and_used_once() {
    let r = Register::new("override");
    r.ok(&["import", "agreement", "examples/agreements/no-nl-norgerhaven.toml"]);
    let cells = r.file("cells.csv", "facility_id,cell_id,unit,kind,area_m2,beds\nnorgerhaven,B-201,B,shared,7.0,2\n");
    r.ok(&["import", "cells", &cells, "--agreement", "no-nl-norgerhaven"]);
    let persons = r.file(
        "p.csv",
        "person_id,birth_date,conviction,sentence_start,sentence_term\n\
         N1,1980-05-01,final,2015-10-01,36m\nN2,1982-11-12,final,2015-10-01,36m\n",
    );
    r.ok(&["import", "persons", &persons, "--agreement", "no-nl-norgerhaven"]);
    // Transferred in October 2015, each step on its day.
    let day = "2015-10-15T09:00:00Z";
    for (id, person) in [(1, "N1"), (2, "N2")] {
        assert_eq!(r.propose_on("no-nl-norgerhaven", person, "sending-officer", day), id);
        let id = id.to_string();
        for step in [
            &["screen", &id, "--reason", "SCREENED"][..],
            &["approve", &id, "--state", "sending", "--reason", "AGREED"],
            &["approve", &id, "--state", "receiving", "--reason", "AGREED"],
            &["schedule", &id, "--reason", "FLIGHT_BOOKED"],
            &["depart", &id, "--reason", "FLIGHT_LEFT"],
        ] {
            r.ok(&[&["case"][..], step, &["--occurred-at", day]].concat());
        }
    }
    let admit = |id: &'static str| {
        let mut args = vec!["case", "admit", id, "--commitment-order", "NO-2015-77", "--admitted-on", "2015-10-20"];
        args.extend(["--hour", "14", "--injuries", "none", "--property", "clothes", "--next-of-kin", "brother"]);
        args.extend(["--facility", "norgerhaven", "--cell", "B-201", "--reason", "ARRIVED"]);
        args.extend(["--occurred-at", "2015-10-20T14:00:00Z"]);
        args
    };
    r.ok(&admit("1"));
    assert!(r.refused(&admit("2")).contains("NEEDS_OVERRIDE"));
    let approve = ["case", "approve-override", "2", "--facility", "norgerhaven", "--cell", "B-201"];
    let with_reason = |actor: &'static str| {
        let mut args = approve.to_vec();
        args.extend(["--reason", "wing A closed for repairs", "--actor", actor]);
        args
    };
    // Only facility and receiving officers approve overrides.
    let sending = r.token("sending-officer", "sending_officer");
    let mut args = approve.to_vec();
    args.extend(["--reason", "x"]);
    let forbidden = r.run_with_token(&sending, &args);
    assert!(String::from_utf8_lossy(&forbidden.stderr).contains("FORBIDDEN"));
    let approved = r.ok(&with_reason("warden"));
    assert!(approved.starts_with("override approval 1 for case 2"), "{approved}");
    let cite = |actor: &'static str| {
        let mut args = admit("2");
        args.extend(["--override-approval", "1", "--actor", actor]);
        args
    };
    assert!(r.refused(&cite("warden")).contains("SAME_APPROVER"), "the approval must be another user's");
    assert!(r.ok(&cite("facility-officer")).contains("→ in_custody"));
    let journal = r.ok(&["journal", "export"]);
    let placed = journal.lines().rfind(|l| l.contains("\"admit\"")).unwrap();
    assert!(placed.contains("warden") && placed.contains("facility-officer"), "{placed}");
    let again = ["case", "move", "2", "--facility", "norgerhaven", "--cell", "B-201", "--override-approval", "1"];
    let mut again = again.to_vec();
    again.extend(["--reason", "CELL_REASSIGNMENT"]);
    assert!(r.refused(&again).contains("APPROVAL_USED"));
    // The old flags that named both approvers are gone.
    assert_eq!(r.run(&[&admit("2")[..], &["--override-first", "a"]].concat()).status.code(), Some(2));
}

/// A death opens three notifications with the agreement's deadlines (24 h, 24 h, 72 h); one not
/// sent in time is a critical alert; the report is corrected only by addenda.
#[test]
fn a_death_opens_notifications_and_an_overdue_one_is_an_alert() {
    let r = Register::new("incident");
    r.ok(&["import", "agreement", AGREEMENT]);
    let filed = r.ok(&[
        "incident",
        "file",
        "--agreement",
        "us-sv-cecot",
        "--kind",
        "death",
        "--occurred-at",
        "2025-04-01T03:00:00Z",
        "--report",
        "found unresponsive in cell B1-C01 at 03:00",
    ]);
    // Filed long after its deadlines: every notification is overdue at once, and says by how much.
    assert!(filed.contains("notify next_of_kin            due 2025-04-02T03:00:00Z  overdue by "), "{filed}");
    assert!(filed.contains("notify independent_authority  due 2025-04-04T03:00:00Z  overdue by "), "{filed}");
    let sent = r.ok(&["incident", "notify", "1", "--recipient", "next_of_kin", "--at", "2025-04-01T09:00:00Z"]);
    assert!(sent.contains("next_of_kin            due 2025-04-02T03:00:00Z  sent on time"), "{sent}");
    let late = r.ok(&["incident", "notify", "1", "--recipient", "sending_state", "--at", "2025-04-03T09:00:00Z"]);
    assert!(late.contains("sent late"), "{late}");
    let alerts = r.ok(&["alerts", "--agreement", "us-sv-cecot", "--on", "2025-04-04", "--json"]);
    assert!(alerts.contains("NOTIFICATION_OVERDUE"), "{alerts}");
    assert!(alerts.contains("independent_authority"), "{alerts}");
    // Days are San Salvador's: the authority's deadline, 03:00 UTC on 4 April, is 21:00 on 3 April
    // there, so 3 April already shows it overdue and 2 April does not.
    let on_the_day = r.ok(&["alerts", "--agreement", "us-sv-cecot", "--on", "2025-04-03"]);
    assert!(on_the_day.contains("independent_authority not notified; overdue by 3h 00m"), "{on_the_day}");
    let earlier = r.ok(&["alerts", "--agreement", "us-sv-cecot", "--on", "2025-04-02"]);
    assert!(!earlier.contains("NOTIFICATION_OVERDUE"), "not yet due: {earlier}");
    assert!(r.ok(&["incident", "addendum", "1", "--text", "time of death corrected to 02:40"]).contains("addenda: 1"));
    let unknown = r.run(&["incident", "notify", "1", "--recipient", "next_of_kin", "--at", "2025-04-05T00:00:00Z"]);
    assert_eq!(unknown.status.code(), Some(2), "already sent");
    let bad = r.run(&[
        "incident",
        "file",
        "--agreement",
        "us-sv-cecot",
        "--kind",
        "riot",
        "--occurred-at",
        "2025-04-01T03:00:00Z",
        "--report",
        "x",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let events = r.ok(&["journal", "export"]);
    assert!(events.contains("\"kind\":\"incident.addendum\""));
    assert!(events.contains("found unresponsive in cell B1-C01 at 03:00"), "the original report is kept");
    assert!(r.ok(&["journal", "verify"]).starts_with("ok:"));
}

/// Inspections by the agreement's bodies with recommendations that only move forward, and the
/// contact log.
#[test]
fn inspections_and_the_contact_log() {
    let r = Register::new("oversight");
    let base = r.verified_events();
    r.ok(&["import", "agreement", AGREEMENT]);
    let filed = r.ok(&[
        "inspection",
        "file",
        "--agreement",
        "us-sv-cecot",
        "--body",
        "ICRC",
        "--from",
        "2025-05-01",
        "--to",
        "2025-05-03",
        "--finding",
        "0.64 m² per person in building 1",
        "--recommendation",
        "reduce occupancy to the CPT standard",
        "--recommendation",
        "allow family visits",
    ]);
    assert_eq!(filed.trim(), "inspection 1 filed: 1 findings, 2 recommendations");
    let stranger = r.run(&[
        "inspection",
        "file",
        "--agreement",
        "us-sv-cecot",
        "--body",
        "Nobody",
        "--from",
        "2025-05-01",
        "--to",
        "2025-05-01",
    ]);
    assert_eq!(stranger.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("body:"));
    let skipped = r.run(&["inspection", "recommendation", "1", "--index", "0", "--state", "implemented"]);
    assert_eq!(skipped.status.code(), Some(2), "open cannot jump to implemented");
    r.ok(&["inspection", "recommendation", "1", "--index", "0", "--state", "accepted"]);
    let done = r.ok(&["inspection", "recommendation", "1", "--index", "0", "--state", "implemented"]);
    assert!(done.starts_with("0  implemented"), "{done}");
    r.ok(&[
        "contact",
        "log",
        "--agreement",
        "us-sv-cecot",
        "--contact",
        "Venezuelan consul",
        "--at",
        "2025-05-02T10:00:00Z",
        "--means",
        "visit",
        "--note",
        "visited 12 detainees",
    ]);
    let list = r.ok(&["contact", "list", "--agreement", "us-sv-cecot"]);
    assert!(list.contains("2025-05-02T10:00:00Z  visit   Venezuelan consul  visited 12 detainees"), "{list}");
    assert_eq!(
        r.run(&[
            "contact",
            "log",
            "--agreement",
            "us-sv-cecot",
            "--contact",
            "x",
            "--at",
            "2025-05-02T10:00:00Z",
            "--means",
            "fax"
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(r.verified_events(), base + 5);
}

/// Issue 11: `journal prove --index` is 0-based; the help, the proof and the range error say so,
/// and the error names the journal's size.
#[test]
fn journal_prove_index_is_0_based() {
    let r = Register::new("prove-index");
    r.ok(&["import", "agreement", AGREEMENT]);
    let size = r.verified_events();
    let help = r.ok(&["journal", "prove", "--help"]);
    assert!(help.contains("0-based"), "{help}");
    let proof: serde_json::Value = serde_json::from_str(&r.ok(&["journal", "prove", "--index", "0"])).unwrap();
    assert_eq!(proof["leaf_index"], 0, "the first event is index 0");
    assert_eq!(proof["leaf_index_base"], 0);
    let output = r.run(&["journal", "prove", "--index", &size.to_string()]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8(output.stderr).unwrap();
    let expected = format!(
        "--index: {size} is out of range: the journal has {size} events, indexed from 0 to {} (0-based)",
        size - 1
    );
    assert!(err.contains(&expected), "{err}");
}

const FULL_HEADER: &str = "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,torture_risk_assessed_on,care_needs,removal_destination";

/// Regression: a file with bare CR line endings (old spreadsheet exports) imported 0 rows and
/// said nothing.
#[test]
fn bare_cr_line_endings_import_every_row() {
    let r = Register::new("bare-cr");
    r.ok(&["import", "agreement", AGREEMENT]);
    let persons = r.dir.join("lf.csv");
    r.ok(&["synth", "persons", "--count", "50", "--seed", "3", "--out", persons.to_str().unwrap()]);
    let cr = std::fs::read_to_string(&persons).unwrap().replace('\n', "\r");
    let cr = r.file("cr.csv", &cr);
    assert_eq!(
        r.ok(&["import", "persons", &cr, "--agreement", "us-sv-cecot"]).trim(),
        "persons: 50 added, 0 amended, 0 unchanged"
    );
    // The same people with LF endings are the same records.
    let lf = persons.to_str().unwrap();
    assert_eq!(
        r.ok(&["import", "persons", lf, "--agreement", "us-sv-cecot"]).trim(),
        "persons: 0 added, 0 amended, 50 unchanged"
    );
}

/// Regression: the import stored a jail credit of 99999999999999999999 as 4294967295; it now
/// refuses the row with the message `screen` gives, with its line.
#[test]
fn import_rejects_jail_credit_that_screen_rejects() {
    let r = Register::new("credit");
    r.ok(&["import", "agreement", AGREEMENT]);
    let base = r.verified_events();
    let file = r.file("p.csv", "person_id,sentence_start,sentence_term,jail_credit_days\nA1,2024-01-01,5y,10\nA2,2024-01-01,5y,99999999999999999999\n");
    let output = r.run(&["import", "persons", &file, "--agreement", "us-sv-cecot"]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8(output.stderr).unwrap();
    let listed = err.lines().find(|l| l.contains("p.csv:3: ")).unwrap_or_else(|| panic!("{err}"));
    let message = listed.split_once("p.csv:3: ").unwrap().1;
    assert!(message.starts_with("jail_credit_days: "), "{err}");
    let screened = r.ok(&["screen", "--agreement", AGREEMENT, "--persons", &file, "--as-of", "2025-06-01"]);
    let quoted = format!("\"INPUT: {}\"", message.replace('"', "\"\""));
    assert!(screened.contains(&format!("A2,invalid,{quoted}")), "same message as screen: {screened}");
    assert_eq!(r.verified_events(), base, "nothing written");
}

/// A header typo (`convction`) is visible in the import's summary, not silently "unknown".
#[test]
fn header_typo_is_listed_in_the_summary() {
    let r = Register::new("typo");
    r.ok(&["import", "agreement", AGREEMENT]);
    let header = FULL_HEADER.replace(",conviction,", ",convction,");
    let file =
        r.file("p.csv", &format!("{header}\nA1,Doe,Ann,1990-01-01,SV,final,drug,2024-01-01,5y,,high,,final,,,no,SV\n"));
    let out = r.ok(&["import", "persons", &file, "--agreement", "us-sv-cecot"]);
    assert!(out.contains("unknown columns: convction; missing columns: conviction (unknown for every row)"), "{out}");
}

/// Semicolon-separated files, as continental spreadsheet programs write them, by detection and
/// by flag; the records are the same as from the comma file.
#[test]
fn semicolon_files_import_like_comma_files() {
    let r = Register::new("semicolon");
    r.ok(&["import", "agreement", AGREEMENT]);
    let comma = r.file("c.csv", "person_id,family_name,nationalities\nA1,\"Doe, Jr\",US;SV\n");
    let semi = r.file("s.csv", "\u{feff}person_id;family_name;nationalities\r\nA1;Doe, Jr;\"US;SV\"\r\n");
    assert!(r.ok(&["import", "persons", &comma, "--agreement", "us-sv-cecot"]).contains("1 added"));
    assert!(r.ok(&["import", "persons", &semi, "--agreement", "us-sv-cecot"]).contains("1 unchanged"));
    let flagged = r.ok(&["import", "persons", &semi, "--agreement", "us-sv-cecot", "--delimiter", ";"]);
    assert!(flagged.contains("1 unchanged"), "{flagged}");
    let output = r.run(&["import", "persons", &semi, "--agreement", "us-sv-cecot", "--delimiter", ","]);
    assert_eq!(output.status.code(), Some(2), "read as one column, the file has no person_id column");
    assert!(String::from_utf8(output.stderr).unwrap().contains("no person_id column"));
}

/// The command line applies the API's checks to person files: importing needs the role that may
/// import them (FORBIDDEN otherwise, nothing written), and the export holds only the persons of
/// agreements in the caller's scope.
#[test]
fn person_imports_and_exports_follow_role_and_scope() {
    let r = Register::new("person-scope");
    r.ok(&["import", "agreement", AGREEMENT]);
    r.ok(&["import", "agreement", "examples/agreements/dk-xk-gjilan.toml"]);
    let file = r.file("p.csv", "person_id,family_name\nA1,Doe\n");
    let before = r.verified_events();
    let auditor = r.token("auditor", "auditor");
    let refused = r.run_with_token(&auditor, &["import", "persons", &file, "--agreement", "us-sv-cecot"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8(refused.stderr).unwrap().contains("FORBIDDEN"));
    assert_eq!(r.verified_events(), before, "nothing written");
    assert!(r.ok(&["import", "persons", &file, "--agreement", "us-sv-cecot"]).contains("1 added"));

    let root = r.token("root", "admin");
    let added =
        r.run_with_token(&root, &["user", "add", "dk-auditor", "--role", "auditor", "--agreements", "dk-xk-gjilan"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let danish = r.host_token("dk-auditor");
    let export = r.run_with_token(&danish, &["export", "persons"]);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let text = String::from_utf8(export.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "only the header: the person is under another state's agreement: {text}");
    let everyone = r.run_with_token(&auditor, &["export", "persons"]);
    assert!(String::from_utf8(everyone.stdout).unwrap().lines().any(|l| l.starts_with("A1,Doe,")));
}
