//! Persons scoped by agreement (docs/access.md#persons-and-agreements). Two agreements of one
//! sending state: a person is in scope for a user scoped to agreement A when the person was
//! imported under A or has a case under A, identifiers recorded under the other agreement are not
//! shown, a case under A is opened only for a person imported under A, and every route aimed at a
//! person, facility, cell or record of the other agreement answers 404 and writes nothing. The
//! route table is checked against the OpenAPI document, so a new route without a row fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::BTreeSet;

use common::{TestServer, actor, case_actor, import_persons, person, send};
use custodia_store::prelude::*;
use serde_json::{Value, json};

const A: &str = "us-sv-cecot";
const B: &str = "us-sv-izalco";

/// The CECOT example as a second agreement of the United States, with its own facility.
fn second_agreement() -> String {
    let source = std::fs::read_to_string(common::repo().join("examples/agreements/us-sv-cecot.toml")).unwrap();
    assert!(source.contains("id = \"us-sv-cecot\"") && source.contains("id = \"cecot\""));
    source.replacen("id = \"us-sv-cecot\"", "id = \"us-sv-izalco\"", 1).replacen("id = \"cecot\"", "id = \"izalco\"", 1)
}

fn first_agreement() -> String {
    std::fs::read_to_string(common::repo().join("examples/agreements/us-sv-cecot.toml")).unwrap()
}

/// Takes a case through to custody in `facility`'s cell `cell`, recording `receiving_id`.
async fn admit(server: &TestServer, case_id: i64, facility: &str, cell: &str, receiving_id: &str) {
    use custodia_core::agreement::Party;
    use custodia_core::custody::{Command, IntakeRecord};
    use custodia_store::cases::{CaseCall, CaseRequest, PlacementRequest};
    let admit = CaseRequest::Admit {
        receiving_id: Some(receiving_id.into()),
        commitment_order: "order".into(),
        intake: IntakeRecord {
            admitted_on: custodia_core::Date::parse("2025-06-01").unwrap(),
            hour: 6,
            visible_injuries: "none".into(),
            property: "none".into(),
            next_of_kin: "kin".into(),
        },
        placement: PlacementRequest { facility_id: facility.into(), cell_id: cell.into(), override_by: None },
    };
    let steps = [
        (CaseRequest::Plain(Command::Screen), "s"),
        (CaseRequest::Plain(Command::Approve { state: Party::Sending }), "a"),
        (CaseRequest::Plain(Command::Approve { state: Party::Receiving }), "b"),
        (CaseRequest::Plain(Command::Schedule), "a"),
        (CaseRequest::Plain(Command::Depart), "a"),
        (admit, "w"),
    ];
    for (request, user) in steps {
        let call = CaseCall::new(case_id, "step", request, case_actor(user), actor("setup"));
        server.store.act_on_case(&call, &custodia_app::cases::decide).await.unwrap().unwrap();
    }
}

struct Ids {
    case_a: i64,
    case_b: i64,
    w1: i64,
    incident_b: i64,
    allegation_b: i64,
    inspection_b: i64,
    invoice_b: i64,
    cell_change_b: i64,
    complaint_b: i64,
    examination_b: i64,
    placement_b: i64,
    subscription_b: i64,
}

/// One documented operation: the request a user scoped to A sends aimed at B's records, or `None`
/// for an operation that takes no agreement, person, facility or cell.
struct Row {
    method: &'static str,
    route: &'static str,
    request: Option<(String, Option<Value>)>,
}

fn get(route: &'static str, path: String) -> Row {
    Row { method: "GET", route, request: Some((path, None)) }
}

fn post(route: &'static str, path: String, body: Value) -> Row {
    Row { method: "POST", route, request: Some((path, Some(body))) }
}

fn unscoped(method: &'static str, route: &'static str) -> Row {
    Row { method, route, request: None }
}

