//! Person records as the sending state exports them (docs/person-file.md), parsed row by row without
//! allocating on the success path.

use std::fmt;

use crate::date::Date;
use crate::ids::{CountryCode, IdError, PersonId};
use crate::table::{Columns, Header, Row, RowFault, TableError};
use crate::term::Term;

macro_rules! value_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// The exact text used in files.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            /// Parses the exact text (case-sensitive, never trimmed).
            pub fn parse(text: &str) -> Option<Self> {
                Self::parse_bytes(text.as_bytes())
            }
            /// Parses raw bytes.
            pub fn parse_bytes(bytes: &[u8]) -> Option<Self> {
                $(if bytes == $text.as_bytes() { return Some($name::$variant); })*
                None
            }
            /// The allowed values joined by `, `, for error messages.
            pub fn allowed() -> &'static str {
                concat!($($text, ", "),*).trim_end_matches(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

value_enum!(
    /// State of the conviction.
    Conviction { Final = "final", AppealPending = "appeal_pending", None = "none" }
);
value_enum!(
    /// Offence category of the conviction.
    OffenceCategory {
        Violent = "violent", Homicide = "homicide", Sexual = "sexual", Drug = "drug", Property = "property",
        Fraud = "fraud", Weapons = "weapons", Gang = "gang", Terrorism = "terrorism", WarCrimes = "war_crimes",
        NationalSecurity = "national_security", OrganisedCrime = "organised_crime", Immigration = "immigration",
        Other = "other",
    }
);
value_enum!(
    /// Security classification.
    SecurityClass { Minimum = "minimum", Low = "low", Medium = "medium", High = "high", Maximum = "maximum" }
);
value_enum!(
    /// The person's consent to the transfer.
    Consent { Given = "given", Refused = "refused" }
);
value_enum!(
    /// State of a removal (expulsion) order.
    RemovalOrder { Final = "final", Pending = "pending", None = "none" }
);
value_enum!(
    /// Outcome of a torture-risk (non-refoulement) assessment.
    TortureRisk { NoRisk = "no_risk", Risk = "risk" }
);
value_enum!(
    /// Whether the person has care needs the receiving facility cannot meet.
    CareNeeds { Yes = "yes", No = "no" }
);

/// Most bytes of a name column (`family_name`, `given_names`).
pub const MAX_NAME_BYTES: usize = 200;

/// A person's nationalities: a set of distinct country codes (a 26×26 bitmap, so any number of
/// codes fits without allocating; the text as written is kept beside it in [`PersonRecord`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Nationalities {
    bits: [u64; 11],
}

impl Nationalities {
    fn index(code: CountryCode) -> usize {
        let bytes = code.as_str().as_bytes();
        let a = usize::from(bytes.first().copied().unwrap_or(b'A').saturating_sub(b'A'));
        let b = usize::from(bytes.get(1).copied().unwrap_or(b'A').saturating_sub(b'A'));
        a * 26 + b
    }

    fn insert(&mut self, code: CountryCode) -> bool {
        let i = Self::index(code);
        match self.bits.get_mut(i / 64) {
            Some(word) if *word & (1 << (i % 64)) == 0 => {
                *word |= 1 << (i % 64);
                true
            }
            _ => false,
        }
    }

    /// Whether `code` is one of them.
    pub fn contains(&self, code: CountryCode) -> bool {
        let i = Self::index(code);
        self.bits.get(i / 64).is_some_and(|word| word & (1 << (i % 64)) != 0)
    }

