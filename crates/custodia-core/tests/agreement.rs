//! Agreement loading: every kind of problem is reported with its key path, all at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use custodia_core::agreement::{Agreement, CitizenPolicy, Fees, Party};
use custodia_core::person::{OffenceCategory, SecurityClass};
use custodia_core::{Date, SentenceProfile};

const MINIMAL: &str = r#"
id = "us-sv-2025"
title = "US–El Salvador custody arrangement (CECOT)"
sending_state = "US"
receiving_state = "SV"
legal_custodian = "sending"
governing_law = "sending"
currency = "USD"
starts = 2025-03-15
ends = 2026-03-14
sentence_profile = "us-federal"

[[facilities]]
id = "cecot"
name = "Centro de Confinamiento del Terrorismo"
country = "SV"
stated_capacity = 40000
contracted_places = 300

[fees]
model = "per_capita"
capita_minor = 2000000
coverage_days = 365
"#;

/// The problems reported for `source`, as `path: reason` lines.
fn problems(source: &str) -> Vec<String> {
    match Agreement::from_toml(source) {
        Ok(a) => panic!("expected problems, loaded {}", a.id),
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    }
}

/// Asserts that exactly one problem is reported and that it is at `path` and mentions `needle`.
fn single(source: &str, path: &str, needle: &str) {
    let found = problems(source);
    assert_eq!(found.len(), 1, "{found:#?}");
    let prefix = format!("{path}: ");
    assert!(found[0].starts_with(&prefix), "expected a problem at {path}, got {found:?}");
    assert!(found[0].contains(needle), "expected {needle:?} in {found:?}");
}

fn with(extra: &str) -> String {
    format!("{MINIMAL}\n{extra}")
}

fn replace(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "{from}");
    MINIMAL.replacen(from, to, 1)
}

#[test]
fn minimal_file_gets_the_spec_defaults() {
    let a = Agreement::from_toml(MINIMAL).unwrap();
    assert_eq!(a.id.as_str(), "us-sv-2025");
    assert_eq!(a.legal_custodian, Party::Sending);
    assert_eq!(a.starts, Date::parse("2025-03-15").unwrap());
    assert_eq!(a.sentence_profile, SentenceProfile::UsFederal);
    assert_eq!(a.return_before_release_days, 0);
    assert!(!a.public_locator);
    assert_eq!(a.standards.shared_m2_per_person.to_string(), "4");
    assert_eq!(a.standards.single_cell_min_m2.to_string(), "6");
    assert_eq!(a.standards.floor_m2_per_person.to_string(), "3");
    assert_eq!(a.eligibility, Default::default());
    assert_eq!(
        (a.oversight.next_of_kin_hours, a.oversight.sending_state_hours, a.oversight.independent_authority_hours),
        (24, 24, 72)
    );
    assert_eq!(a.fees, Fees::PerCapita { capita_minor: 2_000_000, coverage_days: 365, envelope_minor: None });
}

#[test]
fn full_file_reads_every_key() {
    let source = with(
        r#"
[standards]
shared_m2_per_person = 3.4
single_cell_min_m2 = 5.4
floor_m2_per_person = 3

[eligibility]
require_final_conviction = true
min_age = 18
min_sentence_days = 731
min_remaining_days = 183
exclude_life_sentences = true
sending_state_citizens = "with_consent"
receiving_state_nationals = "forbidden"
allowed_nationalities = ["VE", "CO"]
require_consent = true
consent_waived_by_removal_order = true
require_removal_order = false
excluded_offences = ["terrorism", "war_crimes"]
allowed_security_classes = ["low", "medium"]
exclude_care_needs = true
torture_risk_max_age_days = 90

[oversight]
next_of_kin_hours = 12
sending_state_hours = 6
independent_authority_hours = 48
inspection_bodies = ["ICRC", "US consular section"]
"#,
    )
    .replace("starts = 2025-03-15", "starts = \"2025-03-15\"\nreturn_before_release_days = 30\npublic_locator = true");
    let a = Agreement::from_toml(&source).unwrap();
    assert_eq!(a.return_before_release_days, 30);
    assert!(a.public_locator);
    // Decimals are taken as written: 3.4 is exactly 3.4, not 3.39999…
    assert_eq!(a.standards.shared_m2_per_person.millionths(), 3_400_000);
    assert_eq!(a.standards.single_cell_min_m2.millionths(), 5_400_000);
    let e = &a.eligibility;
    assert!(e.require_final_conviction && e.exclude_life_sentences && e.require_consent && e.exclude_care_needs);
    assert!(!e.require_removal_order, "false is the same as absent");
    assert_eq!((e.min_age, e.min_sentence_days, e.min_remaining_days), (Some(18), Some(731), Some(183)));
    assert_eq!(e.sending_state_citizens, Some(CitizenPolicy::WithConsent));
    assert_eq!(e.excluded_offences, Some(vec![OffenceCategory::Terrorism, OffenceCategory::WarCrimes]));
    assert_eq!(e.allowed_security_classes, Some(vec![SecurityClass::Low, SecurityClass::Medium]));
    assert_eq!(e.torture_risk_max_age_days, Some(90));
    assert_eq!(a.oversight.inspection_bodies, ["ICRC", "US consular section"]);
}

