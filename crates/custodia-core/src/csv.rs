//! A small RFC 4180 CSV reader over byte slices, built for streaming millions of rows without
//! allocating per row. Pure: the caller does the IO and hands over chunks that start at a record
//! boundary. Files are read through [`crate::table`], which adds the header, line numbers and the
//! byte-order mark on top of this splitter.
//!
//! Records end at a line break outside quoted fields: `\n`, `\r\n` or a bare `\r` (old Mac
//! spreadsheets still write those). Fields are separated by the delimiter (`,`, or `;` as
//! continental-European spreadsheet programs write); a field that starts with `"` is quoted, `""`
//! inside it is one `"`, and it may contain delimiters and line breaks. A quote anywhere else is an
//! ordinary character (`O"Hara`), so a stray quote never swallows the lines after it. Record ends
//! and fields follow the same rule.

/// Largest number of fields in one record (a limit; person files have 16 known columns).
pub const MAX_FIELDS: usize = 256;

/// The byte between fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Delimiter {
    /// `,` (RFC 4180).
    #[default]
    Comma,
    /// `;`, as spreadsheet programs write CSV where `,` is the decimal separator.
    Semicolon,
}

impl Delimiter {
    /// The byte.
    pub const fn byte(self) -> u8 {
        match self {
            Self::Comma => b',',
            Self::Semicolon => b';',
        }
    }

    /// Parses `,` or `;` (also `comma`, `semicolon`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "," | "comma" => Some(Self::Comma),
            ";" | "semicolon" => Some(Self::Semicolon),
            _ => None,
        }
    }

    /// The delimiter of a file whose header line is `header`: `;` when the header has a `;` and
    /// no `,` outside quotes, `,` otherwise.
    pub fn detect(header: &[u8]) -> Self {
        let (mut in_quotes, mut commas, mut semicolons) = (false, 0usize, 0usize);
        for &b in header {
            match b {
                b'"' => in_quotes = !in_quotes,
                b',' if !in_quotes => commas += 1,
                b';' if !in_quotes => semicolons += 1,
                _ => {}
            }
        }
        if semicolons > 0 && commas == 0 { Self::Semicolon } else { Self::Comma }
    }
}

/// Scans `buf`, which starts at a record start, calling `found(end, next, breaks)` for every
/// record end outside a quoted field (`end`: index where the record's bytes stop; `next`: index
/// where the next record starts; `breaks`: line breaks inside the record's quoted fields) until
/// `found` returns false. Returns whether the scan ended inside a quoted field. Only quotes and
/// line breaks are visited (memchr), so this costs little more than finding the line breaks.
///
/// `has_cr` says whether `buf` may hold a `\r`; without one the scan visits only quotes and `\n`
/// (the common case, and `screen`'s hot path).
fn scan_record_ends(buf: &[u8], delimiter: u8, has_cr: bool, found: impl FnMut(usize, usize, u32) -> bool) -> bool {
    if has_cr {
        scan_hits(buf, delimiter, memchr::memchr3_iter(b'"', b'\n', b'\r', buf), found)
    } else {
        scan_hits(buf, delimiter, memchr::memchr2_iter(b'"', b'\n', buf), found)
    }
}

/// [`scan_record_ends`] over the indexes of every quote and line break in `buf`.
fn scan_hits(
    buf: &[u8],
    delimiter: u8,
    hits: impl Iterator<Item = usize>,
    mut found: impl FnMut(usize, usize, u32) -> bool,
) -> bool {
    let mut in_quotes = false;
    // Quotes below this index were consumed as the second half of a `""` escape.
    let mut consumed_below = 0usize;
    let mut breaks = 0u32;
    for i in hits {
        if i < consumed_below {
            continue;
        }
        match buf.get(i) {
            Some(b'\r') if buf.get(i + 1) == Some(&b'\n') => continue, // `\r\n` ends at the `\n`
            Some(b'\n' | b'\r') => {
                if in_quotes {
                    breaks += 1;
                    continue;
                }
                let end = if i > 0 && buf.get(i - 1) == Some(&b'\r') && buf.get(i) == Some(&b'\n') { i - 1 } else { i };
                if !found(end, i + 1, breaks) {
                    return false;
                }
                breaks = 0;
                continue;
            }
            _ => {}
        }
        if in_quotes {
            if buf.get(i + 1) == Some(&b'"') {
                consumed_below = i + 2;
            } else {
                in_quotes = false;
            }
        } else if i == 0 || buf.get(i - 1).is_some_and(|b| *b == delimiter || *b == b'\n' || *b == b'\r') {
            // Only a quote that starts a field opens a quoted field.
            in_quotes = true;
        }
    }
    in_quotes
}

