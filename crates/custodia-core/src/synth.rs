//! Deterministic synthetic person files (docs/person-file.md columns) for demos, tests and benchmarks.
//!
//! Each row is generated from `(seed, row index)` alone, so any range of rows can be generated
//! independently (in parallel) and the file is identical for a seed whatever the thread count.
//! The distributions model a sending state's export of transfer candidates; they are illustrative,
//! not statistics of any real population:
//!
//! - nationalities: US 35 %, VE 20 %, MX 12 %, SV 8 %, GT 6 %, HN 6 %, CO 4 %, CU 3 %, DO 2 %,
//!   others 4 %; 5 % are dual nationals (a second code from the same list);
//! - age on the reference date 2025-06-01: 0.5 % are 16–17, the rest 18–75 (skewed young);
//! - conviction: final 88 %, appeal_pending 9 %, none 3 %;
//! - offence: drug 30 %, immigration 14 %, weapons 12 %, violent 10 %, fraud 8 %, property 7 %,
//!   gang 6 %, sexual 5 %, homicide 3 %, organised_crime 2 %, terrorism 0.5 %,
//!   national_security 0.3 %, war_crimes 0.1 %, other the rest;
//! - term: life 2 %; day-only (30–1,500 days) 8 %; otherwise months — 6–24 (30 %), 25–60 (35 %),
//!   61–120 (20 %), 121–240 (10 %), 241–480 (5 %) — written as whole years when they divide by 12
//!   half of the time, sometimes with extra days (`2y6m15d`);
//! - sentence start: up to 110 % of the term before 2025-06-01 (so most are part-way through their
//!   sentence and about one in eleven has served it); life terms uniform over 2005-01-01..2025-05-31;
//! - jail credit 0 for 60 %, else 1–400 days;
//! - security class: minimum 15 %, low 30 %, medium 35 %, high 15 %, maximum 5 %;
//! - consent: given 40 %, refused 35 %, not recorded 25 %; removal order: final 45 %,
//!   pending 15 %, none 40 %;
//! - torture risk: no_risk 60 %, risk 8 %, unassessed 32 %, assessed 0–400 days before 2025-06-01;
//! - care needs: yes 12 %;
//! - every optional column is empty (unknown) in 1.5 % of rows, independently.

use crate::date::Date;
use crate::person::{Column, OffenceCategory, SecurityClass};

/// The header line written by [`write_header`].
pub const HEADER: &str = "person_id,family_name,given_names,birth_date,nationalities,conviction,offence_category,\
sentence_start,sentence_term,jail_credit_days,security_class,consent,removal_order,torture_risk,\
torture_risk_assessed_on,care_needs,removal_destination";

/// Probability, in parts per ten thousand, that an optional value is left empty.
pub const MISSING_PER_10K: u64 = 150;

const FAMILY_NAMES: &[&str] = &[
    "García",
    "Rodríguez",
    "Martínez",
    "Hernández",
    "López",
    "González",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Torres",
    "Flores",
    "Rivera",
    "Gómez",
    "Díaz",
    "Cruz",
    "Morales",
    "Reyes",
    "Gutiérrez",
    "Ortiz",
    "Ramos",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "O'Brien",
    "Castillo",
];
const GIVEN_NAMES: &[&str] = &[
    "José",
    "Luis",
    "Carlos",
    "Juan",
    "Jorge",
    "Miguel",
    "Pedro",
    "Andrés",
    "Jesús",
    "Alejandro",
    "Francisco",
    "David",
    "Daniel",
    "Manuel",
    "Ricardo",
    "Óscar",
    "James",
    "John",
    "Robert",
    "Michael",
    "William",
    "Richard",
    "Joseph",
    "Charles",
    "Christopher",
    "Anthony",
    "Mark",
    "Steven",
    "Kevin",
    "Brian",
    "María",
    "Ana",
    "Rosa",
    "Carmen",
    "Linda",
    "Patricia",
    "Jennifer",
    "Elizabeth",
    "Susan",
    "Jessica",
];
/// (code, weight) for nationalities; weights sum to 100.
const NATIONALITIES: &[(&str, u64)] = &[
    ("US", 35),
    ("VE", 20),
    ("MX", 12),
    ("SV", 8),
    ("GT", 6),
    ("HN", 6),
    ("CO", 4),
    ("CU", 3),
    ("DO", 2),
    ("NI", 1),
    ("EC", 1),
    ("HT", 1),
    ("JM", 1),
];
/// Offence weights in parts per thousand, in `OffenceCategory::ALL` order.
const OFFENCE_PER_MILLE: [u64; 14] = [100, 30, 50, 300, 70, 80, 120, 60, 5, 1, 3, 20, 140, 11];

