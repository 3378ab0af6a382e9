//! End to end: persons (files, read log, legal basis, import, screening), facilities and cells,
//! and alerts, against a real server with a fresh register.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use custodia_store::prelude::*;
use std::time::Duration;

use common::{TestServer, import_cells, import_persons, person};
use custodia_store::access::PersonRead;
use serde_json::{Value, json};

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const GJILAN: &str = "examples/agreements/dk-xk-gjilan.toml";
const HEADER: &str = "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,torture_risk_assessed_on,care_needs";

/// The read log of a person once it holds `n` entries (it is written in the background).
async fn reads(server: &TestServer, person_id: i64, n: usize) -> Vec<PersonRead> {
    for _ in 0..100 {
        let got = server.store.person_reads(person_id).await.unwrap();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.store.person_reads(person_id).await.unwrap()
}

/// The Custodia id of the person with this sending id, through the list.
async fn custodia_id(server: &TestServer, token: &str, sending_id: &str) -> i64 {
    let (status, page) = server.get(token, "/api/v1/persons?agreement=us-sv-cecot&limit=1000").await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().iter().find(|p| p["sending_id"] == sending_id).unwrap()["id"].as_i64().unwrap()
}

async fn step(server: &TestServer, token: &str, case: i64, body: Value) {
    let (status, answer) = server.post(token, &format!("/api/v1/cases/{case}/transitions"), body.clone()).await;
    assert_eq!(status, 200, "{body} → {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn person_files_are_scoped_and_every_read_is_logged() {
    let server = TestServer::start(&[CECOT, GJILAN]).await;
    let mut p2 = person("P2", "Roe", "1985-07-04", "high");
    p2.nationalities = Some("VE;CO".into());
    p2.jail_credit_days = None;
    import_persons(&server, "us-sv-cecot", "US", vec![person("P1", "Doe", "1990-02-28", "medium"), p2]).await;
    let officer = server.user("us-officer", "sending_officer", &["us-sv-cecot"], &[]).await;
    let danish = server.user("dk-officer", "sending_officer", &["dk-xk-gjilan"], &[]).await;

    // The list is a summary, paged by Custodia id.
    let (status, page) = server.get(&officer, "/api/v1/persons?agreement=us-sv-cecot&limit=1").await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let first = &page["items"][0];
    assert_eq!(first["sending_id"], "P1");
    assert_eq!(first["nationalities"], json!(["VE"]));
    assert_eq!(first["security_class"], "medium");
    assert!(first.get("birth_date").is_none(), "a list shows no file: {first}");
    let next = page["next_after"].as_i64().unwrap();
    let (_, page) = server.get(&officer, &format!("/api/v1/persons?agreement=us-sv-cecot&limit=1&after={next}")).await;
    assert_eq!(page["items"][0]["sending_id"], "P2");
    assert_eq!(page["items"][0]["nationalities"], json!(["VE", "CO"]));
    assert!(page["next_after"].is_null(), "{page}");
    let (status, e) = server.get(&officer, "/api/v1/persons?agreement=us-sv-cecot&limit=0").await;
    assert_eq!((status, e["field"].as_str()), (400, Some("limit")), "{e}");
    let (status, _) = server.get(&officer, "/api/v1/persons").await;
    assert_eq!(status, 400, "the agreement is required");
    // Another agreement's officer sees neither the list nor the files, and the list of its own
    // sending state (DK) is empty.
    let (status, _) = server.get(&danish, "/api/v1/persons?agreement=us-sv-cecot").await;
    assert_eq!(status, 404);
    let (status, page) = server.get(&danish, "/api/v1/persons?agreement=dk-xk-gjilan").await;
    assert_eq!((status, page["items"].as_array().unwrap().len()), (200, 0), "{page}");

    let id = custodia_id(&server, &officer, "P1").await;
    let p2_id = custodia_id(&server, &officer, "P2").await;
    assert!(server.store.person_reads(id).await.unwrap().is_empty(), "lists are not file reads");

    // The whole file: every column as stored, identifiers, cases, legal basis.
    let (status, file) = server.get(&officer, &format!("/api/v1/persons/{id}")).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["id"], id);
    assert_eq!(file["sending_state"], "US");
    assert_eq!(file["record"]["person_id"], "P1");
    assert_eq!(file["record"]["birth_date"], "1990-02-28");
    assert_eq!(file["record"]["sentence_term"], "60m");
    assert_eq!(file["record"]["jail_credit_days"], 0);
    assert!(file["record"]["consent"].is_null());
    assert_eq!(file["record"].as_object().unwrap().len(), 17, "every docs/person-file.md column");
    assert_eq!(file["record"]["removal_destination"], "VE", "the country the removal order names");
    assert_eq!(file["identifiers"], json!([{"state": "US", "scheme": "person_id", "value": "P1"}]));
    assert_eq!(file["cases"], json!([]));
    assert_eq!(file["legal_basis"]["on_record"], true);
    assert_eq!(file["legal_basis"]["conviction"]["status"], "final");
    assert_eq!(file["legal_basis"]["removal_order"], "final");
    let (_, p2_file) = server.get(&officer, &format!("/api/v1/persons/{p2_id}")).await;
    assert!(p2_file["record"]["jail_credit_days"].is_null(), "an empty credit stays empty: {p2_file}");
    assert_eq!(p2_file["record"]["nationalities"], "VE;CO", "as written");

    let (status, basis) = server.get(&officer, &format!("/api/v1/persons/{id}/legal-basis")).await;
    assert_eq!(status, 200, "{basis}");
    assert_eq!(basis["person_id"], id);
    assert!(basis["recorded_event_seq"].as_i64().is_some());

    // Out of scope and absent alike: 404, and nothing is logged.
    let (status, e) = server.get(&danish, &format!("/api/v1/persons/{id}")).await;
    assert_eq!((status, e["code"].as_str()), (404, Some("NOT_FOUND")), "{e}");
    let (status, _) = server.get(&danish, &format!("/api/v1/persons/{id}/legal-basis")).await;
    assert_eq!(status, 404);
    let (status, _) = server.get(&officer, "/api/v1/persons/999999").await;
    assert_eq!(status, 404);
    let (status, e) = server.get(&officer, "/api/v1/persons/abc").await;
    assert_eq!((status, e["field"].as_str()), (400, Some("path")), "{e}");
    let (status, _) = server
        .client
        .get(server.url(&format!("/api/v1/persons/{id}")))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 401);

    // One log entry per successful read: the file and the legal basis, by whom, for what.
    let (status, _) = server.get(&officer, &format!("/api/v1/persons/{id}")).await;
    assert_eq!(status, 200);
    let log = reads(&server, id, 3).await;
    let routes: Vec<(&str, &str)> = log.iter().map(|r| (r.user_name.as_str(), r.purpose.as_str())).collect();
    assert_eq!(routes, [("us-officer", "person file"), ("us-officer", "legal basis"), ("us-officer", "person file"),]);
    assert!(log.iter().all(|r| r.person_id == id && r.at.ends_with('Z')));
    assert_eq!(reads(&server, p2_id, 1).await.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_persons_is_all_or_nothing() {
    let server = TestServer::start(&[CECOT, GJILAN]).await;
    let officer = server.user("us-officer", "sending_officer", &["us-sv-cecot"], &[]).await;
    let auditor = server.user("auditor", "auditor", &["*"], &[]).await;
    let danish = server.user("dk-officer", "sending_officer", &["dk-xk-gjilan"], &[]).await;
    let good = format!(
        "{HEADER}\nP1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no\n\
         P2,\"Roe, Jr.\",John,1985-07-04,VE;CO,final,gang,2023-06-01,10y,,high,,final,,,no\n"
    );

    // A rejected file writes nothing: every bad row listed by line, `field` the first bad column.
    let bad = format!(
        "{HEADER}\nP1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no\n\
         P2,Roe,John,1985-02-30,VE,final,gang,2023-06-01,10y,,high,,final,,,no\n\
         P3,Poe,Jim,1985-01-01,VE,maybe,gang,2023-06-01,10y,,high,,final,,,no\n\
         P1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no\n"
    );
    let before = server.store.journal_size().await.unwrap();
    let (status, e) =
        server.post(&officer, "/api/v1/persons", json!({"agreement_id": "us-sv-cecot", "csv": bad})).await;
    assert_eq!((status, e["code"].as_str(), e["field"].as_str()), (400, Some("INVALID"), Some("birth_date")), "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(message.starts_with("3 invalid rows: nothing was imported"), "{message}");
    assert!(message.contains("line 3: birth_date:"), "{message}");
    assert!(message.contains("line 4: conviction:"), "{message}");
    assert!(message.contains("line 5: person_id: the same person_id appears in an earlier row"), "{message}");
    assert_eq!(server.store.journal_size().await.unwrap(), before, "nothing written");
    let (_, page) = server.get(&officer, "/api/v1/persons?agreement=us-sv-cecot").await;
    assert_eq!(page["items"], json!([]));

    // Other bad requests, nothing written either.
    for (body, field) in [
        (json!({"agreement_id": "us-sv-cecot", "csv": ""}), "csv"),
        (json!({"agreement_id": "us-sv-cecot", "csv": "name,family_name\nx,y\n"}), "csv"),
        (json!({"agreement_id": "us-sv-cecot", "csv": good, "extra": 1}), "extra"),
        (json!({"agreement_id": "us-sv-cecot"}), "csv"),
    ] {
        let (status, e) = server.post(&officer, "/api/v1/persons", body).await;
        assert_eq!((status, e["field"].as_str()), (400, Some(field)), "{e}");
    }
    let (status, _) =
        server.post(&auditor, "/api/v1/persons", json!({"agreement_id": "us-sv-cecot", "csv": good})).await;
    assert_eq!(status, 403, "auditors read");
    let (status, _) =
        server.post(&danish, "/api/v1/persons", json!({"agreement_id": "us-sv-cecot", "csv": good})).await;
    assert_eq!(status, 404, "out of scope");
    let (status, _) = server.post(&officer, "/api/v1/persons", json!({"agreement_id": "nowhere", "csv": good})).await;
    assert_eq!(status, 404);
    assert_eq!(server.store.journal_size().await.unwrap(), before, "nothing written");

    // A good file is imported; the same again changes nothing.
    let (status, out) =
        server.post(&officer, "/api/v1/persons", json!({"agreement_id": "us-sv-cecot", "csv": good})).await;
    assert_eq!(status, 201, "{out}");
    assert_eq!((out["rows"].as_u64(), out["added"].as_u64(), out["unchanged"].as_u64()), (Some(2), Some(2), Some(0)));
    let after = server.store.journal_size().await.unwrap();
    assert!(after > before);
    let (status, out) =
        server.post(&officer, "/api/v1/persons", json!({"agreement_id": "us-sv-cecot", "csv": good})).await;
    assert_eq!((status, out["added"].as_u64(), out["unchanged"].as_u64()), (200, Some(0), Some(2)), "{out}");
    assert_eq!(server.store.journal_size().await.unwrap(), after);
    let id = custodia_id(&server, &officer, "P2").await;
    let (_, file) = server.get(&officer, &format!("/api/v1/persons/{id}")).await;
    assert_eq!(file["record"]["family_name"], "Roe, Jr.", "{file}");
    assert!(file["record"]["jail_credit_days"].is_null());
    assert!(file["record"]["torture_risk"].is_null());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screening_one_person_and_a_whole_file() {
    let server = TestServer::start_with(&[CECOT, GJILAN], |c| c.max_body_bytes = 8192).await;
    import_persons(&server, "us-sv-cecot", "US", vec![person("P1", "Doe", "1990-02-28", "medium")]).await;
    let legal = server.user("legal", "legal_officer", &["us-sv-cecot"], &[]).await;
    let auditor = server.user("auditor", "auditor", &["*"], &[]).await;
    let danish = server.user("dk-legal", "legal_officer", &["dk-xk-gjilan"], &[]).await;
    let id = custodia_id(&server, &legal, "P1").await;
    let path = format!("/api/v1/persons/{id}/screening");

    let (status, s) = server.post(&legal, &path, json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01"})).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!((s["decision"].as_str(), s["reasons"].clone()), (Some("eligible"), json!([])), "{s}");
    assert_eq!(s["sending_id"], "P1");
    // Three months later the torture-risk assessment (2025-05-01) is older than 90 days: review.
    let (_, s) = server.post(&legal, &path, json!({"agreement_id": "us-sv-cecot", "as_of": "2025-09-01"})).await;
    assert_eq!(s["decision"], "review", "{s}");
    assert_eq!(s["reasons_text"], "E15?");
    assert_eq!(s["reasons"][0]["code"], "E15?");
    assert_eq!(s["reasons"][0]["outcome"], "unknown");
    assert!(!s["reasons"][0]["message"].as_str().unwrap().is_empty());
    let (_, es) =
        server.post(&legal, &path, json!({"agreement_id": "us-sv-cecot", "as_of": "2025-09-01", "lang": "es"})).await;
    assert_ne!(es["reasons"][0]["message"], s["reasons"][0]["message"], "Spanish: {es}");
    // Screening reads the person's file: logged.
    let log = reads(&server, id, 3).await;
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|r| r.purpose == "screening" && r.user_name == "legal"));

    let (status, e) = server.post(&legal, &path, json!({"agreement_id": "us-sv-cecot", "as_of": "2025-13-01"})).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("as_of")), "{e}");
    let (status, e) =
        server.post(&legal, &path, json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01", "lang": "fr"})).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("lang")), "{e}");
    let (status, _) = server.post(&auditor, &path, json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01"})).await;
    assert_eq!(status, 403);
    let (status, _) = server.post(&danish, &path, json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01"})).await;
    assert_eq!(status, 404, "agreement out of scope");
    let (status, _) = server.post(&danish, &path, json!({"agreement_id": "dk-xk-gjilan", "as_of": "2025-06-01"})).await;
    assert_eq!(status, 404, "not a person of that agreement's sending state");
    let (status, _) = server
        .post(&legal, "/api/v1/persons/424242/screening", json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01"}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(reads(&server, id, 3).await.len(), 3, "refused screenings are not reads");

    // A whole file, nothing stored: the docs/command-line.md rows in input order, and the counts.
    let csv = format!(
        "{HEADER}\nA1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no\n\
         A2,Roe,John,1990-02-28,US,final,drug,2024-01-01,60m,0,medium,,final,,,no\n\n\
         A1,Doe,Jane,1990-02-28,VE,final,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no\n\
         ,Nobody,,,,,,,,,,,,,,\n\
         A5,Poe,Jim,1990-02-28,VE,appeal_pending,drug,2024-01-01,60m,0,medium,,final,no_risk,2025-05-01,no\n"
    );
    let before = server.store.journal_size().await.unwrap();
    let (status, out) = server
        .post(&legal, "/api/v1/screenings", json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01", "csv": csv}))
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["rows"],
        json!([
            {"person_id": "A1", "decision": "eligible", "reasons": ""},
            {"person_id": "A2", "decision": "ineligible", "reasons": "E07;E15?"},
            {"person_id": "A1", "decision": "invalid", "reasons": "INPUT: person_id: the same person_id appears in an earlier row"},
            {"person_id": "", "decision": "invalid", "reasons": "INPUT: person_id: must not be empty"},
            {"person_id": "A5", "decision": "ineligible", "reasons": "E01"},
        ]),
        "{out}"
    );
    assert_eq!(out["summary"], json!({"rows": 5, "eligible": 1, "ineligible": 2, "review": 0, "invalid": 2}));
    assert_eq!(server.store.journal_size().await.unwrap(), before, "nothing stored");

    for (body, field) in [
        (json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01", "csv": "family_name\nx\n"}), "csv"),
        (json!({"agreement_id": "us-sv-cecot", "as_of": "June", "csv": csv}), "as_of"),
        (json!({"agreement_id": "us-sv-cecot", "csv": csv}), "as_of"),
    ] {
        let (status, e) = server.post(&legal, "/api/v1/screenings", body).await;
        assert_eq!((status, e["field"].as_str()), (400, Some(field)), "{e}");
    }
    let (status, _) = server
        .post(&auditor, "/api/v1/screenings", json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01", "csv": csv}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = server
        .post(&danish, "/api/v1/screenings", json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01", "csv": csv}))
        .await;
    assert_eq!(status, 404);
    // The server's body limit holds.
    let big = format!("{HEADER}\n{}", "B1,Doe,Jane,,,,,,,,,,,,,\n".repeat(500));
    let (status, e) = server
        .post(&legal, "/api/v1/screenings", json!({"agreement_id": "us-sv-cecot", "as_of": "2025-06-01", "csv": big}))
        .await;
    assert_eq!((status, e["code"].as_str()), (413, Some("PAYLOAD_TOO_LARGE")), "{e}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facilities_and_cells_show_the_space_standards() {
    let server = TestServer::start(&[CECOT, GJILAN]).await;
    let staff = server.user("staff", "facility_officer", &["us-sv-cecot"], &["cecot"]).await;
    let elsewhere = server.user("izalco-staff", "facility_officer", &["us-sv-cecot"], &["izalco"]).await;
    let auditor = server.user("auditor", "auditor", &["*"], &[]).await;
    let cells = "facility_id,cell_id,unit,kind,area_m2,beds\n\
                 cecot,B1-C01,building-1,shared,100,80\n\
                 cecot,B1-C02,building-1,shared,10.2,9\n\
                 cecot,S-01,isolation,single,5.99,1\n";

    // A bad file writes nothing.
    let before = server.store.journal_size().await.unwrap();
    let bad = format!("{cells}cecot,B1-C03,building-1,triple,100,80\nizalco,X,u,shared,10,1\n");
    let (status, e) =
        server.post(&staff, "/api/v1/facilities/cecot/cells", json!({"agreement_id": "us-sv-cecot", "csv": bad})).await;
    assert_eq!((status, e["field"].as_str()), (400, Some("kind")), "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(message.contains("line 5: kind:") && message.contains("line 6: facility_id:"), "{message}");
    assert_eq!(server.store.journal_size().await.unwrap(), before);
    let (status, _) = server
        .post(&auditor, "/api/v1/facilities/cecot/cells", json!({"agreement_id": "us-sv-cecot", "csv": cells}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = server
        .post(&elsewhere, "/api/v1/facilities/cecot/cells", json!({"agreement_id": "us-sv-cecot", "csv": cells}))
        .await;
    assert_eq!(status, 404, "a facility out of scope");
    let (status, _) = server
        .post(&staff, "/api/v1/facilities/nowhere/cells", json!({"agreement_id": "us-sv-cecot", "csv": cells}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(server.store.journal_size().await.unwrap(), before);

    let (status, out) = server
        .post(&staff, "/api/v1/facilities/cecot/cells", json!({"agreement_id": "us-sv-cecot", "csv": cells}))
        .await;
    assert_eq!((status, out["outcome"].as_str(), out["added"].as_u64()), (201, Some("registered"), Some(3)), "{out}");
    let before = server.store.journal_size().await.unwrap();
    let (status, out) = server
        .post(&staff, "/api/v1/facilities/cecot/cells", json!({"agreement_id": "us-sv-cecot", "csv": cells}))
        .await;
    assert_eq!((status, out["outcome"].as_str()), (200, Some("unchanged")), "{out}");
    assert_eq!(server.store.journal_size().await.unwrap(), before);

    // The known CECOT cell: 100 m², 80 bunks → 25 at 4 m², 33 at the 3 m² floor.
    let (status, list) = server.get(&auditor, "/api/v1/facilities/cecot/cells?agreement=us-sv-cecot").await;
    assert_eq!(status, 200, "{list}");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 3);
    let cell = list.iter().find(|c| c["cell_id"] == "B1-C01").unwrap();
    assert_eq!(
        cell,
        &json!({"cell_id": "B1-C01", "unit": "building-1", "kind": "shared", "area_m2": "100", "beds": 80,
                "standard_capacity": 25, "floor_capacity": 33, "non_compliant": false, "occupants": 0})
    );
    let small = list.iter().find(|c| c["cell_id"] == "B1-C02").unwrap();
    assert_eq!(
        (small["area_m2"].as_str(), small["standard_capacity"].as_u64(), small["floor_capacity"].as_u64()),
        (Some("10.2"), Some(2), Some(3))
    );
    let single = list.iter().find(|c| c["cell_id"] == "S-01").unwrap();
    assert_eq!((single["standard_capacity"].as_u64(), single["non_compliant"].as_bool()), (Some(0), Some(true)));

    let (status, facilities) = server.get(&staff, "/api/v1/facilities?agreement=us-sv-cecot").await;
    assert_eq!(status, 200, "{facilities}");
    assert_eq!(
        facilities,
        json!([{"facility_id": "cecot", "name": "Centro de Confinamiento del Terrorismo (CECOT)", "country": "SV",
                "stated_capacity": 40000, "contracted_places": 300, "cells": 3, "beds": 90, "standard_capacity": 27,
                "floor_capacity": 36, "non_compliant_cells": 1, "in_custody": 0}])
    );
    let (status, facilities) = server.get(&elsewhere, "/api/v1/facilities?agreement=us-sv-cecot").await;
    assert_eq!((status, facilities), (200, json!([])), "facilities out of scope are left out");
    let (status, _) = server.get(&elsewhere, "/api/v1/facilities/cecot/cells?agreement=us-sv-cecot").await;
    assert_eq!(status, 404);
    let (status, _) = server.get(&staff, "/api/v1/facilities?agreement=dk-xk-gjilan").await;
    assert_eq!(status, 404);
    let (status, e) = server.get(&staff, "/api/v1/facilities").await;
    assert_eq!((status, e["code"].as_str()), (400, Some("INVALID")), "{e}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_show_an_overdue_return_and_occupancy_follows_custody() {
    let server = TestServer::start(&[CECOT]).await;
    // Admitted on 2025-04-01: the torture-risk assessment must be at most 90 days old on each step's day.
    let mut p1 = person("P1", "Doe", "1990-02-28", "medium");
    p1.torture_risk_assessed_on = Some("2025-03-01".into());
    import_persons(&server, "us-sv-cecot", "US", vec![p1]).await;
    import_cells(&server, "us-sv-cecot", &[("cecot", "B1-C01", "shared", "100", 80)]).await;
    let us = server.user("us", "sending_officer", &["us-sv-cecot"], &[]).await;
    let sv = server.user("sv", "receiving_officer", &["us-sv-cecot"], &[]).await;
    let staff = server.user("staff", "facility_officer", &["us-sv-cecot"], &["cecot"]).await;
    let elsewhere = server.user("izalco-staff", "facility_officer", &["us-sv-cecot"], &["izalco"]).await;
    let auditor = server.user("auditor", "auditor", &["us-sv-cecot"], &[]).await;

    // The API opens cases on the wall clock's day, after the example agreement's end: refused.
    let (status, refused) =
        server.post(&us, "/api/v1/cases", json!({"agreement_id": "us-sv-cecot", "person_id": "P1"})).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("AGREEMENT_ENDED")), "{refused}");
    // Opened in the register on a day within the term, and driven to custody through the API.
    let case = common::propose_on(&server, "us-sv-cecot", "P1", "us", "2025-03-28T15:00:00Z").await;
    let at = |day: &str| json!(format!("{day}T15:00:00Z"));
    step(&server, &us, case, json!({"action": "screen", "reason": "SCREENED", "occurred_at": at("2025-03-28")})).await;
    step(
        &server,
        &us,
        case,
        json!({"action": "approve", "reason": "TRANSFER_AGREED", "party": "sending", "occurred_at": at("2025-03-29")}),
    )
    .await;
    step(
        &server,
        &sv,
        case,
        json!({"action": "approve", "reason": "TRANSFER_AGREED", "party": "receiving", "occurred_at": at("2025-03-30")}),
    )
    .await;
    step(&server, &us, case, json!({"action": "schedule", "reason": "FLIGHT_BOOKED", "occurred_at": at("2025-03-30")}))
        .await;
    step(&server, &us, case, json!({"action": "depart", "reason": "FLIGHT_LEFT", "occurred_at": at("2025-03-31")}))
        .await;
    step(
        &server,
        &staff,
        case,
        json!({"action": "admit", "reason": "ARRIVED", "occurred_at": "2025-04-01T12:00:00Z",
               "admission": {"commitment_order": "CO-2025-001", "receiving_id": "SV-77", "admitted_on": "2025-04-01",
                             "hour": 6, "visible_injuries": "none", "property": "watch", "next_of_kin": "sister"},
               "placement": {"facility_id": "cecot", "cell_id": "B1-C01"}}),
    )
    .await;

    // Occupancy is derived from custody.
    let (_, facilities) = server.get(&auditor, "/api/v1/facilities?agreement=us-sv-cecot").await;
    assert_eq!(facilities[0]["in_custody"], 1, "{facilities}");
    let (_, cells) = server.get(&auditor, "/api/v1/facilities/cecot/cells?agreement=us-sv-cecot").await;
    assert_eq!(cells[0]["occupants"], 1, "{cells}");

    // No alert about custody while the return is far off (the detainee's care — an examination,
    // visits — is not recorded here: docs/rights.md).
    let (status, alerts) = server.get(&auditor, "/api/v1/alerts?agreement=us-sv-cecot&on=2025-06-01").await;
    assert_eq!(status, 200, "{alerts}");
    let care = ["MEDICAL_EXAM_OVERDUE", "VISITS_BELOW_MINIMUM", "CONSULAR_ACCESS_OVERDUE"];
    let custody: Vec<&Value> =
        alerts.as_array().unwrap().iter().filter(|a| !care.contains(&a["code"].as_str().unwrap())).collect();
    assert!(custody.is_empty(), "{alerts}");
    // 60 months from 2024-01-01 with GCT: projected release in April 2028; a year later the return
    // is long overdue and the person is held beyond release.
    let (status, alerts) = server.get(&auditor, "/api/v1/alerts?agreement=us-sv-cecot&on=2029-01-01").await;
    assert_eq!(status, 200, "{alerts}");
    let subject = format!("case-{case}/P1");
    let codes: Vec<(&str, &str, &str)> = alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["code"].as_str().unwrap(), a["severity"].as_str().unwrap(), a["subject"].as_str().unwrap()))
        .collect();
    assert!(codes.contains(&("RETURN_OVERDUE", "critical", subject.as_str())), "{alerts}");
    assert!(codes.contains(&("HELD_BEYOND_RELEASE", "critical", subject.as_str())), "{alerts}");
    // Issue 14: the reason in the reader's language, with the same facts (the release date).
    let held = |list: &Value| {
        list.as_array().unwrap().iter().find(|a| a["code"] == "HELD_BEYOND_RELEASE").unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let english = held(&alerts);
    let release = english.strip_prefix("projected release was ").expect(&english).to_owned();
    assert!(release.starts_with("2028-"), "{english}");
    let (status, spanish) = server.get_in(&auditor, "/api/v1/alerts?agreement=us-sv-cecot&on=2029-01-01", "es").await;
    assert_eq!(status, 200, "{spanish}");
    assert_eq!(held(&spanish), format!("la excarcelación prevista era el {release}"), "{spanish}");
    let codes_of = |list: &Value| list.as_array().unwrap().iter().map(|a| a["code"].clone()).collect::<Vec<_>>();
    assert_eq!(codes_of(&spanish), codes_of(&alerts), "codes never change with the language");
    assert!(alerts[0]["reason"].as_str().is_some_and(|r| !r.is_empty()));
    // Those whose scope excludes the facility do not see the case's alerts; bad days are refused.
    let (_, hidden) = server.get(&elsewhere, "/api/v1/alerts?agreement=us-sv-cecot&on=2029-01-01").await;
    assert_eq!(hidden, json!([]));
    let (status, e) = server.get(&auditor, "/api/v1/alerts?agreement=us-sv-cecot&on=2029-02-30").await;
    assert_eq!((status, e["field"].as_str()), (400, Some("on")), "{e}");
    let (status, today) = server.get(&auditor, "/api/v1/alerts?agreement=us-sv-cecot").await;
    assert!(status == 200 && today.is_array(), "{today}");
    let (status, _) = server.get(&auditor, "/api/v1/alerts?agreement=dk-xk-gjilan").await;
    assert_eq!(status, 404);

    // The file shows the case, the receiving state's identifier and the legal basis of custody.
    let id = custodia_id(&server, &auditor, "P1").await;
    let (status, file) = server.get(&auditor, &format!("/api/v1/persons/{id}")).await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["cases"][0]["state"], "in_custody");
    assert_eq!(file["cases"][0]["facility_id"], "cecot");
    assert!(
        file["identifiers"]
            .as_array()
            .unwrap()
            .contains(&json!({"state": "SV", "scheme": "inmate_number", "value": "SV-77"}))
    );
    let custody = &file["legal_basis"]["custody"][0];
    assert_eq!(custody["legal_custodian"], "US");
    assert_eq!(custody["governing_law"], "US");
    assert_eq!(custody["commitment_order"], "CO-2025-001");
    assert!(custody["projected_release"].as_str().unwrap().starts_with("2028-04"), "{custody}");
    // A person held in a facility outside the caller's scope is out of scope too.
    let (status, _) = server.get(&elsewhere, &format!("/api/v1/persons/{id}")).await;
    assert_eq!(status, 404);
    let (_, page) = server.get(&elsewhere, "/api/v1/persons?agreement=us-sv-cecot").await;
    assert_eq!(page["items"], json!([]));
    let (_, page) = server.get(&staff, "/api/v1/persons?agreement=us-sv-cecot").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(reads(&server, id, 1).await.len(), 1, "only the successful read is logged");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_these_routes() {
    let server = TestServer::start(&[]).await;
    let doc: Value = server.client.get(server.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (path, methods) in [
        ("/api/v1/persons", &["get", "post"][..]),
        ("/api/v1/persons/{id}", &["get"][..]),
        ("/api/v1/persons/{id}/legal-basis", &["get"][..]),
        ("/api/v1/persons/{id}/screening", &["post"][..]),
        ("/api/v1/screenings", &["post"][..]),
        ("/api/v1/facilities", &["get"][..]),
        ("/api/v1/facilities/{id}/cells", &["get", "post"][..]),
        ("/api/v1/cell-changes", &["get"][..]),
        ("/api/v1/cell-changes/{id}/confirm", &["post"][..]),
        ("/api/v1/alerts", &["get"][..]),
    ] {
        for method in methods {
            let op = &doc["paths"][path][method];
            assert!(op.is_object(), "{method} {path} is missing from /openapi.json");
            assert!(op["responses"]["401"].is_object(), "{method} {path}: 401");
            if *method == "post" {
                let params = op["parameters"].as_array().unwrap();
                assert!(params.iter().any(|p| p["name"] == "Idempotency-Key"), "{method} {path}: Idempotency-Key");
            }
        }
    }
    // Every schema referred to is defined.
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(doc["components"]["schemas"][name].is_object(), "schema {name} is referred to but not defined");
    }
    server.stop().await;
}
