//! Issue 12 through the command line: the safeguards of docs/lifecycle.md#safeguards bind every
//! case. Each scenario shows the refusal code or the alert, and that a refused step wrote nothing,
//! on SQLite and, when CUSTODIA_TEST_POSTGRES_URL is set (as in CI), on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::Register;

const AGREEMENT: &str = "examples/agreements/us-sv-cecot.toml";
const A: &str = "us-sv-cecot";
const HEADER: &str = "person_id,family_name,birth_date,nationalities,conviction,sentence_start,sentence_term,\
                      removal_order,removal_destination,torture_risk,torture_risk_assessed_on";

/// A Venezuelan adult with a final conviction and a no-risk assessment of 2025-05-01: eligible
/// under the CECOT example on days within 90 days of it.
fn venezuelan(id: &str) -> String {
    format!("{id},Reyes,1990-04-02,VE,final,2024-01-01,60m,final,VE,no_risk,2025-05-01")
}

/// A day within the term and the assessment's 90 days, in San Salvador's time.
fn at(day: &str) -> String {
    format!("{day}T10:00:00-06:00")
}

/// The scenario's register on SQLite, then on PostgreSQL when CUSTODIA_TEST_POSTGRES_URL names a
/// server (as in CI).
fn registers(name: &str, rows: &[String]) -> Vec<Register> {
    Register::on_every_database(name).into_iter().map(|r| prepared(r, rows)).collect()
}

fn prepared(r: Register, rows: &[String]) -> Register {
    prepared_with(r, AGREEMENT, rows)
}

/// A register with `agreement` (a path) imported, CECOT's cells, the persons `rows` and the two
/// legal officers.
fn prepared_with(r: Register, agreement: &str, rows: &[String]) -> Register {
    r.ok(&["import", "agreement", agreement]);
    r.ok(&["import", "cells", "examples/cells/cecot.csv", "--agreement", A]);
    let persons = r.file("persons.csv", &format!("{HEADER}\n{}\n", rows.join("\n")));
    r.ok(&["import", "persons", &persons, "--agreement", A]);
    // The two legal officers of the two-person steps, made before any journal size is counted.
    r.token("dana", "legal_officer");
    r.token("eli", "legal_officer");
    r
}

/// A refused step: exit 2, the code in the message, and nothing written.
fn refused(r: &Register, args: &[&str], code: &str) -> String {
    let size = r.journal_size();
    let message = r.refused(args);
    assert!(message.contains(code), "{args:?}: expected {code}: {message}");
    assert_eq!(r.journal_size(), size, "{args:?}: a refused step writes nothing");
    message
}

fn propose(r: &Register, person: &str, day: &str) -> String {
    let out = r.ok(&["case", "propose", "--agreement", A, "--person", person, "--occurred-at", &at(day)]);
    out.split_whitespace().nth(1).unwrap().to_owned()
}

fn step(r: &Register, args: &[&str], day: &str) -> String {
    let when = at(day);
    let mut args = args.to_vec();
    args.extend(["--occurred-at", when.as_str()]);
    r.ok(&args)
}

/// Takes a new case for `person` to in_transit; returns its id.
fn to_transit(r: &Register, person: &str) -> String {
    let id = propose(r, person, "2025-06-01");
    step(r, &["case", "screen", &id, "--reason", "SCREENING"], "2025-06-01");
    step(r, &["case", "approve", &id, "--state", "sending", "--reason", "AGREED"], "2025-06-02");
    step(r, &["case", "approve", &id, "--state", "receiving", "--reason", "AGREED"], "2025-06-02");
    step(r, &["case", "schedule", &id, "--reason", "BOOKED"], "2025-06-03");
    step(r, &["case", "depart", &id, "--reason", "LEFT"], "2025-06-04");
    id
}

fn admit_args(id: &str) -> Vec<String> {
    [
        "case",
        "admit",
        id,
        "--commitment-order",
        "US-DOJ-1",
        "--admitted-on",
        "2025-06-04",
        "--hour",
        "12",
        "--injuries",
        "none",
        "--property",
        "clothing",
        "--next-of-kin",
        "sister",
        "--facility",
        "cecot",
        "--cell",
        "B1-C01",
        "--reason",
        "ADMITTED",
        "--occurred-at",
        "2025-06-04T12:00:00-06:00",
    ]
    .map(str::to_owned)
    .to_vec()
}

