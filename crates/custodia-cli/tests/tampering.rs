//! The register's state is the journal's (docs/journal.md#replay): each change an attacker with the
//! database's password made in issue 13 — with the service stopped, around Custodia — is found by
//! `custodia journal verify`, which names the table, the row and the column, and the invoice ones by
//! `custodia invoices verify` too; `--tree-only` (the events alone) does not see them. Each
//! tampering is applied to its own copy of one register, on SQLite and, with
//! `CUSTODIA_TEST_POSTGRES_URL`, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::Register;

/// The per-diem agreement of the invoice tests, its public locator answering.
fn agreement() -> String {
    let with = common::PER_DIEM_AGREEMENT.replace("\n[[facilities]]", "\npublic_locator = true\n[[facilities]]");
    assert!(with.contains("public_locator = true"));
    with
}

const AT: [&str; 2] = ["--occurred-at", "2025-01-10T08:00:00Z"];

/// A small register: the agreement, a cell, two people, one of them held (with the receiving
/// state's number), the other's case under a court order, an incident, users with tokens, and
/// January's invoice drafted by one finance officer and issued by another.
fn build(r: &Register) {
    r.ok(&["import", "agreement", &r.file("agreement.toml", &agreement())]);
    let cells = r.file("cells.csv", "facility_id,cell_id,unit,kind,area_m2,beds\nf1,A-1,A,shared,40,10\n");
    r.ok(&["import", "cells", &cells, "--agreement", "xx-test"]);
    let persons = r.file(
        "p.csv",
        "person_id,nationalities,conviction,sentence_start,sentence_term,security_class\n\
         P1,VE,final,2024-01-01,10y,medium\nP2,VE,final,2024-01-01,10y,high\n",
    );
    r.ok(&["import", "persons", &persons, "--agreement", "xx-test"]);
    let step = |args: &[&str]| r.ok(&[args, &AT[..]].concat());
    step(&["case", "propose", "--agreement", "xx-test", "--person", "P1"]);
    step(&["case", "screen", "1", "--reason", "SCREENED"]);
    step(&["case", "approve", "1", "--state", "sending", "--reason", "AGREED", "--actor", "us-officer"]);
    step(&["case", "approve", "1", "--state", "receiving", "--reason", "AGREED", "--actor", "sv-officer"]);
    step(&["case", "schedule", "1", "--reason", "FLIGHT_BOOKED"]);
    step(&["case", "depart", "1", "--reason", "FLIGHT_LEFT"]);
    let mut admit = vec!["case", "admit", "1", "--receiving-id", "SV-0001", "--commitment-order", "ORDER"];
    admit.extend(["--admitted-on", "2025-01-10", "--hour", "9", "--injuries", "none", "--property", "none"]);
    admit.extend(["--next-of-kin", "none", "--facility", "f1", "--cell", "A-1", "--reason", "ARRIVED"]);
    step(&admit);
    step(&["case", "propose", "--agreement", "xx-test", "--person", "P2"]);
    let mut hold = vec!["case", "place-hold", "2", "--authority", "US District Court", "--reference", "TRO-1"];
    hold.extend(["--order", "return", "--reason", "COURT_ORDER", "--actor", "court"]);
    step(&hold);
    let mut incident = vec!["incident", "file", "--agreement", "xx-test", "--kind", "torture_allegation"];
    incident.extend(["--occurred-at", "2025-01-20T10:00:00Z", "--report", "beaten during the night count"]);
    r.ok(&incident);
    let mut complaint = vec!["complaint", "file", "--agreement", "xx-test", "--case", "1", "--category", "conditions"];
    complaint.extend(["--text", "no water for two days", "--made-at", "2025-01-20T10:00:00Z"]);
    r.ok(&complaint);
    let mut exam = vec!["care", "examine", "--agreement", "xx-test", "--case", "1", "--purpose", "admission"];
    exam.extend(["--examiner", "Dr. R", "--custody", "fit", "--transfer", "fit", "--solitary", "unfit"]);
    exam.extend(["--findings", "severe asthma", "--at", "2025-01-10T12:00:00Z"]);
    r.ok(&exam);
    let draft = ["invoices", "draft", "--agreement", "xx-test", "--period", "2025-01", "--on", "2025-02-01"];
    r.ok(&[&draft[..], &["--actor", "ana"]].concat());
    r.ok(&["invoices", "issue", "1", "--actor", "ben"]);
    assert!(r.ok(&["case", "show", "2"]).contains("ON HOLD: TRO-1"), "the order stands");
}

