//! The one call of the TOML parser: the agreement file (`Agreement::from_toml`) and the
//! configuration file (`custodia_app::Config::load`) both read their text here.
//!
//! toml_edit 0.23.10 (the newest of its line; 0.25 keeps the same code) panics with "all items have
//! spans" on some malformed documents instead of returning an error: its error recovery keeps a
//! value without a source span, and a later dotted key on it reaches an `expect`. The `agreement`
//! fuzz target found it; the smallest such document is `==\n.=`. A parser's panic must not end a
//! command or a request, so the parse runs under `catch_unwind` and such a document is refused as
//! invalid TOML like any other. (The panic hook still prints the library's message on stderr.)

/// Parses `text` as a TOML document; the error is the parser's message, or a general one when the
/// parser failed without one.
pub fn parse(text: &str) -> Result<toml_edit::DocumentMut, String> {
    match std::panic::catch_unwind(|| text.parse::<toml_edit::DocumentMut>()) {
        Ok(Ok(document)) => Ok(document),
        Ok(Err(error)) => Err(error.to_string().trim_end().to_owned()),
        Err(_) => Err("the TOML parser failed on this text without locating the error; look for a line \
                       with `=` but no key, or a dotted key that extends a value"
            .to_owned()),
    }
}
