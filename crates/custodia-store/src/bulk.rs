//! Bulk inserts, in the form each database reads fastest, built once by [`Rows`]:
//!
//! - SQLite: batched prepared inserts — `INSERT … VALUES (…), …` of [`ROWS_PER_STATEMENT`] rows,
//!   prepared once and re-bound per chunk, so no text is escaped or parsed. (Binding tens of
//!   thousands of parameters in one statement spent most of an import in the driver's argument
//!   handling; a hundred rows at a time does not.)
//! - PostgreSQL: a binary `COPY … FROM STDIN`.
//! - Either, for upserts and a few rows: one JSON array of arrays unpacked by the database
//!   (`json_each` in SQLite, `json_array_elements` in PostgreSQL).
//!
//! The SQL of each form is generated from one column list for both dialects ([`BulkSql`]).

/// How a column is carried in the JSON document.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A string (or null).
    Text,
    /// An integer (or null).
    Int,
    /// Bytes, carried as lowercase hex.
    Blob,
}

/// The two SQL dialects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// `INSERT INTO table (columns) SELECT … FROM <the JSON rows in parameter 1>` plus `suffix`.
pub(crate) fn insert_sql(dialect: Dialect, table: &str, columns: &[(&str, Kind)], suffix: &str) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let values: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| match (dialect, kind) {
            (Dialect::Sqlite, Kind::Text | Kind::Int) => format!("value->>{i}"),
            (Dialect::Sqlite, Kind::Blob) => format!("unhex(value->>{i})"),
            (Dialect::Postgres, Kind::Text) => format!("e->>{i}"),
            (Dialect::Postgres, Kind::Int) => format!("(e->>{i})::bigint"),
            (Dialect::Postgres, Kind::Blob) => format!("decode(e->>{i}, 'hex')"),
        })
        .collect();
    let source = match dialect {
        // `WHERE true` avoids SQLite's parsing ambiguity between a join and ON CONFLICT.
        Dialect::Sqlite => "json_each($1) WHERE true",
        Dialect::Postgres => "json_array_elements($1::json) AS rows(e)",
    };
    format!("INSERT INTO {table} ({}) SELECT {} FROM {source}{suffix}", names.join(", "), values.join(", "))
}

/// Builds the JSON array of rows.
#[derive(Debug, Default)]
pub(crate) struct JsonRows {
    text: Vec<u8>,
    in_row: bool,
    first_value: bool,
}

