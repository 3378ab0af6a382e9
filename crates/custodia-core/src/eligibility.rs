//! Eligibility screening, docs/rules.md: rules E01–E15.
//!
//! Every configured rule is evaluated — there is no short-circuit — and gives `pass`, `fail` or
//! `unknown` (the data it needs is missing). The decision is `ineligible` if any rule fails,
//! otherwise `review` if any is unknown, otherwise `eligible`: missing data never yields
//! `eligible`. Each rule is a small pure function with a stable code, a message in English and
//! Spanish, and a citation.

use std::fmt;

use crate::agreement::{Agreement, CitizenPolicy, Eligibility, NationalsPolicy};
use crate::date::Date;
use crate::ids::CountryCode;
use crate::person::{
    CareNeeds, Consent, Conviction, Nationalities, OffenceCategory, PersonRecord, RemovalOrder, RowError,
    SecurityClass, TortureRisk,
};
use crate::sentence::{self, DEFAULT_GCT_RATE, SentenceInput, SentenceProfile};
use crate::term::Term;

/// A rule's stable code. Codes are never reused or renumbered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Final conviction.
    E01,
    /// Minimum age.
    E02,
    /// Minimum sentence length.
    E03,
    /// Minimum time left to serve.
    E04,
    /// Sentence not yet served (always applies).
    E05,
    /// No life sentences.
    E06,
    /// Nationals of the sending state.
    E07,
    /// Nationals of the receiving state.
    E08,
    /// Allowed nationalities.
    E09,
    /// Consent.
    E10,
    /// Removal order.
    E11,
    /// Excluded offences.
    E12,
    /// Allowed security classes.
    E13,
    /// Care needs.
    E14,
    /// Torture-risk assessment.
    E15,
}

/// A rule's outcome for one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The rule is met.
    Pass,
    /// The rule excludes the person.
    Fail,
    /// The data the rule needs is missing.
    Unknown,
}

impl Outcome {
    /// The outcome named `pass`, `fail` or `unknown`.
    pub fn parse(text: &str) -> Option<Outcome> {
        [Outcome::Pass, Outcome::Fail, Outcome::Unknown].into_iter().find(|o| o.as_str() == text)
    }

    /// `pass`, `fail` or `unknown`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The screening decision for a readable row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Every configured rule passes.
    Eligible,
    /// At least one rule fails.
    Ineligible,
    /// No rule fails, at least one is unknown: a person must look.
    Review,
}

impl Decision {
    /// `eligible`, `ineligible` or `review`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Eligible => "eligible",
            Decision::Ineligible => "ineligible",
            Decision::Review => "review",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A language for rule messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// English.
    En,
    /// Spanish.
    Es,
}

impl Rule {
    /// Every rule in number order.
    pub const ALL: [Rule; 15] = [
        Rule::E01,
        Rule::E02,
        Rule::E03,
        Rule::E04,
        Rule::E05,
        Rule::E06,
        Rule::E07,
        Rule::E08,
        Rule::E09,
        Rule::E10,
        Rule::E11,
        Rule::E12,
        Rule::E13,
        Rule::E14,
        Rule::E15,
    ];

    /// The rule with this code (`E07`).
    pub fn parse(code: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The stable code, `E01`…`E15`.
    pub const fn code(self) -> &'static str {
        match self {
            Rule::E01 => "E01",
            Rule::E02 => "E02",
            Rule::E03 => "E03",
            Rule::E04 => "E04",
            Rule::E05 => "E05",
            Rule::E06 => "E06",
            Rule::E07 => "E07",
            Rule::E08 => "E08",
            Rule::E09 => "E09",
            Rule::E10 => "E10",
            Rule::E11 => "E11",
            Rule::E12 => "E12",
            Rule::E13 => "E13",
            Rule::E14 => "E14",
            Rule::E15 => "E15",
        }
    }

