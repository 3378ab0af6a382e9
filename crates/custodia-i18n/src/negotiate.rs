//! Choosing a language: from `Accept-Language` (RFC 9110 §12.5.4) for the API and the pages, from
//! `--lang` / `CUSTODIA_LANG` / a `lang=` value elsewhere. English when nothing matches.

use crate::Language;

/// Longest `Accept-Language` value read; the rest is ignored.
const MAX_HEADER_BYTES: usize = 1024;
/// Most language ranges read from one header.
const MAX_RANGES: usize = 32;

/// A language from a tag such as `es`, `es-SV`, `EN-us`; `None` for any other language.
pub fn parse_language(tag: &str) -> Option<Language> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
    if primary.eq_ignore_ascii_case("es") {
        Some(Language::Es)
    } else if primary.eq_ignore_ascii_case("en") {
        Some(Language::En)
    } else {
        None
    }
}

/// The language an `Accept-Language` header prefers among Spanish and English (the highest
/// weight; the earlier range on a tie); English when it names neither.
pub fn from_accept_language(header: &str) -> Language {
    let header = header.get(..MAX_HEADER_BYTES).unwrap_or(header);
    let mut best: Option<(u16, Language)> = None;
    for range in header.split(',').take(MAX_RANGES) {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or_default();
        let weight = parts.find_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")));
        let weight = match weight {
            Some(q) => quality_thousandths(q),
            None => Some(1000),
        };
        let (Some(weight), Some(language)) = (weight, parse_language(tag)) else { continue };
        if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
            best = Some((weight, language));
        }
    }
    best.map_or(Language::En, |(_, language)| language)
}

/// A quality value (`1`, `0.8`, `0.125`) in thousandths; `None` when malformed.
fn quality_thousandths(q: &str) -> Option<u16> {
    let q = q.trim();
    let (whole, fraction) = q.split_once('.').unwrap_or((q, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let fraction: u16 = if fraction.is_empty() { 0 } else { format!("{fraction:0<3}").parse().ok()? };
    let value = whole * 1000 + fraction;
    (value <= 1000).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_highest_weight_wins() {
        assert_eq!(from_accept_language("es-SV,es;q=0.9,en;q=0.8"), Language::Es);
        assert_eq!(from_accept_language("en-US,en;q=0.9,es;q=0.8"), Language::En);
        assert_eq!(from_accept_language("fr, es;q=0.5, en;q=0.4"), Language::Es);
        assert_eq!(from_accept_language("es;q=0.2, en;q=0.7"), Language::En);
        assert_eq!(from_accept_language("de, fr"), Language::En);
        assert_eq!(from_accept_language(""), Language::En);
        assert_eq!(from_accept_language("es;q=0, en;q=0.1"), Language::En);
        assert_eq!(from_accept_language("es;q=2"), Language::En, "a malformed weight is ignored");
    }

    #[test]
    fn tags_name_their_language_whatever_the_case_and_region() {
        assert_eq!(parse_language("ES-sv"), Some(Language::Es));
        assert_eq!(parse_language("en_GB"), Some(Language::En));
        assert_eq!(parse_language("et"), None);
    }

    proptest! {
        #[test]
        fn any_header_gives_a_language_without_panicking(header in ".{0,2000}") {
            let _ = from_accept_language(&header);
        }
    }
}
