//! RFC 8785 JSON Canonicalization Scheme (JCS), restricted to integer numbers.
//!
//! The canonical form of an event is the exact byte string hashed into the journal (docs/journal.md), so two
//! implementations must agree on it byte for byte. RFC 8785 §3.2 fixes it:
//!
//! - no whitespace between tokens (§3.2.1);
//! - `null`, `true`, `false` as written (§3.2.2.1);
//! - strings escaped minimally (§3.2.2.2): only `"`, `\` and U+0000..U+001F are escaped, the latter
//!   as `\b \t \n \f \r` where JSON has a short form and as `\u00xx` (lowercase hex) otherwise; every
//!   other character, including U+007F, U+2028 and non-BMP characters, is written as literal UTF-8;
//! - numbers as ECMAScript's Number-to-String (§3.2.2.3);
//! - object members sorted by the UTF-16 code units of their names (§3.2.3), recursively; arrays keep
//!   their order.
//!
//! # Why only integers
//!
//! Custodia events never carry floating-point values: money is `i64` minor units, dates are strings,
//! areas are decimal strings. An integer `n` with `|n| ≤ 2^53 − 1` (the I-JSON range of RFC 7493 §2.2,
//! which RFC 8785 §3 relies on) is exactly an IEEE-754 double, and ECMAScript prints it as plain
//! decimal digits, so it is canonicalised without any float formatting. Anything else is refused with
//! a typed error rather than canonicalised:
//!
//! - a non-integer (`1.5`, also `1.0`, `1e3` and `-0`, which JSON parsers read as floats) would need
//!   the ECMAScript shortest-round-trip algorithm and would mean a float reached an event — a bug;
//! - an integer beyond `2^53 − 1` cannot be read back exactly by a double-based verifier (2^53 + 1
//!   reads as 2^53), so two different events could share one canonical form. 2^53 itself is excluded
//!   for the same reason: it is also what 2^53 + 1 becomes.
//!
//! The input is a parsed [`serde_json::Value`], so duplicate member names (which RFC 8785 §3.1 says
//! must be rejected) were already resolved by whoever built it; events are built from Rust structs,
//! where they cannot occur.

use serde_json::{Map, Number, Value};

/// Largest magnitude accepted for an integer: `2^53 − 1` (RFC 7493 §2.2, I-JSON).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Deepest nesting of arrays and objects accepted (the top-level value is depth 1).
///
/// serde_json's parser stops at 128 as well; a `Value` built in code could be deeper and would
/// otherwise exhaust the stack.
pub const MAX_DEPTH: usize = 128;

/// Why a value has no canonical form in Custodia's profile of RFC 8785.
///
/// Each variant names the offending value by its RFC 6901 JSON Pointer (`""` is the whole value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// A number with a fraction or exponent (or `-0`): events hold integers only.
    #[error("{pointer:?}: number {number} is not an integer; journal events hold integers only (money is minor units)")]
    NotAnInteger {
        /// JSON Pointer to the number.
        pointer: String,
        /// The number as serde_json prints it.
        number: String,
    },
    /// An integer outside `±(2^53 − 1)`.
    #[error(
        "{pointer:?}: integer {number} is outside ±9007199254740991 (2^53 − 1), the range JSON numbers keep exactly"
    )]
    IntegerOutOfRange {
        /// JSON Pointer to the number.
        pointer: String,
        /// The number as serde_json prints it.
        number: String,
    },
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    #[error("{pointer:?}: nesting deeper than {MAX_DEPTH} levels")]
    TooDeep {
        /// JSON Pointer to the first value past the limit.
        pointer: String,
    },
}

/// Returns the RFC 8785 canonical form of `value` as UTF-8 bytes.
///
/// See the [module documentation](self) for the rules and for why non-integer and out-of-range
/// numbers are errors. The output never contains a raw newline (control characters in strings are
/// escaped, and there is no whitespace between tokens), so it can be exported one event per line.
///
/// # Errors
///
/// [`CanonicalError`] if the value contains a non-integer number, an integer outside
/// `±(2^53 − 1)`, or nesting deeper than [`MAX_DEPTH`].
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    canonicalize_into(value, &mut out)?;
    Ok(out)
}

