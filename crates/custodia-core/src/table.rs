//! The one reader of CSV tables: every CSV file Custodia reads (person files, cells, stays,
//! extras) goes through here, so they all accept the same files (`docs/person-file.md`):
//!
//! - an optional UTF-8 byte-order mark;
//! - `\n`, `\r\n` or bare `\r` line endings; blank lines are skipped anywhere;
//! - fields separated by `,` or `;` (chosen by the caller or detected from the header line);
//! - a header row naming the columns in any order: known columns are picked by name, a known column
//!   named twice is an error, unknown columns are ignored but listed, and optional known columns
//!   that are absent are listed too (so a typo such as `convction` is visible);
//! - every data row carries its 1-based line number and must have exactly as many fields as the
//!   header.
//!
//! Built on the zero-allocation splitter of [`crate::csv`]: rows are borrowed from the input.

use std::fmt;

pub use crate::csv::Delimiter;
use crate::csv::{FieldSplitter, Fields, Records, SplitError, Unquoted};

/// The UTF-8 byte-order mark some spreadsheet programs put before the header.
pub const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// The columns a reader knows: every known name, in the reader's order, and which are required.
#[derive(Debug, Clone, Copy)]
pub struct Columns<'c> {
    /// Known column names; [`Header::position`] takes an index into this list.
    pub known: &'c [&'static str],
    /// Known columns that must be present.
    pub required: &'c [&'static str],
}

/// Why a file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    /// Nothing but blank lines.
    NoHeader,
    /// The header row cannot be split.
    HeaderRow {
        /// Its line.
        line: u64,
        /// Why.
        error: SplitError,
    },
    /// A known column is named twice.
    DuplicateColumn(&'static str),
    /// Required columns are absent.
    MissingColumns(Vec<&'static str>),
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoHeader => f.write_str("the file has no header row"),
            Self::HeaderRow { line, error } => write!(f, "line {line}: header row: {error}"),
            Self::DuplicateColumn(name) => write!(f, "the header names column {name} twice"),
            Self::MissingColumns(names) if names.len() == 1 => {
                write!(f, "the header has no {} column", names.join(""))
            }
            Self::MissingColumns(names) => write!(f, "the header lacks columns {}", names.join(", ")),
        }
    }
}

impl std::error::Error for TableError {}

/// A header row resolved against the known columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    known: Vec<&'static str>,
    positions: Vec<Option<usize>>,
    field_count: usize,
    unknown: Vec<String>,
    missing: Vec<&'static str>,
}

impl Header {
    /// Resolves header names (exact, case-sensitive) against `columns`.
    pub fn resolve<'n>(names: impl IntoIterator<Item = &'n [u8]>, columns: Columns<'_>) -> Result<Self, TableError> {
        let mut positions = vec![None; columns.known.len()];
        let mut field_count = 0;
        let mut unknown = Vec::new();
        for (index, name) in names.into_iter().enumerate() {
            field_count = index + 1;
            let Some(known) = columns.known.iter().position(|c| c.as_bytes() == name) else {
                if !name.is_empty() {
                    unknown.push(String::from_utf8_lossy(name).into_owned());
                }
                continue;
            };
            let (Some(slot), Some(column)) = (positions.get_mut(known), columns.known.get(known)) else { continue };
            if slot.is_some() {
                return Err(TableError::DuplicateColumn(column));
            }
            *slot = Some(index);
        }
        let absent = |c: &&&'static str| {
            columns.known.iter().position(|k| *k == **c).is_some_and(|i| positions.get(i) == Some(&None))
        };
        let lacking: Vec<&'static str> = columns.required.iter().filter(absent).copied().collect();
        if !lacking.is_empty() {
            return Err(TableError::MissingColumns(lacking));
        }
        let missing = columns.known.iter().zip(&positions).filter(|(_, p)| p.is_none()).map(|(c, _)| *c).collect();
        Ok(Self { known: columns.known.to_vec(), positions, field_count, unknown, missing })
    }

    /// Where known column `known` (an index into [`Columns::known`]) is in a row.
    pub fn position(&self, known: usize) -> Option<usize> {
        self.positions.get(known).copied().flatten()
    }

    /// The known column at field `index`, if any.
    pub fn column_at(&self, index: usize) -> Option<&'static str> {
        let known = self.positions.iter().position(|p| *p == Some(index))?;
        self.known.get(known).copied()
    }

    /// Number of fields every row must have.
    pub fn field_count(&self) -> usize {
        self.field_count
    }

    /// Header names that are no known column, in file order.
    pub fn unknown(&self) -> &[String] {
        &self.unknown
    }

    /// Known (optional) columns the file lacks, in the reader's order.
    pub fn missing(&self) -> &[&'static str] {
        &self.missing
    }

    /// `unknown columns: a, b; missing columns: c (unknown for every row)`, or `None` when the
    /// header has every known column and no other; for summaries.
    pub fn column_notes(&self) -> Option<String> {
        let mut parts = Vec::new();
        if !self.unknown.is_empty() {
            parts.push(format!("unknown columns: {}", self.unknown.join(", ")));
        }
        if !self.missing.is_empty() {
            parts.push(format!("missing columns: {} (unknown for every row)", self.missing.join(", ")));
        }
        if parts.is_empty() { None } else { Some(parts.join("; ")) }
    }
}

