//! The command line acts as a registered user (docs/access.md#cli-token): `custodia init` is the
//! only command that creates a register, every other register command needs a valid token, and
//! the same role and scope checks as the API apply.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::{Register, custodia};

const AGREEMENT: &str = "examples/agreements/us-sv-cecot.toml";

#[test]
fn a_register_command_without_a_valid_token_writes_nothing_and_says_why() {
    let r = Register::new("no-token");
    let before = r.verified_events();
    let missing = r.bare(&["import", "agreement", AGREEMENT]);
    assert_eq!(missing.status.code(), Some(2));
    let message = String::from_utf8(missing.stderr).unwrap();
    assert!(message.contains("CUSTODIA_TOKEN") && message.contains("--token-file"), "{message}");
    assert!(message.contains("nothing was changed"), "{message}");
    let forged = r.run_with_token("cst_not-a-real-token", &["import", "agreement", AGREEMENT]);
    assert_eq!(forged.status.code(), Some(2));
    assert!(String::from_utf8(forged.stderr).unwrap().contains("not valid"));
    let token_file = r.file("empty.token", "\n");
    let empty = r.bare(&["import", "agreement", AGREEMENT, "--token-file", &token_file]);
    assert_eq!(empty.status.code(), Some(2));
    assert_eq!(r.verified_events(), before, "nothing was written");
    // With the admin's token in a file, the same command works.
    let admin = r.file("root.token", &r.token("root", "admin"));
    let ok = r.bare(&["import", "agreement", AGREEMENT, "--token-file", &admin]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(r.verified_events(), before + 1);
}

#[test]
fn the_token_decides_who_acts_and_what_they_may_do() {
    let r = Register::new("roles");
    r.ok(&["import", "agreement", AGREEMENT]);
    let before = r.verified_events();
    // An auditor reads but may not import, and the refusal names the role.
    let auditor = r.token("auditor", "auditor");
    let refused = r.run_with_token(&auditor, &["import", "agreement", "examples/agreements/dk-xk-gjilan.toml"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8(refused.stderr).unwrap().contains("FORBIDDEN"));
    // Admins hold no operational capability: an admin cannot approve a case step.
    let admin = r.token("root", "admin");
    let refused = r.run_with_token(&admin, &["case", "propose", "--agreement", "us-sv-cecot", "--person", "X1"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8(refused.stderr).unwrap().contains("FORBIDDEN"));
    assert_eq!(r.verified_events(), before);
}

#[test]
fn only_init_creates_a_register() {
    let dir = std::env::temp_dir().join(format!("custodia-cli-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let data = dir.join("data");
    // Any other command on a missing register fails, names the place and `custodia init`, and
    // creates nothing (no database, no signing key).
    for args in [&["journal", "verify"][..], &["user", "token", "root"], &["journal", "checkpoint"]] {
        let out = custodia().args(args).arg("--data-dir").arg(&data).output().unwrap();
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        let message = String::from_utf8(out.stderr).unwrap();
        assert!(message.contains("custodia init"), "{args:?}: {message}");
        assert!(!data.join("custodia.db").exists() && !data.join("journal-signing.key").exists(), "{args:?}");
    }
    let out = custodia().args(["init", "--admin", " Root "]).arg("--data-dir").arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(printed.lines().next().unwrap().starts_with("admin token: cst_"), "{printed}");
    assert!(data.join("custodia.db").is_file() && data.join("journal-signing.key").is_file());
    // A second init is refused and changes nothing.
    let again = custodia().args(["init", "--admin", "other"]).arg("--data-dir").arg(&data).output().unwrap();
    assert_ne!(again.status.code(), Some(0));
    assert!(String::from_utf8(again.stderr).unwrap().contains("already exists"));
    // The admin's name was kept as given, trimmed; user names compare case-blind.
    let token = custodia().args(["user", "token", "ROOT"]).arg("--data-dir").arg(&data).output().unwrap();
    assert!(token.status.success(), "{}", String::from_utf8_lossy(&token.stderr));
    assert!(String::from_utf8(token.stdout).unwrap().contains("for Root"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn user_names_are_unique_after_normalisation_and_scopes_must_exist() {
    let r = Register::new("names");
    r.ok(&["import", "agreement", AGREEMENT]);
    let twin = r.run(&["user", "add", "Sending-Officer ", "--role", "auditor", "--agreements", "*"]);
    assert_eq!(twin.status.code(), Some(2), "{}", String::from_utf8_lossy(&twin.stdout));
    assert!(String::from_utf8(twin.stderr).unwrap().contains("already exists"));
    let nope = r.run(&["user", "add", "nope-user", "--role", "auditor", "--agreements", "nope"]);
    assert_eq!(nope.status.code(), Some(2));
    let message = String::from_utf8(nope.stderr).unwrap();
    assert!(message.contains("agreements") && message.contains("\"nope\""), "{message}");
}

#[test]
fn a_second_admin_confirms_user_changes_and_a_single_admin_is_warned() {
    let r = Register::new("two-admins");
    r.ok(&["import", "agreement", AGREEMENT]);
    // One admin: a change takes effect at once, with the SINGLE_ADMIN warning.
    let added = r.ok(&["user", "add", "ada", "--role", "admin", "--agreements", "*"]);
    assert!(added.contains("applied") && added.contains("SINGLE_ADMIN"), "{added}");
    let ada = r.host_token("ada");
    // Two admins: root's next change waits for ada.
    let proposed = r.ok(&["user", "add", "lin", "--role", "auditor", "--agreements", "us-sv-cecot"]);
    assert!(proposed.contains("proposed") && !proposed.contains("SINGLE_ADMIN"), "{proposed}");
    let id = proposed.split_whitespace().nth(2).unwrap().to_owned();
    let not_yet = r.bare(&["user", "token", "lin"]);
    assert_ne!(not_yet.status.code(), Some(0), "lin is not a user until confirmed");
    let own = r.refused(&["user", "confirm", &id]);
    assert!(own.contains("TWO_PERSON_RULE"), "{own}");
    let confirmed = r.run_with_token(&ada, &["user", "confirm", &id]);
    assert!(confirmed.status.success(), "{}", String::from_utf8_lossy(&confirmed.stderr));
    assert!(r.bare(&["user", "token", "lin"]).status.success());
    // A role change is a change like any other.
    let change = r.ok(&["user", "set", "lin", "--role", "inspector"]);
    assert!(change.contains("proposed"), "{change}");
    let listed = r.run_with_token(&ada, &["user", "changes"]);
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(listed.contains("PENDING") && listed.contains("inspector"), "{listed}");
}

/// Two agreements of one sending state (docs/access.md#persons-and-agreements): every register
/// command that takes a person, a facility or a cell of the other agreement answers as for
/// something that does not exist (`NOT_FOUND`, exit 2) and writes nothing.
#[test]
fn commands_aimed_at_another_agreement_of_the_same_sending_state_find_nothing_and_write_nothing() {
    let r = Register::new("scope");
    let cecot = std::fs::read_to_string(common::repo().join(AGREEMENT)).unwrap();
    let izalco = r.file(
        "izalco.toml",
        &cecot.replacen("id = \"us-sv-cecot\"", "id = \"us-sv-izalco\"", 1).replacen(
            "id = \"cecot\"",
            "id = \"izalco\"",
            1,
        ),
    );
    r.ok(&["import", "agreement", AGREEMENT]);
    r.ok(&["import", "agreement", &izalco]);
    let header = "person_id,birth_date,conviction,sentence_start,sentence_term,removal_order\n";
    let a = r.file("a.csv", &format!("{header}V1,1980-01-01,final,2024-01-01,60m,final\n"));
    let b = r.file("b.csv", &format!("{header}W1,1981-01-01,final,2024-01-01,60m,final\n"));
    r.ok(&["import", "persons", &a, "--agreement", "us-sv-cecot"]);
    r.ok(&["import", "persons", &b, "--agreement", "us-sv-izalco"]);
    let cells = |facility: &str| {
        r.file(
            &format!("{facility}.csv"),
            &format!("facility_id,cell_id,unit,kind,area_m2,beds\n{facility},C-1,u,single,9,1\n"),
        )
    };
    r.ok(&["import", "cells", &cells("cecot"), "--agreement", "us-sv-cecot"]);
    r.ok(&["import", "cells", &cells("izalco"), "--agreement", "us-sv-izalco"]);
    let changed = r.file("izalco-2.csv", "facility_id,cell_id,unit,kind,area_m2,beds\nizalco,C-1,u,single,12,1\n");
    let proposed = r.ok(&["import", "cells", &changed, "--agreement", "us-sv-izalco"]);
    let change_b = proposed
        .split_whitespace()
        .find_map(|w| w.trim_matches(|c: char| !c.is_ascii_digit()).parse::<i64>().ok())
        .unwrap();
    let case_a = r.propose_on("us-sv-cecot", "V1", "setup", "2025-06-01T09:00:00Z").to_string();
    let case_b = r.propose_on("us-sv-izalco", "W1", "setup", "2025-06-01T09:00:00Z").to_string();
    // Users of every role the commands need, scoped to the first agreement only.
    let root = r.token("root", "admin");
    let scoped = |name: &str, role: &str| {
        let add = r.run_with_token(&root, &["user", "add", name, "--role", role, "--agreements", "us-sv-cecot"]);
        assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
        r.host_token(name)
    };
    let sending = scoped("us-a", "sending_officer");
    let facility = scoped("staff-a", "facility_officer");
    let auditor = scoped("reader-a", "auditor");
    let admit = [
        "--commitment-order",
        "CO",
        "--admitted-on",
        "2025-06-02",
        "--hour",
        "6",
        "--injuries",
        "none",
        "--property",
        "none",
        "--next-of-kin",
        "kin",
        "--reason",
        "ARRIVED",
    ];
    let admit_args: Vec<&str> =
        ["case", "admit", case_a.as_str(), "--facility", "izalco", "--cell", "C-1"].into_iter().chain(admit).collect();
    let commands: Vec<(&str, Vec<&str>)> = vec![
        (&sending, vec!["case", "propose", "--agreement", "us-sv-cecot", "--person", "W1"]),
        (&auditor, vec!["case", "show", &case_b]),
        (&sending, vec!["case", "screen", &case_b, "--reason", "SCREENED"]),
        (
            &facility,
            vec!["case", "approve-override", &case_a, "--facility", "izalco", "--cell", "C-1", "--reason", "r"],
        ),
        (&facility, admit_args),
        (&facility, vec!["case", "move", &case_a, "--facility", "izalco", "--cell", "C-1", "--reason", "MOVED"]),
        (&facility, vec!["import", "cells", &changed, "--agreement", "us-sv-cecot"]),
    ];
    let change_b = change_b.to_string();
    let mut commands = commands;
    commands.push((&facility, vec!["cells", "confirm", change_b.as_str()]));
    let before = r.verified_events();
    for (token, args) in &commands {
        let out = r.run_with_token(token, args);
        let message = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {message}");
        // A cells file naming another agreement's facility is a bad row of the user's own
        // agreement (it says nothing about the other one); everything else is not found.
        let found_nothing = message.contains("NOT_FOUND")
            || message.contains("does not exist")
            || message.contains("\"izalco\" is not a facility of agreement us-sv-cecot");
        assert!(found_nothing, "{args:?}: {message}");
        assert_eq!(r.verified_events(), before, "{args:?} wrote nothing");
    }
    // The export lists the persons of the user's agreements only.
    let exported = String::from_utf8(r.run_with_token(&auditor, &["export", "persons"]).stdout).unwrap();
    assert!(exported.contains("\nV1,") && !exported.contains("W1"), "{exported}");
}

/// Tokens with an expiry; disabled users are refused until two admins enable them.
#[test]
fn tokens_expire_and_disabled_users_are_refused() {
    let r = Register::new("disable");
    let issued = r.bare(&["user", "token", "auditor", "--expires-in", "8h"]);
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let issued = String::from_utf8(issued.stdout).unwrap();
    assert!(issued.contains("expires at "), "{issued}");
    let refused = r.bare(&["user", "token", "auditor", "--expires-in", "forever"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("expires_in"));
    let auditor = r.token("auditor", "auditor");
    assert!(r.run_with_token(&auditor, &["user", "tokens"]).status.success());
    let disabled = r.ok(&["user", "disable", "auditor"]);
    assert!(disabled.contains("disabled"), "{disabled}");
    let out = r.run_with_token(&auditor, &["user", "tokens"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("disabled"), "a disabled user's token is refused");
    assert_ne!(r.bare(&["user", "token", "auditor"]).status.code(), Some(0), "no new token on the host either");
    // One admin (root): enabling takes effect at once; the last admin cannot be disabled.
    assert!(r.ok(&["user", "enable", "auditor"]).contains("enabled"));
    assert!(r.run_with_token(&auditor, &["user", "tokens"]).status.success());
    assert!(r.refused(&["user", "disable", "root"]).contains("LAST_ADMIN"));
}
