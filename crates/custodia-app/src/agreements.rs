//! Agreements (docs/agreement-file.md): read within scope, import, and amendments by two people.
//!
//! The same agreement file twice changes nothing; a new agreement is created at once; a changed file
//! for an agreement already in the register is an amendment, proposed by one admin and applied only
//! when another approves it (docs/access.md#two-person).

use custodia_core::{Agreement, Date};
use custodia_store::prelude::*;
use custodia_store::{AgreementFile, StoreError, Timestamp};

use crate::access::{Capability, Principal};
use crate::error::{AppError, AppResult};
use crate::{App, actor};

/// An agreement as the register holds it: the version in force, parsed, and its file (both
/// shared with the store's kept files: a record is cheap to clone).
#[derive(Clone, Debug)]
pub struct AgreementRecord {
    /// The version in force.
    pub version: i64,
    /// The parsed agreement.
    pub agreement: std::sync::Arc<Agreement>,
    /// The file's text, verbatim.
    pub source: std::sync::Arc<str>,
}

/// What importing an agreement file did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Imported {
    /// A new agreement (version 1).
    Created,
    /// The file is the version in force: nothing was written.
    Unchanged,
    /// A changed file: an amendment proposal, applied when another admin approves it.
    Proposed {
        /// The proposal to approve.
        proposal: i64,
    },
}

impl App {
    /// The agreement, if it exists and is in the caller's scope ("not found" otherwise, alike).
    pub async fn agreement(&self, who: &Principal, id: &str) -> AppResult<AgreementRecord> {
        who.agreement_in_scope(id)?;
        self.stored_agreement(id).await
    }

    /// The agreement as stored, whoever asks (for use cases that checked scope already): the
    /// version in force, each file parsed once (the store keeps them by digest,
    /// [`custodia_store::ParsedAgreement`]).
    pub(crate) async fn stored_agreement(&self, id: &str) -> AppResult<AgreementRecord> {
        let current = self.store().current_agreement(id).await?.ok_or_else(|| AppError::no_such("agreement", id))?;
        Ok(AgreementRecord {
            version: current.version,
            agreement: current.parsed.agreement,
            source: current.parsed.source,
        })
    }

    /// The agreements in the caller's scope, by id.
    pub async fn agreements(&self, who: &Principal) -> AppResult<Vec<AgreementRecord>> {
        let mut out = Vec::new();
        for custodia_store::AgreementVersion { agreement_id: id, .. } in self.store().agreement_ids().await? {
            if who.sees_agreement(&id) {
                out.push(self.stored_agreement(&id).await?);
            }
        }
        Ok(out)
    }

    /// Imports an agreement file (admins). Out of scope is "not found" before the role is checked.
    pub async fn import_agreement(
        &self,
        who: &Principal,
        source: &str,
        effective_from: Option<Date>,
        now: &Timestamp,
    ) -> AppResult<(Imported, AgreementRecord)> {
        let agreement = Agreement::from_toml(source).map_err(|e| {
            let field =
                e.problems.first().map(|p| format!("source_toml.{}", p.path)).unwrap_or_else(|| "source_toml".into());
            AppError::invalid(&field, e.to_string())
        })?;
        let id = agreement.id.as_str().to_owned();
        who.agreement_in_scope(&id)?;
        who.require(Capability::ManageAgreements)?;
        let by = actor(who, now, None);
        let file = AgreementFile { agreement: &agreement, source, effective_from };
        let imported = match self.store().agreement_source(&id).await? {
            Some(current) if current.source != source => {
                Imported::Proposed { proposal: self.store().propose_amendment(&file, &by).await? }
            }
            _ if self.store().import_agreement(&file, &by).await?.changed => Imported::Created,
            _ => Imported::Unchanged,
        };
        Ok((imported, self.stored_agreement(&id).await?))
    }

    /// Approves a proposed amendment (an admin other than its proposer); the new version applies
    /// at once. Returns whether the version changed.
    pub async fn approve_amendment(
        &self,
        who: &Principal,
        id: &str,
        proposal: i64,
        now: &Timestamp,
    ) -> AppResult<(bool, AgreementRecord)> {
        self.agreement(who, id).await?;
        who.require(Capability::ManageAgreements)?;
        let outcome =
            self.store().approve_amendment(id, proposal, &actor(who, now, None)).await.map_err(|e| match e {
                StoreError::Refused(m) if m.starts_with("two-person rule") => crate::error::two_person_detail(m),
                other => AppError::from(other),
            })?;
        Ok((outcome.changed, self.stored_agreement(id).await?))
    }
}