/// The start of a table: its header, delimiter, and where the data rows begin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// The resolved header.
    pub header: Header,
    /// The delimiter (given, or detected from the header line).
    pub delimiter: Delimiter,
    /// Offset of the first data record in the bytes given to [`read_start`].
    pub body_offset: usize,
    /// Line number of that record.
    pub body_line: u64,
}

/// Reads the header: skips a byte-order mark and blank lines, detects the delimiter unless one is
/// given, and resolves the names. `Ok(None)` when `bytes` hold no complete header row yet (only
/// blank lines), so a streaming caller can read more.
pub fn read_start(
    bytes: &[u8],
    delimiter: Option<Delimiter>,
    columns: Columns<'_>,
) -> Result<Option<Start>, TableError> {
    let bytes_after_mark = bytes.strip_prefix(BYTE_ORDER_MARK).unwrap_or(bytes);
    let skipped = bytes.len() - bytes_after_mark.len();
    // Record ends do not depend on the delimiter except for where a quote may open; a header line
    // is read with the comma rule first, then re-split with the detected delimiter.
    let mut line = 1u64;
    let mut records = Records::new(bytes_after_mark, delimiter.unwrap_or_default());
    for record in records.by_ref() {
        let this_line = line;
        line += 1 + u64::from(record.inner_line_breaks);
        if record.bytes.is_empty() {
            continue;
        }
        let delimiter = delimiter.unwrap_or_else(|| Delimiter::detect(record.bytes));
        let mut splitter = FieldSplitter::with_delimiter(delimiter);
        let names = splitter.split(record.bytes).map_err(|error| TableError::HeaderRow { line: this_line, error })?;
        let header = Header::resolve(names.iter(), columns)?;
        let body_offset =
            skipped + record.offset + record_len_with_break(bytes_after_mark, record.offset, record.bytes.len());
        return Ok(Some(Start { header, delimiter, body_offset, body_line: line }));
    }
    Ok(None)
}

/// Length of the record at `offset` including its line break (`\n`, `\r\n` or `\r`).
fn record_len_with_break(bytes: &[u8], offset: usize, len: usize) -> usize {
    let end = offset + len;
    match (bytes.get(end), bytes.get(end + 1)) {
        (Some(b'\r'), Some(b'\n')) => len + 2,
        (Some(b'\r' | b'\n'), _) => len + 1,
        _ => len,
    }
}

/// Why a data row cannot be split into the header's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFault {
    /// Broken quoting or too many fields.
    Split(SplitError),
    /// A number of fields other than the header's.
    FieldCount {
        /// Fields in the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
}

