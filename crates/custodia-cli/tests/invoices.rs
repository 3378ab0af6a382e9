//! Invoices issued in the register (docs/billing.md, docs/access.md): drawn from custody records, two people, in
//! order, immutable, adjustments for late corrections, a credit note at the end, export, verify and
//! the sustainability report — as a finance officer runs them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use sha2::{Digest, Sha256};

mod common;
use common::Register;

use common::PER_DIEM_AGREEMENT as AGREEMENT;

/// Transfers `person` (case `case`) and admits them on `on`: every step taken on that day, the
/// screening computed by the register.
fn admit(r: &Register, case: &str, person: &str, on: &str) {
    let at = format!("{on}T08:00:00Z");
    assert_eq!(r.propose_on("xx-test", person, "sending-officer", &at).to_string(), case);
    let step = |args: &[&str]| {
        let mut args = args.to_vec();
        args.extend(["--occurred-at", &at]);
        r.ok(&args)
    };
    step(&["case", "screen", case, "--reason", "SCREENED"]);
    step(&["case", "approve", case, "--state", "sending", "--reason", "AGREED", "--actor", "us-officer"]);
    step(&["case", "approve", case, "--state", "receiving", "--reason", "AGREED", "--actor", "sv-officer"]);
    step(&["case", "schedule", case, "--reason", "FLIGHT_BOOKED"]);
    step(&["case", "depart", case, "--reason", "FLIGHT_LEFT"]);
    step(&[
        "case",
        "admit",
        case,
        "--commitment-order",
        "ORDER",
        "--admitted-on",
        on,
        "--hour",
        "9",
        "--injuries",
        "none",
        "--property",
        "none",
        "--next-of-kin",
        "none",
        "--facility",
        "f1",
        "--cell",
        "A-1",
        "--reason",
        "ARRIVED",
    ]);
}

fn setup(name: &str) -> Register {
    let r = Register::new(name);
    let agreement = r.file("agreement.toml", AGREEMENT);
    r.ok(&["import", "agreement", &agreement]);
    let cells = r.file("cells.csv", "facility_id,cell_id,unit,kind,area_m2,beds\nf1,A-1,A,shared,40,10\n");
    r.ok(&["import", "cells", &cells, "--agreement", "xx-test"]);
    let persons = r.file(
        "p.csv",
        "person_id,nationalities,conviction,sentence_start,sentence_term,security_class\n\
         P1,VE,final,2024-01-01,10y,medium\nP2,VE,final,2024-01-01,10y,high\n",
    );
    r.ok(&["import", "persons", &persons, "--agreement", "xx-test"]);
    admit(&r, "1", "P1", "2025-01-10");
    admit(&r, "2", "P2", "2025-02-01");
    r
}

fn show(r: &Register, id: &str) -> serde_json::Value {
    serde_json::from_str(&r.ok(&["invoices", "show", id, "--json"])).unwrap()
}

