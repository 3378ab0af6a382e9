//! Open alerts of an agreement on a day (SPEC §7, §9.1), computed as `custodia alerts --json`
//! computes them: returns not scheduled or overdue, people held beyond release or without a legal
//! basis, holds in transit, places and standard capacity exceeded, overdue notifications.
//!
//! The alerts are computed over the whole agreement (so agreement-wide counts are right) and then
//! limited to what the caller sees: an alert about a case, a facility or an incident outside the
//! caller's scope is left out.

use custodia_store::prelude::*;
use std::collections::HashSet;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use custodia_core::alerts::{CaseFacts, FacilityCount, IncidentFacts, open_alerts};
use custodia_core::lifecycle::CaseState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::QueryParams;
use crate::routes::agreements::agreement_in_scope;
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(paths(list_alerts), components(schemas(AlertView)), security(("bearer" = [])))]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/alerts", get(list_alerts))
}

/// One open alert, as `custodia alerts --json` prints it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AlertView {
    /// Stable code: `RETURN_NOT_SCHEDULED`, `RETURN_OVERDUE`, `HELD_BEYOND_RELEASE`,
    /// `NO_LEGAL_BASIS`, `HOLD_IN_TRANSIT`, `CONTRACTED_PLACES_EXCEEDED`,
    /// `STANDARD_CAPACITY_EXCEEDED`, `NOTIFICATION_OVERDUE`.
    pub code: String,
    /// `critical` or `warning`.
    pub severity: String,
    /// `case-<id>/<sending person_id>`, a facility id, `incident-<id>`, or `agreement`.
    pub subject: String,
    /// Why, for a person to read.
    pub reason: String,
}

/// The agreement and the day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// The agreement (required).
    pub agreement: String,
    /// The day, YYYY-MM-DD (default: today, UTC).
    pub on: Option<String>,
}

/// Every open alert of the agreement on the day, most severe first, limited to the caller's scope.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    responses((status = 200, body = [AlertView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_alerts(
    State(state): State<AppState>,
    who: Principal,
    QueryParams(q): QueryParams<AlertQuery>,
) -> ApiResult<axum::Json<Vec<AlertView>>> {
    let (_, agreement, _) = agreement_in_scope(&state, &who, &q.agreement).await?;
    let on = match q.on.as_deref() {
        Some(text) => crate::wire::date("on", text)?,
        None => crate::clock::today(),
    };
    let rows = state.store.cases_with_persons(&q.agreement).await?;
    let cells = state.store.cells(&q.agreement).await?;
    let incidents = state.store.incidents(&q.agreement).await?;
    let id = agreement.id.as_str();

    let case_ids: Vec<String> = rows.iter().map(|r| format!("case-{}/{}", r.case.id, r.person.sending_id)).collect();
    let facts: Vec<CaseFacts<'_>> = rows
        .iter()
        .zip(&case_ids)
        .map(|(r, case_id)| CaseFacts {
            case_id,
            case: &r.case.case,
            projected_release: r.person.projected_release(&agreement),
            return_before_release_days: agreement.return_before_release_days,
        })
        .collect();
    let totals = custodia_core::capacity::facility_capacities(&agreement, &cells);
    let counts: Vec<FacilityCount<'_>> = totals
        .iter()
        .map(|t| FacilityCount {
            facility_id: t.facility_id.as_str(),
            in_custody: u32::try_from(
                rows.iter()
                    .filter(|r| {
                        r.case.facility_id.as_deref() == Some(t.facility_id.as_str())
                            && matches!(r.case.case.state, CaseState::InCustody | CaseState::ReturnScheduled)
                    })
                    .count(),
            )
            .unwrap_or(u32::MAX),
            standard_capacity: u32::try_from(t.standard_capacity).unwrap_or(u32::MAX),
        })
        .collect();
    let contracted: u32 = agreement.facilities.iter().map(|f| f.contracted_places).fold(0u32, u32::saturating_add);
    let incident_ids: Vec<String> = incidents.iter().map(|i| format!("incident-{}", i.id)).collect();
    let incident_facts: Vec<IncidentFacts<'_>> = incidents
        .iter()
        .zip(&incident_ids)
        .map(|(i, incident_id)| IncidentFacts { incident_id, notifications: &i.notifications })
        .collect();
    let alerts = open_alerts(&facts, &counts, contracted, &incident_facts, on);

    // Subjects outside the caller's scope.
    let hidden_cases: HashSet<i64> =
        rows.iter().filter(|r| !who.sees(id, r.case.facility_id.as_deref())).map(|r| r.case.id).collect();
    let mut hidden: HashSet<&str> = HashSet::new();
    for (r, subject) in rows.iter().zip(&case_ids) {
        if hidden_cases.contains(&r.case.id) {
            hidden.insert(subject);
        }
    }
    for f in &agreement.facilities {
        if !who.sees(id, Some(f.id.as_str())) {
            hidden.insert(f.id.as_str());
        }
    }
    for (incident, subject) in incidents.iter().zip(&incident_ids) {
        if incident.case_id.is_some_and(|c| hidden_cases.contains(&c)) {
            hidden.insert(subject);
        }
    }
    let out = alerts
        .into_iter()
        .filter(|a| !hidden.contains(a.subject.as_str()))
        .map(|a| AlertView {
            code: a.kind.code().to_owned(),
            severity: a.kind.severity().as_str().to_owned(),
            subject: a.subject,
            reason: a.reason,
        })
        .collect();
    Ok(axum::Json(out))
}
