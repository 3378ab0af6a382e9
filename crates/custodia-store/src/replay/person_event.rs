//! A person event read straight from its bytes (docs/journal.md#replay). Nearly every event of a
//! register is a `person.registered` or `person.amended` written by Custodia itself in canonical
//! JSON: members in order, no spaces, strings without escapes, whole numbers. This reader takes
//! exactly that simple form and nothing else: on anything outside it (a space, an escape, a
//! member it does not know, a repeated member, a fraction) it answers `None` and the event is
//! read by serde_json as before, so what the replay concludes never depends on which reader ran.
//! It makes the replay about twice as fast as serde_json's borrowed reading of the same events.

use std::borrow::Cow;

use super::{Envelope, PersonEvent, Record, Scalar};
use crate::record::PERSON_COLUMNS;

/// The event in `body`, when `body` is in the simple form; `None` otherwise.
pub(super) fn read(body: &str) -> Option<Envelope<'_, PersonEvent<'_>>> {
    let mut at = Cursor { text: body, at: 0 };
    let envelope = at.envelope()?;
    (at.at == body.len()).then_some(envelope)
}

/// The most digits a number of the simple form has: any such number fits an `i64`.
const MAX_DIGITS: usize = 18;

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.text.get(self.at..).is_some_and(|rest| rest.starts_with(word));
        if found {
            self.at += word.len();
        }
        found
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let rest = self.text.as_bytes().get(self.at..)?;
        let len = rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        let text = self.text.get(self.at..self.at + len)?;
        self.at += len + 1;
        Some(text)
    }

    /// A whole number as JSON's shortest form writes it (no leading zero, no `-0`), in at most
    /// [`MAX_DIGITS`] digits: its text is then exactly its value in decimal.
    fn number(&mut self) -> Option<(&'a str, i64)> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let digits = self.text.as_bytes().get(self.at..)?;
        let len = digits.iter().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
        let leading_zero = digits.first() == Some(&b'0') && (len > 1 || negative);
        if len == 0 || len > MAX_DIGITS || leading_zero || matches!(digits.get(len), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        self.at += len;
        let text = self.text.get(start..self.at)?;
        Some((text, text.parse().ok()?))
    }

    /// `null`, or what `read` reads.
    fn nullable<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.eat_word("null") { Some(None) } else { read(self).map(Some) }
    }

    /// The members of an object, each handed to `member` with its name; a member seen twice
    /// (by the bit `member` returns for it) is outside the simple form.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &'a str) -> Option<u32>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut seen = 0u32;
        loop {
            let name = self.string()?;
            self.eat(b':')?;
            let bit = member(self, name)?;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            if self.eat(b',').is_none() {
                return self.eat(b'}');
            }
        }
    }

    fn envelope(&mut self) -> Option<Envelope<'a, PersonEvent<'a>>> {
        let (mut actor, mut agreement_id, mut data, mut kind) = (None, None, None, None);
        let (mut occurred_at, mut person_id, mut recorded_at, mut seq) = (None, None, None, None);
        self.object(|at, name| {
            let bit = match name {
                "actor" => {
                    actor = Some(at.string()?);
                    1
                }
                "agreement_id" => {
                    agreement_id = at.nullable(Self::string)?;
                    2
                }
                "data" => {
                    data = Some(at.data()?);
                    4
                }
                "kind" => {
                    kind = Some(at.string()?);
                    8
                }
                "occurred_at" => {
                    occurred_at = Some(at.string()?);
                    16
                }
                "person_id" => {
                    person_id = at.nullable(|at| at.number().map(|(_, n)| n))?;
                    32
                }
                "recorded_at" => {
                    recorded_at = Some(at.string()?);
                    64
                }
                "seq" => {
                    seq = Some(u64::try_from(at.number()?.1).ok()?);
                    128
                }
                _ => return None,
            };
            Some(bit)
        })?;
        Some(Envelope {
            actor: Cow::Borrowed(actor?),
            agreement_id: agreement_id.map(Cow::Borrowed),
            data: data?,
            kind: Cow::Borrowed(kind?),
            occurred_at: Cow::Borrowed(occurred_at?),
            person_id,
            recorded_at: Cow::Borrowed(recorded_at?),
            seq: seq?,
        })
    }

    fn data(&mut self) -> Option<PersonEvent<'a>> {
        let (mut record, mut sending_state, mut version) = (None, None, None);
        self.object(|at, name| {
            let bit = match name {
                "record" => {
                    record = Some(at.record()?);
                    1
                }
                "sending_state" => {
                    sending_state = at.nullable(Self::string)?;
                    2
                }
                "version" => {
                    version = at.nullable(|at| at.number().map(|(_, n)| n))?;
                    4
                }
                _ => return None,
            };
            Some(bit)
        })?;
        Some(PersonEvent { record: record?, sending_state: sending_state.map(Cow::Borrowed), version })
    }

    fn record(&mut self) -> Option<Record<'a>> {
        let mut record = Record::default();
        self.object(|at, name| {
            let column = PERSON_COLUMNS.iter().position(|c| *c == name)?;
            let value = match at.peek()? {
                b'"' => at.string()?,
                b'n' => at.eat_word("null").then_some("")?,
                _ => at.number()?.0,
            };
            *record.0.get_mut(column)? = Some(Scalar::Text(Cow::Borrowed(value)));
            Some(1 << column)
        })?;
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What serde_json reads from `body`, in a form to compare.
    fn shown(env: &Envelope<'_, PersonEvent<'_>>) -> String {
        let record: Vec<Option<&str>> = env.data.record.0.iter().map(|v| v.as_ref().map(Scalar::as_str)).collect();
        format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} | {:?} {:?} {:?}",
            env.actor,
            env.agreement_id,
            env.kind,
            env.occurred_at,
            env.person_id,
            env.recorded_at,
            env.seq,
            env.data.sending_state,
            record,
            env.data.version
        )
    }

    /// Whatever the simple reader accepts, serde_json reads the same.
    fn agrees(body: &str) -> bool {
        let fast = read(body);
        let serde = serde_json::from_str::<Envelope<'_, PersonEvent<'_>>>(body);
        match (&fast, &serde) {
            (Some(fast), Ok(serde)) => shown(fast) == shown(serde),
            (Some(_), Err(_)) => false,
            (None, _) => true,
        }
    }

    const IMPORTED: &str = r#"{"actor":"bench.officer","agreement_id":"us-sv-cecot","data":{"record":{"birth_date":"1991-10-30","care_needs":"no","consent":"given","conviction":"final","family_name":"Rodríguez","given_names":"Carmen","jail_credit_days":0,"nationalities":"DO","offence_category":"sexual","person_id":"P000000095","removal_destination":"US","removal_order":"none","security_class":"medium","sentence_start":"2025-01-04","sentence_term":"878d","torture_risk":"no_risk","torture_risk_assessed_on":"2024-12-05"},"sending_state":"US"},"kind":"person.registered","occurred_at":"2026-12-06T04:55:15Z","person_id":95,"recorded_at":"2026-12-06T04:55:15Z","seq":100}"#;

    #[test]
    fn an_imported_person_is_read_in_the_simple_form_as_serde_reads_it() {
        let env = read(IMPORTED).expect("the import's canonical form");
        assert_eq!((env.person_id, env.seq, env.kind.as_ref()), (Some(95), 100, "person.registered"));
        assert_eq!(env.data.record.get("family_name"), Some("Rodríguez"));
        assert_eq!(env.data.record.get("jail_credit_days"), Some("0"));
        assert!(agrees(IMPORTED));
    }

    #[test]
    fn anything_outside_the_simple_form_is_left_to_serde() {
        let outside = [
            IMPORTED.replacen("\"seq\":100", "\"seq\": 100", 1),
            IMPORTED.replacen("Carmen", "Car\\u006den", 1),
            IMPORTED.replacen("\"jail_credit_days\":0", "\"jail_credit_days\":00", 1),
            IMPORTED.replacen("\"jail_credit_days\":0", "\"jail_credit_days\":-0", 1),
            IMPORTED.replacen("\"jail_credit_days\":0", "\"jail_credit_days\":0.5", 1),
            IMPORTED.replacen("\"jail_credit_days\":0", "\"jail_credit_days\":1e3", 1),
            IMPORTED.replacen("\"jail_credit_days\":0", "\"jail_credit_days\":1234567890123456789", 1),
            IMPORTED.replacen("\"consent\":\"given\"", "\"consent\":\"given\",\"consent\":\"refused\"", 1),
            IMPORTED.replacen("\"kind\"", "\"extra\":1,\"kind\"", 1),
            IMPORTED.replacen("\"nationalities\":\"DO\"", "\"nationalities\":[\"DO\"]", 1),
            IMPORTED.replacen("\"seq\":100", "\"seq\":-1", 1),
            format!("{IMPORTED} "),
            format!("{IMPORTED}x"),
            IMPORTED.replacen("\"actor\":\"bench.officer\",", "", 1),
        ];
        for body in &outside {
            assert!(read(body).is_none(), "{body}");
        }
    }

    #[test]
    fn nulls_read_as_serde_reads_them() {
        let body = IMPORTED
            .replacen("\"agreement_id\":\"us-sv-cecot\"", "\"agreement_id\":null", 1)
            .replacen("\"person_id\":95", "\"person_id\":null", 1)
            .replacen("\"sending_state\":\"US\"", "\"sending_state\":null,\"version\":3", 1)
            .replacen("\"care_needs\":\"no\"", "\"care_needs\":null", 1);
        let env = read(&body).expect("nulls are in the simple form");
        assert_eq!((env.agreement_id, env.person_id, env.data.version), (None, None, Some(3)));
        assert!(agrees(&body));
    }

    proptest! {
        /// Any body made of the simple form's pieces, changed anywhere, reads as serde reads it
        /// or is left to serde.
        #[test]
        fn the_simple_reader_never_disagrees_with_serde(at in 0usize..IMPORTED.len(), insert in "[ -~]{0,4}", cut in 0usize..4) {
            let mut body = IMPORTED.to_owned();
            if body.is_char_boundary(at) {
                let end = (at + cut).min(body.len());
                if body.is_char_boundary(end) {
                    body.replace_range(at..end, &insert);
                }
            }
            prop_assert!(agrees(&body), "{}", body);
        }
    }
}