fn admit(r: &Register, id: &str) -> String {
    let args = admit_args(id);
    r.ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn alerts(r: &Register, day: &str) -> Vec<(String, String)> {
    let out = r.ok(&["alerts", "--agreement", A, "--on", day, "--json"]);
    let alerts: serde_json::Value = serde_json::from_str(&out).unwrap();
    alerts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["code"].as_str().unwrap().to_owned(), a["subject"].as_str().unwrap().to_owned()))
        .collect()
}

/// Bullet 1: the decision is computed; a review resolves unknowns only; an amended record
/// re-screens the case of someone held.
#[test]
fn safeguard_decisions_are_computed_and_bind_every_step() {
    let citizen = "C1,Smith,1990-01-01,US,final,2024-01-01,60m,none,,no_risk,2025-05-01".to_owned();
    let undated = "R1,Rivas,,VE,final,2024-01-01,60m,none,,no_risk,2025-05-01".to_owned();
    for r in registers("safeguard-decisions", &[citizen, undated, venezuelan("V1")]) {
        let id = propose(&r, "C1", "2025-06-01");
        // No decision can be typed in.
        let typed = r.run(&["case", "screen", &id, "--decision", "eligible", "--reason", "SCREENING"]);
        assert_eq!(typed.status.code(), Some(2));
        let screened = step(&r, &["case", "screen", &id, "--reason", "SCREENING"], "2025-06-01");
        assert!(screened.contains("screened"), "{screened}");
        let shown = r.ok(&["case", "show", &id]);
        assert!(shown.contains("screened ineligible on 2025-06-01: E07"), "{shown}");
        let approve = [
            "case",
            "approve",
            &id,
            "--state",
            "sending",
            "--reason",
            "AGREED",
            "--occurred-at",
            "2025-06-02T10:00:00-06:00",
        ];
        let message = refused(&r, &approve, "NOT_ELIGIBLE");
        assert!(message.contains("NOT_ELIGIBLE: E07"), "{message}");

        let id = propose(&r, "R1", "2025-06-01");
        step(&r, &["case", "screen", &id, "--reason", "SCREENING"], "2025-06-01");
        let approve = [
            "case",
            "approve",
            &id,
            "--state",
            "sending",
            "--reason",
            "AGREED",
            "--occurred-at",
            "2025-06-02T10:00:00-06:00",
        ];
        refused(&r, &approve, "NEEDS_REVIEW: E02?");
        let when = at("2025-06-01");
        let resolve = |finding: &str, actor: &str| {
            vec![
                "case",
                "resolve-review",
                &id,
                "--finding",
                finding,
                "--reason",
                "REVIEWED",
                "--occurred-at",
                &when,
                "--actor",
                actor,
            ]
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<String>>()
        };
        let args = resolve("E01=pass:judgment seen", "dana");
        refused(&r, &args.iter().map(String::as_str).collect::<Vec<_>>(), "NOT_UNKNOWN");
        let args = resolve("E02=pass:birth certificate seen", "dana");
        r.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        refused(&r, &["case", "confirm-review", &id, "--reason", "CONFIRMED", "--actor", "dana"], "SAME_APPROVER");
        r.ok(&["case", "confirm-review", &id, "--reason", "CONFIRMED", "--actor", "eli"]);
        r.ok(&approve);

        // Held, then amended to a US citizen: re-screened, and flagged.
        let held = to_transit(&r, "V1");
        admit(&r, &held);
        let amended = r.file(
            "amended.csv",
            &format!("{HEADER}\nV1,Reyes,1990-04-02,VE;US,final,2024-01-01,60m,final,VE,no_risk,2025-05-01\n"),
        );
        let out = r.ok(&["import", "persons", &amended, "--agreement", A]);
        assert!(
            out.contains(&format!(
                "rescreened: case {held} (person V1, in_custody): ineligible E07 — INELIGIBLE_IN_CUSTODY"
            )),
            "{out}"
        );
        assert!(alerts(&r, "2025-06-10").contains(&("INELIGIBLE_IN_CUSTODY".into(), format!("case-{held}/V1"))));
    }
}