/// A small, fast, deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn for_row(seed: u64, index: u64) -> Self {
        let mut rng = Rng(seed ^ 0x9E37_79B9_7F4A_7C15);
        rng.0 = rng.next().wrapping_add(index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0), by multiply-shift (no modulo bias worth mentioning at these sizes).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n.max(1))) >> 64) as u64
    }
    fn chance(&mut self, per_10k: u64) -> bool {
        self.below(10_000) < per_10k
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
    fn weighted<T: Copy>(&mut self, items: &[(T, u64)]) -> Option<T> {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (item, weight) in items {
            if roll < *weight {
                return Some(*item);
            }
            roll -= weight;
        }
        None
    }
}

fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
}

fn push_date(out: &mut Vec<u8>, date: Date) {
    let (y, m, d) = date.ymd();
    let y = y.unsigned_abs();
    for digit in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
        out.push(b'0' + digit as u8);
    }
    out.push(b'-');
    out.extend_from_slice(&[b'0' + (m / 10) as u8, b'0' + (m % 10) as u8, b'-']);
    out.extend_from_slice(&[b'0' + (d / 10) as u8, b'0' + (d % 10) as u8]);
}

/// Appends the header line.
pub fn write_header(out: &mut Vec<u8>) {
    out.extend_from_slice(HEADER.as_bytes());
    out.push(b'\n');
}

/// The reference date the distributions are drawn around (ages, assessment dates).
pub const REFERENCE_DATE: (i32, u32, u32) = (2025, 6, 1);

/// Appends rows `first..first + count` for `seed`.
pub fn write_rows(seed: u64, first: u64, count: u64, out: &mut Vec<u8>) {
    let reference = Date::from_ymd(REFERENCE_DATE.0, REFERENCE_DATE.1, REFERENCE_DATE.2).unwrap_or(crate::date::EPOCH);
    let start_from = Date::from_ymd(2005, 1, 1).unwrap_or(crate::date::EPOCH);
    let start_span = reference.days_since(start_from).max(1) as u64;
    for index in first..first.saturating_add(count) {
        let mut rng = Rng::for_row(seed, index);
        let term = TermPlan::draw(&mut Rng(rng.next()));
        let missing = |rng: &mut Rng| rng.chance(MISSING_PER_10K);
        // person_id: always present.
        out.push(b'P');
        let id = index + 1;
        let mut width = 1;
        while width < 9 && id < 10u64.pow(9 - width) {
            out.push(b'0');
            width += 1;
        }
        push_u64(out, id);
        for column in Column::ALL.iter().skip(1) {
            out.push(b',');
            if missing(&mut rng) {
                // Keep the stream aligned: always draw the same number of values per column.
                let _ = rng.next();
                let _ = rng.next();
                let _ = rng.next();
                continue;
            }
            let (a, b, c) = (rng.next(), rng.next(), rng.next());
            let mut local = Rng(a ^ b.rotate_left(17) ^ c.rotate_left(41));
            write_value(*column, &mut local, term, reference, start_from, start_span, out);
        }
        out.push(b'\n');
    }
}

