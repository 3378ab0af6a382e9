//! Custodia's languages (docs/languages.md): every text meant for a person exists in Spanish and
//! English, in two Project Fluent catalogues (`locales/en.ftl`, `locales/es.ftl`) compiled into
//! the binary and keyed by the stable codes (`E07`, `ON_HOLD`, `HELD_BEYOND_RELEASE`), which never
//! change with the language.
//!
//! Architecture invariant: pure — no IO, no clock. The catalogues are parsed once, on first use.
//! A key missing from a catalogue is a defect the tests catch (both catalogues hold the same keys,
//! and every key the code asks for exists); at run time a missing key shows the key itself rather
//! than failing the request.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing))]

use std::borrow::Cow;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

pub use custodia_core::eligibility::Language;

pub mod facts;
mod format;
mod negotiate;
mod text;

pub use format::{format_date, format_money, month_name};
pub use negotiate::{from_accept_language, parse_language};
pub use text::Text;

/// The English catalogue, as shipped.
pub const EN_FTL: &str = include_str!("../locales/en.ftl");
/// The Spanish catalogue, as shipped.
pub const ES_FTL: &str = include_str!("../locales/es.ftl");

/// Every language, in the order the language switch shows them.
pub const LANGUAGES: [Language; 2] = [Language::Es, Language::En];

/// The code of a language as in `Accept-Language`, `--lang` and `lang=` (`en`, `es`).
pub const fn code(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Es => "es",
    }
}

/// The name of a language in that language (for the switch).
pub const fn own_name(language: Language) -> &'static str {
    match language {
        Language::En => "English",
        Language::Es => "Español",
    }
}

struct Catalogue {
    bundle: FluentBundle<FluentResource>,
    /// Problems found while parsing the shipped text (empty for a good catalogue; a test says so).
    problems: Vec<String>,
}

fn catalogue(language: Language) -> &'static Catalogue {
    static EN: LazyLock<Catalogue> = LazyLock::new(|| load(EN_FTL, "en"));
    static ES: LazyLock<Catalogue> = LazyLock::new(|| load(ES_FTL, "es"));
    match language {
        Language::En => &EN,
        Language::Es => &ES,
    }
}

fn load(text: &str, tag: &str) -> Catalogue {
    let mut problems = Vec::new();
    let resource = match FluentResource::try_new(text.to_owned()) {
        Ok(resource) => resource,
        Err((resource, errors)) => {
            problems.extend(errors.iter().map(|e| format!("{e:?}")));
            resource
        }
    };
    let id: LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Texts go into HTML, terminals and JSON: no Unicode isolation marks around arguments.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        problems.extend(errors.iter().map(|e| format!("{e:?}")));
    }
    Catalogue { bundle, problems }
}

/// An argument of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// Text, shown as it is.
    Text(String),
    /// A whole number (plural forms choose by it).
    Int(i64),
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Self::Text(value.to_owned())
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Self::Text(value)
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

/// The message `key` (`E07`, `ON_HOLD`, `page-cases.title`: a message or `message.attribute`) in
/// `language`, with `args`; `None` when the catalogue has no such key.
pub fn message(language: Language, key: &str, args: &[(&str, Arg)]) -> Option<String> {
    let bundle = &catalogue(language).bundle;
    let (id, attribute) = match key.split_once('.') {
        Some((id, attribute)) => (id, Some(attribute)),
        None => (key, None),
    };
    let found = bundle.get_message(id)?;
    let pattern = match attribute {
        Some(name) => found.get_attribute(name)?.value(),
        None => found.value()?,
    };
    let mut fluent_args = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Text(text) => fluent_args.set(*name, FluentValue::from(text.as_str())),
            Arg::Int(n) => fluent_args.set(*name, FluentValue::from(*n)),
        }
    }
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    Some(text.into_owned())
}

/// The message `key` in `language`, or the key itself when there is none (a defect the tests
/// catch; a page never fails over a missing text).
pub fn text(language: Language, key: &str, args: &[(&str, Arg)]) -> String {
    message(language, key, args).unwrap_or_else(|| key.to_owned())
}