impl RowFault {
    /// The problem for a person to read, naming the header's column when one is at fault
    /// (`conviction: has text after its closing quote`).
    pub fn message(&self, header: &Header) -> String {
        let e = match self {
            Self::FieldCount { found, expected } => {
                return format!("row has {found} fields but the header has {expected}");
            }
            Self::Split(e) => e,
        };
        let detail = match e {
            SplitError::TextAfterQuote(_) => "has text after its closing quote",
            SplitError::UnterminatedQuote(_) => "has an opening quote that is never closed",
            SplitError::TooManyFields => return e.to_string(),
        };
        match e.field().and_then(|i| header.column_at(i)) {
            Some(column) => format!("{column}: {detail}"),
            None => format!("field {} {detail}", e.field().map_or(0, |i| i + 1)),
        }
    }

    /// The known column at fault, if one is.
    pub fn column(&self, header: &Header) -> Option<&'static str> {
        match self {
            Self::Split(e) => e.field().and_then(|i| header.column_at(i)),
            Self::FieldCount { .. } => None,
        }
    }
}

/// One non-blank data row.
#[derive(Debug, Clone, Copy)]
pub struct Row<'r> {
    /// The line the row starts on (1-based).
    pub line: u64,
    /// The row's fields: all of them, or those split before `fault` was met (so an id that
    /// precedes a broken field can still be echoed).
    pub fields: Fields<'r>,
    /// Why the row cannot be used as a whole, if it cannot.
    pub fault: Option<RowFault>,
}

/// The data rows of a table (or of a chunk of one that starts at a record boundary), blank lines
/// skipped. A lending iterator: each row borrows the reader's splitter until the next call.
#[derive(Debug, Clone)]
pub struct Rows<'a> {
    records: Records<'a>,
    splitter: FieldSplitter,
    line: u64,
    field_count: usize,
}

impl<'a> Rows<'a> {
    /// Rows of `bytes`, whose first record is on line `first_line`, checked against a header of
    /// `field_count` fields.
    pub fn new(bytes: &'a [u8], delimiter: Delimiter, field_count: usize, first_line: u64) -> Self {
        Self {
            records: Records::new(bytes, delimiter),
            splitter: FieldSplitter::with_delimiter(delimiter),
            line: first_line,
            field_count,
        }
    }

    /// The rows after the header that `start` describes, in `bytes` (the same bytes given to
    /// [`read_start`]).
    pub fn after(bytes: &'a [u8], start: &Start) -> Self {
        Self::new(
            bytes.get(start.body_offset..).unwrap_or_default(),
            start.delimiter,
            start.header.field_count(),
            start.body_line,
        )
    }

    /// The next non-blank row.
    #[allow(clippy::should_implement_trait)] // lending: a row borrows the splitter
    pub fn next(&mut self) -> Option<Row<'_>> {
        // Fast path: records without quotes are found and split in one pass.
        let unquoted = loop {
            match self.records.next_unquoted(&mut self.splitter) {
                Unquoted::Record { start, end } => {
                    let line = self.line;
                    self.line += 1;
                    if end > start {
                        break Some((start, end, line));
                    }
                }
                Unquoted::Quoted => break None,
                Unquoted::End => return None,
            }
        };
        if let Some((start, end, line)) = unquoted {
            let record = self.records.buffer().get(start..end).unwrap_or_default();
            let fields = self.splitter.partial(record);
            let expected = self.field_count;
            let fault = (fields.len() != expected).then_some(RowFault::FieldCount { found: fields.len(), expected });
            return Some(Row { line, fields, fault });
        }
        let record = loop {
            let record = self.records.next()?;
            let line = self.line;
            self.line += 1 + u64::from(record.inner_line_breaks);
            if !record.bytes.is_empty() {
                break (record, line);
            }
        };
        let (record, line) = record;
        let expected = self.field_count;
        match self.splitter.split(record.bytes) {
            Ok(_) => {}
            Err(e) => {
                return Some(Row {
                    line,
                    fields: self.splitter.partial(record.bytes),
                    fault: Some(RowFault::Split(e)),
                });
            }
        }
        let fields = self.splitter.partial(record.bytes);
        let fault = (fields.len() != expected).then_some(RowFault::FieldCount { found: fields.len(), expected });
        Some(Row { line, fields, fault })
    }
}