/// Index just past the line break that ends the last complete record in `buf`, which must start at a
/// record boundary; `None` if `buf` holds no complete record.
pub fn last_record_end(buf: &[u8], delimiter: Delimiter) -> Option<usize> {
    // Whether a line break is inside a quoted field changes only at quotes, which are rare: walk
    // the quotes alone (the same rules as `scan_hits`), then take the last line break after the
    // last quoted field closed and before one that is still open.
    let delimiter_byte = delimiter.byte();
    let (mut in_quotes, mut consumed_below, mut closed_at, mut opened_at) = (false, 0usize, 0usize, buf.len());
    for i in memchr::memchr_iter(b'"', buf) {
        if i < consumed_below {
            continue;
        }
        if in_quotes {
            if buf.get(i + 1) == Some(&b'"') {
                consumed_below = i + 2;
            } else {
                in_quotes = false;
                closed_at = i + 1;
                opened_at = buf.len();
            }
        } else if i == 0 || buf.get(i - 1).is_some_and(|b| *b == delimiter_byte || *b == b'\n' || *b == b'\r') {
            in_quotes = true;
            opened_at = i;
        }
    }
    if let Some(p) = buf.get(closed_at..opened_at).and_then(|outside| memchr::memrchr2(b'\n', b'\r', outside)) {
        return Some(closed_at + p + 1);
    }
    // The last line break is inside or before a quoted field: scan every record end.
    last_record_end_by_scan(buf, delimiter)
}

/// [`last_record_end`] by visiting every record end.
fn last_record_end_by_scan(buf: &[u8], delimiter: Delimiter) -> Option<usize> {
    let mut last = None;
    let has_cr = memchr::memchr(b'\r', buf).is_some();
    scan_record_ends(buf, delimiter.byte(), has_cr, |_, next, _| {
        last = Some(next);
        true
    });
    last
}

/// Splits `buf` (starting at a record boundary) into records. The final record may lack a `\n`.
#[derive(Debug, Clone)]
pub struct Records<'a> {
    buf: &'a [u8],
    pos: usize,
    delimiter: u8,
    /// Whether `buf` holds a `\r` at all (checked once, so LF files never look for one).
    has_cr: bool,
}

impl<'a> Records<'a> {
    /// Records of `buf`, fields separated by `delimiter`.
    pub fn new(buf: &'a [u8], delimiter: Delimiter) -> Self {
        Self { buf, pos: 0, delimiter: delimiter.byte(), has_cr: memchr::memchr(b'\r', buf).is_some() }
    }
}

/// What [`Records::next_unquoted`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unquoted {
    /// A record without quotes, `bytes[start..end]` of the buffer, already split into the
    /// splitter's fields (one empty field for a blank line).
    Record {
        /// Offset of the record's first byte.
        start: usize,
        /// Offset just past its last byte (before the line break).
        end: usize,
    },
    /// The next record holds a quote: nothing was consumed; read it with [`Iterator::next`] and
    /// [`FieldSplitter::split`].
    Quoted,
    /// No record left.
    End,
}

/// `0x01` in every byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte of a word.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The bytes of `word` equal to `byte`, as their high bits (exact: no carry crosses bytes).
#[inline(always)]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    // High bit of each byte of `x` that is not zero, then inverted.
    !((((x & !HIGHS) + !HIGHS) | x) & HIGHS) & HIGHS
}

