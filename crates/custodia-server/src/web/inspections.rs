//! `/agreements/{id}/inspections`: the inspection visits of an agreement, their findings and
//! their recommendations with where each stands; for a role that files inspections, a form per
//! recommendation offering only the moves the core allows from its state, posted to
//! `/inspections/{id}/recommendations/{index}` through the application layer.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use custodia_app::access::Capability;
use custodia_core::oversight::RecommendationState;
use custodia_store::InspectionRow;
use maud::{Markup, html};

use super::context::{Fields, SignedIn, Web};
use super::layout::{self, csrf_field};
use crate::state::AppState;

const STATES: [RecommendationState; 4] = [
    RecommendationState::Open,
    RecommendationState::Accepted,
    RecommendationState::Implemented,
    RecommendationState::Rejected,
];

fn state_text(web: &Web, state: RecommendationState) -> String {
    web.t(&format!("web-recommendation-{}", state.as_str()))
}

/// The form moving one recommendation: the states it may become (none once final).
fn move_form(web: &Web, user: &SignedIn, id: i64, index: usize, from: RecommendationState) -> Markup {
    let next: Vec<RecommendationState> = STATES.into_iter().filter(|to| from.can_become(*to)).collect();
    if next.is_empty() {
        return html! { (web.t("web-inspections-final")) };
    }
    let field = format!("move-{id}-{index}");
    html! {
        form class="inline" method="post" action={ "/inspections/" (id) "/recommendations/" (index) } {
            (csrf_field(user))
            label for=(field) { (web.t("web-inspections-move-to")) }
            " "
            select id=(field) name="state" {
                @for to in next { option value=(to.as_str()) { (state_text(web, to)) } }
            }
            " "
            button type="submit" { (web.t("web-inspections-move")) }
        }
    }
}

fn inspection(web: &Web, user: &SignedIn, row: &InspectionRow) -> Markup {
    let visit = &row.inspection;
    let may_move = user.who.role.may(Capability::FileInspection);
    html! {
        section aria-labelledby={ "inspection-" (row.id) } {
            h2 id={ "inspection-" (row.id) } { (web.ta("web-inspections-visit", &[
                ("body", visit.body.as_str().into()),
                ("from", custodia_i18n::format_date(web.lang, visit.from).into()),
                ("to", custodia_i18n::format_date(web.lang, visit.to).into()),
            ])) }
            h3 { (web.t("web-inspections-findings")) }
            @if visit.findings.is_empty() { p { (web.t("web-inspections-no-findings")) } } @else {
                ul { @for f in &visit.findings { li { (f) } } }
            }
            h3 { (web.t("web-inspections-recommendations")) }
            @if visit.recommendations.is_empty() { p { (web.t("web-inspections-no-recommendations")) } } @else {
                table {
                    caption { (web.t("web-inspections-recommendations-caption")) }
                    thead { tr {
                        th scope="col" class="number" { (web.t("web-inspections-number")) }
                        th scope="col" { (web.t("web-inspections-recommendation")) }
                        th scope="col" { (web.t("web-inspections-state")) }
                        @if may_move { th scope="col" { (web.t("web-inspections-action")) } }
                    } }
                    tbody {
                        @for (index, (text, state)) in visit.recommendations.iter().enumerate() {
                            tr {
                                td class="number" { (index + 1) }
                                td { (text) }
                                td { (state_text(web, *state)) }
                                @if may_move { td { (move_form(web, user, row.id, index, *state)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /agreements/{id}/inspections`.
pub(crate) async fn list(State(state): State<AppState>, web: Web, Path(id): Path<String>) -> Response {
    let user = match web.user() {
        Ok(user) => user,
        Err(to_sign_in) => return *to_sign_in,
    };
    let rows = match state.app.inspections(&user.who, &id).await {
        Ok(rows) => rows,
        Err(e) => return layout::app_refusal(&web, &e),
    };
    let body = html! {
        p { a href={ "/agreements/" (id) } { (web.t("web-oversight-back-to-agreement")) } }
        @if rows.is_empty() { p { (web.t("web-inspections-none")) } }
        @for row in &rows { (inspection(&web, user, row)) }
    };
    layout::page(&web, &web.ta("web-inspections-title", &[("agreement", id.as_str().into())]), body)
}

/// `POST /inspections/{id}/recommendations/{index}`: moves a recommendation, then back to the
/// agreement's inspections.
pub(crate) async fn move_recommendation(
    State(state): State<AppState>,
    web: Web,
    Path((id, index)): Path<(i64, usize)>,
    fields: Fields,
) -> Response {
    let user = match web.user_with_csrf(&fields) {
        Ok(user) => user,
        Err(refused) => return *refused,
    };
    let asked = fields.get("state").unwrap_or_default();
    let Some(to) = RecommendationState::parse(asked) else {
        let text = custodia_app::fields::must_be(&["accepted", "implemented", "rejected"]);
        return layout::api_refusal(&web, &crate::error::ApiError::invalid("state", text));
    };
    match state.app.move_recommendation(&user.who, id, index, to, &crate::clock::now()).await {
        Ok(row) => {
            Redirect::to(&format!("/agreements/{}/inspections#inspection-{id}", row.agreement_id)).into_response()
        }
        Err(e) => layout::app_refusal(&web, &e),
    }
}