/// Appends the RFC 8785 canonical form of `value` to `out` (see [`canonicalize`]).
///
/// # Errors
///
/// As [`canonicalize`]. On error `out` may hold a partial prefix; it is truncated back to its
/// original length, so a failed call leaves it unchanged.
pub fn canonicalize_into(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    let start = out.len();
    let mut path = Vec::new();
    let result = write_value(value, out, &mut path);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// One step of a JSON Pointer, kept while descending so an error can name where it happened.
enum Step<'a> {
    Member(&'a str),
    Index(usize),
}

fn pointer(path: &[Step<'_>]) -> String {
    let mut p = String::new();
    for step in path {
        p.push('/');
        match step {
            // RFC 6901 §3: `~` is written `~0` and `/` is written `~1`.
            Step::Member(name) => p.push_str(&name.replace('~', "~0").replace('/', "~1")),
            Step::Index(i) => p.push_str(&i.to_string()),
        }
    }
    p
}

fn write_value<'a>(value: &'a Value, out: &mut Vec<u8>, path: &mut Vec<Step<'a>>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out, path)?,
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            check_depth(path)?;
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                path.push(Step::Index(i));
                write_value(item, out, path)?;
                path.pop();
            }
            out.push(b']');
        }
        Value::Object(members) => {
            check_depth(path)?;
            write_object(members, out, path)?;
        }
    }
    Ok(())
}

fn check_depth(path: &[Step<'_>]) -> Result<(), CanonicalError> {
    // `path.len()` containers enclose this one; it is at depth `path.len() + 1`.
    if path.len() >= MAX_DEPTH { Err(CanonicalError::TooDeep { pointer: pointer(path) }) } else { Ok(()) }
}

fn write_object<'a>(
    members: &'a Map<String, Value>,
    out: &mut Vec<u8>,
    path: &mut Vec<Step<'a>>,
) -> Result<(), CanonicalError> {
    // RFC 8785 §3.2.3: sort by the names' UTF-16 code units, compared as unsigned integers. This
    // differs from UTF-8 byte order only between BMP characters from U+E000 and non-BMP characters
    // (surrogates D800–DFFF sort below E000–FFFF), which is exactly the RFC's emoji example.
    let mut sorted: Vec<(&'a String, &'a Value)> = members.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push(b'{');
    for (i, (name, member)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_string(name, out);
        out.push(b':');
        path.push(Step::Member(name));
        write_value(member, out, path)?;
        path.pop();
    }
    out.push(b'}');
    Ok(())
}

fn write_number(n: &Number, out: &mut Vec<u8>, path: &[Step<'_>]) -> Result<(), CanonicalError> {
    if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER.unsigned_abs() {
            return Err(CanonicalError::IntegerOutOfRange { pointer: pointer(path), number: n.to_string() });
        }
        // ECMAScript Number-to-String (RFC 8785 §3.2.2.3) of an integer below 10^21 is its plain
        // decimal digits, with a leading `-` when negative; Rust's integer formatting is the same.
        out.extend_from_slice(i.to_string().as_bytes());
        Ok(())
    } else if n.is_u64() {
        // Above i64::MAX, so certainly above 2^53 − 1.
        Err(CanonicalError::IntegerOutOfRange { pointer: pointer(path), number: n.to_string() })
    } else {
        Err(CanonicalError::NotAnInteger { pointer: pointer(path), number: n.to_string() })
    }
}