fn table(i: &Ids) -> Vec<Row> {
    let csv = "person_id,nationalities,conviction\nNEW1,VE,final\n";
    let hold = json!({"case_id": i.case_b, "authority": "court", "reference": "R", "order": "stop", "reason": "T"});
    vec![
        unscoped("GET", "/api/v1/agreements"),
        post("/api/v1/agreements", "/api/v1/agreements".into(), json!({"source_toml": second_agreement()})),
        get("/api/v1/agreements/{id}", format!("/api/v1/agreements/{B}")),
        post(
            "/api/v1/agreements/{id}/amendments/{proposal}/approve",
            format!("/api/v1/agreements/{B}/amendments/1/approve"),
            json!({}),
        ),
        get("/api/v1/alerts", format!("/api/v1/alerts?agreement={B}&on=2025-06-01")),
        get("/api/v1/agreements/{id}/subscriptions", format!("/api/v1/agreements/{B}/subscriptions")),
        post(
            "/api/v1/agreements/{id}/subscriptions",
            format!("/api/v1/agreements/{B}/subscriptions"),
            json!({"channel": "email", "email": "duty@example.org"}),
        ),
        Row {
            method: "DELETE",
            route: "/api/v1/agreements/{id}/subscriptions/{subscription}",
            request: Some((format!("/api/v1/agreements/{B}/subscriptions/{}", i.subscription_b), None)),
        },
        get("/api/v1/agreements/{id}/deliveries", format!("/api/v1/agreements/{B}/deliveries")),
        get("/api/v1/cases", format!("/api/v1/cases?agreement={B}")),
        // A person of the same sending state imported under B only, as a case under A.
        post("/api/v1/cases", "/api/v1/cases".into(), json!({"agreement_id": A, "person_id": "W1"})),
        get("/api/v1/cases/{id}", format!("/api/v1/cases/{}", i.case_b)),
        post(
            "/api/v1/cases/{id}/transitions",
            format!("/api/v1/cases/{}/transitions", i.case_b),
            json!({"action": "screen", "reason": "T"}),
        ),
        // A case under A, pointed at B's facility and cell.
        post(
            "/api/v1/cases/{id}/override-approvals",
            format!("/api/v1/cases/{}/override-approvals", i.case_a),
            json!({"facility_id": "izalco", "cell_id": "IZ-1", "reason": "r"}),
        ),
        get("/api/v1/contacts", format!("/api/v1/contacts?agreement={B}")),
        post(
            "/api/v1/contacts",
            "/api/v1/contacts".into(),
            json!({"agreement_id": B, "contact": "consul", "at": "2025-06-01T10:00:00Z", "means": "phone", "note": "n"}),
        ),
        get("/api/v1/facilities", format!("/api/v1/facilities?agreement={B}")),
        get("/api/v1/facilities/{id}/cells", format!("/api/v1/facilities/izalco/cells?agreement={A}")),
        post(
            "/api/v1/facilities/{id}/cells",
            "/api/v1/facilities/izalco/cells".into(),
            json!({"agreement_id": A, "csv": "facility_id,cell_id,unit,kind,area_m2,beds\nizalco,Z-1,z,single,9,1\n"}),
        ),
        get("/api/v1/cell-changes", format!("/api/v1/cell-changes?agreement_id={B}")),
        post(
            "/api/v1/cell-changes/{id}/confirm",
            format!("/api/v1/cell-changes/{}/confirm", i.cell_change_b),
            json!({}),
        ),
        get("/api/v1/holds", format!("/api/v1/holds?agreement={B}")),
        post("/api/v1/holds", "/api/v1/holds".into(), hold),
        post(
            "/api/v1/holds/lift",
            "/api/v1/holds/lift".into(),
            json!({"case_id": i.case_b, "reference": "none", "decision_reference": "D", "reason": "T"}),
        ),
        post(
            "/api/v1/holds/confirm-lift",
            "/api/v1/holds/confirm-lift".into(),
            json!({"case_id": i.case_b, "reference": "none", "reason": "T"}),
        ),
        post(
            "/api/v1/holds/decide-challenge",
            "/api/v1/holds/decide-challenge".into(),
            json!({"case_id": i.case_b, "reference": "none", "outcome": "dismissed", "reasons": "R", "reason": "T"}),
        ),
        get("/api/v1/care", format!("/api/v1/care?agreement={B}")),
        get("/api/v1/care/{id}", format!("/api/v1/care/{}", i.examination_b)),
        get(
            "/api/v1/reports/inspection",
            format!("/api/v1/reports/inspection?agreement={B}&facility=izalco&from=2025-01-01&to=2025-12-31"),
        ),
        // B's case, recorded under A.
        post(
            "/api/v1/examinations",
            "/api/v1/examinations".into(),
            json!({"agreement_id": A, "case_id": i.case_b, "purpose": "other", "examiner": "Dr. R", "fit_for_custody": "fit",
                "fit_for_transfer": "fit", "fit_for_solitary": "fit", "findings": "f"}),
        ),
        post(
            "/api/v1/visits",
            "/api/v1/visits".into(),
            json!({"agreement_id": A, "case_id": i.case_b, "kind": "family_call", "visitor": "V", "outcome": "held"}),
        ),
        post(
            "/api/v1/solitary",
            "/api/v1/solitary".into(),
            json!({"agreement_id": A, "case_id": i.case_b, "reason": "R"}),
        ),
        post("/api/v1/solitary/{id}/end", format!("/api/v1/solitary/{}/end", i.placement_b), json!({})),
        get("/api/v1/complaints", format!("/api/v1/complaints?agreement={B}")),
        // B's case, a complaint filed under A.
        post(
            "/api/v1/complaints",
            "/api/v1/complaints".into(),
            json!({"agreement_id": A, "case_id": i.case_b, "category": "family", "text": "t"}),
        ),
        get("/api/v1/complaints/{id}", format!("/api/v1/complaints/{}", i.complaint_b)),
        post(
            "/api/v1/complaints/{id}/answer",
            format!("/api/v1/complaints/{}/answer", i.complaint_b),
            json!({"text": "a"}),
        ),
        post(
            "/api/v1/complaints/{id}/escalate",
            format!("/api/v1/complaints/{}/escalate", i.complaint_b),
            json!({"body": "ICRC"}),
        ),
        get("/api/v1/incidents", format!("/api/v1/incidents?agreement={B}")),
        // B's case, filed under A.
        post(
            "/api/v1/incidents",
            "/api/v1/incidents".into(),
            json!({"agreement_id": A, "case_id": i.case_b, "kind": "other", "occurred_at": "2025-06-01T10:00:00Z", "report": "r"}),
        ),
        get("/api/v1/incidents/{id}", format!("/api/v1/incidents/{}", i.incident_b)),
        post(
            "/api/v1/incidents/{id}/addenda",
            format!("/api/v1/incidents/{}/addenda", i.incident_b),
            json!({"text": "t"}),
        ),
        post(
            "/api/v1/incidents/{id}/notifications",
            format!("/api/v1/incidents/{}/notifications", i.incident_b),
            json!({"recipient": "next_of_kin", "at": "2025-06-01T11:00:00Z"}),
        ),
        post(
            "/api/v1/incidents/{id}/investigation",
            format!("/api/v1/incidents/{}/investigation", i.allegation_b),
            json!({"status": "investigating"}),
        ),
        get("/api/v1/reports/notifications", format!("/api/v1/reports/notifications?agreement={B}")),
        get("/api/v1/inspections", format!("/api/v1/inspections?agreement={B}")),
        post(
            "/api/v1/inspections",
            "/api/v1/inspections".into(),
            json!({"agreement_id": B, "body": "ICRC", "from": "2025-06-01", "to": "2025-06-02"}),
        ),
        post(
            "/api/v1/inspections/{id}/recommendations/{index}",
            format!("/api/v1/inspections/{}/recommendations/0", i.inspection_b),
            json!({"state": "accepted"}),
        ),
        get("/api/v1/invoices", format!("/api/v1/invoices?agreement={B}")),
        post("/api/v1/invoices", "/api/v1/invoices".into(), json!({"agreement_id": B, "period": "2025-04"})),
        post("/api/v1/invoices/credit-notes", "/api/v1/invoices/credit-notes".into(), json!({"agreement_id": B})),
        get("/api/v1/invoices/{id}", format!("/api/v1/invoices/{}", i.invoice_b)),
        post("/api/v1/invoices/{id}/issue", format!("/api/v1/invoices/{}/issue", i.invoice_b), json!({})),
        unscoped("GET", "/api/v1/journal/checkpoint"),
        unscoped("GET", "/api/v1/journal/key"),
        unscoped("GET", "/api/v1/journal/proofs/inclusion"),
        unscoped("GET", "/api/v1/journal/proofs/consistency"),
        unscoped("GET", "/api/v1/journal/events"),
        unscoped("GET", "/checkpoint"),
        unscoped("GET", "/tile/{path}"),
        unscoped("GET", "/tile/entries/{path}"),
        get("/api/v1/persons", format!("/api/v1/persons?agreement={B}")),
        post("/api/v1/persons", "/api/v1/persons".into(), json!({"agreement_id": B, "csv": csv})),
        get("/api/v1/persons/{id}", format!("/api/v1/persons/{}", i.w1)),
        get("/api/v1/persons/{id}/legal-basis", format!("/api/v1/persons/{}/legal-basis", i.w1)),
        // Screened under A, or under B: not in scope either way.
        post(
            "/api/v1/persons/{id}/screening",
            format!("/api/v1/persons/{}/screening", i.w1),
            json!({"agreement_id": A, "as_of": "2025-06-01"}),
        ),
        post(
            "/api/v1/screenings",
            "/api/v1/screenings".into(),
            json!({"agreement_id": B, "as_of": "2025-06-01", "csv": csv}),
        ),
        get("/api/v1/reports/legal-basis", format!("/api/v1/reports/legal-basis?agreement={B}&on=2025-06-01")),
        get("/api/v1/reports/sustainability", format!("/api/v1/reports/sustainability?agreement={B}")),
        get(
            "/api/v1/agreements/{id}/forecast",
            format!("/api/v1/agreements/{B}/forecast?intake_per_month=5&months=2&runs=3&from=2025-06-01"),
        ),
        unscoped("GET", "/api/v1/users"),
        unscoped("POST", "/api/v1/users"),
        unscoped("POST", "/api/v1/users/{name}/changes"),
        unscoped("POST", "/api/v1/users/{name}/disable"),
        unscoped("POST", "/api/v1/users/{name}/enable"),
        unscoped("GET", "/api/v1/user-changes"),
        unscoped("POST", "/api/v1/user-changes/{id}/confirm"),
        unscoped("GET", "/api/v1/tokens"),
        unscoped("POST", "/api/v1/tokens"),
        unscoped("POST", "/api/v1/tokens/{id}/revoke"),
        unscoped("POST", "/api/v1/login"),
        unscoped("GET", "/locator"),
        unscoped("GET", "/healthz"),
        unscoped("GET", "/readyz"),
    ]
}

