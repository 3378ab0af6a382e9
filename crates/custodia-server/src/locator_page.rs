//! The public locator as a page for people (docs/oversight.md#locator): a form with labelled
//! fields, the results as a table with the agreement's `family_contact` text, in Spanish or
//! English (`?lang=es|en`, else `Accept-Language`). Server-rendered with maud (escaped at compile
//! time); no script; one stylesheet embedded in the binary and served at [`CSS_PATH`].

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custodia_app::locator::Located;
use custodia_i18n::{Arg, LANGUAGES, Language, code, own_name, text};
use maud::{DOCTYPE, Markup, html};

/// The page's stylesheet, as shipped.
pub const CSS: &str = include_str!("../assets/locator.css");
/// Where the binary serves it.
pub const CSS_PATH: &str = "/assets/locator.css";
/// The page's icon (browsers ask for one), as shipped.
pub const ICON: &str = include_str!("../assets/locator-icon.svg");
/// Where the binary serves it.
pub const ICON_PATH: &str = "/assets/locator-icon.svg";

/// The page's policy: its own stylesheet, a form sent to itself; no script, no framing.
pub const PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The form's fields as the person typed them (shown again in the form).
#[derive(Clone, Debug, Default)]
pub struct Fields {
    /// `person_id`.
    pub person_id: Option<String>,
    /// `family_name`.
    pub family_name: Option<String>,
    /// `birth_year`, as typed.
    pub birth_year: Option<String>,
}

/// What the page shows below the form.
#[derive(Debug)]
pub enum Outcome {
    /// No question yet: the form alone.
    Form,
    /// The answer (possibly empty).
    Found(Vec<Located>),
    /// The question was refused: the catalogue key of the reason and its arguments.
    Refused(&'static str, Vec<(&'static str, Arg)>),
}

/// The page, with its status and headers.
pub fn answer(status: StatusCode, language: Language, fields: &Fields, outcome: &Outcome) -> Response {
    let mut response = (status, page(language, fields, outcome)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(code(language)));
    headers.insert(header::VARY, HeaderValue::from_static("Accept, Accept-Language"));
    response
}

/// The stylesheet.
pub async fn stylesheet() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS)
}

/// The icon.
pub async fn icon() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "image/svg+xml")], ICON)
}

/// The page's language: `?lang=es|en` when given, else the best of `Accept-Language`.
pub fn language(lang: Option<&str>, headers: &HeaderMap) -> Language {
    lang.and_then(custodia_i18n::parse_language).unwrap_or_else(|| {
        custodia_i18n::from_accept_language(
            headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default(),
        )
    })
}

fn t(language: Language, key: &str) -> String {
    text(language, key, &[])
}

fn page(l: Language, fields: &Fields, outcome: &Outcome) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(code(l)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (t(l, "locator-title")) " · Custodia" }
                link rel="stylesheet" href=(CSS_PATH);
                link rel="icon" href=(ICON_PATH) type="image/svg+xml";
            }
            body {
                a.skip href="#search" { (t(l, "locator-skip")) }
                header {
                    a.name href="/locator" { "Custodia" }
                    nav aria-label=(t(l, "locator-languages")) {
                        ul {
                            @for other in LANGUAGES {
                                li {
                                    a href=(switch_href(other, fields)) lang=(code(other)) hreflang=(code(other))
                                        aria-current=[(other == l).then_some("true")] { (own_name(other)) }
                                }
                            }
                        }
                    }
                }
                main {
                    h1 { (t(l, "locator-title")) }
                    p { (t(l, "locator-intro")) }
                    (form(l, fields))
                    (results(l, outcome))
                }
                footer { p { (t(l, "locator-footer")) } }
            }
        }
    }
}

fn form(l: Language, fields: &Fields) -> Markup {
    html! {
        form #search method="get" action="/locator" {
            input type="hidden" name="lang" value=(code(l));
            fieldset {
                legend { (t(l, "locator-by-id")) }
                (field(l, "person_id", fields.person_id.as_deref(), 256))
            }
            p.or { (t(l, "locator-or")) }
            fieldset {
                legend { (t(l, "locator-by-name")) }
                (field(l, "family_name", fields.family_name.as_deref(), 200))
                (field(l, "birth_year", fields.birth_year.as_deref(), 4))
            }
            button type="submit" { (t(l, "locator-search")) }
        }
    }
}

/// One labelled text field with its hint (`locator-NAME` and `locator-NAME-hint`, `_` as `-`);
/// `name` is the query parameter and the element's id. The year takes four digits.
fn field(l: Language, name: &str, value: Option<&str>, max_chars: usize) -> Markup {
    let key = format!("locator-{}", name.replace('_', "-"));
    let hint = format!("{name}-hint");
    let year = name == "birth_year";
    html! {
        label for=(name) { (t(l, &key)) }
        span.hint id=(hint) { (t(l, &format!("{key}-hint"))) }
        input id=(name) type="text" name=(name) maxlength=(max_chars) autocomplete="off" aria-describedby=(hint)
            inputmode=[year.then_some("numeric")] pattern=[year.then_some("[0-9]{4}")] value=[value];
    }
}

