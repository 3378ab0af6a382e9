//! Issue 12 through the API: the safeguards of docs/lifecycle.md#safeguards bind every case. Each
//! scenario shows the refusal code or the alert, and that a refused step wrote nothing. With
//! CUSTODIA_TEST_POSTGRES_URL set (as in CI) every scenario runs on PostgreSQL too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{TestServer, import_cells, import_persons, person};
use custodia_store::prelude::*;
use serde_json::{Value, json};

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const A: &str = "us-sv-cecot";

/// The users of a scenario, one token each.
struct Staff {
    us: String,
    sv: String,
    facility: String,
    legal: String,
    legal2: String,
    auditor: String,
}

async fn staff(server: &TestServer) -> Staff {
    Staff {
        us: server.user("us.officer", "sending_officer", &[A], &[]).await,
        sv: server.user("sv.officer", "receiving_officer", &[A], &[]).await,
        facility: server.user("cecot.staff", "facility_officer", &[A], &["cecot"]).await,
        legal: server.user("dana.legal", "legal_officer", &[A], &[]).await,
        legal2: server.user("eli.legal", "legal_officer", &[A], &[]).await,
        auditor: server.user("oig.auditor", "auditor", &[A], &[]).await,
    }
}

/// A day within the term and within 90 days of the test records' torture-risk assessment
/// (2025-05-01), in San Salvador's time.
fn at(day: &str) -> String {
    format!("{day}T10:00:00-06:00")
}

async fn step(server: &TestServer, token: &str, case: i64, body: Value) -> (u16, Value) {
    server.post(token, &format!("/api/v1/cases/{case}/transitions"), body).await
}

async fn ok(server: &TestServer, token: &str, case: i64, body: Value) -> Value {
    let (status, answer) = step(server, token, case, body.clone()).await;
    assert_eq!(status, 200, "{body} → {answer}");
    answer
}

/// A refused step: 409 with the code, and nothing written.
async fn refused(server: &TestServer, token: &str, case: i64, body: Value, code: &str) -> String {
    let size = server.store.journal_size().await.unwrap();
    let (status, answer) = step(server, token, case, body.clone()).await;
    assert_eq!((status, answer["code"].as_str()), (409, Some(code)), "{body} → {answer}");
    assert_eq!(server.store.journal_size().await.unwrap(), size, "a refused step writes nothing");
    answer["message"].as_str().unwrap().to_owned()
}

async fn propose(server: &TestServer, s: &Staff, person: &str, day: &str) -> i64 {
    let body = json!({"agreement_id": A, "person_id": person, "occurred_at": at(day)});
    let (status, case) = server.post(&s.us, "/api/v1/cases", body).await;
    assert_eq!(status, 201, "{case}");
    case["id"].as_i64().unwrap()
}

/// Proposes, screens, approves, schedules and flies a case; returns it in transit.
async fn to_transit(server: &TestServer, s: &Staff, person: &str) -> i64 {
    let case = propose(server, s, person, "2025-06-01").await;
    ok(server, &s.us, case, json!({"action": "screen", "reason": "SCREENING", "occurred_at": at("2025-06-01")})).await;
    for (token, party) in [(&s.us, "sending"), (&s.sv, "receiving")] {
        let body = json!({"action": "approve", "party": party, "reason": "AGREED", "occurred_at": at("2025-06-02")});
        ok(server, token, case, body).await;
    }
    ok(server, &s.us, case, json!({"action": "schedule", "reason": "BOOKED", "occurred_at": at("2025-06-03")})).await;
    ok(server, &s.us, case, json!({"action": "depart", "reason": "LEFT", "occurred_at": at("2025-06-04")})).await;
    case
}

fn admission(cell: &str) -> Value {
    json!({
        "action": "admit", "reason": "ADMITTED", "occurred_at": at("2025-06-04"),
        "admission": {"commitment_order": "US-DOJ-1", "admitted_on": "2025-06-04", "hour": 12,
            "visible_injuries": "none", "property": "clothing", "next_of_kin": "sister"},
        "placement": {"facility_id": "cecot", "cell_id": cell}
    })
}