/// The bytes of `word` below `limit` (at most 0x80), as their high bits (exact: no carry
/// crosses bytes; bytes of 0x80 and above are never below).
#[inline(always)]
fn bytes_below(word: u64, limit: u8) -> u64 {
    // A byte under 0x80 plus (0x80 − limit) reaches 0x80 exactly when it is at least `limit`.
    let at_least = ((word & !HIGHS) + ONES * u64::from(0x80 - limit)) | word;
    !at_least & HIGHS
}

impl<'a> Records<'a> {
    /// The fast path for the common record with no quote in it: one pass over its bytes, eight at
    /// a time, finds both the record's end and its fields, which go into `splitter` (as
    /// [`FieldSplitter::split`] would put them). A record with a quote anywhere, or with more than
    /// [`MAX_FIELDS`] fields, is left unread ([`Unquoted::Quoted`]) for the general path, so the
    /// results are the same.
    pub fn next_unquoted(&mut self, splitter: &mut FieldSplitter) -> Unquoted {
        let start = self.pos;
        let Some(rest) = self.buf.get(start..) else { return Unquoted::End };
        if rest.is_empty() {
            return Unquoted::End;
        }
        splitter.spans.clear();
        splitter.scratch.clear();
        let delimiter = self.delimiter;
        let mut field_start = 0usize;
        // Handles the stop byte at `i`; `Some` ends the scan.
        let mut stop = |i: usize, b: u8, spans: &mut Vec<Span>| -> Option<Unquoted> {
            if b == delimiter {
                if spans.len() + 1 >= MAX_FIELDS {
                    return Some(Unquoted::Quoted); // too many fields: the general path reports it
                }
                spans.push(Span::Record(field_start, i));
                field_start = i + 1;
                None
            } else if b == b'"' {
                Some(Unquoted::Quoted)
            } else {
                // `\n`, `\r\n` or a bare `\r` ends the record.
                spans.push(Span::Record(field_start, i));
                let next = if b == b'\r' && rest.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
                self.pos = start + next;
                Some(Unquoted::Record { start, end: start + i })
            }
        };
        let mut words = rest.chunks_exact(8);
        let mut base = 0usize;
        let comma = delimiter == b',';
        for chunk in words.by_ref() {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            // With a comma every stop byte is below `-` (0x2D): one comparison finds them all, with
            // a few false hits (spaces, punctuation) skipped below. Otherwise, exact matches.
            let mut hits = if comma {
                bytes_below(word, b'-')
            } else {
                bytes_equal(word, delimiter)
                    | bytes_equal(word, b'"')
                    | bytes_equal(word, b'\n')
                    | bytes_equal(word, b'\r')
            };
            while hits != 0 {
                let k = (hits.trailing_zeros() / 8) as usize;
                hits &= hits - 1;
                let b = chunk.get(k).copied().unwrap_or(0);
                if b != delimiter && !matches!(b, b'"' | b'\n' | b'\r') {
                    continue;
                }
                if let Some(found) = stop(base + k, b, &mut splitter.spans) {
                    if found == Unquoted::Quoted {
                        splitter.spans.clear();
                    }
                    return found;
                }
            }
            base += 8;
        }
        for (k, &b) in words.remainder().iter().enumerate() {
            if (matches!(b, b'"' | b'\n' | b'\r') || b == delimiter)
                && let Some(found) = stop(base + k, b, &mut splitter.spans)
            {
                if found == Unquoted::Quoted {
                    splitter.spans.clear();
                }
                return found;
            }
        }
        splitter.spans.push(Span::Record(field_start, rest.len()));
        self.pos = self.buf.len();
        Unquoted::Record { start, end: self.buf.len() }
    }

    /// The buffer the records are read from.
    pub fn buffer(&self) -> &'a [u8] {
        self.buf
    }
}

/// One record: its bytes (without the line ending) and its offset in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The record's bytes, without its line break.
    pub bytes: &'a [u8],
    /// Offset of the record in the buffer given to [`Records::new`].
    pub offset: usize,
    /// Whether the record ended inside an open quote (only possible for the final record).
    pub unterminated_quote: bool,
    /// Line breaks inside the record's quoted fields (the record spans this many lines more).
    pub inner_line_breaks: u32,
}

impl<'a> Iterator for Records<'a> {
    type Item = Record<'a>;