fn write_value(
    column: Column,
    rng: &mut Rng,
    term: TermPlan,
    reference: Date,
    start_from: Date,
    start_span: u64,
    out: &mut Vec<u8>,
) {
    match column {
        Column::PersonId => {}
        Column::FamilyName => {
            let name = rng.pick(FAMILY_NAMES).copied().unwrap_or("Doe");
            // Names with commas or quotes exercise CSV quoting.
            if name.contains('\'') && rng.chance(2_000) {
                out.extend_from_slice(b"\"O'Brien, Jr.\"");
            } else {
                out.extend_from_slice(name.as_bytes());
            }
        }
        Column::GivenNames => {
            out.extend_from_slice(rng.pick(GIVEN_NAMES).copied().unwrap_or("Jo").as_bytes());
            if rng.chance(3_000) {
                out.push(b' ');
                out.extend_from_slice(rng.pick(GIVEN_NAMES).copied().unwrap_or("Jo").as_bytes());
            }
        }
        Column::BirthDate => {
            let age_days = if rng.chance(50) {
                16 * 365 + rng.below(2 * 365)
            } else {
                // Skewed young: the smaller of two uniform draws over 18–75 years.
                let span = 57 * 365;
                18 * 365 + rng.below(span).min(rng.below(span))
            };
            push_date(out, reference.add_days(-(age_days as i64)).unwrap_or(reference));
        }
        Column::Nationalities => {
            let first = rng.weighted(NATIONALITIES).unwrap_or("US");
            out.extend_from_slice(first.as_bytes());
            if rng.chance(500) {
                let second = rng.weighted(NATIONALITIES).unwrap_or("US");
                if second != first {
                    out.push(b';');
                    out.extend_from_slice(second.as_bytes());
                }
            }
        }
        Column::Conviction => {
            let roll = rng.below(100);
            out.extend_from_slice(match roll {
                0..88 => b"final" as &[u8],
                88..97 => b"appeal_pending",
                _ => b"none",
            });
        }
        Column::OffenceCategory => {
            let weights: Vec<(OffenceCategory, u64)> =
                OffenceCategory::ALL.iter().copied().zip(OFFENCE_PER_MILLE.iter().copied()).collect();
            let offence = rng.weighted(&weights).unwrap_or(OffenceCategory::Other);
            out.extend_from_slice(offence.as_str().as_bytes());
        }
        Column::SentenceStart => {
            // Part-way through the sentence: started up to 110 % of the term before the reference
            // date, so about one in eleven has already served it; life terms start any time.
            let start = match term.approx_days() {
                Some(days) => reference.add_days(-(rng.below(days * 11 / 10 + 1) as i64)),
                None => start_from.add_days(rng.below(start_span) as i64),
            };
            push_date(out, start.unwrap_or(start_from));
        }
        Column::SentenceTerm => term.write(out),
        Column::JailCreditDays => {
            let credit = if rng.below(100) < 60 { 0 } else { 1 + rng.below(400) };
            push_u64(out, credit);
        }
        Column::SecurityClass => {
            let classes = [
                (SecurityClass::Minimum, 15),
                (SecurityClass::Low, 30),
                (SecurityClass::Medium, 35),
                (SecurityClass::High, 15),
                (SecurityClass::Maximum, 5),
            ];
            out.extend_from_slice(rng.weighted(&classes).unwrap_or(SecurityClass::Medium).as_str().as_bytes());
        }
        Column::Consent => match rng.below(100) {
            0..40 => out.extend_from_slice(b"given"),
            40..75 => out.extend_from_slice(b"refused"),
            _ => {}
        },
        Column::RemovalOrder => out.extend_from_slice(match rng.below(100) {
            0..45 => b"final" as &[u8],
            45..60 => b"pending",
            _ => b"none",
        }),
        Column::TortureRisk => match rng.below(100) {
            0..60 => out.extend_from_slice(b"no_risk"),
            60..68 => out.extend_from_slice(b"risk"),
            _ => {}
        },
        Column::TortureRiskAssessedOn => {
            push_date(out, reference.add_days(-(rng.below(401) as i64)).unwrap_or(reference));
        }
        Column::CareNeeds => out.extend_from_slice(if rng.below(100) < 12 { b"yes" } else { b"no" }),
        // Where a removal order would send the person: one of the nationalities' weights.
        Column::RemovalDestination => {
            out.extend_from_slice(rng.weighted(NATIONALITIES).unwrap_or("SV").as_bytes());
        }
    }
}