impl JsonRows {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        let mut text = Vec::with_capacity(bytes);
        text.push(b'[');
        Self { text, in_row: false, first_value: true }
    }

    pub(crate) fn row(&mut self) -> &mut Self {
        if self.in_row {
            self.text.push(b']');
        }
        if self.text.len() > 1 {
            self.text.push(b',');
        }
        self.text.push(b'[');
        self.in_row = true;
        self.first_value = true;
        self
    }

    fn sep(&mut self) {
        if !self.first_value {
            self.text.push(b',');
        }
        self.first_value = false;
    }

    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        self.sep();
        custodia_journal::canonical::write_string(value, &mut self.text);
        self
    }

    pub(crate) fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => {
                self.sep();
                self.text.extend_from_slice(b"null");
                self
            }
        }
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        self.sep();
        self.text.extend_from_slice(value.to_string().as_bytes());
        self
    }

    pub(crate) fn opt_int(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(v) => self.int(v),
            None => {
                self.sep();
                self.text.extend_from_slice(b"null");
                self
            }
        }
    }

    pub(crate) fn blob(&mut self, value: &[u8]) -> &mut Self {
        self.sep();
        self.text.push(b'"');
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for b in value {
            self.text.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
            self.text.push(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'));
        }
        self.text.push(b'"');
        self
    }

    pub(crate) fn finish(mut self) -> String {
        if self.in_row {
            self.text.push(b']');
        }
        self.text.push(b']');
        // Every part written is valid UTF-8 (strings come from &str).
        String::from_utf8(self.text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// `COPY table (columns) FROM STDIN (FORMAT binary)`, for [`CopyRows`] of the same columns.
pub(crate) fn copy_sql(table: &str, columns: &[(&str, Kind)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    format!("COPY {table} ({}) FROM STDIN (FORMAT binary)", names.join(", "))
}

/// The signature that opens a PostgreSQL binary `COPY` stream, in either direction.
pub(crate) const COPY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Builds a PostgreSQL binary `COPY` stream: the signature, flags and an empty header extension,
/// then per row a 16-bit field count and each field as a 32-bit length (-1 for NULL) and its bytes
/// (`bigint` as 8 bytes big-endian, text as UTF-8, `bytea` as is), then the trailer -1. No text
/// to escape or parse on either side.
#[derive(Debug)]
pub(crate) struct CopyRows {
    out: Vec<u8>,
    fields: i16,
}

impl CopyRows {
    pub(crate) fn with_capacity(bytes: usize, fields: usize) -> Self {
        let mut out = Vec::with_capacity(bytes + 32);
        out.extend_from_slice(COPY_SIGNATURE);
        out.extend_from_slice(&0u32.to_be_bytes());
        out.extend_from_slice(&0u32.to_be_bytes());
        Self { out, fields: i16::try_from(fields).unwrap_or(i16::MAX) }
    }

    pub(crate) fn row(&mut self) -> &mut Self {
        self.out.extend_from_slice(&self.fields.to_be_bytes());
        self
    }

    fn field(&mut self, bytes: &[u8]) -> &mut Self {
        self.out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        self.out.extend_from_slice(bytes);
        self
    }

    fn null(&mut self) -> &mut Self {
        self.out.extend_from_slice(&(-1i32).to_be_bytes());
        self
    }

    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&(-1i16).to_be_bytes());
        self.out
    }
}

/// Rows per statement of a batched prepared insert on SQLite: 100 rows of 10 columns bind 1,000
/// parameters, far below SQLite's limit of 32,766, and one prepared statement serves every full
/// chunk of an import.
pub(crate) const ROWS_PER_STATEMENT: usize = 100;

/// `INSERT INTO table (columns) VALUES (?, …), …` for `rows` rows, plus `suffix`.
pub(crate) fn values_sql(table: &str, columns: &[(&str, Kind)], rows: usize, suffix: &str) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let row = format!("({})", vec!["?"; columns.len()].join(", "));
    format!("INSERT INTO {table} ({}) VALUES {}{suffix}", names.join(", "), vec![row.as_str(); rows].join(", "))
}

/// The statements that write one table in bulk, whichever form the rows take.
#[derive(Debug)]
pub(crate) struct BulkSql {
    /// `INSERT … SELECT` from JSON rows.
    pub(crate) json: String,
    /// The binary `COPY` (PostgreSQL).
    pub(crate) copy: String,
    /// The prepared insert of [`ROWS_PER_STATEMENT`] rows (SQLite).
    values_full: String,
    table: String,
    columns: Vec<(&'static str, Kind)>,
    suffix: String,
}

impl BulkSql {
    pub(crate) fn new(dialect: Dialect, table: &str, columns: &[(&'static str, Kind)], suffix: &str) -> Self {
        Self {
            json: insert_sql(dialect, table, columns, suffix),
            copy: copy_sql(table, columns),
            values_full: values_sql(table, columns, ROWS_PER_STATEMENT, suffix),
            table: table.to_owned(),
            columns: columns.to_vec(),
            suffix: suffix.to_owned(),
        }
    }

    /// The prepared insert of `rows` rows: the shared one for a full chunk, else the last chunk's.
    pub(crate) fn values(&self, rows: usize) -> std::borrow::Cow<'_, str> {
        if rows == ROWS_PER_STATEMENT {
            std::borrow::Cow::Borrowed(&self.values_full)
        } else {
            std::borrow::Cow::Owned(values_sql(&self.table, &self.columns, rows, &self.suffix))
        }
    }
}

/// Rows bound as parameters of prepared multi-row inserts (SQLite): [`ROWS_PER_STATEMENT`] rows
/// per statement, so one prepared statement is re-bound for every chunk and no text is escaped
/// or parsed.
#[derive(Debug, Default)]
pub(crate) struct ValueRows {
    chunks: Vec<(sqlx::sqlite::SqliteArguments<'static>, usize)>,
    current: sqlx::sqlite::SqliteArguments<'static>,
    rows_in_current: usize,
}

impl ValueRows {
    fn row(&mut self) {
        if self.rows_in_current == ROWS_PER_STATEMENT {
            self.chunks.push((std::mem::take(&mut self.current), self.rows_in_current));
            self.rows_in_current = 0;
        }
        self.rows_in_current += 1;
    }

    fn add<T>(&mut self, value: T)
    where
        T: sqlx::Encode<'static, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite> + 'static,
    {
        // Encoding an owned string, integer or byte vector for SQLite cannot fail.
        let _ = sqlx::Arguments::add(&mut self.current, value);
    }

    fn finish(mut self) -> Vec<(sqlx::sqlite::SqliteArguments<'static>, usize)> {
        if self.rows_in_current > 0 {
            self.chunks.push((self.current, self.rows_in_current));
        }
        self.chunks
    }
}

/// Rows for a bulk insert in the form each database reads fastest: parameters of prepared
/// multi-row inserts on SQLite, a binary `COPY` stream on PostgreSQL, or JSON rows unpacked by one
/// `INSERT … SELECT` (an upsert on PostgreSQL, a few rows). Built once by the caller, whichever
/// the database.
#[derive(Debug)]
pub(crate) enum Rows {
    Json(JsonRows),
    Copy(CopyRows),
    Values(ValueRows),
}

/// Finished [`Rows`], ready to write.
#[derive(Debug)]
pub(crate) enum RowsData {
    Json(String),
    Copy(Vec<u8>),
    /// The parameters of each prepared insert and its number of rows.
    Values(Vec<(sqlx::sqlite::SqliteArguments<'static>, usize)>),
}

impl Rows {
    /// Rows of `fields` columns, about `bytes` long in all, for a plain insert.
    pub(crate) fn new(dialect: Dialect, fields: usize, bytes: usize) -> Self {
        match dialect {
            Dialect::Sqlite => Self::Values(ValueRows::default()),
            Dialect::Postgres => Self::Copy(CopyRows::with_capacity(bytes, fields)),
        }
    }

    pub(crate) fn row(&mut self) -> &mut Self {
        match self {
            Self::Json(r) => {
                r.row();
            }
            Self::Copy(r) => {
                r.row();
            }
            Self::Values(r) => r.row(),
        }
        self
    }

    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        match self {
            Self::Json(r) => {
                r.text(value);
            }
            Self::Copy(r) => {
                r.field(value.as_bytes());
            }
            Self::Values(r) => r.add(value.to_owned()),
        }
        self
    }

    pub(crate) fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match (&mut *self, value) {
            (Self::Json(r), v) => {
                r.opt_text(v);
            }
            (Self::Copy(r), Some(v)) => {
                r.field(v.as_bytes());
            }
            (Self::Copy(r), None) => {
                r.null();
            }
            (Self::Values(r), v) => r.add(v.map(str::to_owned)),
        }
        self
    }

    pub(crate) fn int(&mut self, value: i64) -> &mut Self {
        match self {
            Self::Json(r) => {
                r.int(value);
            }
            Self::Copy(r) => {
                r.field(&value.to_be_bytes());
            }
            Self::Values(r) => r.add(value),
        }
        self
    }

    pub(crate) fn opt_int(&mut self, value: Option<i64>) -> &mut Self {
        match (&mut *self, value) {
            (Self::Json(r), v) => {
                r.opt_int(v);
            }
            (Self::Copy(r), Some(v)) => {
                r.field(&v.to_be_bytes());
            }
            (Self::Copy(r), None) => {
                r.null();
            }
            (Self::Values(r), v) => r.add(v),
        }
        self
    }

    pub(crate) fn blob(&mut self, value: &[u8]) -> &mut Self {
        match self {
            Self::Json(r) => {
                r.blob(value);
            }
            Self::Copy(r) => {
                r.field(value);
            }
            Self::Values(r) => r.add(value.to_vec()),
        }
        self
    }

    pub(crate) fn finish(self) -> RowsData {
        match self {
            Self::Json(r) => RowsData::Json(r.finish()),
            Self::Copy(r) => RowsData::Copy(r.finish()),
            Self::Values(r) => RowsData::Values(r.finish()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_json() {
        let mut rows = JsonRows::with_capacity(64);
        rows.row().int(1).text("a\"b").opt_text(None).blob(&[0, 255]);
        rows.row().opt_int(None).text("é").opt_text(Some("x")).blob(&[]);
        let text = rows.finish();
        assert_eq!(text, r#"[[1,"a\"b",null,"00ff"],[null,"é","x",""]]"#);
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed[0][1], "a\"b");
        assert_eq!(JsonRows::with_capacity(1).finish(), "[]");
    }

    #[test]
    fn sql_for_both_dialects() {
        let cols = [("a", Kind::Int), ("b", Kind::Blob)];
        assert_eq!(
            insert_sql(Dialect::Sqlite, "t", &cols, ""),
            "INSERT INTO t (a, b) SELECT value->>0, unhex(value->>1) FROM json_each($1) WHERE true"
        );
        assert_eq!(
            insert_sql(Dialect::Postgres, "t", &cols, ""),
            "INSERT INTO t (a, b) SELECT (e->>0)::bigint, decode(e->>1, 'hex') FROM json_array_elements($1::json) AS rows(e)"
        );
    }
}