    fn next(&mut self) -> Option<Record<'a>> {
        let rest = self.buf.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        let mut end = None;
        let in_quotes = scan_record_ends(rest, self.delimiter, self.has_cr, |end_at, next, breaks| {
            end = Some((end_at, next, breaks));
            false
        });
        let offset = self.pos;
        let (bytes, consumed, inner_line_breaks) = match end {
            Some((end_at, next, breaks)) => (rest.get(..end_at).unwrap_or_default(), next, breaks),
            None => {
                let breaks = rest.iter().filter(|b| matches!(b, b'\n' | b'\r')).count();
                (rest, rest.len(), u32::try_from(breaks).unwrap_or(u32::MAX))
            }
        };
        self.pos += consumed;
        Some(Record { bytes, offset, unterminated_quote: end.is_none() && in_quotes, inner_line_breaks })
    }
}

/// Where a field's value is: a range of the record, or of the scratch buffer (for quoted fields
/// with `""` escapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    Record(usize, usize),
    Scratch(usize, usize),
}

/// Why a record could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// Text after the closing quote of a quoted field, e.g. `"ab"c`.
    #[error("field {0} has text after its closing quote")]
    TextAfterQuote(usize),
    /// A quoted field that never closes.
    #[error("field {0} has an opening quote that is never closed")]
    UnterminatedQuote(usize),
    /// More than [`MAX_FIELDS`] fields.
    #[error("row has more than {MAX_FIELDS} fields")]
    TooManyFields,
}

impl SplitError {
    /// The zero-based index of the field at fault, if one is.
    pub fn field(&self) -> Option<usize> {
        match self {
            SplitError::TextAfterQuote(i) | SplitError::UnterminatedQuote(i) => Some(*i),
            SplitError::TooManyFields => None,
        }
    }
}

/// Reusable state for splitting records into fields without allocating per record.
#[derive(Debug, Clone)]
pub struct FieldSplitter {
    spans: Vec<Span>,
    scratch: Vec<u8>,
    delimiter: u8,
}

/// The fields of one record, borrowed from the record and the splitter.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    record: &'a [u8],
    scratch: &'a [u8],
    spans: &'a [Span],
}

