//! End to end: incidents, inspections and contacts (docs/oversight.md), invoices under the two-person rule
//! and the reports (docs/billing.md, docs/oversight.md#legal-basis), and the signed journal with its proofs (docs/journal.md), over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::TestServer;
use custodia_journal::checkpoint::{Verifier, open_checkpoint, open_note};
use custodia_journal::merkle::{self, Hash};
use custodia_store::prelude::*;
use serde_json::{Value, json};

const AGREEMENT: &str = "us-sv-cecot";

use common::{Staff, admit, staff};

async fn setup() -> (TestServer, Staff, i64) {
    let server =
        TestServer::start(&["examples/agreements/us-sv-cecot.toml", "examples/agreements/dk-xk-gjilan.toml"]).await;
    setup_on(server).await
}

async fn setup_on(server: TestServer) -> (TestServer, Staff, i64) {
    // Admitted on 2025-03-20: the torture-risk assessment must be at most 90 days old on each step's day.
    let persons =
        [common::person("P-1", "Doe", "1990-01-01", "high"), common::person("P-2", "Roe", "1985-06-30", "medium")].map(
            |mut p| {
                p.torture_risk_assessed_on = Some("2025-03-01".into());
                p
            },
        );
    common::import_persons(&server, AGREEMENT, "US", persons.into()).await;
    common::import_cells(&server, AGREEMENT, &[("cecot", "C-1", "shared", "100", 20)]).await;
    let staff = staff(&server).await;
    let case = admit(&server, &staff, "P-1", "C-1", "2025-03-20").await;
    (server, staff, case)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incidents_open_notifications_and_only_grow() {
    let (server, staff, case) = setup().await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    let outsider = server.user("otto", "admin", &["dk-xk-gjilan"], &[]).await;

    // A death opens three notifications, due 24 / 24 / 72 hours after it occurred.
    let report = "found unresponsive in cell C-1 at 04:10";
    let (status, death) = server
        .post(
            &staff.facility,
            "/api/v1/incidents",
            json!({"agreement_id": AGREEMENT, "case_id": case, "kind": "death", "occurred_at": "2026-01-10T08:00:00Z", "report": report}),
        )
        .await;
    assert_eq!(status, 201, "{death}");
    let id = death["id"].as_i64().unwrap();
    assert_eq!(death["kind"], "death");
    assert_eq!(death["case_id"], case);
    let notes = death["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 3, "{death}");
    let due: Vec<(&str, &str)> =
        notes.iter().map(|n| (n["recipient"].as_str().unwrap(), n["due_at"].as_str().unwrap())).collect();
    assert_eq!(
        due,
        [
            ("next_of_kin", "2026-01-11T08:00:00Z"),
            ("sending_state", "2026-01-11T08:00:00Z"),
            ("independent_authority", "2026-01-13T08:00:00Z")
        ]
    );
    assert!(notes.iter().all(|n| n["status"] == "overdue" && n["sent_at"].is_null()), "{death}");

    // Recording them: on time, late, and never twice.
    let notify = format!("/api/v1/incidents/{id}/notifications");
    let (status, after) =
        server.post(&staff.facility, &notify, json!({"recipient": "next_of_kin", "at": "2026-01-10T12:00:00Z"})).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["notifications"][0]["status"], "sent_on_time");
    assert_eq!(after["notifications"][0]["sent_at"], "2026-01-10T12:00:00Z");
    let (status, after) = server
        .post(&staff.facility, &notify, json!({"recipient": "independent_authority", "at": "2026-01-14T00:00:00Z"}))
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["notifications"][2]["status"], "sent_late");
    let (status, again) =
        server.post(&staff.facility, &notify, json!({"recipient": "next_of_kin", "at": "2026-01-10T13:00:00Z"})).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("NOT_PENDING")), "{again}");
    let (status, bad) =
        server.post(&staff.facility, &notify, json!({"recipient": "the press", "at": "2026-01-10T13:00:00Z"})).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("recipient")), "{bad}");
    let (status, bad) = server
        .post(&staff.facility, &notify, json!({"recipient": "sending_state", "at": "2026-01-09T13:00:00Z"}))
        .await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("at")), "before the incident: {bad}");

    // A correction is an addendum: the original report stays as filed.
    let (status, amended) = server
        .post(
            &staff.facility,
            &format!("/api/v1/incidents/{id}/addenda"),
            json!({"text": "time corrected to 04:50 per the log"}),
        )
        .await;
    assert_eq!(status, 200, "{amended}");
    assert_eq!(amended["report"], report);
    assert_eq!(amended["addenda"], json!([{"author": "fred", "text": "time corrected to 04:50 per the log"}]));
    let (status, empty) =
        server.post(&staff.facility, &format!("/api/v1/incidents/{id}/addenda"), json!({"text": "  "})).await;
    assert_eq!((status, empty["field"].as_str()), (400, Some("text")));
    let (status, edit) = server
        .post(&staff.facility, &format!("/api/v1/incidents/{id}/addenda"), json!({"text": "x", "report": "rewritten"}))
        .await;
    assert_eq!(status, 400, "no field rewrites the report: {edit}");
    let (status, read) = server.get(&auditor, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(read["report"], report);
    assert_eq!(read["addenda"].as_array().unwrap().len(), 1);

    // A hunger strike opens none; other roles and bad input.
    let (status, strike) = server
        .post(
            &staff.receiver,
            "/api/v1/incidents",
            json!({"agreement_id": AGREEMENT, "kind": "hunger_strike", "occurred_at": "2026-02-01T09:00:00Z", "report": "refuses meals"}),
        )
        .await;
    assert_eq!(status, 201, "{strike}");
    assert_eq!(strike["notifications"], json!([]));
    let (status, none) = server
        .post(
            &staff.receiver,
            &format!("/api/v1/incidents/{}/notifications", strike["id"]),
            json!({"recipient": "next_of_kin", "at": "2026-02-01T10:00:00Z"}),
        )
        .await;
    assert_eq!((status, none["code"].as_str()), (409, Some("NOT_PENDING")));
    let file =
        |kind: &str, at: &str| json!({"agreement_id": AGREEMENT, "kind": kind, "occurred_at": at, "report": "r"});
    let (status, _) = server.post(&auditor, "/api/v1/incidents", file("other", "2026-02-01T09:00:00Z")).await;
    assert_eq!(status, 403, "an auditor only reads");
    let (status, _) = server.post(&staff.sender, "/api/v1/incidents", file("other", "2026-02-01T09:00:00Z")).await;
    assert_eq!(status, 403);
    let (status, bad) = server.post(&staff.facility, "/api/v1/incidents", file("riot", "2026-02-01T09:00:00Z")).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("kind")));
    let (status, bad) = server.post(&staff.facility, "/api/v1/incidents", file("other", "2999-01-01T00:00:00Z")).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("occurred_at")), "not in the future");
    let (status, bad) = server.post(&staff.facility, "/api/v1/incidents", file("other", "yesterday")).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("occurred_at")));
    let (status, _) = server
        .post(
            &staff.facility,
            "/api/v1/incidents",
            json!({"agreement_id": AGREEMENT, "case_id": 999, "kind": "other", "occurred_at": "2026-02-01T09:00:00Z", "report": "r"}),
        )
        .await;
    assert_eq!(status, 404, "no such case");

    // The list, and scope: out of scope answers 404 exactly like a missing record.
    let (status, list) = server.get(&auditor, &format!("/api/v1/incidents?agreement={AGREEMENT}")).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
    let (status, page) = server.get(&auditor, &format!("/api/v1/incidents?agreement={AGREEMENT}&limit=1")).await;
    assert_eq!(status, 200);
    assert_eq!(page["next_after"], id);
    let (status, missing) = server.get(&outsider, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!((status, missing["code"].as_str()), (404, Some("NOT_FOUND")));
    let (status, absent) = server.get(&auditor, "/api/v1/incidents/9999").await;
    assert_eq!(status, 404);
    assert_eq!(missing["code"], absent["code"]);
    let (status, _) = server.get(&outsider, &format!("/api/v1/incidents?agreement={AGREEMENT}")).await;
    assert_eq!(status, 404);
    let (status, _) = server.post(&outsider, &format!("/api/v1/incidents/{id}/addenda"), json!({"text": "x"})).await;
    assert_eq!(status, 404, "out of scope, even for an admin of another agreement");
    let elsewhere = server.user("gil", "facility_officer", &[AGREEMENT], &["other-facility"]).await;
    let (status, _) = server.get(&elsewhere, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(status, 404, "the case is in a facility outside the caller's scope");
    let (status, list) = server.get(&elsewhere, &format!("/api/v1/incidents?agreement={AGREEMENT}")).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "only the incident bound to no case: {list}");

    server.stop().await;
}