#[test]
fn every_fee_model_loads() {
    let models = [
        (
            "model = \"per_diem\"\nrate_minor = 13290\nclass_rates_minor = { high = 15000 }\nguaranteed_minimum_places = 100",
            "per_diem",
        ),
        (
            "model = \"per_place_month\"\nplace_month_minor = 850000\nreserved_places = 300\nextra_person_day_minor = 0",
            "per_place_month",
        ),
        (
            "model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 365\nenvelope_minor = 600000000",
            "per_capita",
        ),
        ("model = \"lump_sum_year\"\nyear_minor = 3000000000", "lump_sum_year"),
    ];
    for (body, name) in models {
        let source = replace("model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 365", body);
        let a = Agreement::from_toml(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(a.fees.model(), name);
    }
}

#[test]
fn reports_every_problem_at_once() {
    let source = MINIMAL
        .replace("id = \"us-sv-2025\"", "id = \"US SV\"")
        .replace("currency = \"USD\"", "currency = \"usd\"")
        .replace("capita_minor = 2000000", "capita_minor = 0")
        .replace("stated_capacity = 40000", "stated_capacity = 40000\ncolour = \"grey\"");
    let found = problems(&source);
    let paths: Vec<&str> = found.iter().map(|p| p.split(": ").next().unwrap()).collect();
    for expected in ["id", "currency", "fees.capita_minor", "facilities[0].colour"] {
        assert!(paths.contains(&expected), "{expected} missing from {found:#?}");
    }
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found.contains(&"fees.capita_minor: must be a positive integer".to_owned()), "{found:#?}");
}

#[test]
fn missing_required_keys() {
    for key in [
        "id",
        "title",
        "sending_state",
        "receiving_state",
        "legal_custodian",
        "governing_law",
        "currency",
        "starts",
        "ends",
        "sentence_profile",
    ] {
        let line = MINIMAL.lines().find(|l| l.starts_with(&format!("{key} ="))).unwrap();
        single(&MINIMAL.replace(&format!("{line}\n"), ""), key, "is required");
    }
    let without_fees = MINIMAL.split("[fees]").next().unwrap();
    single(without_fees, "fees", "is required");
    let without_facilities = MINIMAL.replace(
        "[[facilities]]\nid = \"cecot\"\nname = \"Centro de Confinamiento del Terrorismo\"\ncountry = \"SV\"\nstated_capacity = 40000\ncontracted_places = 300\n",
        "",
    );
    single(&without_facilities, "facilities", "is required");
    single(&replace("stated_capacity = 40000\n", ""), "facilities[0].stated_capacity", "is required");
    single(&replace("coverage_days = 365\n", ""), "fees.coverage_days", "is required");
}

#[test]
fn unknown_keys_are_errors_at_every_level() {
    single(&replace("title =", "titel = \"x\"\ntitle ="), "titel", "unknown key");
    single(
        &replace("contracted_places = 300", "contracted_places = 300\ncapacity = 1"),
        "facilities[0].capacity",
        "unknown key",
    );
    single(&with("[standards]\nshared_m2 = 4.0"), "standards.shared_m2", "unknown key");
    single(&with("[eligibility]\nmin_ag = 18"), "eligibility.min_ag", "unknown key");
    single(&with("[oversight]\nnext_of_kin_hour = 1"), "oversight.next_of_kin_hour", "unknown key");
    single(&with("[extras]\nx = 1"), "extras", "unknown key");
    // A bad fee value does not hide a misspelt key beside it.
    let found = problems(&replace("coverage_days = 365", "coverage_days = 0\ncapita_minr = 5"));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[1].starts_with("fees.capita_minr: unknown key"), "{found:#?}");
    // A key of another fee model is unknown for this one.
    single(
        &replace("coverage_days = 365", "coverage_days = 365\nrate_minor = 100"),
        "fees.rate_minor",
        "model \"per_capita\"",
    );
}