impl<'a> Fields<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Field `index`, unquoted and unescaped.
    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        match *self.spans.get(index)? {
            Span::Record(a, b) => self.record.get(a..b),
            Span::Scratch(a, b) => self.scratch.get(a..b),
        }
    }

    /// The whole record as text, if it is valid UTF-8 (checked once for every field).
    pub fn record_text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.record).ok()
    }

    /// Field `index` as a slice of `record_text` (the text [`Fields::record_text`] returned), or
    /// `None` for a field unescaped into the splitter's scratch buffer.
    pub fn text_in(&self, record_text: &'a str, index: usize) -> Option<&'a str> {
        match *self.spans.get(index)? {
            Span::Record(a, b) => record_text.get(a..b),
            Span::Scratch(..) => None,
        }
    }

    /// All fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl Default for FieldSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl FieldSplitter {
    /// A splitter of comma-separated records with room for a typical record.
    pub fn new() -> Self {
        Self::with_delimiter(Delimiter::Comma)
    }

    /// A splitter of records whose fields are separated by `delimiter`.
    pub fn with_delimiter(delimiter: Delimiter) -> Self {
        Self { spans: Vec::with_capacity(32), scratch: Vec::with_capacity(256), delimiter: delimiter.byte() }
    }

    /// Splits `record` into fields. An empty record has one empty field.
    pub fn split<'a>(&'a mut self, record: &'a [u8]) -> Result<Fields<'a>, SplitError> {
        self.spans.clear();
        self.scratch.clear();
        let mut pos = 0usize;
        loop {
            if self.spans.len() >= MAX_FIELDS {
                return Err(SplitError::TooManyFields);
            }
            let index = self.spans.len();
            let rest = record.get(pos..).unwrap_or_default();
            if rest.first() == Some(&b'"') {
                // Quoted field: find the closing quote, unescaping "" if present.
                let body = rest.get(1..).unwrap_or_default();
                let mut i = 0usize;
                let mut escaped = false;
                let close = loop {
                    match memchr::memchr(b'"', body.get(i..).unwrap_or_default()) {
                        None => return Err(SplitError::UnterminatedQuote(index)),
                        Some(j) => {
                            let q = i + j;
                            if body.get(q + 1) == Some(&b'"') {
                                escaped = true;
                                i = q + 2;
                            } else {
                                break q;
                            }
                        }
                    }
                };
                let content = body.get(..close).unwrap_or_default();
                if escaped {
                    let start = self.scratch.len();
                    let mut k = 0usize;
                    while k < content.len() {
                        let b = content.get(k).copied().unwrap_or_default();
                        self.scratch.push(b);
                        k += if b == b'"' { 2 } else { 1 };
                    }
                    self.spans.push(Span::Scratch(start, self.scratch.len()));
                } else {
                    self.spans.push(Span::Record(pos + 1, pos + 1 + close));
                }
                let after = pos + 1 + close + 1;
                match record.get(after) {
                    None => return Ok(self.fields(record)),
                    Some(b) if *b == self.delimiter => pos = after + 1,
                    Some(_) => return Err(SplitError::TextAfterQuote(index)),
                }
            } else {
                match memchr::memchr(self.delimiter, rest) {
                    Some(j) => {
                        self.spans.push(Span::Record(pos, pos + j));
                        pos += j + 1;
                    }
                    None => {
                        self.spans.push(Span::Record(pos, record.len()));
                        return Ok(self.fields(record));
                    }
                }
            }
        }
    }

    /// The fields split before the last call to [`FieldSplitter::split`] failed (all of them if it
    /// succeeded), so the caller can still echo an identifier that precedes a broken field.
    pub fn partial<'a>(&'a self, record: &'a [u8]) -> Fields<'a> {
        self.fields(record)
    }

    fn fields<'a>(&'a self, record: &'a [u8]) -> Fields<'a> {
        Fields { record, scratch: &self.scratch, spans: &self.spans }
    }
}

/// Whether a value must be quoted in CSV output.
pub fn needs_quotes(value: &[u8]) -> bool {
    if value.len() <= 32 {
        // Ids and reasons are short: a plain loop beats two vector searches' set-up.
        return value.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    }
    memchr::memchr3(b',', b'"', b'\n', value).is_some() || memchr::memchr(b'\r', value).is_some()
}