    /// The agreement key that switches the rule on.
    pub const fn key(self) -> &'static str {
        match self {
            Rule::E01 => "eligibility.require_final_conviction",
            Rule::E02 => "eligibility.min_age",
            Rule::E03 => "eligibility.min_sentence_days",
            Rule::E04 => "eligibility.min_remaining_days",
            Rule::E05 => "(always applies)",
            Rule::E06 => "eligibility.exclude_life_sentences",
            Rule::E07 => "eligibility.sending_state_citizens",
            Rule::E08 => "eligibility.receiving_state_nationals",
            Rule::E09 => "eligibility.allowed_nationalities",
            Rule::E10 => "eligibility.require_consent",
            Rule::E11 => "eligibility.require_removal_order",
            Rule::E12 => "eligibility.excluded_offences",
            Rule::E13 => "eligibility.allowed_security_classes",
            Rule::E14 => "eligibility.exclude_care_needs",
            Rule::E15 => "eligibility.torture_risk_max_age_days",
        }
    }

    /// What the rule requires, in the given language.
    pub const fn message(self, language: Language) -> &'static str {
        match (self, language) {
            (Rule::E01, Language::En) => "The conviction must be final: no appeal pending.",
            (Rule::E01, Language::Es) => "La condena debe ser firme: sin recurso pendiente.",
            (Rule::E02, Language::En) => {
                "The person must have reached the agreement's minimum age on the screening date."
            }
            (Rule::E02, Language::Es) => {
                "La persona debe haber cumplido la edad mínima del acuerdo en la fecha de evaluación."
            }
            (Rule::E03, Language::En) => "The sentence imposed must be at least the agreement's minimum length.",
            (Rule::E03, Language::Es) => "La pena impuesta debe tener al menos la duración mínima del acuerdo.",
            (Rule::E04, Language::En) => {
                "At least the agreement's minimum number of days must remain before projected release."
            }
            (Rule::E04, Language::Es) => {
                "Deben quedar al menos los días mínimos del acuerdo antes de la excarcelación prevista."
            }
            (Rule::E05, Language::En) => {
                "The sentence must not already be served: projected release must be after the screening date."
            }
            (Rule::E05, Language::Es) => {
                "La pena no debe estar ya cumplida: la excarcelación prevista debe ser posterior a la fecha de evaluación."
            }
            (Rule::E06, Language::En) => "Life sentences are excluded by the agreement.",
            (Rule::E06, Language::Es) => "El acuerdo excluye las penas de cadena perpetua.",
            (Rule::E07, Language::En) => {
                "A state may not banish its own citizens: nationals of the sending state are excluded or need consent."
            }
            (Rule::E07, Language::Es) => {
                "Un Estado no puede desterrar a sus propios ciudadanos: los nacionales del Estado remitente están excluidos o necesitan consentimiento."
            }
            (Rule::E08, Language::En) => "Nationals of the receiving state are excluded by the agreement.",
            (Rule::E08, Language::Es) => "El acuerdo excluye a los nacionales del Estado receptor.",
            (Rule::E09, Language::En) => "At least one nationality must be among those the agreement allows.",
            (Rule::E09, Language::Es) => "Al menos una nacionalidad debe figurar entre las que permite el acuerdo.",
            (Rule::E10, Language::En) => {
                "The person must consent to the transfer (where the agreement allows, a final removal order replaces consent)."
            }
            (Rule::E10, Language::Es) => {
                "La persona debe consentir el traslado (si el acuerdo lo permite, una orden de expulsión firme sustituye al consentimiento)."
            }
            (Rule::E11, Language::En) => "A final removal (expulsion) order is required.",
            (Rule::E11, Language::Es) => "Se requiere una orden de expulsión firme.",
            (Rule::E12, Language::En) => "The offence category is excluded by the agreement.",
            (Rule::E12, Language::Es) => "El acuerdo excluye esta categoría de delito.",
            (Rule::E13, Language::En) => "The security class must be one the agreement allows.",
            (Rule::E13, Language::Es) => "La clasificación de seguridad debe ser una de las que permite el acuerdo.",
            (Rule::E14, Language::En) => "People with care needs the facility cannot meet are excluded.",
            (Rule::E14, Language::Es) => {
                "Se excluye a las personas con necesidades de atención que el centro no puede cubrir."
            }
            (Rule::E15, Language::En) => {
                "A current assessment must find no risk of torture in the receiving state (non-refoulement)."
            }
            (Rule::E15, Language::Es) => {
                "Una evaluación vigente debe descartar el riesgo de tortura en el Estado receptor (no devolución)."
            }
        }
    }

    /// The source of the rule.
    pub const fn citation(self) -> &'static str {
        match self {
            Rule::E01 => "Council of Europe ETS 112 art. 3(1)(b): the judgment must be final",
            Rule::E02 => "agreement key eligibility.min_age (Sweden–Estonia 2025: adults only)",
            Rule::E03 => {
                "agreement key eligibility.min_sentence_days (Norway–Netherlands 2015: sentences over two years)"
            }
            Rule::E04 => "Council of Europe ETS 112 art. 3(1)(c): at least six months of the sentence left to serve",
            Rule::E05 => "Nelson Mandela Rules 7: no one held without a valid commitment order; docs/rules.md",
            Rule::E06 => "agreement key eligibility.exclude_life_sentences (Denmark–Kosovo 2024)",
            Rule::E07 => {
                "Afroyim v. Rusk, 387 U.S. 253 (1967); 18 U.S.C. 4100(b): transfer only to a country of nationality, with consent"
            }
            Rule::E08 => {
                "agreement key eligibility.receiving_state_nationals (Sweden–Estonia 2025: no Estonian nationals)"
            }
            Rule::E09 => "agreement key eligibility.allowed_nationalities",
            Rule::E10 => {
                "Council of Europe ETS 112 art. 3(1)(d) (consent); ETS 167 art. 3 (a removal order in place of consent)"
            }
            Rule::E11 => "Council of Europe ETS 167 art. 3; Denmark–Kosovo 2024: only people sentenced to expulsion",
            Rule::E12 => "agreement key eligibility.excluded_offences (Denmark–Kosovo 2024: terrorism, war crimes)",
            Rule::E13 => "agreement key eligibility.allowed_security_classes (Sweden–Estonia 2025: security class 2)",
            Rule::E14 => "agreement key eligibility.exclude_care_needs (Sweden–Estonia 2025: no extensive care needs)",
            Rule::E15 => {
                "UN Convention against Torture art. 3: no transfer to a state where there is a risk of torture"
            }
        }
    }

    const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The outcome of every configured rule for one person. Rules the agreement does not configure
