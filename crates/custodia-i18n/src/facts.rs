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
        "the decision's written reasons" => "msg-phrase-challenge-reasons",
        _ => return Text::plain(english),
    };
    Text::new(key)
}

/// Every fixed phrase [`phrase`] knows (for the tests).
pub const PHRASES: [&str; 12] = [
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
    "the decision's written reasons",
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
        Refusal::ChallengePending { step, challenges } => {
            Text::new(code).arg("step", *step).arg("challenges", challenges.join(", "))
        }
        Refusal::NotApproved { missing } => Text::new(code).arg("missing", missing.join(", ")),
        Refusal::SameApprover { user, gave } => Text::new(code).arg("user", user).nest("gave", phrase(gave)),
        Refusal::NotEligible { failed, on } => Text::new(code).arg("rules", rule_codes(failed, "")).arg("on", *on),
        Refusal::NeedsReview { unknown, on } => Text::new(code).arg("rules", rule_codes(unknown, "?")).arg("on", *on),
        Refusal::NotUnknown { rule } => Text::new(code).arg("rule", rule.code()),
        Refusal::IncompleteReview { missing } => Text::new(code).arg("rules", rule_codes(missing, "?")),
        Refusal::NoLegalBasis { why } => Text::new("NO_LEGAL_BASIS.refusal").arg("why", why),
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
    use std::collections::BTreeSet;

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
        assert_eq!(
            phrase("a new phrase").render(Language::Es),
            "a new phrase",
            "unknown phrases are shown as they are"
        );
    }

    #[test]
    fn the_rule_texts_of_the_catalogues_are_those_custodia_screen_prints() {
        for rule in Rule::ALL {
            for language in LANGUAGES {
                assert_eq!(crate::text(language, rule.code(), &[]), rule.message(language), "{}", rule.code());
            }
        }
    }

    mod alerts {
        use super::*;
        use custodia_core::agreement::Agreement;
        use custodia_core::alerts::{
            AlertKind, CaseFacts, CellFacts, FacilityCount, IncidentFacts, InvestigationFacts, case_alerts,
            cell_alerts, open_alerts, overdue_investigations, overdue_notifications,
        };
        use custodia_core::capacity::CellCapacity;
        use custodia_core::custody::{Case, Hold, HoldOrder};
        use custodia_core::decimal::Decimal;
        use custodia_core::incidents::{Investigation, Notification, Recipient};
        use custodia_core::person_owned::Person;

        const CECOT: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");

        fn d(text: &str) -> Date {
            Date::parse(text).unwrap()
        }

        fn person(conviction: &str, term: &str) -> Person {
            Person {
                sending_id: "V1".into(),
                birth_date: Some("1990-05-01".into()),
                nationalities: Some("VE".into()),
                conviction: Some(conviction.into()),
                sentence_start: Some("2024-01-01".into()),
                sentence_term: Some(term.into()),
                torture_risk: Some("no_risk".into()),
                torture_risk_assessed_on: Some("2025-03-01".into()),
                ..Person::default()
            }
        }

        fn case(state: CaseState, holds: Vec<Hold>, departed_at_unix: Option<i64>) -> Case {
            let mut c = Case::new();
            c.state = state;
            c.holds = holds;
            c.departed_at_unix = departed_at_unix;
            c
        }

        fn hold(order: HoldOrder) -> Hold {
            Hold {
                reference: "TRO-1".into(),
                authority: "D.D.C.".into(),
                order,
                placed_by: "legal".into(),
                placed_on: d("2025-04-01"),
                lifting: None,
            }
        }

        /// Alerts of every kind the core raises, from ordinary facts.
        fn every_kind_of_alert() -> Vec<Alert> {
            let agreement = Agreement::from_toml(CECOT).unwrap();
            let end = |day: &str| i64::from(d(day).days_since_epoch()) * 86_400 + 86_399;
            let facts = |case_id, case, person, day: &str| CaseFacts {
                case_id,
                case,
                person,
                zone_day: d(day),
                now_unix: end(day),
            };
            let served = person("final", "18m");
            let appeal = person("appeal_pending", "10y");
            let long = person("final", "10y");
            let transit = case(CaseState::InTransit, vec![hold(HoldOrder::Stop)], Some(end("2025-04-01") - 86_400 * 3));
            let custody = case(CaseState::InCustody, vec![hold(HoldOrder::Return)], None);
            let due_soon = served.projected_release(&agreement).unwrap().add_days(-45).unwrap().to_string();
            let mut alerts = case_alerts(
                &agreement,
                &[
                    facts("case-1", &transit, &long, "2025-04-01"),
                    facts("case-2", &custody, &served, "2025-06-20"),
                    facts("case-3", &custody, &appeal, "2025-06-20"),
                    facts("case-4", &custody, &long, "2026-02-20"),
                    facts("case-5", &custody, &long, "2026-04-01"),
                    facts("case-6", &custody, &served, &due_soon),
                ],
            );
            let capacity = CellCapacity { standard: 2, floor: 3, non_compliant: false };
            let cell = |subject, area: &str, occupants| CellFacts {
                subject,
                area_m2: Decimal::parse(area).unwrap(),
                capacity,
                occupants,
                override_on: Some(d("2025-04-01")),
            };
            let cells = [cell("cell-cecot/A1", "9", 4), cell("cell-cecot/A2", "10", 3)];
            alerts.extend(cell_alerts(&cells, 30, d("2025-06-01")));
            let facility = [FacilityCount { facility_id: "cecot", in_custody: 5, standard_capacity: 4 }];
            alerts.extend(open_alerts(&agreement, &[], &facility, &[], d("2025-06-01")));
            let notifications =
                [Notification { recipient: Recipient::NextOfKin, due_at_unix: 1_000, sent_at_unix: None }];
            let zone = custodia_core::zone::TimeZone::parse("America/El_Salvador").unwrap();
            let incidents =
                [IncidentFacts { incident_id: "incident-7", notifications: &notifications, time_zone: zone }];
            alerts.extend(overdue_notifications(&incidents, 1_000 + 3 * 3600 + 5 * 60));
            let investigation = Investigation { opened_at_unix: 0, steps: Vec::new() };
            let open = [InvestigationFacts { incident_id: "incident-8", investigation: &investigation }];
            alerts.extend(overdue_investigations(&open, 40 * 86_400));
            alerts
        }

        #[test]
        fn the_english_catalogue_says_exactly_what_the_core_says_of_every_alert() {
            let alerts = every_kind_of_alert();
            let kinds: BTreeSet<&str> = alerts.iter().map(|a| a.kind.code()).collect();
            let all: BTreeSet<&str> = [
                AlertKind::ReturnNotScheduled,
                AlertKind::ReturnOverdue,
                AlertKind::HeldBeyondRelease,
                AlertKind::NoLegalBasis,
                AlertKind::HoldInTransit,
                AlertKind::StandardCapacityExceeded,
                AlertKind::NotificationOverdue,
                AlertKind::IneligibleInCustody,
                AlertKind::CourtReturnOverdue,
                AlertKind::AgreementEnding,
                AlertKind::HeldAfterAgreementEnd,
                AlertKind::StuckInTransit,
                AlertKind::CellAboveStandard,
                AlertKind::OverrideExpired,
                AlertKind::CellAboveFloor,
                AlertKind::InvestigationOverdue,
            ]
            .iter()
            .map(|k| k.code())
            .collect();
            let missing: Vec<_> = all.difference(&kinds).collect();
            assert!(missing.is_empty(), "no alert of {missing:?} was raised: {alerts:#?}");
            for alert in &alerts {
                let text = alert_reason(alert);
                assert_eq!(text.render(Language::En), alert.reason, "{alert:?}");
                let es = text.render(Language::Es);
                assert_ne!(es, alert.reason, "{alert:?}");
                for (name, value) in &alert.facts {
                    // Every fact a Spanish reader needs is in the Spanish text (words such as the
                    // kind of space share select the wording instead).
                    if value.chars().any(|c| c.is_ascii_digit()) {
                        assert!(es.contains(value.as_str()), "{name}={value} missing from {es:?}");
                    }
                }
            }
        }

        #[test]
        fn an_alert_reads_in_spanish() {
            let alert = Alert {
                kind: AlertKind::HeldBeyondRelease,
                subject: "case-1/V1".into(),
                reason: "projected release was 2025-06-01".into(),
                facts: vec![("release", "2025-06-01".into())],
            };
            assert_eq!(alert_reason(&alert).render(Language::Es), "la excarcelación prevista era el 2025-06-01");
        }
    }
}
