//! Property: missing data never yields `eligible`. Blanking a value that a configured rule needs
//! (a column where docs/person-file.md says empty means unknown) always gives `review` or `ineligible`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use custodia_core::Agreement;
use custodia_core::eligibility::{Decision, Screener};
use custodia_core::person::{Column, PersonHeader, PersonRecord};
use custodia_core::{Date, date::EPOCH};
use proptest::prelude::*;

/// Every rule configured; the waiver and the E07 policy vary.
fn agreement(policy: &str, waiver: bool) -> Agreement {
    let source = format!(
        r#"
id = "props"
title = "All rules"
sending_state = "US"
receiving_state = "SV"
legal_custodian = "sending"
governing_law = "sending"
currency = "USD"
starts = 2025-01-01
ends = 2030-12-31
sentence_profile = "us-federal"
[[facilities]]
id = "f"
name = "F"
country = "SV"
stated_capacity = 10
contracted_places = 10
[fees]
model = "lump_sum_year"
year_minor = 1
[eligibility]
require_final_conviction = true
min_age = 18
min_sentence_days = 365
min_remaining_days = 30
exclude_life_sentences = {life}
sending_state_citizens = "{policy}"
receiving_state_nationals = "forbidden"
allowed_nationalities = ["VE", "US", "MX"]
require_consent = true
consent_waived_by_removal_order = {waiver}
require_removal_order = {removal}
excluded_offences = ["terrorism"]
allowed_security_classes = ["low", "medium"]
exclude_care_needs = true
torture_risk_max_age_days = 365
"#,
        life = !waiver,
        removal = !waiver,
    );
    Agreement::from_toml(&source).unwrap()
}

const COLUMNS: [Column; 13] = [
    Column::BirthDate,
    Column::Nationalities,
    Column::Conviction,
    Column::OffenceCategory,
    Column::SentenceStart,
    Column::SentenceTerm,
    Column::SecurityClass,
    Column::Consent,
    Column::RemovalOrder,
    Column::TortureRisk,
    Column::TortureRiskAssessedOn,
    Column::CareNeeds,
    Column::JailCreditDays,
];

/// A row that is usually eligible, with some variation in every column.
fn row() -> impl Strategy<Value = Vec<String>> {
    (
        (7_000i64..12_000, prop_oneof![Just("VE"), Just("MX"), Just("US"), Just("VE;US"), Just("CO")]),
        (prop_oneof![4 => Just("final"), 1 => Just("appeal_pending")], prop_oneof![Just("drug"), Just("fraud")]),
        (19_500i64..20_200, prop_oneof![Just("10y"), Just("60m"), Just("life"), Just("400d"), Just("2y6m15d")]),
        (prop_oneof![Just("low"), Just("medium")], prop_oneof![Just("given"), Just("refused")]),
        (prop_oneof![Just("final"), Just("pending")], prop_oneof![4 => Just("no_risk"), 1 => Just("risk")]),
        (0i64..200, prop_oneof![4 => Just("no"), 1 => Just("yes")], 0u32..100),
    )
        .prop_map(
            |(
                (birth, nat),
                (conv, off),
                (start, term),
                (class, consent),
                (removal, risk),
                (assessed, care, credit),
            )| {
                let date = |days: i64| EPOCH.add_days(days).unwrap().to_string();
                vec![
                    date(birth),
                    nat.to_owned(),
                    conv.to_owned(),
                    off.to_owned(),
                    date(start),
                    term.to_owned(),
                    class.to_owned(),
                    consent.to_owned(),
                    removal.to_owned(),
                    risk.to_owned(),
                    date(20_240 - assessed),
                    care.to_owned(),
                    credit.to_string(),
                ]
            },
        )
}

