//! Every stable code and every message key the source uses has a message in both catalogues
//! (docs/languages.md). The codes are read from the source itself, so a new code without a
//! message, or one left out of `STABLE_CODES`, fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use custodia_app::error::STABLE_CODES;
use custodia_i18n::{LANGUAGES, Language, has, text};

/// Upper-case strings the source writes after `=>` or in a constant that are not codes people
/// read: HTTP methods (metrics labels) and the ledger's line kinds (data, not messages).
const NOT_MESSAGES: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "ADJUSTMENT", "UNUSED_COVERAGE"];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The non-test source of the crates whose codes reach people: core, app, server.
fn sources() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> =
        ["custodia-core/src", "custodia-app/src", "custodia-server/src"].iter().map(|d| crates_dir().join(d)).collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("codes.rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_owned();
                out.push((path, code));
            }
        }
    }
    assert!(out.len() > 40, "the source was not found: {}", crates_dir().display());
    out
}

/// Every string literal of `source` (comments, char literals, escapes and raw strings skipped
/// as Rust reads them), with the code before it (whitespace collapsed).
fn literals(source: &str) -> Vec<(String, String)> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut code = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|c| *c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = &rest[2 + hashes..];
            let len = body.find(&close).unwrap_or(body.len());
            out.push((body[..len].to_owned(), collapse(&code)));
            code.push_str("\"\"");
            i += 2 + hashes + len + close.len();
        } else if let Some(body) = rest.strip_prefix('"') {
            let mut literal = String::new();
            let mut chars = body.char_indices();
            let mut end = rest.len();
            while let Some((at, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            literal.push(escaped);
                        }
                    }
                    '"' => {
                        end = at + 2;
                        break;
                    }
                    c => literal.push(c),
                }
            }
            out.push((literal, collapse(&code)));
            code.push_str("\"\"");
            i += end;
        } else if let Some(escaped) = rest.strip_prefix("'\\") {
            i += escaped.find('\'').map_or(rest.len(), |at| at + 3);
        } else if rest.len() >= 3
            && rest.is_char_boundary(1)
            && rest[1..].chars().nth(1) == Some('\'')
            && rest.starts_with('\'')
        {
            i += 1 + rest[1..].chars().next().map_or(1, char::len_utf8) + 1;
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            code.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The last 80 characters of `code`, whitespace collapsed.
fn collapse(code: &str) -> String {
    let tail: String = code.chars().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect();
    tail.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_code(s: &str) -> bool {
    s.len() >= 3
        && s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Codes the source emits: a code-like literal given as a match arm's value, to a refusal or an
/// error constructor, or as a constant.
fn emitted_codes() -> BTreeSet<String> {
    const CONTEXTS: [&str; 8] = ["=>", "=> (", "rule(", "refused(", "code:", "error(", "&str =", "_response("];
    let mut codes = BTreeSet::new();
    for (_, source) in sources() {
        for (literal, before) in literals(&source) {
            let after_status =
                before.rsplit('(').next().is_some_and(|t| t.starts_with("StatusCode::") && t.ends_with(','));
            let context = CONTEXTS.iter().any(|c| before.ends_with(c)) || after_status;
            if is_code(&literal) && context {
                codes.insert(literal);
            }
        }
    }
    codes
}

#[test]
fn every_stable_code_has_a_message_in_both_catalogues() {
    for code in STABLE_CODES {
        for language in LANGUAGES {
            assert!(has(language, code), "{code} has no message in {}", custodia_i18n::code(language));
        }
    }
    let unique: BTreeSet<_> = STABLE_CODES.iter().collect();
    assert_eq!(unique.len(), STABLE_CODES.len(), "a code is listed twice");
}

#[test]
fn every_code_the_source_emits_is_a_listed_stable_code() {
    let emitted = emitted_codes();
    for expected in
        ["ON_HOLD", "HELD_BEYOND_RELEASE", "CELL_OCCUPIED", "E07", "TIMEOUT", "NOT_IMPORTED_UNDER_AGREEMENT"]
    {
        assert!(emitted.contains(expected), "the scan misses {expected}: {emitted:?}");
    }
    let unlisted: Vec<_> =
        emitted.iter().filter(|c| !STABLE_CODES.contains(&c.as_str()) && !NOT_MESSAGES.contains(&c.as_str())).collect();
    assert!(
        unlisted.is_empty(),
        "codes without a listed message: {unlisted:?} (add them to STABLE_CODES and both catalogues)"
    );
    let never: Vec<_> = STABLE_CODES.iter().filter(|c| !emitted.contains(**c)).collect();
    assert!(never.is_empty(), "listed codes the source never emits: {never:?}");
}

#[test]
fn every_message_key_the_source_names_exists_in_both_catalogues() {
    let mut keys = BTreeSet::new();
    for (path, source) in sources() {
        for (literal, before) in literals(&source) {
            let named = before.ends_with("Text::new(") || literal.starts_with("msg-");
            let attribute = literal.split_once('.').is_some_and(|(code, attr)| {
                is_code(code) && !attr.is_empty() && attr.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            });
            if named || attribute {
                keys.insert((literal, path.display().to_string()));
            }
        }
    }
    assert!(keys.len() > 40, "{keys:?}");
    for (key, file) in &keys {
        for language in LANGUAGES {
            assert!(has(language, key), "{file}: {key} has no message in {}", custodia_i18n::code(language));
        }
    }
}

#[test]
fn every_kind_of_record_not_found_is_named_in_spanish() {
    // `AppError::no_such("case", 5)`: the kind selects the Spanish noun; a kind the catalogue
    // does not know would show the English word.
    let mut kinds = BTreeSet::new();
    for (_, source) in sources() {
        for (literal, before) in literals(&source) {
            if before.ends_with("no_such(") {
                kinds.insert(literal);
            }
        }
    }
    assert!(kinds.len() >= 8, "{kinds:?}");
    for kind in kinds {
        let args = [("what", custodia_i18n::Arg::from(kind.as_str())), ("id", custodia_i18n::Arg::from("7"))];
        let es = text(Language::Es, "NOT_FOUND.record", &args);
        let en = text(Language::En, "NOT_FOUND.record", &args);
        assert!(es.ends_with("7 no existe") && !es.starts_with(&format!("{kind} ")), "{kind}: {es}");
        assert!(en.ends_with("7 does not exist") && !en.contains('-'), "{kind}: {en}");
    }
}
