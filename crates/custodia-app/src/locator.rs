//! The public locator (docs/oversight.md#locator): no caller; only agreements with
//! `public_locator = true`; by the sending state's person id, or a family name plus birth year;
//! it answers status, facility, country and since-date only, with the agreement's
//! `[oversight] family_contact` text for the page.
//!
//! Family names match ignoring case and accents, and any one of a person's family names matches
//! (`Garcia` finds `García`, `Torres` or `rivas` find `Torres Rivas`): both sides are folded by
//! [`name_words`] and the question's words must appear, in order and side by side, among the
//! person's. The comparison runs at query time over a bounded candidate set — the store reads only
//! the people born in the asked year (or the one person with the asked id), through indexes the
//! database keeps on the journal's person events — so nothing is stored beside the journal and no
//! projection has to be replayed.

use custodia_core::Agreement;
use custodia_core::lifecycle::CaseState;
use custodia_i18n::Text;
use custodia_store::cases::CaseRow;
use custodia_store::prelude::*;
use custodia_store::{AgreementSource, AgreementVersion, LocatorFilter, PersonData, Timestamp};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::App;
use crate::error::{AppError, AppResult};

/// Longest family name a question may carry, in bytes.
pub const MAX_FAMILY_NAME_BYTES: usize = 200;
/// Longest person id a question may carry, in bytes.
pub const MAX_PERSON_ID_BYTES: usize = 256;
/// Earliest and latest birth year a question may carry.
pub const BIRTH_YEARS: std::ops::RangeInclusive<i32> = 1850..=2100;

/// The locator's question: a person id, or a family name and birth year.
#[derive(Clone, Debug, Default)]
pub struct LocatorQuery {
    /// The sending state's person id.
    pub person_id: Option<String>,
    /// Family name, or any one of a person's family names (ignoring case and accents).
    pub family_name: Option<String>,
    /// Year of birth, with `family_name`.
    pub birth_year: Option<i32>,
}

/// What the public locator may say about a person: status, facility, country, since — and whom the
/// family can call under the agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The case's state (only the public ones: in transit to deceased).
    pub status: CaseState,
    /// The facility's name (while held there).
    pub facility: Option<String>,
    /// ISO 3166 country where the person is, or was last held.
    pub country: String,
    /// The date of the last change of status (YYYY-MM-DD).
    pub since: String,
    /// The agreement's `[oversight] family_contact` text, if it has one.
    pub family_contact: Option<String>,
}

/// The words of a family name as the locator compares them: decomposed (Unicode NFD), combining
/// marks removed, lower-cased (`ß` as `ss`), split on white space and hyphens. `"García-Pérez"` →
/// `["garcia", "perez"]`.
pub fn name_words(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || c == '-' || c == '\u{2010}')
        .filter(|w| !w.is_empty())
        .map(fold_word)
        .filter(|w| !w.is_empty())
        .collect()
}