fn decide(screener: &Screener, header: &PersonHeader, values: &[String]) -> Decision {
    let mut fields: Vec<&[u8]> = vec![b"P1"];
    fields.extend(values.iter().map(|v| v.as_bytes()));
    let person = PersonRecord::parse(header, fields.as_slice()).unwrap();
    screener.screen(&person, Date::parse("2025-06-01").unwrap()).unwrap().decision()
}

/// Whether some configured rule cannot be decided without `column` for this row (docs/rules.md): the
/// only values a rule can do without are those the spec makes irrelevant.
fn needed(column: Column, values: &[String], waiver: bool) -> bool {
    let value = |c: Column| values[COLUMNS.iter().position(|x| *x == c).unwrap()].as_str();
    match column {
        // Empty jail credit means 0, not unknown (docs/person-file.md).
        Column::JailCreditDays => false,
        // Life passes E03–E05 whatever the start date.
        Column::SentenceStart => value(Column::SentenceTerm) != "life",
        // A final removal order stands in for consent under the waiver; E07 reads consent only
        // for nationals of the sending state under "with_consent".
        Column::Consent => !(waiver && value(Column::RemovalOrder) == "final"),
        // Without the waiver E11 needs it; with it, E10 needs it unless consent is given.
        Column::RemovalOrder => !waiver || value(Column::Consent) != "given",
        // A `risk` finding fails whatever its date.
        Column::TortureRiskAssessedOn => value(Column::TortureRisk) == "no_risk",
        // Every other column is read by exactly one configured rule that cannot do without it
        // (nationalities: E08 and E09 always need them, whatever the E07 policy).
        _ => true,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn blanking_a_needed_value_never_yields_eligible(
        values in row(),
        policy in prop_oneof![Just("forbidden"), Just("with_consent"), Just("allowed")],
        waiver in any::<bool>(),
        index in 0usize..COLUMNS.len(),
    ) {
        let agreement = agreement(policy, waiver);
        let screener = Screener::new(&agreement);
        let mut names = vec!["person_id"];
        names.extend(COLUMNS.iter().map(|c| c.name()));
        let header = PersonHeader::from_names(names.iter().map(|n| n.as_bytes())).unwrap();
        let column = COLUMNS[index];
        let mut blanked = values.clone();
        blanked[index].clear();
        let before = decide(&screener, &header, &values);
        let after = decide(&screener, &header, &blanked);
        if needed(column, &values, waiver) {
            prop_assert_ne!(after, Decision::Eligible, "{} blanked in {:?} (before: {:?})", column.name(), values, before);
        }
        // Blanking a value whose emptiness means unknown never turns a decision into eligible.
        // (An empty jail credit means 0 days, a real value: it can move release later and so
        // satisfy E04.)
        if before != Decision::Eligible && column != Column::JailCreditDays {
            prop_assert_ne!(after, Decision::Eligible);
        }
        // The same holds when the column is missing from the file altogether.
        let mut fewer_names = names.clone();
        fewer_names.remove(index + 1);
        let fewer_header = PersonHeader::from_names(fewer_names.iter().map(|n| n.as_bytes())).unwrap();
        let mut fewer_values = values.clone();
        fewer_values.remove(index);
        let missing = decide(&screener, &fewer_header, &fewer_values);
        prop_assert_eq!(missing, after, "a missing column means unknown, as an empty cell does");
    }
}

#[test]
fn the_generator_produces_eligible_rows() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let agreement = agreement("with_consent", true);
    let screener = Screener::new(&agreement);
    let mut names = vec!["person_id"];
    names.extend(COLUMNS.iter().map(|c| c.name()));
    let header = PersonHeader::from_names(names.iter().map(|n| n.as_bytes())).unwrap();
    let mut runner = TestRunner::deterministic();
    let strategy = row();
    let eligible = (0..500)
        .filter(|_| {
            decide(&screener, &header, &strategy.new_tree(&mut runner).unwrap().current()) == Decision::Eligible
        })
        .count();
    assert!(eligible >= 25, "only {eligible} of 500 generated rows are eligible: the property would be vacuous");
}
