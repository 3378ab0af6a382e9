//! Cases in the register: the core's [`Case`] as stored JSON, and what a command needs from the
//! register (the person's legal basis, the occupancy of a cell and of a facility).

use custodia_core::Date;
use custodia_core::custody::{Case, Hold, IntakeRecord, ReviewResolution};
use custodia_core::eligibility::Decision;
use custodia_core::lifecycle::CaseState;
use serde_json::{Value, json};

use crate::StoreError;

fn decision_str(d: Decision) -> &'static str {
    d.as_str()
}

fn decision_parse(text: &str) -> Option<Decision> {
    [Decision::Eligible, Decision::Ineligible, Decision::Review].into_iter().find(|d| d.as_str() == text)
}

/// The case as the JSON stored in `cases.record` and carried by its events.
pub(crate) fn case_json(case: &Case) -> Value {
    json!({
        "state": case.state.as_str(),
        "decision": case.decision.map(decision_str),
        "review": case.review.as_ref().map(|r| json!({
            "eligible": r.eligible,
            "justification": r.justification,
            "reviewer": r.reviewer,
            "confirmed_by": r.confirmed_by,
        })),
        "sending_approval": case.sending_approval,
        "receiving_approval": case.receiving_approval,
        "legal_basis": case.legal_basis,
        "holds": case.holds.iter().map(|h| json!({"reference": h.reference, "placed_by": h.placed_by, "lifted_by": h.lifted_by})).collect::<Vec<_>>(),
        "commitment_order": case.commitment_order,
        "intake": case.intake.as_ref().map(|i| json!({
            "admitted_on": i.admitted_on.to_string(),
            "hour": i.hour,
            "visible_injuries": i.visible_injuries,
            "property": i.property,
            "next_of_kin": i.next_of_kin,
        })),
        "cell_id": case.cell_id,
        "return_on": case.return_on.map(|d| d.to_string()),
    })
}

/// Reads a case written by [`case_json`].
pub(crate) fn case_from_json(text: &str) -> Result<Case, StoreError> {
    let bad = |what: &str| StoreError::Inconsistent(format!("case record: {what}"));
    let v: Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let text_of = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let date_of = |key: &str| -> Result<Option<Date>, StoreError> {
        text_of(key).map(|t| Date::parse(&t).map_err(|e| bad(&format!("{key}: {e}")))).transpose()
    };
    let state = text_of("state").and_then(|s| CaseState::parse(&s)).ok_or_else(|| bad("state"))?;
    let decision = match text_of("decision") {
        Some(t) => Some(decision_parse(&t).ok_or_else(|| bad("decision"))?),
        None => None,
    };
    let holds = v
        .get("holds")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|h| Hold {
                    reference: h.get("reference").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    placed_by: h.get("placed_by").and_then(Value::as_str).unwrap_or_default().to_owned(),
                    lifted_by: h.get("lifted_by").and_then(Value::as_str).map(str::to_owned),
                })
                .collect()
        })
        .unwrap_or_default();
    let intake = match v.get("intake") {
        Some(i) if !i.is_null() => Some(IntakeRecord {
            admitted_on: i
                .get("admitted_on")
                .and_then(Value::as_str)
                .and_then(|t| Date::parse(t).ok())
                .ok_or_else(|| bad("intake.admitted_on"))?,
            hour: i
                .get("hour")
                .and_then(Value::as_u64)
                .and_then(|h| u8::try_from(h).ok())
                .ok_or_else(|| bad("intake.hour"))?,
            visible_injuries: i.get("visible_injuries").and_then(Value::as_str).unwrap_or_default().to_owned(),
            property: i.get("property").and_then(Value::as_str).unwrap_or_default().to_owned(),
            next_of_kin: i.get("next_of_kin").and_then(Value::as_str).unwrap_or_default().to_owned(),
        }),
        _ => None,
    };
    Ok(Case {
        state,
        decision,
        review: match v.get("review") {
            Some(r) if !r.is_null() => Some(ReviewResolution {
                eligible: r.get("eligible").and_then(Value::as_bool).ok_or_else(|| bad("review.eligible"))?,
                justification: r.get("justification").and_then(Value::as_str).unwrap_or_default().to_owned(),
                reviewer: r.get("reviewer").and_then(Value::as_str).unwrap_or_default().to_owned(),
                confirmed_by: r.get("confirmed_by").and_then(Value::as_str).map(str::to_owned),
            }),
            _ => None,
        },
        sending_approval: text_of("sending_approval"),
        receiving_approval: text_of("receiving_approval"),
        legal_basis: v.get("legal_basis").and_then(Value::as_bool).unwrap_or(false),
        holds,
        commitment_order: text_of("commitment_order"),
        intake,
        cell_id: text_of("cell_id"),
        return_on: date_of("return_on")?,
    })
}