fn fold_word(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.nfd().filter(|c| !is_combining_mark(*c)) {
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Whether the words of `wanted` appear, in order and side by side, among the words of `family_name`.
pub fn family_name_matches(wanted: &[String], family_name: &str) -> bool {
    let have = name_words(family_name);
    !wanted.is_empty() && have.windows(wanted.len()).any(|w| w == wanted)
}

impl App {
    /// The public locator: every public case, under an agreement with `public_locator = true`,
    /// of the person the question names (200 with an empty list at the edges when none).
    pub async fn locate(&self, query: LocatorQuery) -> AppResult<Vec<Located>> {
        let key = LocatorKey::from_query(query)?;
        let mut found = Vec::new();
        for AgreementVersion { agreement_id: id, .. } in self.store().agreement_ids().await? {
            let Some(AgreementSource { source, .. }) = self.store().agreement_source(&id).await? else {
                continue;
            };
            // An agreement that no longer loads publishes nothing (the operator sees it elsewhere).
            let Ok(agreement) = Agreement::from_toml(&source) else { continue };
            if !agreement.public_locator {
                continue;
            }
            let candidates = self.store().locator_candidates(&id, &key.filter(&agreement)).await?;
            for c in candidates.iter().filter(|c| is_public(c.case.case.state) && key.matches(&c.person)) {
                let bodies = self.store().transitions_of_person(&id, c.case.person_id).await?;
                let since = last_transition_day(&agreement, &bodies, c.case.id);
                found.push(located(&agreement, &c.case, since));
            }
        }
        Ok(found)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum LocatorKey {
    Id(String),
    Name(Vec<String>, i32),
}

impl LocatorKey {
    fn from_query(q: LocatorQuery) -> AppResult<Self> {
        match (q.person_id, q.family_name, q.birth_year) {
            (Some(id), None, None) if !id.trim().is_empty() && id.len() <= MAX_PERSON_ID_BYTES => Ok(Self::Id(id)),
            (None, Some(name), Some(year))
                if name.len() <= MAX_FAMILY_NAME_BYTES
                    && !name_words(&name).is_empty()
                    && BIRTH_YEARS.contains(&year) =>
            {
                Ok(Self::Name(name_words(&name), year))
            }
            (Some(_), _, _) => Err(AppError::invalid("person_id", Text::new("INVALID.locator-id"))),
            (None, Some(_), None) | (None, None, Some(_)) => {
                Err(AppError::invalid("birth_year", Text::new("INVALID.locator-together")))
            }
            (None, Some(name), Some(_)) if name.len() > MAX_FAMILY_NAME_BYTES || name_words(&name).is_empty() => {
                Err(AppError::invalid("family_name", Text::new("INVALID.locator-name")))
            }
            (None, Some(_), Some(_)) => Err(AppError::invalid("birth_year", Text::new("INVALID.locator-name"))),
            (None, None, None) => Err(AppError::invalid("person_id", Text::new("INVALID.locator-none"))),
        }
    }

    /// The store's narrowing for this question under an agreement.
    fn filter(&self, agreement: &Agreement) -> LocatorFilter {
        match self {
            Self::Id(id) => LocatorFilter::SendingId {
                sending_state: agreement.sending_state.as_str().to_owned(),
                sending_id: id.clone(),
            },
            Self::Name(_, year) => LocatorFilter::BirthYear(*year),
        }
    }

    fn matches(&self, p: &PersonData) -> bool {
        match self {
            Self::Id(wanted) => &p.sending_id == wanted,
            Self::Name(words, year) => {
                family_name_matches(words, &p.family_name)
                    && p.birth_date.as_deref().and_then(|b| b.get(..4)).and_then(|y| y.parse::<i32>().ok())
                        == Some(*year)
            }
        }
    }
}

fn is_public(state: CaseState) -> bool {
    matches!(
        state,
        CaseState::InTransit
            | CaseState::InCustody
            | CaseState::ReturnScheduled
            | CaseState::Returned
            | CaseState::Released
            | CaseState::Deceased
    )
}

/// The day of a case's last transition among `bodies` (its person's `case.transition` events):
/// the calendar day of its `occurred_at` in the time zone of the facility the case was last
/// placed in (the agreement's default zone before any placement; docs/lifecycle.md#days).
fn last_transition_day(agreement: &Agreement, bodies: &[String], case_id: i64) -> Option<String> {
    let mut day = None;
    let mut placed: Option<String> = None;
    for body in bodies {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(body) else { continue };
        if v.pointer("/data/case_id").and_then(serde_json::Value::as_i64) != Some(case_id) {
            continue;
        }
        if let Some(f) = v.pointer("/data/facility_id").and_then(serde_json::Value::as_str) {
            placed = Some(f.to_owned());
        }
        let at = v
            .pointer("/data/occurred_at")
            .and_then(serde_json::Value::as_str)
            .or_else(|| v.get("occurred_at").and_then(serde_json::Value::as_str));
        let Some(Ok(instant)) = at.map(Timestamp::parse) else { continue };
        let zone = crate::days::zone_of(agreement, placed.as_deref());
        day = Some(zone.local_date(instant.unix_seconds()).to_string());
    }
    day
}

fn located(agreement: &Agreement, c: &CaseRow, since: Option<String>) -> Located {
    let held = c.case.state.holds_place();
    let facility = c.facility_id.as_deref().and_then(|f| agreement.facility(f));
    let country = match c.case.state {
        CaseState::InTransit | CaseState::Returned => agreement.sending_state.as_str().to_owned(),
        _ => facility
            .map(|f| f.country.as_str().to_owned())
            .unwrap_or_else(|| agreement.receiving_state.as_str().to_owned()),
    };
    let since = match (held, c.case.intake.as_ref()) {
        (true, Some(intake)) if c.case.state == CaseState::InCustody => intake.admitted_on.to_string(),
        _ => since.unwrap_or_default(),
    };
    Located {
        status: c.case.state,
        facility: if held { facility.map(|f| f.name.clone()) } else { None },
        country,
        since,
        family_contact: agreement.oversight.family_contact.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| (*w).to_owned()).collect()
    }

    fn q(id: Option<&str>, name: Option<&str>, year: Option<i32>) -> AppResult<LocatorKey> {
        LocatorKey::from_query(LocatorQuery {
            person_id: id.map(str::to_owned),
            family_name: name.map(str::to_owned),
            birth_year: year,
        })
    }

    fn invalid_field(r: AppResult<LocatorKey>) -> String {
        match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_are_folded_to_words_without_case_or_accents() {
        assert_eq!(name_words("García"), words(&["garcia"]));
        assert_eq!(name_words("  Torres   Rivas "), words(&["torres", "rivas"]));
        assert_eq!(name_words("NÚÑEZ-Peña"), words(&["nunez", "pena"]));
        // Precomposed and decomposed forms fold alike.
        assert_eq!(name_words("Jose\u{301}"), name_words("Jos\u{e9}"));
        assert_eq!(name_words("Straße"), words(&["strasse"]));
        assert_eq!(name_words("Müller"), words(&["muller"]));
        assert!(name_words(" - ").is_empty());
    }

    #[test]
    fn any_one_family_name_matches_and_nothing_looser() {
        let m = |wanted: &str, name: &str| family_name_matches(&name_words(wanted), name);
        assert!(m("Garcia", "García"));
        assert!(m("garcía", "GARCIA"));
        assert!(m("Torres", "Torres Rivas"));
        assert!(m("rivas", "Torres Rivas"));
        assert!(m("Torres Rivas", "Torres Rivas"));
        assert!(m("torres-rivas", "Torres Rivas"));
        assert!(m("de la Cruz", "Pérez de la Cruz"));
        // A part of a word, words out of order, or words apart do not match.
        assert!(!m("Torr", "Torres Rivas"));
        assert!(!m("Rivas Torres", "Torres Rivas"));
        assert!(!m("Pérez Cruz", "Pérez de la Cruz"));
        assert!(!m("Garcias", "García"));
        assert!(!m("", "García"));
    }

    #[test]
    fn the_locator_takes_an_id_or_a_name_and_year() {
        assert_eq!(q(Some("P1"), None, None).unwrap(), LocatorKey::Id("P1".into()));
        assert_eq!(q(None, Some(" Doe "), Some(1990)).unwrap(), LocatorKey::Name(words(&["doe"]), 1990));
        assert_eq!(invalid_field(q(None, None, None)), "person_id");
        assert_eq!(invalid_field(q(None, Some("Doe"), None)), "birth_year");
        assert_eq!(invalid_field(q(None, None, Some(1990))), "birth_year");
        assert_eq!(invalid_field(q(None, Some("Doe"), Some(1700))), "birth_year");
        assert_eq!(invalid_field(q(None, Some(" - "), Some(1990))), "family_name");
        assert_eq!(invalid_field(q(None, Some(&"a".repeat(201)), Some(1990))), "family_name");
        assert_eq!(invalid_field(q(Some("P1"), Some("Doe"), Some(1990))), "person_id");
        assert_eq!(invalid_field(q(Some(&"1".repeat(257)), None, None)), "person_id");
    }

    #[test]
    fn a_name_matches_only_with_its_birth_year() {
        let person = PersonData {
            sending_id: "V9".into(),
            family_name: "Torres Rivas".into(),
            birth_date: Some("1988-07-01".into()),
            ..Default::default()
        };
        assert!(q(None, Some("rivas"), Some(1988)).unwrap().matches(&person));
        assert!(!q(None, Some("rivas"), Some(1989)).unwrap().matches(&person));
        assert!(q(Some("V9"), None, None).unwrap().matches(&person));
        assert!(!q(Some("v9"), None, None).unwrap().matches(&person));
        let unknown_birth = PersonData { birth_date: None, ..person };
        assert!(!q(None, Some("rivas"), Some(1988)).unwrap().matches(&unknown_birth));
    }
}
