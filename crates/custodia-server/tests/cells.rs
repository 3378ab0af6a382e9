//! Cell changes and the per-cell alerts through the API (docs/capacity.md#cell-changes,
//! docs/capacity.md#alerts-per-cell): a change to registered cells is only proposed until a second
//! user confirms it, and cells above their standard or floor capacity raise alerts on the right days.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{TestServer, import_persons, person};
use custodia_store::prelude::*;
use serde_json::{Value, json};

const HEADER: &str = "facility_id,cell_id,unit,kind,area_m2,beds\n";
const CELLS: &str = "/api/v1/facilities/cecot/cells";

/// The CECOT agreement with its facility in El Salvador's time zone (UTC−6) and overrides allowed
/// for 10 days, written to a file of its own.
fn agreement_file() -> String {
    let source = common::amended_example(
        "examples/agreements/us-sv-cecot.toml",
        "override_max_days = 30",
        "override_max_days = 10",
    );
    assert!(source.contains("time_zone = \"America/El_Salvador\""), "the example keeps San Salvador's days");
    let path = std::env::temp_dir().join(format!("custodia-cells-api-{}.toml", std::process::id()));
    std::fs::write(&path, source).unwrap();
    path.to_str().unwrap().to_owned()
}

struct Setup {
    server: TestServer,
    us: String,
    sv: String,
}

impl Setup {
    /// Takes a person's new case to `in_transit` on 31 March 2025 and returns its id; the register
    /// screens the person on that day.
    async fn in_transit(&self, person: &str) -> i64 {
        const AT: &str = "2025-03-31T10:00:00-06:00";
        let id = common::propose_on(&self.server, "us-sv-cecot", person, "us", AT).await;
        for (token, mut body) in [
            (&self.us, json!({"action": "screen", "reason": "S"})),
            (&self.us, json!({"action": "approve", "party": "sending", "reason": "A"})),
            (&self.sv, json!({"action": "approve", "party": "receiving", "reason": "A"})),
            (&self.us, json!({"action": "schedule", "reason": "F"})),
            (&self.us, json!({"action": "depart", "reason": "F"})),
        ] {
            body["occurred_at"] = json!(AT);
            let (status, body) = self.transition(token, id, body).await;
            assert_eq!(status, 200, "{body}");
        }
        id
    }

    async fn transition(&self, token: &str, case: i64, body: Value) -> (u16, Value) {
        self.server.post(token, &format!("/api/v1/cases/{case}/transitions"), body).await
    }

    /// Admits a case into a cell of CECOT, citing an override approval when given.
    async fn admit(&self, token: &str, case: i64, cell: &str, approval: Option<i64>, at: &str) -> (u16, Value) {
        let mut placement = json!({"facility_id": "cecot", "cell_id": cell});
        if let Some(id) = approval {
            placement["override_by"] = json!({"approval_id": id});
        }
        let body = json!({"action": "admit", "reason": "ARRIVED", "occurred_at": at, "placement": placement,
            "admission": {"commitment_order": "O", "admitted_on": "2025-04-01", "hour": 8, "visible_injuries": "none",
                "property": "none", "next_of_kin": "none"}});
        self.transition(token, case, body).await
    }

    async fn upload(&self, token: &str, rows: &str) -> (u16, Value) {
        self.server.post(token, CELLS, json!({"agreement_id": "us-sv-cecot", "csv": format!("{HEADER}{rows}")})).await
    }

    async fn size(&self) -> u64 {
        self.server.store.journal_size().await.unwrap()
    }

    /// The cell alerts (code, subject) on a day, as `token` sees them. Every alert the server
    /// answers — computed from the facts it remembers by journal size, caught up on since the
    /// last write — must be what a fresh application computes from the register read whole.
    async fn cell_alerts(&self, token: &str, on: &str) -> Vec<(String, String)> {
        let (status, alerts) = self.server.get(token, &format!("/api/v1/alerts?agreement=us-sv-cecot&on={on}")).await;
        assert_eq!(status, 200, "{alerts}");
        let fresh = custodia_app::App::new(self.server.store.clone(), [7; 32], "fresh.test/journal".into());
        let now = custodia_server::clock::now();
        let who = fresh.authenticate(token, &now).await.unwrap();
        let day = custodia_core::Date::parse(on).unwrap();
        let read_whole: Vec<(String, String, String)> = fresh
            .alerts(&who, "us-sv-cecot", day)
            .await
            .unwrap()
            .into_iter()
            .map(|a| (a.kind.code().to_owned(), a.subject, a.reason))
            .collect();
        let answered: Vec<(String, String, String)> = alerts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let text = |k: &str| a[k].as_str().unwrap().to_owned();
                (text("code"), text("subject"), text("reason"))
            })
            .collect();
        assert_eq!(answered, read_whole, "remembered facts are the register's on {on}");
        alerts
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["subject"].as_str().unwrap().starts_with("cell-"))
            .map(|a| (a["code"].as_str().unwrap().to_owned(), a["subject"].as_str().unwrap().to_owned()))
            .collect()
    }

    async fn area_of(&self, cell: &str) -> String {
        let (_, cells) = self.server.get(&self.us, &format!("{CELLS}?agreement=us-sv-cecot")).await;
        let cells = cells.as_array().unwrap();
        cells.iter().find(|c| c["cell_id"] == cell).unwrap()["area_m2"].as_str().unwrap().to_owned()
    }
}

