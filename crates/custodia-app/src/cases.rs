//! Cases and their transitions, holds and override approvals (docs/lifecycle.md).

use custodia_store::CaseWithSendingId;
use custodia_store::prelude::*;

use crate::App;
use crate::access::Principal;
use crate::error::{AppError, AppResult};

impl App {
    /// The case with the sending state's id of its person, if it exists and is in the caller's
    /// scope (its agreement, and its facility once placed); "not found" otherwise, alike.
    pub async fn case(&self, who: &Principal, id: i64) -> AppResult<CaseWithSendingId> {
        match self.store().case_with_sending_id(id).await? {
            Some(found) if who.sees(&found.case.agreement_id, found.case.facility_id.as_deref()) => Ok(found),
            _ => Err(AppError::not_found(format!("case {id} does not exist"))),
        }
    }
}