/// Whether the catalogue of `language` holds `key`.
pub fn has(language: Language, key: &str) -> bool {
    let bundle = &catalogue(language).bundle;
    match key.split_once('.') {
        Some((id, attribute)) => bundle.get_message(id).is_some_and(|m| m.get_attribute(attribute).is_some()),
        None => bundle.get_message(key).is_some_and(|m| m.value().is_some()),
    }
}

/// Every key of the catalogue of `language` (messages with a value, and `message.attribute`),
/// sorted.
pub fn keys(language: Language) -> Vec<String> {
    let text = match language {
        Language::En => EN_FTL,
        Language::Es => ES_FTL,
    };
    keys_of(text)
}

fn keys_of(text: &str) -> Vec<String> {
    let resource = match FluentResource::try_new(text.to_owned()) {
        Ok(resource) => resource,
        Err((resource, _)) => resource,
    };
    let mut keys = Vec::new();
    for entry in resource.entries() {
        if let fluent_syntax::ast::Entry::Message(m) = entry {
            if m.value.is_some() {
                keys.push(m.id.name.to_owned());
            }
            keys.extend(m.attributes.iter().map(|a| format!("{}.{}", m.id.name, a.id.name)));
        }
    }
    keys.sort();
    keys
}

/// Problems found parsing the shipped catalogue of `language` (none for a good one).
pub fn problems(language: Language) -> &'static [String] {
    &catalogue(language).problems
}

/// A message for a stable code, falling back to the given English text when the catalogue has no
/// message for the code (texts built from facts the code carries).
pub fn for_code<'a>(language: Language, code: &str, args: &[(&str, Arg)], fallback: &'a str) -> Cow<'a, str> {
    match message(language, code, args) {
        Some(text) => Cow::Owned(text),
        None => Cow::Borrowed(fallback),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalogues_parse_without_a_problem() {
        for language in LANGUAGES {
            assert!(problems(language).is_empty(), "{}: {:?}", code(language), problems(language));
        }
    }

    #[test]
    fn both_catalogues_hold_the_same_keys() {
        let en = keys(Language::En);
        let es = keys(Language::Es);
        let only_en: Vec<_> = en.iter().filter(|k| !es.contains(k)).collect();
        let only_es: Vec<_> = es.iter().filter(|k| !en.contains(k)).collect();
        assert!(only_en.is_empty() && only_es.is_empty(), "only in en: {only_en:?}; only in es: {only_es:?}");
        assert!(!en.is_empty());
    }

    #[test]
    fn every_key_of_both_catalogues_formats_in_its_language() {
        for language in LANGUAGES {
            for key in keys(language) {
                assert!(has(language, &key), "{key}");
                let text = message(language, &key, &[]).unwrap();
                assert!(!text.trim().is_empty(), "{}: {key} is empty", code(language));
            }
        }
    }

    #[test]
    fn the_two_languages_differ_where_people_read() {
        // A catalogue copied from the other without translation passes the key check; this one
        // does not: the language names at least differ, and most messages do.
        let en = keys(Language::En);
        let same = en.iter().filter(|k| message(Language::En, k, &[]) == message(Language::Es, k, &[])).count();
        assert!(same * 5 < en.len(), "{same} of {} messages are the same in both languages", en.len());
    }

    #[test]
    fn arguments_and_plurals_are_filled_in() {
        let one = text(Language::En, "days", &[("count", Arg::Int(1))]);
        let many = text(Language::En, "days", &[("count", Arg::Int(3))]);
        assert_ne!(one, many);
        assert!(many.contains('3'), "{many}");
        let es = text(Language::Es, "days", &[("count", Arg::Int(3))]);
        assert!(es.contains('3') && es != many, "{es}");
    }

    #[test]
    fn a_missing_key_shows_the_key_and_is_reported_missing() {
        assert!(!has(Language::Es, "no-such-key"));
        assert_eq!(text(Language::Es, "no-such-key", &[]), "no-such-key");
        assert_eq!(for_code(Language::Es, "NO_SUCH_CODE", &[], "as built"), "as built");
    }
}