/// A row's sentence term, drawn before the columns are written so that the sentence start can
/// depend on it (most candidates are part-way through their sentence).
#[derive(Debug, Clone, Copy)]
enum TermPlan {
    Life,
    Days(u64),
    Years(u64),
    Months(u64),
    YearsMonthsDays(u64, u64, u64),
}

impl TermPlan {
    fn draw(rng: &mut Rng) -> Self {
        let roll = rng.below(100);
        if roll < 2 {
            return TermPlan::Life;
        }
        if roll < 10 {
            return TermPlan::Days(30 + rng.below(1_471));
        }
        let months = match rng.below(100) {
            0..30 => 6 + rng.below(19),
            30..65 => 25 + rng.below(36),
            65..85 => 61 + rng.below(60),
            85..95 => 121 + rng.below(120),
            _ => 241 + rng.below(240),
        };
        let style = rng.below(10);
        if months % 12 == 0 && style < 5 {
            TermPlan::Years(months / 12)
        } else if style == 9 && months > 12 {
            TermPlan::YearsMonthsDays(months / 12, months % 12, 1 + rng.below(29))
        } else {
            TermPlan::Months(months)
        }
    }

    /// Approximate length in days (for choosing a plausible start), `None` for life.
    fn approx_days(self) -> Option<u64> {
        match self {
            TermPlan::Life => None,
            TermPlan::Days(d) => Some(d),
            TermPlan::Years(y) => Some(y * 365),
            TermPlan::Months(m) => Some(m * 30),
            TermPlan::YearsMonthsDays(y, m, d) => Some(y * 365 + m * 30 + d),
        }
    }

    fn write(self, out: &mut Vec<u8>) {
        let mut part = |n: u64, unit: u8| {
            push_u64(out, n);
            out.push(unit);
        };
        match self {
            TermPlan::Life => out.extend_from_slice(b"life"),
            TermPlan::Days(d) => part(d, b'd'),
            TermPlan::Years(y) => part(y, b'y'),
            TermPlan::Months(m) => part(m, b'm'),
            TermPlan::YearsMonthsDays(y, m, d) => {
                part(y, b'y');
                part(m, b'm');
                part(d, b'd');
            }
        }
    }
}

/// The header line of a synthetic stays file (the `custodia invoice` columns, docs/command-line.md).
pub const STAYS_HEADER: &str = "person_id,facility_id,security_class,admitted_on,released_on";

/// What a synthetic stays file is drawn from: the agreement's term and facilities.
#[derive(Clone, Debug)]
pub struct StayPlan<'a> {
    /// First day of the term.
    pub starts: Date,
    /// Last day of the term.
    pub ends: Date,
    /// Facility ids, chosen uniformly.
    pub facilities: &'a [&'a str],
}