#[test]
fn wrong_types_name_the_expected_type() {
    single(
        &replace("stated_capacity = 40000", "stated_capacity = \"40000\""),
        "facilities[0].stated_capacity",
        "integer",
    );
    single(&replace("starts = 2025-03-15", "starts = 20250315"), "starts", "date");
    single(&replace("starts = 2025-03-15", "starts = 2025-03-15T10:00:00"), "starts", "YYYY-MM-DD");
    single(&replace("title = \"US–El Salvador custody arrangement (CECOT)\"", "title = 5"), "title", "string");
    single(
        &replace("sentence_profile = \"us-federal\"", "sentence_profile = \"us-federal\"\npublic_locator = \"yes\""),
        "public_locator",
        "true or false",
    );
    single(&with("[eligibility]\nrequire_consent = \"yes\""), "eligibility.require_consent", "true or false");
    single(&with("[standards]\nshared_m2_per_person = \"4\""), "standards.shared_m2_per_person", "decimal");
    single(&with("[oversight]\ninspection_bodies = \"ICRC\""), "oversight.inspection_bodies", "array");
    let block = "[[facilities]]\nid = \"cecot\"\nname = \"Centro de Confinamiento del Terrorismo\"\ncountry = \"SV\"\nstated_capacity = 40000\ncontracted_places = 300\n";
    single(
        &replace(block, "")
            .replace("sentence_profile = \"us-federal\"", "sentence_profile = \"us-federal\"\nfacilities = 3"),
        "facilities",
        "array",
    );
}

#[test]
fn bad_values() {
    single(&replace("id = \"us-sv-2025\"", "id = \"ab\""), "id", "at least 3");
    single(&replace("sending_state = \"US\"", "sending_state = \"USA\""), "sending_state", "ISO 3166-1");
    single(
        &replace("receiving_state = \"SV\"", "receiving_state = \"XK\""),
        "facilities[0].country",
        "receiving state (XK)",
    );
    single(&replace("sending_state = \"US\"", "sending_state = \"SV\""), "receiving_state", "must differ");
    single(&replace("currency = \"USD\"", "currency = \"XYZ\""), "currency", "ISO 4217");
    single(&replace("currency = \"USD\"", "currency = \"XAU\""), "currency", "no minor unit");
    single(
        &replace("legal_custodian = \"sending\"", "legal_custodian = \"both\""),
        "legal_custodian",
        "\"sending\", \"receiving\"",
    );
    single(
        &replace("sentence_profile = \"us-federal\"", "sentence_profile = \"uk\""),
        "sentence_profile",
        "two-thirds",
    );
    single(&replace("ends = 2026-03-14", "ends = 2025-03-14"), "ends", "must not be before starts");
    single(&replace("ends = 2026-03-14", "ends = \"2026-02-29\""), "ends", "no such calendar day");
    single(&replace("contracted_places = 300", "contracted_places = 0"), "facilities[0].contracted_places", "positive");
    single(&replace("coverage_days = 365", "coverage_days = -1"), "fees.coverage_days", "positive");
    single(&replace("model = \"per_capita\"", "model = \"per_person\""), "fees.model", "per_diem");
    single(
        &replace(
            "sentence_profile = \"us-federal\"",
            "sentence_profile = \"us-federal\"\nreturn_before_release_days = -30",
        ),
        "return_before_release_days",
        "0 or more",
    );
    single(&with("[standards]\nfloor_m2_per_person = 5"), "standards.floor_m2_per_person", "must not exceed");
    single(&with("[standards]\nsingle_cell_min_m2 = 0.0"), "standards.single_cell_min_m2", "greater than 0");
    single(&with("[standards]\nsingle_cell_min_m2 = 6e0"), "standards.single_cell_min_m2", "decimal");
    single(
        &with("[eligibility]\nsending_state_citizens = \"never\""),
        "eligibility.sending_state_citizens",
        "with_consent",
    );
    single(
        &with("[eligibility]\nexcluded_offences = [\"arson\"]"),
        "eligibility.excluded_offences[0]",
        "offence category",
    );
    single(
        &with("[eligibility]\nallowed_security_classes = []"),
        "eligibility.allowed_security_classes",
        "at least one",
    );
    single(
        &with("[eligibility]\nallowed_nationalities = [\"VE\", \"VE\"]"),
        "eligibility.allowed_nationalities[1]",
        "twice",
    );
    single(
        &with("[eligibility]\nconsent_waived_by_removal_order = true"),
        "eligibility.consent_waived_by_removal_order",
        "require_consent",
    );
    single(&with("[oversight]\nnext_of_kin_hours = 0"), "oversight.next_of_kin_hours", "positive");
    single(&with("[oversight]\nnext_of_kin_hours = 9000"), "oversight.next_of_kin_hours", "at most 8760");
    let two = replace(
        "contracted_places = 300",
        "contracted_places = 300\n\n[[facilities]]\nid = \"cecot\"\nname = \"Again\"\ncountry = \"SV\"\nstated_capacity = 1\ncontracted_places = 1",
    );
    single(&two, "facilities[1].id", "twice");
}

