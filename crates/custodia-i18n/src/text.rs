//! A message for people as data: a catalogue key with its facts as named arguments, rendered in the
//! reader's language at the edge (the API, the command line, the pages). The application layer
//! builds these; it never picks a language.

use std::fmt;

use crate::{Arg, Language, text};

/// A message to render: a catalogue key and its arguments, or (for texts not yet in the
/// catalogues) a plain English text shown as it is in every language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text(Inner);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Inner {
    Plain(String),
    Keyed {
        key: &'static str,
        args: Vec<(&'static str, Arg)>,
        /// Arguments that are messages themselves, rendered in the same language first.
        nested: Vec<(&'static str, Text)>,
    },
}

impl Text {
    /// The message `key` (a stable code such as `ON_HOLD`, or a `msg-` name).
    pub const fn new(key: &'static str) -> Self {
        Self(Inner::Keyed { key, args: Vec::new(), nested: Vec::new() })
    }

    /// A text outside the catalogues, the same in every language.
    pub fn plain(text: impl Into<String>) -> Self {
        Self(Inner::Plain(text.into()))
    }

    /// With the argument `name` (a fact the message shows).
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        if let Inner::Keyed { args, .. } = &mut self.0 {
            args.push((name, value.into()));
        }
        self
    }

    /// With the argument `name` given as a number (`u32`, `usize` …; plural forms select on it).
    #[must_use]
    pub fn count(self, name: &'static str, value: impl TryInto<i64>) -> Self {
        self.arg(name, Arg::Int(value.try_into().unwrap_or(i64::MAX)))
    }

    /// With the argument `name` given as a message, rendered in the reader's language.
    #[must_use]
    pub fn nest(mut self, name: &'static str, value: Text) -> Self {
        if let Inner::Keyed { nested, .. } = &mut self.0 {
            nested.push((name, value));
        }
        self
    }

    /// The catalogue key, `None` for a plain text.
    pub fn key(&self) -> Option<&'static str> {
        match &self.0 {
            Inner::Keyed { key, .. } => Some(key),
            Inner::Plain(_) => None,
        }
    }

    /// Every catalogue key this text uses (its own and its nested messages'), for the tests.
    pub fn keys(&self) -> Vec<&'static str> {
        match &self.0 {
            Inner::Plain(_) => Vec::new(),
            Inner::Keyed { key, nested, .. } => {
                let mut keys = vec![*key];
                keys.extend(nested.iter().flat_map(|(_, t)| t.keys()));
                keys
            }
        }
    }

    /// The value of the argument `name`, for the tests and for edges that show a fact apart.
    pub fn fact(&self, name: &str) -> Option<&Arg> {
        match &self.0 {
            Inner::Keyed { args, .. } => args.iter().find(|(n, _)| *n == name).map(|(_, v)| v),
            Inner::Plain(_) => None,
        }
    }

    /// The text in `language`.
    pub fn render(&self, language: Language) -> String {
        match &self.0 {
            Inner::Plain(text) => text.clone(),
            Inner::Keyed { key, args, nested } => {
                let mut all: Vec<(&str, Arg)> = args.iter().map(|(n, v)| (*n, v.clone())).collect();
                all.extend(nested.iter().map(|(n, t)| (*n, Arg::Text(t.render(language)))));
                text(language, key, &all)
            }
        }
    }
}

/// English, as logs and `Display` show it.
impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Language::En))
    }
}

impl From<String> for Text {
    fn from(value: String) -> Self {
        Self::plain(value)
    }
}

impl From<&str> for Text {
    fn from(value: &str) -> Self {
        Self::plain(value)
    }
}

impl From<u32> for Arg {
    fn from(value: u32) -> Self {
        Self::Int(i64::from(value))
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Self::Text(value.clone())
    }
}

impl From<custodia_core::date::Date> for Arg {
    fn from(value: custodia_core::date::Date) -> Self {
        Self::Text(value.to_string())
    }
}