fn alert(code: &str, subject: &str) -> (String, String) {
    (code.to_owned(), subject.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cell_change_needs_a_second_user_and_cells_above_capacity_raise_alerts() {
    let path = agreement_file();
    let server = TestServer::start(&[&path]).await;
    // Assessed free of a torture risk on 15 March 2025, so eligible in the days of this test.
    let assessed = |p| custodia_store::PersonData {
        torture_risk_assessed_on: Some("2025-03-15".into()),
        ..person(p, "Ruiz", "1990-01-01", "low")
    };
    let persons = ["A1", "A2", "A3", "A4", "A5"].map(assessed).to_vec();
    import_persons(&server, "us-sv-cecot", "US", persons).await;
    let us = server.user("us", "sending_officer", &["us-sv-cecot"], &[]).await;
    let sv = server.user("sv", "receiving_officer", &["us-sv-cecot"], &[]).await;
    let ana = server.user("ana", "facility_officer", &["us-sv-cecot"], &["cecot"]).await;
    let ben = server.user("ben", "facility_officer", &["us-sv-cecot"], &["cecot"]).await;
    let elsewhere = server.user("carla", "facility_officer", &["us-sv-cecot"], &["izalco"]).await;
    let auditor = server.user("aud", "auditor", &["us-sv-cecot"], &[]).await;
    let s = Setup { server, us, sv };

    // The first cells of a facility are registered at once; the same file again writes nothing.
    // B-1: 9 m², 4 beds → standard 2 (4 m² each), floor 3 (3 m² each). S-1: 6 m² → 1 and 2.
    let first = "cecot,B-1,b,shared,9,4\ncecot,S-1,s,shared,6,2\n";
    let (status, out) = s.upload(&ana, first).await;
    assert_eq!((status, out["outcome"].as_str(), out["added"].as_u64()), (201, Some("registered"), Some(2)), "{out}");
    let size = s.size().await;
    let (status, out) = s.upload(&ana, first).await;
    assert_eq!((status, out["outcome"].as_str()), (200, Some("unchanged")), "{out}");
    assert_eq!(s.size().await, size);

    // B-1 is full at its standard capacity: a third person needs an override.
    let mut cases = Vec::new();
    for p in ["A1", "A2", "A3", "A4", "A5"] {
        cases.push(s.in_transit(p).await);
    }
    for case in &cases[..2] {
        assert_eq!(s.admit(&ana, *case, "B-1", None, "2025-04-01T14:00:00Z").await.0, 200);
    }
    let needs_override = |r: (u16, Value)| (r.0, r.1["code"].as_str().map(str::to_owned));
    let refused = (409, Some("NEEDS_OVERRIDE".to_owned()));
    assert_eq!(needs_override(s.admit(&ana, cases[2], "B-1", None, "2025-04-01T14:00:00Z").await), refused);

    // (a) An officer re-importing B-1 at 100 m² only proposes: the cell is unchanged and the
    // third admission still needs an override until a second user confirms.
    let bigger = "cecot,B-1,b,shared,100,4\ncecot,S-1,s,shared,6,2\n";
    let (status, out) = s.upload(&ana, bigger).await;
    assert_eq!((status, out["outcome"].as_str(), out["changed"].as_u64()), (202, Some("proposed"), Some(1)), "{out}");
    let change = out["change_id"].as_i64().unwrap();
    assert_eq!(s.area_of("B-1").await, "9");
    assert_eq!(needs_override(s.admit(&ana, cases[2], "B-1", None, "2025-04-01T14:00:00Z").await), refused);
    let (status, list) = s.server.get(&auditor, "/api/v1/cell-changes?agreement_id=us-sv-cecot").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list[0]["id"], change);
    assert_eq!(
        (list[0]["changed"][0]["before"]["area_m2"].as_str(), list[0]["changed"][0]["after"]["area_m2"].as_str()),
        (Some("9"), Some("100"))
    );
    assert_eq!((list[0]["proposed_by"].as_str(), list[0]["applied"].as_bool()), (Some("ana"), Some(false)));
    let (_, hidden) = s.server.get(&elsewhere, "/api/v1/cell-changes?agreement_id=us-sv-cecot").await;
    assert_eq!(hidden, json!([]), "changes of a facility out of scope are not listed");

    let confirm = format!("/api/v1/cell-changes/{change}/confirm");
    let size = s.size().await;
    let (status, body) = s.server.post(&ana, &confirm, json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("TWO_PERSON_RULE")), "{body}");
    assert_eq!(s.server.post(&elsewhere, &confirm, json!({})).await.0, 404, "out of scope: not found");
    assert_eq!(s.server.post(&auditor, &confirm, json!({})).await.0, 403);
    assert_eq!(s.server.post(&ben, "/api/v1/cell-changes/999/confirm", json!({})).await.0, 404);
    assert_eq!(s.size().await, size, "refused confirmations write nothing");
    assert_eq!(s.area_of("B-1").await, "9");

    let (status, body) = s.server.post(&ben, &confirm, json!({})).await;
    assert_eq!((status, body["applied"].as_bool(), body["confirmed_by"].as_str()), (200, Some(true), Some("ben")));
    assert_eq!(s.size().await, size + 1, "one cells.change_confirmed event");
    assert_eq!(s.area_of("B-1").await, "100");
    let (status, body) = s.server.post(&ben, &confirm, json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("ALREADY_CONFIRMED")));
    assert_eq!(s.admit(&ana, cases[2], "B-1", None, "2025-04-01T14:00:00Z").await.0, 200, "now within the standard");

    // Two pending changes of the same cells: once one is confirmed the other is stale.
    let (_, one) = s.upload(&ana, "cecot,B-1,b2,shared,100,4\ncecot,S-1,s,shared,6,2\n").await;
    let (_, two) = s.upload(&ana, "cecot,B-1,b3,shared,100,4\ncecot,S-1,s,shared,6,2\n").await;
    let path_of = |v: &Value| format!("/api/v1/cell-changes/{}/confirm", v["change_id"]);
    assert_eq!(s.server.post(&ben, &path_of(&one), json!({})).await.0, 200);
    let size = s.size().await;
    let (status, body) = s.server.post(&ben, &path_of(&two), json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("STALE")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("changed since it was proposed"), "{body}");
    assert_eq!(s.size().await, size);

    // (b) A confirmed shrink below the three people held: above the floor, a critical alert.
    assert!(s.cell_alerts(&auditor, "2025-04-02").await.is_empty(), "three in 100 m²");
    let (_, shrink) = s.upload(&ana, "cecot,B-1,b2,shared,6,4\ncecot,S-1,s,shared,6,2\n").await;
    assert_eq!(s.server.post(&ben, &path_of(&shrink), json!({})).await.0, 200);
    let (_, all) = s.server.get(&auditor, "/api/v1/alerts?agreement=us-sv-cecot&on=2025-04-02").await;
    let floor = all.as_array().unwrap().iter().find(|a| a["code"] == "CELL_ABOVE_FLOOR").unwrap();
    assert_eq!(floor["severity"], "critical");
    assert_eq!(floor["subject"], "cell-cecot/B-1");
    assert_eq!(floor["reason"], "3 held against a floor capacity of 2: 6 m² for 3: 2 m² per person");
    let b1 = [alert("CELL_ABOVE_FLOOR", "cell-cecot/B-1"), alert("CELL_ABOVE_STANDARD", "cell-cecot/B-1")];
    assert_eq!(s.cell_alerts(&auditor, "2026-01-01").await, b1, "no override took it there: it never expires");

    // (c) S-1 (standard 1) takes a second person with an override recorded at 03:00 UTC on
    // 2 April, which is 1 April in El Salvador: the override's day is the facility's day.
    assert_eq!(s.admit(&ana, cases[3], "S-1", None, "2025-04-01T14:00:00Z").await.0, 200);
    let approvals = format!("/api/v1/cases/{}/override-approvals", cases[4]);
    let (status, approval) = s
        .server
        .post(&s.sv, &approvals, json!({"facility_id": "cecot", "cell_id": "S-1", "reason": "night arrival"}))
        .await;
    assert_eq!(status, 201, "{approval}");
    let (status, body) = s.admit(&ana, cases[4], "S-1", approval["approval_id"].as_i64(), "2025-04-02T03:00:00Z").await;
    assert_eq!(status, 200, "{body}");
    let s1_above = alert("CELL_ABOVE_STANDARD", "cell-cecot/S-1");
    let on_day = |day: &'static str| s.cell_alerts(&auditor, day);
    assert_eq!(
        on_day("2025-04-11").await,
        [b1[0].clone(), b1[1].clone(), s1_above.clone()],
        "10 days: within the override"
    );
    assert_eq!(
        on_day("2025-04-12").await,
        [b1[0].clone(), alert("OVERRIDE_EXPIRED", "cell-cecot/S-1"), b1[1].clone(), s1_above],
        "override_max_days + 1 days after the override"
    );
    assert!(
        s.cell_alerts(&elsewhere, "2025-04-12").await.is_empty(),
        "cells out of scope raise no alert for the caller"
    );

    // A change that removes a cell people are held in is refused until they are moved.
    let (status, gone) = s.upload(&ana, "cecot,B-1,b2,shared,6,4\n").await;
    assert_eq!((status, gone["removed"].as_u64()), (202, Some(1)), "{gone}");
    let size = s.size().await;
    let (status, body) = s.server.post(&ben, &path_of(&gone), json!({})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("CELL_OCCUPIED")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("S-1"), "{body}");
    assert_eq!(s.size().await, size);
    s.server.stop().await;
    let _ = std::fs::remove_file(path);
}
