//! TLS to PostgreSQL (issue 13, bullet 5): the register reaches a server that accepts TLS only,
//! and `sslmode` in the database URL is honoured. Needs the cluster of
//! `scripts/pg-cluster.sh start-tls` (CUSTODIA_TEST_POSTGRES_TLS_URL and _ROOT); without it the
//! test says so and passes, as the other PostgreSQL tests do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use custodia_store::prelude::*;
use custodia_store::{Store, Target};

fn cluster() -> Option<(String, String)> {
    let url = std::env::var("CUSTODIA_TEST_POSTGRES_TLS_URL").ok();
    let root = std::env::var("CUSTODIA_TEST_POSTGRES_TLS_ROOT").ok();
    if url.is_none() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "TLS test skipped: CUSTODIA_TEST_POSTGRES_TLS_URL is not set");
    }
    url.zip(root)
}

async fn open(url: &str) -> Result<Store, custodia_store::StoreError> {
    Store::open(&Target::Url(url.to_owned())).await
}

#[tokio::test]
async fn sslmode_is_honoured_against_a_server_that_requires_tls() {
    let Some((base, root)) = cluster() else { return };
    for mode in
        ["require", "prefer", &format!("verify-ca&sslrootcert={root}"), &format!("verify-full&sslrootcert={root}")]
    {
        let store = open(&format!("{base}?sslmode={mode}")).await.unwrap_or_else(|e| panic!("sslmode={mode}: {e}"));
        assert!(store.journal_size().await.is_ok(), "sslmode={mode}: the register answers");
        store.close().await;
    }
    let refused = open(&format!("{base}?sslmode=disable")).await.expect_err("without TLS the server refuses");
    let message = refused.to_string();
    assert!(message.contains("no encryption") && message.contains("pg_hba.conf"), "{message}");
    // Verification needs the server's certificate authority: the system's roots do not have it.
    let unverified = open(&format!("{base}?sslmode=verify-full")).await.expect_err("an unknown issuer is refused");
    assert!(unverified.to_string().to_lowercase().contains("certificate"), "{unverified}");
}
