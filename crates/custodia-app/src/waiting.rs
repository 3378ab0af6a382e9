//! Two-person steps waiting for a user (docs/web.md#waiting-for-you): everything someone else
//! started that the user's role may complete in their scope. This only lists; completing a step
//! goes through its own use case, which enforces the two-person rule and every other rule.

use custodia_core::agreement::Party;
use custodia_core::lifecycle::CaseState;
use custodia_store::prelude::*;

use crate::App;
use crate::access::{Capability, Principal, Role};
use crate::error::AppResult;

/// What kind of step waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// A screened case's approval by the user's state (the other state may have approved).
    CaseApproval,
    /// A review resolution to confirm.
    ReviewToConfirm,
    /// A hold whose lifting another legal officer asked for.
    HoldLift,
    /// An invoice drafted by another finance officer, to issue.
    InvoiceToIssue,
    /// A cell change proposed by another user, to confirm.
    CellChange,
    /// A user change proposed by another admin, to confirm.
    UserChange,
    /// A disabled user another admin proposed to enable.
    UserEnable,
    /// A capacity override another officer approved for a case in the user's facilities, to
    /// cite in its admission or move (docs/capacity.md#override); the record is the case.
    OverrideToUse,
    /// An agreement amendment another admin proposed, to approve; the record is its number.
    AmendmentToApprove,
}

impl StepKind {
    /// The stable name (`case_approval` …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CaseApproval => "case_approval",
            Self::ReviewToConfirm => "review_to_confirm",
            Self::HoldLift => "hold_lift",
            Self::InvoiceToIssue => "invoice_to_issue",
            Self::CellChange => "cell_change",
            Self::UserChange => "user_change",
            Self::UserEnable => "user_enable",
            Self::OverrideToUse => "override_to_use",
            Self::AmendmentToApprove => "amendment_to_approve",
        }
    }
}

/// One step waiting for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WaitingStep {
    /// What.
    pub kind: StepKind,
    /// The agreement (none for user changes).
    pub agreement_id: Option<String>,
    /// The record: a case id, invoice id, cell-change id, user-change id, or a user name.
    pub record: String,
    /// Who started it (the other person of the rule), when recorded.
    pub started_by: Option<String>,
}

fn step(kind: StepKind, agreement: &str, record: impl ToString, by: Option<&str>) -> WaitingStep {
    WaitingStep {
        kind,
        agreement_id: Some(agreement.to_owned()).filter(|a| !a.is_empty()),
        record: record.to_string(),
        started_by: by.map(str::to_owned),
    }
}

/// The party whose approval the user gives, if their role approves cases.
fn party_of(role: Role) -> Option<Party> {
    match role {
        r if r.may(Capability::SendingCaseStep) => Some(Party::Sending),
        r if r.may(Capability::ReceivingCaseStep) => Some(Party::Receiving),
        _ => None,
    }
}

/// Steps on the cases of an agreement: approvals, reviews to confirm, hold liftings.
fn case_steps(who: &Principal, agreement: &str, rows: &[custodia_store::CaseWithPerson]) -> Vec<WaitingStep> {
    let mut steps = Vec::new();
    let me = Some(who.name.as_str());
    let legal = who.role.may(Capability::LegalCaseStep);
    for row in rows.iter().filter(|r| who.sees(agreement, r.case.facility_id.as_deref())) {
        let (case, id) = (&row.case.case, row.case.id);
        if case.state == CaseState::Screened {
            let (mine, other) = match party_of(who.role) {
                Some(Party::Sending) => (&case.sending_approval, &case.receiving_approval),
                Some(Party::Receiving) => (&case.receiving_approval, &case.sending_approval),
                None => (&Some(String::new()), &None),
            };
            if mine.is_none() && other.as_deref() != me {
                steps.push(step(StepKind::CaseApproval, agreement, id, other.as_deref()));
            }
        }
        let to_confirm = case.review.as_ref().filter(|r| legal && r.confirmed_by.is_none() && r.reviewer != who.name);
        if let Some(review) = to_confirm {
            steps.push(step(StepKind::ReviewToConfirm, agreement, id, Some(&review.reviewer)));
        }
        for hold in crate::cases::holds_of(&row.case).iter().filter(|h| legal && h.stands()) {
            if hold.lifting_by.as_deref().is_some_and(|by| by != who.name) {
                steps.push(step(StepKind::HoldLift, agreement, id, hold.lifting_by.as_deref()));
            }
        }
    }
    steps
}