    /// The codes, in alphabetical order.
    pub fn iter(&self) -> impl Iterator<Item = CountryCode> + '_ {
        (0..26 * 26).filter_map(move |i| {
            let set = self.bits.get(i / 64).is_some_and(|word| word & (1 << (i % 64)) != 0);
            let code = [b'A' + (i / 26) as u8, b'A' + (i % 26) as u8];
            if set { CountryCode::parse_bytes(&code) } else { None }
        })
    }

    /// Parses `US;SV`: codes joined by `;`, none repeated (so at most the 250 codes), at least
    /// one.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut out = Self::default();
        for part in bytes.split(|b| *b == b';') {
            let code = CountryCode::parse_bytes(part).ok_or_else(|| {
                format!(
                    "{:?} is not an ISO 3166-1 alpha-2 country code; write codes such as US or US;SV",
                    String::from_utf8_lossy(part)
                )
            })?;
            if !out.insert(code) {
                return Err(format!("{code} is listed twice"));
            }
        }
        Ok(out)
    }
}

/// The columns of a person file. Order is free in the file; unknown columns are ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// `person_id`, required.
    PersonId,
    /// `family_name`.
    FamilyName,
    /// `given_names`.
    GivenNames,
    /// `birth_date`.
    BirthDate,
    /// `nationalities`.
    Nationalities,
    /// `conviction`.
    Conviction,
    /// `offence_category`.
    OffenceCategory,
    /// `sentence_start`.
    SentenceStart,
    /// `sentence_term`.
    SentenceTerm,
    /// `jail_credit_days`.
    JailCreditDays,
    /// `security_class`.
    SecurityClass,
    /// `consent`.
    Consent,
    /// `removal_order`.
    RemovalOrder,
    /// `torture_risk`.
    TortureRisk,
    /// `torture_risk_assessed_on`.
    TortureRiskAssessedOn,
    /// `care_needs`.
    CareNeeds,
    /// `removal_destination`: the country the removal order sends the person to.
    RemovalDestination,
}

impl Column {
    /// Every column.
    pub const ALL: [Column; 17] = [
        Self::PersonId,
        Self::FamilyName,
        Self::GivenNames,
        Self::BirthDate,
        Self::Nationalities,
        Self::Conviction,
        Self::OffenceCategory,
        Self::SentenceStart,
        Self::SentenceTerm,
        Self::JailCreditDays,
        Self::SecurityClass,
        Self::Consent,
        Self::RemovalOrder,
        Self::TortureRisk,
        Self::TortureRiskAssessedOn,
        Self::CareNeeds,
        Self::RemovalDestination,
    ];

    /// The header name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::PersonId => "person_id",
            Self::FamilyName => "family_name",
            Self::GivenNames => "given_names",
            Self::BirthDate => "birth_date",
            Self::Nationalities => "nationalities",
            Self::Conviction => "conviction",
            Self::OffenceCategory => "offence_category",
            Self::SentenceStart => "sentence_start",
            Self::SentenceTerm => "sentence_term",
            Self::JailCreditDays => "jail_credit_days",
            Self::SecurityClass => "security_class",
            Self::Consent => "consent",
            Self::RemovalOrder => "removal_order",
            Self::TortureRisk => "torture_risk",
            Self::TortureRiskAssessedOn => "torture_risk_assessed_on",
            Self::CareNeeds => "care_needs",
            Self::RemovalDestination => "removal_destination",
        }
    }
}

/// The column names of a person file, in export order (`docs/person-file.md`).
pub const PERSON_COLUMNS: [&str; Column::ALL.len()] = {
    let mut names = [""; Column::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        #[allow(clippy::indexing_slicing)] // const context; both arrays have the same length
        {
            names[i] = Column::ALL[i].name();
        }
        i += 1;
    }
    names
};

/// Where each known column is in a person file, and which columns it lacks or adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonHeader {
    header: Header,
}

impl PersonHeader {
    /// The columns a person file may have; only `person_id` is required.
    pub const COLUMNS: Columns<'static> = Columns { known: &PERSON_COLUMNS, required: &["person_id"] };

