//! Facilities and cells (docs/capacity.md): the capacity figures of each facility of an agreement,
//! its cells with their current occupants, and importing cells — each a use case of the
//! application layer (`custodia_app::cells`); these handlers parse and render.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use custodia_app::cells::CellsUpload;
use custodia_core::capacity::Cell;
use custodia_store::{CellChangeRow, CellsSubmitted};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam, QueryParams};
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_facilities, list_cells, import_cells, list_cell_changes, confirm_cell_change),
    components(schemas(FacilityCapacityView, CellView, ImportCells, ImportedCells, CellRecord, ChangedCell, CellChangeView)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/facilities", get(list_facilities))
        .route("/api/v1/facilities/{id}/cells", get(list_cells).post(import_cells))
        .route("/api/v1/cell-changes", get(list_cell_changes))
        .route("/api/v1/cell-changes/{id}/confirm", post(confirm_cell_change))
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

/// What an import of cells did (docs/capacity.md#cell-changes).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportedCells {
    /// The agreement.
    pub agreement_id: String,
    /// The facility.
    pub facility_id: String,
    /// Data rows read.
    pub rows: u64,
    /// `registered` (the facility's first cells, in effect at once), `proposed` (a change waiting
    /// for a second user's confirmation) or `unchanged` (nothing written).
    pub outcome: String,
    /// Cells registered, or added by the proposed change.
    pub added: u64,
    /// Cells the proposed change changes.
    pub changed: u64,
    /// Cells the proposed change removes.
    pub removed: u64,
    /// The proposed change (confirm it with `POST /api/v1/cell-changes/{id}/confirm`).
    pub change_id: Option<i64>,
}

/// A cell as a cell change records it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CellRecord {
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
}

/// A changed cell, before and after.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ChangedCell {
    /// As registered.
    pub before: CellRecord,
    /// As proposed.
    pub after: CellRecord,
}

/// A change to a facility's cells: proposed by one user, in effect once a second confirms it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CellChangeView {
    /// The change id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The facility.
    pub facility_id: String,
    /// Cells it adds.
    pub added: Vec<CellRecord>,
    /// Cells it changes.
    pub changed: Vec<ChangedCell>,
    /// Cells it removes.
    pub removed: Vec<CellRecord>,
    /// Who proposed it.
    pub proposed_by: String,
    /// When.
    pub proposed_at: String,
    /// Who confirmed it (null while pending).
    pub confirmed_by: Option<String>,
    /// When.
    pub confirmed_at: Option<String>,
    /// Whether it is in effect.
    pub applied: bool,
}

fn cell_record(c: &Cell) -> CellRecord {
    CellRecord {
        cell_id: c.cell_id.clone(),
        unit: c.unit.clone(),
        kind: c.kind.as_str().to_owned(),
        area_m2: c.area_m2.to_string(),
        beds: c.beds,
    }
}

fn change_view(c: &CellChangeRow) -> CellChangeView {
    CellChangeView {
        id: c.id,
        agreement_id: c.agreement_id.clone(),
        facility_id: c.facility_id.clone(),
        added: c.diff.added.iter().map(cell_record).collect(),
        changed: c
            .diff
            .changed
            .iter()
            .map(|(b, a)| ChangedCell { before: cell_record(b), after: cell_record(a) })
            .collect(),
        removed: c.diff.removed.iter().map(cell_record).collect(),
        proposed_by: c.proposed_by.clone(),
        proposed_at: c.proposed_at.clone(),
        confirmed_by: c.confirmed_by.clone(),
        confirmed_at: c.confirmed_at.clone(),
        applied: c.confirmed_by.is_some(),
    }
}

/// The agreement of a cell-changes request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CellChangesQuery {
    /// The agreement (required).
    pub agreement_id: String,
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

/// Imports all the cells of a facility (docs/capacity.md#cell-changes): a facility's first cells are
/// registered at once (201); for a facility with cells, any difference (added, changed or removed
/// cells) is proposed (202, with its `change_id`) and takes effect when another user confirms it;
/// the same cells write nothing (200). A bad row means nothing is written.
#[utoipa::path(post, path = "/api/v1/facilities/{id}/cells", tag = "facilities", request_body = ImportCells,
    params(("id" = String, Path, description = "Facility id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = ImportedCells, description = "Unchanged"), (status = 201, body = ImportedCells, description = "First cells registered"),
        (status = 202, body = ImportedCells, description = "Change proposed"),
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
    let imported = state.app.import_cells(&who, &upload, &crate::clock::now()).await?;
    let outcome = imported.facilities.into_iter().find(|(f, _)| *f == id).map(|(_, o)| o);
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    let (status, word, added, changed, removed, change_id) = match outcome {
        Some(CellsSubmitted::Registered { added }) => (StatusCode::CREATED, "registered", added, 0, 0, None),
        Some(CellsSubmitted::Proposed(c)) => (
            StatusCode::ACCEPTED,
            "proposed",
            count(c.diff.added.len()),
            count(c.diff.changed.len()),
            count(c.diff.removed.len()),
            Some(c.id),
        ),
        Some(CellsSubmitted::Unchanged) | None => (StatusCode::OK, "unchanged", 0, 0, 0, None),
    };
    Ok((
        status,
        axum::Json(ImportedCells {
            agreement_id: body.agreement_id,
            facility_id: id,
            rows: imported.rows,
            outcome: word.to_owned(),
            added,
            changed,
            removed,
            change_id,
        }),
    ))
}

/// The cell changes of an agreement's facilities in the caller's scope, pending first.
#[utoipa::path(get, path = "/api/v1/cell-changes", tag = "facilities", params(CellChangesQuery),
    responses((status = 200, body = [CellChangeView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn list_cell_changes(
    State(state): State<AppState>,
    who: Principal,
    QueryParams(q): QueryParams<CellChangesQuery>,
) -> ApiResult<axum::Json<Vec<CellChangeView>>> {
    let changes = state.app.cell_changes(&who, &q.agreement_id).await?;
    Ok(axum::Json(changes.iter().map(change_view).collect()))
}

/// Confirms a cell change another user proposed; it takes effect at once. 409 `TWO_PERSON_RULE`
/// for its proposer, `ALREADY_CONFIRMED`, `STALE` when the facility's cells changed since it was
/// proposed, `CELL_OCCUPIED` when it removes a cell someone is held in; 404 outside the caller's
/// facility scope.
#[utoipa::path(post, path = "/api/v1/cell-changes/{id}/confirm", tag = "facilities",
    params(("id" = i64, Path, description = "Cell change id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = CellChangeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn confirm_cell_change(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
) -> ApiResult<axum::Json<CellChangeView>> {
    let change = state.app.confirm_cell_change(&who, id, &crate::clock::now()).await?;
    Ok(axum::Json(change_view(&change)))
}