async fn alert_codes(server: &TestServer, token: &str, day: &str) -> Vec<(String, String)> {
    let (status, alerts) = server.get(token, &format!("/api/v1/alerts?agreement={A}&on={day}")).await;
    assert_eq!(status, 200, "{alerts}");
    alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["code"].as_str().unwrap().to_owned(), a["subject"].as_str().unwrap().to_owned()))
        .collect()
}

/// Bullet 1: a decision is computed, never stated; recomputed at every step; a review resolves
/// unknowns only; an amended record re-screens open cases and flags someone held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safeguard_decisions_are_computed_and_bind_every_step() {
    let server = TestServer::start(&[CECOT]).await;
    let mut citizen = person("C1", "Smith", "1990-01-01", "medium");
    citizen.nationalities = Some("US".into());
    let mut child = person("C2", "Doe", "2011-01-01", "medium");
    child.nationalities = Some("US".into());
    child.torture_risk = Some("risk".into());
    let mut undated = person("R1", "Rivas", "1990-01-01", "medium");
    undated.birth_date = None;
    import_persons(&server, A, "US", vec![citizen, child, undated, person("V1", "Reyes", "1990-04-02", "high")]).await;
    import_cells(&server, A, &[("cecot", "B1-C01", "shared", "100", 80)]).await;
    let s = staff(&server).await;

    // A caller cannot state a decision: the field does not exist.
    let case = propose(&server, &s, "C1", "2025-06-01").await;
    let (status, answer) =
        step(&server, &s.us, case, json!({"action": "screen", "reason": "X", "decision": "eligible"})).await;
    assert_eq!(status, 400, "{answer}");
    // The register screens: a US citizen is ineligible under E07, and approval is refused.
    let screened =
        ok(&server, &s.us, case, json!({"action": "screen", "reason": "SCREENING", "occurred_at": at("2025-06-01")}))
            .await;
    assert_eq!(
        (screened["decision"].as_str(), screened["screening"]["reasons"].as_str()),
        (Some("ineligible"), Some("E07"))
    );
    let approve = json!({"action": "approve", "party": "sending", "reason": "AGREED", "occurred_at": at("2025-06-02")});
    let message = refused(&server, &s.us, case, approve.clone(), "NOT_ELIGIBLE").await;
    assert!(message.contains("NOT_ELIGIBLE: E07"), "{message}");

    // A 14-year-old US citizen with a torture risk: three rules fail at once.
    let case = propose(&server, &s, "C2", "2025-06-01").await;
    ok(&server, &s.us, case, json!({"action": "screen", "reason": "SCREENING", "occurred_at": at("2025-06-01")})).await;
    let message = refused(&server, &s.us, case, approve.clone(), "NOT_ELIGIBLE").await;
    assert!(message.contains("E02;E07;E15"), "{message}");
    // A review cannot resolve failed rules.
    let findings = json!([{"rule": "E07", "finding": "pass", "evidence": "passport checked"}]);
    let resolve = json!({"action": "resolve_review", "reason": "REVIEWED", "findings": findings, "occurred_at": at("2025-06-01")});
    refused(&server, &s.legal, case, resolve, "NOT_ELIGIBLE").await;

    // A review resolves the unknown rule only, with evidence, and a second legal officer confirms.
    let case = propose(&server, &s, "R1", "2025-06-01").await;
    let screened =
        ok(&server, &s.us, case, json!({"action": "screen", "reason": "SCREENING", "occurred_at": at("2025-06-01")}))
            .await;
    assert_eq!(screened["screening"]["reasons"], "E02?");
    refused(&server, &s.us, case, approve.clone(), "NEEDS_REVIEW").await;
    let resolve = |findings: Value| json!({"action": "resolve_review", "reason": "REVIEWED", "findings": findings, "occurred_at": at("2025-06-01")});
    let not_unknown = json!([{"rule": "E02", "finding": "pass", "evidence": "birth certificate seen"},
        {"rule": "E01", "finding": "pass", "evidence": "judgment seen"}]);
    refused(&server, &s.legal, case, resolve(not_unknown), "NOT_UNKNOWN").await;
    refused(&server, &s.legal, case, resolve(json!([])), "INCOMPLETE_REVIEW").await;
    ok(
        &server,
        &s.legal,
        case,
        resolve(json!([{"rule": "E02", "finding": "pass", "evidence": "birth certificate seen"}])),
    )
    .await;
    let confirm = json!({"action": "confirm_review", "reason": "CONFIRMED", "occurred_at": at("2025-06-01")});
    refused(&server, &s.legal, case, confirm.clone(), "SAME_APPROVER").await;
    let confirmed = ok(&server, &s.legal2, case, confirm).await;
    assert_eq!(confirmed["review"]["findings"][0]["evidence"], "birth certificate seen");
    ok(&server, &s.us, case, approve).await;

    // An amended record re-screens the open case of someone held and raises INELIGIBLE_IN_CUSTODY.
    let held = to_transit(&server, &s, "V1").await;
    ok(&server, &s.facility, held, admission("B1-C01")).await;
    assert!(alert_codes(&server, &s.auditor, "2025-06-10").await.iter().all(|(c, _)| c != "INELIGIBLE_IN_CUSTODY"));
    let header = "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,sentence_start,\
                  sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,torture_risk_assessed_on,care_needs";
    let csv = format!(
        "{header}\nV1,Reyes,Given,1990-04-02,VE;US,final,drug,2024-01-01,60m,0,high,,final,no_risk,2025-05-01,no\n"
    );
    let (status, imported) = server.post(&s.us, "/api/v1/persons", json!({"agreement_id": A, "csv": csv})).await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(imported["rescreened"][0]["case_id"], held, "{imported}");
    assert_eq!(imported["rescreened"][0]["failed"], json!(["E07"]));
    let alerts = alert_codes(&server, &s.auditor, "2025-06-10").await;
    assert!(alerts.contains(&("INELIGIBLE_IN_CUSTODY".into(), format!("case-{held}/V1"))), "{alerts:?}");
    server.stop().await;
}

