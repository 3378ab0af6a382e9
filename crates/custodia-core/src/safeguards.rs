//! What the register computes about a person on a day, never takes from a caller
//! (docs/lifecycle.md#safeguards): the screening decision with every rule's outcome, and the legal
//! basis for holding them. Both read the person's *current* record and the agreement version in
//! force, so an amended record or an amended agreement changes the answer the next time it is asked.

use std::fmt;

use crate::agreement::{Agreement, RemovalCustody};
use crate::date::Date;
use crate::eligibility::{Decision, Outcome, Rule};
use crate::person_owned::Person;
use crate::term::Term;

/// The screening of a person on a day: every configured rule's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningRecord {
    /// The day the rules were evaluated on.
    pub on: Date,
    /// Every configured rule, in number order, with its outcome.
    pub outcomes: Vec<(Rule, Outcome)>,
}

impl ScreeningRecord {
    /// `ineligible` if a rule fails, else `review` if one is unknown, else `eligible`.
    pub fn decision(&self) -> Decision {
        if self.outcomes.iter().any(|(_, o)| *o == Outcome::Fail) {
            Decision::Ineligible
        } else if self.outcomes.iter().any(|(_, o)| *o == Outcome::Unknown) {
            Decision::Review
        } else {
            Decision::Eligible
        }
    }

    /// The `reasons` string of docs/rules.md: every rule that did not pass, failures as `E07`,
    /// unknowns as `E02?`, in number order, joined by `;` (empty when eligible).
    pub fn reasons(&self) -> String {
        let reason = |(rule, outcome): &(Rule, Outcome)| match outcome {
            Outcome::Pass => None,
            Outcome::Fail => Some(rule.code().to_owned()),
            Outcome::Unknown => Some(format!("{}?", rule.code())),
        };
        self.outcomes.iter().filter_map(reason).collect::<Vec<_>>().join(";")
    }

    /// The rules with this outcome, in number order.
    pub fn rules(&self, outcome: Outcome) -> Vec<Rule> {
        self.outcomes.iter().filter(|(_, o)| *o == outcome).map(|(r, _)| *r).collect()
    }
}

/// Screens the person's current record under the agreement on `on`. A record the register holds
/// always parses (it was checked on import); if it did not, every configured rule would be unknown
/// rather than passed: missing data never yields `eligible`.
pub fn screen_on(agreement: &Agreement, person: &Person, on: Date) -> ScreeningRecord {
    let screening = person.with_record(|record| crate::eligibility::screen(agreement, record, on));
    match screening {
        Ok(Ok(s)) => ScreeningRecord { on, outcomes: s.outcomes().collect() },
        _ => ScreeningRecord { on, outcomes: vec![(Rule::E05, Outcome::Unknown)] },
    }
}

/// Why a person may be held on a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    /// A final conviction whose sentence runs until `release` (none for life).
    Conviction {
        /// Projected release; `None` for a life sentence.
        release: Option<Date>,
    },
    /// A final removal order to `destination`, usable as a basis until the day before `until`.
    Removal {
        /// The record's removal destination.
        destination: String,
        /// The first day without a basis (custody start + `removal_custody_max_days`).
        until: Date,
    },
}

/// Why a person may not be held on a day: `HELD_BEYOND_RELEASE` for a served sentence, otherwise
/// `NO_LEGAL_BASIS`, each with the facts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NoBasis {
    /// The sentence was served: the projected release was on or before the day.
    Served {
        /// The projected release.
        release: Date,
    },
    /// Neither a usable conviction nor a usable removal order.
    Missing {
        /// Why, for a person to read (`the conviction is appeal_pending; removal custody is
        /// forbidden by the agreement`).
        why: String,
    },
}

impl NoBasis {
    /// `HELD_BEYOND_RELEASE` or `NO_LEGAL_BASIS`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Served { .. } => "HELD_BEYOND_RELEASE",
            Self::Missing { .. } => "NO_LEGAL_BASIS",
        }
    }
}

impl fmt::Display for NoBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Served { release } => write!(f, "the sentence was served: projected release {release}"),
            Self::Missing { why } => f.write_str(why),
        }
    }
}

/// The legal basis for holding `person` on `on` (docs/lifecycle.md#legal-basis), computed from the
/// current record: (a) a final conviction with a known start and term, before the projected
/// release (a life sentence always); or (b) where the agreement allows removal custody, a final
/// removal order with a known destination, for fewer than `removal_custody_max_days` days since
/// `custody_since` (the admission day; none yet counts as day 0).
pub fn legal_basis(
    agreement: &Agreement,
    person: &Person,
    on: Date,
    custody_since: Option<Date>,
) -> Result<Basis, NoBasis> {
    let conviction = conviction_basis(agreement, person, on);
    if let Ok(basis) = conviction {
        return Ok(basis);
    }
    match removal_basis(agreement, person, on, custody_since) {
        Ok(basis) => Ok(basis),
        Err(removal_why) => match conviction {
            Err(NoBasis::Served { release }) => Err(NoBasis::Served { release }),
            Err(NoBasis::Missing { why }) => Err(NoBasis::Missing { why: format!("{why}; {removal_why}") }),
            Ok(basis) => Ok(basis),
        },
    }
}