fn results(l: Language, outcome: &Outcome) -> Markup {
    match outcome {
        Outcome::Form => html! {},
        Outcome::Refused(key, args) => html! {
            section.error #results role="alert" aria-labelledby="results-title" {
                h2 #results-title { (t(l, "locator-error")) }
                p { (text(l, key, args)) }
            }
        },
        Outcome::Found(found) if found.is_empty() => html! {
            section #results aria-labelledby="results-title" {
                h2 #results-title { (t(l, "locator-results")) }
                p { (t(l, "locator-none")) }
            }
        },
        Outcome::Found(found) => found_table(l, found),
    }
}

fn found_table(l: Language, found: &[Located]) -> Markup {
    let count = i64::try_from(found.len()).unwrap_or(i64::MAX);
    let mut contacts: Vec<&str> = found.iter().filter_map(|f| f.family_contact.as_deref()).collect();
    contacts.sort_unstable();
    contacts.dedup();
    html! {
        section #results aria-labelledby="results-title" {
            h2 #results-title { (t(l, "locator-results")) }
            table {
                caption { (text(l, "locator-found", &[("count", Arg::Int(count))])) }
                thead {
                    tr {
                        th scope="col" { (t(l, "locator-col-status")) }
                        th scope="col" { (t(l, "locator-col-facility")) }
                        th scope="col" { (t(l, "locator-col-country")) }
                        th scope="col" { (t(l, "locator-col-since")) }
                    }
                }
                tbody {
                    @for f in found {
                        tr {
                            td { (t(l, &format!("locator-status-{}", f.status.as_str()))) }
                            td { (f.facility.clone().unwrap_or_else(|| t(l, "locator-no-facility"))) }
                            td { (f.country) }
                            td { (since(l, &f.since)) }
                        }
                    }
                }
            }
            // One box per agreement's text (the ids stay unique when several agreements answer).
            @for (i, contact) in contacts.iter().enumerate() {
                section.contact aria-labelledby=(format!("contact-{i}")) {
                    h3 id=(format!("contact-{i}")) { (t(l, "locator-contact")) }
                    p { (contact) }
                }
            }
        }
    }
}

fn since(l: Language, day: &str) -> String {
    custodia_core::Date::parse(day).map_or_else(|_| day.to_owned(), |d| custodia_i18n::format_date(l, d))
}

/// The same question in another language.
fn switch_href(language: Language, fields: &Fields) -> String {
    let mut href = format!("/locator?lang={}", code(language));
    for (name, value) in
        [("person_id", &fields.person_id), ("family_name", &fields.family_name), ("birth_year", &fields.birth_year)]
    {
        if let Some(value) = value {
            href.push('&');
            href.push_str(name);
            href.push('=');
            href.push_str(&percent_encode(value));
        }
    }
    href
}

/// `value` for a URL's query: unreserved characters as they are, every other byte as `%XX`.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_switch_keeps_the_question() {
        let fields =
            Fields {
                family_name: Some("García Núñez".into()), birth_year: Some("1990".into()), ..Default::default()
            };
        assert_eq!(
            switch_href(Language::Es, &fields),
            "/locator?lang=es&family_name=Garc%C3%ADa%20N%C3%BA%C3%B1ez&birth_year=1990"
        );
        assert_eq!(switch_href(Language::En, &Fields::default()), "/locator?lang=en");
    }

    #[test]
    fn every_status_the_locator_shows_has_a_name_in_both_languages() {
        use custodia_core::lifecycle::CaseState;
        let shown = [
            CaseState::InTransit,
            CaseState::InCustody,
            CaseState::ReturnScheduled,
            CaseState::Returned,
            CaseState::Released,
            CaseState::Deceased,
        ];
        assert!(shown.iter().all(|s| CaseState::ALL.contains(s)));
        for state in shown {
            for language in LANGUAGES {
                let key = format!("locator-status-{}", state.as_str());
                assert!(custodia_i18n::has(language, &key), "{key} in {}", code(language));
            }
        }
    }

    #[test]
    fn lang_wins_over_accept_language() {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("es-SV,es;q=0.9"));
        assert_eq!(language(None, &headers), Language::Es);
        assert_eq!(language(Some("en"), &headers), Language::En);
        assert_eq!(language(Some("fr"), &headers), Language::Es);
        assert_eq!(language(None, &HeaderMap::new()), Language::En);
    }
}