/// One tampering: its name, the statements on each database, the difference `journal verify` must
/// name (the start of `table T, row K, column C`), and whether `invoices verify 1` must fail.
struct Tampering {
    name: &'static str,
    sqlite: &'static [&'static str],
    postgres: &'static [&'static str],
    names: &'static str,
    invoice: bool,
}

const TAMPERINGS: &[Tampering] = &[
    Tampering {
        name: "a standing hold removed from a case",
        sqlite: &["UPDATE cases SET record = json_set(record, '$.holds', json('[]')) WHERE id = 2"],
        postgres: &["UPDATE cases SET record = jsonb_set(record::jsonb, '{holds}', '[]'::jsonb)::text WHERE id = 2"],
        names: "table cases, row 2, column record",
        invoice: false,
    },
    Tampering {
        name: "a case set to released",
        sqlite: &["UPDATE cases SET state = 'released' WHERE id = 1"],
        postgres: &["UPDATE cases SET state = 'released' WHERE id = 1"],
        names: "table cases, row 1, column state",
        invoice: false,
    },
    Tampering {
        name: "an auditor made admin",
        sqlite: &["UPDATE users SET role = 'admin' WHERE name = 'auditor'"],
        postgres: &["UPDATE users SET role = 'admin' WHERE name = 'auditor'"],
        // Users 2–9 are the harness's, one per role in `common::ROLES` order after root: 8 is the auditor.
        names: "table users, row 8, column role",
        invoice: false,
    },
    Tampering {
        name: "a backdoor token inserted",
        sqlite: &["INSERT INTO api_tokens (id, user_id, sha256, label, created_at) \
                   VALUES (999, 1, randomblob(32), 'backdoor', '2026-01-01T00:00:00Z')"],
        postgres: &["INSERT INTO api_tokens (id, user_id, sha256, label, created_at) \
                     VALUES (999, 1, sha256('backdoor'::bytea), 'backdoor', '2026-01-01T00:00:00Z')"],
        names: "table api_tokens, row 999, column (row)",
        invoice: false,
    },
    Tampering {
        name: "a person's record pointed at another's event",
        sqlite: &["UPDATE persons SET last_event_seq = (SELECT last_event_seq FROM persons WHERE id = 2) WHERE id = 1"],
        postgres: &[
            "UPDATE persons SET last_event_seq = (SELECT last_event_seq FROM persons WHERE id = 2) WHERE id = 1",
        ],
        names: "table persons, row 1, column last_event_seq",
        invoice: false,
    },
    Tampering {
        name: "a person's record digest replaced",
        sqlite: &["UPDATE persons SET record_sha256 = zeroblob(32) WHERE id = 2"],
        postgres: &["UPDATE persons SET record_sha256 = decode(repeat('00', 32), 'hex') WHERE id = 2"],
        names: "table persons, row 2, column record_sha256",
        invoice: false,
    },
    Tampering {
        name: "a person taken out of the agreement",
        sqlite: &["DELETE FROM person_agreements WHERE person_id = 2"],
        postgres: &["DELETE FROM person_agreements WHERE person_id = 2"],
        names: "table person_agreements, row 2 / xx-test, column (row)",
        invoice: false,
    },
    Tampering {
        // The persons table is compared beside the others (on SQLite, in a thread of its own): of
        // two differences, the one in the replay's table order is named, whichever is found first.
        name: "a cell and a person changed: the person named",
        sqlite: &["UPDATE cells SET beds = 99 WHERE cell_id = 'A-1'", "UPDATE persons SET version = 7 WHERE id = 1"],
        postgres: &["UPDATE cells SET beds = 99 WHERE cell_id = 'A-1'", "UPDATE persons SET version = 7 WHERE id = 1"],
        names: "table persons, row 1, column version",
        invoice: false,
    },
    Tampering {
        name: "an agreement and a person changed: the agreement named",
        sqlite: &["UPDATE agreements SET current_version = 5", "UPDATE persons SET version = 7 WHERE id = 1"],
        postgres: &["UPDATE agreements SET current_version = 5", "UPDATE persons SET version = 7 WHERE id = 1"],
        names: "table agreements, row xx-test, column current_version",
        invoice: false,
    },
    Tampering {
        // The journal keeps only the words' SHA-256 (a complaint may be confidential).
        name: "a complaint's words rewritten",
        sqlite: &["UPDATE complaints SET text = 'all is well' WHERE id = 1"],
        postgres: &["UPDATE complaints SET text = 'all is well' WHERE id = 1"],
        names: "table complaints, row 1, column text",
        invoice: false,
    },
    Tampering {
        // The journal keeps only the health file's SHA-256 (findings are for medical staff).
        name: "an examination's findings rewritten",
        sqlite: &["UPDATE care_records SET health_file = '{\"findings\":\"healthy\",\"injuries\":null}' WHERE id = 1"],
        postgres: &[
            "UPDATE care_records SET health_file = '{\"findings\":\"healthy\",\"injuries\":null}' WHERE id = 1",
        ],
        names: "table care_records, row 1, column health_file",
        invoice: false,
    },
    Tampering {
        // Found fit for solitary confinement, so a placement would no longer be refused.
        name: "an examination's fitness for solitary confinement changed",
        sqlite: &[
            "UPDATE care_records SET record = replace(record, '\"solitary\":\"unfit\"', '\"solitary\":\"fit\"') WHERE id = 1",
        ],
        postgres: &[
            "UPDATE care_records SET record = replace(record, '\"solitary\":\"unfit\"', '\"solitary\":\"fit\"') WHERE id = 1",
        ],
        names: "table care_records, row 1, column record",
        invoice: false,
    },
    Tampering {
        name: "a cell made 1,000 m²",
        sqlite: &["UPDATE cells SET area_m2 = '1000' WHERE cell_id = 'A-1'"],
        postgres: &["UPDATE cells SET area_m2 = '1000' WHERE cell_id = 'A-1'"],
        names: "table cells, row xx-test / f1 / A-1, column area_m2",
        invoice: false,
    },
    Tampering {
        name: "the public locator switched off",
        sqlite: &["UPDATE agreement_versions SET source_toml = \
                   replace(source_toml, 'public_locator = true', 'public_locator = false')"],
        postgres: &["UPDATE agreement_versions SET source_toml = \
                     replace(source_toml, 'public_locator = true', 'public_locator = false')"],
        names: "table agreement_versions, row xx-test / 1, column source_toml",
        invoice: false,
    },
    Tampering {
        name: "an invoice's total set to 1",
        sqlite: &["DROP TRIGGER invoices_are_never_updated", "UPDATE invoices SET total_minor = 1 WHERE id = 1"],
        postgres: &[
            "DROP TRIGGER invoices_are_never_changed ON invoices",
            "UPDATE invoices SET total_minor = 1 WHERE id = 1",
        ],
        names: "table invoices, row 1, column total_minor",
        invoice: true,
    },
    Tampering {
        name: "an invoice's issuer renamed",
        sqlite: &[
            "DROP TRIGGER invoice_issues_are_never_updated",
            "UPDATE invoice_issues SET issued_by = 'mallory' WHERE invoice_id = 1",
        ],
        postgres: &[
            "DROP TRIGGER invoice_issues_are_never_changed ON invoice_issues",
            "UPDATE invoice_issues SET issued_by = 'mallory' WHERE invoice_id = 1",
        ],
        names: "table invoice_issues, row 1, column issued_by",
        invoice: true,
    },
];