/// (code, quantity, unit price, amount, refers_to) of a shown document's lines, sorted.
fn lines(shown: &serde_json::Value) -> Vec<(String, i64, i64, i64, String)> {
    let mut out: Vec<_> = shown["document"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["code"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
                l["unit_price_minor"].as_i64().unwrap(),
                l["amount_minor"].as_i64().unwrap(),
                l["refers_to"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn line(code: &str, qty: i64, price: i64, amount: i64, refers_to: &str) -> (String, i64, i64, i64, String) {
    (code.into(), qty, price, amount, refers_to.into())
}

#[test]
fn two_people_issue_invoices_in_order_and_corrections_become_adjustments() {
    let r = setup("flow");
    let draft = |period: &str, on: &str, who: &str| {
        r.ok(&["invoices", "draft", "--agreement", "xx-test", "--period", period, "--on", on, "--actor", who])
    };

    // Not before the month is over, not out of order, not outside the term; nothing written.
    r.token("finance-officer", "finance_officer"); // made before counting: user creation is journaled
    let before = r.journal_size();
    let early =
        r.refused(&["invoices", "draft", "--agreement", "xx-test", "--period", "2025-01", "--on", "2025-01-31"]);
    assert!(early.contains("not over on 2025-01-31") && early.contains("2025-02-01"), "{early}");
    let order =
        r.refused(&["invoices", "draft", "--agreement", "xx-test", "--period", "2025-02", "--on", "2025-03-01"]);
    assert!(order.contains("issue xx-test/2025-01 first"), "{order}");
    assert!(
        r.refused(&["invoices", "draft", "--agreement", "xx-test", "--period", "2025-07", "--on", "2025-09-01"])
            .contains("outside")
    );
    assert!(
        r.refused(&["invoices", "draft", "--agreement", "xx-test", "--period", "2025-1", "--on", "2025-09-01"])
            .contains("YYYY-MM")
    );
    assert_eq!(r.journal_size(), before, "refusals write nothing");

    // January: P1 from 2025-01-10, 22 days at the medium (base) rate.
    let printed = draft("2025-01", "2025-02-01", "ana");
    assert!(printed.contains("next: another user issues it with `custodia invoices issue 1`"), "{printed}");
    let jan = show(&r, "1");
    assert_eq!(lines(&jan), [line("PERSON_DAYS", 22, 10000, 220000, "")]);
    assert_eq!(jan["document"]["person_days"], 22);
    assert!(jan["issued_by"].is_null());
    let export_draft = r.refused(&["invoices", "export", "1", "--format", "json"]);
    assert!(export_draft.contains("draft"), "{export_draft}");

    // The two-person rule: the preparer cannot issue.
    let same = r.refused(&["invoices", "issue", "1", "--actor", "ana"]);
    assert!(same.contains("two-person rule"), "{same}");
    assert!(r.ok(&["invoices", "issue", "1", "--actor", "ben"]).contains("issued xx-test/2025-01"));
    assert!(r.refused(&["invoices", "issue", "1", "--actor", "carl"]).contains("already issued"));
    assert!(
        r.refused(&[
            "invoices",
            "draft",
            "--agreement",
            "xx-test",
            "--period",
            "2025-01",
            "--on",
            "2025-02-01",
            "--actor",
            "ana"
        ])
        .contains("already issued")
    );

    // A late correction: P1 was in fact released on 2025-01-20 (recorded in February).
    r.ok(&[
        "case",
        "release",
        "1",
        "--to",
        "US",
        "--reason",
        "SENTENCE_SERVED",
        "--occurred-at",
        "2025-01-20T12:00:00Z",
    ]);
    let issued_jan = show(&r, "1");
    assert_eq!(issued_jan["document"], jan["document"], "an issued invoice never changes");

    // February carries the correction: January had 10 days, not 22 → −12 × $100.00.
    let extras = r.file("extras.csv", "date,code,description,amount_minor\n2025-02-03,TRANSPORT,flight share,250000\n");
    r.ok(&[
        "invoices",
        "draft",
        "--agreement",
        "xx-test",
        "--period",
        "2025-02",
        "--on",
        "2025-03-01",
        "--extras",
        &extras,
        "--actor",
        "ana",
    ]);
    let feb = show(&r, "2");
    assert_eq!(
        lines(&feb),
        [
            line("ADJUSTMENT", 1, -120000, -120000, "2025-01"),
            line("EXTRA:TRANSPORT", 1, 250000, 250000, ""),
            line("PERSON_DAYS", 28, 15000, 420000, ""),
        ]
    );
    assert_eq!(feb["document"]["total_minor"], 550000);

    // Another correction before February is issued makes the draft stale: it cannot be issued.
    r.ok(&[
        "case",
        "release",
        "2",
        "--to",
        "US",
        "--reason",
        "SENTENCE_SERVED",
        "--occurred-at",
        "2025-02-15T08:00:00Z",
    ]);
    let stale = r.refused(&["invoices", "issue", "2", "--actor", "ben"]);
    assert!(stale.contains("stale"), "{stale}");
    r.ok(&[
        "invoices",
        "draft",
        "--agreement",
        "xx-test",
        "--period",
        "2025-02",
        "--on",
        "2025-03-01",
        "--extras",
        &extras,
        "--actor",
        "ana",
    ]);
    r.ok(&["invoices", "issue", "3", "--actor", "ben"]);
    let feb = show(&r, "3");
    assert_eq!(
        lines(&feb),
        [
            line("ADJUSTMENT", 1, -120000, -120000, "2025-01"),
            line("EXTRA:TRANSPORT", 1, 250000, 250000, ""),
            line("PERSON_DAYS", 14, 15000, 210000, ""),
        ]
    );
    assert_eq!(feb["issued_by"], "ben");
    assert_eq!(feb["prepared_by"], "ana");

    // Export: the JSON is the canonical document itself, so sha256sum checks it; CSV, a row a line.
    let json_out = r.dir.join("feb.json");
    r.ok(&["invoices", "export", "3", "--format", "json", "--out", json_out.to_str().unwrap()]);
    let bytes = std::fs::read(&json_out).unwrap();
    let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(feb["sha256"], digest.as_str());
    let exported: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(exported, feb["document"]);
    let csv = r.ok(&["invoices", "export", "3", "--format", "csv"]);
    let mut rows = csv.lines();
    assert_eq!(
        rows.next().unwrap(),
        "number,kind,agreement_id,period,currency,code,refers_to,description,quantity,unit_price_minor,amount_minor"
    );
    let rows: Vec<&str> = rows.collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().any(|l| l.starts_with("xx-test/2025-02,invoice,xx-test,2025-02,USD,ADJUSTMENT,2025-01,")
            && l.ends_with(",1,-120000,-120000")),
        "{csv}"
    );
    let amounts: i64 = rows.iter().map(|l| l.rsplit(',').next().unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(amounts, 340000);
    assert!(r.ok(&["invoices", "verify", "3"]).starts_with("ok: xx-test/2025-02"));

    // The adjustment is billed once: March has no further correction for January.
    draft("2025-03", "2025-04-01", "ana");
    let mar = show(&r, "4");
    assert_eq!(lines(&mar), [], "nobody held in March and nothing left to correct");
    let list = r.ok(&["invoices", "list", "--agreement", "xx-test"]);
    assert_eq!(list.lines().count(), 4, "{list}");
    assert!(list.contains("xx-test/2025-03") && list.contains("draft"), "{list}");
    assert!(r.ok(&["journal", "verify"]).starts_with("ok:"));
}

#[test]
fn the_credit_note_settles_the_agreement_and_the_sustainability_report_adds_up() {
    let r = setup("credit");
    r.ok(&[
        "case",
        "release",
        "1",
        "--to",
        "US",
        "--reason",
        "SENTENCE_SERVED",
        "--occurred-at",
        "2025-03-01T12:00:00Z",
    ]);
    let mut id = 0;
    for (period, on) in [
        ("2025-01", "2025-02-01"),
        ("2025-02", "2025-03-01"),
        ("2025-03", "2025-04-01"),
        ("2025-04", "2025-05-01"),
        ("2025-05", "2025-06-01"),
    ] {
        r.ok(&["invoices", "draft", "--agreement", "xx-test", "--period", period, "--on", on, "--actor", "ana"]);
        id += 1;
        r.ok(&["invoices", "issue", &id.to_string(), "--actor", "ben"]);
    }
    let early =
        r.refused(&["invoices", "credit-note", "--agreement", "xx-test", "--on", "2025-07-01", "--actor", "ana"]);
    assert!(early.contains("issue xx-test/2025-06 first"), "{early}");
    r.ok(&[
        "invoices",
        "draft",
        "--agreement",
        "xx-test",
        "--period",
        "2025-06",
        "--on",
        "2025-07-01",
        "--actor",
        "ana",
    ]);
    r.ok(&["invoices", "issue", "6", "--actor", "ben"]);
    let running =
        r.refused(&["invoices", "credit-note", "--agreement", "xx-test", "--on", "2025-06-30", "--actor", "ana"]);
    assert!(running.contains("runs until 2025-06-30"), "{running}");

    // After the end, P2 is found to have left on 2025-06-21, not still held on the 30th:
    // June billed 30 days at $150.00, but only 20 were due → a credit of 10 × $150.00.
    r.ok(&[
        "case",
        "release",
        "2",
        "--to",
        "US",
        "--reason",
        "SENTENCE_SERVED",
        "--occurred-at",
        "2025-06-21T08:00:00Z",
    ]);
    r.ok(&["invoices", "credit-note", "--agreement", "xx-test", "--on", "2025-07-02", "--actor", "ana"]);
    assert!(r.refused(&["invoices", "issue", "7", "--actor", "ana"]).contains("two-person rule"));
    r.ok(&["invoices", "issue", "7", "--actor", "ben"]);
    let cn = show(&r, "7");
    assert_eq!(cn["number"], "xx-test/CN");
    assert_eq!(cn["kind"], "credit_note");
    assert_eq!(lines(&cn), [line("ADJUSTMENT", 1, -150000, -150000, "2025-06")]);
    assert!(
        r.refused(&["invoices", "credit-note", "--agreement", "xx-test", "--on", "2025-08-01", "--actor", "ana"])
            .contains("already issued")
    );

    // Sustainability: January 22 person-days ($2,200.00 invoiced, $2,657.60 at the BOP's $120.80).
    let report = r.ok(&[
        "report",
        "sustainability",
        "--agreement",
        "xx-test",
        "--receiving-budget-minor",
        "120000000",
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["home_cost_per_day_minor"], 12080);
    let jan = &report["months"][0];
    assert_eq!(
        (jan["label"].as_str(), jan["invoiced_minor"].as_i64(), jan["person_days"].as_i64()),
        (Some("2025-01"), Some(220000), Some(22))
    );
    assert_eq!(jan["home_cost_minor"], 22 * 12080);
    assert_eq!(jan["sending_state_saving_minor"], 22 * 12080 - 220000);
    // $2,200.00 against a twelfth of $1.2M a year ($100,000.00): 2.20 % = 220 basis points.
    assert_eq!(jan["budget_share_bp"], 220);
    let months = report["months"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    let year = &report["years"][0];
    let invoiced: i64 = months.iter().map(|m| m["invoiced_minor"].as_i64().unwrap()).sum();
    assert_eq!(year["invoiced_minor"].as_i64().unwrap(), invoiced);
    let all_docs: i64 = (1..=7).map(|i| show(&r, &i.to_string())["total_minor"].as_i64().unwrap()).sum();
    assert_eq!(invoiced, all_docs, "every issued document, the credit note included, is counted once");
    // Both views (docs/billing.md#sustainability): per diem accrues what each month invoiced.
    for m in months {
        assert_eq!(m["accrued_minor"], m["invoiced_minor"], "{m}");
        let expected = m["home_cost_minor"].as_i64().unwrap() - m["accrued_minor"].as_i64().unwrap();
        assert_eq!(m["accrual_saving_minor"].as_i64(), Some(expected), "{m}");
        assert!(m.get("accrual_budget_share_bp").is_some(), "{m}");
    }
    assert_eq!(year["accrued_minor"].as_i64().unwrap(), invoiced);
    // Journeys from the custody records: two departures (January, February), no tariff.
    assert_eq!(report["transport_priced"], false);
    let journeys: Vec<(i64, i64)> =
        months.iter().map(|m| (m["departures"].as_i64().unwrap(), m["returns"].as_i64().unwrap())).collect();
    assert_eq!(journeys, [(1, 0), (1, 0), (0, 0), (0, 0), (0, 0), (0, 0)], "a release is not a journey back");
    assert!(months.iter().all(|m| m["transport_minor"].is_null()));
    assert_eq!((year["departures"].as_i64(), year["returns"].as_i64()), (Some(2), Some(0)));
    let table = r.ok(&["report", "sustainability", "--agreement", "xx-test"]);
    assert!(table.contains("120.80 a day") && table.contains("year 1"), "{table}");
    assert!(table.contains("accrual") && table.contains("not priced"), "{table}");
}

/// The command line now applies the API's rules: the role's capability, the scope, and the one set
/// of extras rules (a code of at most 64 bytes, an amount of at most 10^15, a date in the period),
/// each problem named with its line; nothing is written.
#[test]
fn drafting_applies_the_same_rules_as_the_api() {
    let r = setup("rules");
    let auditor = r.token("audrey", "auditor"); // made before counting: user creation is journaled
    let before = r.journal_size();
    let draft = ["invoices", "draft", "--agreement", "xx-test", "--period", "2025-01", "--on", "2025-02-01"];
    let output = r.run_with_token(&auditor, &draft);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr).unwrap().contains("FORBIDDEN"));
    let long = "X".repeat(65);
    let extras = r.file(
        "bad-extras.csv",
        &format!(
            "date,code,description,amount_minor\n2025-01-03,{long},too long,100\n2025-02-03,LATE,next month,100\n2025-01-04,BIG,huge,1000000000000001\n"
        ),
    );
    let mut args = draft.to_vec();
    args.extend(["--extras", &extras]);
    let refused = r.refused(&args);
    for needle in [
        "bad-extras.csv:2: code",
        "bad-extras.csv:3: date",
        "not in the period 2025-01",
        "bad-extras.csv:4: amount_minor",
    ] {
        assert!(refused.contains(needle), "{needle} missing: {refused}");
    }
    let missing = r.refused(&["invoices", "show", "99"]);
    assert!(missing.contains("NOT_FOUND") && missing.contains("invoice 99 does not exist"), "{missing}");
    assert_eq!(r.journal_size(), before, "refusals write nothing");
    r.ok(&draft);
    let export = r.refused(&["invoices", "export", "1", "--format", "csv"]);
    assert!(export.contains("NOT_ISSUED"), "{export}");
}
