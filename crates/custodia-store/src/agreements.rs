//! Agreements in the register: each imported file is a version, amendments need two people.

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::backend::{
    AGREEMENT_TEXT_SQL, ParsedAgreement, PostgresStore, SqliteStore, hex, kept_agreement, parse_agreement, store_trait,
};
use crate::events::{EventData, Head, NewEvent};
use crate::{Actor, AgreementFile, AgreementImport, StoreError};

/// The version of an agreement in force and its file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementSource {
    /// The version number (1 for the first import).
    pub version: i64,
    /// The agreement file, verbatim.
    pub source: String,
}

/// An agreement and the number of its version in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementVersion {
    /// The agreement id.
    pub agreement_id: String,
    /// The version in force.
    pub version: i64,
}

/// An amendment proposed by one user and not yet approved by another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingAmendment {
    /// The proposal's number.
    pub id: i64,
    /// The agreement it amends.
    pub agreement_id: String,
    /// The day the new version takes effect, when the file says.
    pub effective_from: Option<String>,
    /// Who proposed it.
    pub proposed_by: String,
}

store_trait! {
    /// Agreements: import, two-person amendments, and their versions' source text.
    pub trait Agreements {
        /// Imports an agreement file: a new agreement, an amendment (new version) when the file
        /// changed, or nothing when it is the current version already.
        fn import_agreement(&self, file: &AgreementFile<'_>, actor: &Actor) -> Result<AgreementImport, StoreError>;
        /// Records a proposed amendment of an existing agreement (the first of two people);
        /// nothing changes until another user approves it.
        fn propose_amendment(&self, file: &AgreementFile<'_>, actor: &Actor) -> Result<i64, StoreError>;
        /// Approves a proposed amendment (a second user) and applies it, in one transaction.
        fn approve_amendment(&self, agreement_id: &str, proposal: i64, actor: &Actor) -> Result<AgreementImport, StoreError>;
        /// The current version's source text of an agreement.
        fn agreement_source(&self, id: &str) -> Result<Option<AgreementSource>, StoreError>;
        /// The version in force of an agreement, parsed, if the agreement exists: asked before
        /// every use of an agreement, so it reads the version and its text's digest (on a SQLite
        /// file through the thread's reader) and reads the text only of a file not parsed before
        /// (the parsed files are kept by digest, [`ParsedAgreement`]).
        fn current_agreement(&self, id: &str) -> Result<Option<CurrentAgreement>, StoreError>;
        /// The source text of one version of an agreement.
        fn agreement_version_source(&self, id: &str, version: i64) -> Result<Option<String>, StoreError>;
        /// Every agreement: its id and current version, by id.
        fn agreement_ids(&self) -> Result<Vec<AgreementVersion>, StoreError>;
        /// The amendments of an agreement proposed and not yet approved, by number.
        fn pending_amendments(&self, agreement_id: &str) -> Result<Vec<PendingAmendment>, StoreError>;
    }
}

/// The version in force of agreement `$1` and its text's SHA-256.
const CURRENT_VERSION_SQL: &str = "SELECT v.version, v.source_sha256 FROM agreements a JOIN agreement_versions v \
     ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = $1";

/// The version in force of an agreement, parsed.
#[derive(Clone, Debug)]
pub struct CurrentAgreement {
    /// The version number (1 for the first import).
    pub version: i64,
    /// The version's file and the agreement parsed from it.
    pub parsed: ParsedAgreement,
}

/// [`CURRENT_VERSION_SQL`] and, for a file not parsed before, [`AGREEMENT_TEXT_SQL`], through
/// the thread's reader of a SQLite file.
fn sqlite_current_agreement(
    file: &crate::cases::SqliteReader,
    id: &str,
) -> Result<Option<CurrentAgreement>, StoreError> {
    let found = crate::cases::with_sqlite_reader(file, |conn| {
        let mut statement = conn.prepare_cached(&CURRENT_VERSION_SQL.replace("$1", "?1"))?;
        let mut rows = statement.query([id])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        let (version, digest): (i64, Vec<u8>) = (row.get(0)?, row.get(1)?);
        if let Some(parsed) = kept_agreement(&digest) {
            return Ok(Some((version, Ok(parsed))));
        }
        let mut statement = conn.prepare_cached(&AGREEMENT_TEXT_SQL.replace("$1", "?1").replace("$2", "?2"))?;
        let source: String = statement.query_row(rusqlite::params![id, version], |row| row.get(0))?;
        Ok(Some((version, Err(source))))
    })?;
    Ok(match found {
        None => None,
        Some((version, Ok(parsed))) => Some(CurrentAgreement { version, parsed }),
        Some((version, Err(source))) => Some(CurrentAgreement { version, parsed: parse_agreement(id, source)? }),
    })
}

macro_rules! agreements_sql {
    ($name:ident, $db:ty) => {
        impl Agreements for $name {
            async fn import_agreement(&self, file: &AgreementFile<'_>, actor: &Actor) -> Result<AgreementImport, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let outcome = Self::import_agreement_in(&mut tx, &mut head, file, actor).await?;
                if outcome.changed {
                    Self::save_head(&mut tx, &head).await?;
                    tx.commit().await?;
                }
                Ok(outcome)
            }

            async fn propose_amendment(&self, file: &AgreementFile<'_>, actor: &Actor) -> Result<i64, StoreError> {
                let id = file.agreement.id.as_str().to_owned();
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let known = sqlx::query("SELECT current_version FROM agreements WHERE id = $1").bind(id.clone()).fetch_optional(&mut *tx).await?;
                if known.is_none() {
                    return Err(StoreError::NotFound(format!("agreement {id} does not exist: import it first")));
                }
                let proposal: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM amendment_proposals").fetch_one(&mut *tx).await?.try_get("next")?;
                let digest: Vec<u8> = Sha256::digest(file.source.as_bytes()).to_vec();
                let effective_from = file.effective_from.map(|d| d.to_string());
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "agreement.amendment_proposed",
                        agreement_id: Some(id.clone()),
                        person_id: None,
                        data: EventData::Json(json!({
                            "proposal_id": proposal,
                            "effective_from": effective_from,
                            "source_sha256": hex(&digest),
                            "source": file.source,
                        })),
                    }, actor).await?;
                sqlx::query(
                    "INSERT INTO amendment_proposals (id, agreement_id, source_toml, effective_from, proposed_by, proposed_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(proposal)
                .bind(id)
                .bind(file.source.to_owned())
                .bind(effective_from)
                .bind(actor.name.clone())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(proposal)
            }

            async fn approve_amendment(&self, agreement_id: &str, proposal: i64, actor: &Actor) -> Result<AgreementImport, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT source_toml, effective_from, proposed_by, approved_by FROM amendment_proposals WHERE id = $1 AND agreement_id = $2")
                    .bind(proposal)
                    .bind(agreement_id.to_owned())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("amendment {proposal} of {agreement_id} does not exist")))?;
                let source: String = row.try_get("source_toml")?;
                let proposed_by: String = row.try_get("proposed_by")?;
                let approved_by: Option<String> = row.try_get("approved_by")?;
                if approved_by.is_some() {
                    return Err(StoreError::Refused(format!("amendment {proposal} is already approved")));
                }
                if proposed_by == actor.name {
                    return Err(StoreError::Refused(format!("two-person rule: {proposed_by} proposed amendment {proposal}; another user must approve it")));
                }
                let effective_from = row
                    .try_get::<Option<String>, _>("effective_from")?
                    .map(|d| custodia_core::Date::parse(&d).map_err(|e| StoreError::Inconsistent(e.to_string())))
                    .transpose()?;
                let agreement = custodia_core::Agreement::from_toml(&source)
                    .map_err(|e| StoreError::Inconsistent(format!("amendment {proposal} no longer loads: {e}")))?;
                let outcome = Self::import_agreement_in(&mut tx, &mut head, &AgreementFile { agreement: &agreement, source: &source, effective_from }, actor).await?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "agreement.amendment_approved",
                        agreement_id: Some(agreement_id.to_owned()),
                        person_id: None,
                        data: EventData::Json(json!({"proposal_id": proposal, "proposed_by": proposed_by, "version": outcome.version})),
                    }, actor).await?;
                sqlx::query("UPDATE amendment_proposals SET approved_by = $1, approved_seq = $2 WHERE id = $3")
                    .bind(actor.name.clone())
                    .bind(seq)
                    .bind(proposal)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn agreement_source(&self, id: &str) -> Result<Option<AgreementSource>, StoreError> {
                let row = sqlx::query(
                    "SELECT v.version, v.source_toml FROM agreements a JOIN agreement_versions v \
                     ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = $1",
                )
                .bind(id.to_owned())
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(row) => Some(AgreementSource { version: row.try_get("version")?, source: row.try_get("source_toml")? }),
                    None => None,
                })
            }

            async fn current_agreement(&self, id: &str) -> Result<Option<CurrentAgreement>, StoreError> {
                if let Some(file) = self.reader() {
                    return sqlite_current_agreement(&file, id);
                }
                let Some(row) = sqlx::query(CURRENT_VERSION_SQL).bind(id.to_owned()).fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let version: i64 = row.try_get("version")?;
                let digest: Vec<u8> = row.try_get("source_sha256")?;
                if let Some(parsed) = kept_agreement(&digest) {
                    return Ok(Some(CurrentAgreement { version, parsed }));
                }
                let source: String =
                    sqlx::query(AGREEMENT_TEXT_SQL).bind(id.to_owned()).bind(version).fetch_one(&self.pool).await?.try_get("source_toml")?;
                Ok(Some(CurrentAgreement { version, parsed: parse_agreement(id, source)? }))
            }

            async fn agreement_version_source(&self, id: &str, version: i64) -> Result<Option<String>, StoreError> {
                let row = sqlx::query("SELECT source_toml FROM agreement_versions WHERE agreement_id = $1 AND version = $2")
                    .bind(id.to_owned())
                    .bind(version)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(row) => Some(row.try_get("source_toml")?),
                    None => None,
                })
            }

            async fn agreement_ids(&self) -> Result<Vec<AgreementVersion>, StoreError> {
                let rows = sqlx::query("SELECT id, current_version FROM agreements ORDER BY id").fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| Ok(AgreementVersion { agreement_id: r.try_get("id")?, version: r.try_get("current_version")? }))
                    .collect()
            }

            async fn pending_amendments(&self, agreement_id: &str) -> Result<Vec<PendingAmendment>, StoreError> {
                let rows = sqlx::query(
                    "SELECT id, effective_from, proposed_by FROM amendment_proposals \
                     WHERE agreement_id = $1 AND approved_by IS NULL ORDER BY id",
                )
                .bind(agreement_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(PendingAmendment {
                            id: r.try_get("id")?,
                            agreement_id: agreement_id.to_owned(),
                            effective_from: r.try_get("effective_from")?,
                            proposed_by: r.try_get("proposed_by")?,
                        })
                    })
                    .collect()
            }
        }

        impl $name {
            async fn import_agreement_in(tx: &mut sqlx::Transaction<'_, $db>, head: &mut Head, file: &AgreementFile<'_>, actor: &Actor) -> Result<AgreementImport, StoreError> {
                let id = file.agreement.id.as_str().to_owned();
                let digest: Vec<u8> = Sha256::digest(file.source.as_bytes()).to_vec();
                let current: Option<(i64, Vec<u8>)> = sqlx::query(
                    "SELECT v.version, v.source_sha256 FROM agreements a JOIN agreement_versions v \
                     ON v.agreement_id = a.id AND v.version = a.current_version WHERE a.id = $1",
                )
                .bind(id.clone())
                .fetch_optional(&mut **tx)
                .await?
                .map(|row| Ok::<_, sqlx::Error>((row.try_get("version")?, row.try_get("source_sha256")?)))
                .transpose()?;
                if let Some((version, sha)) = &current
                    && *sha == digest
                {
                    return Ok(AgreementImport { agreement_id: id, version: *version, changed: false });
                }
                let version = current.as_ref().map_or(1, |(v, _)| v + 1);
                let effective_from = file.effective_from.unwrap_or(file.agreement.starts).to_string();
                let kind = if version == 1 { "agreement.registered" } else { "agreement.amended" };
                let event = NewEvent {
                    kind,
                    agreement_id: Some(id.clone()),
                    person_id: None,
                    data: EventData::Json(json!({
                        "version": version,
                        "effective_from": effective_from,
                        "source_sha256": hex(&digest),
                        "source": file.source,
                    })),
                };
                let appended = head.append(event, actor)?;
                let seq = appended.stored.seq as i64;
                Self::insert_events(tx, &[appended], actor).await?;
                if version == 1 {
                    sqlx::query("INSERT INTO agreements (id, current_version) VALUES ($1, $2)")
                        .bind(id.clone())
                        .bind(version)
                        .execute(&mut **tx)
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO agreement_versions (agreement_id, version, effective_from, source_toml, source_sha256, event_seq) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id.clone())
                .bind(version)
                .bind(effective_from)
                .bind(file.source.to_owned())
                .bind(digest)
                .bind(seq)
                .execute(&mut **tx)
                .await?;
                sqlx::query("UPDATE agreements SET current_version = $1 WHERE id = $2")
                    .bind(version)
                    .bind(id.clone())
                    .execute(&mut **tx)
                    .await?;
                Ok(AgreementImport { agreement_id: id, version, changed: true })
            }
        }
    };
}

agreements_sql!(SqliteStore, sqlx::Sqlite);
agreements_sql!(PostgresStore, sqlx::Postgres);