    /// Maps header names to columns. Names are exact (case-sensitive); unknown names are ignored
    /// (and listed by [`Header::unknown`]).
    pub fn from_names<'a, I>(names: I) -> Result<Self, TableError>
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        Header::resolve(names, Self::COLUMNS).map(Self::from_header)
    }

    /// A header resolved by [`crate::table`] against [`PersonHeader::COLUMNS`].
    pub fn from_header(header: Header) -> Self {
        Self { header }
    }

    /// The header as the table reader resolved it (unknown and missing columns).
    pub fn table(&self) -> &Header {
        &self.header
    }

    /// Number of fields every row must have.
    pub fn field_count(&self) -> usize {
        self.header.field_count()
    }

    /// Position of a column in a row, if the file has it.
    pub fn position(&self, column: Column) -> Option<usize> {
        self.header.position(column as usize)
    }

    /// Whether the file has a column.
    pub fn has(&self, column: Column) -> bool {
        self.position(column).is_some()
    }
}

/// A row that cannot be read: the column (if one is to blame) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The column at fault, `None` for whole-row problems (field count, encoding).
    pub column: Option<Column>,
    /// What is wrong, for a person to read.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "{}: {}", column.name(), self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for RowError {}

/// One person row, borrowed from the input line. `None` means unknown (empty cell or missing
/// column), never a guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersonRecord<'a> {
    /// The sending state's id, non-empty.
    pub person_id: &'a str,
    /// Family name (free text).
    pub family_name: &'a str,
    /// Given names (free text).
    pub given_names: &'a str,
    /// Date of birth.
    pub birth_date: Option<Date>,
    /// Nationalities.
    pub nationalities: Option<Nationalities>,
    /// The nationalities exactly as written (`SV;US` keeps its order).
    pub nationalities_text: &'a str,
    /// Conviction state.
    pub conviction: Option<Conviction>,
    /// Offence category.
    pub offence_category: Option<OffenceCategory>,
    /// Commencement of the sentence.
    pub sentence_start: Option<Date>,
    /// Term imposed.
    pub sentence_term: Option<Term>,
    /// The term exactly as written (`8y0m21d` and `8y21d` are the same term, written differently).
    pub sentence_term_text: &'a str,
    /// Prior-custody credit; an empty cell or a missing column means 0.
    pub jail_credit_days: u32,
    /// Whether the credit was written (a non-empty cell), so an empty cell stays empty.
    pub jail_credit_written: bool,
    /// Security class.
    pub security_class: Option<SecurityClass>,
    /// Consent.
    pub consent: Option<Consent>,
    /// Removal order.
    pub removal_order: Option<RemovalOrder>,
    /// Torture-risk assessment outcome (`None`: unassessed).
    pub torture_risk: Option<TortureRisk>,
    /// Date of that assessment.
    pub torture_risk_assessed_on: Option<Date>,
    /// Care needs.
    pub care_needs: Option<CareNeeds>,
    /// The country a removal order sends the person to.
    pub removal_destination: Option<crate::CountryCode>,
}

fn shown(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// The fields of one row, however they were split.
pub trait RowFields<'a> {
    /// Number of fields.
    fn count(&self) -> usize;
    /// Field `index`, unquoted.
    fn field(&self, index: usize) -> Option<&'a [u8]>;
    /// The whole row as text when that is cheaper than checking field by field (one UTF-8
    /// check per row), for [`RowFields::text_in`].
    fn row_text(&self) -> Option<&'a str> {
        None
    }
    /// Field `index` as a slice of `row_text`, if it is one.
    fn text_in(&self, _row_text: &'a str, _index: usize) -> Option<&'a str> {
        None
    }
}

impl<'a> RowFields<'a> for [&'a [u8]] {
    fn count(&self) -> usize {
        self.len()
    }
    fn field(&self, index: usize) -> Option<&'a [u8]> {
        self.get(index).copied()
    }
}

impl<'a> RowFields<'a> for crate::csv::Fields<'a> {
    fn count(&self) -> usize {
        self.len()
    }
    fn field(&self, index: usize) -> Option<&'a [u8]> {
        self.get(index)
    }
    fn row_text(&self) -> Option<&'a str> {
        self.record_text()
    }
    fn text_in(&self, row_text: &'a str, index: usize) -> Option<&'a str> {
        crate::csv::Fields::text_in(self, row_text, index)
    }
}

