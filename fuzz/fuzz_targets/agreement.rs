//! The agreement loader (`Agreement::from_toml`, docs/agreement-file.md) on arbitrary text.
//!
//! Checks: it never panics; a loaded agreement keeps the loader's invariants (term in order,
//! facilities within the limit with unique ids, each found by `facility`, texts within the limit,
//! its own dates in its term); loading is deterministic; a refusal names at least one problem,
//! each with a reason.
#![no_main]

use custodia_core::Agreement;
use custodia_core::agreement::{MAX_FACILITIES, MAX_TEXT_BYTES};
use custodia_fuzz::allow_caught_panics;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    allow_caught_panics();
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Agreement::from_toml(text) {
        Ok(agreement) => check_loaded(text, &agreement),
        Err(error) => {
            assert!(!error.problems.is_empty(), "a refusal without a problem");
            for problem in &error.problems {
                assert!(!problem.reason.is_empty(), "a problem without a reason: {problem:?}");
            }
            assert!(!error.to_string().is_empty());
        }
    }
});

fn check_loaded(text: &str, agreement: &Agreement) {
    assert!(agreement.starts <= agreement.ends, "term out of order: {} > {}", agreement.starts, agreement.ends);
    assert!(agreement.in_term(agreement.starts) && agreement.in_term(agreement.ends));
    assert!(!agreement.facilities.is_empty() && agreement.facilities.len() <= MAX_FACILITIES);
    assert!(agreement.title.len() <= MAX_TEXT_BYTES, "title of {} bytes", agreement.title.len());
    for facility in &agreement.facilities {
        assert!(facility.name.len() <= MAX_TEXT_BYTES, "facility name of {} bytes", facility.name.len());
        let found = agreement.facility(facility.id.as_str()).map(|f| &f.id);
        assert_eq!(found, Some(&facility.id), "facility ids must be unique and found");
    }
    assert_eq!(Agreement::from_toml(text).as_ref(), Ok(agreement), "loading is not deterministic");
}