/// Issue 15: complaints over HTTP — the facility neither lists nor reads a confidential one (404,
/// like a record out of scope), nor sees its alert; the deadline (`complaint_answer_days`, 14)
/// raises `COMPLAINT_UNANSWERED` the day after; an allegation of ill-treatment opens its incident,
/// which names the complaint but never repeats its words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaints_keep_their_deadline_and_their_confidence() {
    let (server, staff, case) = setup().await;
    let inspector = server.user("ines", "inspector", &[AGREEMENT], &[]).await;
    let file = |confidential: bool, alleges: bool, text: &str| {
        json!({"agreement_id": AGREEMENT, "case_id": case, "category": "treatment", "confidential": confidential,
            "alleges_ill_treatment": alleges, "text": text, "made_at": "2026-01-05T10:00:00-06:00"})
    };
    let secret = "the guards read my letters to my lawyer";
    let (status, filed) = server.post(&staff.sender, "/api/v1/complaints", file(true, true, secret)).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_i64().unwrap();
    assert_eq!(filed["due_at"], "2026-01-19T16:00:00Z", "14 days after it was made: {filed}");
    let incident = filed["incident_id"].as_i64().expect("the allegation's incident");
    let (status, opened) = server.get(&staff.facility, &format!("/api/v1/incidents/{incident}")).await;
    assert_eq!((status, opened["kind"].as_str()), (200, Some("torture_allegation")), "{opened}");
    assert!(!opened.to_string().contains(secret), "the incident never repeats a confidential complaint: {opened}");
    // The facility: not listed, not found, not alerted; the inspector: all three.
    let (status, none) = server.get(&staff.facility, &format!("/api/v1/complaints?agreement={AGREEMENT}")).await;
    assert_eq!((status, none["items"].as_array().map(Vec::len)), (200, Some(0)), "{none}");
    let (status, body) = server.get(&staff.facility, &format!("/api/v1/complaints/{id}")).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = server.get(&inspector, &format!("/api/v1/complaints/{id}")).await;
    assert_eq!((status, body["text"].as_str()), (200, Some(secret)), "{body}");
    let (status, body) = server.post(&staff.facility, "/api/v1/complaints", file(true, false, "another")).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("confidential")), "{body}");
    let alerts_of = |token: String, on: &'static str| {
        let server = &server;
        async move {
            let (_, alerts) = server.get(&token, &format!("/api/v1/alerts?agreement={AGREEMENT}&on={on}")).await;
            alerts.as_array().unwrap().iter().filter(|a| a["code"] == "COMPLAINT_UNANSWERED").count()
        }
    };
    assert_eq!(alerts_of(inspector.clone(), "2026-01-18").await, 0, "not yet due");
    assert_eq!(alerts_of(inspector.clone(), "2026-01-19").await, 1, "due at 16:00, overdue by the end of the day");
    assert_eq!(alerts_of(staff.facility.clone(), "2026-01-19").await, 0, "the facility does not see its alert");
    // An open complaint the facility answers; a second answer is refused.
    let (status, open) = server.post(&staff.facility, "/api/v1/complaints", file(false, false, "no water")).await;
    assert_eq!(status, 201, "{open}");
    let open_id = open["id"].as_i64().unwrap();
    assert_eq!(alerts_of(staff.facility.clone(), "2026-01-19").await, 1);
    // Paged a keyset page at a time (issue 16): walking one item per page, the inspector meets
    // both, the facility only the open one — the confidential one is skipped, not a short page.
    let walk = |token: String| {
        let server = &server;
        async move {
            let (mut ids, mut after) = (Vec::new(), 0);
            loop {
                let path = format!("/api/v1/complaints?agreement={AGREEMENT}&limit=1&after={after}");
                let (status, page) = server.get(&token, &path).await;
                assert_eq!(status, 200, "{page}");
                ids.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
                match page["next_after"].as_i64() {
                    Some(next) => after = next,
                    None => return ids,
                }
            }
        }
    };
    assert_eq!(walk(inspector.clone()).await, [id, open_id]);
    assert_eq!(walk(staff.facility.clone()).await, [open_id]);
    let answer = json!({"text": "water restored on 6 January"});
    let path = format!("/api/v1/complaints/{open_id}/answer");
    let (status, answered) = server.post(&staff.facility, &path, answer.clone()).await;
    assert_eq!((status, answered["answer"]["late"].as_bool()), (200, Some(true)), "answered now, after 19 January");
    let (status, again) = server.post(&staff.facility, &path, answer).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("ALREADY_ANSWERED")), "{again}");
    assert_eq!(alerts_of(staff.facility.clone(), "2026-01-19").await, 0, "answered: no alert");
    let escalate = format!("/api/v1/complaints/{id}/escalate");
    let (status, body) = server.post(&inspector, &escalate, json!({"body": "a newspaper"})).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("body")), "{body}");
    let (status, body) = server.post(&inspector, &escalate, json!({"body": "ICRC"})).await;
    assert_eq!((status, body["escalation"]["body"].as_str()), (200, Some("ICRC")), "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspections_and_contacts() {
    let (server, staff, case) = setup().await;
    let inspector = server.user("ines", "inspector", &[AGREEMENT], &[]).await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    let outsider = server.user("otto", "inspector", &["dk-xk-gjilan"], &[]).await;

    let visit = json!({
        "agreement_id": AGREEMENT,
        "body": "ICRC",
        "from": "2025-05-01",
        "to": "2025-05-03",
        "findings": ["cells at 0.64 m² per person"],
        "recommendations": ["reduce occupancy to the CPT standard", "allow family visits"]
    });
    let (status, _) = server.post(&auditor, "/api/v1/inspections", visit.clone()).await;
    assert_eq!(status, 403, "an auditor reads, an inspector files");
    let (status, filed) = server.post(&inspector, "/api/v1/inspections", visit.clone()).await;
    assert_eq!(status, 201, "{filed}");
    let id = filed["id"].as_i64().unwrap();
    assert_eq!(filed["recommendations"][1], json!({"index": 1, "text": "allow family visits", "state": "open"}));

    let mut other = visit.clone();
    other["body"] = json!("CPT");
    let (status, bad) = server.post(&inspector, "/api/v1/inspections", other).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("body")), "not a body the agreement names: {bad}");
    let mut backwards = visit.clone();
    backwards["to"] = json!("2025-04-30");
    let (status, bad) = server.post(&inspector, "/api/v1/inspections", backwards).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("to")));
    let (status, _) = server.post(&outsider, "/api/v1/inspections", visit.clone()).await;
    assert_eq!(status, 404);

    let path = |index: u32| format!("/api/v1/inspections/{id}/recommendations/{index}");
    let (status, moved) = server.post(&inspector, &path(0), json!({"state": "accepted"})).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["recommendations"][0]["state"], "accepted");
    let (status, moved) = server.post(&inspector, &path(0), json!({"state": "implemented"})).await;
    assert_eq!(status, 200);
    assert_eq!(moved["recommendations"][0]["state"], "implemented");
    let (status, back) = server.post(&inspector, &path(0), json!({"state": "open"})).await;
    assert_eq!((status, back["code"].as_str()), (409, Some("RECOMMENDATION_STATE")), "final states stay");
    let (status, skip) = server.post(&inspector, &path(1), json!({"state": "implemented"})).await;
    assert_eq!(status, 409, "open → implemented skips acceptance: {skip}");
    let (status, _) = server.post(&inspector, &path(7), json!({"state": "accepted"})).await;
    assert_eq!(status, 404);
    let (status, _) = server.post(&auditor, &path(1), json!({"state": "accepted"})).await;
    assert_eq!(status, 403);
    let (status, _) = server.post(&outsider, &path(1), json!({"state": "accepted"})).await;
    assert_eq!(status, 404);
    let (status, bad) = server.post(&inspector, &path(1), json!({"state": "done"})).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("state")));

    let (status, list) = server.get(&auditor, &format!("/api/v1/inspections?agreement={AGREEMENT}")).await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["recommendations"][0]["state"], "implemented");
    assert_eq!(items[0]["recommendations"][1]["state"], "open");
    let (status, _) = server.get(&outsider, &format!("/api/v1/inspections?agreement={AGREEMENT}")).await;
    assert_eq!(status, 404);

    // The contact log: officers write it, everyone in scope reads it.
    let entry = json!({
        "agreement_id": AGREEMENT, "case_id": case, "contact": "US consul, San Salvador",
        "at": "2025-04-02T15:00:00Z", "means": "visit", "note": "welfare visit refused at the gate"
    });
    let (status, _) = server.post(&inspector, "/api/v1/contacts", entry.clone()).await;
    assert_eq!(status, 403);
    let r = server
        .client
        .post(server.url("/api/v1/contacts"))
        .bearer_auth(&staff.sender)
        .header("Idempotency-Key", "contact-1")
        .json(&entry)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let logged: Value = r.json().await.unwrap();
    let r = server
        .client
        .post(server.url("/api/v1/contacts"))
        .bearer_auth(&staff.sender)
        .header("Idempotency-Key", "contact-1")
        .json(&entry)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(r.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!(r.json::<Value>().await.unwrap(), logged, "a repeat changes nothing");
    let mut bad = entry.clone();
    bad["means"] = json!("fax");
    let (status, answer) = server.post(&staff.sender, "/api/v1/contacts", bad).await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("means")));
    let (status, list) = server.get(&inspector, &format!("/api/v1/contacts?agreement={AGREEMENT}")).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"], json!([logged]));
    assert_eq!(logged["means"], "visit");
    assert_eq!(logged["case_id"], case);
    let (status, _) = server.get(&outsider, &format!("/api/v1/contacts?agreement={AGREEMENT}")).await;
    assert_eq!(status, 404);

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_need_two_people_and_feed_the_reports() {
    let (server, _staff, _case) = setup().await;
    let ana = server.user("ana", "finance_officer", &[AGREEMENT], &[]).await;
    let ben = server.user("ben", "finance_officer", &[AGREEMENT], &[]).await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    let outsider = server.user("otto", "finance_officer", &["dk-xk-gjilan"], &[]).await;

    let draft = json!({
        "agreement_id": AGREEMENT,
        "period": "2025-03",
        "extras": [{"date": "2025-03-20", "code": "TRANSPORT", "description": "charter flight share", "amount_minor": 150000}]
    });
    let (status, _) = server.post(&auditor, "/api/v1/invoices", draft.clone()).await;
    assert_eq!(status, 403);
    let (status, _) = server.post(&outsider, "/api/v1/invoices", draft.clone()).await;
    assert_eq!(status, 404);
    let mut bad = draft.clone();
    bad["extras"][0]["date"] = json!("2025-04-02");
    let (status, answer) = server.post(&ana, "/api/v1/invoices", bad).await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("extras[0].date")), "{answer}");
    let mut bad = draft.clone();
    bad["extras"][0]["amount_minor"] = json!(0);
    let (status, answer) = server.post(&ana, "/api/v1/invoices", bad).await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("extras[0].amount_minor")));
    let (status, answer) =
        server.post(&ana, "/api/v1/invoices", json!({"agreement_id": AGREEMENT, "period": "2027-01"})).await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("period")), "outside the term: {answer}");
    let (status, answer) =
        server.post(&ana, "/api/v1/invoices", json!({"agreement_id": AGREEMENT, "period": "2025-04"})).await;
    assert_eq!(status, 409, "periods are issued in order: {answer}");

    let (status, drafted) = server.post(&ana, "/api/v1/invoices", draft.clone()).await;
    assert_eq!(status, 201, "{drafted}");
    let id = drafted["id"].as_i64().unwrap();
    assert_eq!(drafted["status"], "draft");
    assert_eq!(drafted["prepared_by"], "ana");
    assert!(drafted["issued_by"].is_null());
    let codes: Vec<&str> =
        drafted["document"]["lines"].as_array().unwrap().iter().map(|l| l["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"CAPITA") && codes.contains(&"EXTRA:TRANSPORT"), "{drafted}");
    assert_eq!(drafted["total_minor"], 2_000_000 + 150_000);
    assert_eq!(drafted["document"]["person_days"], 12, "20 to 31 March");

    // The preparer cannot issue it; another finance officer can; then it is final.
    let issue = format!("/api/v1/invoices/{id}/issue");
    let (status, refused) = server.post(&ana, &issue, json!({})).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("TWO_PERSON_RULE")), "{refused}");
    let (status, _) = server.post(&auditor, &issue, json!({})).await;
    assert_eq!(status, 403);
    let (status, _) = server.post(&outsider, &issue, json!({})).await;
    assert_eq!(status, 404);
    let (status, issued) = server.post(&ben, &issue, json!({})).await;
    assert_eq!(status, 200, "{issued}");
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["issued_by"], "ben");
    assert_eq!(issued["sha256"], drafted["sha256"]);
    let (status, twice) = server.post(&ben, &issue, json!({})).await;
    assert_eq!((status, twice["code"].as_str()), (409, Some("REFUSED")));

    // Reads: the view, the canonical bytes (hashing to `sha256`), the CSV export; scope.
    let (status, read) = server.get(&auditor, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(read["issued_by"], "ben");
    assert_eq!(read["prepared_by"], "ana");
    let r = server.client.get(server.url(&format!("/api/v1/invoices/{id}?format=canonical"))).bearer_auth(&auditor);
    let bytes = r.send().await.unwrap().bytes().await.unwrap();
    let digest: String = <sha2::Sha256 as sha2::Digest>::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(digest, read["sha256"].as_str().unwrap());
    let r = server.client.get(server.url(&format!("/api/v1/invoices/{id}?format=csv"))).bearer_auth(&auditor);
    let r = r.send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("number,kind,agreement_id,period,currency,code,"), "{csv}");
    assert!(csv.contains(",EXTRA:TRANSPORT,,charter flight share,1,150000,150000\n"), "{csv}");
    let (status, bad) = server.get(&auditor, &format!("/api/v1/invoices/{id}?format=pdf")).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("format")));
    let (status, missing) = server.get(&outsider, &format!("/api/v1/invoices/{id}")).await;
    assert_eq!((status, missing["code"].as_str()), (404, Some("NOT_FOUND")));
    let (status, _) = server.get(&auditor, "/api/v1/invoices/999").await;
    assert_eq!(status, 404);
    let (status, list) = server.get(&auditor, &format!("/api/v1/invoices?agreement={AGREEMENT}")).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, _) = server.get(&outsider, &format!("/api/v1/invoices?agreement={AGREEMENT}")).await;
    assert_eq!(status, 404);

    // A draft is not exported; the credit note waits for every period.
    let (status, april) =
        server.post(&ana, "/api/v1/invoices", json!({"agreement_id": AGREEMENT, "period": "2025-04"})).await;
    assert_eq!(status, 201, "{april}");
    let (status, draft_csv) = server.get(&auditor, &format!("/api/v1/invoices/{}?format=csv", april["id"])).await;
    assert_eq!((status, draft_csv["code"].as_str()), (409, Some("NOT_ISSUED")));
    // As on the command line, a draft's canonical JSON is not exported either.
    let (status, draft_json) =
        server.get(&auditor, &format!("/api/v1/invoices/{}?format=canonical", april["id"])).await;
    assert_eq!((status, draft_json["code"].as_str()), (409, Some("NOT_ISSUED")));
    // The extras rules the command line applies to a file: digits only is not an API concern (the
    // body holds integers), but the code's size is the same rule.
    let mut long_code = draft.clone();
    long_code["period"] = json!("2025-04");
    long_code["extras"][0]["date"] = json!("2025-04-02");
    long_code["extras"][0]["code"] = json!("X".repeat(65));
    let (status, answer) = server.post(&ana, "/api/v1/invoices", long_code).await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("extras[0].code")), "{answer}");
    let (status, cn) = server.post(&ana, "/api/v1/invoices/credit-notes", json!({"agreement_id": AGREEMENT})).await;
    assert_eq!(status, 409, "{cn}");

    // The sustainability report counts issued documents only.
    let (status, report) = server
        .get(&auditor, &format!("/api/v1/reports/sustainability?agreement={AGREEMENT}&receiving_budget_minor=12000000000&home_cost_per_day_minor="))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["home_cost_per_day_minor"], 12_080, "the US default");
    assert_eq!(report["currency"], "USD");
    let march = &report["months"][0];
    assert_eq!(march["label"], "2025-03");
    assert_eq!(march["documents"], 1);
    assert_eq!(march["invoiced_minor"], 2_150_000);
    assert_eq!(march["person_days"], 12);
    assert_eq!(march["home_cost_minor"], 12 * 12_080);
    assert_eq!(report["months"][1]["documents"], 0, "April is only drafted");
    // Both views (docs/billing.md#sustainability): the capita charged in March accrues over the
    // 365 days from 20 March, 12 of them in March; April, not invoiced yet, accrues 30 days' worth.
    let accrued = |m: &Value| m["accrued_minor"].as_i64().unwrap();
    assert!((accrued(march) - 150_000 - 2_000_000 * 12 / 365).abs() <= 1, "{march}");
    assert!((accrued(&report["months"][1]) - 2_000_000 * 30 / 365).abs() <= 1, "{report}");
    let cash: i64 = report["months"].as_array().unwrap().iter().map(|m| m["invoiced_minor"].as_i64().unwrap()).sum();
    let accrual: i64 = report["months"].as_array().unwrap().iter().map(accrued).sum();
    assert_eq!((cash, accrual), (2_150_000, 2_150_000), "the same issued amount in both views");
    // The departure of 20 March is priced by the example's tariff ($4,500), and the March invoice
    // also carries a typed-in transport extra: the report says it may be counted twice.
    assert_eq!((march["departures"].as_i64(), march["transport_minor"].as_i64()), (Some(1), Some(450_000)));
    assert_eq!(march["sending_state_saving_minor"], 12 * 12_080 - 2_150_000 - 450_000);
    assert_eq!(march["accrual_saving_minor"].as_i64(), Some(12 * 12_080 - accrued(march) - 450_000));
    assert_eq!(report["transport_priced"], true);
    let warnings = report["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("2025-03")), "{report}");
    let (status, bad) = server
        .get(&auditor, &format!("/api/v1/reports/sustainability?agreement={AGREEMENT}&receiving_budget_minor=0"))
        .await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("receiving_budget_minor")));
    let (status, _) = server.get(&outsider, &format!("/api/v1/reports/sustainability?agreement={AGREEMENT}")).await;
    assert_eq!(status, 404);

    // The legal-basis audit: nothing wrong in 2025; past the projected release it has expired.
    let (status, audit) =
        server.get(&auditor, &format!("/api/v1/reports/legal-basis?agreement={AGREEMENT}&on=2025-06-01")).await;
    assert_eq!(status, 200);
    assert_eq!(audit, json!([]));
    let (status, audit) =
        server.get(&auditor, &format!("/api/v1/reports/legal-basis?agreement={AGREEMENT}&on=2031-01-01")).await;
    assert_eq!(status, 200);
    assert_eq!(audit[0]["person_id"], "P-1");
    assert_eq!(audit[0]["state"], "in_custody");
    assert!(
        audit[0]["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("expired: the sentence was served: projected release 2028-04-"),
        "{audit}"
    );
    let (status, bad) =
        server.get(&auditor, &format!("/api/v1/reports/legal-basis?agreement={AGREEMENT}&on=June")).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("on")));

    server.stop().await;
}

