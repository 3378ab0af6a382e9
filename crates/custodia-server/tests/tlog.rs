//! Issue 16: the journal served as a C2SP tlog-tiles log (docs/journal.md#tiles), read by an
//! independent client (Cloudflare's `tlog_tiles` and `signed_note`, ports of Go's sumdb): the
//! checkpoint and the hash tiles with no login, tiles that rebuild the signed root, proofs equal to
//! the ones the client computes from the tiles, entry bundles for readers of the whole register,
//! and the events for inspectors within their scope.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![allow(clippy::disallowed_methods)] // the witness test waits on the wall clock

mod common;

use std::collections::HashMap;

use common::{TestServer, import_persons, person};
use custodia_journal::merkle::{self, Hash};
use custodia_journal::tiles::{self, TileId};
use custodia_store::prelude::*;
use serde_json::Value;

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const GJILAN: &str = "examples/agreements/dk-xk-gjilan.toml";

/// A register of two agreements with more than two leaf tiles of events (people imported
/// under both, one event each).
async fn server() -> TestServer {
    let server = TestServer::start(&[CECOT, GJILAN]).await;
    let us: Vec<_> = (0..400).map(|i| person(&format!("US-{i}"), "Doe", "1990-01-01", "medium")).collect();
    import_persons(&server, common::CECOT_ID, "US", us).await;
    let dk: Vec<_> = (0..200).map(|i| person(&format!("DK-{i}"), "Jensen", "1985-05-05", "medium")).collect();
    import_persons(&server, "dk-xk-gjilan", "DK", dk).await;
    server
}

async fn fetch(server: &TestServer, path: &str, token: Option<&str>) -> reqwest::Response {
    let request = server.client.get(server.url(path));
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Every tile the tree of `size` events has, fetched over HTTP with no login, by the paths the
/// independent client builds.
async fn all_tiles(server: &TestServer, size: u64) -> HashMap<String, Vec<u8>> {
    let mut out = HashMap::new();
    for level in 0..=tiles::MAX_LEVEL {
        let mut index = 0;
        while let Some(id) = TileId::in_tree(level, index, size) {
            let response = fetch(server, &format!("/{}", id.path()), None).await;
            assert_eq!(response.status(), 200, "{}", id.path());
            assert_eq!(header(&response, "content-type"), "application/octet-stream");
            let cache = header(&response, "cache-control");
            assert_eq!(cache.contains("immutable"), id.is_full(), "{}: {cache}", id.path());
            out.insert(id.path(), response.bytes().await.unwrap().to_vec());
            index += 1;
        }
    }
    out
}

struct Reader(HashMap<String, Vec<u8>>);

impl tlog_tiles::TileReader for Reader {
    fn height(&self) -> u8 {
        8
    }

    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        // C2SP tlog-tiles spells `tile/<L>/<N>`; the Go-derived client also writes the height.
        Ok(tiles.iter().map(|t| self.0[&t.path().replacen("tile/8/", "tile/", 1)].clone()).collect())
    }

    fn save_tiles(&self, _tiles: &[tlog_tiles::Tile], _data: &[Vec<u8>]) {}
}

