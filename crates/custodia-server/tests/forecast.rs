//! `GET /api/v1/agreements/{id}/forecast` (docs/forecast.md) on a real server: the register's
//! eligible people and custody as the start, exact figures when nothing varies, the same answer
//! for the same seed, bad parameters refused naming their field, and the work per request bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::TestServer;
use serde_json::{Value, json};

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const AGREEMENT: &str = "us-sv-cecot";

/// CECOT with four people alike but for their ids (60 months from 2024-01-01: held past the end
/// of the term), P-0 admitted on 2025-05-15 to a cell of 100 m² with 20 beds; an auditor's token.
async fn setup() -> (TestServer, String) {
    let server = TestServer::start(&[CECOT]).await;
    let persons = ["P-0", "W-1", "W-2", "W-3"].map(|id| common::person(id, "Doe", "1990-01-01", "high"));
    common::import_persons(&server, AGREEMENT, "US", persons.into()).await;
    common::import_cells(&server, AGREEMENT, &[("cecot", "C-1", "shared", "100", 20)]).await;
    let staff = common::staff(&server).await;
    common::admit(&server, &staff, "P-0", "C-1", "2025-05-15").await;
    let auditor = server.user("audrey", "auditor", &[AGREEMENT], &[]).await;
    (server, auditor)
}

fn same(value: i64) -> Value {
    json!({"p5": value, "p50": value, "p95": value})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_forecast_starts_from_the_register_and_is_exact_when_nothing_varies() {
    let (server, auditor) = setup().await;
    let path =
        format!("/api/v1/agreements/{AGREEMENT}/forecast?intake_per_month=10&months=12&runs=20&seed=3&from=2025-06-01");
    let (status, report) = server.get(&auditor, &path).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!((report["eligible"].as_u64(), report["in_custody"].as_u64()), (Some(3), Some(1)), "{report}");
    assert_eq!((report["screened"].as_u64(), report["percentile_rule"].as_str()), (Some(4), Some("nearest-rank")));
    let months = report["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!((months[0]["month"].as_str(), months[11]["month"].as_str()), (Some("2025-06"), Some("2026-05")));
    // June 2025 … March 2026 (to the 14th, the last day of the term): P-0 and 10 more a month, all
    // held to the end of the term and due back on 2026-03-15; one $20,000 charge per arrival.
    for (k, month) in months.iter().enumerate() {
        let in_term = k <= 9;
        assert_eq!(month["population"], same(if in_term { 1 + 10 * (k as i64 + 1) } else { 0 }), "{month}");
        assert_eq!(month["returns_due"], same(if k == 9 { 101 } else { 0 }), "{month}");
        assert_eq!(month["invoiced_minor"], same(if in_term { 20_000_000 } else { 0 }), "{month}");
        let days = month["person_days"]["p50"].as_i64().unwrap();
        assert_eq!(month["person_days"], same(days));
        assert_eq!(month["home_cost_minor"], same(days * 12_080));
    }
    // June: P-0 all 30 days, and 10 arrivals on days ⌊3i⌋ of June (30 days for 10), each to the 30th.
    assert_eq!(months[0]["person_days"]["p50"], 30 + (0..10).map(|i| 30 - i * 3).sum::<i64>());
    let limits = report["limits"].as_array().unwrap();
    let limit = |name: &str| limits.iter().find(|l| l["limit"] == name).unwrap().clone();
    assert_eq!(limit("contracted_places")["first_month"], Value::Null);
    // The cell's standard capacity, 20, is passed in July by every run.
    assert_eq!(
        limit("standard_capacity"),
        json!({"limit": "standard_capacity", "value": 20, "first_month": "2025-07", "runs_exceeding": 20})
    );
    assert_eq!(limit("fee_envelope")["value"], 1_500_000_000);
    // The same request, the same answer.
    assert_eq!(server.get(&auditor, &path).await.1, report);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_are_refused_by_field_and_the_work_per_request_is_bounded() {
    let (server, auditor) = setup().await;
    let base = format!("/api/v1/agreements/{AGREEMENT}/forecast?from=2025-06-01");
    for (query, field) in [
        ("&months=12&runs=5", "intake_per_month"),
        ("&intake_per_month=-1&months=12&runs=5", "intake_per_month"),
        ("&intake_per_month=5&months=241&runs=5", "months"),
        ("&intake_per_month=5&months=12&runs=0", "runs"),
        ("&intake_per_month=5&months=12&runs=x", "runs"),
        ("&intake_per_month=5&months=12&intake_model=poisson", "intake_model"),
        ("&intake_per_month=5&months=12&seed=-1", "seed"),
    ] {
        let (status, body) = server.get(&auditor, &format!("{base}{query}")).await;
        assert_eq!(
            (status, body["code"].as_str(), body["field"].as_str()),
            (400, Some("INVALID"), Some(field)),
            "{query}: {body}"
        );
    }
    // 10,000 runs × 120 months × 100 a month is 120,000,000 arrivals: more than one request may ask.
    let (status, body) = server.get(&auditor, &format!("{base}&intake_per_month=100&months=120&runs=10000")).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("FORECAST_TOO_LARGE")), "{body}");
    // Spanish, with the figures.
    let (status, body) =
        server.get_in(&auditor, &format!("{base}&intake_per_month=100&months=120&runs=10000"), "es").await;
    assert_eq!(status, 409);
    assert!(body["message"].as_str().unwrap().contains("llegadas"), "{body}");
    // Nobody eligible on a day after the torture-risk assessments went stale.
    let (status, body) = server
        .get(
            &auditor,
            &format!("/api/v1/agreements/{AGREEMENT}/forecast?from=2025-12-01&intake_per_month=5&months=2&runs=2"),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("NOBODY_ELIGIBLE")), "{body}");
    server.stop().await;
}