/// Issue 17: each departure and return of the custody records is a journey, counted on the
/// facility's day and priced by the agreement's `[extras_tariff]`; without one, counted only.
async fn journeys_of(source: String) -> Value {
    let server = TestServer::start_sources(vec![source], |_| {}).await;
    let (server, staff, case) = setup_on(server).await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    let schedule = json!({"action": "schedule_return", "return_on": "2025-05-31", "reason": "COURT_ORDER",
        "occurred_at": "2025-05-20T15:00:00Z"});
    common::step(&server, &staff.sender, case, schedule).await;
    // 03:00 UTC on 1 June is 21:00 on 31 May in San Salvador: a May journey.
    let back = json!({"action": "return", "reason": "RETURNED", "occurred_at": "2025-06-01T03:00:00Z"});
    common::step(&server, &staff.facility, case, back).await;
    let (status, report) = server.get(&auditor, &format!("/api/v1/reports/sustainability?agreement={AGREEMENT}")).await;
    assert_eq!(status, 200, "{report}");
    server.stop().await;
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_of_the_custody_records_are_priced_by_the_extras_tariff() {
    let source = std::fs::read_to_string(common::repo().join("examples/agreements/us-sv-cecot.toml")).unwrap();
    let report = journeys_of(source.clone()).await;
    let trips = |r: &Value, i: usize| {
        let m = &r["months"][i];
        (
            m["label"].as_str().unwrap().to_owned(),
            m["departures"].as_i64(),
            m["returns"].as_i64(),
            m["transport_minor"].as_i64(),
        )
    };
    assert_eq!(trips(&report, 0), ("2025-03".into(), Some(1), Some(0), Some(450_000)));
    assert_eq!(trips(&report, 2), ("2025-05".into(), Some(0), Some(1), Some(450_000)));
    assert_eq!(trips(&report, 3), ("2025-06".into(), Some(0), Some(0), Some(0)));
    assert_eq!(report["years"][0]["transport_minor"], 900_000);
    assert_eq!((report["years"][0]["departures"].as_i64(), report["years"][0]["returns"].as_i64()), (Some(1), Some(1)));
    assert_eq!(report["transport_priced"], true);
    assert_eq!(report["warnings"], json!([]), "no transport extras were invoiced");
    let may = &report["months"][2];
    assert_eq!(may["sending_state_saving_minor"], 0 - 450_000, "nothing invoiced, no person-days billed");

    // The same records under an agreement without a tariff: counted, not priced.
    let (from, to) = (source.find("[extras_tariff]").unwrap(), source.find("[oversight]").unwrap());
    let report = journeys_of(format!("{}{}", &source[..from], &source[to..])).await;
    assert_eq!(trips(&report, 0), ("2025-03".into(), Some(1), Some(0), None));
    assert_eq!(trips(&report, 2), ("2025-05".into(), Some(0), Some(1), None));
    assert_eq!(report["transport_priced"], false);
    assert!(report["years"][0]["transport_minor"].is_null());
    assert_eq!(report["months"][2]["sending_state_saving_minor"], 0);
}

async fn text(server: &TestServer, token: &str, path: &str) -> (u16, String) {
    let r = server.client.get(server.url(path)).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn hash(v: &Value) -> Hash {
    Hash::from_base64(v.as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signed_checkpoint_and_proofs_verify() {
    let (server, _staff, _case) = setup().await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;

    let (status, key) = text(&server, &auditor, "/api/v1/journal/key").await;
    assert_eq!(status, 200);
    let verifier = Verifier::parse(key.trim()).unwrap();
    assert_eq!(verifier.name(), "custodia.invalid/journal");
    let (status, note) = text(&server, &auditor, "/api/v1/journal/checkpoint").await;
    assert_eq!(status, 200);
    let body = open_note(note.as_bytes(), &verifier).unwrap();
    let checkpoint = open_checkpoint(&note, &verifier).unwrap();
    assert!(body.starts_with("custodia.invalid/journal\n"), "{note}");
    let size = checkpoint.size();
    assert_eq!(size, server.store.journal_size().await.unwrap());
    assert!(size > 10, "imports, users, the case");
    let forged = note.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
    assert!(open_checkpoint(&forged, &verifier).is_err(), "an altered checkpoint does not verify");
    let (status, _) = text(&server, "not-a-token", "/api/v1/journal/checkpoint").await;
    assert_eq!(status, 401);

    // Inclusion of an event, from its own bytes, against the signed root.
    let index = size / 2;
    let (status, proof) =
        server.get(&auditor, &format!("/api/v1/journal/proofs/inclusion?index={index}&size={size}")).await;
    assert_eq!(status, 200, "{proof}");
    assert_eq!(proof["type"], "inclusion");
    assert_eq!(hash(&proof["root_hash"]), checkpoint.root());
    let event = server.store.events(index, index + 1).await.unwrap();
    let leaf = merkle::leaf_hash(event[0].body.as_bytes());
    assert_eq!(hash(&proof["leaf_hash"]), leaf);
    let path: Vec<Hash> = proof["proof"].as_array().unwrap().iter().map(hash).collect();
    merkle::verify_inclusion(&leaf, index, size, &path, &checkpoint.root()).unwrap();
    assert!(merkle::verify_inclusion(&merkle::leaf_hash(b"{}"), index, size, &path, &checkpoint.root()).is_err());

    // Consistency: an older tree is a prefix of the signed one.
    let old = 3;
    let (status, proof) =
        server.get(&auditor, &format!("/api/v1/journal/proofs/consistency?old_size={old}&size={size}")).await;
    assert_eq!(status, 200, "{proof}");
    let old_root = server.store.events(old - 1, old).await.unwrap()[0].root_after.clone();
    assert_eq!(hash(&proof["old_root_hash"]).as_ref(), old_root.as_slice());
    assert_eq!(hash(&proof["new_root_hash"]), checkpoint.root());
    let path: Vec<Hash> = proof["proof"].as_array().unwrap().iter().map(hash).collect();
    merkle::verify_consistency(old, size, &hash(&proof["old_root_hash"]), &checkpoint.root(), &path).unwrap();

    // Bounded: nothing beyond the journal.
    let beyond = size + 1;
    let (status, bad) = server.get(&auditor, &format!("/api/v1/journal/proofs/inclusion?index=0&size={beyond}")).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("size")));
    let (status, bad) =
        server.get(&auditor, &format!("/api/v1/journal/proofs/inclusion?index={size}&size={size}")).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("index")));
    let (status, bad) = server.get(&auditor, &format!("/api/v1/journal/proofs/consistency?old_size={beyond}")).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("old_size")));
    let (status, _) = server.get(&auditor, "/api/v1/journal/proofs/inclusion?index=-1").await;
    assert_eq!(status, 400);

    // Every route of these modules is in the OpenAPI document.
    let doc: Value = server.client.get(server.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in [
        "/api/v1/incidents",
        "/api/v1/incidents/{id}",
        "/api/v1/incidents/{id}/notifications",
        "/api/v1/incidents/{id}/addenda",
        "/api/v1/inspections",
        "/api/v1/inspections/{id}/recommendations/{index}",
        "/api/v1/contacts",
        "/api/v1/invoices",
        "/api/v1/invoices/{id}",
        "/api/v1/invoices/{id}/issue",
        "/api/v1/invoices/credit-notes",
        "/api/v1/reports/sustainability",
        "/api/v1/reports/legal-basis",
        "/api/v1/journal/checkpoint",
        "/api/v1/journal/key",
        "/api/v1/journal/proofs/inclusion",
        "/api/v1/journal/proofs/consistency",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is missing from /openapi.json");
    }
    for schema in ["IncidentView", "InspectionView", "ContactView", "InvoiceView", "InclusionProof", "ConsistencyProof"]
    {
        assert!(doc["components"]["schemas"][schema].is_object(), "schema {schema} is missing");
    }

    server.stop().await;
}