/// Bullet 2: the legal basis is computed on the day from the current record; removal custody only
/// where the agreement allows it; `remove` to the record's destination; `turn_back` from transit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safeguard_legal_basis_removal_and_turning_back() {
    let server = TestServer::start(&[CECOT]).await;
    let mut appealing = person("P1", "Lopez", "1990-01-01", "medium");
    appealing.conviction = Some("appeal_pending".into());
    appealing.removal_order = Some("none".into());
    import_persons(
        &server,
        A,
        "US",
        vec![appealing, person("V1", "Reyes", "1990-04-02", "high"), person("V2", "Cruz", "1985-01-01", "low")],
    )
    .await;
    import_cells(&server, A, &[("cecot", "B1-C01", "shared", "100", 80)]).await;
    let s = staff(&server).await;

    // No legal basis on the day: the proposal is refused and writes nothing.
    let size = server.store.journal_size().await.unwrap();
    let (status, answer) = server
        .post(&s.us, "/api/v1/cases", json!({"agreement_id": A, "person_id": "P1", "occurred_at": at("2025-06-01")}))
        .await;
    assert_eq!((status, answer["code"].as_str()), (409, Some("NO_LEGAL_BASIS")), "{answer}");
    assert!(answer["message"].as_str().unwrap().contains("appeal_pending"), "{answer}");
    assert_eq!(server.store.journal_size().await.unwrap(), size);

    // A record amended to appeal_pending while held: NO_LEGAL_BASIS from that day on.
    let held = to_transit(&server, &s, "V1").await;
    ok(&server, &s.facility, held, admission("B1-C01")).await;
    let header = "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,sentence_start,\
                  sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,torture_risk_assessed_on,care_needs,removal_destination";
    let csv = format!(
        "{header}\nV1,Reyes,Given,1990-04-02,VE,appeal_pending,drug,2024-01-01,60m,0,high,,final,no_risk,2025-05-01,no,VE\n"
    );
    let (status, _) = server.post(&s.us, "/api/v1/persons", json!({"agreement_id": A, "csv": csv})).await;
    assert_eq!(status, 200);
    // The CECOT example allows 125 days of custody on a removal order with a destination: the
    // basis then lasts until the limit, and the person leaves by removal to that destination.
    let alerts = alert_codes(&server, &s.auditor, "2025-06-10").await;
    assert!(!alerts.iter().any(|(c, _)| c == "NO_LEGAL_BASIS"), "removal order to VE within 125 days: {alerts:?}");
    let alerts = alert_codes(&server, &s.auditor, "2025-10-07").await;
    assert!(alerts.contains(&("NO_LEGAL_BASIS".into(), format!("case-{held}/V1"))), "125 days reached: {alerts:?}");
    let remove = |to: &str| json!({"action": "remove", "to": to, "reason": "REMOVED", "occurred_at": at("2025-07-01")});
    let message = refused(&server, &s.facility, held, remove("SV"), "WRONG_DESTINATION").await;
    assert!(message.contains("VE, not SV"), "{message}");
    let removed = ok(&server, &s.facility, held, remove("VE")).await;
    assert_eq!((removed["state"].as_str(), removed["destination"].as_str()), (Some("removed"), Some("VE")));

    // Turning back: from in transit, under any hold, the transfer ends in the sending state.
    let flying = to_transit(&server, &s, "V2").await;
    let order = json!({"case_id": flying, "authority": "D.D.C.", "reference": "25-cv-766 TRO", "order": "return", "reason": "COURT_ORDER", "occurred_at": at("2025-06-04")});
    let (status, held_case) = server.post(&s.legal, "/api/v1/holds", order).await;
    assert_eq!(status, 200, "{held_case}");
    refused(&server, &s.facility, flying, admission("B1-C01"), "ON_HOLD").await;
    refused(
        &server,
        &s.us,
        flying,
        json!({"action": "withdraw", "reason": "X", "occurred_at": at("2025-06-04")}),
        "INVALID_TRANSITION",
    )
    .await;
    let back = ok(
        &server,
        &s.us,
        flying,
        json!({"action": "turn_back", "reason": "COURT_ORDER", "occurred_at": at("2025-06-04")}),
    )
    .await;
    assert_eq!(back["state"], "returned");
    server.stop().await;
}

