//! Bulk inserts that bind one JSON document per batch instead of one parameter per value.
//!
//! Binding tens of thousands of parameters per statement spends most of an import in the
//! driver's argument handling; instead the rows are written as one JSON array of arrays and the
//! database unpacks it (`json_each` in SQLite, `json_array_elements` in PostgreSQL). The SQL is
//! generated from one column list for both dialects.

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