/// Issue 15, bullets 2–4 over HTTP: only a medical officer records an examination and reads its
/// findings (a finance officer and the facility read the fitness, never the findings); an
/// admission examination links the intake; counsel is never refused for capacity; solitary
/// confinement is refused for a person found unfit; a death names the last examination.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_file_stays_with_medical_staff_and_care_binds() {
    let (server, staff, case) = setup().await;
    let doctor = server.user("mona", "medical_officer", &[AGREEMENT], &["cecot"]).await;
    let finance = server.user("finn", "finance_officer", &[AGREEMENT], &[]).await;
    let findings = "type 2 diabetes, insulin twice a day";
    let exam = json!({"agreement_id": AGREEMENT, "case_id": case, "purpose": "admission", "examiner": "Dr. Mona Paz, MD",
        "fit_for_custody": "fit", "fit_for_transfer": "fit", "fit_for_solitary": "unfit", "findings": findings,
        "examined_at": "2025-03-20T18:00:00Z"});
    let (status, body) = server.post(&staff.facility, "/api/v1/examinations", exam.clone()).await;
    assert_eq!(status, 403, "the facility does not examine: {body}");
    // The deadlines over HTTP (admitted 2025-03-20 at 10:00 in San Salvador, 16:00 UTC).
    let alerts_on = |on: &'static str| {
        let (server, token) = (&server, finance.clone());
        async move {
            let path = format!("/api/v1/alerts?agreement={AGREEMENT}&on={on}");
            let (_, alerts) = server.get(&token, &path).await;
            alerts.as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert!(!alerts_on("2025-03-20").await.contains(&"MEDICAL_EXAM_OVERDUE".to_owned()), "within 24 hours");
    assert!(alerts_on("2025-03-21").await.contains(&"MEDICAL_EXAM_OVERDUE".to_owned()), "not examined");
    // No family contact in April (the CECOT example's minimum is 1), no consul in 91 days.
    assert!(alerts_on("2025-05-01").await.contains(&"VISITS_BELOW_MINIMUM".to_owned()));
    assert!(!alerts_on("2025-06-18").await.contains(&"CONSULAR_ACCESS_OVERDUE".to_owned()));
    assert!(alerts_on("2025-06-19").await.contains(&"CONSULAR_ACCESS_OVERDUE".to_owned()));
    let (status, recorded) = server.post(&doctor, "/api/v1/examinations", exam).await;
    assert_eq!(status, 201, "{recorded}");
    assert_eq!(recorded["examination"]["findings"], findings, "{recorded}");
    assert_eq!(recorded["examination"]["intake_visible_injuries"], "none", "the intake is linked: {recorded}");
    let id = recorded["id"].as_i64().unwrap();
    for token in [&finance, &staff.facility] {
        let (status, seen) = server.get(token, &format!("/api/v1/care/{id}")).await;
        assert_eq!(status, 200, "{seen}");
        assert!(!seen.to_string().contains(findings), "{seen}");
        assert_eq!(seen["examination"]["health_file_withheld"], true);
        assert_eq!(seen["examination"]["fit_for_solitary"], "unfit", "the fitness is disclosed");
        let (_, list) = server.get(token, &format!("/api/v1/care?agreement={AGREEMENT}")).await;
        assert!(!list.to_string().contains(findings), "{list}");
    }
    let (_, mine) = server.get(&doctor, &format!("/api/v1/care/{id}")).await;
    assert_eq!(mine["examination"]["findings"], findings);

    assert!(!alerts_on("2025-03-21").await.contains(&"MEDICAL_EXAM_OVERDUE".to_owned()), "examined");
    let call = json!({"agreement_id": AGREEMENT, "case_id": case, "kind": "family_call", "visitor": "Ana Doe",
        "outcome": "held", "at": "2025-04-10T16:00:00Z"});
    let (status, body) = server.post(&staff.facility, "/api/v1/visits", call).await;
    assert_eq!(status, 201, "{body}");
    assert!(!alerts_on("2025-05-01").await.contains(&"VISITS_BELOW_MINIMUM".to_owned()), "one call in April");
    let place = json!({"agreement_id": AGREEMENT, "case_id": case, "reason": "fight in the yard"});
    let (status, body) = server.post(&staff.facility, "/api/v1/solitary", place).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("UNFIT_FOR_SOLITARY")), "{body}");
    // Found fit again: placed on 1 May, critical after 15 consecutive days, reviewed every day.
    let refit = json!({"agreement_id": AGREEMENT, "case_id": case, "purpose": "other", "examiner": "Dr. Mona Paz, MD",
        "fit_for_custody": "fit", "fit_for_transfer": "fit", "fit_for_solitary": "fit", "findings": "asthma controlled",
        "examined_at": "2025-04-30T15:00:00Z"});
    let (status, refit) = server.post(&doctor, "/api/v1/examinations", refit).await;
    assert_eq!(status, 201, "{refit}");
    let place = json!({"agreement_id": AGREEMENT, "case_id": case, "reason": "fight in the yard", "start_at": "2025-05-01T16:00:00Z"});
    let (status, placed) = server.post(&staff.facility, "/api/v1/solitary", place).await;
    assert_eq!(status, 201, "{placed}");
    assert!(alerts_on("2025-05-02").await.contains(&"SOLITARY_REVIEW_OVERDUE".to_owned()));
    assert!(!alerts_on("2025-05-16").await.contains(&"PROLONGED_SOLITARY".to_owned()));
    assert!(alerts_on("2025-05-17").await.contains(&"PROLONGED_SOLITARY".to_owned()));
    let end = format!("/api/v1/solitary/{}/end", placed["id"]);
    let (status, ended) = server.post(&staff.facility, &end, json!({"at": "2025-05-18T16:00:00Z"})).await;
    assert_eq!((status, ended["placement"]["ended_at"].as_str()), (200, Some("2025-05-18T16:00:00Z")), "{ended}");
    assert!(!alerts_on("2025-05-20").await.contains(&"PROLONGED_SOLITARY".to_owned()), "ended");
    let counsel = json!({"agreement_id": AGREEMENT, "case_id": case, "kind": "counsel_visit", "visitor": "Lic. Ortega",
        "outcome": "refused", "ground": "capacity", "reason": "visiting room full"});
    let (status, body) = server.post(&staff.facility, "/api/v1/visits", counsel).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("COUNSEL_NOT_REFUSABLE")), "{body}");
    let note = json!({"agreement_id": AGREEMENT, "case_id": case, "kind": "counsel_visit", "visitor": "Lic. Ortega",
        "outcome": "held", "note": "discussed the appeal"});
    let (status, body) = server.post(&staff.facility, "/api/v1/visits", note).await;
    assert_eq!(status, 400, "no field holds what was said: {body}");

    let death = json!({"agreement_id": AGREEMENT, "case_id": case, "kind": "death",
        "occurred_at": "2026-01-10T08:00:00Z", "report": "found unresponsive"});
    let (status, incident) = server.post(&staff.facility, "/api/v1/incidents", death).await;
    assert_eq!(status, 201, "{incident}");
    assert_eq!(incident["medical_record"]["examination_id"], refit["id"], "the last examination: {incident}");
    assert!(!incident.to_string().contains(findings));

    // The inspector's report of CECOT for 2025 (docs/rights.md#report): the March admission,
    // examined within 24 hours; the refused counsel visit was never recorded.
    let path = format!("/api/v1/reports/inspection?agreement={AGREEMENT}&facility=cecot&from=2025-01-01&to=2025-12-31");
    let (status, lines) = server.get(&finance, &path).await;
    assert_eq!(status, 200, "{lines}");
    let value =
        |metric: &str| lines.as_array().unwrap().iter().find(|l| l["metric"] == metric).unwrap()["value"].clone();
    assert_eq!((value("admissions"), value("examined-on-time")), (json!(1), json!(1)), "{lines}");
    assert_eq!(value("contacts-refused"), json!(0), "{lines}");
    let (status, spanish) = server.get_in(&finance, &path, "es").await;
    assert_eq!(status, 200);
    assert!(spanish.to_string().contains("ingresos"), "{spanish}");
    let (status, body) = server.get(&finance, &format!("{path}&format=pdf")).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("format")), "{body}");
    let (status, body) = server.get(&finance, &path.replace("to=2025-12-31", "to=2024-12-31")).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("to")), "{body}");
    server.stop().await;
}
