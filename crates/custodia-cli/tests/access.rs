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
