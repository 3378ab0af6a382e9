//! Deaths and allegations over HTTP (docs/oversight.md#investigations,
//! docs/oversight.md#notifications-report): a torture allegation opens its notification and its
//! investigation, one left open 31 days is `INVESTIGATION_OVERDUE`, a refused move writes nothing,
//! and a notification sent late stays late on its incident and in the notifications report. On
//! PostgreSQL when `CUSTODIA_TEST_POSTGRES_URL` is set, else on SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::TestServer;
use custodia_store::prelude::*;
use serde_json::{Value, json};

const AGREEMENT: &str = "us-sv-cecot";

async fn file(server: &TestServer, token: &str, kind: &str, occurred_at: &str) -> Value {
    let (status, incident) = server
        .post(
            token,
            "/api/v1/incidents",
            json!({"agreement_id": AGREEMENT, "kind": kind, "occurred_at": occurred_at, "report": "as reported"}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    incident
}

async fn overdue_investigations(server: &TestServer, token: &str, on: &str) -> Vec<Value> {
    let (status, alerts) = server.get(token, &format!("/api/v1/alerts?agreement={AGREEMENT}&on={on}")).await;
    assert_eq!(status, 200, "{alerts}");
    alerts.as_array().unwrap().iter().filter(|a| a["code"] == "INVESTIGATION_OVERDUE").cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torture_allegation_opens_its_notification_and_an_investigation_overdue_after_30_days() {
    let server = TestServer::start(&["examples/agreements/us-sv-cecot.toml"]).await;
    let facility = server.user("fred", "facility_officer", &[AGREEMENT], &[]).await;
    let legal = server.user("lena", "legal_officer", &[AGREEMENT], &[]).await;

    let incident = file(&server, &facility, "torture_allegation", "2025-05-01T10:00:00Z").await;
    let notes = incident["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{incident}");
    assert_eq!(notes[0]["recipient"], "independent_authority");
    assert_eq!(notes[0]["due_at"], "2025-05-02T10:00:00Z", "within torture_allegation_hours (24)");
    let investigation = &incident["investigation"];
    assert_eq!(investigation["state"], "open", "{incident}");
    assert_eq!(investigation["due_at"], "2025-05-31T10:00:00Z");
    assert!(investigation["finding"].is_null() && investigation["steps"].as_array().unwrap().is_empty());
    let id = incident["id"].as_i64().unwrap();

    assert!(overdue_investigations(&server, &legal, "2025-05-30").await.is_empty(), "within 30 days");
    let warned = overdue_investigations(&server, &legal, "2025-06-01").await;
    assert_eq!(warned.len(), 1, "open 31 days");
    assert_eq!(warned[0]["severity"], "warning");
    assert_eq!(warned[0]["subject"], format!("incident-{id}"));
    assert_eq!(warned[0]["reason"], "investigation open 31 days after the allegation (to be closed within 30)");

    let path = format!("/api/v1/incidents/{id}/investigation");
    let (status, moved) = server.post(&legal, &path, json!({"status": "investigating"})).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(overdue_investigations(&server, &legal, "2025-06-01").await.len(), 1, "investigating is not closed");
    let (status, closed) = server.post(&legal, &path, json!({"status": "closed", "finding": "unsubstantiated"})).await;
    assert_eq!(status, 200, "{closed}");
    let investigation = &closed["investigation"];
    assert_eq!(
        (investigation["state"].as_str(), investigation["finding"].as_str()),
        (Some("closed"), Some("unsubstantiated"))
    );
    let steps = investigation["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!((steps[0]["state"].as_str(), steps[0]["by"].as_str()), (Some("investigating"), Some("lena")));
    assert_eq!((steps[1]["state"].as_str(), steps[1]["finding"].as_str()), (Some("closed"), Some("unsubstantiated")));
    assert!(steps[1]["at"].as_str().unwrap().ends_with('Z'));
    assert!(overdue_investigations(&server, &legal, "2099-01-01").await.is_empty(), "closed");
    let (status, read) = server.get(&legal, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!((status, &read["investigation"]), (200, investigation), "the incident view shows it");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_investigation_without_a_finding_is_refused_and_writes_nothing() {
    let server = TestServer::start(&["examples/agreements/us-sv-cecot.toml"]).await;
    let facility = server.user("fred", "facility_officer", &[AGREEMENT], &[]).await;
    let inspector = server.user("ines", "inspector", &[AGREEMENT], &[]).await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    let outsider = server.user("otto", "legal_officer", &["dk-xk-gjilan"], &[]).await;
    let allegation = file(&server, &facility, "torture_allegation", "2025-05-01T10:00:00Z").await;
    let death = file(&server, &facility, "death", "2025-05-02T10:00:00Z").await;
    assert!(death["investigation"].is_null(), "{death}");
    let path = format!("/api/v1/incidents/{}/investigation", allegation["id"]);

    let size = server.store.journal_size().await.unwrap();
    for (token, body, expected) in [
        (&inspector, json!({"status": "closed", "finding": "inconclusive"}), (409, "INVESTIGATION_STATE")),
        (&inspector, json!({"status": "investigating", "finding": "substantiated"}), (400, "INVALID")),
        (&inspector, json!({"status": "open"}), (400, "INVALID")),
        (&inspector, json!({"status": "investigating", "finding": "proven"}), (400, "INVALID")),
        (&facility, json!({"status": "investigating"}), (403, "FORBIDDEN")),
        (&auditor, json!({"status": "investigating"}), (403, "FORBIDDEN")),
        (&outsider, json!({"status": "investigating"}), (404, "NOT_FOUND")),
    ] {
        let (status, answer) = server.post(token, &path, body.clone()).await;
        assert_eq!((status, answer["code"].as_str().unwrap()), expected, "{body} → {answer}");
    }
    let (status, answer) =
        server.post(&inspector, &path, json!({"status": "investigating", "finding": "substantiated"})).await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("finding")), "{answer}");
    let (status, answer) = server.post(&inspector, &path, json!({"status": "open"})).await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("status")), "{answer}");
    let (status, answer) = server
        .post(
            &inspector,
            &format!("/api/v1/incidents/{}/investigation", death["id"]),
            json!({"status": "investigating"}),
        )
        .await;
    assert_eq!((status, answer["code"].as_str()), (409, Some("NO_INVESTIGATION")), "{answer}");
    assert_eq!(server.store.journal_size().await.unwrap(), size, "refused moves wrote nothing");

    let (status, _) = server.post(&inspector, &path, json!({"status": "investigating"})).await;
    assert_eq!(status, 200);
    let size = server.store.journal_size().await.unwrap();
    let (status, answer) = server.post(&inspector, &path, json!({"status": "closed"})).await;
    assert_eq!((status, answer["code"].as_str()), (409, Some("FINDING_REQUIRED")), "{answer}");
    assert_eq!(server.store.journal_size().await.unwrap(), size, "closing without a finding wrote nothing");
    let (status, shown) = server.get(&auditor, &format!("/api/v1/incidents/{}", allegation["id"])).await;
    assert_eq!((status, shown["investigation"]["state"].as_str()), (200, Some("investigating")), "{shown}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_sent_late_stays_listed_as_sent_late_with_its_lateness() {
    let server = TestServer::start(&["examples/agreements/us-sv-cecot.toml"]).await;
    let facility = server.user("fred", "facility_officer", &[AGREEMENT], &[]).await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    let outsider = server.user("otto", "auditor", &["dk-xk-gjilan"], &[]).await;
    let death = file(&server, &facility, "death", "2025-04-01T03:00:00Z").await;
    let id = death["id"].as_i64().unwrap();
    let notify = format!("/api/v1/incidents/{id}/notifications");
    // Due 2025-04-02T03:00:00Z; sent 26 hours 5 minutes after.
    let (status, after) =
        server.post(&facility, &notify, json!({"recipient": "next_of_kin", "at": "2025-04-03T05:05:00Z"})).await;
    assert_eq!(status, 200, "{after}");
    let (status, _) =
        server.post(&facility, &notify, json!({"recipient": "sending_state", "at": "2025-04-01T09:00:00Z"})).await;
    assert_eq!(status, 200);

    let (status, incident) = server.get(&auditor, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200);
    let kin = &incident["notifications"][0];
    assert_eq!(
        (kin["status"].as_str(), kin["late_by"].as_str(), kin["late_by_seconds"].as_i64()),
        (Some("sent_late"), Some("26h 05m"), Some(26 * 3600 + 300)),
        "still late once sent: {incident}"
    );
    assert_eq!(incident["notifications"][1]["status"], "sent_on_time");
    assert!(incident["notifications"][1]["late_by"].is_null());
    assert_eq!(incident["notifications"][2]["status"], "overdue");

    let (status, report) = server.get(&auditor, &format!("/api/v1/reports/notifications?agreement={AGREEMENT}")).await;
    assert_eq!(status, 200, "{report}");
    let lines = report.as_array().unwrap();
    assert_eq!(lines.len(), 3, "{report}");
    assert_eq!(
        lines[0],
        json!({
            "incident_id": id, "kind": "death", "case_id": null, "recipient": "next_of_kin",
            "due_at": "2025-04-02T03:00:00Z", "sent_at": "2025-04-03T05:05:00Z", "status": "sent_late",
            "late_by": "26h 05m", "late_by_seconds": 26 * 3600 + 300
        })
    );
    assert_eq!(
        (lines[1]["recipient"].as_str(), lines[1]["status"].as_str()),
        (Some("sending_state"), Some("sent_on_time"))
    );
    assert_eq!((lines[2]["status"].as_str(), lines[2]["sent_at"].is_null()), (Some("overdue"), true));
    assert!(lines[2]["late_by"].as_str().unwrap().contains("h "), "{report}");

    // Alerts of 5 April are judged at the end of that day in San Salvador (06:00 UTC on 6 April).
    let (status, alerts) = server.get(&auditor, &format!("/api/v1/alerts?agreement={AGREEMENT}&on=2025-04-05")).await;
    assert_eq!(status, 200);
    assert!(
        alerts.as_array().unwrap().iter().any(|a| a["code"] == "NOTIFICATION_OVERDUE"
            && a["reason"] == "independent_authority not notified; overdue by 51h 00m"),
        "{alerts}"
    );
    let (status, _) = server.get(&outsider, &format!("/api/v1/reports/notifications?agreement={AGREEMENT}")).await;
    assert_eq!(status, 404, "out of scope");
    let (status, missing) = server.get(&auditor, "/api/v1/reports/notifications").await;
    assert_eq!(status, 400, "{missing}");
    server.stop().await;
}