/// Bullet 2: legal basis computed on the day; removal to the record's destination; turning back.
#[test]
fn safeguard_legal_basis_removal_and_turning_back() {
    let appealing = "P1,Lopez,1990-01-01,VE,appeal_pending,2024-01-01,60m,none,,no_risk,2025-05-01".to_owned();
    for r in registers("safeguard-basis", &[appealing, venezuelan("V1"), venezuelan("V2")]) {
        let size = r.journal_size();
        let message =
            r.refused(&["case", "propose", "--agreement", A, "--person", "P1", "--occurred-at", &at("2025-06-01")]);
        assert!(message.contains("NO_LEGAL_BASIS") && message.contains("appeal_pending"), "{message}");
        assert_eq!(r.journal_size(), size);

        let held = to_transit(&r, "V1");
        admit(&r, &held);
        refused(&r, &["case", "remove", &held, "--to", "SV", "--reason", "REMOVED"], "WRONG_DESTINATION");
        let removed =
            r.ok(&["case", "remove", &held, "--to", "VE", "--reason", "REMOVED", "--occurred-at", &at("2025-07-01")]);
        assert!(removed.contains("remove → removed"), "{removed}");

        let flying = to_transit(&r, "V2");
        let hold = [
            "case",
            "place-hold",
            &flying,
            "--authority",
            "D.D.C.",
            "--reference",
            "TRO-1",
            "--order",
            "return",
            "--reason",
            "COURT_ORDER",
        ];
        r.ok(&hold);
        let args = admit_args(&flying);
        refused(&r, &args.iter().map(String::as_str).collect::<Vec<_>>(), "ON_HOLD");
        refused(&r, &["case", "withdraw", &flying, "--reason", "COURT_ORDER"], "INVALID_TRANSITION");
        let back = r.ok(&["case", "turn-back", &flying, "--reason", "COURT_ORDER"]);
        assert!(back.contains("turn_back → returned"), "{back}");
    }
}

/// Bullet 3: court orders with authority, reference and order; lifting by two legal officers;
/// COURT_RETURN_OVERDUE.
#[test]
fn safeguard_court_orders_and_two_person_lifting() {
    for r in registers("safeguard-orders", &[venezuelan("V1")]) {
        let id = to_transit(&r, "V1");
        let when = at("2025-06-04");
        r.ok(&[
            "case",
            "place-hold",
            &id,
            "--authority",
            "D.D.C.",
            "--reference",
            "TRO-1",
            "--order",
            "stop",
            "--reason",
            "COURT_ORDER",
            "--occurred-at",
            &when,
        ]);
        let args = admit_args(&id);
        let admit_refs: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(&r, &admit_refs, "ON_HOLD");
        r.ok(&[
            "case",
            "lift-hold",
            &id,
            "--reference",
            "TRO-1",
            "--decision",
            "stay 25-5067",
            "--reason",
            "ORDER_VACATED",
            "--actor",
            "dana",
        ]);
        refused(&r, &admit_refs, "ON_HOLD");
        refused(
            &r,
            &["case", "confirm-lift", &id, "--reference", "TRO-1", "--reason", "ORDER_VACATED", "--actor", "dana"],
            "SAME_APPROVER",
        );
        r.ok(&["case", "confirm-lift", &id, "--reference", "TRO-1", "--reason", "ORDER_VACATED", "--actor", "eli"]);
        r.ok(&admit_refs);

        r.ok(&[
            "case",
            "place-hold",
            &id,
            "--authority",
            "D.D.C.",
            "--reference",
            "ORDER-2",
            "--order",
            "return",
            "--reason",
            "COURT_ORDER",
            "--occurred-at",
            &at("2025-06-10"),
        ]);
        let subject = format!("case-{id}/V1");
        assert!(!alerts(&r, "2025-06-17").contains(&("COURT_RETURN_OVERDUE".into(), subject.clone())));
        assert!(alerts(&r, "2025-06-18").contains(&("COURT_RETURN_OVERDUE".into(), subject)));
    }
}