/// A whole table held in memory: its start and its rows.
#[derive(Debug, Clone)]
pub struct Table<'a> {
    bytes: &'a [u8],
    /// Header, delimiter and where the rows begin.
    pub start: Start,
}

impl<'a> Table<'a> {
    /// Reads the header of `bytes`; errors when the file cannot be read at all.
    pub fn read(bytes: &'a [u8], delimiter: Option<Delimiter>, columns: Columns<'_>) -> Result<Self, TableError> {
        let start = read_start(bytes, delimiter, columns)?.ok_or(TableError::NoHeader)?;
        Ok(Self { bytes, start })
    }

    /// The resolved header.
    pub fn header(&self) -> &Header {
        &self.start.header
    }

    /// The data rows, in order.
    pub fn rows(&self) -> Rows<'a> {
        Rows::after(self.bytes, &self.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: Columns<'static> = Columns { known: &["id", "name", "note"], required: &["id"] };

    /// A row as (line, fields as text, fault).
    type Read = (u64, Vec<String>, Option<RowFault>);

    /// Every row.
    fn rows(bytes: &[u8], delimiter: Option<Delimiter>) -> (Table<'_>, Vec<Read>) {
        let table = Table::read(bytes, delimiter, KNOWN).unwrap();
        let mut out = Vec::new();
        let mut rows = table.rows();
        while let Some(row) = rows.next() {
            let fields = row.fields.iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect();
            out.push((row.line, fields, row.fault));
        }
        (table, out)
    }

    fn lines(bytes: &[u8]) -> Vec<(u64, String)> {
        rows(bytes, None).1.into_iter().map(|(l, f, _)| (l, f.join("|"))).collect()
    }

    #[test]
    fn line_endings_lf_crlf_and_bare_cr_read_alike() {
        let expected = vec![(2, "1|a|x".to_owned()), (3, "2|b|y".to_owned())];
        assert_eq!(lines(b"id,name,note\n1,a,x\n2,b,y\n"), expected);
        assert_eq!(lines(b"id,name,note\r\n1,a,x\r\n2,b,y\r\n"), expected);
        assert_eq!(lines(b"id,name,note\r1,a,x\r2,b,y\r"), expected);
        assert_eq!(lines(b"id,name,note\r1,a,x\r2,b,y"), expected, "no line break after the last row");
    }

    #[test]
    fn byte_order_mark_is_dropped() {
        let (table, rows) = rows(b"\xEF\xBB\xBFid,name\r\n1,a\r\n", None);
        assert!(table.header().unknown().is_empty(), "{:?}", table.header().unknown());
        assert_eq!(table.header().position(0), Some(0));
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn blank_lines_are_skipped_and_lines_counted() {
        let got = lines(b"\n\r\nid,name,note\n\n1,a,x\r\n\r\n\r2,\"multi\nline\r\nnote\",z\n3,c,\n");
        assert_eq!(got, [(5, "1|a|x".to_owned()), (8, "2|multi\nline\r\nnote|z".to_owned()), (11, "3|c|".to_owned())]);
    }

    #[test]
    fn wrong_field_counts_are_reported_with_their_line() {
        let (table, got) = rows(b"id,name\n1,a\n2\n3,c,extra\n", None);
        assert_eq!(got[0].2, None);
        assert_eq!((got[1].0, got[1].2), (3, Some(RowFault::FieldCount { found: 1, expected: 2 })));
        assert_eq!((got[2].0, got[2].2), (4, Some(RowFault::FieldCount { found: 3, expected: 2 })));
        assert_eq!(got[2].2.unwrap().message(table.header()), "row has 3 fields but the header has 2");
    }

    #[test]
    fn broken_quotes_name_the_column_and_keep_the_fields_before() {
        let (table, got) = rows(b"id,name\n1,\"a\"b\n", None);
        let fault = got[0].2.unwrap();
        assert_eq!(fault.message(table.header()), "name: has text after its closing quote");
        assert_eq!(fault.column(table.header()), Some("name"));
        assert_eq!(got[0].1[0], "1");
    }

    #[test]
    fn duplicate_and_required_columns() {
        assert_eq!(Table::read(b"id,name,name\n", None, KNOWN).unwrap_err(), TableError::DuplicateColumn("name"));
        let err = Table::read(b"name\n1\n", None, KNOWN).unwrap_err();
        assert_eq!(err.to_string(), "the header has no id column");
        assert_eq!(Table::read(b"\n\n", None, KNOWN).unwrap_err(), TableError::NoHeader);
        let err = Table::read(b"id,\"a\"b\n", None, KNOWN).unwrap_err();
        assert_eq!(err.to_string(), "line 1: header row: field 1 has text after its closing quote");
    }

    #[test]
    fn unknown_and_missing_columns_are_listed() {
        let table = Table::read(b"id,nmae,extra\n", None, KNOWN).unwrap();
        assert_eq!(table.header().unknown(), ["nmae", "extra"]);
        assert_eq!(table.header().missing(), ["name", "note"]);
        assert_eq!(
            table.header().column_notes().unwrap(),
            "unknown columns: nmae, extra; missing columns: name, note (unknown for every row)"
        );
        assert_eq!(Table::read(b"note,name,id\n", None, KNOWN).unwrap().header().column_notes(), None);
    }

    #[test]
    fn semicolons_are_detected_from_the_header() {
        let (table, got) = rows(b"id;name;note\n1;\"Doe; Jane\";\"US;SV\"\n2;b,c;\n", None);
        assert_eq!(table.start.delimiter, Delimiter::Semicolon);
        assert_eq!(got[0].1, ["1", "Doe; Jane", "US;SV"]);
        assert_eq!(got[1].1, ["2", "b,c", ""], "a comma is text in a semicolon file");
        // A `;` inside a quoted header name does not make the file semicolon-separated.
        assert_eq!(Table::read(b"id,\"na;me\"\n", None, KNOWN).unwrap().start.delimiter, Delimiter::Comma);
        // A header with both is comma-separated.
        assert_eq!(Delimiter::detect(b"id;name,note"), Delimiter::Comma);
        assert_eq!(Delimiter::detect(b"id"), Delimiter::Comma);
    }

    #[test]
    fn the_delimiter_flag_overrides_detection() {
        // A one-column header cannot be detected; the flag says what the rows are.
        let known = Columns { known: &["id"], required: &["id"] };
        let table = Table::read(b"id\n1;2\n", Some(Delimiter::Semicolon), known).unwrap();
        let mut data = table.rows();
        let row = data.next().unwrap();
        assert_eq!(row.fault, Some(RowFault::FieldCount { found: 2, expected: 1 }));
        let (_, got) = rows(b"id;name\n1;a\n", Some(Delimiter::Semicolon));
        assert_eq!(got[0].1, ["1", "a"]);
        let err = Table::read(b"id;name\n", Some(Delimiter::Comma), KNOWN).unwrap_err();
        assert_eq!(err, TableError::MissingColumns(vec!["id"]), "read as one column named `id;name`");
    }

    #[test]
    fn quotes_may_hold_the_delimiter_and_line_breaks() {
        let (_, got) = rows(b"id,name,note\n1,\"Doe, Jane\",\"two\nlines\"\n2,\"say \"\"hi\"\"\",x\n", None);
        assert_eq!(got[0], (2, vec!["1".into(), "Doe, Jane".into(), "two\nlines".into()], None));
        assert_eq!(got[1], (4, vec!["2".into(), "say \"hi\"".into(), "x".into()], None));
    }
}