impl RowError {
    /// The error of a row the table reader could not split into the header's fields.
    pub fn from_fault(header: &PersonHeader, fault: &RowFault) -> Self {
        let message = fault.message(header.table());
        let column = fault.column(header.table()).and_then(|name| Column::ALL.into_iter().find(|c| c.name() == name));
        match column {
            Some(c) => {
                let detail = message.strip_prefix(c.name()).and_then(|m| m.strip_prefix(": ")).unwrap_or(&message);
                Self { column, message: detail.to_owned() }
            }
            None => Self { column: None, message },
        }
    }
}

impl<'a> PersonRecord<'a> {
    /// Reads one row of a person file as every reader does (`custodia screen`, the imports, the
    /// API): a row the table reader could not split, or with the wrong number of fields, is
    /// invalid as a whole; otherwise every value is checked ([`PersonRecord::parse`]). Readers
    /// that screen or store the row also check its sentence with
    /// [`crate::eligibility::Screener::check`].
    pub fn from_row(header: &PersonHeader, row: &Row<'a>) -> Result<Self, RowError> {
        if let Some(fault) = &row.fault {
            return Err(RowError::from_fault(header, fault));
        }
        Self::parse(header, &row.fields)
    }

    /// Parses one data row. `fields` are the row's raw fields in file order; the row must have as
    /// many fields as the header. Every value is checked even when no rule reads it (docs/person-file.md).
    pub fn parse<F: RowFields<'a> + ?Sized>(header: &PersonHeader, fields: &F) -> Result<Self, RowError> {
        if fields.count() != header.field_count() {
            return Err(RowError {
                column: None,
                message: format!("row has {} fields but the header has {}", fields.count(), header.field_count()),
            });
        }
        let get = |column: Column| -> &'a [u8] { header.position(column).and_then(|i| fields.field(i)).unwrap_or(b"") };
        // Every column is checked; all problems are reported together, in docs/person-file.md column order.
        let mut problems: Vec<(Column, String)> = Vec::new();
        let mut check = |column: Column, result: Result<(), String>| {
            if let Err(message) = result {
                problems.push((column, message));
            }
        };

