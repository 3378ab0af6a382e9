//! The term parser (`Term::parse_bytes`, docs/person-file.md) and the sentence arithmetic it feeds
//! (`sentence::compute`, docs/sentence.md).
//!
//! Checks: nothing panics; a term that parses prints (`Display`) a text that parses to the same
//! term, and printing is canonical (printing that again gives the same text); parsing is exact
//! (the text is ASCII, components within `MAX_TERM_COMPONENT`); the computation with any start,
//! credit and profile either refuses with a coded error or gives dates in order (release not
//! after the full term; a fixed term has a full term, life has none).
#![no_main]

use custodia_core::sentence::{self, SentenceProfile};
use custodia_core::term::MAX_TERM_COMPONENT;
use custodia_core::{Date, SentenceInput, Term};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first six bytes choose the start, credit and profile; the rest is the term.
    let (params, text) = data.split_at(data.len().min(6));
    let Ok(term) = Term::parse_bytes(text) else { return };
    assert!(text.is_ascii(), "a non-ASCII term parsed: {text:?}");
    let printed = term.to_string();
    assert_eq!(Term::parse(&printed), Ok(term), "{printed:?} does not re-parse to {term:?}");
    let reparsed = Term::parse(&printed).map(|t| t.to_string());
    assert_eq!(reparsed.as_deref(), Ok(printed.as_str()), "printing is not canonical");
    if let Term::Fixed(fixed) = term {
        assert!(fixed.years.max(fixed.months).max(fixed.days) <= MAX_TERM_COMPONENT);
    }
    check_compute(params, term);
});

fn check_compute(params: &[u8], term: Term) {
    let byte = |i: usize| u32::from(params.get(i).copied().unwrap_or(0));
    let day = (byte(0) << 16 | byte(1) << 8 | byte(2)) % 3_652_059; // 0001-01-01 ..= 9999-12-31
    let Ok(start) = Date::from_days_since_epoch(i64::from(day) - 719_162) else { return };
    let profile = if byte(5) & 1 == 0 { SentenceProfile::UsFederal } else { SentenceProfile::TwoThirds };
    let input = SentenceInput {
        start,
        term,
        jail_credit_days: (byte(3) << 8 | byte(4)) * 3,
        gct_rate: byte(5) % 60,
        gct_disallowed_days: byte(4),
        profile,
    };
    let Ok(dates) = sentence::compute(&input) else { return };
    assert_eq!(dates.start_date, start);
    match term {
        Term::Life => assert_eq!(dates.full_term_date, None, "life with a full term"),
        Term::Fixed(_) => {
            let full = dates.full_term_date.expect("a fixed term has a full term date");
            assert!(full >= start, "full term {full} before the start {start}");
            if let Some(release) = dates.projected_release_date {
                assert!(release <= full, "release {release} after the full term {full}");
            }
        }
    }
}
