//! Raw SHA-256 throughput over the lines of a file (one SHA-256 per line, as the journal hashes one
//! leaf per event), for comparing `custodia journal verify` with plain hashing of the same bytes.
//!
//!     cargo run --release -p custodia-journal --example sha256_lines -- journal-export.jsonl
#![allow(clippy::print_stdout, clippy::disallowed_methods)] // a measuring tool: it prints and reads the clock

use sha2::{Digest, Sha256};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: sha256_lines FILE")?;
    let data = std::fs::read(&path)?;
    let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').filter(|l| !l.is_empty()).collect();
    let bytes: usize = lines.iter().map(|l| l.len()).sum();
    let mut best = f64::MAX;
    let mut sink = 0u8;
    for _ in 0..5 {
        let start = std::time::Instant::now();
        for line in &lines {
            sink ^= Sha256::digest(line).first().copied().unwrap_or(0);
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    println!(
        "raw SHA-256: {} lines, {bytes} bytes, best of 5: {best:.3} s ({:.0} MB/s) [{sink}]",
        lines.len(),
        bytes as f64 / best / 1e6
    );
    Ok(())
}