/// Bullet 4: the end of the agreement, transit time, contracted places.
#[test]
fn safeguard_the_end_of_the_agreement_and_transit() {
    for r in registers("safeguard-end", &[venezuelan("V1"), venezuelan("V2")]) {
        let size = r.journal_size();
        let message =
            r.refused(&["case", "propose", "--agreement", A, "--person", "V2", "--occurred-at", &at("2026-03-15")]);
        assert!(message.contains("AGREEMENT_ENDED"), "{message}");
        assert_eq!(r.journal_size(), size);
        let id = to_transit(&r, "V1");
        let subject = format!("case-{id}/V1");
        assert!(alerts(&r, "2025-06-06").contains(&("STUCK_IN_TRANSIT".into(), subject.clone())));
        admit(&r, &id);
        assert!(alerts(&r, "2026-01-13").contains(&("AGREEMENT_ENDING".into(), subject.clone())));
        assert!(alerts(&r, "2026-03-15").contains(&("HELD_AFTER_AGREEMENT_END".into(), subject)));
    }
}

/// Bullet 4: the contracted places bind. With CECOT's 300 places cut to 1, a second admission is
/// refused CONTRACTED_PLACES (never the floor's code) and writes nothing.
#[test]
fn safeguard_contracted_places_bind() {
    for r in Register::on_every_database("safeguard-places") {
        let source = std::fs::read_to_string(common::repo().join(AGREEMENT)).unwrap();
        assert!(source.contains("contracted_places = 300"), "the example's contracted places");
        let one_place =
            r.file("one-place.toml", &source.replacen("contracted_places = 300", "contracted_places = 1", 1));
        let r = prepared_with(r, &one_place, &[venezuelan("V1"), venezuelan("V2")]);
        let first = to_transit(&r, "V1");
        admit(&r, &first);
        let second = to_transit(&r, "V2");
        let args = admit_args(&second);
        let message = refused(&r, &args.iter().map(String::as_str).collect::<Vec<_>>(), "CONTRACTED_PLACES");
        assert!(message.contains("1 held in cecot for 1 contracted places"), "{message}");
        assert!(!message.contains("CAPACITY_FLOOR"), "{message}");
    }
}

