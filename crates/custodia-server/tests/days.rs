//! Days are the facility's days (docs/lifecycle.md#days) over HTTP: a release at 19:00 on 31 March
//! in San Salvador is a March release for the invoice, a notification deadline is judged on the
//! facility's day, and an instant written with `-06:00` is kept in UTC. With
//! CUSTODIA_TEST_POSTGRES_URL set, the same tests run on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::TestServer;
use custodia_store::prelude::*;
use serde_json::{Value, json};

const AGREEMENT: &str = "xx-days";

/// A per-diem agreement ($100.00 a day) from March 2025, its facility in San Salvador (UTC−6).
const SOURCE: &str = r#"
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

struct Staff {
    sender: String,
    receiver: String,
    facility: String,
}

async fn step(server: &TestServer, token: &str, case: i64, body: Value) {
    let (status, answer) = server.post(token, &format!("/api/v1/cases/{case}/transitions"), body.clone()).await;
    assert_eq!(status, 200, "{body} → {answer}");
}

/// Drives a case for `person` from proposal to custody, admitted at 09:00 local on `admitted_on`.
async fn admit(server: &TestServer, staff: &Staff, person: &str, admitted_on: &str) -> i64 {
    // Every step before admission on the admission day, so the register screens the person then.
    let early = format!("{admitted_on}T08:00:00-06:00");
    let id = common::propose_on(server, AGREEMENT, person, "sam", &early).await;
    for (token, mut body) in [
        (&staff.sender, json!({"action": "screen", "reason": "SCREENED"})),
        (&staff.sender, json!({"action": "approve", "reason": "APPROVED", "party": "sending"})),
        (&staff.receiver, json!({"action": "approve", "reason": "APPROVED", "party": "receiving"})),
        (&staff.sender, json!({"action": "schedule", "reason": "FLIGHT_BOOKED"})),
        (&staff.sender, json!({"action": "depart", "reason": "FLIGHT_LEFT"})),
    ] {
        body["occurred_at"] = json!(early);
        step(server, token, id, body).await;
    }
    let admission = json!({
        "action": "admit",
        "reason": "ARRIVED",
        "occurred_at": format!("{admitted_on}T09:00:00-06:00"),
        "admission": {
            "commitment_order": "CO-1",
            "admitted_on": admitted_on,
            "hour": 9,
            "visible_injuries": "none",
            "property": "none",
            "next_of_kin": "none"
        },
        "placement": {"facility_id": "f1", "cell_id": "A-1"}
    });
    step(server, &staff.facility, id, admission).await;
    id
}

async fn setup() -> (TestServer, Staff) {
    let dir = std::env::temp_dir().join(format!("custodia-days-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.toml", rand_suffix()));
    std::fs::write(&path, SOURCE).unwrap();
    let server = TestServer::start(&[path.to_str().unwrap()]).await;
    let _ = std::fs::remove_file(&path);
    let persons = ["P-1", "P-2"].map(|p| common::person(p, "Doe", "1990-01-01", "medium")).to_vec();
    common::import_persons(&server, AGREEMENT, "US", persons).await;
    common::import_cells(&server, AGREEMENT, &[("f1", "A-1", "shared", "40", 10)]).await;
    let staff = Staff {
        sender: server.user("sam", "sending_officer", &[AGREEMENT], &[]).await,
        receiver: server.user("rosa", "receiving_officer", &[AGREEMENT], &[]).await,
        facility: server.user("fred", "facility_officer", &[AGREEMENT], &["f1"]).await,
    };
    (server, staff)
}

/// A name no other test of this binary uses at the same time.
fn rand_suffix() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("agreement-{}", N.fetch_add(1, Ordering::SeqCst))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_at_19_00_on_31_march_in_san_salvador_is_a_march_release() {
    let (server, staff) = setup().await;
    let p1 = admit(&server, &staff, "P-1", "2025-03-10").await;
    let p2 = admit(&server, &staff, "P-2", "2025-03-10").await;
    // P-1 leaves at 19:00 on 31 March in San Salvador (01:00 on 1 April UTC); P-2 at 00:30 on
    // 1 April there.
    let release = |at: &str| json!({"action": "release", "to": "VE", "reason": "SENTENCE_SERVED", "occurred_at": at});
    step(&server, &staff.facility, p1, release("2025-03-31T19:00:00-06:00")).await;
    step(&server, &staff.facility, p2, release("2025-04-01T00:30:00-06:00")).await;
    let bodies = server.store.case_transition_bodies(AGREEMENT).await.unwrap();
    let stored: Vec<Value> = bodies.iter().map(|b| serde_json::from_str(b).unwrap()).collect();
    let p1_release =
        stored.iter().find(|e| e["data"]["case_id"] == p1 && e["data"]["action"] == "release").unwrap().clone();
    assert_eq!(p1_release["data"]["occurred_at"], "2025-04-01T01:00:00Z", "kept in UTC");

    // March: P-1 10–30 March (the release day is not a day held), P-2 10–31 March; UTC days
    // would have given P-1 22 days as well.
    let ana = server.user("ana", "finance_officer", &[AGREEMENT], &[]).await;
    let ben = server.user("ben", "finance_officer", &[AGREEMENT], &[]).await;
    let (status, march) =
        server.post(&ana, "/api/v1/invoices", json!({"agreement_id": AGREEMENT, "period": "2025-03"})).await;
    assert_eq!(status, 201, "{march}");
    assert_eq!(march["document"]["person_days"], 21 + 22, "{march}");
    let (status, issued) = server.post(&ben, &format!("/api/v1/invoices/{}/issue", march["id"]), json!({})).await;
    assert_eq!(status, 200, "{issued}");
    let (status, april) =
        server.post(&ana, "/api/v1/invoices", json!({"agreement_id": AGREEMENT, "period": "2025-04"})).await;
    assert_eq!(status, 201, "{april}");
    assert_eq!((april["document"]["person_days"].clone(), april["total_minor"].clone()), (json!(0), json!(0)));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_deadlines_are_judged_on_the_facility_day() {
    let (server, staff) = setup().await;
    let case = admit(&server, &staff, "P-1", "2025-03-10").await;
    // Injured at 20:00 on 30 March in San Salvador: next of kin and the sending state are due at
    // 20:00 on 31 March there — 02:00 on 1 April in UTC.
    let (status, incident) = server
        .post(
            &staff.facility,
            "/api/v1/incidents",
            json!({"agreement_id": AGREEMENT, "case_id": case, "kind": "serious_injury",
                   "occurred_at": "2025-03-30T20:00:00-06:00", "report": "fell in the yard"}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    assert_eq!(incident["occurred_at"], "2025-03-31T02:00:00Z", "kept in UTC");
    assert_eq!(incident["notifications"][0]["due_at"], "2025-04-01T02:00:00Z");
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    let overdue = |on: &'static str| {
        let (server, auditor) = (&server, &auditor);
        async move {
            let (status, alerts) = server.get(auditor, &format!("/api/v1/alerts?agreement={AGREEMENT}&on={on}")).await;
            assert_eq!(status, 200, "{alerts}");
            alerts.as_array().unwrap().iter().filter(|a| a["code"] == "NOTIFICATION_OVERDUE").count()
        }
    };
    assert_eq!(overdue("2025-03-30").await, 0);
    assert_eq!(overdue("2025-03-31").await, 2, "overdue by the end of 31 March in San Salvador");
    server.stop().await;
}
