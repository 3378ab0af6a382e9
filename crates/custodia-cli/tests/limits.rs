//! Issue 13, bullet 4, on the command line: a field over its limit is refused naming the field
//! and the limit, with the same words as the API (the application layer checks it), and the
//! register is unchanged. On SQLite and, when CUSTODIA_TEST_POSTGRES_URL is set, on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::Register;

const AGREEMENT: &str = "no-nl-norgerhaven";

fn over_limit_fields_are_refused(r: &Register) {
    let agreement = common::repo().join("examples/agreements/no-nl-norgerhaven.toml");
    r.ok(&["import", "agreement", agreement.to_str().unwrap()]);
    let persons = r.file(
        "p.csv",
        "person_id,birth_date,conviction,sentence_start,sentence_term\nN1,1980-01-01,final,2015-10-01,36m\n",
    );
    r.ok(&["import", "persons", &persons, "--agreement", AGREEMENT]);
    r.ok(&[
        "case",
        "propose",
        "--agreement",
        AGREEMENT,
        "--person",
        "N1",
        "--occurred-at",
        "2015-10-19T10:00:00+02:00",
    ]);
    let before = r.journal_size();

    let long = |bytes: usize| "x".repeat(bytes);
    let over = [
        ("--commitment-order", "admission.commitment_order", 201, 200),
        ("--receiving-id", "admission.receiving_id", 257, 256),
        ("--injuries", "admission.visible_injuries", 2001, 2000),
        ("--property", "admission.property", 2001, 2000),
        ("--next-of-kin", "admission.next_of_kin", 100_000, 2000),
    ];
    for (flag, field, bytes, limit) in over {
        let mut args = vec!["case", "admit", "1", "--commitment-order", "NO-1", "--admitted-on", "2015-10-20"];
        args.extend(["--hour", "14", "--injuries", "none", "--property", "clothes", "--next-of-kin", "brother"]);
        args.extend(["--facility", "norgerhaven", "--cell", "c1", "--reason", "ARRIVED"]);
        let value = long(bytes);
        match args.iter().position(|a| *a == flag) {
            Some(i) => args[i + 1] = &value,
            None => args.extend([flag, &value]),
        }
        let message = r.refused(&args);
        assert!(message.contains(&format!("{field}: must be at most {limit} bytes (it has {bytes})")), "{message}");
    }

    // The 1 MB family name, and long given names, in a person file.
    let family = long(1 << 20);
    let rows = [
        (format!("N2,{family},Ann,NO"), "family_name: must be at most 200 bytes"),
        (format!("N3,Doe,{},NO", long(201)), "given_names: must be at most 200 bytes (it has 201)"),
    ];
    for (row, expected) in rows {
        let file = r.file("big.csv", &format!("person_id,family_name,given_names,nationalities\n{row}\n"));
        let message = r.refused(&["import", "persons", &file, "--agreement", AGREEMENT]);
        assert!(message.contains(expected), "{}", &message[..message.len().min(500)]);
    }
    assert_eq!(r.journal_size(), before, "refused commands write nothing");
}

#[test]
fn over_limit_fields_are_refused_on_the_command_line() {
    over_limit_fields_are_refused(&Register::new("limits"));
}

#[test]
fn over_limit_fields_are_refused_on_the_command_line_on_postgres() {
    // Runs only when CUSTODIA_TEST_POSTGRES_URL names a server (as in CI).
    if let Some(r) = Register::new_on_postgres("limits") {
        over_limit_fields_are_refused(&r);
    }
}
