//! The public locator (SPEC §9.4): no login; rate-limited per client address; only agreements
//! with `public_locator = true`; by the sending state's person id, or family name plus birth year.
//! It answers status, facility, country and since-date — nothing else about the person.

use custodia_store::prelude::*;
use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::http::request::Parts;
use axum::routing::get;
use custodia_core::lifecycle::CaseState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::QueryParams;
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(paths(locate), components(schemas(Located)))]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/locator", get(locate))
}

/// What the locator may say about a person.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Located {
    /// `in_transit`, `in_custody`, `return_scheduled`, `returned`, `released` or `deceased`.
    pub status: String,
    /// The facility's name (while held there).
    pub facility: Option<String>,
    /// ISO 3166 country where the person is, or was last held.
    pub country: String,
    /// The date of the last change of status (YYYY-MM-DD).
    pub since: String,
}

/// The question: a person id, or a family name and birth year.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocatorQuery {
    /// The sending state's person id.
    pub person_id: Option<String>,
    /// Family name (case-insensitive, exact).
    pub family_name: Option<String>,
    /// Year of birth, with `family_name`.
    pub birth_year: Option<i32>,
}

/// Where someone held under an agreement is (200 with an empty list when nothing matches).
#[utoipa::path(get, path = "/locator", tag = "locator", params(LocatorQuery), security(()),
    responses((status = 200, body = [Located]), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn locate(
    State(state): State<AppState>,
    parts: Parts,
    QueryParams(q): QueryParams<LocatorQuery>,
) -> ApiResult<axum::Json<Vec<Located>>> {
    if !state.locator.allow(crate::state::client_address(&parts), crate::clock::instant()) {
        return Err(ApiError::rate_limited());
    }
    enum Key {
        Id(String),
        Name(String, i32),
    }
    let key = match (q.person_id, q.family_name, q.birth_year) {
        (Some(id), None, None) if !id.trim().is_empty() && id.len() <= 256 => Key::Id(id),
        (None, Some(name), Some(year))
            if !name.trim().is_empty() && name.len() <= 200 && (1850..=2100).contains(&year) =>
        {
            Key::Name(name.trim().to_lowercase(), year)
        }
        (Some(_), _, _) => return Err(ApiError::invalid("person_id", "give person_id alone, 1 to 256 characters")),
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(ApiError::invalid("birth_year", "give family_name and birth_year together"));
        }
        (None, Some(_), Some(_)) => {
            return Err(ApiError::invalid("birth_year", "family_name of 1 to 200 characters and a year 1850 to 2100"));
        }
        (None, None, None) => {
            return Err(ApiError::invalid("person_id", "give person_id, or family_name and birth_year"));
        }
    };
    let mut found = Vec::new();
    for custodia_store::AgreementVersion { agreement_id: id, .. } in state.store.agreement_ids().await? {
        let Some(custodia_store::AgreementSource { source, .. }) = state.store.agreement_source(&id).await? else {
            continue;
        };
        let Ok(agreement) = custodia_core::Agreement::from_toml(&source) else { continue };
        if !agreement.public_locator {
            continue;
        }
        let cases = state.store.cases_with_persons(&id).await?;
        let matching: Vec<_> = cases
            .iter()
            .filter(|custodia_store::CaseWithPerson { case: c, person: p }| {
                let public = matches!(
                    c.case.state,
                    CaseState::InTransit
                        | CaseState::InCustody
                        | CaseState::ReturnScheduled
                        | CaseState::Returned
                        | CaseState::Released
                        | CaseState::Deceased
                );
                public
                    && match &key {
                        Key::Id(wanted) => &p.sending_id == wanted,
                        Key::Name(name, year) => {
                            p.family_name.to_lowercase() == *name
                                && p.birth_date.as_deref().and_then(|b| b.get(..4)).and_then(|y| y.parse::<i32>().ok())
                                    == Some(*year)
                        }
                    }
            })
            .collect();
        if matching.is_empty() {
            continue;
        }
        // The date of each case's last transition.
        let mut since: HashMap<i64, String> = HashMap::new();
        for body in state.store.case_transition_bodies(&id).await? {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else { continue };
            let case_id = v.pointer("/data/case_id").and_then(serde_json::Value::as_i64);
            let at = v
                .pointer("/data/occurred_at")
                .and_then(serde_json::Value::as_str)
                .or_else(|| v.get("occurred_at").and_then(serde_json::Value::as_str));
            if let (Some(case_id), Some(at)) = (case_id, at) {
                since.insert(case_id, at.get(..10).unwrap_or_default().to_owned());
            }
        }
        for custodia_store::CaseWithPerson { case: c, .. } in matching {
            let held = matches!(c.case.state, CaseState::InCustody | CaseState::ReturnScheduled);
            let facility = c.facility_id.as_deref().and_then(|f| agreement.facility(f));
            let country = match c.case.state {
                CaseState::InTransit | CaseState::Returned => agreement.sending_state.as_str().to_owned(),
                _ => facility
                    .map(|f| f.country.as_str().to_owned())
                    .unwrap_or_else(|| agreement.receiving_state.as_str().to_owned()),
            };
            let since = match (held, c.case.intake.as_ref()) {
                (true, Some(intake)) if c.case.state == CaseState::InCustody => intake.admitted_on.to_string(),
                _ => since.get(&c.id).cloned().unwrap_or_default(),
            };
            found.push(Located {
                status: c.case.state.as_str().to_owned(),
                facility: if held { facility.map(|f| f.name.clone()) } else { None },
                country,
                since,
            });
        }
    }
    Ok(axum::Json(found))
}