/// Appends stay rows `first..first + count` for `seed`: admissions uniform from 60 days before
/// the term to its last day (so some stays began before it); 0.5 % released the day they came;
/// 15 % still open; the rest held 30 to 1,800 days (skewed short). Security classes as in the
/// person files. Each row depends on `(seed, index)` alone.
pub fn write_stays(plan: &StayPlan<'_>, seed: u64, first: u64, count: u64, out: &mut Vec<u8>) {
    let from = plan.starts.add_days(-60).unwrap_or(plan.starts);
    let span = plan.ends.days_since(from).max(1) as u64 + 1;
    let classes = [
        (SecurityClass::Minimum, 15),
        (SecurityClass::Low, 30),
        (SecurityClass::Medium, 35),
        (SecurityClass::High, 15),
        (SecurityClass::Maximum, 5),
    ];
    for index in first..first.saturating_add(count) {
        let mut rng = Rng::for_row(seed ^ 0x5354_4159, index);
        out.extend_from_slice(b"S");
        push_u64(out, index + 1);
        out.push(b',');
        out.extend_from_slice(rng.pick(plan.facilities).copied().unwrap_or_default().as_bytes());
        out.push(b',');
        out.extend_from_slice(rng.weighted(&classes).unwrap_or(SecurityClass::Medium).as_str().as_bytes());
        out.push(b',');
        let admitted = from.add_days(rng.below(span) as i64).unwrap_or(from);
        push_date(out, admitted);
        out.push(b',');
        let roll = rng.below(1_000);
        let held_days = match roll {
            0..5 => Some(0),
            5..155 => None,
            _ => {
                // The smaller of two draws: most stays are short, a few run for years.
                let a = rng.below(1_771);
                let b = rng.below(1_771);
                Some(30 + a.min(b) as i64)
            }
        };
        if let Some(days) = held_days {
            push_date(out, admitted.add_days(days).unwrap_or(admitted));
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::{PersonHeader, PersonRecord};

    #[test]
    fn rows_are_deterministic_and_independent_of_chunking() {
        let mut whole = Vec::new();
        write_rows(7, 0, 1_000, &mut whole);
        let mut parts = Vec::new();
        write_rows(7, 0, 400, &mut parts);
        write_rows(7, 400, 600, &mut parts);
        assert_eq!(whole, parts);
        let mut other_seed = Vec::new();
        write_rows(8, 0, 1_000, &mut other_seed);
        assert_ne!(whole, other_seed);
    }

    #[test]
    fn every_row_parses_and_distributions_are_plausible() {
        let mut file = Vec::new();
        write_header(&mut file);
        write_rows(1, 0, 20_000, &mut file);
        let table = crate::table::Table::read(&file, None, PersonHeader::COLUMNS).unwrap();
        assert_eq!(table.header().column_notes(), None, "every column, no other");
        let header = PersonHeader::from_header(table.header().clone());
        let (mut rows, mut life, mut us, mut missing_birth) = (0, 0, 0, 0);
        let mut data = table.rows();
        while let Some(row) = data.next() {
            let person = PersonRecord::from_row(&header, &row).unwrap_or_else(|e| panic!("{e}"));
            rows += 1;
            life += usize::from(person.sentence_term == Some(crate::term::Term::Life));
            us += usize::from(
                person.nationalities.is_some_and(|n| n.contains(crate::ids::CountryCode::parse("US").unwrap())),
            );
            missing_birth += usize::from(person.birth_date.is_none());
        }
        assert_eq!(rows, 20_000);
        assert!((200..=600).contains(&life), "life {life}");
        assert!((6_000..=8_000).contains(&us), "US {us}");
        assert!((150..=500).contains(&missing_birth), "missing birth dates {missing_birth}");
    }

    #[test]
    fn stays_are_deterministic_and_read_back() {
        let starts = Date::from_ymd(2025, 3, 15).unwrap();
        let ends = Date::from_ymd(2035, 3, 14).unwrap();
        let plan = StayPlan { starts, ends, facilities: &["cecot", "izalco"] };
        let mut whole = Vec::new();
        write_stays(&plan, 3, 0, 2_000, &mut whole);
        let mut parts = Vec::new();
        write_stays(&plan, 3, 0, 700, &mut parts);
        write_stays(&plan, 3, 700, 1_300, &mut parts);
        assert_eq!(whole, parts);
        let text = String::from_utf8(whole).unwrap();
        let (mut open, mut same_day, mut before_term) = (0, 0, 0);
        for line in text.lines() {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 5, "{line}");
            assert!(["cecot", "izalco"].contains(&f[1]));
            assert!(SecurityClass::parse(f[2]).is_some());
            let admitted = Date::parse(f[3]).unwrap();
            assert!(admitted <= ends);
            before_term += usize::from(admitted < starts);
            match f[4] {
                "" => open += 1,
                r => {
                    let released = Date::parse(r).unwrap();
                    assert!(released >= admitted);
                    same_day += usize::from(released == admitted);
                }
            }
        }
        assert!((200..=400).contains(&open), "open {open}");
        assert!((1..=30).contains(&same_day), "same-day {same_day}");
        assert!((10..=100).contains(&before_term), "before the term {before_term}");
    }
}