#[test]
fn syntax_errors_and_limits() {
    let found = problems("id = \"x\"\ntitle = ");
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("not valid TOML"), "{found:?}");
    let huge = format!("{MINIMAL}\n#{}", "x".repeat(custodia_core::agreement::MAX_AGREEMENT_FILE_BYTES));
    assert!(problems(&huge)[0].contains("larger than"));
    single(&with("[fees.class_rates_minor]\nhigh = 1"), "fees.class_rates_minor", "unknown key");
}

#[test]
fn per_diem_class_rates_are_checked() {
    let source = replace(
        "model = \"per_capita\"\ncapita_minor = 2000000\ncoverage_days = 365",
        "model = \"per_diem\"\nrate_minor = 100\nclass_rates_minor = { supermax = 5, high = 0 }",
    );
    let found = problems(&source);
    assert_eq!(
        found,
        [
            "fees.class_rates_minor.high: must be a positive integer",
            "fees.class_rates_minor.supermax: unknown key (security classes are minimum, low, medium, high, maximum)"
        ],
        "{found:#?}"
    );
}

/// Issue 12: the `[custody]` keys, facility time zones and the oversight additions, with their
/// defaults and their problems named by key path (docs/agreement-file.md).
#[test]
fn custody_keys_time_zones_and_family_contact() {
    use custodia_core::agreement::RemovalCustody;
    let a = Agreement::from_toml(MINIMAL).unwrap();
    assert_eq!(a.custody.removal_custody, RemovalCustody::Forbidden);
    assert_eq!(a.custody.removal_custody_max_days, None);
    assert_eq!((a.custody.court_return_days, a.custody.transit_max_hours, a.custody.override_max_days), (7, 48, 30));
    assert_eq!(a.oversight.torture_allegation_hours, 24);
    assert_eq!(a.oversight.family_contact, None);
    assert_eq!(a.facilities[0].time_zone.name(), "UTC");

    let allowed = with(
        "[custody]\nremoval_custody = \"allowed\"\nremoval_custody_max_days = 90\ntransit_max_hours = 12\n\
         [oversight]\ntorture_allegation_hours = 12\nfamily_contact = \"Llame al consulado.\"",
    );
    let a = Agreement::from_toml(&allowed).unwrap();
    assert_eq!((a.custody.removal_custody, a.custody.removal_custody_max_days), (RemovalCustody::Allowed, Some(90)));
    assert_eq!(a.custody.transit_max_hours, 12);
    assert_eq!(a.oversight.torture_allegation_hours, 12);
    assert_eq!(a.oversight.family_contact.as_deref(), Some("Llame al consulado."));

    single(&with("[custody]\nremoval_custody = \"allowed\""), "custody.removal_custody_max_days", "is required");
    single(&with("[custody]\nremoval_custody_max_days = 90"), "custody.removal_custody_max_days", "only when");
    single(&with("[custody]\nremoval_custody = \"sometimes\""), "custody.removal_custody", "sometimes");
    single(&with("[custody]\ncourt_return_day = 7"), "custody.court_return_day", "unknown");
    single(&with("[custody]\ntransit_max_hours = 0"), "custody.transit_max_hours", "");
    let zoned = replace("contracted_places = 300", "contracted_places = 300\ntime_zone = \"America/El_Salvador\"");
    assert_eq!(Agreement::from_toml(&zoned).unwrap().facilities[0].time_zone.name(), "America/El_Salvador");
    let bad = replace("contracted_places = 300", "contracted_places = 300\ntime_zone = \"America/San_Salvador\"");
    single(&bad, "facilities[0].time_zone", "America/San_Salvador");
}