/// The role that may do what a route does (so a 404 is the scope's answer, not a missing right).
fn role_for(method: &str, route: &str) -> &'static str {
    if method == "GET" {
        return "auditor";
    }
    match route {
        r if r.starts_with("/api/v1/agreements") => "admin",
        r if r.contains("override-approvals") || r.contains("cell") => "facility_officer",
        r if r.starts_with("/api/v1/holds") => "legal_officer",
        r if r.contains("investigation") || r.starts_with("/api/v1/inspections") => "inspector",
        r if r.starts_with("/api/v1/incidents") => "facility_officer",
        r if r.starts_with("/api/v1/invoices") => "finance_officer",
        "/api/v1/examinations" => "medical_officer",
        r if r.starts_with("/api/v1/visits") || r.starts_with("/api/v1/solitary") => "facility_officer",
        _ => "sending_officer",
    }
}

async fn setup(server: &TestServer) -> Ids {
    let store = &server.store;
    import_persons(
        server,
        A,
        "US",
        vec![person("V1", "Reyes", "1990-04-02", "low"), person("S1", "Both", "1991-01-01", "low")],
    )
    .await;
    import_persons(
        server,
        B,
        "US",
        vec![person("W1", "Other", "1985-01-01", "low"), person("S1", "Both", "1991-01-01", "low")],
    )
    .await;
    common::import_cells(server, A, &[("cecot", "B1-C01", "single", "9", 1)]).await;
    common::import_cells(server, B, &[("izalco", "IZ-1", "single", "9", 1), ("izalco", "IZ-2", "single", "9", 1)])
        .await;
    let ts = custodia_store::Timestamp::parse("2025-06-01T09:00:00Z").unwrap();
    let open = custodia_app::cases::opener(&ts);
    let case_a = store.propose_case(A, "V1", &open, &actor("setup")).await.unwrap().unwrap().id;
    let case_b = store.propose_case(B, "W1", &open, &actor("setup")).await.unwrap().unwrap().id;
    // S1, imported under both, is held under B with an inmate number recorded under B.
    let shared = store.propose_case(B, "S1", &open, &actor("setup")).await.unwrap().unwrap().id;
    admit(server, shared, "izalco", "IZ-2", "SV-IZ-0002").await;
    let kind = custodia_core::incidents::IncidentKind::Death;
    let incident_b = store.file_incident(B, Some(case_b), kind, &ts, "r", &actor("setup")).await.unwrap().id;
    let kind = custodia_core::incidents::IncidentKind::TortureAllegation;
    let allegation_b = store.file_incident(B, Some(case_b), kind, &ts, "r", &actor("setup")).await.unwrap().id;
    let inspection = custodia_core::oversight::Inspection {
        body: "ICRC".into(),
        from: custodia_core::Date::parse("2025-05-01").unwrap(),
        to: custodia_core::Date::parse("2025-05-02").unwrap(),
        findings: vec!["f".into()],
        recommendations: vec![("r".into(), custodia_core::oversight::RecommendationState::Open)],
    };
    let inspection_b = store.file_inspection(B, &inspection, &actor("setup")).await.unwrap();
    let source = second_agreement().replacen("title = \"", "title = \"Amended: ", 1);
    let agreement = custodia_core::Agreement::from_toml(&source).unwrap();
    let file = custodia_store::AgreementFile { agreement: &agreement, source: &source, effective_from: None };
    store.propose_amendment(&file, &actor("setup")).await.unwrap();
    let changed = custodia_core::capacity::Cell {
        facility_id: custodia_core::FacilityId::parse("izalco").unwrap(),
        cell_id: "IZ-3".into(),
        unit: "q".into(),
        kind: custodia_core::capacity::CellKind::Single,
        area_m2: custodia_core::Decimal::parse("9").unwrap(),
        beds: 1,
    };
    let cell_change_b = match store.submit_cells(B, "izalco", &[changed], &actor("setup")).await.unwrap() {
        custodia_store::CellsSubmitted::Proposed(c) => c.id,
        other => panic!("a change to registered cells is proposed: {other:?}"),
    };
    let app = custodia_app::App::new(store.clone(), [7; 32], "scope.test/journal".into());
    let finance = custodia_app::Principal {
        name: "finance".into(),
        role: custodia_app::Role::FinanceOfficer,
        agreements: None,
        facilities: None,
        language: None,
    };
    let now = custodia_store::Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
    let draft =
        custodia_app::billing::DraftInvoice { agreement_id: B.into(), period: "2025-03".into(), ..Default::default() };
    let invoice_b = app.draft_invoice(&finance, &draft, &now).await.unwrap().row.id;
    let w1 = store.person_id_of("US", "W1").await.unwrap().unwrap();
    let complaint = custodia_core::rights::Complaint {
        category: custodia_core::rights::ComplaintCategory::Family,
        confidential: false,
        text: "no visit".into(),
        filed_by: "setup".into(),
        filed_at: ts.as_str().to_owned(),
        filed_at_unix: ts.unix_seconds(),
        due_at_unix: ts.unix_seconds() + 14 * 86_400,
        alleges_ill_treatment: false,
        incident_id: None,
        answer: None,
        escalation: None,
    };
    let complaint_b = store.file_complaint(B, case_b, &complaint, &actor("setup")).await.unwrap().id;
    let exam = custodia_core::care::Examination {
        purpose: custodia_core::care::ExamPurpose::Other,
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
    let examination_b = store.record_care(B, case_b, &item, &actor("setup")).await.unwrap().id;
    // S1 is held under B: placed in solitary confinement there.
    let placement = custodia_core::care::Placement {
        start_at: ts.as_str().to_owned(),
        start_at_unix: ts.unix_seconds(),
        reason: "r".into(),
        authorised_by: "setup".into(),
        end: None,
    };
    let item = custodia_store::CareItem::Placement(placement);
    let placement_b = store.record_care(B, shared, &item, &actor("setup")).await.unwrap().id;
    let subscription = custodia_store::notifications::NewSubscription {
        agreement_id: B,
        min_severity: "warning",
        kinds: &[],
        channel: "email",
        target: "duty@example.org",
        secret: None,
    };
    let subscription_b = {
        use custodia_store::Notifications;
        store.create_subscription(&subscription, &actor("setup")).await.unwrap().id
    };
    Ids {
        case_a,
        case_b,
        w1,
        incident_b,
        allegation_b,
        inspection_b,
        invoice_b,
        cell_change_b,
        complaint_b,
        examination_b,
        placement_b,
        subscription_b,
    }
}

async fn id_of(server: &TestServer, sending_id: &str) -> i64 {
    server.store.person_id_of("US", sending_id).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_aimed_at_another_agreement_of_the_same_sending_state_answers_404_and_writes_nothing() {
    let server = TestServer::start_sources(vec![first_agreement(), second_agreement()], |_| {}).await;
    let ids = setup(&server).await;
    let rows = table(&ids);
    // Every documented operation has a row.
    let doc: Value = server.client.get(server.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let covered: BTreeSet<(String, String)> = rows.iter().map(|r| (r.method.to_owned(), r.route.to_owned())).collect();
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "operations without a row in the scope table: {missing:?}");

    let mut tokens = std::collections::HashMap::new();
    let mut failures = Vec::new();
    for row in &rows {
        let Some((path, body)) = &row.request else { continue };
        let role = role_for(row.method, row.route);
        if !tokens.contains_key(role) {
            tokens.insert(role, server.user(&format!("{role}-a"), role, &[A], &[]).await);
        }
        let size = server.store.journal_size().await.unwrap();
        let (status, answer) = send(&server, &tokens[role], row.method, path, body).await;
        if status != 404 {
            failures.push(format!("{} {path} as {role} scoped to {A}: {status} (expected 404) {answer}", row.method));
        }
        let after = server.store.journal_size().await.unwrap();
        if after != size {
            failures.push(format!("{} {path} as {role} scoped to {A}: wrote {} events", row.method, after - size));
        }
    }
    assert!(failures.is_empty(), "{} unexpected answers:\n{}", failures.len(), failures.join("\n"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn persons_and_identifiers_follow_the_agreement_they_were_imported_or_held_under() {
    let server = TestServer::start_sources(vec![first_agreement(), second_agreement()], |_| {}).await;
    setup(&server).await;
    let auditor_a = server.user("auditor-a", "auditor", &[A], &[]).await;
    let auditor_b = server.user("auditor-b", "auditor", &[B], &[]).await;
    let officer_both = server.user("officer-both", "sending_officer", &[A, B], &[]).await;

    // Listings: the persons imported under (or held under) the agreement, not every US person.
    let listed = |page: Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|p| p["sending_id"].as_str().unwrap().to_owned()).collect()
    };
    let (status, page) = server.get(&auditor_a, &format!("/api/v1/persons?agreement={A}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(listed(page), ["V1", "S1"]);
    let (_, page) = server.get(&auditor_b, &format!("/api/v1/persons?agreement={B}")).await;
    assert_eq!(listed(page), ["S1", "W1"]);

    // S1's file under A shows no case of B and no identifier recorded under B; under B it does.
    let s1 = id_of(&server, "S1").await;
    let (status, file) = server.get(&auditor_a, &format!("/api/v1/persons/{s1}")).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["identifiers"], json!([{"state": "US", "scheme": "person_id", "value": "S1"}]), "{file}");
    assert_eq!(file["cases"], json!([]));
    let (_, file) = server.get(&auditor_b, &format!("/api/v1/persons/{s1}")).await;
    let inmate = json!({"state": "SV", "scheme": "inmate_number", "value": "SV-IZ-0002"});
    assert!(file["identifiers"].as_array().unwrap().contains(&inmate), "{file}");
    assert_eq!(file["cases"].as_array().unwrap().len(), 1);
    // The case's detail (`custodia case show`) shows the identifier only to those who see B.
    let case_b = file["cases"][0]["id"].as_i64().unwrap();
    let app = custodia_app::App::new(server.store.clone(), [7; 32], "scope.test/journal".into());
    let scoped = |agreements: Option<Vec<String>>| custodia_app::Principal {
        name: "reader".into(),
        role: custodia_app::Role::Auditor,
        agreements,
        facilities: None,
        language: None,
    };
    let detail = app.case_detail(&scoped(Some(vec![B.into()])), case_b).await.unwrap();
    assert!(detail.identifiers.iter().any(|i| i.value == "SV-IZ-0002"), "{:?}", detail.identifiers);
    let wide = scoped(Some(vec![A.into(), B.into()]));
    assert_eq!(app.visible_identifiers(&wide, s1).await.unwrap().len(), 1);
    assert!(app.visible_identifiers(&scoped(Some(vec![A.into()])), s1).await.unwrap().is_empty());
    let (status, _) = server.get(&auditor_a, &format!("/api/v1/cases/{case_b}")).await;
    assert_eq!(status, 404);
    // W1, imported under B only, is not found for A's users.
    let w1 = id_of(&server, "W1").await;
    let (status, _) = server.get(&auditor_a, &format!("/api/v1/persons/{w1}")).await;
    assert_eq!(status, 404);

    // A case under A for a person imported under B only: refused, naming the rule; nothing written.
    let size = server.store.journal_size().await.unwrap();
    let (status, refused) =
        server.post(&officer_both, "/api/v1/cases", json!({"agreement_id": A, "person_id": "W1"})).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("NOT_IMPORTED_UNDER_AGREEMENT")), "{refused}");
    // The reads above are logged in the background and may land meanwhile (`reads.logged`);
    // nothing else may.
    let written = server.store.events(size, server.store.journal_size().await.unwrap()).await.unwrap();
    let kinds: Vec<serde_json::Value> =
        written.iter().map(|e| serde_json::from_str::<serde_json::Value>(&e.body).unwrap()["kind"].clone()).collect();
    assert!(kinds.iter().all(|k| k == "reads.logged"), "a refusal writes nothing: {kinds:?}");
    // Imported under A too, the person may have a case under A (refused here only by the agreement's
    // end: the API opens cases on the wall clock's day).
    let (status, other) =
        server.post(&officer_both, "/api/v1/cases", json!({"agreement_id": A, "person_id": "S1"})).await;
    assert_ne!(other["code"].as_str(), Some("NOT_IMPORTED_UNDER_AGREEMENT"), "{status} {other}");
    server.stop().await;
}