/// Bullet 6: a death is recorded with its incident and its three notifications in one step; a
/// record-death without a report, or on a case not held, is refused and writes nothing.
#[test]
fn safeguard_a_death_is_recorded_with_its_incident() {
    for r in registers("safeguard-death", &[venezuelan("V1"), venezuelan("V2")]) {
        let db = r.database();
        let id = to_transit(&r, "V1");
        admit(&r, &id);
        let proposed = propose(&r, "V2", "2025-06-01");
        let size = r.journal_size();
        let blank = r.run(&["case", "record-death", &id, "--report", " ", "--reason", "DIED_IN_CUSTODY"]);
        assert_eq!(blank.status.code(), Some(2), "{db}: a death needs its report");
        assert!(String::from_utf8_lossy(&blank.stderr).contains("report"), "{db}");
        let args = ["case", "record-death", &proposed, "--report", "x", "--reason", "DIED_IN_CUSTODY"];
        refused(&r, &args, "INVALID_TRANSITION");
        assert_eq!(r.journal_size(), size, "{db}: refused steps write nothing");
        assert_eq!(r.ok(&["incident", "list", "--agreement", A]).trim(), "", "{db}: no incident yet");

        let report = "found unresponsive in cell B1-C01 at the 03:20 count";
        step(&r, &["case", "record-death", &id, "--report", report, "--reason", "DIED_IN_CUSTODY"], "2025-09-14");
        let listed = r.ok(&["incident", "list", "--agreement", A]);
        assert!(listed.contains("death at 2025-09-14T16:00:00Z"), "{db}: {listed}");
        // The incident's event, in the journal with the death: its case and its report.
        let journal = r.ok(&["journal", "export"]);
        let filed: Vec<serde_json::Value> = journal
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e.to_string().contains(report) && e.to_string().contains("incident"))
            .collect();
        assert!(!filed.is_empty(), "{db}: no incident event with the report: {journal}");
        assert!(filed[0].to_string().contains(&format!("\"case_id\":{id}")), "{db}: {}", filed[0]);
        for recipient in ["next_of_kin", "sending_state", "independent_authority"] {
            assert!(listed.contains(&format!("notify {recipient}")), "{db}: {recipient}: {listed}");
        }
        let shown = r.ok(&["case", "show", &id]);
        assert!(shown.contains("deceased"), "{db}: {shown}");
    }
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Issue 15, bullet 5: the person contests the transfer before departure. The challenge blocks
/// the departure (`CHALLENGE_PENDING`, nothing written) until one legal officer decides it with
/// written reasons and a second confirms; dismissed, the flight leaves; upheld, the case is
/// withdrawn. After departure a challenge is refused.
#[test]
fn safeguard_a_challenge_blocks_departure_until_two_legal_officers_decide_it() {
    for r in registers("safeguard-challenge", &[venezuelan("V1"), venezuelan("V2")]) {
        let scheduled = |person: &str| {
            let id = propose(&r, person, "2025-06-01");
            step(&r, &["case", "screen", &id, "--reason", "SCREENING"], "2025-06-01");
            step(&r, &["case", "approve", &id, "--state", "sending", "--reason", "AGREED"], "2025-06-02");
            step(&r, &["case", "approve", &id, "--state", "receiving", "--reason", "AGREED"], "2025-06-02");
            step(&r, &["case", "schedule", &id, "--reason", "BOOKED"], "2025-06-03");
            id
        };
        let challenge = |id: &str, reference: &str| {
            r.ok(&[
                "case",
                "place-hold",
                id,
                "--authority",
                "the person, by counsel",
                "--reference",
                reference,
                "--order",
                "challenge",
                "--reason",
                "CHALLENGE_FILED",
                "--actor",
                "dana",
            ])
        };
        let decide = |id: &str, reference: &str, outcome: &str, who: &str| -> Vec<String> {
            ["case", "decide-challenge", id, "--reference", reference, "--outcome", outcome]
                .into_iter()
                .chain(["--reasons", "written reasons on the file", "--reason", "CHALLENGE_DECIDED", "--actor", who])
                .map(str::to_owned)
                .collect()
        };
        let confirm = |id: &str, reference: &str, who: &str| -> Vec<String> {
            ["case", "confirm-lift", id, "--reference", reference, "--reason", "CHALLENGE_DECIDED", "--actor", who]
                .map(str::to_owned)
                .to_vec()
        };

        let first = scheduled("V1");
        challenge(&first, "CH-1");
        let when = at("2025-06-04");
        let depart = ["case", "depart", first.as_str(), "--reason", "LEFT", "--occurred-at", when.as_str()];
        let message = refused(&r, &depart, "CHALLENGE_PENDING");
        assert!(message.contains("CH-1"), "{message}");
        r.ok(&refs(&decide(&first, "CH-1", "dismissed", "dana")));
        refused(&r, &depart, "CHALLENGE_PENDING");
        refused(&r, &refs(&confirm(&first, "CH-1", "dana")), "SAME_APPROVER");
        r.ok(&refs(&confirm(&first, "CH-1", "eli")));
        let left = r.ok(&depart);
        assert!(left.contains("depart → in_transit"), "{left}");
        let late = [
            "case",
            "place-hold",
            first.as_str(),
            "--authority",
            "the person",
            "--reference",
            "CH-2",
            "--order",
            "challenge",
            "--reason",
            "CHALLENGE_FILED",
        ];
        refused(&r, &late, "INVALID_TRANSITION");

        let second = scheduled("V2");
        challenge(&second, "CH-3");
        r.ok(&refs(&decide(&second, "CH-3", "upheld", "eli")));
        let withdrawn = r.ok(&refs(&confirm(&second, "CH-3", "dana")));
        assert!(withdrawn.contains("withdrawn"), "{withdrawn}");
        let shown = r.ok(&["case", "show", &second]);
        assert!(shown.contains("withdrawn"), "{shown}");
    }
}