fn b64(v: &Value) -> [u8; 32] {
    Hash::from_base64(v.as_str().unwrap()).unwrap().to_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standard_tlog_client_reads_the_journal_from_its_tiles() {
    let server = server().await;
    let auditor = server.user("audrey", "auditor", &["*"], &[]).await;

    // The checkpoint, with no login, short-lived; signed by the key the register publishes.
    let response = fetch(&server, "/checkpoint", None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "cache-control"), "public, max-age=2");
    let note = response.text().await.unwrap();
    let (_, key) = {
        let r = fetch(&server, "/api/v1/journal/key", Some(&auditor)).await;
        (r.status(), r.text().await.unwrap())
    };
    let verifier = signed_note::StandardVerifier::new(key.trim()).unwrap();
    let opened = signed_note::Note::from_bytes(note.as_bytes()).unwrap();
    opened.verify(&signed_note::VerifierList::new(vec![Box::new(verifier)])).unwrap();
    let checkpoint = tlog_tiles::Checkpoint::from_bytes(opened.text()).unwrap();
    let size = checkpoint.size();
    assert_eq!(size, server.store.journal_size().await.unwrap());
    assert!(size > 600, "{size}: more than two leaf tiles");

    // The tiles rebuild the signed root; the client's proofs are the register's.
    let reader = Reader(all_tiles(&server, size).await);
    let hashes = tlog_tiles::TileHashReader::new(size, *checkpoint.hash(), &reader);
    assert_eq!(tlog_tiles::tree_hash(size, &hashes).unwrap(), *checkpoint.hash());
    for index in [0, 255, 256, size / 2, size - 1] {
        let (status, proof) = server.get(&auditor, &format!("/api/v1/journal/proofs/inclusion?index={index}")).await;
        assert_eq!(status, 200, "{proof}");
        let theirs = tlog_tiles::prove_record(size, index, &hashes).unwrap();
        let ours: Vec<tlog_tiles::Hash> =
            proof["proof"].as_array().unwrap().iter().map(|h| tlog_tiles::Hash(b64(h))).collect();
        assert_eq!(ours, theirs, "inclusion of {index}");
        tlog_tiles::check_record(&ours, size, *checkpoint.hash(), index, tlog_tiles::Hash(b64(&proof["leaf_hash"])))
            .unwrap();
    }
    for old in [1, 256, 300, size - 1] {
        let (status, proof) = server.get(&auditor, &format!("/api/v1/journal/proofs/consistency?old_size={old}")).await;
        assert_eq!(status, 200, "{proof}");
        let ours: Vec<tlog_tiles::Hash> =
            proof["proof"].as_array().unwrap().iter().map(|h| tlog_tiles::Hash(b64(h))).collect();
        assert_eq!(ours, tlog_tiles::prove_tree(size, old, &hashes).unwrap(), "consistency from {old}");
        let old_root = tlog_tiles::Hash(b64(&proof["old_root_hash"]));
        tlog_tiles::check_tree(&ours, size, *checkpoint.hash(), old, old_root).unwrap();
    }

    // Paths: malformed is 400 naming the path; a partial tile at another width, or beyond the
    // tree, does not exist.
    let response = fetch(&server, "/tile/0/1", None).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["field"], "path", "{body}");
    let last = TileId::in_tree(0, size / 256, size).unwrap();
    assert!(!last.is_full());
    let wrong = TileId { width: last.width - 1, ..last };
    assert_eq!(fetch(&server, &format!("/{}", wrong.path()), None).await.status(), 404);
    assert_eq!(fetch(&server, "/tile/0/999", None).await.status(), 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_bundles_are_for_readers_of_the_whole_register() {
    let server = server().await;
    let size = server.store.journal_size().await.unwrap();
    let whole = server.user("ines", "inspector", &["*"], &[]).await;
    let one = server.user("ivo", "inspector", &[common::CECOT_ID], &[]).await;
    let officer = server.user("sam", "sending_officer", &["*"], &[]).await;
    let first = TileId::in_tree(0, 0, size).unwrap();
    let path = format!("/{}", first.entries_path());
    let response = fetch(&server, &path, Some(&whole)).await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "cache-control").starts_with("private"), "entries carry people's records");
    let bundle = response.bytes().await.unwrap();
    let entries = tiles::parse_entry_bundle(&bundle).unwrap();
    assert_eq!(entries.len(), 256);
    let tile = fetch(&server, &format!("/{}", first.path()), None).await.bytes().await.unwrap();
    for (i, entry) in entries.iter().enumerate() {
        assert_eq!(merkle::leaf_hash(entry).as_bytes(), &tile[i * 32..(i + 1) * 32], "entry {i} hashes to its leaf");
    }
    let export = server.store.events(3, 4).await.unwrap();
    assert_eq!(entries[3], export[0].body.as_bytes(), "each entry is exactly the export's line");
    for (token, status) in [(Some(&one), 403), (Some(&officer), 403), (None, 401)] {
        assert_eq!(fetch(&server, &path, token.map(String::as_str)).await.status(), status);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspectors_read_the_events_of_their_scope_and_the_leaf_hashes_of_the_rest() {
    let server = server().await;
    let inspector = server.user("ines", "inspector", &[common::CECOT_ID], &[]).await;
    let size = server.store.journal_size().await.unwrap();
    let (status, page) = server.get(&inspector, "/api/v1/journal/events?from=0").await;
    assert_eq!(status, 200, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, size.min(1000));
    let mut tree = merkle::Tree::new();
    let (mut shown, mut withheld) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        assert_eq!(item["seq"], i as u64);
        let leaf = match item["event"].as_str() {
            Some(body) => {
                shown += 1;
                let event: Value = serde_json::from_str(body).unwrap();
                assert_ne!(event["agreement_id"], "dk-xk-gjilan", "{body}");
                merkle::leaf_hash(body.as_bytes())
            }
            None => {
                withheld += 1;
                Hash::from_bytes(b64(&item["leaf_hash"]))
            }
        };
        tree.push(leaf).unwrap();
    }
    assert!(shown >= 400 && withheld >= 200, "{shown} shown, {withheld} withheld");
    let stored_root = server.store.events(size - 1, size).await.unwrap()[0].root_after.clone();
    if size <= 1000 {
        assert_eq!(tree.root().as_bytes().as_slice(), stored_root.as_slice(), "the page rebuilds the tree");
    }
    // Bounds and who may read.
    let (status, page) = server.get(&inspector, &format!("/api/v1/journal/events?from=10&to={}", size + 50)).await;
    assert_eq!((status, page["to"].as_u64()), (200, Some(size.min(1010))), "{page}");
    let (status, bad) = server.get(&inspector, &format!("/api/v1/journal/events?from={}", size + 1)).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("from")), "{bad}");
    let (status, bad) = server.get(&inspector, "/api/v1/journal/events?from=5&to=2").await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("to")), "{bad}");
    let facility = server.user("fiona", "inspector", &[common::CECOT_ID], &["cecot"]).await;
    let officer = server.user("sam", "sending_officer", &["*"], &[]).await;
    for token in [&facility, &officer] {
        let (status, body) = server.get(token, "/api/v1/journal/events?from=0").await;
        assert_eq!(status, 403, "{body}");
    }
    server.stop().await;
}

