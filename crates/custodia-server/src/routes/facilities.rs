//! Facilities and cells (SPEC §6): the capacity figures of each facility of an agreement (stated
//! beside the standard and floor capacities computed from the cells), its cells with their current
//! occupants, and importing cells. Occupancy is derived from custody records, never typed in.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use custodia_core::Agreement;
use custodia_core::capacity::{CELL_COLUMNS, Cell, facility_capacities, read_cells_file};
use custodia_store::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::{Capability, Principal};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::routes::agreements::agreement_in_scope;
use crate::state::AppState;

/// Problems listed in an error message (the count is always given).
const MAX_LISTED_PROBLEMS: usize = 100;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_facilities, list_cells, import_cells),
    components(schemas(FacilityCapacityView, CellView, ImportCells, ImportedCells)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/facilities", get(list_facilities))
        .route("/api/v1/facilities/{id}/cells", get(list_cells).post(import_cells))
}

/// A facility's figures (SPEC §6; the `custodia capacity` numbers plus occupancy).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FacilityCapacityView {
    /// The facility.
    pub facility_id: String,
    /// Its name.
    pub name: String,
    /// ISO 3166 country.
    pub country: String,
    /// What the operator states (from the agreement).
    pub stated_capacity: u32,
    /// Places the agreement contracts there.
    pub contracted_places: u32,
    /// Registered cells.
    pub cells: u64,
    /// Beds over all cells, single ones included.
    pub beds: u64,
    /// Sum of the cells' standard capacities.
    pub standard_capacity: u64,
    /// Sum of the cells' floor capacities.
    pub floor_capacity: u64,
    /// Cells below the standard for their kind.
    pub non_compliant_cells: u64,
    /// People in custody there now (in custody or return scheduled), from the custody records.
    pub in_custody: u64,
}

/// A cell with its capacities and current occupants.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CellView {
    /// The cell.
    pub cell_id: String,
    /// Building, wing or unit.
    pub unit: String,
    /// `single` or `shared`.
    pub kind: String,
    /// Net floor area in m², an exact decimal written as text.
    pub area_m2: String,
    /// Beds or bunks.
    pub beds: u32,
    /// Places within the standard.
    pub standard_capacity: u32,
    /// Places within the absolute floor.
    pub floor_capacity: u32,
    /// Below the standard for its kind.
    pub non_compliant: bool,
    /// People in custody in the cell now.
    pub occupants: u64,
}

/// The agreement of a facility request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FacilityQuery {
    /// The agreement (required).
    pub agreement: String,
}

/// A cells file to import for one facility.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportCells {
    /// The agreement naming the facility.
    pub agreement_id: String,
    /// CSV `facility_id,cell_id,unit,kind,area_m2,beds` with its header row (SPEC §6); every row
    /// must be a cell of the facility in the path.
    pub csv: String,
}

/// What an import of cells did.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportedCells {
    /// The agreement.
    pub agreement_id: String,
    /// The facility.
    pub facility_id: String,
    /// Data rows read.
    pub rows: u64,
    /// New cells.
    pub added: u64,
    /// Changed cells (one amendment each).
    pub amended: u64,
    /// Identical cells (nothing written).
    pub unchanged: u64,
}

/// People in custody (in custody or return scheduled) per (facility, cell) of an agreement.
async fn occupants(state: &AppState, agreement_id: &str) -> ApiResult<Vec<(String, Option<String>)>> {
    Ok(state
        .store
        .case_places(agreement_id)
        .await?
        .into_iter()
        .filter(|p| p.state == "in_custody" || p.state == "return_scheduled")
        .filter_map(|p| p.facility_id.map(|f| (f, p.cell_id)))
        .collect())
}

/// The agreement and the facility, if the caller sees both (404 otherwise, alike).
async fn facility_in_scope(
    state: &AppState,
    who: &Principal,
    agreement_id: &str,
    facility_id: &str,
) -> ApiResult<Agreement> {
    let (_, agreement, _) = agreement_in_scope(state, who, agreement_id).await?;
    if agreement.facility(facility_id).is_none() || !who.sees(agreement_id, Some(facility_id)) {
        return Err(ApiError::not_found(format!("facility {facility_id} of agreement {agreement_id} does not exist")));
    }
    Ok(agreement)
}