/// Bullet 3: court orders with authority, reference and stop/return; lifting by two legal
/// officers; COURT_RETURN_OVERDUE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safeguard_court_orders_and_two_person_lifting() {
    let server = TestServer::start(&[CECOT]).await;
    import_persons(
        &server,
        A,
        "US",
        vec![person("V1", "Reyes", "1990-04-02", "high"), person("V2", "Cruz", "1985-01-01", "low")],
    )
    .await;
    import_cells(&server, A, &[("cecot", "B1-C01", "shared", "100", 80)]).await;
    let s = staff(&server).await;

    let case = to_transit(&server, &s, "V1").await;
    let order = json!({"case_id": case, "authority": "D.D.C.", "reference": "TRO-1", "order": "stop", "reason": "COURT_ORDER", "occurred_at": at("2025-06-04")});
    assert_eq!(server.post(&s.legal, "/api/v1/holds", order).await.0, 200);
    refused(&server, &s.facility, case, admission("B1-C01"), "ON_HOLD").await;
    let lift = json!({"case_id": case, "reference": "TRO-1", "decision_reference": "stay 25-5067", "reason": "ORDER_VACATED", "occurred_at": at("2025-06-04")});
    assert_eq!(server.post(&s.legal, "/api/v1/holds/lift", lift).await.0, 200);
    // Asked, not confirmed: the hold still stands.
    refused(&server, &s.facility, case, admission("B1-C01"), "ON_HOLD").await;
    let confirm =
        json!({"case_id": case, "reference": "TRO-1", "reason": "ORDER_VACATED", "occurred_at": at("2025-06-04")});
    let size = server.store.journal_size().await.unwrap();
    let (status, same) = server.post(&s.legal, "/api/v1/holds/confirm-lift", confirm.clone()).await;
    assert_eq!((status, same["code"].as_str()), (409, Some("SAME_APPROVER")), "{same}");
    assert_eq!(server.store.journal_size().await.unwrap(), size);
    let (status, lifted) = server.post(&s.legal2, "/api/v1/holds/confirm-lift", confirm).await;
    assert_eq!(status, 200, "{lifted}");
    let hold = &lifted["holds"][0];
    assert_eq!(
        (hold["authority"].as_str(), hold["order"].as_str(), hold["stands"].as_bool()),
        (Some("D.D.C."), Some("stop"), Some(false))
    );
    assert_eq!((hold["lifting_by"].as_str(), hold["lifted_by"].as_str()), (Some("dana.legal"), Some("eli.legal")));
    ok(&server, &s.facility, case, admission("B1-C01")).await;

    // A return order on someone in custody: schedule the return within court_return_days (7).
    let order = json!({"case_id": case, "authority": "D.D.C.", "reference": "ORDER-2", "order": "return",
        "reason": "COURT_ORDER", "occurred_at": at("2025-06-10")});
    assert_eq!(server.post(&s.legal, "/api/v1/holds", order).await.0, 200);
    let subject = format!("case-{case}/V1");
    let on_time = alert_codes(&server, &s.auditor, "2025-06-17").await;
    assert!(!on_time.contains(&("COURT_RETURN_OVERDUE".into(), subject.clone())), "{on_time:?}");
    let late = alert_codes(&server, &s.auditor, "2025-06-18").await;
    assert!(late.contains(&("COURT_RETURN_OVERDUE".into(), subject.clone())), "{late:?}");
    // Scheduling the return answers the order.
    let schedule = json!({"action": "schedule_return", "return_on": "2025-06-25", "reason": "COURT_ORDER", "occurred_at": at("2025-06-18")});
    ok(&server, &s.us, case, schedule).await;
    assert!(!alert_codes(&server, &s.auditor, "2025-06-18").await.contains(&("COURT_RETURN_OVERDUE".into(), subject)));
    server.stop().await;
}

