//! Custodia's register: one storage contract with two implementations — SQLite (the default, a
//! file in the data directory) and PostgreSQL (selected by a `postgres://` URL) — each with its own
//! migrations, applied automatically when the store is opened.
//!
//! Every change is an event written in the same transaction as its effect and appended to the
//! journal (docs/journal.md). Appends are serialised — every writing transaction first locks the
//! single `journal_head` row — so the chain can never fork; events are never updated or deleted,
//! which the databases enforce with triggers.
//!
//! The contract is a set of narrow traits, one per area — [`Agreements`], [`Persons`], [`Cells`],
//! [`Cases`], [`Billing`], [`Oversight`], [`Access`], [`Journal`] — each returning named row types.
//! Each area is one module holding its trait, its rows and ONE body of SQL, written once as
//! ordinary `async fn`s inside a small `macro_rules!` and expanded for both [`SqliteStore`] and
//! [`PostgresStore`]: the two databases run the same statements (the few dialect differences are
//! `match $dialect` inside the body). [`Store`], the enum chosen by the URL, implements every trait
//! by dispatch, generated from the trait's signatures. Bring the traits into scope with
//! `use custodia_store::prelude::*`.
//!
//! The register stores and loads; it decides nothing. A case command's rules are a function the
//! caller passes ([`cases::Decide`], normally `custodia_core::custody::decide`), called on the
//! facts read in the command's transaction; billing order and a case's legal basis are the
//! core's.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod access;
pub mod agreements;
mod backend;
pub mod billing;
mod bulk;
pub mod care;
pub mod cases;
pub mod cells;
mod events;
pub mod incidents;
pub mod invoices;
pub mod journal;
pub mod keyfile;
pub mod locator;
pub mod notifications;
pub mod oversight;
pub mod persons;
pub mod record;
pub mod replay;
pub mod rights;
pub mod snapshot;

use std::path::{Path, PathBuf};

use custodia_core::Date;
use custodia_core::ids::CountryCode;

pub use access::Access;
pub use agreements::{AgreementSource, AgreementVersion, Agreements, CurrentAgreement, PendingAmendment};
pub use backend::{ParsedAgreement, PostgresStore, SqliteStore, Store};
pub use billing::Billing;
pub use care::{Care, CareItem, CareRow, ExaminationLink};
pub use cases::{CasePlace, CaseWithPerson, CaseWithSendingId, Cases, CasesPage, custody_step_in};
pub use cells::{CellChangeRow, Cells, CellsSubmitted};
pub use journal::{Cosignature, Journal};
pub use locator::{Locator, LocatorFilter};
pub use notifications::Notifications;
pub use oversight::{ContactRow, InspectionRow, Oversight};
pub use persons::{Alias, Identifier, PersonEntry, PersonRow, Persons};
pub use rights::{ComplaintChange, ComplaintRow, Rights};

/// The traits of the storage contract, to call its methods on a [`Store`].
pub mod prelude {
    pub use crate::{
        Access, Agreements, Billing, Care, Cases, Cells, Journal, Locator, Notifications, Oversight, Persons, Rights,
    };
}
pub use events::{StoredEvent, Timestamp, VerifyReport};
pub use record::{PERSON_COLUMNS, PersonData, PersonJson};
pub use replay::{Difference, ReplayReport};

/// Name of the SQLite file inside the data directory.
pub const SQLITE_FILE: &str = "custodia.db";
/// Rows per bulk statement (each batch is bound as one JSON document).
pub(crate) const BATCH_ROWS: usize = 500;
/// Events read per page when verifying or exporting the journal.
pub const PAGE_EVENTS: u64 = 10_000;

/// Where the register lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// SQLite in `DIR/custodia.db`, created on first use.
    DataDir(PathBuf),
    /// A database URL: `postgres://…` or `sqlite://…`.
    Url(String),
}

impl Target {
    /// `--database URL` when given, else the data directory.
    pub fn new(data_dir: &Path, database_url: Option<&str>) -> Self {
        match database_url {
            Some(url) => Target::Url(url.to_owned()),
            None => Target::DataDir(data_dir.to_path_buf()),
        }
    }
}