/// RFC 8785 §3.2.2.2: the string serialisation of ECMAScript's `JSON.stringify`, with its quotes.
/// Public so that callers assembling canonical JSON from canonical parts escape strings the same way.
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut literal_from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        // Only ASCII bytes are ever escaped; bytes of multi-byte UTF-8 sequences are all ≥ 0x80.
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            0x08 => Some(b"\\b"),
            0x09 => Some(b"\\t"),
            0x0a => Some(b"\\n"),
            0x0c => Some(b"\\f"),
            0x0d => Some(b"\\r"),
            0x00..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(bytes.get(literal_from..i).unwrap_or_default());
        match escape {
            Some(short) => out.extend_from_slice(short),
            None => {
                let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                let lo = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hi, lo]);
            }
        }
        literal_from = i + 1;
    }
    out.extend_from_slice(bytes.get(literal_from..).unwrap_or_default());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        String::from_utf8(canonicalize(v).unwrap()).unwrap()
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    /// RFC 8785 §3.2.3, "Sorting of Object Properties": the example's input and its sorted output.
    /// The emoji (UTF-16 D83D DE00) sorts before U+FB33 although its code point is larger.
    #[test]
    fn rfc8785_property_sorting_example() {
        let input = parse(
            r#"{
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }"#,
        );
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
                        \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
                        \"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canon(&input), expected);
    }

    /// RFC 8785 §3.2.2 / §3.2.4 example, without its `numbers` member (floats are outside
    /// Custodia's profile; that member is checked to be rejected below).
    #[test]
    fn rfc8785_string_and_literals_example() {
        let input = parse(
            r#"{
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }"#,
        );
        let expected = "{\"literals\":[null,true,false],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(canon(&input), expected);
        // The same bytes in hex, as RFC 8785 §3.2.4 lists them (string part).
        assert!(canon(&input).as_bytes().ends_with(&[
            0x22, 0xe2, 0x82, 0xac, 0x24, 0x5c, 0x75, 0x30, 0x30, 0x30, 0x66, 0x5c, 0x6e, 0x41, 0x27, 0x42, 0x5c, 0x22,
            0x5c, 0x5c, 0x5c, 0x5c, 0x5c, 0x22, 0x2f, 0x22, 0x7d
        ]));
    }

    #[test]
    fn rfc8785_numbers_example_is_rejected() {
        let input = parse(r#"{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]}"#);
        let err = canonicalize(&input).unwrap_err();
        assert!(matches!(&err, CanonicalError::NotAnInteger { pointer, .. } if pointer == "/numbers/0"), "{err}");
    }

    #[test]
    fn every_control_character_is_escaped_and_nothing_else() {
        let all: String = (0u32..0x80).filter_map(char::from_u32).collect();
        let out = canon(&Value::String(all + "\u{7f}\u{2028}\u{2029}\u{10ffff}é"));
        let expected = concat!(
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f",
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d",
            "\\u001e\\u001f !\\\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`",
            "abcdefghijklmnopqrstuvwxyz{|}~\u{7f}\u{7f}\u{2028}\u{2029}\u{10ffff}é\""
        );
        assert_eq!(out, expected);
        assert!(!out.contains('\n'));
    }

    #[test]
    fn nested_objects_are_sorted_and_arrays_keep_order() {
        let v = json!({"b": [3, {"z": 1, "a": -2}, []], "a": {}, "": null});
        assert_eq!(canon(&v), r#"{"":null,"a":{},"b":[3,{"a":-2,"z":1},[]]}"#);
    }

    #[test]
    fn integers_at_the_edge_of_the_safe_range() {
        assert_eq!(canon(&json!(9_007_199_254_740_991_i64)), "9007199254740991");
        assert_eq!(canon(&json!(-9_007_199_254_740_991_i64)), "-9007199254740991");
        assert_eq!(canon(&json!(0)), "0");
        for n in [json!(9_007_199_254_740_992_i64), json!(-9_007_199_254_740_992_i64), json!(u64::MAX), json!(i64::MIN)]
        {
            assert!(matches!(canonicalize(&n), Err(CanonicalError::IntegerOutOfRange { .. })), "{n}");
        }
    }

    #[test]
    fn floats_are_rejected_with_their_pointer() {
        for text in ["1.0", "1e3", "-0", "0.5", "-1.5e-7"] {
            let v = parse(&format!(r#"{{"a/b":[{{"m~":{text}}}]}}"#));
            let err = canonicalize(&v).unwrap_err();
            assert_eq!(
                err,
                CanonicalError::NotAnInteger { pointer: "/a~1b/0/m~0".into(), number: parse(text).to_string() }
            );
            assert!(err.to_string().starts_with("\"/a~1b/0/m~0\": number"), "{err}");
        }
    }

    #[test]
    fn depth_is_bounded_and_a_failed_call_leaves_the_buffer_unchanged() {
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH {
            deep = json!([deep]);
        }
        // MAX_DEPTH arrays around a number: accepted.
        assert!(canonicalize(&deep).is_ok());
        let deeper = json!({ "x": deep });
        let mut out = b"prefix".to_vec();
        assert!(matches!(canonicalize_into(&deeper, &mut out), Err(CanonicalError::TooDeep { .. })));
        assert_eq!(out, b"prefix");
    }
}
