//! The public locator's reads (docs/oversight.md#locator): the few cases of an agreement a
//! question can concern, found through indexes, so a lookup never reads the whole register.
//!
//! The store narrows; it does not match names. Family names are compared by the application
//! (`custodia_app::locator`), ignoring case and accents, over the candidates read here: the people
//! with a case under the agreement born in the asked year (the `birth_date` of the record their
//! last event carries, found through the partial expression index `events_person_birth_year`), or
//! the one person with the asked sending-state identifier. Indexes are no columns: the journal's
//! replay has nothing more to reproduce.

use sqlx::Row;

use crate::StoreError;
use crate::backend::{PostgresStore, SqliteStore, case_row_from, person_from_event, store_trait};
use crate::bulk::Dialect;
use crate::cases::CaseWithPerson;

/// Which cases of an agreement a locator question can concern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocatorFilter {
    /// The person with this identifier of the agreement's sending state.
    SendingId {
        /// The agreement's sending state (ISO 3166 alpha-2).
        sending_state: String,
        /// The sending state's person id.
        sending_id: String,
    },
    /// People whose recorded birth date falls in this year.
    BirthYear(i32),
}

store_trait! {
    /// The public locator's narrow reads.
    pub trait Locator {
        /// The cases of an agreement whose person passes `filter`, with the person's record, in
        /// case order.
        fn locator_candidates(&self, agreement_id: &str, filter: &LocatorFilter) -> Result<Vec<CaseWithPerson>, StoreError>;
        /// The bodies of one person's `case.transition` events under an agreement, in journal order.
        fn transitions_of_person(&self, agreement_id: &str, person_id: i64) -> Result<Vec<String>, StoreError>;
    }
}

/// The cases (with the person's record) of the one person with a sending state's id.
const BY_ID_SQL: &str = "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, e.body \
     FROM persons p JOIN cases c ON c.person_id = p.id JOIN events e ON e.seq = p.last_event_seq \
     WHERE c.agreement_id = $1 AND p.sending_state = $2 AND p.sending_id = $3 ORDER BY c.id";

/// The cases of the people whose current record has a birth date in a year (`$2`, text `YYYY`):
/// driven by the partial expression index `events_person_birth_year` (migration 0014), whose
/// expression and condition this text repeats exactly, so only that year's people are read.
fn by_birth_year_sql(dialect: Dialect) -> &'static str {
    match dialect {
        // CROSS JOIN fixes SQLite's join order (events first): without statistics its planner
        // would rather walk every case of the agreement.
        Dialect::Sqlite => {
            "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, e.body \
             FROM events e CROSS JOIN persons p CROSS JOIN cases c \
             WHERE e.kind IN ('person.registered', 'person.amended') \
             AND substr(e.body ->> '$.data.record.birth_date', 1, 4) = $2 \
             AND p.id = e.person_id AND p.last_event_seq = e.seq AND c.person_id = p.id AND c.agreement_id = $1 \
             ORDER BY c.id"
        }
        Dialect::Postgres => {
            "SELECT c.id, c.agreement_id, c.person_id, c.facility_id, c.version, c.record, e.body \
             FROM events e JOIN persons p ON p.id = e.person_id AND p.last_event_seq = e.seq \
             JOIN cases c ON c.person_id = p.id \
             WHERE e.kind IN ('person.registered', 'person.amended') \
             AND substr((e.body::json) #>> '{data,record,birth_date}', 1, 4) = $2 AND c.agreement_id = $1 ORDER BY c.id"
        }
    }
}

macro_rules! locator_sql {
    ($name:ident, $dialect:expr) => {
        impl Locator for $name {
            async fn locator_candidates(&self, agreement_id: &str, filter: &LocatorFilter) -> Result<Vec<CaseWithPerson>, StoreError> {
                let rows = match filter {
                    LocatorFilter::SendingId { sending_state, sending_id } => {
                        sqlx::query(BY_ID_SQL)
                            .bind(agreement_id.to_owned())
                            .bind(sending_state.clone())
                            .bind(sending_id.clone())
                            .fetch_all(&self.pool)
                            .await?
                    }
                    LocatorFilter::BirthYear(year) => {
                        sqlx::query(by_birth_year_sql($dialect))
                            .bind(agreement_id.to_owned())
                            .bind(format!("{year:04}"))
                            .fetch_all(&self.pool)
                            .await?
                    }
                };
                let mut out = Vec::with_capacity(rows.len());
                for row in rows {
                    let person = person_from_event(row.try_get("person_id")?, &row.try_get::<String, _>("body")?)?;
                    out.push(CaseWithPerson { case: case_row_from(&row)?, person });
                }
                Ok(out)
            }

            async fn transitions_of_person(&self, agreement_id: &str, person_id: i64) -> Result<Vec<String>, StoreError> {
                let rows = sqlx::query(
                    "SELECT body FROM events WHERE person_id = $1 AND agreement_id = $2 AND kind = 'case.transition' ORDER BY seq",
                )
                .bind(person_id)
                .bind(agreement_id.to_owned())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| r.try_get::<String, _>("body").map_err(StoreError::from)).collect()
            }
        }
    };
}

locator_sql!(SqliteStore, Dialect::Sqlite);
locator_sql!(PostgresStore, Dialect::Postgres);