        // A valid UTF-8 row has valid UTF-8 fields: one check per row instead of one per field.
        let row_text = fields.row_text();
        let text_of = |column: Column| -> Option<&'a str> {
            if let (Some(row_text), Some(i)) = (row_text, header.position(column))
                && let Some(text) = fields.text_in(row_text, i)
            {
                return Some(text);
            }
            std::str::from_utf8(get(column)).ok()
        };
        let person_id_text = text_of(Column::PersonId);
        let person_id = person_id_text.unwrap_or_default();
        check(
            Column::PersonId,
            match person_id_text {
                None => Err("is not valid UTF-8".to_owned()),
                Some(id) => PersonId::validate(id).map_err(|e: IdError| e.to_string()),
            },
        );
        let name_of = |column: Column| -> Result<&'a str, String> {
            let raw = get(column);
            if raw.len() > MAX_NAME_BYTES {
                return Err(format!("must be at most {MAX_NAME_BYTES} bytes (it has {})", raw.len()));
            }
            text_of(column).ok_or_else(|| "is not valid UTF-8".to_owned())
        };
        fn optional<T>(raw: &[u8], parse: impl FnOnce(&[u8]) -> Result<T, String>) -> Result<Option<T>, String> {
            if raw.is_empty() { Ok(None) } else { parse(raw).map(Some) }
        }
        fn date(raw: &[u8]) -> Result<Date, String> {
            Date::parse_bytes(raw).map_err(|e| format!("{} {e}", shown(raw)))
        }
        fn choice<T>(
            raw: &[u8],
            parse: fn(&[u8]) -> Option<T>,
            allowed: fn() -> &'static str,
        ) -> Result<Option<T>, String> {
            optional(raw, |raw| parse(raw).ok_or_else(|| format!("{} is not one of: {}", shown(raw), allowed())))
        }
        fn credit(raw: &[u8]) -> Result<u32, String> {
            if raw.is_empty() {
                return Ok(0);
            }
            if !raw.iter().all(u8::is_ascii_digit) {
                return Err(format!("{} is not a whole number of days (0 or more)", shown(raw)));
            }
            // Any [0-9]+ spelling is valid (leading zeros too); a value the register cannot keep
            // exactly (beyond u32, some 11 million years) is refused rather than changed.
            raw.iter()
                .try_fold(0u32, |acc, b| acc.checked_mul(10)?.checked_add(u32::from(b - b'0')))
                .ok_or_else(|| format!("{} is more than {} days", shown(raw), u32::MAX))
        }
        macro_rules! field {
            ($column:expr, $result:expr) => {
                match $result {
                    Ok(value) => Some(value),
                    Err(message) => {
                        check($column, Err(message));
                        None
                    }
                }
            };
        }

        let family_name = field!(Column::FamilyName, name_of(Column::FamilyName));
        let given_names = field!(Column::GivenNames, name_of(Column::GivenNames));
        let birth_date = field!(Column::BirthDate, optional(get(Column::BirthDate), date));
        let nationalities =
            field!(Column::Nationalities, optional(get(Column::Nationalities), Nationalities::parse_bytes));
        let conviction =
            field!(Column::Conviction, choice(get(Column::Conviction), Conviction::parse_bytes, Conviction::allowed));
        let offence_category = field!(
            Column::OffenceCategory,
            choice(get(Column::OffenceCategory), OffenceCategory::parse_bytes, OffenceCategory::allowed)
        );
        let sentence_start = field!(Column::SentenceStart, optional(get(Column::SentenceStart), date));
        let sentence_term = field!(
            Column::SentenceTerm,
            optional(get(Column::SentenceTerm), |raw| Term::parse_bytes(raw)
                .map_err(|e| format!("{} {e}", shown(raw))))
        );
        let jail_credit_days = field!(Column::JailCreditDays, credit(get(Column::JailCreditDays)));
        let security_class = field!(
            Column::SecurityClass,
            choice(get(Column::SecurityClass), SecurityClass::parse_bytes, SecurityClass::allowed)
        );
        let consent = field!(Column::Consent, choice(get(Column::Consent), Consent::parse_bytes, Consent::allowed));
        let removal_order = field!(
            Column::RemovalOrder,
            choice(get(Column::RemovalOrder), RemovalOrder::parse_bytes, RemovalOrder::allowed)
        );
        let torture_risk = field!(
            Column::TortureRisk,
            choice(get(Column::TortureRisk), TortureRisk::parse_bytes, TortureRisk::allowed)
        );
        let torture_risk_assessed_on =
            field!(Column::TortureRiskAssessedOn, optional(get(Column::TortureRiskAssessedOn), date));
        let care_needs =
            field!(Column::CareNeeds, choice(get(Column::CareNeeds), CareNeeds::parse_bytes, CareNeeds::allowed));
        let removal_destination = field!(
            Column::RemovalDestination,
            optional(get(Column::RemovalDestination), |raw| {
                crate::CountryCode::parse_bytes(raw)
                    .ok_or_else(|| format!("{} is not an ISO 3166-1 alpha-2 country code", shown(raw)))
            })
        );

        if let Some((first, _)) = problems.first() {
            let column = *first;
            let mut message = String::new();
            for (i, (c, m)) in problems.iter().enumerate() {
                if i == 0 {
                    message.push_str(m);
                } else {
                    message.push_str(&format!("; {}: {m}", c.name()));
                }
            }
            return Err(RowError { column: Some(column), message });
        }
        Ok(Self {
            person_id,
            family_name: family_name.unwrap_or_default(),
            given_names: given_names.unwrap_or_default(),
            birth_date: birth_date.flatten(),
            nationalities: nationalities.flatten(),
            nationalities_text: if nationalities.flatten().is_some() {
                text_of(Column::Nationalities).unwrap_or_default()
            } else {
                ""
            },
            conviction: conviction.flatten(),
            offence_category: offence_category.flatten(),
            sentence_start: sentence_start.flatten(),
            sentence_term: sentence_term.flatten(),
            sentence_term_text: if sentence_term.flatten().is_some() {
                text_of(Column::SentenceTerm).unwrap_or_default()
            } else {
                ""
            },
            jail_credit_days: jail_credit_days.unwrap_or(0),
            jail_credit_written: !get(Column::JailCreditDays).is_empty(),
            security_class: security_class.flatten(),
            consent: consent.flatten(),
            removal_order: removal_order.flatten(),
            torture_risk: torture_risk.flatten(),
            torture_risk_assessed_on: torture_risk_assessed_on.flatten(),
            care_needs: care_needs.flatten(),
            removal_destination: removal_destination.flatten(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,torture_risk_assessed_on,care_needs,removal_destination";

    fn header(line: &str) -> PersonHeader {
        PersonHeader::from_names(line.split(',').map(str::as_bytes)).unwrap()
    }

    fn parse<'a>(h: &PersonHeader, line: &'a str) -> Result<PersonRecord<'a>, RowError> {
        let fields: Vec<&[u8]> = line.split(',').map(str::as_bytes).collect();
        PersonRecord::parse(h, fields.as_slice())
    }

    #[test]
    fn parses_a_full_row() {
        let h = header(HEADER);
        let p = parse(
            &h,
            "P1,Doe,Jane,1990-02-28,US;SV,final,drug,2024-01-01,5y,10,medium,given,final,no_risk,2025-01-01,no,VE",
        )
        .unwrap();
        assert_eq!(p.removal_destination.map(|c| c.to_string()).as_deref(), Some("VE"));
        assert_eq!(p.person_id, "P1");
        assert_eq!(p.nationalities.unwrap().iter().map(|c| c.to_string()).collect::<Vec<_>>(), ["SV", "US"]);
        assert_eq!(p.nationalities_text, "US;SV", "the text keeps the order written");
        assert_eq!(p.sentence_term, Some(Term::parse("5y").unwrap()));
        assert_eq!(p.jail_credit_days, 10);
        assert_eq!(p.care_needs, Some(CareNeeds::No));
    }

    #[test]
    fn empty_cells_and_missing_columns_are_unknown() {
        let h = header("person_id,conviction,extra_column");
        let p = parse(&h, "P2,,whatever").unwrap();
        assert_eq!(p.conviction, None);
        assert_eq!(p.birth_date, None);
        assert_eq!(p.jail_credit_days, 0);
    }

    #[test]
    fn every_bad_value_names_its_column() {
        let h = header(HEADER);
        let good =
            "P1,Doe,Jane,1990-02-28,US;SV,final,drug,2024-01-01,5y,10,medium,given,final,no_risk,2025-01-01,no,VE";
        let cases: &[(usize, &str, Column)] = &[
            (0, "", Column::PersonId),
            (3, "1990-02-30", Column::BirthDate),
            (3, "28/02/1990", Column::BirthDate),
            (4, "US;US", Column::Nationalities),
            (4, "us", Column::Nationalities),
            (4, "US;", Column::Nationalities),
            (4, "USA", Column::Nationalities),
            (5, "Final", Column::Conviction),
            (5, " final", Column::Conviction),
            (6, "arson", Column::OffenceCategory),
            (7, "2024-1-1", Column::SentenceStart),
            (8, "5 years", Column::SentenceTerm),
            (8, "0d", Column::SentenceTerm),
            (9, "-1", Column::JailCreditDays),
            (9, "1.5", Column::JailCreditDays),
            (10, "supermax", Column::SecurityClass),
            (11, "yes", Column::Consent),
            (12, "final ", Column::RemovalOrder),
            (13, "low", Column::TortureRisk),
            (14, "2025-13-01", Column::TortureRiskAssessedOn),
            (15, "maybe", Column::CareNeeds),
            (16, "Venezuela", Column::RemovalDestination),
            (16, "ve", Column::RemovalDestination),
        ];
        for (index, value, column) in cases {
            let mut fields: Vec<&str> = good.split(',').collect();
            fields[*index] = value;
            let line = fields.join(",");
            let err = parse(&h, &line).unwrap_err();
            assert_eq!(err.column, Some(*column), "{value:?}: {err}");
            assert!(err.to_string().starts_with(column.name()), "{err}");
        }
    }

    #[test]
    fn names_are_limited() {
        let h = header(HEADER);
        let row = |family: &str, given: &str| {
            format!(
                "P1,{family},{given},1990-02-28,US,final,drug,2024-01-01,5y,10,medium,given,final,no_risk,2025-01-01,no,VE"
            )
        };
        let longest = "é".repeat(MAX_NAME_BYTES / 2);
        let ok = row(&longest, &longest);
        let p = parse(&h, &ok).unwrap();
        assert_eq!((p.family_name.len(), p.given_names.len()), (MAX_NAME_BYTES, MAX_NAME_BYTES));
        let err = parse(&h, &row(&"x".repeat(MAX_NAME_BYTES + 1), "Jane")).unwrap_err();
        assert_eq!(err.to_string(), "family_name: must be at most 200 bytes (it has 201)");
        let err = parse(&h, &row("Doe", &"x".repeat(1 << 20))).unwrap_err();
        assert_eq!(err.column, Some(Column::GivenNames), "{err}");
    }

    #[test]
    fn every_problem_is_reported_in_column_order() {
        let h = header(HEADER);
        let err =
            parse(&h, "P1,Doe,Jane,1990-02-30,US,final,drug,2024-01-01,5y,x,medium,given,final,no_risk,2025-01-01,no,")
                .unwrap_err();
        assert_eq!(err.column, Some(Column::BirthDate));
        assert!(err.to_string().starts_with("birth_date: "), "{err}");
        assert!(err.to_string().contains("; jail_credit_days: "), "{err}");
    }

    #[test]
    fn values_are_limited_by_value_not_by_spelling() {
        let h = header(HEADER);
        let p = parse(&h, "P1,Doe,Jane,,,,,2024-01-01,00000000000000000005y,0000000000012,,,,,,,").unwrap();
        assert_eq!(p.jail_credit_days, 12);
        assert_eq!(p.sentence_term, Some(Term::parse("5y").unwrap()));
        let p = parse(&h, "P1,,,,US;SV;MX;GT;HN;CO;CU;DO;NI;EC,,,,,4294967295,,,,,,,").unwrap();
        assert_eq!(p.nationalities.unwrap().iter().count(), 10);
        assert_eq!(p.jail_credit_days, u32::MAX);
        let err = parse(&h, "P1,,,,,,,,,99999999999999999999,,,,,,,").unwrap_err();
        assert_eq!(err.column, Some(Column::JailCreditDays), "never stored as another number: {err}");
        assert!(err.message.contains("is more than 4294967295 days"), "{err}");
    }

    #[test]
    fn wrong_field_count_is_a_row_error() {
        let h = header(HEADER);
        let err = parse(&h, "P1,Doe").unwrap_err();
        assert_eq!(err.column, None);
        assert!(err.message.contains("2 fields"), "{err}");
    }

    #[test]
    fn header_problems() {
        let err = PersonHeader::from_names(["name".as_bytes()]).unwrap_err();
        assert_eq!(err.to_string(), "the header has no person_id column");
        assert_eq!(
            PersonHeader::from_names(["person_id".as_bytes(), b"consent", b"consent"]),
            Err(TableError::DuplicateColumn("consent"))
        );
        assert_eq!(PERSON_COLUMNS[0], "person_id");
        assert_eq!(PERSON_COLUMNS[15], "care_needs");
    }
}