/// Issue 15, bullet 1: a complaint's answer is due `complaint_answer_days` (14 by default) after it
/// was made (`COMPLAINT_UNANSWERED` from the day after); a confidential one is read only by the
/// inspecting bodies and the sending state's officers — the facility neither lists it, nor sees
/// its alert, nor records one; an allegation of ill-treatment opens its incident; the journal
/// replays it all.
#[test]
fn complaints_are_answered_in_time_and_confidential_ones_never_reach_the_facility() {
    for r in registers("rights-complaints", &[venezuelan("V1")]) {
        let case = to_transit(&r, "V1");
        r.token("fiona", "facility_officer");
        r.token("ines", "inspector");
        r.token("sam", "sending_officer");
        let file = |extra: &[&str], text: &str, who: &str| {
            let mut args = vec!["complaint", "file", "--agreement", A, "--case", case.as_str(), "--text", text];
            args.extend_from_slice(extra);
            args.extend(["--made-at", "2025-06-05T10:00:00-06:00", "--actor", who]);
            args.iter().map(|a| (*a).to_owned()).collect::<Vec<String>>()
        };
        let secret =
            file(&["--category", "treatment", "--confidential"], "guards took my letters to the consul", "sam");
        assert!(r.ok(&refs(&secret)).contains("complaint 1 filed"));
        let list = |who: &str| r.ok(&["complaint", "list", "--agreement", A, "--actor", who]);
        assert!(list("ines").contains("guards took my letters"), "the inspector reads it");
        assert!(!list("fiona").contains("guards took my letters"), "the facility never reads it");
        let by_facility = file(&["--category", "treatment", "--confidential"], "a second secret", "fiona");
        refused(&r, &refs(&by_facility), "confidential");

        let open = file(&["--category", "conditions"], "no water in the cell for two days", "fiona");
        assert!(r.ok(&refs(&open)).contains("complaint 2 filed"));
        let alerts = |on: &str, who: &str| r.ok(&["alerts", "--agreement", A, "--on", on, "--actor", who]);
        // Made on 5 June (16:00 UTC): due on 19 June at 16:00 UTC, overdue at the end of that day.
        assert!(!alerts("2025-06-18", "ines").contains("COMPLAINT_UNANSWERED"), "not yet due");
        let due = alerts("2025-06-19", "ines");
        assert!(due.contains("complaint-1") && due.contains("complaint-2"), "{due}");
        let facility = alerts("2025-06-19", "fiona");
        assert!(facility.contains("complaint-2") && !facility.contains("complaint-1"), "{facility}");
        let answered = r.ok(&["complaint", "answer", "2", "--text", "water restored on 7 June", "--actor", "fiona"]);
        assert!(answered.contains("answered late"), "{answered}");
        assert!(!alerts("2025-06-19", "ines").contains("complaint-2"), "answered: no longer an alert");
        refused(&r, &["complaint", "answer", "2", "--text", "again", "--actor", "fiona"], "ALREADY_ANSWERED");
        refused(&r, &["complaint", "escalate", "1", "--body", "a newspaper", "--actor", "sam"], "body");
        let escalated = r.ok(&["complaint", "escalate", "1", "--body", "ICRC", "--actor", "sam"]);
        assert!(escalated.contains("escalated"), "{escalated}");
        // The facility cannot answer or escalate what it may not read: not found.
        let message = r.refused(&["complaint", "answer", "1", "--text", "no", "--actor", "fiona"]);
        assert!(message.contains("complaint 1 does not exist"), "{message}");

        let allegation = file(&["--category", "treatment", "--alleges-ill-treatment"], "beaten at intake", "ines");
        let filed = r.ok(&refs(&allegation));
        assert!(filed.contains("complaint 3 filed") && filed.contains("opened (torture_allegation)"), "{filed}");
        let verify = r.ok(&["journal", "verify"]);
        assert!(verify.starts_with("ok"), "{verify}");
        // The journal, which any user may export, keeps a complaint's words only as their SHA-256.
        let journal = r.ok(&["journal", "export", "--actor", "fiona"]);
        assert!(
            journal.contains("complaint.filed") && !journal.contains("guards took my letters"),
            "the words stay out"
        );
    }
}

