//! Days are the facility's days (docs/lifecycle.md#days) from the command line, on SQLite and on
//! PostgreSQL: a release at 19:00 on 31 March in San Salvador is a March release for the invoice,
//! a notification deadline is judged on the facility's day, an instant written with `-06:00` is
//! kept in UTC, and with no day given the alerts are today's in the agreement's zone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::Register;
use custodia_core::zone::TimeZone;

/// A per-diem agreement ($100.00 a day) from March 2025, its facility in San Salvador (UTC−6).
const AGREEMENT: &str = r#"
id = "xx-days"
title = "Facility days test agreement"
sending_state = "US"
receiving_state = "SV"
legal_custodian = "sending"
governing_law = "sending"
currency = "USD"
starts = 2025-03-01
ends = 2025-12-31
sentence_profile = "us-federal"
[[facilities]]
id = "f1"
name = "Facility one"
country = "SV"
stated_capacity = 100
contracted_places = 50
time_zone = "America/El_Salvador"
[fees]
model = "per_diem"
rate_minor = 10000
"#;

/// Takes a new case of `person` from proposal to admission on day `on`, the register screening
/// them on that day.
fn admit(r: &Register, case: &str, person: &str, on: &str) {
    let early = format!("{on}T08:00:00-06:00");
    let when = ["--occurred-at", early.as_str()];
    r.ok(&[&["case", "propose", "--agreement", "xx-days", "--person", person][..], &when].concat());
    r.ok(&[&["case", "screen", case, "--reason", "SCREENED"][..], &when].concat());
    r.ok(&[&["case", "approve", case, "--state", "sending", "--reason", "AGREED"][..], &when].concat());
    r.ok(&[&["case", "approve", case, "--state", "receiving", "--reason", "AGREED"][..], &when].concat());
    r.ok(&[&["case", "schedule", case, "--reason", "FLIGHT_BOOKED"][..], &when].concat());
    r.ok(&[&["case", "depart", case, "--reason", "FLIGHT_LEFT"][..], &when].concat());
    let at = format!("{on}T09:00:00-06:00");
    r.ok(&[
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
        "--occurred-at",
        &at,
    ]);
}

fn setup(r: &Register) {
    r.ok(&["import", "agreement", &r.file("agreement.toml", AGREEMENT)]);
    let cells = r.file("cells.csv", "facility_id,cell_id,unit,kind,area_m2,beds\nf1,A-1,A,shared,40,10\n");
    r.ok(&["import", "cells", &cells, "--agreement", "xx-days"]);
    let persons = r.file(
        "p.csv",
        "person_id,nationalities,conviction,sentence_start,sentence_term,security_class\n\
         P1,VE,final,2024-01-01,10y,medium\nP2,VE,final,2024-01-01,10y,medium\nP3,VE,final,2024-01-01,10y,medium\n",
    );
    r.ok(&["import", "persons", &persons, "--agreement", "xx-days"]);
    admit(r, "1", "P1", "2025-03-10");
    admit(r, "2", "P2", "2025-03-10");
}

fn show(r: &Register, id: &str) -> serde_json::Value {
    serde_json::from_str(&r.ok(&["invoices", "show", id, "--json"])).unwrap()
}

/// The journal's case transitions of `case`, as exported.
fn transitions(r: &Register, case: i64) -> Vec<serde_json::Value> {
    r.ok(&["journal", "export"])
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["kind"] == "case.transition" && e["data"]["case_id"] == case)
        .collect()
}