/// Bullet 4: the end of the agreement (AGREEMENT_ENDED, AGREEMENT_ENDING,
/// HELD_AFTER_AGREEMENT_END), STUCK_IN_TRANSIT, CONTRACTED_PLACES.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safeguard_the_end_of_the_agreement_transit_and_contracted_places() {
    let server = TestServer::start(&[CECOT]).await;
    import_persons(
        &server,
        A,
        "US",
        vec![person("V1", "Reyes", "1990-04-02", "high"), person("V2", "Cruz", "1985-01-01", "low")],
    )
    .await;
    import_cells(&server, A, &[("cecot", "B1-C01", "shared", "100", 80)]).await;
    let s = staff(&server).await;

    // After `ends` (2026-03-14) nothing new: the proposal is refused.
    let (status, answer) = server
        .post(&s.us, "/api/v1/cases", json!({"agreement_id": A, "person_id": "V2", "occurred_at": at("2026-03-15")}))
        .await;
    assert_eq!((status, answer["code"].as_str()), (409, Some("AGREEMENT_ENDED")), "{answer}");

    let held = to_transit(&server, &s, "V1").await;
    let subject = format!("case-{held}/V1");
    // Two days after departure, still in transit: stuck beyond 48 hours.
    let stuck = alert_codes(&server, &s.auditor, "2025-06-06").await;
    assert!(stuck.contains(&("STUCK_IN_TRANSIT".into(), subject.clone())), "{stuck:?}");
    ok(&server, &s.facility, held, admission("B1-C01")).await;
    assert!(alert_codes(&server, &s.auditor, "2026-01-12").await.iter().all(|(c, _)| c != "AGREEMENT_ENDING"));
    let ending = alert_codes(&server, &s.auditor, "2026-01-13").await;
    assert!(ending.contains(&("AGREEMENT_ENDING".into(), subject.clone())), "{ending:?}");
    let after = alert_codes(&server, &s.auditor, "2026-03-15").await;
    assert!(after.contains(&("HELD_AFTER_AGREEMENT_END".into(), subject.clone())), "{after:?}");
    server.stop().await;
}