/// docs/agreement-file.md: a facility's `time_zone` is an IANA name (default UTC); an unknown or
/// mistyped one is an error at its key path, naming the value.
#[test]
fn a_facility_time_zone_is_an_iana_name_reported_at_its_key() {
    let zoned = replace("contracted_places = 300\n", "contracted_places = 300\ntime_zone = \"America/El_Salvador\"\n");
    let a = Agreement::from_toml(&zoned).unwrap();
    assert_eq!(a.time_zone_of("cecot").name(), "America/El_Salvador");
    assert_eq!(a.default_time_zone().name(), "America/El_Salvador");
    assert_eq!(Agreement::from_toml(MINIMAL).unwrap().time_zone_of("cecot").name(), "UTC", "default UTC");
    let unknown =
        replace("contracted_places = 300\n", "contracted_places = 300\ntime_zone = \"America/San_Salvador\"\n");
    single(&unknown, "facilities[0].time_zone", "\"America/San_Salvador\" is not an IANA time-zone name");
    let offset = replace("contracted_places = 300\n", "contracted_places = 300\ntime_zone = \"-06:00\"\n");
    single(&offset, "facilities[0].time_zone", "IANA");
    let number = replace("contracted_places = 300\n", "contracted_places = 300\ntime_zone = 6\n");
    single(&number, "facilities[0].time_zone", "string");
}

/// Issue 14: the locator's `family_contact` text has limits, each named by its key path.
#[test]
fn family_contact_is_one_line_of_at_most_500_bytes() {
    let contact = |value: &str| with(&format!("[oversight]\nfamily_contact = {value}"));
    let longest = format!("\"{}\"", "é".repeat(250));
    assert_eq!(Agreement::from_toml(&contact(&longest)).unwrap().oversight.family_contact.map(|c| c.len()), Some(500));
    single(&contact(&format!("\"{}\"", "a".repeat(501))), "oversight.family_contact", "at most 500 bytes");
    single(&contact("\"   \""), "oversight.family_contact", "must not be empty");
    single(&contact("\"Llame\\nal consulado\""), "oversight.family_contact", "control characters");
    single(&contact("42"), "oversight.family_contact", "");
}

/// Issue 17: the optional `[extras_tariff]` prices journeys in the sustainability report; absent,
/// journeys are counted but not priced. Its keys are checked like the fees' and named by path.
#[test]
fn the_extras_tariff_is_optional_and_checked_by_key_path() {
    assert_eq!(Agreement::from_toml(MINIMAL).unwrap().extras_tariff, None);
    let tariff = Agreement::from_toml(&with(
        "[extras_tariff]\ntransport_departure_minor = 450000\ntransport_return_minor = 380000",
    ))
    .unwrap()
    .extras_tariff
    .unwrap();
    assert_eq!((tariff.transport_departure_minor, tariff.transport_return_minor), (450_000, 380_000));
    single(
        &with("[extras_tariff]\ntransport_departure_minor = 0\ntransport_return_minor = 1"),
        "extras_tariff.transport_departure_minor",
        "must be a positive integer",
    );
    single(
        &with("[extras_tariff]\ntransport_departure_minor = 1\ntransport_return_minor = \"12\""),
        "extras_tariff.transport_return_minor",
        "must be a positive integer, not",
    );
    single(
        &with("[extras_tariff]\ntransport_departure_minor = 1"),
        "extras_tariff.transport_return_minor",
        "is required",
    );
    single(
        &with("[extras_tariff]\ntransport_departure_minor = 1\ntransport_return_minor = 1\nflight_minor = 5"),
        "extras_tariff.flight_minor",
        "unknown key",
    );
    single(&format!("extras_tariff = 5\n{MINIMAL}"), "extras_tariff", "must be a table");
}
