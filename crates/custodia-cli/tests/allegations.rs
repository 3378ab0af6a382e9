//! Deaths and allegations from the command line (docs/oversight.md#investigations,
//! docs/oversight.md#notifications-report): a torture allegation opens its notification and its
//! investigation, an investigation left open past 30 days is a warning, a refused move writes
//! nothing, and a notification sent late stays visible as late. Each scenario runs on SQLite and,
//! with `CUSTODIA_TEST_POSTGRES_URL`, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::Register;
use serde_json::Value;

const AGREEMENT: &str = "examples/agreements/us-sv-cecot.toml";

fn allegation(r: &Register) -> String {
    r.ok(&[
        "incident",
        "file",
        "--agreement",
        "us-sv-cecot",
        "--kind",
        "torture_allegation",
        "--occurred-at",
        "2025-05-01T10:00:00Z",
        "--report",
        "detainee says he was beaten during the night count",
    ])
}

fn alert_codes(r: &Register, on: &str) -> Vec<(String, String)> {
    let json: Value =
        serde_json::from_str(&r.ok(&["alerts", "--agreement", "us-sv-cecot", "--on", on, "--json"])).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|a| (a["code"].as_str().unwrap().to_owned(), a["reason"].as_str().unwrap().to_owned()))
        .collect()
}

#[test]
fn a_torture_allegation_opens_its_notification_and_an_investigation_overdue_after_30_days() {
    for r in Register::on_every_database("allegation") {
        let db = r.database();
        r.ok(&["import", "agreement", AGREEMENT]);
        let filed = allegation(&r);
        // The independent authority, within torture_allegation_hours (24 by default); no one else.
        assert!(filed.contains("notify independent_authority  due 2025-05-02T10:00:00Z"), "{db}: {filed}");
        assert!(!filed.contains("next_of_kin") && !filed.contains("sending_state"), "{db}: {filed}");
        assert!(filed.contains("investigation open  to be closed by 2025-05-31T10:00:00Z"), "{db}: {filed}");

        let overdue = |on: &str| {
            alert_codes(&r, on).into_iter().filter(|(code, _)| code == "INVESTIGATION_OVERDUE").collect::<Vec<_>>()
        };
        assert!(overdue("2025-05-30").is_empty(), "{db}: within 30 days");
        let warned = overdue("2025-06-01");
        assert_eq!(warned.len(), 1, "{db}: open 31 days");
        assert_eq!(warned[0].1, "investigation open 31 days after the allegation (to be closed within 30)", "{db}");
        let table = r.ok(&["alerts", "--agreement", "us-sv-cecot", "--on", "2025-06-01"]);
        assert!(
            table.lines().any(|l| l.starts_with("warning") && l.contains("INVESTIGATION_OVERDUE")),
            "{db}: {table}"
        );

        // Investigating is not closed: still a warning; closed with a finding, no longer.
        r.ok(&["incident", "investigate", "1", "--status", "investigating"]);
        assert_eq!(overdue("2025-06-01").len(), 1, "{db}");
        let closed = r.ok(&["incident", "investigate", "1", "--status", "closed", "--finding", "substantiated"]);
        assert!(closed.contains("investigation closed, finding substantiated"), "{db}: {closed}");
        assert!(closed.contains("    investigating by legal-officer at "), "{db}: {closed}");
        assert!(closed.contains("    closed by legal-officer at "), "{db}: {closed}");
        assert!(overdue("2099-01-01").is_empty(), "{db}: closed");
    }
}

#[test]
fn closing_an_investigation_without_a_finding_is_refused_and_writes_nothing() {
    for r in Register::on_every_database("investigation-refused") {
        let db = r.database();
        r.ok(&["import", "agreement", AGREEMENT]);
        allegation(&r);
        r.ok(&[
            "incident",
            "file",
            "--agreement",
            "us-sv-cecot",
            "--kind",
            "death",
            "--occurred-at",
            "2025-05-02T10:00:00Z",
            "--report",
            "found dead in his cell",
        ]);
        let before = r.verified_events();
        let skipped = r.refused(&["incident", "investigate", "1", "--status", "closed", "--finding", "inconclusive"]);
        assert!(
            skipped.contains("INVESTIGATION_STATE: an investigation cannot go from open to closed"),
            "{db}: {skipped}"
        );
        let early =
            r.refused(&["incident", "investigate", "1", "--status", "investigating", "--finding", "substantiated"]);
        assert!(early.contains("finding: only closing an investigation records a finding"), "{db}: {early}");
        let staff =
            r.refused(&["incident", "investigate", "1", "--status", "investigating", "--actor", "facility-officer"]);
        assert!(staff.contains("FORBIDDEN") || staff.to_lowercase().contains("may not"), "{db}: {staff}");
        let death = r.refused(&["incident", "investigate", "2", "--status", "investigating"]);
        assert!(death.contains("NO_INVESTIGATION"), "{db}: {death}");
        assert_eq!(r.verified_events(), before, "{db}: refused moves wrote nothing");

        r.ok(&["incident", "investigate", "1", "--status", "investigating", "--actor", "inspector"]);
        let before = r.verified_events();
        let blank = r.refused(&["incident", "investigate", "1", "--status", "closed"]);
        assert!(blank.contains("FINDING_REQUIRED: closing an investigation needs a finding"), "{db}: {blank}");
        assert_eq!(r.verified_events(), before, "{db}: closing without a finding wrote nothing");
        let shown = r.ok(&["incident", "show", "1"]);
        assert!(shown.contains("investigation investigating  to be closed by"), "{db}: {shown}");
        assert!(shown.contains("    investigating by inspector at "), "{db}: {shown}");
        r.ok(&["incident", "investigate", "1", "--status", "closed", "--finding", "inconclusive"]);
        assert_eq!(r.verified_events(), before + 1, "{db}: one move, one event");
        let again = r.refused(&["incident", "investigate", "1", "--status", "closed", "--finding", "substantiated"]);
        assert!(
            again.contains("INVESTIGATION_STATE: an investigation cannot go from closed to closed"),
            "{db}: {again}"
        );
        let bad = r.run(&["incident", "investigate", "1", "--status", "open"]);
        assert_eq!(bad.status.code(), Some(2), "{db}: open is not a move");
        assert!(String::from_utf8_lossy(&bad.stderr).contains("must be investigating or closed"), "{db}");
    }
}