/// Whether a person's exported record gives a legal basis for holding them: a final conviction
/// or a final removal order (SPEC §7).
pub(crate) fn has_legal_basis(record: &crate::PersonData) -> bool {
    record.conviction.as_deref() == Some("final") || record.removal_order.as_deref() == Some("final")
}

/// A stored case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    /// The case id.
    pub id: i64,
    /// The agreement.
    pub agreement_id: String,
    /// The person's Custodia id.
    pub person_id: i64,
    /// The facility while placed.
    pub facility_id: Option<String>,
    /// Its version: 1 when proposed, one more with every transition (the HTTP `ETag`).
    pub version: i64,
    /// The case.
    pub case: Case,
}

/// Where a command places the person: a registered cell, and the override when one is needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementRequest {
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// Override approvers and reason, for a placement above standard capacity.
    pub override_by: Option<custodia_core::custody::Override>,
}

/// What an operator asks of a stored case; the register fills in the occupancy itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaseRequest {
    /// A command that needs no placement.
    Plain(custodia_core::custody::Command),
    /// Admission to a cell.
    Admit {
        /// The receiving state's identifier of the person (inmate number), recorded at intake.
        receiving_id: Option<String>,
        /// Commitment order.
        commitment_order: String,
        /// Intake record.
        intake: IntakeRecord,
        /// Where.
        placement: PlacementRequest,
    },
    /// A move to another cell.
    Move {
        /// Where.
        placement: PlacementRequest,
    },
}

/// A second user's approval of a placement above standard capacity, for one case and cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideApproval {
    /// Its id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// The facility.
    pub facility_id: String,
    /// The cell.
    pub cell_id: String,
    /// Why.
    pub reason: String,
    /// The approving user.
    pub approved_by: String,
    /// Whether a placement has used it.
    pub used: bool,
}

/// One case command for [`crate::Store::act_on_cases`] (group commit).
#[derive(Clone, Debug)]
pub struct CaseCall {
    /// The case.
    pub id: i64,
    /// Refused with `StoreError::Stale` unless the case is at this version.
    pub expected_version: Option<i64>,
    /// The action's name, recorded in the event.
    pub action: String,
    /// The command.
    pub request: CaseRequest,
    /// Who, when and why, for the rules.
    pub actor: custodia_core::custody::Actor,
    /// Who and when, for the journal.
    pub store_actor: crate::Actor,
}

/// The outcome of a case command in a group commit: the stored case after it (with its new
/// version), or the coded refusal (nothing written).
pub type CaseRowOutcome = Result<CaseRow, custodia_core::custody::Refusal>;

/// The outcome of a case command: the case after it, or the coded refusal (nothing written).
pub type CaseOutcome = Result<Case, custodia_core::custody::Refusal>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_round_trip_through_json() {
        let mut case = Case::new(true);
        case.state = CaseState::InCustody;
        case.decision = Some(Decision::Review);
        case.review = Some(ReviewResolution {
            eligible: true,
            justification: "checked".into(),
            reviewer: "r1".into(),
            confirmed_by: Some("r2".into()),
        });
        case.sending_approval = Some("us".into());
        case.receiving_approval = Some("sv".into());
        case.holds.push(Hold { reference: "TRO".into(), placed_by: "court".into(), lifted_by: Some("court".into()) });
        case.commitment_order = Some("order-1".into());
        case.intake = Some(IntakeRecord {
            admitted_on: Date::parse("2025-03-16").unwrap(),
            hour: 6,
            visible_injuries: "none".into(),
            property: "watch".into(),
            next_of_kin: "sister".into(),
        });
        case.cell_id = Some("B1-C01".into());
        case.return_on = Some(Date::parse("2026-01-01").unwrap());
        let text = case_json(&case).to_string();
        assert_eq!(case_from_json(&text).unwrap(), case);
        assert_eq!(case_from_json(&case_json(&Case::new(false)).to_string()).unwrap(), Case::new(false));
    }
}
