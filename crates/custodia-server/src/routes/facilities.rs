//! Facilities and cells (docs/capacity.md): the capacity figures of each facility of an agreement,
//! its cells with their current occupants, and importing cells — each a use case of the
//! application layer (`custodia_app::cells`); these handlers parse and render.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use custodia_app::cells::CellsUpload;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::state::AppState;

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

/// A facility's figures (docs/capacity.md; the `custodia capacity` numbers plus occupancy).
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
    /// CSV `facility_id,cell_id,unit,kind,area_m2,beds` with its header row (docs/capacity.md); every row
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
    let out = state
        .app
        .facilities(&who, &q.agreement)
        .await?
        .into_iter()
        .map(|f| FacilityCapacityView {
            facility_id: f.facility_id,
            name: f.name,
            country: f.country,
            stated_capacity: f.stated_capacity,
            contracted_places: f.contracted_places,
            cells: f.cells,
            beds: f.beds,
            standard_capacity: f.standard_capacity,
            floor_capacity: f.floor_capacity,
            non_compliant_cells: f.non_compliant_cells,
            in_custody: f.in_custody,
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
    let out = state
        .app
        .facility_cells(&who, &q.agreement, &id)
        .await?
        .into_iter()
        .map(|c| CellView {
            cell_id: c.cell.cell_id,
            unit: c.cell.unit,
            kind: c.cell.kind.as_str().to_owned(),
            area_m2: c.cell.area_m2.to_string(),
            beds: c.cell.beds,
            standard_capacity: c.standard_capacity,
            floor_capacity: c.floor_capacity,
            non_compliant: c.non_compliant,
            occupants: c.occupants,
        })
        .collect();
    Ok(axum::Json(out))
}

/// Imports the cells of a facility (docs/capacity.md): new cells are registered, changed ones amended,
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
    let upload = CellsUpload {
        agreement_id: &body.agreement_id,
        facility_id: Some(&id),
        bytes: body.csv.as_bytes(),
        delimiter: None,
    };
    let outcome = state.app.import_cells(&who, &upload, &crate::clock::now()).await?;
    let status = if outcome.added > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        axum::Json(ImportedCells {
            agreement_id: body.agreement_id,
            facility_id: id,
            rows: outcome.rows,
            added: outcome.added,
            amended: outcome.amended,
            unchanged: outcome.unchanged,
        }),
    ))
}
