//! The action forms of a case page: only the actions the user's role may take (the application
//! layer's capabilities), in the case's state (the core's transitions); and reading a posted form
//! into the same transition the API reads from JSON.

use custodia_app::access::Capability;
use custodia_app::cases::{Admission, CaseAction, HoldRequest, Placement};
use custodia_core::agreement::Party;
use custodia_core::custody::HoldOrder;
use custodia_core::eligibility::{Decision, Outcome};
use custodia_core::lifecycle::{CaseState, TRANSITIONS};
use custodia_store::cases::CaseRow;
use maud::{Markup, html};
use serde_json::{Map, Value, json};

use super::context::{Fields, SignedIn, Web};
use super::layout::csrf_field;
use crate::error::ApiError;

/// A field of an action form.
#[derive(Clone, Copy, Debug)]
enum Input {
    Text(&'static str),
    Date(&'static str),
    Number(&'static str),
    LongText(&'static str),
    Choice(&'static str, &'static [&'static str]),
}

impl Input {
    fn name(self) -> &'static str {
        match self {
            Self::Text(n) | Self::Date(n) | Self::Number(n) | Self::LongText(n) | Self::Choice(n, _) => n,
        }
    }
}

const PLACEMENT: [Input; 3] =
    [Input::Text("placement.facility_id"), Input::Text("placement.cell_id"), Input::Number("placement.override_by")];

/// The fields an action needs beyond its reason.
fn inputs(action: &str) -> Vec<Input> {
    match action {
        "admit" => {
            let mut all = vec![
                Input::Text("admission.commitment_order"),
                Input::Text("admission.receiving_id"),
                Input::Date("admission.admitted_on"),
                Input::Number("admission.hour"),
                Input::Text("admission.visible_injuries"),
                Input::Text("admission.property"),
                Input::Text("admission.next_of_kin"),
            ];
            all.extend(PLACEMENT);
            all
        }
        "move" => PLACEMENT.to_vec(),
        "schedule_return" => vec![Input::Date("return_on")],
        "release" | "remove" => vec![Input::Text("to")],
        "record_death" => vec![Input::LongText("report")],
        "place_hold" => {
            vec![
                Input::Text("authority"),
                Input::Text("reference"),
                Input::Choice("order", &["stop", "return", "challenge"]),
            ]
        }
        "lift_hold" => vec![Input::Text("decision_reference")],
        "decide_challenge" => vec![Input::Choice("outcome", &["dismissed", "upheld"]), Input::LongText("reasons")],
        _ => Vec::new(),
    }
}

/// An action as a value whose capability can be asked (its data does not matter for that).
fn sample(action: &str, party: Party) -> Option<CaseAction> {
    let placement = || Placement { facility_id: String::new(), cell_id: String::new(), override_approval: None };
    let day = custodia_core::Date::from_ymd(2000, 1, 1).ok()?;
    Some(match action {
        "screen" => CaseAction::Screen,
        "approve" => CaseAction::Approve(party),
        "schedule" => CaseAction::Schedule,
        "depart" => CaseAction::Depart,
        "admit" => CaseAction::Admit {
            admission: Admission {
                commitment_order: String::new(),
                receiving_id: None,
                admitted_on: day,
                hour: 0,
                visible_injuries: String::new(),
                property: String::new(),
                next_of_kin: String::new(),
            },
            placement: placement(),
        },
        "move" => CaseAction::Move(placement()),
        "schedule_return" => CaseAction::ScheduleReturn(day),
        "return" => CaseAction::Return,
        "turn_back" => CaseAction::TurnBack,
        "release" => CaseAction::Release(String::new()),
        "remove" => CaseAction::Remove(String::new()),
        "record_death" => CaseAction::RecordDeath(String::new()),
        "withdraw" => CaseAction::Withdraw,
        "refuse" => CaseAction::Refuse,
        "resolve_review" => CaseAction::ResolveReview(Vec::new()),
        "confirm_review" => CaseAction::ConfirmReview,
        "place_hold" => CaseAction::PlaceHold(HoldRequest {
            authority: String::new(),
            reference: String::new(),
            order: String::new(),
        }),
        "lift_hold" => CaseAction::LiftHold { reference: String::new(), decision_reference: String::new() },
        "confirm_lift" => CaseAction::ConfirmLift(String::new()),
        "decide_challenge" => {
            CaseAction::DecideChallenge { reference: String::new(), outcome: String::new(), reasons: String::new() }
        }
        _ => return None,
    })
}

/// The state's party for a role that approves (sending unless the role gives receiving steps).
fn party(user: &SignedIn) -> Party {
    if user.who.role.may(Capability::ReceivingCaseStep) { Party::Receiving } else { Party::Sending }
}

/// The actions offered on a case: the core's transitions from its state, moves while in custody,
/// review steps and holds; each only if the user's role has its capability.
fn offered(user: &SignedIn, row: &CaseRow) -> Vec<&'static str> {
    let case = &row.case;
    let mut names: Vec<&'static str> =
        TRANSITIONS.iter().filter(|t| t.from == case.state).map(|t| t.action.as_str()).collect();
    if case.state == CaseState::InCustody {
        names.push("move");
    }
    if case.decision() == Some(Decision::Review) && case.review.is_none() {
        names.push("resolve_review");
    }
    if case.review.as_ref().is_some_and(|r| r.confirmed_by.is_none()) {
        names.push("confirm_review");
    }
    if !case.state.is_final() {
        names.push("place_hold");
    }
    names.dedup();
    names.retain(|n| sample(n, party(user)).is_some_and(|a| user.who.role.may(a.capability())));
    names
}

fn input(web: &Web, form: &str, field: Input) -> Markup {
    let id = format!("{form}-{}", field.name().replace('.', "-"));
    let label = web.t(&format!("web-field-{}", field.name().replace('.', "-")));
    html! {
        p {
            label for=(id) { (label) }
            @match field {
                Input::Text(n) => input id=(id) name=(n) type="text" maxlength="500";,
                Input::Date(n) => input id=(id) name=(n) type="date";,
                Input::Number(n) => input id=(id) name=(n) type="number" min="0";,
                Input::LongText(n) => textarea id=(id) name=(n) maxlength="8000" {},
                Input::Choice(n, options) => select id=(id) name=(n) {
                    @for o in options { option value=(o) { (web.t(&choice_key(n, o))) } }
                },
            }
        }
    }
}

/// The message naming option `option` of the choice `name` (`web-hold-order-stop`,
/// `web-outcome-upheld`).
fn choice_key(name: &str, option: &str) -> String {
    match name {
        "order" => format!("web-hold-order-{option}"),
        _ => format!("web-{name}-{option}"),
    }
}

/// One action's form; `extra` are its hidden fields (a hold's reference).
fn form(web: &Web, user: &SignedIn, row: &CaseRow, action: &str, key: &str, extra: &[(&str, &str)]) -> Markup {
    let form_id = format!("{action}{}", key);
    html! {
        form method="post" action={ "/cases/" (row.id) "/actions" } {
            h3 { (web.t(&format!("web-action-{action}"))) }
            (csrf_field(user))
            input type="hidden" name="action" value=(action);
            input type="hidden" name="version" value=(row.version);
            @if action == "approve" { input type="hidden" name="party" value=(party_name(party(user))); }
            @for (name, value) in extra { input type="hidden" name=(name) value=(value); }
            @if action == "resolve_review" { (findings(web, &form_id, row)) }
            @for field in inputs(action) { (input(web, &form_id, field)) }
            p {
                label for={ (form_id) "-reason" } { (web.t("web-field-reason")) }
                input id={ (form_id) "-reason" } name="reason" type="text" required pattern="[A-Z][A-Z0-9_]*" maxlength="64";
            }
            p { button type="submit" { (web.t(&format!("web-action-{action}"))) } }
        }
    }
}

fn party_name(party: Party) -> &'static str {
    match party {
        Party::Sending => "sending",
        Party::Receiving => "receiving",
    }
}

/// A finding and evidence per unknown rule of the last screening.
fn findings(web: &Web, form_id: &str, row: &CaseRow) -> Markup {
    let unknown = row.case.screening.iter().flat_map(|s| &s.outcomes).filter(|(_, o)| *o == Outcome::Unknown);
    html! {
        @for (rule, _) in unknown {
            @let code = rule.code();
            p {
                label for={ (form_id) "-finding-" (code) } { (code) ": " (web.t("web-field-finding")) }
                select id={ (form_id) "-finding-" (code) } name={ "finding." (code) } {
                    option value="pass" { (web.t("web-outcome-pass")) }
                    option value="fail" { (web.t("web-outcome-fail")) }
                }
            }
            p {
                label for={ (form_id) "-evidence-" (code) } { (code) ": " (web.t("web-field-evidence")) }
                input id={ (form_id) "-evidence-" (code) } name={ "evidence." (code) } type="text" maxlength="500";
            }
        }
    }
}

/// Forms to lift a standing hold or decide a challenge, or to confirm another officer's lifting or
/// decision.
fn hold_forms(web: &Web, user: &SignedIn, row: &CaseRow) -> Markup {
    if !sample("lift_hold", Party::Sending).is_some_and(|a| user.who.role.may(a.capability())) {
        return html! {};
    }
    html! {
        @for (i, hold) in row.case.holds.iter().enumerate().filter(|(_, h)| h.stands()) {
            @let key = format!("-{i}");
            @let reference = [("reference", hold.reference.as_str())];
            @let first = if hold.order == HoldOrder::Challenge { "decide_challenge" } else { "lift_hold" };
            @if hold.lifting.is_none() { (form(web, user, row, first, &key, &reference)) }
            @else { (form(web, user, row, "confirm_lift", &key, &reference)) }
        }
    }
}

/// The actions section of a case page.
pub(crate) fn actions(web: &Web, user: &SignedIn, row: &CaseRow) -> Markup {
    let names = offered(user, row);
    html! {
        section id="actions" class="actions" aria-labelledby="actions-title" {
            h2 id="actions-title" { (web.t("web-case-actions")) }
            @if names.is_empty() && row.case.holds.iter().all(|h| !h.stands()) { p { (web.t("web-case-no-actions")) } }
            @for name in &names { (form(web, user, row, name, "", &[])) }
            (hold_forms(web, user, row))
        }
    }
}

/// A non-empty field.
fn given<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.get(name).map(str::trim).filter(|v| !v.is_empty())
}

/// The posted fields under `prefix.` as a JSON object (numbers where the API takes numbers).
fn object(fields: &Fields, prefix: &str) -> Option<Value> {
    let mut map = Map::new();
    for (name, value) in &fields.0 {
        let Some(key) = name.strip_prefix(prefix).and_then(|k| k.strip_prefix('.')) else { continue };
        let value = value.trim();
        let json = match (key, value.parse::<i64>()) {
            (_, _) if value.is_empty() => continue,
            ("hour", Ok(n)) => json!(n),
            ("override_by", Ok(n)) => json!({ "approval_id": n }),
            _ => json!(value),
        };
        map.insert(key.to_owned(), json);
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

/// A lifecycle action from a form, read as the API reads its JSON body.
pub(crate) fn lifecycle_action(fields: &Fields) -> Result<CaseAction, ApiError> {
    let mut body = Map::new();
    body.insert("action".into(), json!(given(fields, "action").unwrap_or_default()));
    body.insert("reason".into(), json!(""));
    for name in ["party", "to", "report", "return_on"] {
        if let Some(value) = given(fields, name) {
            body.insert(name.into(), json!(value));
        }
    }
    for nested in ["admission", "placement"] {
        if let Some(value) = object(fields, nested) {
            body.insert(nested.into(), value);
        }
    }
    let found: Vec<Value> = fields
        .0
        .iter()
        .filter_map(|(name, finding)| {
            let rule = name.strip_prefix("finding.")?;
            let evidence = fields.get(&format!("evidence.{rule}")).unwrap_or_default();
            Some(json!({ "rule": rule, "finding": finding, "evidence": evidence }))
        })
        .collect();
    if !found.is_empty() {
        body.insert("findings".into(), Value::Array(found));
    }
    let transition =
        serde_json::from_value(Value::Object(body)).map_err(|e| ApiError::invalid("form", e.to_string()))?;
    crate::routes::cases::action_of(transition)
}
