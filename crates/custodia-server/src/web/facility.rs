//! `/agreements/{id}/facilities/{facility}`: the cells of a facility as a grid, each square marked
//! by its occupants against the cell's standard and floor capacity (the application layer's
//! figures), with the numbers in each square's tooltip and in a table.

use axum::extract::{Path, State};
use axum::response::Response;
use custodia_app::cells::CellFigures;
use maud::{Markup, html};

use super::context::Web;
use super::layout;
use crate::state::AppState;

/// Squares per row of the grid.
const PER_ROW: usize = 16;
/// A square's side and the gap, in SVG units.
const SIDE: usize = 44;
const GAP: usize = 4;

/// Where a cell stands: within its standard capacity, above it (within the floor), above the floor.
fn band(c: &CellFigures) -> &'static str {
    match c.occupants {
        n if n > u64::from(c.floor_capacity) => "above-floor",
        n if n > u64::from(c.standard_capacity) => "above-standard",
        _ => "within-standard",
    }
}

/// Space per person (m²), or the whole area when empty.
fn space_per_person(c: &CellFigures) -> String {
    match u32::try_from(c.occupants).ok().filter(|n| *n > 0).and_then(|n| c.cell.area_m2.div_by_count(n)) {
        Some((space, _)) => space.to_string(),
        None => c.cell.area_m2.to_string(),
    }
}

fn tooltip(web: &Web, c: &CellFigures) -> String {
    web.ta(
        "web-facility-cell-tooltip",
        &[
            ("cell", c.cell.cell_id.as_str().into()),
            ("area", c.cell.area_m2.to_string().into()),
            ("occupants", i64::try_from(c.occupants).unwrap_or(i64::MAX).into()),
            ("standard", i64::from(c.standard_capacity).into()),
            ("floor", i64::from(c.floor_capacity).into()),
            ("space", space_per_person(c).into()),
        ],
    )
}

fn grid(web: &Web, cells: &[CellFigures]) -> Markup {
    let rows = cells.len().div_ceil(PER_ROW).max(1);
    let (width, height) = (PER_ROW * (SIDE + GAP), rows * (SIDE + GAP));
    html! {
        svg class="chart grid-cells" role="img" viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height)
            aria-labelledby="cells-title cells-desc" xmlns="http://www.w3.org/2000/svg" {
            title id="cells-title" { (web.t("web-facility-grid-title")) }
            desc id="cells-desc" { (web.t("web-facility-grid-desc")) }
            @for (i, c) in cells.iter().enumerate() {
                @let (x, y) = ((i % PER_ROW) * (SIDE + GAP), (i / PER_ROW) * (SIDE + GAP));
                g {
                    title { (tooltip(web, c)) }
                    rect class=(band(c)) x=(x) y=(y) width=(SIDE) height=(SIDE) {}
                    text x=(x + SIDE / 2) y=(y + SIDE / 2 + 4) text-anchor="middle" {
                        (c.occupants) "/" (c.standard_capacity)
                    }
                }
            }
        }
    }
}

fn table(web: &Web, cells: &[CellFigures]) -> Markup {
    html! {
        table {
            caption { (web.t("web-facility-table-caption")) }
            thead { tr {
                th scope="col" { (web.t("web-facility-cell")) }
                th scope="col" class="number" { (web.t("web-facility-area")) }
                th scope="col" class="number" { (web.t("web-facility-occupants")) }
                th scope="col" class="number" { (web.t("web-overview-standard")) }
                th scope="col" class="number" { (web.t("web-overview-floor")) }
                th scope="col" class="number" { (web.t("web-facility-space")) }
                th scope="col" { (web.t("web-facility-band")) }
            } }
            tbody {
                @for c in cells {
                    tr {
                        th scope="row" { (c.cell.cell_id) }
                        td class="number" { (c.cell.area_m2) }
                        td class="number" { (c.occupants) }
                        td class="number" { (c.standard_capacity) }
                        td class="number" { (c.floor_capacity) }
                        td class="number" { (space_per_person(c)) }
                        td { (web.t(&format!("web-band-{}", band(c)))) }
                    }
                }
            }
        }
    }
}

/// `GET /agreements/{id}/facilities/{facility}`.
pub(crate) async fn cells(
    State(state): State<AppState>,
    web: Web,
    Path((id, facility)): Path<(String, String)>,
) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let cells = match state.app.facility_cells(&user.who, &id, &facility).await {
        Ok(cells) => cells,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let body = html! {
        p { a href={ "/agreements/" (id) } { (id) } }
        figure {
            (grid(&web, &cells))
            figcaption { (web.t("web-facility-grid-caption")) }
        }
        (table(&web, &cells))
    };
    layout::page(&web, &web.ta("web-facility-title", &[("facility", facility.as_str().into())]), body)
}
