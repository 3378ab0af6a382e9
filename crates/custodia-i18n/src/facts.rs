//! The core's refusals and alerts as messages: the stable code as the key, the facts as named
//! arguments. The English catalogue gives exactly the core's own English text (tests say so), so
//! the code, the facts and the English words stay where the rule is decided.

use custodia_core::alerts::Alert;
use custodia_core::custody::Refusal;
use custodia_core::eligibility::Rule;

use crate::Text;

/// Rule codes joined by `;`, each followed by `suffix` (`E02?;E15?`), as the core writes them.
fn rule_codes(rules: &[Rule], suffix: &str) -> String {
    rules.iter().map(|r| format!("{}{suffix}", r.code())).collect::<Vec<_>>().join(";")
}

/// A message naming one of the core's fixed English phrases (`the review resolution`, `the
/// reason` …) by its key; a phrase the catalogue does not know yet is shown as it is.
fn phrase(english: &'static str) -> Text {
    let key = match english {
        "the receiving approval" => "msg-phrase-receiving-approval",
        "the sending approval" => "msg-phrase-sending-approval",
        "the first override approval" => "msg-phrase-first-override-approval",
        "the review resolution" => "msg-phrase-review-resolution",
        "the lifting of the hold" => "msg-phrase-hold-lifting",
        "the override's written reason" => "msg-phrase-override-reason",
        "the reason" => "msg-phrase-reason",
        "the hold's reference" => "msg-phrase-hold-reference",
        "the hold's authority" => "msg-phrase-hold-authority",
        "the lifting decision's reference" => "msg-phrase-lifting-reference",
        "each finding's evidence" => "msg-phrase-finding-evidence",
        _ => return Text::plain(english),
    };
    Text::new(key)
}

/// Every fixed phrase [`phrase`] knows (for the tests).
pub const PHRASES: [&str; 11] = [
    "the receiving approval",
    "the sending approval",
    "the first override approval",
    "the review resolution",
    "the lifting of the hold",
    "the override's written reason",
    "the reason",
    "the hold's reference",
    "the hold's authority",
    "the lifting decision's reference",
    "each finding's evidence",
];

/// `cell A-101` as a message (`celda A-101`); any other place as it is.
fn place(place: &str) -> Text {
    match place.strip_prefix("cell ") {
        Some(cell) => Text::new("msg-place-cell").arg("cell", cell),
        None => Text::plain(place),
    }
}

/// The facts of a case refusal (without its code), keyed by its code (`ON_HOLD` …).
pub fn refusal_facts(refusal: &Refusal) -> Text {
    let code = refusal.code();
    match refusal {
        Refusal::InvalidTransition { state, step, needs } => {
            Text::new(code).arg("state", state.as_str()).arg("step", *step).arg("needs", needs.as_str())
        }
        Refusal::OnHold { step, holds } => Text::new(code).arg("step", *step).arg("holds", holds.join(", ")),
        Refusal::NotApproved { missing } => Text::new(code).arg("missing", missing.join(", ")),
        Refusal::SameApprover { user, gave } => Text::new(code).arg("user", user).nest("gave", phrase(gave)),
        Refusal::NotEligible { failed, on } => Text::new(code).arg("rules", rule_codes(failed, "")).arg("on", *on),
        Refusal::NeedsReview { unknown, on } => {
            Text::new(code).arg("rules", rule_codes(unknown, "?")).arg("on", *on)
        }
        Refusal::NotUnknown { rule } => Text::new(code).arg("rule", rule.code()),
        Refusal::IncompleteReview { missing } => Text::new(code).arg("rules", rule_codes(missing, "?")),
        Refusal::NoLegalBasis { why } => Text::new(code).arg("why", why),
        Refusal::AgreementEnded { ends, on } => Text::new(code).arg("ends", *ends).arg("on", *on),
        Refusal::NoCommitmentOrder => Text::new(code),
        Refusal::NoIntakeRecord { missing } => Text::new(code).arg("missing", missing.join(", ")),
        Refusal::CapacityFloor { place: at, current, floor } => {
            Text::new(code).nest("place", place(at)).count("current", *current).count("floor", *floor)
        }
        Refusal::ContractedPlaces { facility_id, current, places } => {
            Text::new(code).arg("facility", facility_id).count("current", *current).count("places", *places)
        }
        Refusal::NeedsOverride { place: at, current, standard, floor } => Text::new(code)
            .nest("place", place(at))
            .count("current", *current)
            .count("standard", *standard)
            .count("floor", *floor),
        Refusal::UnknownHold { reference } => Text::new(code).arg("reference", format!("{reference:?}")),
        Refusal::NoReason { what } => Text::new(code).nest("what", phrase(what)),
        Refusal::WrongDestination { asked, record: Some(record) } => {
            Text::new(code).arg("asked", asked).arg("record", record)
        }
        Refusal::WrongDestination { asked, record: None } => {
            Text::new("WRONG_DESTINATION.no-record").arg("asked", asked)
        }
    }
}