#[test]
fn a_notification_sent_late_stays_listed_as_sent_late_with_its_lateness() {
    for r in Register::on_every_database("late-notification") {
        let db = r.database();
        r.ok(&["import", "agreement", AGREEMENT]);
        r.ok(&[
            "incident",
            "file",
            "--agreement",
            "us-sv-cecot",
            "--kind",
            "death",
            "--occurred-at",
            "2025-04-01T03:00:00Z",
            "--report",
            "found unresponsive",
        ]);
        // Due 2025-04-02T03:00:00Z; sent 26 hours 5 minutes after.
        let late = r.ok(&["incident", "notify", "1", "--recipient", "next_of_kin", "--at", "2025-04-03T05:05:00Z"]);
        assert!(
            late.contains(
                "notify next_of_kin            due 2025-04-02T03:00:00Z  sent late by 26h 05m at 2025-04-03T05:05:00Z"
            ),
            "{db}: {late}"
        );
        r.ok(&["incident", "notify", "1", "--recipient", "sending_state", "--at", "2025-04-01T09:00:00Z"]);
        for shown in [r.ok(&["incident", "show", "1"]), r.ok(&["incident", "list", "--agreement", "us-sv-cecot"])] {
            assert!(shown.contains("sent late by 26h 05m"), "{db}: still late once sent: {shown}");
            assert!(shown.contains("sending_state          due 2025-04-02T03:00:00Z  sent on time"), "{db}: {shown}");
            assert!(shown.contains("independent_authority  due 2025-04-04T03:00:00Z  overdue by "), "{db}: {shown}");
        }

        let report: Value =
            serde_json::from_str(&r.ok(&["report", "notifications", "--agreement", "us-sv-cecot", "--json"])).unwrap();
        let lines = report.as_array().unwrap();
        assert_eq!(lines.len(), 3, "{db}: {report}");
        let kin = &lines[0];
        assert_eq!(
            (kin["incident_id"].as_i64(), kin["recipient"].as_str(), kin["status"].as_str(), kin["late_by"].as_str()),
            (Some(1), Some("next_of_kin"), Some("sent_late"), Some("26h 05m")),
            "{db}: {report}"
        );
        assert_eq!(kin["due_at"], "2025-04-02T03:00:00Z");
        assert_eq!(kin["sent_at"], "2025-04-03T05:05:00Z");
        assert_eq!(kin["late_by_seconds"], 26 * 3600 + 5 * 60);
        assert_eq!((lines[1]["status"].as_str(), lines[1]["late_by"].is_null()), (Some("sent_on_time"), true), "{db}");
        assert_eq!(lines[2]["status"], "overdue", "{db}");
        assert!(lines[2]["late_by"].as_str().unwrap().ends_with('m') && lines[2]["sent_at"].is_null(), "{db}");

        let table = r.ok(&["report", "notifications", "--agreement", "us-sv-cecot"]);
        let row = table.lines().find(|l| l.contains("next_of_kin")).unwrap();
        assert!(row.contains("sent_late") && row.ends_with("26h 05m"), "{db}: {table}");

        // The overdue one is an alert, its time in hours and minutes, judged at the end of 5 April in
        // San Salvador (06:00 UTC on 6 April): 51 hours after the deadline.
        let alerts = alert_codes(&r, "2025-04-05");
        assert!(
            alerts.contains(&(
                "NOTIFICATION_OVERDUE".into(),
                "independent_authority not notified; overdue by 51h 00m".into()
            )),
            "{db}: {alerts:?}"
        );
    }
}