/// Whether a register exists at the target (a database with Custodia's tables). Opens nothing
/// for writing and creates nothing: only `custodia init` creates a register.
pub async fn register_exists(target: &Target) -> Result<bool, StoreError> {
    use std::str::FromStr;
    match target {
        Target::DataDir(dir) => Ok(dir.join(SQLITE_FILE).is_file()),
        Target::Url(url) if url.starts_with("sqlite:") => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
            Ok(options.get_filename().is_file())
        }
        Target::Url(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            use sqlx::Connection;
            let mut conn = sqlx::postgres::PgConnection::connect(url).await?;
            let exists: bool =
                sqlx::query_scalar("SELECT to_regclass('journal_head') IS NOT NULL").fetch_one(&mut conn).await?;
            conn.close().await?;
            Ok(exists)
        }
        Target::Url(url) => Err(StoreError::UnsupportedUrl(url.clone())),
    }
}

/// Creates a data directory readable only by its owner (it holds the register and the signing key).
pub fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    let failed = |source| StoreError::DataDir { path: dir.to_path_buf(), source };
    std::fs::create_dir_all(dir).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(failed)?;
    }
    Ok(())
}

/// A failure of the register.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or answered with an error.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Reading the SQLite file directly failed.
    #[error("database file: {0}")]
    SqliteFile(#[from] rusqlite::Error),
    /// A migration failed.
    #[error("database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The data directory could not be created.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The URL names no supported database.
    #[error("database URL must start with postgres://, postgresql:// or sqlite:// (got {0:?})")]
    UnsupportedUrl(String),
    /// An event could not be encoded canonically.
    #[error("journal: {0}")]
    Journal(String),
    /// Stored data breaks an invariant (a corrupt or hand-edited database).
    #[error("register is inconsistent: {0}")]
    Inconsistent(String),
    /// The request refers to something the register does not hold.
    #[error("{0}")]
    NotFound(String),
    /// A rule of the register refuses the request (a two-person rule, a stale draft…); nothing
    /// was written.
    #[error("refused: {0}")]
    Refused(String),
    /// The record changed since the version the request was based on; nothing was written.
    #[error("stale: {0}")]
    Stale(String),
}

/// Result of importing an agreement file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementImport {
    /// The agreement id.
    pub agreement_id: String,
    /// The version now current.
    pub version: i64,
    /// False when the same file was already the current version (nothing written).
    pub changed: bool,
}

/// What an import of persons did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonsImport {
    /// New people registered.
    pub added: u64,
    /// Existing people whose record changed (one amendment event each).
    pub amended: u64,
    /// Rows identical to what the register holds (nothing written).
    pub unchanged: u64,
    /// The Custodia ids of the amended people, in file order (their open cases are re-screened).
    pub amended_ids: Vec<i64>,
}

impl std::fmt::Debug for PersonsFile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PersonsFile")
            .field("agreement_id", &self.agreement_id)
            .field("sending_state", &self.sending_state)
            .finish()
    }
}

/// A change to a filed incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IncidentUpdate {
    /// A mandatory notification was sent.
    Notified {
        /// To whom.
        recipient: custodia_core::incidents::Recipient,
        /// When.
        at: Timestamp,
    },
    /// A correction or addition to the report (the report itself is never edited).
    Addendum {
        /// The text.
        text: String,
    },
    /// The investigation of an allegation moves (`open → investigating → closed`), recorded as
    /// done by the actor at the actor's `occurred_at` (else `recorded_at`).
    Investigation {
        /// The state entered.
        to: custodia_core::incidents::InvestigationState,
        /// The finding: required to close, refused otherwise.
        finding: Option<custodia_core::incidents::Finding>,
    },
}

/// What an import of cells did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CellsImport {
    /// New cells.
    pub added: u64,
    /// Changed cells (one amendment event each).
    pub amended: u64,
    /// Identical cells (nothing written).
    pub unchanged: u64,
}

/// Who does something, and when it was recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The user or process.
    pub name: String,
    /// When the change is recorded (the clock is read at the edge, never here).
    pub recorded_at: Timestamp,
    /// When it happened, if earlier than it was recorded (a transfer logged after landing).
    pub occurred_at: Option<Timestamp>,
}

/// An agreement file to import.
#[derive(Clone, Debug)]
pub struct AgreementFile<'a> {
    /// The validated agreement.
    pub agreement: &'a custodia_core::Agreement,
    /// The file's text, kept verbatim in the register and the journal.
    pub source: &'a str,
    /// When this version takes effect (default: the agreement's start for the first version).
    pub effective_from: Option<Date>,
}

/// People to import for an agreement's sending state.
pub struct PersonsFile<'a> {
    /// The agreement the file was sent under.
    pub agreement_id: &'a str,
    /// The state whose identifiers `sending_id` are.
    pub sending_state: CountryCode,
    /// Valid rows, ids unique, produced as the import consumes them (a million records need not
    /// be in memory at once).
    pub persons: Box<dyn Iterator<Item = PersonData> + Send + 'a>,
}