/// Issue 15, bullets 2–4 through the command line, on both databases: the medical examination
/// due within 24 hours of admission (`MEDICAL_EXAM_OVERDUE`) that must document the injuries the
/// intake saw; the health file read by medical officers only (a finance officer and the facility
/// read the fitness, never the findings, and the journal keeps only their SHA-256); counsel never
/// refused for capacity; family visits below the monthly minimum and consular access overdue after
/// a quarter; solitary confinement refused for a person found unfit, reviewed every day, and
/// critical after 15 consecutive days.
#[test]
fn care_examinations_visits_and_solitary_keep_their_deadlines() {
    for r in registers("rights-care", &[venezuelan("V1")]) {
        let case = to_transit(&r, "V1");
        let subject = format!("case-{case}/V1");
        let mut admission = admit_args(&case);
        let injuries = admission.iter().position(|a| a == "--injuries").unwrap() + 1;
        admission[injuries] = "bruise under the left eye".into();
        r.ok(&refs(&admission));
        let has = |day: &str, code: &str| alerts(&r, day).contains(&(code.to_owned(), subject.clone()));
        // Admitted 2025-06-04 at 12:00 in San Salvador: due by 12:00 the next day.
        assert!(!has("2025-06-04", "MEDICAL_EXAM_OVERDUE"), "within 24 hours");
        assert!(has("2025-06-05", "MEDICAL_EXAM_OVERDUE"), "{:?}", alerts(&r, "2025-06-05"));

        let examine = |purpose: &str, solitary: &str, at: &str, injuries: Option<&str>, who: &str| {
            let mut args = vec!["care", "examine", "--agreement", A, "--case", case.as_str(), "--purpose", purpose];
            args.extend(["--examiner", "Dr. Ana Ruiz, MD", "--custody", "fit", "--transfer", "fit"]);
            args.extend(["--solitary", solitary, "--findings", "hypertension, on enalapril", "--at", at]);
            if let Some(i) = injuries {
                args.extend(["--injuries", i]);
            }
            args.extend(["--actor", who]);
            args.iter().map(|a| (*a).to_owned()).collect::<Vec<String>>()
        };
        let on_the_5th = "2025-06-05T09:00:00-06:00";
        let facility_examines = examine("admission", "unfit", on_the_5th, Some("x"), "facility-officer");
        refused(&r, &refs(&facility_examines), "FORBIDDEN");
        refused(
            &r,
            &refs(&examine("admission", "unfit", on_the_5th, None, "medical-officer")),
            "INJURIES_UNDOCUMENTED",
        );
        let documented =
            examine("admission", "unfit", on_the_5th, Some("haematoma 3 cm, left orbit"), "medical-officer");
        r.ok(&refs(&documented));
        assert!(!has("2025-06-05", "MEDICAL_EXAM_OVERDUE"), "examined in time");
        let list = |who: &str| r.ok(&["care", "list", "--agreement", A, "--actor", who]);
        assert!(list("medical-officer").contains("hypertension"), "medical staff read the health file");
        for who in ["finance-officer", "facility-officer", "inspector"] {
            let shown = list(who);
            assert!(shown.contains("health file withheld") && !shown.contains("hypertension"), "{who}: {shown}");
            assert!(shown.contains("solitary unfit"), "{who} reads the fitness: {shown}");
        }
        let journal = r.ok(&["journal", "export", "--actor", "finance-officer"]);
        assert!(journal.contains("examination.recorded") && !journal.contains("hypertension"), "the findings stay out");

        // Solitary confinement: refused while unfit; after a new examination, placed once.
        let place = |at: &str| {
            let args = ["care", "place", "--agreement", A, "--case", &case, "--reason", "fight", "--at", at];
            args.map(str::to_owned).to_vec()
        };
        refused(&r, &refs(&place("2025-06-06T10:00:00-06:00")), "UNFIT_FOR_SOLITARY");
        r.ok(&refs(&examine("other", "fit", "2025-06-06T08:00:00-06:00", None, "medical-officer")));
        let placed = r.ok(&refs(&place("2025-06-06T10:00:00-06:00")));
        let placement = placed.split_whitespace().next().unwrap().to_owned();
        refused(&r, &refs(&place("2025-06-06T11:00:00-06:00")), "ALREADY_IN_SOLITARY");
        assert!(has("2025-06-07", "SOLITARY_REVIEW_OVERDUE"), "no review on the first day");
        r.ok(&refs(&examine("solitary_review", "fit", "2025-06-07T09:00:00-06:00", None, "medical-officer")));
        assert!(!has("2025-06-07", "SOLITARY_REVIEW_OVERDUE"), "reviewed");
        // Placed 6 June at 10:00: 15 whole days at the end of 21 June, 16 at the end of 22 June.
        assert!(!has("2025-06-21", "PROLONGED_SOLITARY"));
        assert!(has("2025-06-22", "PROLONGED_SOLITARY"), "{:?}", alerts(&r, "2025-06-22"));
        let end = ["care", "end-solitary", placement.as_str(), "--at", "2025-06-23T10:00:00-06:00"];
        assert!(r.ok(&end).contains("ended"));
        refused(&r, &end, "ALREADY_ENDED");
        assert!(has("2025-06-22", "PROLONGED_SOLITARY"), "on that day it still was");
        assert!(!has("2025-06-24", "PROLONGED_SOLITARY"), "ended");

        // Visits: counsel never refused for capacity; a family minimum of 1 a month (the CECOT
        // example's `family_contacts_per_month`), and refused contacts do not count.
        let visit = |kind: &str, outcome: &[&str], at: &str| {
            let mut args = vec!["care", "visit", "--agreement", A, "--case", case.as_str(), "--kind", kind];
            args.extend(["--visitor", "María Reyes", "--at", at]);
            args.extend_from_slice(outcome);
            args.iter().map(|a| (*a).to_owned()).collect::<Vec<String>>()
        };
        let capacity = ["--outcome", "refused", "--ground", "capacity", "--reason", "visiting room full"];
        refused(&r, &refs(&visit("counsel_visit", &capacity, "2025-07-02T10:00:00-06:00")), "COUNSEL_NOT_REFUSABLE");
        r.ok(&refs(&visit("family_visit", &capacity, "2025-07-02T10:00:00-06:00")));
        let no_line = ["--outcome", "refused", "--ground", "other", "--reason", "telephone line down"];
        r.ok(&refs(&visit("family_call", &no_line, "2025-07-09T10:00:00-06:00")));
        refused(
            &r,
            &refs(&visit("family_call", &["--outcome", "held", "--ground", "security"], "2025-07-10T10:00:00Z")),
            "ground",
        );
        assert!(!has("2025-07-31", "VISITS_BELOW_MINIMUM"), "June was not a whole month in custody");
        r.ok(&refs(&visit("family_call", &["--outcome", "held"], "2025-08-09T10:00:00-06:00")));
        assert!(!has("2025-09-01", "VISITS_BELOW_MINIMUM"), "one held in August");
        let august = alerts(&r, "2025-08-01");
        assert!(august.contains(&("VISITS_BELOW_MINIMUM".into(), subject.clone())), "none held in July: {august:?}");
        // Consular access: none held in the 91 days since admission.
        assert!(!has("2025-09-02", "CONSULAR_ACCESS_OVERDUE"));
        assert!(has("2025-09-03", "CONSULAR_ACCESS_OVERDUE"));
        r.ok(&refs(&visit("consular_visit", &["--outcome", "held"], "2025-08-20T10:00:00-06:00")));
        assert!(!has("2025-09-03", "CONSULAR_ACCESS_OVERDUE"), "visited on 20 August");

        // The inspector's report of CECOT for June to September (issue 15, bullet 6).
        let report = |language: &str, format: &str| {
            let period = ["--from", "2025-06-01", "--to", "2025-09-30", "--format", format, "--actor", "inspector"];
            let args =
                [&["--lang", language, "report", "inspection", "--agreement", A, "--facility", "cecot"][..], &period]
                    .concat();
            r.ok(&args)
        };
        let csv = report("en", "csv");
        let value = |metric: &str| {
            let line = csv
                .lines()
                .find(|l| l.starts_with(&format!("{metric},,")))
                .unwrap_or_else(|| panic!("{metric}: {csv}"));
            line.rsplit(',').next().unwrap().parse::<i64>().unwrap()
        };
        assert_eq!((value("admissions"), value("examined-on-time")), (1, 1), "{csv}");
        assert_eq!((value("solitary-placements"), value("prolonged-solitary")), (1, 1), "{csv}");
        assert_eq!(value("solitary-days"), 17, "6 June 10:00 to 23 June 10:00: {csv}");
        assert_eq!((value("contacts-refused"), value("consular-visits-held")), (2, 1), "{csv}");
        // July, August and September in custody; the minimum of 1 held in August only.
        assert_eq!((value("person-months"), value("person-months-at-minimum")), (3, 1), "{csv}");
        assert!(csv.contains("examined within 24 hours of admission"), "{csv}");
        let spanish = report("es", "csv");
        assert!(spanish.contains("examinados en las 24 horas siguientes al ingreso"), "{spanish}");
        let svg = report("es", "svg");
        assert!(svg.starts_with("<svg") && svg.contains("Quejas por categoría"), "{svg}");

        let verify = r.ok(&["journal", "verify"]);
        assert!(verify.starts_with("ok"), "{verify}");
    }
}