/// Appends `value` as one CSV field, quoting it only when needed.
pub fn write_field(out: &mut Vec<u8>, value: &[u8]) {
    if !needs_quotes(value) {
        out.extend_from_slice(value);
        return;
    }
    out.push(b'"');
    for &b in value {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Appends `value` as a JSON string (with quotes), escaping as RFC 8259 requires.
pub fn write_json_string(out: &mut Vec<u8>, value: &str) {
    out.push(b'"');
    for c in value.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = c as usize;
                out.extend_from_slice(b"\\u00");
                out.push(HEX.get(n >> 4).copied().unwrap_or(b'0'));
                out.push(HEX.get(n & 15).copied().unwrap_or(b'0'));
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(record: &str) -> Result<Vec<String>, SplitError> {
        let mut s = FieldSplitter::new();
        let fields = s.split(record.as_bytes())?;
        Ok(fields.iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect())
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(split("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(split("").unwrap(), [""]);
        assert_eq!(split("\"Doe, Jane\",x").unwrap(), ["Doe, Jane", "x"]);
        assert_eq!(split("\"say \"\"hi\"\"\",\"\"").unwrap(), ["say \"hi\"", ""]);
        assert_eq!(split("a\"b,c").unwrap(), ["a\"b", "c"]);
        assert_eq!(split("x,\"multi\nline\"").unwrap(), ["x", "multi\nline"]);
        assert_eq!(split("\"ab\"c,d"), Err(SplitError::TextAfterQuote(0)));
        let mut s = FieldSplitter::new();
        assert!(s.split(b"P1,x,\"ab\"c").is_err());
        assert_eq!(s.partial(b"P1,x,\"ab\"c").iter().collect::<Vec<_>>(), [&b"P1"[..], b"x", b"ab"]);
        assert_eq!(split("a,\"open"), Err(SplitError::UnterminatedQuote(1)));
        assert_eq!(split(&",".repeat(MAX_FIELDS)), Err(SplitError::TooManyFields));
    }

    #[test]
    fn records_respect_quotes_and_crlf() {
        let text = b"h1,h2\r\n\"a\nb\",c\n\nlast";
        let records: Vec<&[u8]> = Records::new(text, Delimiter::Comma).map(|r| r.bytes).collect();
        assert_eq!(records, [&b"h1,h2"[..], b"\"a\nb\",c", b"", b"last"]);
        assert_eq!(last_record_end(text, Delimiter::Comma), Some(text.len() - 4));
        assert_eq!(last_record_end(b"\"open\nquote", Delimiter::Comma), None);
        // A quote inside an unquoted field is an ordinary character: it never joins lines.
        let stray = b"P1,O\"Hara,x\nP2,b,c\nP3,\"q\"\"uote\nstill quoted\",d\n";
        let records: Vec<&[u8]> = Records::new(stray, Delimiter::Comma).map(|r| r.bytes).collect();
        assert_eq!(records, [&b"P1,O\"Hara,x"[..], b"P2,b,c", b"P3,\"q\"\"uote\nstill quoted\",d"]);
        assert_eq!(last_record_end(stray, Delimiter::Comma), Some(stray.len()));
        assert_eq!(last_record_end(b"a,\"b\nc", Delimiter::Comma), None);
        let unterminated: Vec<bool> = Records::new(b"a\n\"b", Delimiter::Comma).map(|r| r.unterminated_quote).collect();
        assert_eq!(unterminated, [false, true]);
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut out = Vec::new();
        write_json_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }

    proptest! {
        #[test]
        fn last_record_end_agrees_with_the_full_scan(text in "[a,;\"\r\n]{0,40}") {
            for delimiter in [Delimiter::Comma, Delimiter::Semicolon] {
                prop_assert_eq!(
                    last_record_end(text.as_bytes(), delimiter),
                    last_record_end_by_scan(text.as_bytes(), delimiter),
                    "{:?}", text
                );
            }
        }

        #[test]
        fn the_unquoted_fast_path_reads_as_the_general_one(text in "[ab ,;+é\"\r\n-]{0,60}") {
            for delimiter in [Delimiter::Comma, Delimiter::Semicolon] {
                // General path: every record, split.
                let mut general = Vec::new();
                let mut splitter = FieldSplitter::with_delimiter(delimiter);
                for record in Records::new(text.as_bytes(), delimiter) {
                    let fields = splitter.split(record.bytes).map(|f| f.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
                    general.push((record.bytes.to_vec(), fields));
                }
                // Fast path where it applies, the general one where it does not.
                let mut mixed = Vec::new();
                let mut records = Records::new(text.as_bytes(), delimiter);
                loop {
                    match records.next_unquoted(&mut splitter) {
                        Unquoted::Record { start, end } => {
                            let bytes = text.as_bytes()[start..end].to_vec();
                            let fields = splitter.partial(&text.as_bytes()[start..end]).iter().map(<[u8]>::to_vec).collect();
                            mixed.push((bytes, Ok(fields)));
                        }
                        Unquoted::Quoted => {
                            let record = records.next().unwrap();
                            let fields = splitter.split(record.bytes).map(|f| f.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
                            mixed.push((record.bytes.to_vec(), fields));
                        }
                        Unquoted::End => break,
                    }
                }
                prop_assert_eq!(&mixed, &general, "{:?}", text);
            }
        }

        #[test]
        fn written_fields_split_back(values in proptest::collection::vec(".{0,12}", 1..8)) {
            let mut line = Vec::new();
            for (i, v) in values.iter().enumerate() {
                if i > 0 { line.push(b','); }
                write_field(&mut line, v.as_bytes());
            }
            let mut s = FieldSplitter::new();
            let fields = s.split(&line).unwrap();
            let back: Vec<&[u8]> = fields.iter().collect();
            let expected: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
            prop_assert_eq!(back, expected);
        }
    }
}