/// Bullet 4: the contracted places bind. With CECOT's 300 places cut to 1, a second admission is
/// refused CONTRACTED_PLACES (never the floor's code) and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safeguard_contracted_places_bind() {
    let source = common::amended_example(CECOT, "contracted_places = 300", "contracted_places = 1");
    let server = TestServer::start_sources(vec![source], |_| {}).await;
    let persons = vec![person("V1", "Reyes", "1990-04-02", "high"), person("V2", "Cruz", "1985-01-01", "low")];
    import_persons(&server, A, "US", persons).await;
    import_cells(&server, A, &[("cecot", "B1-C01", "shared", "100", 80)]).await;
    let s = staff(&server).await;
    let first = to_transit(&server, &s, "V1").await;
    ok(&server, &s.facility, first, admission("B1-C01")).await;
    let second = to_transit(&server, &s, "V2").await;
    let message = refused(&server, &s.facility, second, admission("B1-C01"), "CONTRACTED_PLACES").await;
    assert!(message.contains("1 held in cecot for 1 contracted places"), "{message}");
    server.stop().await;
}

/// Bullet 6: a death is recorded with its incident and its three notifications in one step; a
/// record_death without a report, or on a case not held, is refused and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safeguard_a_death_is_recorded_with_its_incident() {
    let server = TestServer::start(&[CECOT]).await;
    let persons = vec![person("V1", "Reyes", "1990-04-02", "high"), person("V2", "Cruz", "1985-01-01", "low")];
    import_persons(&server, A, "US", persons).await;
    import_cells(&server, A, &[("cecot", "B1-C01", "shared", "100", 80)]).await;
    let s = staff(&server).await;
    let held = to_transit(&server, &s, "V1").await;
    ok(&server, &s.facility, held, admission("B1-C01")).await;
    let proposed = propose(&server, &s, "V2", "2025-06-01").await;
    let report = "found unresponsive in cell B1-C01 at the 03:20 count";
    let death = |report: &str| json!({"action": "record_death", "reason": "DIED_IN_CUSTODY", "report": report, "occurred_at": at("2025-09-14")});

    let size = server.store.journal_size().await.unwrap();
    let (status, answer) = step(&server, &s.facility, held, death(" ")).await;
    assert_eq!((status, answer["field"].as_str()), (400, Some("report")), "{answer}");
    refused(&server, &s.facility, proposed, death(report), "INVALID_TRANSITION").await;
    assert_eq!(server.store.journal_size().await.unwrap(), size, "refused steps write nothing");
    let (_, none) = server.get(&s.auditor, &format!("/api/v1/incidents?agreement={A}")).await;
    assert_eq!(none["items"], json!([]));

    let case = ok(&server, &s.facility, held, death(report)).await;
    assert_eq!(case["state"], "deceased", "{case}");
    let (status, incidents) = server.get(&s.auditor, &format!("/api/v1/incidents?agreement={A}")).await;
    assert_eq!(status, 200, "{incidents}");
    let incidents = incidents["items"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{incidents:?}");
    let incident = &incidents[0];
    assert_eq!((incident["kind"].as_str(), incident["case_id"].as_i64()), (Some("death"), Some(held)));
    assert_eq!(incident["report"], report);
    assert_eq!(incident["occurred_at"], "2025-09-14T16:00:00Z");
    let recipients: Vec<&str> =
        incident["notifications"].as_array().unwrap().iter().map(|n| n["recipient"].as_str().unwrap()).collect();
    assert_eq!(recipients, ["next_of_kin", "sending_state", "independent_authority"]);
    server.stop().await;
}
