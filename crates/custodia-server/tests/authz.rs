//! The authorisation matrix (docs/access.md): every route × every role × a record in the caller's scope
//! and one outside it, against a hand-written table of who may do what. Outside the scope every
//! answer is 404 (as for a record that does not exist); inside, a role without the right answers
//! 403 and a role with it gets past authorisation (neither 401, 403, 404 nor 5xx). The test also
//! fails when a documented route is missing from the table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use custodia_store::prelude::*;
use std::collections::BTreeSet;

use common::{TestServer, actor, import_persons, person, send};
use serde_json::{Value, json};

const ROLES: [&str; 9] = [
    "admin",
    "sending_officer",
    "receiving_officer",
    "facility_officer",
    "legal_officer",
    "finance_officer",
    "inspector",
    "auditor",
    "medical_officer",
];

/// Who may use a route (the expected answers, written from docs/access.md — not read from the code).
#[derive(Clone, Copy, Debug)]
enum Who {
    /// Every role (reads).
    Everyone,
    /// Only these roles.
    Only(&'static [&'static str]),
}

/// One row: the request inside the scope, and the same request aimed outside it (`None` when
/// the route has no agreement scope, e.g. users and tokens).
struct Row {
    method: &'static str,
    route: &'static str,
    inside: (String, Option<Value>),
    outside: Option<(String, Option<Value>)>,
    who: Who,
}

struct Ids {
    case_in: i64,
    case_out: i64,
    person_in: i64,
    person_out: i64,
    incident_in: i64,
    incident_out: i64,
    allegation_in: i64,
    allegation_out: i64,
    inspection_in: i64,
    inspection_out: i64,
    invoice_in: i64,
    invoice_out: i64,
    cell_change_in: i64,
    cell_change_out: i64,
    complaint_in: i64,
    complaint_out: i64,
    care_in: i64,
    care_out: i64,
}

/// Every role but admin (the first).
const SUBSCRIBERS: &[&str] = ROLES.split_at(1).1;

const IN: &str = "us-sv-cecot";
const OUT: &str = "dk-xk-gjilan";

fn get(route: &'static str, inside: String, outside: Option<String>, who: Who) -> Row {
    Row { method: "GET", route, inside: (inside, None), outside: outside.map(|p| (p, None)), who }
}

fn delete(route: &'static str, inside: String, outside: String, who: Who) -> Row {
    Row { method: "DELETE", route, inside: (inside, None), outside: Some((outside, None)), who }
}

fn post(route: &'static str, inside: (String, Value), outside: Option<(String, Value)>, who: Who) -> Row {
    Row { method: "POST", route, inside: (inside.0, Some(inside.1)), outside: outside.map(|(p, b)| (p, Some(b))), who }
}

