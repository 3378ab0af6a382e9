//! Oversight, alerts and cells from the command line get the application layer's rules: the same
//! refusal codes, time checks and scope as the API (docs/oversight.md, docs/access.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;
use common::Register;

const AGREEMENT: &str = "examples/agreements/us-sv-cecot.toml";

/// A user added by the (single) admin with the given scopes.
fn scoped_user(r: &Register, name: &str, role: &str, agreements: &str, facilities: &str) -> String {
    let root = r.token("root", "admin");
    let add = r.run_with_token(
        &root,
        &["user", "add", name, "--role", role, "--agreements", agreements, "--facilities", facilities],
    );
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    r.host_token(name)
}

fn stderr_of(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn notifications_and_recommendations_are_refused_with_their_codes() {
    let r = Register::new("oversight-codes");
    r.ok(&["import", "agreement", AGREEMENT]);
    r.ok(&[
        "incident",
        "file",
        "--agreement",
        "us-sv-cecot",
        "--kind",
        "death",
        "--occurred-at",
        "2025-04-01T03:00:00Z",
        "--report",
        "found unresponsive",
    ]);
    let before = r.verified_events();
    let early = r.refused(&["incident", "notify", "1", "--recipient", "next_of_kin", "--at", "2025-03-31T09:00:00Z"]);
    assert!(early.contains("at: is before the incident occurred"), "{early}");
    let future = r.refused(&["incident", "notify", "1", "--recipient", "next_of_kin", "--at", "2999-01-01T00:00:00Z"]);
    assert!(future.contains("at: 2999-01-01T00:00:00Z is in the future"), "{future}");
    r.ok(&["incident", "notify", "1", "--recipient", "next_of_kin", "--at", "2025-04-01T09:00:00Z"]);
    let twice = r.refused(&["incident", "notify", "1", "--recipient", "next_of_kin", "--at", "2025-04-01T10:00:00Z"]);
    assert!(twice.contains("NOT_PENDING: the notification of next_of_kin was already recorded as sent"), "{twice}");
    let blank = r.refused(&["incident", "addendum", "1", "--text", "  "]);
    assert!(blank.contains("text: must not be empty"), "{blank}");

    r.ok(&[
        "inspection",
        "file",
        "--agreement",
        "us-sv-cecot",
        "--body",
        "ICRC",
        "--from",
        "2025-05-01",
        "--to",
        "2025-05-03",
        "--recommendation",
        "allow family visits",
    ]);
    let skipped = r.refused(&["inspection", "recommendation", "1", "--index", "0", "--state", "implemented"]);
    assert!(skipped.contains("RECOMMENDATION_STATE: a recommendation cannot go from open to implemented"), "{skipped}");
    let missing = r.refused(&["inspection", "recommendation", "1", "--index", "5", "--state", "accepted"]);
    assert!(missing.contains("NOT_FOUND: inspection 1 has no recommendation 5"), "{missing}");
    assert_eq!(r.verified_events(), before + 2, "only the notification and the inspection were recorded");
}

#[test]
fn oversight_reads_and_writes_respect_the_token_s_scope_and_role() {
    let r = Register::new("oversight-scope");
    r.ok(&["import", "agreement", AGREEMENT]);
    r.ok(&["import", "agreement", "examples/agreements/dk-xk-gjilan.toml"]);
    let elsewhere = scoped_user(&r, "danish-auditor", "auditor", "dk-xk-gjilan", "*");
    for args in [
        &["alerts", "--agreement", "us-sv-cecot", "--on", "2025-03-15"][..],
        &["report", "legal-basis", "--agreement", "us-sv-cecot", "--on", "2025-03-15"],
        &["contact", "list", "--agreement", "us-sv-cecot"],
    ] {
        let out = stderr_of(&r.run_with_token(&elsewhere, args));
        assert!(out.contains("NOT_FOUND: agreement us-sv-cecot does not exist"), "{args:?}: {out}");
    }
    // An inspector files inspections but does not keep the contact log.
    let inspector = r.token("inspector", "inspector");
    let out = stderr_of(&r.run_with_token(
        &inspector,
        &[
            "contact",
            "log",
            "--agreement",
            "us-sv-cecot",
            "--contact",
            "consul",
            "--at",
            "2025-05-02T10:00:00Z",
            "--means",
            "visit",
        ],
    ));
    assert!(out.contains("FORBIDDEN"), "{out}");
}

#[test]
fn cells_are_imported_only_for_facilities_in_scope() {
    let r = Register::new("cells-scope");
    r.ok(&["import", "agreement", AGREEMENT]);
    let other = scoped_user(&r, "other-officer", "facility_officer", "us-sv-cecot", "izalco");
    let auditor = r.token("auditor", "auditor");
    let before = r.verified_events();
    let out = stderr_of(
        &r.run_with_token(&other, &["import", "cells", "examples/cells/cecot.csv", "--agreement", "us-sv-cecot"]),
    );
    assert!(out.contains("cecot.csv:2: facility_id: \"cecot\" is outside your scope"), "{out}");
    assert!(out.contains("nothing was imported"), "{out}");
    let out = stderr_of(
        &r.run_with_token(&auditor, &["import", "cells", "examples/cells/cecot.csv", "--agreement", "us-sv-cecot"]),
    );
    assert!(out.contains("FORBIDDEN"), "{out}");
    assert_eq!(r.verified_events(), before, "nothing was written");
    let imported = r.ok(&["import", "cells", "examples/cells/cecot.csv", "--agreement", "us-sv-cecot"]);
    assert!(imported.starts_with("cells of cecot: 256 registered"), "{imported}");
    let bad = r.file("bad.csv", "facility_id,cell_id,unit,kind,area_m2,beds\ncecot,B1,u,triple,100,80\n");
    let out = r.refused(&["import", "cells", &bad, "--agreement", "us-sv-cecot"]);
    assert!(out.contains("bad.csv: 1 cell rows cannot be used: nothing was imported\n  "), "{out}");
    assert!(out.contains("bad.csv:2: kind:"), "{out}");
}