/// A case refusal as `CODE: facts` (the core's `Display`), in the reader's language.
pub fn refusal(refusal: &Refusal) -> Text {
    Text::new("msg-refusal").arg("code", refusal.code()).nest("facts", refusal_facts(refusal))
}

/// Why an alert is open, keyed by its code (`HELD_BEYOND_RELEASE` …) with the alert's facts.
pub fn alert_reason(alert: &Alert) -> Text {
    let mut text = Text::new(alert.kind.code());
    for (name, value) in &alert.facts {
        text = text.arg(name, value.as_str());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LANGUAGES, Language, has};
    use custodia_core::date::Date;
    use custodia_core::lifecycle::CaseState;

    fn every_refusal() -> Vec<Refusal> {
        let on = Date::parse("2026-12-05").unwrap();
        let mut all = vec![
            Refusal::InvalidTransition { state: CaseState::InCustody, step: "depart", needs: "scheduled".into() },
            Refusal::OnHold { step: "depart", holds: vec!["ORD-1".into(), "ORD-2".into()] },
            Refusal::NotApproved { missing: vec!["sending", "receiving"] },
            Refusal::NotEligible { failed: vec![Rule::E07, Rule::E15], on },
            Refusal::NeedsReview { unknown: vec![Rule::E02], on },
            Refusal::NotUnknown { rule: Rule::E03 },
            Refusal::IncompleteReview { missing: vec![Rule::E10, Rule::E11] },
            Refusal::NoLegalBasis { why: "on 2026-12-05: the conviction is appeal_pending".into() },
            Refusal::AgreementEnded { ends: on, on },
            Refusal::NoCommitmentOrder,
            Refusal::NoIntakeRecord { missing: vec!["health", "property"] },
            Refusal::CapacityFloor { place: "cell A-101".into(), current: 5, floor: 5 },
            Refusal::ContractedPlaces { facility_id: "cecot".into(), current: 300, places: 300 },
            Refusal::NeedsOverride { place: "cell A-101".into(), current: 4, standard: 4, floor: 6 },
            Refusal::UnknownHold { reference: "ORD-9".into() },
            Refusal::WrongDestination { asked: "SV".into(), record: Some("HN".into()) },
            Refusal::WrongDestination { asked: "SV".into(), record: None },
        ];
        all.extend(PHRASES.iter().map(|p| Refusal::SameApprover { user: "ana".into(), gave: p }));
        all.extend(PHRASES.iter().map(|p| Refusal::NoReason { what: p }));
        all
    }

    #[test]
    fn the_english_catalogue_says_exactly_what_the_core_says_of_every_refusal() {
        for r in every_refusal() {
            assert_eq!(refusal(&r).render(Language::En), r.to_string());
        }
    }

    #[test]
    fn every_refusal_reads_in_spanish_with_its_code_and_facts() {
        for r in every_refusal() {
            let text = refusal(&r);
            assert!(text.keys().iter().all(|k| LANGUAGES.iter().all(|l| has(*l, k))), "{:?}", text.keys());
            let es = text.render(Language::Es);
            assert!(es.starts_with(&format!("{}: ", r.code())), "{es}");
            assert_ne!(es, text.render(Language::En), "{es}");
        }
        let held = refusal(&Refusal::OnHold { step: "depart", holds: vec!["ORD-1".into()] }).render(Language::Es);
        assert_eq!(held, "ON_HOLD: hay una retención judicial vigente (ORD-1); depart espera a que se levante");
    }

    #[test]
    fn every_known_phrase_has_a_message() {
        for p in PHRASES {
            assert!(phrase(p).key().is_some(), "{p}");
            assert_eq!(phrase(p).render(Language::En), p);
        }
        assert_eq!(phrase("a new phrase").render(Language::Es), "a new phrase", "unknown phrases are shown as they are");
    }

    #[test]
    fn the_rule_texts_of_the_catalogues_are_those_custodia_screen_prints() {
        for rule in Rule::ALL {
            for language in LANGUAGES {
                assert_eq!(crate::text(language, rule.code(), &[]), rule.message(language), "{}", rule.code());
            }
        }
    }
}