/// The facilities of an agreement in the caller's scope, with stated capacity, beds, standard and
/// floor capacity, non-compliant cells and current occupancy.
#[utoipa::path(get, path = "/api/v1/facilities", tag = "facilities", params(FacilityQuery),
    responses((status = 200, body = [FacilityCapacityView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_facilities(
    State(state): State<AppState>,
    who: Principal,
    QueryParams(q): QueryParams<FacilityQuery>,
) -> ApiResult<axum::Json<Vec<FacilityCapacityView>>> {
    let (_, agreement, _) = agreement_in_scope(&state, &who, &q.agreement).await?;
    let cells = state.store.cells(&q.agreement).await?;
    let held = occupants(&state, &q.agreement).await?;
    let totals = facility_capacities(&agreement, &cells);
    let out = agreement
        .facilities
        .iter()
        .zip(&totals)
        .filter(|(f, _)| who.sees(&q.agreement, Some(f.id.as_str())))
        .map(|(f, t)| FacilityCapacityView {
            facility_id: f.id.as_str().to_owned(),
            name: f.name.clone(),
            country: f.country.as_str().to_owned(),
            stated_capacity: t.stated_capacity,
            contracted_places: f.contracted_places,
            cells: cells.iter().filter(|c| c.facility_id == f.id).count() as u64,
            beds: t.beds,
            standard_capacity: t.standard_capacity,
            floor_capacity: t.floor_capacity,
            non_compliant_cells: t.non_compliant_cells,
            in_custody: held.iter().filter(|(h, _)| h == f.id.as_str()).count() as u64,
        })
        .collect();
    Ok(axum::Json(out))
}

/// The cells of a facility with kind, area, beds, standard and floor capacity and occupants.
#[utoipa::path(get, path = "/api/v1/facilities/{id}/cells", tag = "facilities",
    params(("id" = String, Path, description = "Facility id"), FacilityQuery),
    responses((status = 200, body = [CellView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_cells(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<String>,
    QueryParams(q): QueryParams<FacilityQuery>,
) -> ApiResult<axum::Json<Vec<CellView>>> {
    let agreement = facility_in_scope(&state, &who, &q.agreement, &id).await?;
    let held = occupants(&state, &q.agreement).await?;
    let out = state
        .store
        .cells(&q.agreement)
        .await?
        .into_iter()
        .filter(|c| c.facility_id.as_str() == id)
        .map(|c| {
            let capacity = c.capacity(&agreement.standards);
            let occupants =
                held.iter().filter(|(f, cell)| *f == id && cell.as_deref() == Some(c.cell_id.as_str())).count() as u64;
            CellView {
                cell_id: c.cell_id,
                unit: c.unit,
                kind: c.kind.as_str().to_owned(),
                area_m2: c.area_m2.to_string(),
                beds: c.beds,
                standard_capacity: capacity.standard,
                floor_capacity: capacity.floor,
                non_compliant: capacity.non_compliant,
                occupants,
            }
        })
        .collect();
    Ok(axum::Json(out))
}

/// Reads a cells file as `custodia import cells` does, for one facility: every row valid, or 400
/// listing every bad row by line, `field` naming the first bad column.
fn read_cells(csv: &[u8], agreement: &Agreement, facility_id: &str) -> ApiResult<Vec<Cell>> {
    let file = read_cells_file(csv, agreement, None).map_err(|e| ApiError::invalid("csv", e))?;
    let mut problems = file.problems;
    let mut cells = Vec::with_capacity(file.cells.len());
    for (line, cell) in file.cells {
        if cell.facility_id.as_str() == facility_id {
            cells.push(cell);
        } else {
            problems.push((
                line,
                format!(
                    "facility_id: {:?} is not facility {facility_id} (import each facility's cells at its own path)",
                    cell.facility_id.as_str()
                ),
            ));
        }
    }
    problems.sort_by_key(|(line, _)| *line);
    if let Some((_, first)) = problems.first() {
        let field = CELL_COLUMNS.iter().find(|c| first.starts_with(&format!("{c}:"))).copied().unwrap_or("csv");
        let mut message = format!("{} cell rows cannot be used: nothing was imported", problems.len());
        for (line, problem) in problems.iter().take(MAX_LISTED_PROBLEMS) {
            message.push_str(&format!("\nline {line}: {problem}"));
        }
        if problems.len() > MAX_LISTED_PROBLEMS {
            message.push_str(&format!("\n… and {} more", problems.len() - MAX_LISTED_PROBLEMS));
        }
        return Err(ApiError::invalid(field, message));
    }
    Ok(cells)
}

/// Imports the cells of a facility (SPEC §6): new cells are registered, changed ones amended,
/// identical ones left alone. All or nothing: a bad row means nothing is written.
#[utoipa::path(post, path = "/api/v1/facilities/{id}/cells", tag = "facilities", request_body = ImportCells,
    params(("id" = String, Path, description = "Facility id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = ImportedCells, description = "No new cell"), (status = 201, body = ImportedCells, description = "Cells registered"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn import_cells(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<String>,
    JsonBody(body): JsonBody<ImportCells>,
) -> ApiResult<(StatusCode, axum::Json<ImportedCells>)> {
    if body.agreement_id.is_empty() || body.agreement_id.len() > 64 {
        return Err(ApiError::invalid("agreement_id", "must be 1 to 64 characters"));
    }
    let agreement = facility_in_scope(&state, &who, &body.agreement_id, &id).await?;
    who.require(Capability::ManageCells)?;
    let csv = body.csv;
    let facility = id.clone();
    let (cells, agreement) = tokio::task::spawn_blocking(move || {
        read_cells(csv.as_bytes(), &agreement, &facility).map(|cells| (cells, agreement))
    })
    .await
    .map_err(ApiError::internal)??;
    let actor = custodia_store::Actor { name: who.name.clone(), recorded_at: crate::clock::now(), occurred_at: None };
    let outcome = state.store.import_cells(agreement.id.as_str(), &cells, &actor).await?;
    let status = if outcome.added > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        axum::Json(ImportedCells {
            agreement_id: agreement.id.as_str().to_owned(),
            facility_id: id,
            rows: cells.len() as u64,
            added: outcome.added,
            amended: outcome.amended,
            unchanged: outcome.unchanged,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cecot() -> Agreement {
        let source =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/agreements/us-sv-cecot.toml"))
                .unwrap();
        Agreement::from_toml(&source).unwrap()
    }

    #[test]
    fn cells_are_read_like_the_cli() {
        let a = cecot();
        let ok = "\u{feff}facility_id,cell_id,unit,kind,area_m2,beds\ncecot,B1,u,shared,100,80\n\ncecot,S1,u,single,5.99,1\n";
        let cells = read_cells(ok.as_bytes(), &a, "cecot").unwrap();
        assert_eq!(cells.len(), 2);
        let bad = "facility_id,cell_id,unit,kind,area_m2,beds\ncecot,B1,u,shared,100,80\ncecot,B2,u,triple,100,80\n\
                   izalco,B3,u,shared,100,80\ncecot,B1,u,shared,100,80\n";
        let e = read_cells(bad.as_bytes(), &a, "cecot").unwrap_err();
        assert_eq!(e.body.field.as_deref(), Some("kind"), "{e:?}");
        assert!(e.body.message.starts_with("3 cell rows"), "{}", e.body.message);
        assert!(e.body.message.contains("line 3: kind:"), "{}", e.body.message);
        assert!(e.body.message.contains("line 4: facility_id:"), "{}", e.body.message);
        assert!(e.body.message.contains("line 5: cell_id: B1 is listed twice"), "{}", e.body.message);
        assert_eq!(read_cells(b"", &a, "cecot").unwrap_err().body.field.as_deref(), Some("csv"));
        assert_eq!(read_cells(b"facility_id,cell_id\n", &a, "cecot").unwrap_err().body.field.as_deref(), Some("csv"));
    }
}