fn table(ids: &Ids) -> Vec<Row> {
    use Who::{Everyone, Only};
    let cecot = std::fs::read_to_string(common::repo().join("examples/agreements/us-sv-cecot.toml")).unwrap();
    let gjilan = std::fs::read_to_string(common::repo().join("examples/agreements/dk-xk-gjilan.toml")).unwrap();
    let incident = |a: &str, case: i64| json!({"agreement_id": a, "case_id": case, "kind": "other", "occurred_at": "2025-06-01T10:00:00Z", "report": "r"});
    let contact = |a: &str| json!({"agreement_id": a, "contact": "consul", "at": "2025-06-01T10:00:00Z", "means": "phone", "note": "n"});
    let inspection =
        |a: &str, body: &str| json!({"agreement_id": a, "body": body, "from": "2025-06-01", "to": "2025-06-02"});
    let cells = |a: &str, f: &str| json!({"agreement_id": a, "csv": format!("facility_id,cell_id,unit,kind,area_m2,beds\n{f},Z-1,z,single,9,1\n")});
    let persons_csv = "person_id,nationalities,conviction\nNEW1,VE,final\n";
    let hold =
        |case: i64| json!({"case_id": case, "authority": "court", "reference": "R", "order": "stop", "reason": "T"});
    let lift = |case: i64| json!({"case_id": case, "reference": "none", "decision_reference": "D", "reason": "T"});
    let complaint = |a: &str, case: i64| json!({"agreement_id": a, "case_id": case, "category": "family", "text": "no visit in two months"});
    let examination = |a: &str, case: i64| {
        json!({"agreement_id": a, "case_id": case, "purpose": "other",
        "examiner": "Dr. R", "fit_for_custody": "fit", "fit_for_transfer": "fit", "fit_for_solitary": "fit", "findings": "f"})
    };
    let visit = |a: &str, case: i64| json!({"agreement_id": a, "case_id": case, "kind": "family_call", "visitor": "V", "outcome": "held"});
    let solitary = |a: &str, case: i64| json!({"agreement_id": a, "case_id": case, "reason": "R"});
    let decide_challenge = |case: i64| json!({"case_id": case, "reference": "none", "outcome": "dismissed", "reasons": "R", "reason": "T"});
    let subscription =
        json!({"channel": "webhook", "url": "https://hooks.example.org/x", "secret": "0123456789abcdef"});
    let i = ids;
    vec![
        get("/api/v1/agreements", "/api/v1/agreements".into(), None, Everyone),
        post(
            "/api/v1/agreements/{id}/amendments/{proposal}/approve",
            (format!("/api/v1/agreements/{IN}/amendments/1/approve"), json!({})),
            Some((format!("/api/v1/agreements/{OUT}/amendments/2/approve"), json!({}))),
            Only(&["admin"]),
        ),
        get(
            "/api/v1/agreements/{id}",
            format!("/api/v1/agreements/{IN}"),
            Some(format!("/api/v1/agreements/{OUT}")),
            Everyone,
        ),
        // Subscriptions to alerts: every role but admin, scoped to every facility of the
        // agreement (docs/access.md#alerts). Removing one twice is not an error (DELETE is
        // idempotent), so every allowed role passes on subscription 1.
        get(
            "/api/v1/agreements/{id}/subscriptions",
            format!("/api/v1/agreements/{IN}/subscriptions"),
            Some(format!("/api/v1/agreements/{OUT}/subscriptions")),
            Only(SUBSCRIBERS),
        ),
        post(
            "/api/v1/agreements/{id}/subscriptions",
            (format!("/api/v1/agreements/{IN}/subscriptions"), subscription.clone()),
            Some((format!("/api/v1/agreements/{OUT}/subscriptions"), subscription)),
            Only(SUBSCRIBERS),
        ),
        delete(
            "/api/v1/agreements/{id}/subscriptions/{subscription}",
            format!("/api/v1/agreements/{IN}/subscriptions/1"),
            format!("/api/v1/agreements/{OUT}/subscriptions/2"),
            Only(SUBSCRIBERS),
        ),
        get(
            "/api/v1/agreements/{id}/deliveries",
            format!("/api/v1/agreements/{IN}/deliveries"),
            Some(format!("/api/v1/agreements/{OUT}/deliveries")),
            Only(SUBSCRIBERS),
        ),
        post(
            "/api/v1/agreements",
            ("/api/v1/agreements".into(), json!({"source_toml": cecot})),
            Some(("/api/v1/agreements".into(), json!({"source_toml": gjilan}))),
            Only(&["admin"]),
        ),
        get(
            "/api/v1/alerts",
            format!("/api/v1/alerts?agreement={IN}&on=2025-06-01"),
            Some(format!("/api/v1/alerts?agreement={OUT}&on=2025-06-01")),
            Everyone,
        ),
        get(
            "/api/v1/cases",
            format!("/api/v1/cases?agreement={IN}"),
            Some(format!("/api/v1/cases?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/cases",
            ("/api/v1/cases".into(), json!({"agreement_id": IN, "person_id": "V2"})),
            Some(("/api/v1/cases".into(), json!({"agreement_id": OUT, "person_id": "D2"}))),
            Only(&["sending_officer"]),
        ),
        get(
            "/api/v1/cases/{id}",
            format!("/api/v1/cases/{}", i.case_in),
            Some(format!("/api/v1/cases/{}", i.case_out)),
            Everyone,
        ),
        post(
            "/api/v1/cases/{id}/transitions",
            (format!("/api/v1/cases/{}/transitions", i.case_in), json!({"action": "screen", "reason": "T"})),
            Some((format!("/api/v1/cases/{}/transitions", i.case_out), json!({"action": "screen", "reason": "T"}))),
            Only(&["sending_officer"]),
        ),
        post(
            "/api/v1/cases/{id}/override-approvals",
            (
                format!("/api/v1/cases/{}/override-approvals", i.case_in),
                json!({"facility_id": "cecot", "cell_id": "B1-C01", "reason": "r"}),
            ),
            Some((
                format!("/api/v1/cases/{}/override-approvals", i.case_out),
                json!({"facility_id": "gjilan", "cell_id": "G-1", "reason": "r"}),
            )),
            Only(&["receiving_officer", "facility_officer"]),
        ),
        get(
            "/api/v1/contacts",
            format!("/api/v1/contacts?agreement={IN}"),
            Some(format!("/api/v1/contacts?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/contacts",
            ("/api/v1/contacts".into(), contact(IN)),
            Some(("/api/v1/contacts".into(), contact(OUT))),
            Only(&["sending_officer", "receiving_officer"]),
        ),
        get(
            "/api/v1/facilities",
            format!("/api/v1/facilities?agreement={IN}"),
            Some(format!("/api/v1/facilities?agreement={OUT}")),
            Everyone,
        ),
        get(
            "/api/v1/facilities/{id}/cells",
            format!("/api/v1/facilities/cecot/cells?agreement={IN}"),
            Some(format!("/api/v1/facilities/gjilan/cells?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/facilities/{id}/cells",
            ("/api/v1/facilities/cecot/cells".into(), cells(IN, "cecot")),
            Some(("/api/v1/facilities/gjilan/cells".into(), cells(OUT, "gjilan"))),
            Only(&["facility_officer"]),
        ),
        get(
            "/api/v1/cell-changes",
            format!("/api/v1/cell-changes?agreement_id={IN}"),
            Some(format!("/api/v1/cell-changes?agreement_id={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/cell-changes/{id}/confirm",
            (format!("/api/v1/cell-changes/{}/confirm", ids.cell_change_in), json!({})),
            Some((format!("/api/v1/cell-changes/{}/confirm", ids.cell_change_out), json!({}))),
            Only(&["facility_officer"]),
        ),
        get(
            "/api/v1/holds",
            format!("/api/v1/holds?agreement={IN}"),
            Some(format!("/api/v1/holds?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/holds",
            ("/api/v1/holds".into(), hold(i.case_in)),
            Some(("/api/v1/holds".into(), hold(i.case_out))),
            Only(&["legal_officer"]),
        ),
        post(
            "/api/v1/holds/lift",
            ("/api/v1/holds/lift".into(), lift(i.case_in)),
            Some(("/api/v1/holds/lift".into(), lift(i.case_out))),
            Only(&["legal_officer"]),
        ),
        post(
            "/api/v1/holds/confirm-lift",
            ("/api/v1/holds/confirm-lift".into(), json!({"case_id": i.case_in, "reference": "none", "reason": "T"})),
            Some((
                "/api/v1/holds/confirm-lift".into(),
                json!({"case_id": i.case_out, "reference": "none", "reason": "T"}),
            )),
            Only(&["legal_officer"]),
        ),
        post(
            "/api/v1/holds/decide-challenge",
            ("/api/v1/holds/decide-challenge".into(), decide_challenge(i.case_in)),
            Some(("/api/v1/holds/decide-challenge".into(), decide_challenge(i.case_out))),
            Only(&["legal_officer"]),
        ),
        get(
            "/api/v1/care",
            format!("/api/v1/care?agreement={IN}"),
            Some(format!("/api/v1/care?agreement={OUT}")),
            Everyone,
        ),
        get(
            "/api/v1/reports/inspection",
            format!("/api/v1/reports/inspection?agreement={IN}&facility=cecot&from=2025-01-01&to=2025-12-31"),
            Some(format!("/api/v1/reports/inspection?agreement={OUT}&facility=gjilan&from=2025-01-01&to=2025-12-31")),
            Everyone,
        ),
        get(
            "/api/v1/care/{id}",
            format!("/api/v1/care/{}", i.care_in),
            Some(format!("/api/v1/care/{}", i.care_out)),
            Everyone,
        ),
        post(
            "/api/v1/examinations",
            ("/api/v1/examinations".into(), examination(IN, i.case_in)),
            Some(("/api/v1/examinations".into(), examination(OUT, i.case_out))),
            Only(&["medical_officer"]),
        ),
        // The cases are proposed, not held: an allowed role is refused NOT_IN_CUSTODY (409).
        post(
            "/api/v1/visits",
            ("/api/v1/visits".into(), visit(IN, i.case_in)),
            Some(("/api/v1/visits".into(), visit(OUT, i.case_out))),
            Only(&["sending_officer", "facility_officer"]),
        ),
        post(
            "/api/v1/solitary",
            ("/api/v1/solitary".into(), solitary(IN, i.case_in)),
            Some(("/api/v1/solitary".into(), solitary(OUT, i.case_out))),
            Only(&["facility_officer"]),
        ),
        // The record is an examination: an allowed role is refused 400 (not a placement).
        post(
            "/api/v1/solitary/{id}/end",
            (format!("/api/v1/solitary/{}/end", i.care_in), json!({})),
            Some((format!("/api/v1/solitary/{}/end", i.care_out), json!({}))),
            Only(&["facility_officer"]),
        ),
        get(
            "/api/v1/complaints",
            format!("/api/v1/complaints?agreement={IN}"),
            Some(format!("/api/v1/complaints?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/complaints",
            ("/api/v1/complaints".into(), complaint(IN, i.case_in)),
            Some(("/api/v1/complaints".into(), complaint(OUT, i.case_out))),
            Only(&[
                "sending_officer",
                "receiving_officer",
                "facility_officer",
                "legal_officer",
                "inspector",
                "medical_officer",
            ]),
        ),
        get(
            "/api/v1/complaints/{id}",
            format!("/api/v1/complaints/{}", i.complaint_in),
            Some(format!("/api/v1/complaints/{}", i.complaint_out)),
            Everyone,
        ),
        post(
            "/api/v1/complaints/{id}/answer",
            (format!("/api/v1/complaints/{}/answer", i.complaint_in), json!({"text": "answered"})),
            Some((format!("/api/v1/complaints/{}/answer", i.complaint_out), json!({"text": "answered"}))),
            Only(&["sending_officer", "receiving_officer", "facility_officer", "legal_officer"]),
        ),
        post(
            "/api/v1/complaints/{id}/escalate",
            (format!("/api/v1/complaints/{}/escalate", i.complaint_in), json!({"body": "ICRC"})),
            Some((format!("/api/v1/complaints/{}/escalate", i.complaint_out), json!({"body": "ICRC"}))),
            Only(&[
                "sending_officer",
                "receiving_officer",
                "facility_officer",
                "legal_officer",
                "inspector",
                "medical_officer",
            ]),
        ),
        get(
            "/api/v1/incidents",
            format!("/api/v1/incidents?agreement={IN}"),
            Some(format!("/api/v1/incidents?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/incidents",
            ("/api/v1/incidents".into(), incident(IN, i.case_in)),
            Some(("/api/v1/incidents".into(), incident(OUT, i.case_out))),
            Only(&["receiving_officer", "facility_officer", "inspector", "medical_officer"]),
        ),
        get(
            "/api/v1/incidents/{id}",
            format!("/api/v1/incidents/{}", i.incident_in),
            Some(format!("/api/v1/incidents/{}", i.incident_out)),
            Everyone,
        ),
        post(
            "/api/v1/incidents/{id}/addenda",
            (format!("/api/v1/incidents/{}/addenda", i.incident_in), json!({"text": "more"})),
            Some((format!("/api/v1/incidents/{}/addenda", i.incident_out), json!({"text": "more"}))),
            Only(&["receiving_officer", "facility_officer", "inspector", "medical_officer"]),
        ),
        post(
            "/api/v1/incidents/{id}/notifications",
            (
                format!("/api/v1/incidents/{}/notifications", i.incident_in),
                json!({"recipient": "next_of_kin", "at": "2025-06-01T11:00:00Z"}),
            ),
            Some((
                format!("/api/v1/incidents/{}/notifications", i.incident_out),
                json!({"recipient": "next_of_kin", "at": "2025-06-01T11:00:00Z"}),
            )),
            Only(&["receiving_officer", "facility_officer", "inspector", "medical_officer"]),
        ),
        post(
            "/api/v1/incidents/{id}/investigation",
            (format!("/api/v1/incidents/{}/investigation", i.allegation_in), json!({"status": "investigating"})),
            Some((format!("/api/v1/incidents/{}/investigation", i.allegation_out), json!({"status": "investigating"}))),
            Only(&["legal_officer", "inspector"]),
        ),
        get(
            "/api/v1/reports/notifications",
            format!("/api/v1/reports/notifications?agreement={IN}"),
            Some(format!("/api/v1/reports/notifications?agreement={OUT}")),
            Everyone,
        ),
        get(
            "/api/v1/inspections",
            format!("/api/v1/inspections?agreement={IN}"),
            Some(format!("/api/v1/inspections?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/inspections",
            ("/api/v1/inspections".into(), inspection(IN, "ICRC")),
            Some((
                "/api/v1/inspections".into(),
                inspection(OUT, "Folketingets Ombudsmand (Danish Parliamentary Ombudsman)"),
            )),
            Only(&["inspector"]),
        ),
        post(
            "/api/v1/inspections/{id}/recommendations/{index}",
            (format!("/api/v1/inspections/{}/recommendations/0", i.inspection_in), json!({"state": "accepted"})),
            Some((format!("/api/v1/inspections/{}/recommendations/0", i.inspection_out), json!({"state": "accepted"}))),
            Only(&["inspector"]),
        ),
        get(
            "/api/v1/invoices",
            format!("/api/v1/invoices?agreement={IN}"),
            Some(format!("/api/v1/invoices?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/invoices",
            ("/api/v1/invoices".into(), json!({"agreement_id": IN, "period": "2025-04"})),
            Some(("/api/v1/invoices".into(), json!({"agreement_id": OUT, "period": "2024-06"}))),
            Only(&["finance_officer"]),
        ),
        post(
            "/api/v1/invoices/credit-notes",
            ("/api/v1/invoices/credit-notes".into(), json!({"agreement_id": IN})),
            Some(("/api/v1/invoices/credit-notes".into(), json!({"agreement_id": OUT}))),
            Only(&["finance_officer"]),
        ),
        get(
            "/api/v1/invoices/{id}",
            format!("/api/v1/invoices/{}", i.invoice_in),
            Some(format!("/api/v1/invoices/{}", i.invoice_out)),
            Everyone,
        ),
        post(
            "/api/v1/invoices/{id}/issue",
            (format!("/api/v1/invoices/{}/issue", i.invoice_in), json!({})),
            Some((format!("/api/v1/invoices/{}/issue", i.invoice_out), json!({}))),
            Only(&["finance_officer"]),
        ),
        get("/api/v1/journal/checkpoint", "/api/v1/journal/checkpoint".into(), None, Everyone),
        get("/api/v1/journal/key", "/api/v1/journal/key".into(), None, Everyone),
        get("/api/v1/journal/proofs/inclusion", "/api/v1/journal/proofs/inclusion?index=0".into(), None, Everyone),
        get(
            "/api/v1/journal/proofs/consistency",
            "/api/v1/journal/proofs/consistency?old_size=1".into(),
            None,
            Everyone,
        ),
        // The events themselves: inspectors and auditors (each event outside the scope as its
        // leaf hash only).
        get("/api/v1/journal/events", "/api/v1/journal/events?from=0".into(), None, Only(&["inspector", "auditor"])),
        // Entry bundles carry every event: only an inspector or auditor whose scope covers every
        // agreement in the register — and these users are scoped to one of its two.
        get("/tile/entries/{path}", "/tile/entries/000.p/1".into(), None, Only(&[])),
        get(
            "/api/v1/persons",
            format!("/api/v1/persons?agreement={IN}"),
            Some(format!("/api/v1/persons?agreement={OUT}")),
            Everyone,
        ),
        post(
            "/api/v1/persons",
            ("/api/v1/persons".into(), json!({"agreement_id": IN, "csv": persons_csv})),
            Some(("/api/v1/persons".into(), json!({"agreement_id": OUT, "csv": persons_csv}))),
            Only(&["sending_officer"]),
        ),
        get(
            "/api/v1/persons/{id}",
            format!("/api/v1/persons/{}", i.person_in),
            Some(format!("/api/v1/persons/{}", i.person_out)),
            Everyone,
        ),
        get(
            "/api/v1/persons/{id}/legal-basis",
            format!("/api/v1/persons/{}/legal-basis", i.person_in),
            Some(format!("/api/v1/persons/{}/legal-basis", i.person_out)),
            Everyone,
        ),
        post(
            "/api/v1/persons/{id}/screening",
            (format!("/api/v1/persons/{}/screening", i.person_in), json!({"agreement_id": IN, "as_of": "2025-06-01"})),
            Some((
                format!("/api/v1/persons/{}/screening", i.person_out),
                json!({"agreement_id": OUT, "as_of": "2025-06-01"}),
            )),
            Only(&["sending_officer", "receiving_officer", "legal_officer"]),
        ),
        post(
            "/api/v1/screenings",
            ("/api/v1/screenings".into(), json!({"agreement_id": IN, "as_of": "2025-06-01", "csv": persons_csv})),
            Some((
                "/api/v1/screenings".into(),
                json!({"agreement_id": OUT, "as_of": "2025-06-01", "csv": persons_csv}),
            )),
            Only(&["sending_officer", "receiving_officer", "legal_officer"]),
        ),
        get(
            "/api/v1/reports/legal-basis",
            format!("/api/v1/reports/legal-basis?agreement={IN}&on=2025-06-01"),
            Some(format!("/api/v1/reports/legal-basis?agreement={OUT}&on=2025-06-01")),
            Everyone,
        ),
        get(
            "/api/v1/reports/sustainability",
            format!("/api/v1/reports/sustainability?agreement={IN}"),
            Some(format!("/api/v1/reports/sustainability?agreement={OUT}&home_cost_per_day_minor=100")),
            Everyone,
        ),
        get(
            "/api/v1/agreements/{id}/forecast",
            format!("/api/v1/agreements/{IN}/forecast?intake_per_month=5&months=2&runs=3&from=2025-06-01"),
            Some(format!("/api/v1/agreements/{OUT}/forecast?intake_per_month=5&months=2&runs=3&from=2025-06-01")),
            Everyone,
        ),
        get("/api/v1/users", "/api/v1/users".into(), None, Only(&["admin"])),
        post(
            "/api/v1/users",
            ("/api/v1/users".into(), json!({"name": "someone", "role": "auditor", "agreements": [IN]})),
            None,
            Only(&["admin"]),
        ),
        post(
            "/api/v1/users/{name}/changes",
            ("/api/v1/users/auditor-user/changes".into(), json!({"role": "inspector"})),
            None,
            Only(&["admin"]),
        ),
        post(
            "/api/v1/users/{name}/disable",
            ("/api/v1/users/spare-user/disable".into(), json!({})),
            None,
            Only(&["admin"]),
        ),
        post(
            "/api/v1/users/{name}/enable",
            ("/api/v1/users/spare-user/enable".into(), json!({})),
            None,
            Only(&["admin"]),
        ),
        get("/api/v1/user-changes", "/api/v1/user-changes".into(), None, Only(&["admin", "auditor"])),
        post(
            "/api/v1/user-changes/{id}/confirm",
            ("/api/v1/user-changes/1/confirm".into(), json!({})),
            None,
            Only(&["admin"]),
        ),
        get("/api/v1/tokens", "/api/v1/tokens".into(), None, Everyone),
        post("/api/v1/tokens", ("/api/v1/tokens".into(), json!({"label": "mine"})), None, Everyone),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_every_role_inside_and_outside_the_scope() {
    let server =
        TestServer::start(&["examples/agreements/us-sv-cecot.toml", "examples/agreements/dk-xk-gjilan.toml"]).await;
    import_persons(
        &server,
        IN,
        "US",
        vec![person("V1", "Reyes", "1990-04-02", "high"), person("V2", "Cruz", "1985-01-01", "low")],
    )
    .await;
    let mut dk = person("D1", "Jensen", "1980-02-02", "medium");
    dk.nationalities = Some("SY".into());
    let mut dk2 = person("D2", "Holm", "1981-02-02", "medium");
    dk2.nationalities = Some("SY".into());
    import_persons(&server, OUT, "DK", vec![dk, dk2]).await;
    let store = &server.store;
    let ts = custodia_store::Timestamp::parse("2025-06-01T09:00:00Z").unwrap();
    let open = custodia_app::cases::opener(&ts);
    let case_in = store.propose_case(IN, "V1", &open, &actor("setup")).await.unwrap().unwrap().id;
    let case_out = store.propose_case(OUT, "D1", &open, &actor("setup")).await.unwrap().unwrap().id;
    let incident_in = store
        .file_incident(IN, Some(case_in), custodia_core::incidents::IncidentKind::Death, &ts, "r", &actor("setup"))
        .await
        .unwrap()
        .id;
    let incident_out = store
        .file_incident(OUT, Some(case_out), custodia_core::incidents::IncidentKind::Death, &ts, "r", &actor("setup"))
        .await
        .unwrap()
        .id;
    let setup = actor("setup");
    let allegation = |agreement: &'static str, case: i64| {
        let kind = custodia_core::incidents::IncidentKind::TortureAllegation;
        store.file_incident(agreement, Some(case), kind, &ts, "r", &setup)
    };
    let allegation_in = allegation(IN, case_in).await.unwrap().id;
    let allegation_out = allegation(OUT, case_out).await.unwrap().id;
    let inspection = |body: &str| custodia_core::oversight::Inspection {
        body: body.into(),
        from: custodia_core::Date::parse("2025-05-01").unwrap(),
        to: custodia_core::Date::parse("2025-05-02").unwrap(),
        findings: vec!["f".into()],
        recommendations: vec![("r".into(), custodia_core::oversight::RecommendationState::Open)],
    };
    let inspection_in = store.file_inspection(IN, &inspection("ICRC"), &actor("setup")).await.unwrap();
    let inspection_out = store
        .file_inspection(OUT, &inspection("Folketingets Ombudsmand (Danish Parliamentary Ombudsman)"), &actor("setup"))
        .await
        .unwrap();
    // Drafts through the application layer, by a finance officer outside the role table.
    let app = custodia_app::App::new(store.clone(), [7; 32], "authz.test/journal".into());
    let ana = custodia_app::Principal {
        name: "ana".into(),
        role: custodia_app::Role::FinanceOfficer,
        agreements: None,
        facilities: None,
        language: None,
    };
    let now = custodia_store::Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
    let draft = |agreement_id: &str, period: &str| custodia_app::billing::DraftInvoice {
        agreement_id: agreement_id.into(),
        period: period.into(),
        ..Default::default()
    };
    let invoice_in = app.draft_invoice(&ana, &draft(IN, "2025-03"), &now).await.unwrap().row.id;
    // Amendment proposals 1 (inside) and 2 (outside), by a user who is not in the table.
    for path in ["examples/agreements/us-sv-cecot.toml", "examples/agreements/dk-xk-gjilan.toml"] {
        let source = std::fs::read_to_string(common::repo().join(path)).unwrap().replacen(
            "title = \"",
            "title = \"Amended: ",
            1,
        );
        let agreement = custodia_core::Agreement::from_toml(&source).unwrap();
        let file = custodia_store::AgreementFile { agreement: &agreement, source: &source, effective_from: None };
        store.propose_amendment(&file, &actor("setup")).await.unwrap();
    }
    let gjilan_first = {
        let source = std::fs::read_to_string(common::repo().join("examples/agreements/dk-xk-gjilan.toml")).unwrap();
        let a = custodia_core::Agreement::from_toml(&source).unwrap();
        format!("{:04}-{:02}", a.starts.year(), a.starts.month())
    };
    let invoice_out = app.draft_invoice(&ana, &draft(OUT, &gjilan_first), &now).await.unwrap().row.id;
    // Cell changes 1 (inside) and 2 (outside), proposed by a user who is not in the table.
    let cell = |f: &str, area: &str| custodia_core::capacity::Cell {
        facility_id: custodia_core::FacilityId::parse(f).unwrap(),
        cell_id: "Q-1".into(),
        unit: "q".into(),
        kind: custodia_core::capacity::CellKind::Shared,
        area_m2: custodia_core::Decimal::parse(area).unwrap(),
        beds: 2,
    };
    let mut cell_changes = Vec::new();
    for (a, f) in [(IN, "cecot"), (OUT, "gjilan")] {
        store.submit_cells(a, f, &[cell(f, "9")], &actor("setup")).await.unwrap();
        match store.submit_cells(a, f, &[cell(f, "12")], &actor("setup")).await.unwrap() {
            custodia_store::CellsSubmitted::Proposed(c) => cell_changes.push(c.id),
            other => panic!("a change to registered cells is proposed: {other:?}"),
        }
    }
    // A complaint (not confidential) per agreement, made now.
    let complaint = |agreement: &'static str, case: i64| async move {
        let now = custodia_server::clock::now();
        let c = custodia_core::rights::Complaint {
            category: custodia_core::rights::ComplaintCategory::Conditions,
            confidential: false,
            text: "t".into(),
            filed_by: "setup".into(),
            filed_at: now.as_str().to_owned(),
            filed_at_unix: now.unix_seconds(),
            due_at_unix: now.unix_seconds() + 14 * 86_400,
            alleges_ill_treatment: false,
            incident_id: None,
            answer: None,
            escalation: None,
        };
        store.file_complaint(agreement, case, &c, &actor("setup")).await.unwrap().id
    };
    // An examination per agreement (a proposed case may be examined, for a transfer).
    let care = |agreement: &'static str, case: i64| {
        let ts = ts.clone();
        async move {
            let exam = custodia_core::care::Examination {
                purpose: custodia_core::care::ExamPurpose::Transfer,
                examiner: "Dr. R".into(),
                examined_at: ts.as_str().to_owned(),
                examined_at_unix: ts.unix_seconds(),
                fitness: custodia_core::care::FitnessFor {
                    custody: custodia_core::care::Fitness::Fit,
                    transfer: custodia_core::care::Fitness::Fit,
                    solitary: custodia_core::care::Fitness::Fit,
                },
                findings: "f".into(),
                injuries: None,
                intake: None,
            };
            let item = custodia_store::CareItem::Examination(exam);
            store.record_care(agreement, case, &item, &actor("setup")).await.unwrap().id
        }
    };
    let persons = store.persons_page(0, 10).await.unwrap();
    let id_of = |sending: &str| persons.iter().find(|p| p.record.sending_id == sending).unwrap().id;
    let ids = Ids {
        case_in,
        case_out,
        person_in: id_of("V1"),
        person_out: id_of("D1"),
        incident_in,
        incident_out,
        allegation_in,
        allegation_out,
        inspection_in,
        inspection_out,
        invoice_in,
        invoice_out,
        cell_change_in: cell_changes[0],
        cell_change_out: cell_changes[1],
        complaint_in: complaint(IN, case_in).await,
        complaint_out: complaint(OUT, case_out).await,
        care_in: care(IN, case_in).await,
        care_out: care(OUT, case_out).await,
    };
    for agreement in [IN, OUT] {
        let new = custodia_store::notifications::NewSubscription {
            agreement_id: agreement,
            min_severity: "warning",
            kinds: &[],
            channel: "email",
            target: "duty@example.org",
            secret: None,
        };
        use custodia_store::Notifications;
        store.create_subscription(&new, &actor("setup")).await.unwrap();
    }
    server.user("spare-user", "auditor", &[IN], &[]).await;
    let mut tokens = Vec::new();
    for role in ROLES {
        tokens.push((role, server.user(&format!("{role}-user"), role, &[IN], &[]).await));
    }

    // A user change proposed by init's admin, for the other admin to confirm (change 1).
    let (status, pending) = server
        .post(
            &server.first_admin,
            "/api/v1/users",
            json!({"name": "pending-one", "role": "auditor", "agreements": [IN]}),
        )
        .await;
    assert_eq!((status, pending["id"].as_i64()), (202, Some(1)), "{pending}");
    let rows = table(&ids);
    // Every documented, authenticated operation is in the table.
    let doc: Value = server.client.get(server.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    // The tlog-tiles checkpoint and hash tiles need no login (they name nobody).
    let public: BTreeSet<&str> =
        ["/healthz", "/readyz", "/locator", "/api/v1/login", "/checkpoint", "/tile/{path}"].into();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !public.contains(path.as_str()) && !path.contains("/revoke") {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let covered: BTreeSet<(String, String)> = rows.iter().map(|r| (r.method.to_owned(), r.route.to_owned())).collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "routes missing from the authorisation table: {missing:?}");

    let mut failures = Vec::new();
    for row in &rows {
        for (role, token) in &tokens {
            let allowed = match row.who {
                Who::Everyone => true,
                Who::Only(roles) => roles.contains(role),
            };
            let (status, body) = send(&server, token, row.method, &row.inside.0, &row.inside.1).await;
            let ok = if allowed { ![401, 403, 404].contains(&status) && status < 500 } else { status == 403 };
            if !ok {
                failures.push(format!(
                    "{} {} as {role} inside the scope: {status} (expected {}) {body}",
                    row.method,
                    row.inside.0,
                    if allowed { "to pass" } else { "403" }
                ));
            }
            if let Some((path, body_out)) = &row.outside {
                let (status, body) = send(&server, token, row.method, path, body_out).await;
                if status != 404 {
                    failures.push(format!(
                        "{} {path} as {role} outside the scope: {status} (expected 404) {body}",
                        row.method
                    ));
                }
            }
        }
    }
    // A token another user owns is not the caller's to revoke: 404 for all but an admin.
    let (secret, hash) = custodia_server::auth::new_token().unwrap();
    let _ = secret;
    let other = store.create_token("auditor-user", &hash, "x", None, &actor("setup")).await.unwrap();
    for (role, token) in &tokens {
        if *role == "admin" || *role == "auditor" {
            continue;
        }
        let (status, _) =
            send(&server, token, "POST", &format!("/api/v1/tokens/{}/revoke", other.id), &Some(json!({}))).await;
        if status != 404 {
            failures.push(format!("revoke another user's token as {role}: {status} (expected 404)"));
        }
    }
    let (status, _) =
        send(&server, &tokens[0].1, "POST", &format!("/api/v1/tokens/{}/revoke", other.id), &Some(json!({}))).await;
    assert_eq!(status, 200, "an admin revokes anyone's token");
    assert!(failures.is_empty(), "{} unexpected answers:\n{}", failures.len(), failures.join("\n"));
    server.stop().await;
}
