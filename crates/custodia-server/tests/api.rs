//! End to end against the real server on port 0: authentication, scopes, a case from proposal to
//! custody through the API, ETag/If-Match, Idempotency-Key, the public locator, limits, health and
//! metrics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{TestServer, import_cells, import_persons, person};
use custodia_store::prelude::*;
use serde_json::{Value, json};

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const GJILAN: &str = "examples/agreements/dk-xk-gjilan.toml";

fn error_shape(body: &Value) {
    let obj = body.as_object().unwrap_or_else(|| panic!("not an error body: {body}"));
    assert!(obj.contains_key("code") && obj.contains_key("message") && obj.contains_key("field"), "{body}");
    assert_eq!(obj.len(), 3, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_roles_and_scopes() {
    let server = TestServer::start(&[CECOT, GJILAN]).await;
    let admin = server.user("root", "admin", &["*"], &[]).await;
    let auditor = server.user("aud", "auditor", &["us-sv-cecot"], &[]).await;

    // No token, a malformed header, an unknown token: 401 with the error body.
    let r = server.client.get(server.url("/api/v1/agreements")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    error_shape(&r.json().await.unwrap());
    let r =
        server.client.get(server.url("/api/v1/agreements")).header("Authorization", "Basic abc").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let (status, body) = server.get("cst_not-a-token", "/api/v1/agreements").await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "UNAUTHENTICATED");

    // Scope: the auditor sees one agreement; the other answers 404 exactly like a missing one.
    let (_, list) = server.get(&admin, "/api/v1/agreements").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (_, list) = server.get(&auditor, "/api/v1/agreements").await;
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["us-sv-cecot"]);
    let (hidden, hidden_body) = server.get(&auditor, "/api/v1/agreements/dk-xk-gjilan").await;
    let (missing, missing_body) = server.get(&auditor, "/api/v1/agreements/nowhere").await;
    assert_eq!((hidden, missing), (404, 404));
    assert_eq!(hidden_body["code"], missing_body["code"]);
    let (status, _) = server.get(&auditor, "/api/v1/cases?agreement=dk-xk-gjilan").await;
    assert_eq!(status, 404);

    // Roles: an auditor reads but may not write (403, in scope); users are for admins.
    let (status, body) =
        server.post(&auditor, "/api/v1/cases", json!({"agreement_id": "us-sv-cecot", "person_id": "X"})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "FORBIDDEN");
    let (status, _) = server.get(&auditor, "/api/v1/users").await;
    assert_eq!(status, 403);

    // Tokens through the API: never minted for another user; a user signs in and makes their own
    // (secret once), listed without secrets, revoked at once.
    // Two admins (init's and root): a new user waits for the second admin's confirmation.
    let (status, created) = server
        .post(
            &admin,
            "/api/v1/users",
            json!({"name": "fin", "role": "finance_officer", "agreements": ["us-sv-cecot"], "password": "twelve chars or more"}),
        )
        .await;
    assert_eq!(status, 202, "{created}");
    assert_eq!(created["applied"], false);
    let change = created["id"].as_i64().unwrap();
    let (status, body) = server.post(&admin, &format!("/api/v1/user-changes/{change}/confirm"), json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("TWO_PERSON_RULE")), "{body}");
    let (status, pending) =
        server.post("", "/api/v1/login", json!({"name": "fin", "password": "twelve chars or more"})).await;
    assert_eq!(status, 401, "not a user until confirmed: {pending}");
    let (status, body) =
        server.post(&server.first_admin, &format!("/api/v1/user-changes/{change}/confirm"), json!({})).await;
    assert_eq!((status, body["applied"].as_bool()), (200, Some(true)), "{body}");
    let (status, twin) =
        server.post(&admin, "/api/v1/users", json!({"name": " FIN", "role": "auditor", "agreements": ["*"]})).await;
    assert_eq!(
        (status, twin["code"].as_str()),
        (409, Some("CONFLICT")),
        "names compare trimmed and case-blind: {twin}"
    );
    let (status, nope) =
        server.post(&admin, "/api/v1/users", json!({"name": "x2", "role": "auditor", "agreements": ["nope"]})).await;
    assert_eq!((status, nope["field"].as_str()), (400, Some("agreements")), "{nope}");
    let (status, changes) = server.get(&auditor, "/api/v1/user-changes").await;
    assert_eq!(status, 200, "auditors read every access change");
    assert_eq!(changes["changes"][0]["name"], "fin");
    assert_eq!(changes["warnings"].as_array().unwrap().len(), 0, "two admins: no SINGLE_ADMIN");
    let (status, body) = server.post(&admin, "/api/v1/tokens", json!({"user": "fin", "label": "ledger"})).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("user")), "no token for another user: {body}");
    let (status, login) =
        server.post("", "/api/v1/login", json!({"name": "FIN ", "password": "twelve chars or more"})).await;
    assert_eq!(status, 201, "names compare trimmed and case-blind: {login}");
    let (status, token) =
        server.post(login["secret"].as_str().unwrap(), "/api/v1/tokens", json!({"label": "ledger"})).await;
    assert_eq!(status, 201, "{token}");
    assert_eq!(token["user"], "fin");
    let secret = token["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("cst_"));
    let (status, _) = server.get(&secret, "/api/v1/agreements").await;
    assert_eq!(status, 200);
    let (_, tokens) = server.get(&secret, "/api/v1/tokens").await;
    let listed = tokens.to_string();
    assert!(!listed.contains(&secret), "secrets are never listed");
    assert_eq!(tokens.as_array().unwrap().len(), 2, "a user lists only their own tokens (login and ledger)");
    let id = token["id"].as_i64().unwrap();
    let (status, _) = server.post(&secret, &format!("/api/v1/tokens/{id}/revoke"), json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = server.get(&secret, "/api/v1/agreements").await;
    assert_eq!(status, 401, "a revoked token stops working");

    // Bad input names the field.
    let (status, body) =
        server.post(&admin, "/api/v1/users", json!({"name": "x", "role": "emperor", "agreements": ["*"]})).await;
    assert_eq!(status, 400);
    assert_eq!(body["field"], "role");
    let (status, body) = server
        .post(&admin, "/api/v1/users", json!({"name": "x", "role": "auditor", "agreements": ["*"], "colour": 1}))
        .await;
    assert_eq!(status, 400, "unknown fields are refused");
    assert_eq!(body["field"], "colour");
    let (status, body) = server.get(&admin, "/api/v1/cases?agreement=us-sv-cecot&limit=0").await;
    assert_eq!((status, body["field"].as_str()), (400, Some("limit")));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_rate_limited_and_passwords_work() {
    let server = TestServer::start_with(&[CECOT], |c| c.auth_failures_per_minute = 3).await;
    // The register's only admin: a user change takes effect at once, and SINGLE_ADMIN stays open.
    let admin = server.first_admin.clone();
    let (_, changes) = server.get(&admin, "/api/v1/user-changes").await;
    assert_eq!(changes["warnings"][0]["code"], "SINGLE_ADMIN", "{changes}");
    let (status, _) = server
        .post(
            &admin,
            "/api/v1/users",
            json!({"name": "lin", "role": "auditor", "agreements": ["*"], "password": "a long enough passphrase"}),
        )
        .await;
    assert_eq!(status, 201);
    let login = |password: &str| {
        server.client.post(server.url("/api/v1/login")).json(&json!({"name": "lin", "password": password})).send()
    };
    let ok = login("a long enough passphrase").await.unwrap();
    assert_eq!(ok.status().as_u16(), 201);
    let token: Value = ok.json().await.unwrap();
    assert_eq!(server.get(token["secret"].as_str().unwrap(), "/api/v1/agreements").await.0, 200);
    let wrong: Value = login("wrong").await.unwrap().json().await.unwrap();
    assert_eq!(wrong["message"], "wrong user name or password", "{wrong}");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(login("wrong").await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429, 429], "three failures a minute: the fourth is refused");
    assert_eq!(login("a long enough passphrase").await.unwrap().status().as_u16(), 429, "blocked for the minute");
    let stored = server.store.users().await.unwrap();
    let phc = stored.iter().find(|u| u.name == "lin").unwrap().password_hash.clone().unwrap();
    assert!(phc.starts_with("$argon2id$"));
    server.stop().await;
}

async fn transition(server: &TestServer, token: &str, case: i64, body: Value) -> (u16, Value) {
    server.post(token, &format!("/api/v1/cases/{case}/transitions"), body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_from_proposal_to_custody_with_etags_and_idempotency() {
    // The API opens a case on the wall clock's day, and the example agreement ended on 2026-03-14
    // (a proposal after the end is refused: see the next test). Here its term runs on, and the
    // sentences are long enough for a legal basis on any day the test may run.
    let source = common::amended_example(CECOT, "ends = 2026-03-14", "ends = 2099-12-31");
    let server = TestServer::start_sources(vec![source], |_| {}).await;
    // Every later step is on a day in March 2025, when the torture-risk assessment is at most 90
    // days old: the register screens the person on each step's day.
    let persons =
        [person("V1", "Reyes", "1990-04-02", "high"), person("V2", "Cruz", "1985-01-01", "low")].map(|mut p| {
            p.sentence_term = Some("30y".into());
            p.torture_risk_assessed_on = Some("2025-03-01".into());
            p
        });
    import_persons(&server, "us-sv-cecot", "US", persons.into()).await;
    import_cells(&server, "us-sv-cecot", &[("cecot", "B1-C01", "shared", "100", 80)]).await;
    let us = server.user("us", "sending_officer", &["us-sv-cecot"], &[]).await;
    let us2 = server.user("us2", "sending_officer", &["us-sv-cecot"], &[]).await;
    let sv = server.user("sv", "receiving_officer", &["us-sv-cecot"], &[]).await;
    let staff = server.user("staff", "facility_officer", &["us-sv-cecot"], &["cecot"]).await;
    let other_staff = server.user("izalco", "facility_officer", &["us-sv-cecot"], &["izalco"]).await;
    let legal = server.user("legal", "legal_officer", &["us-sv-cecot"], &[]).await;
    let legal2 = server.user("legal2", "legal_officer", &["us-sv-cecot"], &[]).await;

    // Idempotency: the same key and body gives the first answer again and opens one case.
    let propose = |token: String, key: &'static str, person: &'static str| {
        let client = server.client.clone();
        let url = server.url("/api/v1/cases");
        async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({"agreement_id": "us-sv-cecot", "person_id": person}))
                .send()
                .await
                .unwrap();
            let replayed = r.headers().get("idempotent-replayed").is_some();
            (r.status().as_u16(), replayed, r.json::<Value>().await.unwrap())
        }
    };
    let (s1, replayed1, first) = propose(us.clone(), "k-1", "V1").await;
    let size = server.store.journal_size().await.unwrap();
    let (s2, replayed2, again) = propose(us.clone(), "k-1", "V1").await;
    assert_eq!((s1, s2, replayed1, replayed2), (201, 201, false, true));
    assert_eq!(first, again);
    assert_eq!(server.store.journal_size().await.unwrap(), size, "a repeat changes nothing");
    let (s3, _, conflict) = propose(us.clone(), "k-1", "V2").await;
    assert_eq!(s3, 409, "same key, another body");
    assert_eq!(conflict["field"], "Idempotency-Key");
    let (s4, _, _) = propose(us2.clone(), "k-1", "V2").await;
    assert_eq!(s4, 201, "keys are per user");
    let id = first["id"].as_i64().unwrap();

    // Transitions by role; the two approvals by two users of different states. No caller states
    // the decision: the register computes it from the person's record on the step's day.
    let on = |time: &str| format!("2025-03-15T{time}:00Z");
    let (status, body) = transition(
        &server,
        &us,
        id,
        json!({"action": "screen", "decision": "eligible", "reason": "SCREENED", "occurred_at": on("15:00")}),
    )
    .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("decision")), "a decision is not the caller's: {body}");
    let (status, body) =
        transition(&server, &us, id, json!({"action": "screen", "reason": "SCREENED", "occurred_at": on("15:00")}))
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!((body["decision"].as_str(), body["screening"]["on"].as_str()), (Some("eligible"), Some("2025-03-15")));
    assert_eq!(body["screening"]["reasons"], "", "{body}");
    let (status, body) = transition(
        &server,
        &us,
        id,
        json!({"action": "approve", "party": "receiving", "reason": "AGREED", "occurred_at": on("15:10")}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("FORBIDDEN")),
        "a sending officer cannot approve for the receiving state"
    );
    let approve = |party: &str, time: &str| json!({"action": "approve", "party": party, "reason": "AGREED", "occurred_at": on(time)});
    assert_eq!(transition(&server, &us, id, approve("sending", "15:10")).await.0, 200);
    assert_eq!(transition(&server, &sv, id, approve("receiving", "15:20")).await.0, 200);

    // ETag / If-Match: a change based on an old version is refused with 412 and changes nothing.
    let r = server.client.get(server.url(&format!("/api/v1/cases/{id}"))).bearer_auth(&us).send().await.unwrap();
    let etag = r.headers().get("etag").unwrap().to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["state"], "approved");
    assert_eq!(etag, format!("\"{}\"", body["version"]));
    let send = |if_match: String| {
        server
            .client
            .post(server.url(&format!("/api/v1/cases/{id}/transitions")))
            .bearer_auth(&us)
            .header("If-Match", if_match)
            .json(&json!({"action": "schedule", "reason": "FLIGHT_BOOKED", "occurred_at": on("15:30")}))
            .send()
    };
    let stale = send("\"1\"".into()).await.unwrap();
    assert_eq!(stale.status().as_u16(), 412);
    let fresh = send(etag.clone()).await.unwrap();
    assert_eq!(fresh.status().as_u16(), 200);
    assert_ne!(fresh.headers().get("etag").unwrap().to_str().unwrap(), etag);

    // A court order blocks departure with its rule code; lifting it takes a second legal officer.
    let depart = json!({"action": "depart", "reason": "FLIGHT_LEFT", "occurred_at": on("18:00")});
    let order = json!({"case_id": id, "authority": "US District Court, D.D.C.", "reference": "TRO-1", "order": "stop",
        "reason": "COURT_ORDER"});
    let (status, body) = server.post(&legal, "/api/v1/holds", order).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["holds"][0]["authority"], "US District Court, D.D.C.", "{body}");
    assert_eq!((body["holds"][0]["order"].as_str(), body["holds"][0]["stands"].as_bool()), (Some("stop"), Some(true)));
    let (status, body) = transition(&server, &us, id, depart.clone()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("ON_HOLD")), "{body}");
    // Issue 11: the message carries the facts, the code stays separate.
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("ON_HOLD: a legal hold stands (TRO-1); depart waits until it is lifted"), "{body}");
    // Issue 14: the same refusal asked for in Spanish (and in English by name): the same code and
    // field, the same facts, Spanish words; error answers vary by Accept-Language.
    let in_language = |language: &'static str| {
        server
            .client
            .post(server.url(&format!("/api/v1/cases/{id}/transitions")))
            .bearer_auth(&us)
            .header("Accept-Language", language)
            .json(&depart)
            .send()
    };
    let es = in_language("es-SV,es;q=0.9,en;q=0.5").await.unwrap();
    assert_eq!(
        es.headers().get("vary").map(|v| v.to_str().unwrap().to_ascii_lowercase().contains("accept-language")),
        Some(true)
    );
    let es: Value = es.json().await.unwrap();
    let en: Value = in_language("en-US").await.unwrap().json().await.unwrap();
    assert_eq!((es["code"].as_str(), &es["field"]), (Some("ON_HOLD"), &Value::Null), "{es}");
    assert_eq!((en["code"].as_str(), &en["message"]), (Some("ON_HOLD"), &body["message"]), "{en}");
    let spanish = es["message"].as_str().unwrap_or_default();
    assert!(
        spanish.contains("ON_HOLD: hay una retención judicial vigente (TRO-1); depart espera a que se levante"),
        "{es}"
    );
    assert!(spanish.contains(&format!("caso {id}: depart rechazado")), "{es}");
    let (_, holds) = server.get(&us, "/api/v1/holds?agreement=us-sv-cecot&standing=true").await;
    assert_eq!(holds.as_array().unwrap().len(), 1);
    let lift = json!({"case_id": id, "reference": "TRO-1", "decision_reference": "ORDER-VACATED-1", "reason": "ORDER_VACATED"});
    let (status, body) = server.post(&legal, "/api/v1/holds/lift", lift).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["holds"][0]["lifting_reference"], "ORDER-VACATED-1", "{body}");
    assert_eq!(body["holds"][0]["stands"], true, "one legal officer asked; the hold stands: {body}");
    let (status, body) = transition(&server, &us, id, depart.clone()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("ON_HOLD")), "{body}");
    let confirm = json!({"case_id": id, "reference": "TRO-1", "reason": "ORDER_VACATED"});
    let (status, body) = server.post(&legal, "/api/v1/holds/confirm-lift", confirm.clone()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("SAME_APPROVER")), "{body}");
    let (status, body) = server.post(&legal2, "/api/v1/holds/confirm-lift", confirm).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["holds"][0]["lifted_by"].as_str(), body["holds"][0]["stands"].as_bool()),
        (Some("legal2"), Some(false))
    );
    let (_, holds) = server.get(&us, "/api/v1/holds?agreement=us-sv-cecot&standing=true").await;
    assert_eq!(holds, json!([]));

    // Issue 15: the person contests the transfer; the challenge blocks departure with its own code
    // until one legal officer decides it with written reasons and a second confirms.
    let challenge = json!({"case_id": id, "authority": "the person, by counsel", "reference": "CH-1",
        "order": "challenge", "reason": "CHALLENGE_FILED"});
    let (status, body) = server.post(&legal, "/api/v1/holds", challenge).await;
    assert_eq!((status, body["holds"][1]["order"].as_str()), (200, Some("challenge")), "{body}");
    let (status, body) = transition(&server, &us, id, depart.clone()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("CHALLENGE_PENDING")), "{body}");
    let decide = |outcome: &str| {
        json!({"case_id": id, "reference": "CH-1", "outcome": outcome,
            "reasons": "E15 was assessed on the record; the transfer is lawful", "reason": "CHALLENGE_DECIDED"})
    };
    let (status, body) = server.post(&legal, "/api/v1/holds/decide-challenge", decide("maybe")).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("outcome")), "{body}");
    let (status, body) = server.post(&us, "/api/v1/holds/decide-challenge", decide("dismissed")).await;
    assert_eq!(status, 403, "only a legal officer decides: {body}");
    let (status, body) = server.post(&legal, "/api/v1/holds/decide-challenge", decide("dismissed")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["holds"][1]["decision"].as_str(), body["holds"][1]["stands"].as_bool()),
        (Some("dismissed"), Some(true))
    );
    let (status, body) = transition(&server, &us, id, depart.clone()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("CHALLENGE_PENDING")), "{body}");
    let confirm = json!({"case_id": id, "reference": "CH-1", "reason": "CHALLENGE_DECIDED"});
    let (status, body) = server.post(&legal, "/api/v1/holds/confirm-lift", confirm.clone()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("SAME_APPROVER")), "{body}");
    let (status, body) = server.post(&legal2, "/api/v1/holds/confirm-lift", confirm).await;
    assert_eq!((status, body["holds"][1]["stands"].as_bool()), (200, Some(false)), "{body}");
    let (status, body) = transition(&server, &us, id, depart).await;
    assert_eq!(status, 200, "{body}");

    // Admission by facility staff; bad input names the field; a facility officer of another
    // facility no longer sees the case once it is placed in CECOT.
    let admit = |hour: u8| {
        json!({"action": "admit", "reason": "ARRIVED", "occurred_at": "2025-03-16T12:00:00Z",
            "admission": {"commitment_order": "US-DC-1", "admitted_on": "2025-03-16",
            "hour": hour, "visible_injuries": "none", "property": "watch", "next_of_kin": "sister", "receiving_id": "CECOT-1"},
            "placement": {"facility_id": "cecot", "cell_id": "B1-C01"}})
    };
    let (status, body) = transition(&server, &staff, id, admit(24)).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("admission.hour")));
    let (status, body) = transition(&server, &staff, id, admit(6)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "in_custody");
    assert_eq!(body["cell_id"], "B1-C01");
    assert_eq!(server.get(&other_staff, &format!("/api/v1/cases/{id}")).await.0, 404);
    assert_eq!(server.get(&staff, &format!("/api/v1/cases/{id}")).await.0, 200);
    let (_, page) = server.get(&us, "/api/v1/cases?agreement=us-sv-cecot&state=in_custody").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = server.get(&us, "/api/v1/cases?agreement=us-sv-cecot&limit=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_after"].is_i64(), "{page}");
    // Issue 16: the list is paged in SQL by its key, with the scope and the filter in the query:
    // walking the pages one case at a time gives the whole list, and a user of another facility
    // never sees the case placed here.
    let (_, all) = server.get(&us, "/api/v1/cases?agreement=us-sv-cecot").await;
    let all: Vec<i64> = all["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let (mut walked, mut after) = (Vec::new(), 0);
    loop {
        let (_, page) = server.get(&us, &format!("/api/v1/cases?agreement=us-sv-cecot&limit=1&after={after}")).await;
        walked.extend(page["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()));
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => break,
        }
    }
    assert_eq!(walked, all);
    let (_, theirs) = server.get(&other_staff, "/api/v1/cases?agreement=us-sv-cecot").await;
    let theirs: Vec<i64> = theirs["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert!(!theirs.contains(&id) && all.contains(&id), "{theirs:?} / {all:?}");

    // The public locator: no login; by id, or by family name and birth year; nothing else.
    let r = server.client.get(server.url("/locator?person_id=V1")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let found: Value = r.json().await.unwrap();
    assert_eq!(
        found,
        json!([{"status": "in_custody", "facility": "Centro de Confinamiento del Terrorismo (CECOT)", "country": "SV", "since": "2025-03-16"}])
    );
    let by_name: Value = server
        .client
        .get(server.url("/locator?family_name=reyes&birth_year=1990"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_name, found);
    let none: Value =
        server.client.get(server.url("/locator?person_id=V2")).send().await.unwrap().json().await.unwrap();
    assert_eq!(none, json!([]), "a proposed case is not shown");
    let bad = server.client.get(server.url("/locator?family_name=reyes")).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert!(server.store.verify_journal().await.unwrap().first_mismatch.is_none());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_health_metrics_and_the_locator_rate() {
    let server = TestServer::start_with(&[CECOT], |c| {
        c.locator_per_minute = 2;
        c.max_body_bytes = 2048;
    })
    .await;
    let admin = server.user("root", "admin", &["*"], &[]).await;
    for path in ["/healthz", "/readyz"] {
        let r = server.client.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200);
        assert!(r.headers().contains_key("x-request-id"), "every answer carries a request id");
    }
    let big = json!({"source_toml": "x".repeat(4096)});
    let (status, body) = server.post(&admin, "/api/v1/agreements", big).await;
    assert_eq!(status, 413, "{body}");
    error_shape(&body);
    let statuses: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(server.client.get(server.url("/locator?person_id=nobody")).send().await.unwrap().status().as_u16());
        }
        v
    };
    assert_eq!(statuses, [200, 200, 429]);
    let (status, body) = server.get(&admin, "/api/v1/nothing-here").await;
    assert_eq!(status, 404);
    error_shape(&body);
    let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("custodia_http_requests_total{method=\"GET\",route=\"/locator\",status=\"2xx\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("custodia_http_request_duration_seconds_bucket"), "{metrics}");
    let docs = server.client.get(server.url("/docs")).send().await.unwrap().text().await.unwrap();
    assert!(docs.contains("/openapi.json") && !docs.contains("https://"), "the page loads nothing from elsewhere");
    server.stop().await;
}

/// The committed `docs/openapi.json` is what the code generates: change the code, regenerate it
/// (`CUSTODIA_UPDATE_OPENAPI=1 cargo test -p custodia-server --test api openapi`), review the diff.
#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = custodia_server::openapi::json();
    let path = common::repo().join("docs/openapi.json");
    if std::env::var_os("CUSTODIA_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "docs/openapi.json is stale: run CUSTODIA_UPDATE_OPENAPI=1 cargo test -p custodia-server --test api openapi"
    );
    let doc: Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in ["/api/v1/cases", "/api/v1/cases/{id}/transitions", "/locator", "/api/v1/agreements"] {
        assert!(doc["paths"].get(path).is_some(), "{path} is documented");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amendments_need_a_second_user() {
    let server = TestServer::start(&[CECOT]).await;
    let ana = server.user("ana", "admin", &["*"], &[]).await;
    let ben = server.user("ben", "admin", &["*"], &[]).await;
    let source = std::fs::read_to_string(common::repo().join(CECOT)).unwrap();
    let (status, body) = server.post(&ana, "/api/v1/agreements", json!({"source_toml": source})).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("unchanged")));
    let amended = source.replace("contracted_places = 300", "contracted_places = 350");
    assert_ne!(amended, source);
    let (status, body) =
        server.post(&ana, "/api/v1/agreements", json!({"source_toml": amended, "effective_from": "2025-09-01"})).await;
    assert_eq!((status, body["outcome"].as_str()), (202, Some("proposed")), "{body}");
    assert_eq!(body["agreement"]["version"], 1, "nothing applies before the second user");
    let proposal = body["proposal_id"].as_i64().unwrap();
    let approve = format!("/api/v1/agreements/us-sv-cecot/amendments/{proposal}/approve");
    let (status, body) = server.post(&ana, &approve, json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("TWO_PERSON_RULE")));
    let (status, body) = server.post(&ben, &approve, json!({})).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("amended")), "{body}");
    assert_eq!(body["agreement"]["version"], 2);
    assert_eq!(body["agreement"]["facilities"][0]["contracted_places"], 350);
    assert_eq!(server.post(&ben, &approve, json!({})).await.0, 409, "approved once");
    let (status, _) = server.post(&ben, "/api/v1/agreements/us-sv-cecot/amendments/99/approve", json!({})).await;
    assert_eq!(status, 404);
    let events = server.store.events(0, server.store.journal_size().await.unwrap()).await.unwrap();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| serde_json::from_str::<Value>(&e.body).unwrap()["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.contains(&"agreement.amendment_proposed".to_owned())
            && kinds.contains(&"agreement.amendment_approved".to_owned())
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cell_above_its_standard_needs_another_users_recorded_approval() {
    let server = TestServer::start(&[CECOT]).await;
    // Admitted on 2025-04-01: the torture-risk assessment must be at most 90 days old on each step's day.
    let persons =
        [person("A1", "Ruiz", "1990-01-01", "low"), person("A2", "Soto", "1991-01-01", "low")].map(|mut p| {
            p.torture_risk_assessed_on = Some("2025-03-01".into());
            p
        });
    import_persons(&server, "us-sv-cecot", "US", persons.into()).await;
    // 6 m², shared: standard capacity 1 (4 m² each), floor 2 (3 m² each).
    import_cells(&server, "us-sv-cecot", &[("cecot", "S-1", "shared", "6", 2)]).await;
    let us = server.user("us", "sending_officer", &["us-sv-cecot"], &[]).await;
    let sv = server.user("sv", "receiving_officer", &["us-sv-cecot"], &[]).await;
    let staff = server.user("staff", "facility_officer", &["us-sv-cecot"], &["cecot"]).await;
    let auditor = server.user("aud", "auditor", &["us-sv-cecot"], &[]).await;
    let admit = |approval: Option<i64>| {
        let mut placement = json!({"facility_id": "cecot", "cell_id": "S-1"});
        if let Some(id) = approval {
            placement["override_by"] = json!({"approval_id": id});
        }
        json!({"action": "admit", "reason": "ARRIVED", "occurred_at": "2025-04-01T14:00:00Z", "placement": placement,
            "admission": {"commitment_order": "O", "admitted_on": "2025-04-01",
            "hour": 8, "visible_injuries": "none", "property": "none", "next_of_kin": "none"}})
    };
    let mut ids = Vec::new();
    // Opened in the register on a day within the agreement's term (the API opens cases on the
    // wall clock's day, after the example agreement's end).
    for p in ["A1", "A2"] {
        let id = common::propose_on(&server, "us-sv-cecot", p, "us", "2025-03-28T15:00:00Z").await;
        let at = |day: &str| format!("{day}T15:00:00Z");
        for (token, body) in [
            (&us, json!({"action": "screen", "reason": "S", "occurred_at": at("2025-03-28")})),
            (&us, json!({"action": "approve", "party": "sending", "reason": "A", "occurred_at": at("2025-03-29")})),
            (&sv, json!({"action": "approve", "party": "receiving", "reason": "A", "occurred_at": at("2025-03-30")})),
            (&us, json!({"action": "schedule", "reason": "F", "occurred_at": at("2025-03-30")})),
            (&us, json!({"action": "depart", "reason": "F", "occurred_at": at("2025-03-31")})),
        ] {
            let (status, answer) = transition(&server, token, id, body.clone()).await;
            assert_eq!(status, 200, "{body} → {answer}");
        }
        ids.push(id);
    }
    assert_eq!(transition(&server, &staff, ids[0], admit(None)).await.0, 200);
    let (status, body) = transition(&server, &staff, ids[1], admit(None)).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("NEEDS_OVERRIDE")));
    let approvals = format!("/api/v1/cases/{}/override-approvals", ids[1]);
    let request =
        json!({"facility_id": "cecot", "cell_id": "S-1", "reason": "flight arrived at night; move in the morning"});
    assert_eq!(server.post(&auditor, &approvals, request.clone()).await.0, 403);
    let (_, mine) = server.post(&staff, &approvals, request.clone()).await;
    let (status, body) = transition(&server, &staff, ids[1], admit(mine["approval_id"].as_i64())).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("SAME_APPROVER")),
        "one person cannot approve their own override"
    );
    let (status, theirs) = server.post(&sv, &approvals, request).await;
    assert_eq!(status, 201, "{theirs}");
    let (status, body) = transition(&server, &staff, ids[1], admit(Some(9_999))).await;
    assert_eq!((status, body["field"].as_str()), (400, Some("placement.override_by.approval_id")));
    let (status, body) = transition(&server, &staff, ids[1], admit(theirs["approval_id"].as_i64())).await;
    assert_eq!((status, body["state"].as_str()), (200, Some("in_custody")), "{body}");
    let moved = json!({"action": "move", "reason": "M", "placement": {"facility_id": "cecot", "cell_id": "S-1",
        "override_by": {"approval_id": theirs["approval_id"]}}});
    let (status, body) = transition(&server, &staff, ids[1], moved).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("APPROVAL_USED")));
    let journal = server.store.events(0, server.store.journal_size().await.unwrap()).await.unwrap();
    let approved = journal.iter().filter(|e| e.body.contains("\"case.override_approved\"")).count();
    assert_eq!(approved, 2);
    let admitted = journal.iter().rev().find(|e| e.body.contains("\"action\":\"admit\"")).unwrap();
    assert!(admitted.body.contains("\"sv\""), "the event names both approvers: {}", admitted.body);
    server.stop().await;
}