fn every_tampering_is_named_by_journal_verify(r: &Register) {
    build(r);
    let db = r.database();
    let clean = r.ok(&["journal", "verify"]);
    assert!(clean.starts_with("ok: ") && clean.contains("rows in every table match the journal"), "{db}: {clean}");
    assert!(!clean.contains("unchecked"), "{db}: a register written by this version is checked in full: {clean}");
    assert!(r.ok(&["invoices", "verify", "1"]).starts_with("ok: "), "{db}");
    for (n, t) in TAMPERINGS.iter().enumerate() {
        let copy = r.copy(&format!("t{n}"));
        copy.sql(if db == "postgres" { t.postgres } else { t.sqlite });
        let verify = copy.bare(&["journal", "verify"]);
        let stderr = String::from_utf8_lossy(&verify.stderr);
        assert_eq!(verify.status.code(), Some(1), "{db}: {}: journal verify must fail: {stderr}", t.name);
        assert!(stderr.contains(t.names), "{db}: {}: journal verify must name {:?}: {stderr}", t.name, t.names);
        let tree_only = copy.bare(&["journal", "verify", "--tree-only"]);
        assert!(tree_only.status.success(), "{db}: {}: the events themselves are intact", t.name);
        let invoice = copy.run(&["invoices", "verify", "1"]);
        let message = String::from_utf8_lossy(&invoice.stderr);
        assert_eq!(invoice.status.success(), !t.invoice, "{db}: {}: invoices verify: {message}", t.name);
    }
}

#[test]
fn every_tampering_of_issue_13_is_named_by_journal_verify() {
    for r in Register::on_every_database("tampering") {
        every_tampering_is_named_by_journal_verify(&r);
    }
}