impl App {
    /// Every two-person step the user may complete, in their scope: case approvals of their
    /// state, reviews to confirm and hold liftings (legal officers), invoices to issue (finance
    /// officers), capacity overrides to cite (facility officers), cell changes to confirm (who may
    /// change cells), amendments to approve, user changes and enablings to confirm (admins).
    /// Never a step the user started.
    pub async fn waiting_for(&self, who: &Principal) -> AppResult<Vec<WaitingStep>> {
        let mut steps = Vec::new();
        for record in self.agreements(who).await? {
            let id = record.agreement.id.as_str();
            if party_of(who.role).is_some() || who.role.may(Capability::LegalCaseStep) {
                steps.extend(case_steps(who, id, &self.store().cases_with_persons(id).await?));
            }
            if who.role.may(Capability::Invoices) {
                for invoice in self.invoices(who, id).await?.iter().filter(|i| !i.is_issued()) {
                    if invoice.row.prepared_by != who.name {
                        steps.push(step(StepKind::InvoiceToIssue, id, invoice.row.id, Some(&invoice.row.prepared_by)));
                    }
                }
            }
            if who.role.may(Capability::FacilityCaseStep) {
                steps.extend(self.override_steps(who, id).await?);
            }
            if who.role.may(Capability::ManageAgreements) {
                for amendment in self.store().pending_amendments(id).await? {
                    if amendment.proposed_by != who.name {
                        steps.push(step(StepKind::AmendmentToApprove, id, amendment.id, Some(&amendment.proposed_by)));
                    }
                }
            }
            if who.role.may(Capability::ManageCells) {
                for change in self.cell_changes(who, id).await? {
                    if change.confirmed_by.is_none() && change.proposed_by != who.name {
                        steps.push(step(StepKind::CellChange, id, change.id, Some(&change.proposed_by)));
                    }
                }
            }
        }
        if who.role.may(Capability::ManageUsers) {
            steps.extend(self.user_steps(who).await?);
        }
        Ok(steps)
    }

    /// Override approvals another officer gave for a case the user may place now (admit from
    /// transit, move in custody) in a facility of their scope.
    async fn override_steps(&self, who: &Principal, agreement: &str) -> AppResult<Vec<WaitingStep>> {
        let approvals = self.store().unused_override_approvals(agreement).await?;
        if approvals.is_empty() {
            return Ok(Vec::new());
        }
        let placeable: std::collections::HashSet<i64> = self
            .store()
            .cases_with_persons(agreement)
            .await?
            .iter()
            .filter(|r| matches!(r.case.case.state, CaseState::InTransit | CaseState::InCustody))
            .map(|r| r.case.id)
            .collect();
        Ok(approvals
            .iter()
            .filter(|a| a.approved_by != who.name && placeable.contains(&a.case_id))
            .filter(|a| who.sees(agreement, Some(a.facility_id.as_str())))
            .map(|a| step(StepKind::OverrideToUse, agreement, a.case_id, Some(&a.approved_by)))
            .collect())
    }

    async fn user_steps(&self, who: &Principal) -> AppResult<Vec<WaitingStep>> {
        let mut steps = Vec::new();
        for change in self.user_changes(who).await? {
            if change.confirmed_by.is_none() && change.proposed_by != who.name {
                steps.push(step(StepKind::UserChange, "", change.id, Some(&change.proposed_by)));
            }
        }
        for user in self.users(who).await? {
            if let Some(by) = user.enable_proposed_by.as_deref().filter(|by| *by != who.name) {
                steps.push(step(StepKind::UserEnable, "", &user.name, Some(by)));
            }
        }
        Ok(steps)
    }
}
