//! Inputs the fuzz targets (`fuzz/`, docs/fuzzing.md) found to break a property, each kept as a
//! test named for what broke, with the minimal input inline, so the fix holds without nightly.

use custodia_core::Agreement;

/// `agreement` target: toml_edit 0.23.10 panicked ("all items have spans") when a dotted key
/// followed a line with `=` and no key; the loader must refuse the file as invalid TOML instead.
#[test]
fn agreement_with_a_keyless_line_then_a_dotted_key_is_refused_not_a_panic() {
    for text in ["==\n.=", "id = \"x\"\n==\n.a = 1\n"] {
        let error = Agreement::from_toml(text).expect_err("malformed TOML must be refused");
        assert_eq!(error.problems.len(), 1, "{error}");
        assert!(error.problems[0].reason.starts_with("not valid TOML: "), "{text:?}: {error}");
    }
}