fn conviction_basis(agreement: &Agreement, person: &Person, on: Date) -> Result<Basis, NoBasis> {
    let missing = |why: String| Err(NoBasis::Missing { why });
    match person.conviction.as_deref() {
        Some("final") => {}
        Some(other) => return missing(format!("the conviction is {other}, not final")),
        None => return missing("no conviction is on record".to_owned()),
    }
    let term = person.sentence_term.as_deref().and_then(|t| Term::parse(t).ok());
    if term == Some(Term::Life) {
        return Ok(Basis::Conviction { release: None });
    }
    if person.sentence_start.is_none() || term.is_none() {
        return missing("the sentence's start or term is unknown, so its release cannot be computed".to_owned());
    }
    match person.projected_release(agreement) {
        Some(release) if on < release => Ok(Basis::Conviction { release: Some(release) }),
        Some(release) => Err(NoBasis::Served { release }),
        None => missing("the sentence's release cannot be computed".to_owned()),
    }
}

fn removal_basis(agreement: &Agreement, person: &Person, on: Date, since: Option<Date>) -> Result<Basis, String> {
    let (RemovalCustody::Allowed, Some(max_days)) =
        (agreement.custody.removal_custody, agreement.custody.removal_custody_max_days)
    else {
        return Err("the agreement does not allow custody on a removal order".to_owned());
    };
    if person.removal_order.as_deref() != Some("final") {
        return Err("no final removal order is on record".to_owned());
    }
    let Some(destination) = person.removal_destination.clone() else {
        return Err("the removal order names no destination".to_owned());
    };
    let start = since.unwrap_or(on);
    let until = start.add_days(i64::from(max_days)).unwrap_or(Date::MAX);
    if on >= until {
        return Err(format!("custody on the removal order reached its limit of {max_days} days on {until}"));
    }
    Ok(Basis::Removal { destination, until })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CECOT: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn convicted() -> Person {
        Person {
            sending_id: "P1".into(),
            conviction: Some("final".into()),
            sentence_start: Some("2024-01-01".into()),
            sentence_term: Some("5y".into()),
            ..Person::default()
        }
    }

    /// The CECOT example allows 125 days of removal custody, as the 2025 arrangement practised it.
    fn allowing_removal(max_days: u32) -> Agreement {
        let mut a = Agreement::from_toml(CECOT).unwrap();
        assert_eq!(a.custody.removal_custody_max_days, Some(125));
        a.custody.removal_custody = RemovalCustody::Allowed;
        a.custody.removal_custody_max_days = Some(max_days);
        a
    }

    #[test]
    fn a_final_conviction_is_a_basis_until_the_projected_release() {
        let a = Agreement::from_toml(CECOT).unwrap();
        let p = convicted();
        let release = p.projected_release(&a).unwrap();
        assert_eq!(legal_basis(&a, &p, d("2025-06-01"), None), Ok(Basis::Conviction { release: Some(release) }));
        assert_eq!(legal_basis(&a, &p, release, None), Err(NoBasis::Served { release }));
        let life = Person { sentence_term: Some("life".into()), ..convicted() };
        assert_eq!(legal_basis(&a, &life, d("2090-01-01"), None), Ok(Basis::Conviction { release: None }));
    }

    /// Issue 12: a record amended to appeal_pending no longer gives a basis.
    #[test]
    fn an_amended_record_loses_its_basis() {
        let a = Agreement::from_toml(CECOT).unwrap();
        let amended = Person { conviction: Some("appeal_pending".into()), ..convicted() };
        let no = legal_basis(&a, &amended, d("2025-06-01"), None).unwrap_err();
        assert_eq!(no.code(), "NO_LEGAL_BASIS");
        assert!(no.to_string().contains("appeal_pending"), "{no}");
        let unknown = Person { sentence_term: None, ..convicted() };
        let no = legal_basis(&a, &unknown, d("2025-06-01"), None).unwrap_err();
        assert!(no.to_string().contains("cannot be computed"), "{no}");
    }

    /// Issue 12: a deportee with a removal order and no conviction has no basis unless the
    /// agreement allows removal custody, and then only with a destination and for a limited time.
    #[test]
    fn removal_custody_needs_the_agreement_a_destination_and_a_limit() {
        let deportee = Person {
            sending_id: "A1".into(),
            removal_order: Some("final".into()),
            removal_destination: Some("VE".into()),
            ..Person::default()
        };
        let mut forbidding = Agreement::from_toml(CECOT).unwrap();
        forbidding.custody = crate::agreement::Custody::default();
        assert_eq!(legal_basis(&forbidding, &deportee, d("2025-04-01"), None).unwrap_err().code(), "NO_LEGAL_BASIS");
        let a = allowing_removal(90);
        let since = d("2025-04-01");
        let until = d("2025-06-30");
        assert_eq!(
            legal_basis(&a, &deportee, d("2025-06-29"), Some(since)),
            Ok(Basis::Removal { destination: "VE".into(), until })
        );
        assert_eq!(legal_basis(&a, &deportee, until, Some(since)).unwrap_err().code(), "NO_LEGAL_BASIS");
        let nowhere = Person { removal_destination: None, ..deportee };
        let no = legal_basis(&a, &nowhere, since, None).unwrap_err();
        assert!(no.to_string().contains("no destination"), "{no}");
    }

    #[test]
    fn screening_is_computed_from_the_record_on_the_day() {
        let a = Agreement::from_toml(CECOT).unwrap();
        let citizen = Person { nationalities: Some("US".into()), ..convicted() };
        let s = screen_on(&a, &citizen, d("2025-04-01"));
        assert_eq!(s.decision(), Decision::Ineligible);
        assert!(s.rules(Outcome::Fail).contains(&Rule::E07));
        assert_eq!(s.on, d("2025-04-01"));
        let unassessed = Person { torture_risk: None, ..citizen };
        // No birth date on record (E02 unknown), a citizen (E07 fails), no assessment (E15 unknown).
        assert_eq!(screen_on(&a, &unassessed, d("2025-04-01")).reasons(), "E02?;E07;E15?");
    }
}