#[test]
fn a_release_at_19_00_on_31_march_in_san_salvador_is_a_march_release() {
    for r in Register::on_each_database("days-billing") {
        let db = r.backend();
        setup(&r);
        // P1 leaves at 19:00 on 31 March in San Salvador (01:00 on 1 April in UTC); P2 half an
        // hour after midnight on 1 April there (06:30 UTC): an April release.
        r.ok(&[
            "case",
            "release",
            "1",
            "--to",
            "VE",
            "--reason",
            "SENTENCE_SERVED",
            "--occurred-at",
            "2025-03-31T19:00:00-06:00",
        ]);
        r.ok(&[
            "case",
            "release",
            "2",
            "--to",
            "VE",
            "--reason",
            "SENTENCE_SERVED",
            "--occurred-at",
            "2025-04-01T00:30:00-06:00",
        ]);
        let release = transitions(&r, 1).into_iter().find(|e| e["data"]["action"] == "release").unwrap();
        assert_eq!(release["data"]["occurred_at"], "2025-04-01T01:00:00Z", "{db}: kept in UTC");

        // March: P1 is billed 10–30 March (the release day is not a day held: docs/billing.md),
        // P2 10–31 March. Had the day been UTC's, P1 would have had 22 days too.
        r.ok(&[
            "invoices",
            "draft",
            "--agreement",
            "xx-days",
            "--period",
            "2025-03",
            "--on",
            "2025-04-01",
            "--actor",
            "ana",
        ]);
        let march = show(&r, "1");
        assert_eq!(march["document"]["person_days"], 21 + 22, "{db}: {march}");
        r.ok(&["invoices", "issue", "1", "--actor", "ben"]);

        // April: nobody is held, nothing to adjust.
        r.ok(&[
            "invoices",
            "draft",
            "--agreement",
            "xx-days",
            "--period",
            "2025-04",
            "--on",
            "2025-05-01",
            "--actor",
            "ana",
        ]);
        let april = show(&r, "2");
        assert_eq!(april["document"]["person_days"], 0, "{db}: {april}");
        assert_eq!(april["document"]["total_minor"], 0, "{db}: {april}");
        r.ok(&["invoices", "issue", "2", "--actor", "ben"]);

        // A late correction still becomes an adjustment, dated in the facility's days: P3,
        // admitted 30 March and recorded as released at 18:00 on 31 March (00:00 UTC on 1 April)
        // only after March was issued, adds one day (30 March) to March.
        admit(&r, "3", "P3", "2025-03-30");
        r.ok(&[
            "case",
            "release",
            "3",
            "--to",
            "VE",
            "--reason",
            "SENTENCE_SERVED",
            "--occurred-at",
            "2025-03-31T18:00:00-06:00",
        ]);
        r.ok(&[
            "invoices",
            "draft",
            "--agreement",
            "xx-days",
            "--period",
            "2025-05",
            "--on",
            "2025-06-01",
            "--actor",
            "ana",
        ]);
        let may = show(&r, "3");
        let lines = may["document"]["lines"].as_array().unwrap();
        let adjustment = lines.iter().find(|l| l["code"] == "ADJUSTMENT").unwrap();
        assert_eq!(adjustment["refers_to"], "2025-03", "{db}: {may}");
        assert_eq!(adjustment["amount_minor"], 10000, "{db}: one day, 30 March: {may}");
    }
}

#[test]
fn notification_deadlines_are_judged_on_the_facility_day() {
    for r in Register::on_each_database("days-alerts") {
        let db = r.backend();
        setup(&r);
        // Injured at 20:00 on 30 March in San Salvador (02:00 UTC on 31 March): next of kin and
        // the sending state are due 24 h later, 20:00 on 31 March there, 1 April in UTC.
        let filed = r.ok(&[
            "incident",
            "file",
            "--agreement",
            "xx-days",
            "--case",
            "1",
            "--kind",
            "serious_injury",
            "--occurred-at",
            "2025-03-30T20:00:00-06:00",
            "--report",
            "fell in the yard",
        ]);
        assert!(filed.contains("at 2025-03-31T02:00:00Z"), "{db}: kept in UTC: {filed}");
        assert!(filed.contains("due 2025-04-01T02:00:00Z"), "{db}: {filed}");
        let overdue = |on: &str| {
            let json = r.ok(&["alerts", "--agreement", "xx-days", "--on", on, "--json"]);
            let alerts: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
            alerts.iter().filter(|a| a["code"] == "NOTIFICATION_OVERDUE").count()
        };
        assert_eq!(overdue("2025-03-30"), 0, "{db}");
        assert_eq!(overdue("2025-03-31"), 2, "{db}: overdue by the end of 31 March in San Salvador");
    }
}

/// With no `--on`, the alerts are today's in the agreement's zone: Kiritimati (UTC+14) and Pago
/// Pago (UTC−11) are always on different days, so at most one of them is the UTC date.
#[test]
fn alerts_without_a_day_are_todays_in_the_facility_zone() {
    for r in Register::on_each_database("days-today") {
        let db = r.backend();
        for (id, zone) in [("xx-east", "Pacific/Kiritimati"), ("xx-west", "Pacific/Pago_Pago")] {
            let source = AGREEMENT.replace("xx-days", id).replace("America/El_Salvador", zone);
            r.ok(&["import", "agreement", &r.file(&format!("{id}.toml"), &source)]);
            let tz = TimeZone::parse(zone).unwrap();
            let before = tz.local_date(unix_now()).to_string();
            let printed = r.ok(&["alerts", "--agreement", id]);
            let after = tz.local_date(unix_now()).to_string();
            assert!(
                printed == format!("no open alerts for {id} on {before}\n")
                    || printed == format!("no open alerts for {id} on {after}\n"),
                "{db}: {zone}: {printed}"
            );
        }
    }
}

/// Now, as the binary reads it: this test checks the binary's default day against the clock.
#[allow(clippy::disallowed_methods)]
fn unix_now() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}
