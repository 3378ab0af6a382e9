//! The CSV table reader (`table::Table::read`, `csv::last_record_end`) and person rows
//! (`PersonRecord::from_row`, the owned `Person`) on an arbitrary person file (docs/person-file.md).
//!
//! Checks: nothing panics; rows come in line order and a row without a fault has the header's
//! field count; reading the body in two chunks split where the streaming screen splits it
//! (`last_record_end`) gives the same rows as reading it whole; a row that parses has a non-empty
//! id, and its owned `Person` reads back (`Person::with_record`) as the same person and survives
//! the register's column-by-column round trip (`Person::value` / `Person::set`); a refused row
//! says why.
#![no_main]

use custodia_core::csv::{Delimiter, last_record_end};
use custodia_core::person::Column;
use custodia_core::table::{RowFault, Rows, Table};
use custodia_core::{Person, PersonHeader, PersonRecord};
use custodia_fuzz::delimiter;
use libfuzzer_sys::fuzz_target;

/// Rows looked at per input: enough for every shape, few enough to keep executions fast.
const MAX_ROWS: usize = 2_000;

type RowShape = (Vec<Vec<u8>>, Option<RowFault>);

fuzz_target!(|data: &[u8]| {
    let choice = data.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    let Ok(table) = Table::read(data, delimiter(choice), PersonHeader::COLUMNS) else { return };
    let header = PersonHeader::from_header(table.header().clone());
    let mut rows = table.rows();
    let mut whole: Vec<RowShape> = Vec::new();
    let mut last_line = 0;
    while let Some(row) = rows.next() {
        assert!(row.line > last_line, "row lines out of order: {} after {last_line}", row.line);
        last_line = row.line;
        if row.fault.is_none() {
            assert_eq!(row.fields.len(), header.field_count());
        }
        whole.push(shape(&row.fields.iter().collect::<Vec<_>>(), row.fault));
        check_row(PersonRecord::from_row(&header, &row));
        if whole.len() >= MAX_ROWS {
            return;
        }
    }
    let body = data.get(table.start.body_offset..).unwrap_or_default();
    let split = usize::from(choice) * body.len() / 255;
    check_chunked(body, split, table.start.delimiter, header.field_count(), &whole);
});

fn shape(fields: &[&[u8]], fault: Option<RowFault>) -> RowShape {
    (fields.iter().map(|f| f.to_vec()).collect(), fault)
}

fn check_row(parsed: Result<PersonRecord<'_>, custodia_core::RowError>) {
    match parsed {
        Ok(record) => {
            assert!(!record.person_id.is_empty(), "a parsed row without a person id");
            let person = Person::from_record(&record);
            let again = person.with_record(Person::from_record);
            assert_eq!(again.as_ref(), Ok(&person), "the owned person does not read back as itself");
            let mut rebuilt = Person::default();
            for column in Column::ALL {
                assert_eq!(rebuilt.set(column, person.value(column)), Ok(()), "column {column:?}");
            }
            assert_eq!(rebuilt, person, "the column round trip changed the person");
        }
        Err(error) => assert!(!error.message.is_empty(), "a refused row without a reason"),
    }
}

/// The rows of `body` read as the streaming reader reads them: up to the last complete record
/// before `split`, then the rest.
fn check_chunked(body: &[u8], split: usize, delimiter: Delimiter, field_count: usize, whole: &[RowShape]) {
    let head = body.get(..split).unwrap_or(body);
    let end = last_record_end(head, delimiter).unwrap_or(0);
    let mut chunked = Vec::new();
    for chunk in [body.get(..end).unwrap_or_default(), body.get(end..).unwrap_or_default()] {
        let mut rows = Rows::new(chunk, delimiter, field_count, 0);
        while let Some(row) = rows.next() {
            chunked.push(shape(&row.fields.iter().collect::<Vec<_>>(), row.fault));
        }
    }
    assert_eq!(chunked, whole, "reading in two chunks (split at {end}) differs from reading whole");
}