/// are absent (`None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Screening {
    outcomes: [Option<Outcome>; 15],
}

impl Screening {
    /// The outcome of `rule`, `None` when the agreement does not configure it.
    pub fn outcome(&self, rule: Rule) -> Option<Outcome> {
        self.outcomes.get(rule.index()).copied().flatten()
    }

    fn set(&mut self, rule: Rule, outcome: Outcome) {
        if let Some(slot) = self.outcomes.get_mut(rule.index()) {
            *slot = Some(outcome);
        }
    }

    /// Every evaluated rule with its outcome, in number order.
    pub fn outcomes(&self) -> impl Iterator<Item = (Rule, Outcome)> + '_ {
        Rule::ALL.into_iter().filter_map(|rule| self.outcome(rule).map(|o| (rule, o)))
    }

    /// `ineligible` if any rule fails, else `review` if any is unknown, else `eligible`.
    pub fn decision(&self) -> Decision {
        let mut unknown = false;
        for (_, outcome) in self.outcomes() {
            match outcome {
                Outcome::Fail => return Decision::Ineligible,
                Outcome::Unknown => unknown = true,
                Outcome::Pass => {}
            }
        }
        if unknown { Decision::Review } else { Decision::Eligible }
    }

    /// Appends the `reasons` string of docs/rules.md — every rule that did not pass, failures as `E07`,
    /// unknowns as `E02?`, in number order, joined by `;` — without allocating.
    pub fn write_reasons(&self, out: &mut Vec<u8>) {
        let mut first = true;
        for (rule, outcome) in self.outcomes() {
            if outcome == Outcome::Pass {
                continue;
            }
            if !first {
                out.push(b';');
            }
            first = false;
            out.extend_from_slice(rule.code().as_bytes());
            if outcome == Outcome::Unknown {
                out.push(b'?');
            }
        }
    }

    /// The `reasons` string as text.
    pub fn reasons(&self) -> String {
        let mut out = Vec::new();
        self.write_reasons(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// Age in whole years on `on`. A 29 February birthday falls on 1 March in common years.
pub fn age_in_years(birth: Date, on: Date) -> i64 {
    let (by, bm, bd) = birth.ymd();
    let (y, m, d) = on.ymd();
    let birthday_this_year = if (bm, bd) == (2, 29) && !crate::date::is_leap_year(y) { (3, 1) } else { (bm, bd) };
    let years = i64::from(y) - i64::from(by);
    if (m, d) < birthday_this_year { years - 1 } else { years }
}

/// The latest birth date of someone aged at least `min_age` whole years on `on` ([`age_in_years`]),
/// `None` when no date of the calendar is early enough. Age never grows with a later birth date, so
/// `age_in_years(b, on) >= min_age` exactly when `b <= cutoff`: one comparison per row instead of
/// two dates split into years, months and days.
pub fn min_age_cutoff(on: Date, min_age: u32) -> Option<Date> {
    let (y, m, d) = on.ymd();
    let year = i32::try_from(i64::from(y) - i64::from(min_age)).ok()?;
    // (year, m, d) itself, or 28 February when `on` is 29 February and `year` is a common year
    // (born 29 February, one comes of age on 1 March then).
    Date::from_ymd(year, m, d).or_else(|_| Date::from_ymd(year, m, d - 1)).ok()
}

fn check(condition: bool) -> Outcome {
    if condition { Outcome::Pass } else { Outcome::Fail }
}

/// E01: `conviction = final`; `appeal_pending` and `none` fail.
pub fn e01_final_conviction(conviction: Option<Conviction>) -> Outcome {
    conviction.map_or(Outcome::Unknown, |c| check(c == Conviction::Final))
}

/// E02: age in whole years on `as_of` ≥ `min_age`.
pub fn e02_min_age(birth: Option<Date>, as_of: Date, min_age: u32) -> Outcome {
    birth.map_or(Outcome::Unknown, |b| check(age_in_years(b, as_of) >= i64::from(min_age)))
}

/// What the sentence rules (E03–E05) know about the person's sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SentenceFacts {
    /// Start or term unknown.
    Unknown,
    /// A life sentence.
    Life,
    /// A fixed term with its length in days (`FT − S + 1`) and projected release.
    Fixed {
        /// `FT − S + 1`.
        term_days: i64,
        /// Projected release under the agreement's profile.
        projected_release: Date,
    },
}

/// E03: `FT − S + 1 ≥ min_days`; life passes.
pub fn e03_min_sentence(facts: SentenceFacts, min_days: u32) -> Outcome {
    match facts {
        SentenceFacts::Unknown => Outcome::Unknown,
        SentenceFacts::Life => Outcome::Pass,
        SentenceFacts::Fixed { term_days, .. } => check(term_days >= i64::from(min_days)),
    }
}

/// E04: projected release − `as_of` ≥ `min_days`; life passes.
pub fn e04_min_remaining(facts: SentenceFacts, as_of: Date, min_days: u32) -> Outcome {
    match facts {
        SentenceFacts::Unknown => Outcome::Unknown,
        SentenceFacts::Life => Outcome::Pass,
        SentenceFacts::Fixed { projected_release, .. } => {
            check(projected_release.days_since(as_of) >= i64::from(min_days))
        }
    }
}

/// E05: projected release ≤ `as_of` fails (the sentence is served); life passes.
pub fn e05_not_served(facts: SentenceFacts, as_of: Date) -> Outcome {
    match facts {
        SentenceFacts::Unknown => Outcome::Unknown,
        SentenceFacts::Life => Outcome::Pass,
        SentenceFacts::Fixed { projected_release, .. } => check(projected_release > as_of),
    }
}

/// E06: a life sentence fails.
pub fn e06_no_life(term: Option<Term>) -> Outcome {
    term.map_or(Outcome::Unknown, |t| check(t != Term::Life))
}

/// E07: nationals of the sending state — forbidden fail; with_consent need `consent = given`.
pub fn e07_sending_state_citizens(
    policy: CitizenPolicy,
    sending_state: CountryCode,
    nationalities: Option<&Nationalities>,
    consent: Option<Consent>,
) -> Outcome {
    if policy == CitizenPolicy::Allowed {
        return Outcome::Pass;
    }
    let Some(nationalities) = nationalities else { return Outcome::Unknown };
    if !nationalities.contains(sending_state) {
        return Outcome::Pass;
    }
    match (policy, consent) {
        (CitizenPolicy::WithConsent, Some(Consent::Given)) => Outcome::Pass,
        (CitizenPolicy::WithConsent, None) => Outcome::Unknown,
        _ => Outcome::Fail,
    }
}

/// E08: a national of the receiving state fails.
pub fn e08_receiving_state_nationals(receiving_state: CountryCode, nationalities: Option<&Nationalities>) -> Outcome {
    nationalities.map_or(Outcome::Unknown, |n| check(!n.contains(receiving_state)))
}

/// E09: at least one nationality in the allowed list.
pub fn e09_allowed_nationalities(allowed: &[CountryCode], nationalities: Option<&Nationalities>) -> Outcome {
    nationalities.map_or(Outcome::Unknown, |n| check(n.iter().any(|c| allowed.contains(&c))))
}

/// E10: `consent = given`; with the waiver (ETS 167 art. 3) a final removal order passes instead.
pub fn e10_consent(waiver: bool, consent: Option<Consent>, removal_order: Option<RemovalOrder>) -> Outcome {
    if waiver && removal_order == Some(RemovalOrder::Final) {
        return Outcome::Pass;
    }
    match consent {
        Some(Consent::Given) => Outcome::Pass,
        None => Outcome::Unknown,
        // Refused: with the waiver, an unknown removal order might still be final.
        Some(Consent::Refused) if waiver && removal_order.is_none() => Outcome::Unknown,
        Some(Consent::Refused) => Outcome::Fail,
    }
}

/// E11: `removal_order = final`.
pub fn e11_removal_order(removal_order: Option<RemovalOrder>) -> Outcome {
    removal_order.map_or(Outcome::Unknown, |r| check(r == RemovalOrder::Final))
}

/// E12: the offence category is not in the excluded list.
pub fn e12_excluded_offences(excluded: &[OffenceCategory], offence: Option<OffenceCategory>) -> Outcome {
    offence.map_or(Outcome::Unknown, |o| check(!excluded.contains(&o)))
}

/// E13: the security class is in the allowed list.
pub fn e13_security_class(allowed: &[SecurityClass], class: Option<SecurityClass>) -> Outcome {
    class.map_or(Outcome::Unknown, |c| check(allowed.contains(&c)))
}

/// E14: `care_needs = no`.
pub fn e14_care_needs(care_needs: Option<CareNeeds>) -> Outcome {
    care_needs.map_or(Outcome::Unknown, |c| check(c == CareNeeds::No))
}

/// E15: `no_risk` assessed within the last `max_age_days` days (inclusive) passes; `risk` fails
/// whatever its date; unassessed, stale or dated after `as_of` is unknown.
pub fn e15_torture_risk(
    risk: Option<TortureRisk>,
    assessed_on: Option<Date>,
    as_of: Date,
    max_age_days: u32,
) -> Outcome {
    match (risk, assessed_on) {
        (Some(TortureRisk::Risk), _) => Outcome::Fail,
        (Some(TortureRisk::NoRisk), Some(date))
            if date <= as_of && as_of.days_since(date) <= i64::from(max_age_days) =>
        {
            Outcome::Pass
        }
        _ => Outcome::Unknown,
    }
}

/// Jail credits above this many days are capped at the term's length before computing.
const CREDIT_CAP_CHECK_DAYS: u32 = 36_500;

/// An agreement's rules, prepared once for screening many rows.
#[derive(Clone, Debug)]
pub struct Screener {
    rules: Eligibility,
    sending_state: CountryCode,
    receiving_state: CountryCode,
    profile: SentenceProfile,
    /// The E02 cutoff for one screening date ([`Screener::for_date`]).
    age_cutoff: Option<(Date, Option<Date>)>,
}

impl Screener {
    /// Prepares the rules of `agreement`.
    pub fn new(agreement: &Agreement) -> Self {
        Self {
            rules: agreement.eligibility.clone(),
            sending_state: agreement.sending_state,
            receiving_state: agreement.receiving_state,
            profile: agreement.sentence_profile,
            age_cutoff: None,
        }
    }

    /// The same rules, prepared for screening many rows on `as_of` (the results are those of
    /// [`Screener::screen`] on any date; rows screened on `as_of` skip some per-date work).
    pub fn for_date(mut self, as_of: Date) -> Self {
        self.age_cutoff = self.rules.min_age.map(|min_age| (as_of, min_age_cutoff(as_of, min_age)));
        self
    }

    /// Facts about the sentence for E03–E05: the agreement's profile, GCT rate 54, no
    /// disallowance, the row's jail credit. A term that ends outside the calendar makes the row
    /// unreadable (`sentence_term`).
    pub fn sentence_facts(&self, person: &PersonRecord<'_>) -> Result<SentenceFacts, RowError> {
        let (Some(start), Some(term)) = (person.sentence_start, person.sentence_term) else {
            return Ok(match person.sentence_term {
                Some(Term::Life) => SentenceFacts::Life,
                _ => SentenceFacts::Unknown,
            });
        };
        // Credit beyond the whole term changes nothing (release is due at once, docs/sentence.md step 6),
        // so a credit too large for the calendar is capped at the term's length. Ordinary credits
        // (under a century) are used as they are, which costs nothing on the hot path.
        let jail_credit_days = match term {
            Term::Fixed(fixed) if person.jail_credit_days > CREDIT_CAP_CHECK_DAYS => {
                let term_days = sentence::full_term_date(start, &fixed).map_or(0, |ft| ft.days_since(start) + 1);
                person.jail_credit_days.min(u32::try_from(term_days.max(0)).unwrap_or(u32::MAX))
            }
            _ => person.jail_credit_days,
        };
        let input = SentenceInput {
            start,
            term,
            jail_credit_days,
            gct_rate: DEFAULT_GCT_RATE,
            gct_disallowed_days: 0,
            profile: self.profile,
        };
        let dates = sentence::compute(&input)
            .map_err(|e| RowError { column: Some(crate::person::Column::SentenceTerm), message: e.to_string() })?;
        match (dates.full_term_date, dates.projected_release_date) {
            (Some(full_term), Some(projected_release)) => {
                Ok(SentenceFacts::Fixed { term_days: full_term.days_since(start) + 1, projected_release })
            }
            _ => Ok(SentenceFacts::Life),
        }
    }

    /// Whether the row is readable beyond its values: its sentence can be computed under the
    /// agreement's profile. `screen` reports the same error; the imports call this so they refuse
    /// exactly the rows `screen` calls invalid.
    pub fn check(&self, person: &PersonRecord<'_>) -> Result<(), RowError> {
        self.sentence_facts(person).map(|_| ())
    }

    /// Screens one person on `as_of`. Every configured rule is evaluated.
    pub fn screen(&self, person: &PersonRecord<'_>, as_of: Date) -> Result<Screening, RowError> {
        let r = &self.rules;
        let mut s = Screening::default();
        let nationalities = person.nationalities.as_ref();
        if r.require_final_conviction {
            s.set(Rule::E01, e01_final_conviction(person.conviction));
        }
        if let Some(min_age) = r.min_age {
            // e02_min_age, with the cutoff computed once per date rather than per row.
            let cutoff = match self.age_cutoff {
                Some((date, cutoff)) if date == as_of => cutoff,
                _ => min_age_cutoff(as_of, min_age),
            };
            s.set(Rule::E02, person.birth_date.map_or(Outcome::Unknown, |b| check(cutoff.is_some_and(|c| b <= c))));
        }
        let facts = self.sentence_facts(person)?;
        if let Some(min_days) = r.min_sentence_days {
            s.set(Rule::E03, e03_min_sentence(facts, min_days));
        }
        if let Some(min_days) = r.min_remaining_days {
            s.set(Rule::E04, e04_min_remaining(facts, as_of, min_days));
        }
        s.set(Rule::E05, e05_not_served(facts, as_of));
        if r.exclude_life_sentences {
            s.set(Rule::E06, e06_no_life(person.sentence_term));
        }
        if let Some(policy) = r.sending_state_citizens {
            s.set(Rule::E07, e07_sending_state_citizens(policy, self.sending_state, nationalities, person.consent));
        }
        if r.receiving_state_nationals == Some(NationalsPolicy::Forbidden) {
            s.set(Rule::E08, e08_receiving_state_nationals(self.receiving_state, nationalities));
        }
        if let Some(allowed) = &r.allowed_nationalities {
            s.set(Rule::E09, e09_allowed_nationalities(allowed, nationalities));
        }
        if r.require_consent {
            s.set(Rule::E10, e10_consent(r.consent_waived_by_removal_order, person.consent, person.removal_order));
        }
        if r.require_removal_order {
            s.set(Rule::E11, e11_removal_order(person.removal_order));
        }
        if let Some(excluded) = &r.excluded_offences {
            s.set(Rule::E12, e12_excluded_offences(excluded, person.offence_category));
        }
        if let Some(allowed) = &r.allowed_security_classes {
            s.set(Rule::E13, e13_security_class(allowed, person.security_class));
        }
        if r.exclude_care_needs {
            s.set(Rule::E14, e14_care_needs(person.care_needs));
        }
        if let Some(max_age) = r.torture_risk_max_age_days {
            s.set(Rule::E15, e15_torture_risk(person.torture_risk, person.torture_risk_assessed_on, as_of, max_age));
        }
        Ok(s)
    }
}

/// Screens one person against an agreement on `as_of` (docs/rules.md). For many rows, build a
/// [`Screener`] once.
pub fn screen(agreement: &Agreement, person: &PersonRecord<'_>, as_of: Date) -> Result<Screening, RowError> {
    Screener::new(agreement).screen(person, as_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn leap_day_birthdays_fall_on_1_march_in_common_years() {
        let born = d("2008-02-29");
        assert_eq!(age_in_years(born, d("2026-02-28")), 17);
        assert_eq!(age_in_years(born, d("2026-03-01")), 18);
        assert_eq!(age_in_years(born, d("2028-02-28")), 19);
        assert_eq!(age_in_years(born, d("2028-02-29")), 20);
        assert_eq!(age_in_years(d("2007-06-01"), d("2025-06-01")), 18);
        assert_eq!(age_in_years(d("2007-06-02"), d("2025-06-01")), 17);
    }

    #[test]
    fn the_age_cutoff_agrees_with_age_in_years() {
        // Every birth date around the cutoff, for screening dates around the end of February of
        // leap and common years and a few others, and ages from 0 to 120.
        let mut on_dates = Vec::new();
        for year in [1999, 2000, 2023, 2024, 2025, 2100] {
            for (m, dd) in [(2, 27), (2, 28), (2, 29), (3, 1), (3, 2), (1, 1), (12, 31), (6, 15)] {
                if let Ok(on) = Date::from_ymd(year, m, dd) {
                    on_dates.push(on);
                }
            }
        }
        for on in on_dates {
            for min_age in [0u32, 1, 3, 4, 17, 18, 21, 100, 120] {
                let cutoff = min_age_cutoff(on, min_age);
                let centre = cutoff.unwrap_or(Date::MIN);
                for offset in -800..=800 {
                    let Ok(birth) = centre.add_days(offset) else { continue };
                    let by_age = age_in_years(birth, on) >= i64::from(min_age);
                    assert_eq!(cutoff.is_some_and(|c| birth <= c), by_age, "{birth} on {on}, min age {min_age}");
                }
            }
        }
        assert_eq!(min_age_cutoff(d("0005-06-01"), 18), None);
        assert_eq!(min_age_cutoff(d("2025-06-01"), u32::MAX), None);
    }

    #[test]
    fn consent_with_and_without_waiver() {
        use Consent::*;
        use RemovalOrder::{Final, Pending};
        assert_eq!(e10_consent(false, Some(Given), None), Outcome::Pass);
        assert_eq!(e10_consent(false, Some(Refused), Some(Final)), Outcome::Fail);
        assert_eq!(e10_consent(false, None, Some(Final)), Outcome::Unknown);
        assert_eq!(e10_consent(true, Some(Refused), Some(Final)), Outcome::Pass);
        assert_eq!(e10_consent(true, None, Some(Final)), Outcome::Pass);
        assert_eq!(e10_consent(true, Some(Refused), Some(Pending)), Outcome::Fail);
        assert_eq!(e10_consent(true, Some(Refused), None), Outcome::Unknown);
        assert_eq!(e10_consent(true, None, Some(Pending)), Outcome::Unknown);
        assert_eq!(e10_consent(true, Some(Given), Some(RemovalOrder::None)), Outcome::Pass);
    }

    #[test]
    fn torture_risk_assessment_age_is_inclusive_and_future_dates_do_not_count() {
        let as_of = d("2025-06-01");
        let no = Some(TortureRisk::NoRisk);
        assert_eq!(e15_torture_risk(no, Some(d("2025-03-03")), as_of, 90), Outcome::Pass);
        assert_eq!(e15_torture_risk(no, Some(d("2025-03-02")), as_of, 90), Outcome::Unknown);
        assert_eq!(e15_torture_risk(no, Some(d("2025-06-02")), as_of, 90), Outcome::Unknown);
        assert_eq!(e15_torture_risk(no, None, as_of, 90), Outcome::Unknown);
        assert_eq!(e15_torture_risk(Some(TortureRisk::Risk), Some(d("2030-01-01")), as_of, 90), Outcome::Fail);
        assert_eq!(e15_torture_risk(None, Some(d("2025-06-01")), as_of, 90), Outcome::Unknown);
    }

    #[test]
    fn reasons_are_sorted_with_unknowns_marked() {
        let mut s = Screening::default();
        s.set(Rule::E07, Outcome::Fail);
        s.set(Rule::E02, Outcome::Unknown);
        s.set(Rule::E05, Outcome::Pass);
        assert_eq!(s.reasons(), "E02?;E07");
        assert_eq!(s.decision(), Decision::Ineligible);
        let mut s = Screening::default();
        s.set(Rule::E15, Outcome::Unknown);
        assert_eq!(s.decision(), Decision::Review);
        assert_eq!(Screening::default().decision(), Decision::Eligible);
    }

    #[test]
    fn every_rule_has_both_messages_and_a_citation() {
        for rule in Rule::ALL {
            assert!(!rule.message(Language::En).is_empty());
            assert!(!rule.message(Language::Es).is_empty());
            assert_ne!(rule.message(Language::En), rule.message(Language::Es));
            assert!(!rule.citation().is_empty());
            assert_eq!(rule.code().len(), 3);
        }
    }
}
