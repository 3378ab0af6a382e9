//! Helpers shared by the fuzz targets (`fuzz_targets/`): how one fuzz input holds several files.
//!
//! A target that needs an agreement and a CSV file (cells, stays, extras) reads its input as
//! sections separated by a line `%%`: the agreement TOML first, then the files in a fixed order.
//! `scripts/fuzz.sh` seeds the corpora in that form from `examples/` and `tests/fixtures/`.

use std::sync::Once;

use custodia_core::Agreement;
use custodia_core::csv::Delimiter;

/// The line that separates the sections of one input.
pub const SEPARATOR: &str = "\n%%\n";

/// Longest agreement term the billing and cells targets accept, in days (ten years): a term of
/// millennia is legal but makes one execution take seconds, which would starve the search.
pub const MAX_TERM_DAYS: i64 = 3_660;

/// Splits `input` into at most `n` sections at [`SEPARATOR`]; missing sections are empty.
pub fn sections(input: &str, n: usize) -> Vec<&str> {
    let mut out: Vec<&str> = input.splitn(n, SEPARATOR).collect();
    out.resize(n, "");
    out
}

/// The agreement of the first section, if it loads (see [`allow_caught_panics`]) and its term is
/// at most [`MAX_TERM_DAYS`].
pub fn agreement(text: &str) -> Option<Agreement> {
    allow_caught_panics();
    let agreement = Agreement::from_toml(text).ok()?;
    let days = i64::from(agreement.ends.days_since_epoch()) - i64::from(agreement.starts.days_since_epoch());
    (days <= MAX_TERM_DAYS).then_some(agreement)
}

/// A delimiter chosen by one byte of the input: detected, `,` or `;`.
pub fn delimiter(byte: u8) -> Option<Delimiter> {
    match byte % 3 {
        0 => None,
        1 => Some(Delimiter::Comma),
        _ => Some(Delimiter::Semicolon),
    }
}

/// Lets the code under test catch a panic on purpose (`custodia_core::toml_document` catches the
/// TOML parser's). libfuzzer-sys installs a panic hook that aborts on every panic, caught or not;
/// this replaces it with one that only prints the panic. An uncaught panic still ends the run:
/// libfuzzer-sys aborts when the target unwinds, and the input is saved as a crash.
pub fn allow_caught_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}"))));
}