/// Issue 16: `WITNESS_COSIGNATURE_OVERDUE` — with a witness configured that never answers, the
/// events of a day wait past the delay by its end; once the witness runs and cosigns, the
/// alert clears and `/checkpoint` carries its cosignature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_that_falls_behind_is_an_alert_until_it_cosigns() {
    let cosigner = custodia_journal::witness::Cosigner::from_seed("ombudsman.example/witness", [5; 32]).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let key = cosigner.verifier();
    let server = TestServer::start_with(&[CECOT], |c| {
        c.witnesses = vec![custodia_app::config::WitnessEndpoint { url, key }];
        c.witness_interval_ms = 100;
        c.witness_max_delay_s = 3_600;
    })
    .await;
    let auditor = server.user("audrey", "auditor", &["*"], &[]).await;
    let codes = |body: &Value| -> Vec<String> {
        body.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["code"] == "WITNESS_COSIGNATURE_OVERDUE")
            .map(|a| a["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    // The events were recorded on 2026-11-28 (the test clock): by the end of that day they have
    // waited more than an hour; at the end of the day before, nothing waited yet.
    let path = |on: &str| format!("/api/v1/alerts?agreement={}&on={on}", common::CECOT_ID);
    let (status, body) = server.get(&auditor, &path("2026-11-28")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(codes(&body), ["witness-ombudsman.example/witness"], "{body}");
    let (_, body) = server.get(&auditor, &path("2026-11-27")).await;
    assert!(codes(&body).is_empty(), "{body}");

    // The witness starts, trusting the register's key: it cosigns, and the alert clears.
    let response = fetch(&server, "/api/v1/journal/key", Some(&auditor)).await;
    let log = custodia_journal::checkpoint::Verifier::parse(response.text().await.unwrap().trim()).unwrap();
    let state = std::env::temp_dir().join(format!("custodia-witness-state-{}", std::process::id()));
    let _ = std::fs::remove_file(&state);
    let witness = custodia_server::witness::Witness::open(cosigner, vec![log], state.clone()).unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(custodia_server::witness::serve(witness, listener, async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let note = loop {
        let note = fetch(&server, "/checkpoint", None).await.text().await.unwrap();
        if note.contains("\u{2014} ombudsman.example/witness ") {
            break note;
        }
        assert!(std::time::Instant::now() < deadline, "no cosignature within 30 s: {note}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(key_cosigned(&note));
    let (_, body) = server.get(&auditor, &path("2026-11-28")).await;
    assert!(codes(&body).is_empty(), "cosigned: {body}");
    let _ = stop.send(());
    let _ = serving.await;
    let _ = std::fs::remove_file(&state);
    server.stop().await;
}

fn key_cosigned(note: &str) -> bool {
    let cosigner = custodia_journal::witness::Cosigner::from_seed("ombudsman.example/witness", [5; 32]).unwrap();
    cosigner.verifier().cosigned_at(note).is_some()
}