/// Issue 16: the stored tile hashes (docs/journal.md#tiles) are the journal's too. One altered
/// around Custodia is named by `journal verify`, `--tree-only` included (the tree check
/// recomputes them), and no proof is answered from it.
#[test]
fn an_altered_tile_hash_is_named_by_journal_verify_and_refused_to_proofs() {
    for r in Register::on_every_database("tiles") {
        r.ok(&["import", "agreement", &r.file("agreement.toml", &agreement())]);
        let mut csv = String::from("person_id,nationalities,conviction,sentence_start,sentence_term,security_class\n");
        for i in 0..300 {
            csv.push_str(&format!("P{i},VE,final,2024-01-01,10y,medium\n"));
        }
        r.ok(&["import", "persons", &r.file("p.csv", &csv), "--agreement", "xx-test"]);
        let db = r.database();
        assert!(r.ok(&["journal", "verify", "--tree-only"]).starts_with("ok: "), "{db}");
        assert!(r.ok(&["journal", "prove", "--index", "7"]).contains("\"inclusion\""), "{db}");
        let copy = r.copy("altered");
        copy.sql(if db == "postgres" {
            &[
                "DROP TRIGGER tile_hashes_are_never_updated ON tile_hashes",
                "UPDATE tile_hashes SET hash = decode(repeat('00', 32), 'hex') WHERE level = 1 AND idx = 0",
            ]
        } else {
            &[
                "DROP TRIGGER tile_hashes_are_never_updated",
                "UPDATE tile_hashes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0",
            ]
        });
        for args in [&["journal", "verify"][..], &["journal", "verify", "--tree-only"]] {
            let verify = copy.bare(args);
            let stderr = String::from_utf8_lossy(&verify.stderr);
            assert_eq!(verify.status.code(), Some(1), "{db}: {args:?} must fail: {stderr}");
            assert!(stderr.contains("tile hash 1/0 (level 1, index 0) does not match the events"), "{db}: {stderr}");
            assert!(stderr.contains("255"), "{db}: named by the event that completes it: {stderr}");
        }
        let prove = copy.run(&["journal", "prove", "--index", "7", "--size", "300"]);
        let stdout = String::from_utf8_lossy(&prove.stdout);
        assert!(
            !prove.status.success() && !stdout.contains("inclusion"),
            "{db}: no proof from altered tiles: {stdout}"
        );
    }
}

/// Issue 16: the tree check of every database — on PostgreSQL a binary `COPY` of the bodies —
/// names an event edited around Custodia, and a removed one.
#[test]
fn an_edited_or_removed_event_is_named_by_the_tree_check_on_every_database() {
    for r in Register::on_every_database("events") {
        r.ok(&["import", "agreement", &r.file("agreement.toml", &agreement())]);
        let mut csv = String::from("person_id,nationalities,conviction,sentence_start,sentence_term,security_class\n");
        for i in 0..300 {
            csv.push_str(&format!("P{i},VE,final,2024-01-01,10y,medium\n"));
        }
        r.ok(&["import", "persons", &r.file("p.csv", &csv), "--agreement", "xx-test"]);
        let db = r.database();
        let size: u64 = r.ok(&["journal", "verify", "--tree-only"]).split_whitespace().nth(1).unwrap().parse().unwrap();
        let edited = size / 2;
        let drop = if db == "postgres" {
            "DROP TRIGGER events_are_never_updated ON events"
        } else {
            "DROP TRIGGER events_are_never_updated"
        };
        let edit = format!("UPDATE events SET body = replace(body, '\"P', '\"Q') WHERE seq = {edited}");
        let copy = r.copy("edited");
        copy.sql(&[drop, &edit]);
        let verify = copy.bare(&["journal", "verify", "--tree-only"]);
        let stderr = String::from_utf8_lossy(&verify.stderr);
        assert_eq!(verify.status.code(), Some(1), "{db}: {stderr}");
        assert!(stderr.contains(&format!("event {edited}")), "{db}: {stderr}");
        let removed = r.copy("removed");
        let delete = format!("DELETE FROM events WHERE seq = {}", size - 1);
        // As an attacker would: around the append-only triggers and the foreign keys.
        let around: &[&str] = if db == "postgres" {
            &["SET session_replication_role = replica"]
        } else {
            &["PRAGMA foreign_keys = OFF", "DROP TRIGGER events_are_never_deleted"]
        };
        removed.sql(&[around, &[delete.as_str()]].concat());
        let verify = removed.bare(&["journal", "verify", "--tree-only"]);
        let stderr = String::from_utf8_lossy(&verify.stderr);
        assert_eq!(verify.status.code(), Some(1), "{db}: {stderr}");
        assert!(stderr.contains(&format!("{size} events")), "{db}: the head's count is named: {stderr}");
    }
}
