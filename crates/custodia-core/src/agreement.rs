//! The agreement file (docs/agreement-file.md, with the keys of docs/rules.md, docs/capacity.md, docs/billing.md and docs/oversight.md), loaded from TOML.
//!
//! Loading validates everything and reports *all* problems at once, each with its key path and the
//! reason (`fees.capita_minor: must be a positive integer`). Unknown keys are errors, which catches
//! typos in a file that decides who may be sent abroad. A loaded [`Agreement`] is immutable.

use std::collections::BTreeMap;
use std::fmt;

use crate::date::Date;
use crate::decimal::Decimal;
use crate::ids::{AgreementId, CountryCode, CurrencyCode, FacilityId};
use crate::person::{OffenceCategory, SecurityClass};
use crate::sentence::SentenceProfile;

/// Largest accepted agreement file, bytes (a limit: real ones are a few kilobytes). Its journal
/// event carries it, escaped as a JSON string (at most twice as long), and one event must fit an
/// entry of the journal's tlog-tiles entry bundles (65,535 bytes).
pub const MAX_AGREEMENT_FILE_BYTES: usize = 30 * 1024;
/// Most facilities in one agreement.
pub const MAX_FACILITIES: usize = 1_000;
/// Longest free-text value (titles, names), bytes.
pub const MAX_TEXT_BYTES: usize = 500;
/// Largest notification deadline, hours (one year).
pub const MAX_NOTIFICATION_HOURS: i64 = 8_760;
/// Largest day count accepted for day-valued keys (about 270 years).
pub const MAX_DAYS: i64 = 99_999;
/// Largest money amount accepted for a fee key, in minor units (10^15).
pub const MAX_FEE_MINOR: i64 = 1_000_000_000_000_000;
/// Largest place count.
pub const MAX_PLACES: i64 = 10_000_000;

/// One thing wrong with an agreement file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Key path such as `fees.capita_minor` or `facilities[0].country`; empty for the file itself.
    pub path: String,
    /// Why it is wrong.
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.reason) } else { write!(f, "{}: {}", self.path, self.reason) }
    }
}

/// Every problem found in an agreement file, in file order, never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementError {
    /// The problems.
    pub problems: Vec<Problem>,
}

impl fmt::Display for AgreementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AgreementError {}

/// Which state of the agreement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Party {
    /// The state that convicted the person and pays.
    Sending,
    /// The state that holds the person and is paid.
    Receiving,
}

impl Party {
    /// `sending` or `receiving`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Party::Sending => "sending",
            Party::Receiving => "receiving",
        }
    }
}

/// A facility of the receiving state named by the agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facility {
    /// Id, unique in the agreement.
    pub id: FacilityId,
    /// Name.
    pub name: String,
    /// Country (the receiving state).
    pub country: CountryCode,
    /// What the operator claims it holds; compared with the capacity computed from cells (docs/capacity.md).
    pub stated_capacity: u32,
    /// Places under this agreement.
    pub contracted_places: u32,
    /// The facility's days: stays, deadlines and alerts are counted in this IANA zone
    /// (docs/lifecycle.md#days); `UTC` by default.
    pub time_zone: crate::zone::TimeZone,
}

/// Space standards (docs/capacity.md). Defaults are the CPT's: 4 m² shared, 6 m² single, 3 m² floor
/// (Muršić v. Croatia, ECtHR 2016: below 3 m² a strong presumption of degrading treatment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standards {
    /// Net floor area per person in a shared cell.
    pub shared_m2_per_person: Decimal,
    /// Minimum area of a single cell.
    pub single_cell_min_m2: Decimal,
    /// Absolute floor per person; never placed below it.
    pub floor_m2_per_person: Decimal,
}

impl Default for Standards {
    fn default() -> Self {
        Self {
            shared_m2_per_person: Decimal::from_integer(4),
            single_cell_min_m2: Decimal::from_integer(6),
            floor_m2_per_person: Decimal::from_integer(3),
        }
    }
}

/// Policy for nationals of the sending state (E07).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CitizenPolicy {
    /// Nationals fail.
    Forbidden,
    /// Nationals need `consent = given`.
    WithConsent,
    /// Nationals pass.
    Allowed,
}

impl CitizenPolicy {
    /// The value as written in the file.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::WithConsent => "with_consent",
            Self::Allowed => "allowed",
        }
    }
}

/// Policy for nationals of the receiving state (E08).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NationalsPolicy {
    /// Nationals of the receiving state fail.
    Forbidden,
    /// No restriction (same as an absent key).
    Allowed,
}

impl NationalsPolicy {
    /// The value as written in the file.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::Allowed => "allowed",
        }
    }
}

/// Eligibility configuration (docs/rules.md). A rule applies only when its key is present; a boolean
/// key set to `false` is the same as an absent one.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Eligibility {
    /// E01.
    pub require_final_conviction: bool,
    /// E02, years.
    pub min_age: Option<u32>,
    /// E03, days.
    pub min_sentence_days: Option<u32>,
    /// E04, days.
    pub min_remaining_days: Option<u32>,
    /// E06.
    pub exclude_life_sentences: bool,
    /// E07.
    pub sending_state_citizens: Option<CitizenPolicy>,
    /// E08.
    pub receiving_state_nationals: Option<NationalsPolicy>,
    /// E09.
    pub allowed_nationalities: Option<Vec<CountryCode>>,
    /// E10.
    pub require_consent: bool,
    /// E10 waiver (ETS 167 art. 3).
    pub consent_waived_by_removal_order: bool,
    /// E11.
    pub require_removal_order: bool,
    /// E12.
    pub excluded_offences: Option<Vec<OffenceCategory>>,
    /// E13.
    pub allowed_security_classes: Option<Vec<SecurityClass>>,
    /// E14.
    pub exclude_care_needs: bool,
    /// E15, days.
    pub torture_risk_max_age_days: Option<u32>,
}

/// The fee model (docs/billing.md). Amounts in minor units of the agreement's currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fees {
    /// A rate per person-day, optionally by security class, optionally with guaranteed places.
    PerDiem {
        /// Default rate per person-day.
        rate_minor: i64,
        /// Rates for particular security classes.
        class_rates_minor: BTreeMap<SecurityClass, i64>,
        /// Places paid for even when empty.
        guaranteed_minimum_places: Option<u32>,
    },
    /// Reserved places per month plus extra person-days.
    PerPlaceMonth {
        /// Price of one place for one month.
        place_month_minor: i64,
        /// Places reserved.
        reserved_places: u32,
        /// Price of a person-day beyond the reserved places.
        extra_person_day_minor: i64,
    },
    /// A fixed amount per person per coverage period.
    PerCapita {
        /// Amount per coverage period.
        capita_minor: i64,
        /// Length of a coverage period, days.
        coverage_days: u32,
        /// Cap on cumulative charges since the agreement start.
        envelope_minor: Option<i64>,
    },
    /// A fixed amount a year, paid in monthly instalments.
    LumpSumYear {
        /// Amount per year.
        year_minor: i64,
    },
}

impl Fees {
    /// The model name as written in the file.
    pub const fn model(&self) -> &'static str {
        match self {
            Fees::PerDiem { .. } => "per_diem",
            Fees::PerPlaceMonth { .. } => "per_place_month",
            Fees::PerCapita { .. } => "per_capita",
            Fees::LumpSumYear { .. } => "lump_sum_year",
        }
    }
}

/// The extras tariff (`[extras_tariff]`, docs/billing.md#transport): prices of the items the
/// custody records count, in minor units. The sustainability report prices each journey with it;
/// invoices do not (extras are billed as typed in).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtrasTariff {
    /// One departure to the receiving state (a case's `depart`).
    pub transport_departure_minor: i64,
    /// One journey back (a case's `return` or `turn_back`).
    pub transport_return_minor: i64,
}

/// Oversight configuration (docs/oversight.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Oversight {
    /// Deadline to notify next of kin, hours.
    pub next_of_kin_hours: u32,
    /// Deadline to notify the sending state, hours.
    pub sending_state_hours: u32,
    /// Deadline to notify an independent authority, hours.
    pub independent_authority_hours: u32,
    /// Deadline to notify the independent authority of a torture allegation, hours.
    pub torture_allegation_hours: u32,
    /// Bodies entitled to inspect.
    pub inspection_bodies: Vec<String>,
    /// Whom a family can call, shown by the public locator with a result (optional).
    pub family_contact: Option<String>,
}

/// The detainee's rights the agreement sets deadlines for (docs/rights.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rights {
    /// Days within which a complaint must be answered (`complaint_answer_days`, default 14).
    pub complaint_answer_days: u32,
    /// Family visits or calls held per calendar month at the least (`family_contacts_per_month`,
    /// default 4; 0 sets no minimum).
    pub family_contacts_per_month: u32,
    /// Consular visits held per quarter (91 days) at the least (`consular_visits_per_quarter`,
    /// default 1; 0 sets no minimum).
    pub consular_visits_per_quarter: u32,
}

impl Default for Rights {
    fn default() -> Self {
        Self { complaint_answer_days: 14, family_contacts_per_month: 4, consular_visits_per_quarter: 1 }
    }
}

/// The most family visits or calls a month the agreement may require.
pub const MAX_FAMILY_CONTACTS_PER_MONTH: i64 = 62;
/// The most consular visits a quarter the agreement may require.
pub const MAX_CONSULAR_VISITS_PER_QUARTER: i64 = 91;

/// The longest answer deadline of a complaint, days.
pub const MAX_COMPLAINT_ANSWER_DAYS: i64 = 365;

/// May a person be held on a final removal order alone (docs/lifecycle.md#legal-basis)?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemovalCustody {
    /// Only a final conviction is a legal basis.
    Forbidden,
    /// A final removal order with a known destination is one too, for a limited time.
    Allowed,
}

impl RemovalCustody {
    /// `forbidden` or `allowed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Forbidden => "forbidden",
            Self::Allowed => "allowed",
        }
    }
}

/// The `[custody]` safeguards (docs/lifecycle.md#safeguards).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Custody {
    /// Whether a final removal order alone is a legal basis.
    pub removal_custody: RemovalCustody,
    /// Days a person may be held on a removal order alone; set exactly when allowed.
    pub removal_custody_max_days: Option<u32>,
    /// A court-ordered return must be scheduled within this many days.
    pub court_return_days: u32,
    /// Longer in transit is a critical alert.
    pub transit_max_hours: u32,
    /// A cell may stay above its standard capacity this long after the override that took it there.
    pub override_max_days: u32,
}

impl Default for Custody {
    fn default() -> Self {
        Self {
            removal_custody: RemovalCustody::Forbidden,
            removal_custody_max_days: None,
            court_return_days: 7,
            transit_max_hours: 48,
            override_max_days: 30,
        }
    }
}

impl Default for Oversight {
    fn default() -> Self {
        Self {
            next_of_kin_hours: 24,
            sending_state_hours: 24,
            independent_authority_hours: 72,
            torture_allegation_hours: 24,
            inspection_bodies: Vec::new(),
            family_contact: None,
        }
    }
}

/// A validated agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    /// `[a-z0-9-]{3,64}`.
    pub id: AgreementId,
    /// Title.
    pub title: String,
    /// The state that sends and pays.
    pub sending_state: CountryCode,
    /// The state that holds and is paid.
    pub receiving_state: CountryCode,
    /// Who is legally responsible for the person. Always one of the two states: the register can
    /// never answer "the other state".
    pub legal_custodian: Party,
    /// Whose law governs execution of the sentence.
    pub governing_law: Party,
    /// Currency of every amount.
    pub currency: CurrencyCode,
    /// First day of the term.
    pub starts: Date,
    /// Last day of the term (inclusive).
    pub ends: Date,
    /// Release rules for E04/E05 and return dates.
    pub sentence_profile: SentenceProfile,
    /// Days before release by which the person must be back.
    pub return_before_release_days: u32,
    /// Whether the public locator answers for this agreement.
    pub public_locator: bool,
    /// Facilities, at least one.
    pub facilities: Vec<Facility>,
    /// Space standards.
    pub standards: Standards,
    /// Eligibility rules.
    pub eligibility: Eligibility,
    /// Fee model.
    pub fees: Fees,
    /// Prices of journeys counted from the custody records (`[extras_tariff]`); `None`: journeys
    /// are counted but not priced.
    pub extras_tariff: Option<ExtrasTariff>,
    /// Oversight deadlines.
    pub oversight: Oversight,
    /// Custody safeguards.
    pub custody: Custody,
    /// The detainee's rights (`[rights]`).
    pub rights: Rights,
}

impl Agreement {
    /// Parses and validates an agreement file.
    pub fn from_toml(source: &str) -> Result<Self, AgreementError> {
        if source.len() > MAX_AGREEMENT_FILE_BYTES {
            return Err(AgreementError {
                problems: vec![Problem {
                    path: String::new(),
                    reason: format!("file is larger than {MAX_AGREEMENT_FILE_BYTES} bytes"),
                }],
            });
        }
        let document = crate::toml_document::parse(source).map_err(|e| AgreementError {
            problems: vec![Problem { path: String::new(), reason: format!("not valid TOML: {e}") }],
        })?;
        let root = Node::from_table(document.as_table());
        let mut loader = Loader { problems: Vec::new() };
        let agreement = loader.agreement(&root);
        match agreement {
            Some(agreement) if loader.problems.is_empty() => Ok(agreement),
            _ => {
                if loader.problems.is_empty() {
                    loader.problems.push(Problem { path: String::new(), reason: "invalid agreement".to_owned() });
                }
                Err(AgreementError { problems: loader.problems })
            }
        }
    }

    /// The facility with this id.
    pub fn facility(&self, id: &str) -> Option<&Facility> {
        self.facilities.iter().find(|f| f.id.as_str() == id)
    }

    /// The time zone of a facility (UTC for a facility the agreement does not name).
    pub fn time_zone_of(&self, facility_id: &str) -> crate::zone::TimeZone {
        self.facility(facility_id).map_or_else(crate::zone::TimeZone::utc, |f| f.time_zone.clone())
    }

    /// The zone of steps that happen before a facility is known: the first facility's.
    pub fn default_time_zone(&self) -> crate::zone::TimeZone {
        self.facilities.first().map_or_else(crate::zone::TimeZone::utc, |f| f.time_zone.clone())
    }

    /// Whether `date` lies within the term.
    pub fn in_term(&self, date: Date) -> bool {
        self.starts <= date && date <= self.ends
    }
}

/// A TOML value reduced to what the loader needs. Floats keep the text as written so decimals
/// are exact.
#[derive(Clone, Debug)]
enum Node {
    Str(String),
    Int(i64),
    Float(String),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(String, Node)>),
}

impl Node {
    fn from_table(table: &dyn toml_edit::TableLike) -> Node {
        Node::Table(table.iter().map(|(k, item)| (k.to_owned(), Node::from_item(item))).collect())
    }

    fn from_item(item: &toml_edit::Item) -> Node {
        match item {
            toml_edit::Item::Value(value) => Node::from_value(value),
            toml_edit::Item::Table(table) => Node::from_table(table),
            toml_edit::Item::ArrayOfTables(tables) => Node::Array(tables.iter().map(|t| Node::from_table(t)).collect()),
            toml_edit::Item::None => Node::Array(Vec::new()),
        }
    }

    fn from_value(value: &toml_edit::Value) -> Node {
        match value {
            toml_edit::Value::String(s) => Node::Str(s.value().clone()),
            toml_edit::Value::Integer(i) => Node::Int(*i.value()),
            toml_edit::Value::Float(f) => {
                let raw = f.as_repr().and_then(|r| r.as_raw().as_str()).map(str::to_owned);
                Node::Float(raw.unwrap_or_else(|| f.value().to_string()))
            }
            toml_edit::Value::Boolean(b) => Node::Bool(*b.value()),
            toml_edit::Value::Datetime(d) => Node::Datetime(d.value().to_string()),
            toml_edit::Value::Array(a) => Node::Array(a.iter().map(Node::from_value).collect()),
            toml_edit::Value::InlineTable(t) => Node::from_table(t),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Node::Str(_) => "a string",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a decimal number",
            Node::Bool(_) => "a boolean",
            Node::Datetime(_) => "a date-time",
            Node::Array(_) => "an array",
            Node::Table(_) => "a table",
        }
    }
}

/// A table being read: keys are taken one by one; what is left at the end is unknown.
struct Obj<'a> {
    path: String,
    entries: Vec<(&'a str, &'a Node, bool)>,
}

impl<'a> Obj<'a> {
    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }
    fn take(&mut self, key: &str) -> Option<(String, &'a Node)> {
        let path = self.child_path(key);
        self.entries.iter_mut().find(|(k, _, _)| *k == key).map(|(_, node, used)| {
            *used = true;
            (path, *node)
        })
    }
}

struct Loader {
    problems: Vec<Problem>,
}

fn positive_or_zero_msg(min: i64) -> &'static str {
    if min > 0 { "must be a positive integer" } else { "must be an integer of 0 or more" }
}

impl Loader {
    fn problem(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem { path: path.into(), reason: reason.into() });
    }

    fn wrong_type(&mut self, path: &str, expected: &str, node: &Node) {
        self.problem(path, format!("must be {expected}, not {}", node.kind()));
    }

    fn obj<'a>(&mut self, path: String, node: &'a Node) -> Option<Obj<'a>> {
        match node {
            Node::Table(entries) => {
                Some(Obj { path, entries: entries.iter().map(|(k, v)| (k.as_str(), v, false)).collect() })
            }
            other => {
                self.wrong_type(&path, "a table", other);
                None
            }
        }
    }

    /// Reports every key that was never taken.
    fn finish(&mut self, obj: Obj<'_>, hint: &str) {
        for (key, _, used) in &obj.entries {
            if !used {
                let path = obj.child_path(key);
                self.problem(path, format!("unknown key{hint}"));
            }
        }
    }

    fn required<'a>(&mut self, obj: &mut Obj<'a>, key: &str) -> Option<(String, &'a Node)> {
        let found = obj.take(key);
        if found.is_none() {
            let path = obj.child_path(key);
            self.problem(path, "is required");
        }
        found
    }

    fn string(&mut self, (path, node): (String, &Node)) -> Option<String> {
        match node {
            Node::Str(s) if s.trim().is_empty() => {
                self.problem(path, "must not be empty");
                None
            }
            Node::Str(s) if s.len() > MAX_TEXT_BYTES => {
                self.problem(path, format!("must be at most {MAX_TEXT_BYTES} bytes"));
                None
            }
            Node::Str(s) if s.chars().any(char::is_control) => {
                self.problem(path, "must not contain control characters");
                None
            }
            Node::Str(s) => Some(s.clone()),
            other => {
                self.wrong_type(&path, "a string", other);
                None
            }
        }
    }

    fn parsed<T, E: fmt::Display>(
        &mut self,
        entry: (String, &Node),
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let path = entry.0.clone();
        let text = self.string(entry)?;
        match parse(&text) {
            Ok(value) => Some(value),
            Err(e) => {
                self.problem(path, e.to_string());
                None
            }
        }
    }

    fn choice<T: Copy>(&mut self, entry: (String, &Node), options: &[(&str, T)]) -> Option<T> {
        let path = entry.0.clone();
        let text = self.string(entry)?;
        let found = options.iter().find(|(name, _)| *name == text).map(|(_, v)| *v);
        if found.is_none() {
            let names: Vec<String> = options.iter().map(|(n, _)| format!("{n:?}")).collect();
            self.problem(path, format!("must be one of {} (got {text:?})", names.join(", ")));
        }
        found
    }

    fn integer(&mut self, (path, node): (String, &Node), min: i64, max: i64) -> Option<i64> {
        match node {
            Node::Int(value) if *value < min => {
                self.problem(path, positive_or_zero_msg(min));
                None
            }
            Node::Int(value) if *value > max => {
                self.problem(path, format!("must be at most {max}"));
                None
            }
            Node::Int(value) => Some(*value),
            other => {
                self.wrong_type(&path, if min > 0 { "a positive integer" } else { "an integer of 0 or more" }, other);
                None
            }
        }
    }

    fn u32_in(&mut self, entry: (String, &Node), min: i64, max: i64) -> Option<u32> {
        self.integer(entry, min, max).and_then(|v| u32::try_from(v).ok())
    }

    fn boolean(&mut self, (path, node): (String, &Node)) -> Option<bool> {
        match node {
            Node::Bool(b) => Some(*b),
            other => {
                self.wrong_type(&path, "true or false", other);
                None
            }
        }
    }

    fn date(&mut self, (path, node): (String, &Node)) -> Option<Date> {
        let text = match node {
            Node::Datetime(text) | Node::Str(text) => text,
            other => {
                self.wrong_type(&path, "a date written YYYY-MM-DD", other);
                return None;
            }
        };
        match Date::parse(text) {
            Ok(date) => Some(date),
            Err(e) => {
                self.problem(path, format!("{e} (got {text:?})"));
                None
            }
        }
    }

    fn decimal(&mut self, (path, node): (String, &Node)) -> Option<Decimal> {
        let text = match node {
            Node::Float(raw) => raw.replace('_', ""),
            Node::Int(i) => i.to_string(),
            other => {
                self.wrong_type(&path, "a decimal number such as 4.0", other);
                return None;
            }
        };
        match Decimal::parse(&text) {
            Ok(d) if d.is_zero() => {
                self.problem(path, "must be greater than 0");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(path, format!("{e} (got {text})"));
                None
            }
        }
    }

    /// A non-empty list of distinct values, each parsed by `parse`.
    fn list<T: PartialEq>(
        &mut self,
        (path, node): (String, &Node),
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let Node::Array(items) = node else {
            self.wrong_type(&path, "an array", node);
            return None;
        };
        if items.is_empty() {
            self.problem(path, "must list at least one value");
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            let Node::Str(text) = item else {
                self.wrong_type(&item_path, "a string", item);
                ok = false;
                continue;
            };
            match parse(text) {
                Some(value) if out.contains(&value) => {
                    self.problem(item_path, format!("{text:?} is listed twice"));
                    ok = false;
                }
                Some(value) => out.push(value),
                None => {
                    self.problem(item_path, format!("{text:?} is not {what}"));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn agreement(&mut self, root: &Node) -> Option<Agreement> {
        let mut top = self.obj(String::new(), root)?;
        let id = self.required(&mut top, "id").and_then(|e| self.parsed(e, AgreementId::parse));
        let title = self.required(&mut top, "title").and_then(|e| self.string(e));
        let sending_state = self.required(&mut top, "sending_state").and_then(|e| self.parsed(e, CountryCode::parse));
        let receiving_state =
            self.required(&mut top, "receiving_state").and_then(|e| self.parsed(e, CountryCode::parse));
        let parties = [("sending", Party::Sending), ("receiving", Party::Receiving)];
        let legal_custodian = self.required(&mut top, "legal_custodian").and_then(|e| self.choice(e, &parties));
        let governing_law = self.required(&mut top, "governing_law").and_then(|e| self.choice(e, &parties));
        let currency = self.required(&mut top, "currency").and_then(|e| {
            self.parsed(e, |text| {
                let code = CurrencyCode::parse(text).map_err(|e| e.to_string())?;
                match code.minor_digits() {
                    Some(_) => Ok(code),
                    None => Err(format!("{code} has no minor unit, so amounts in minor units cannot be written in it")),
                }
            })
        });
        let starts = self.required(&mut top, "starts").and_then(|e| self.date(e));
        let ends_entry = self.required(&mut top, "ends");
        let ends_path = ends_entry.as_ref().map(|(p, _)| p.clone());
        let ends = ends_entry.and_then(|e| self.date(e));
        let profiles: Vec<(&str, SentenceProfile)> = SentenceProfile::ALL.iter().map(|p| (p.as_str(), *p)).collect();
        let sentence_profile = self.required(&mut top, "sentence_profile").and_then(|e| self.choice(e, &profiles));
        let return_before_release_days = match top.take("return_before_release_days") {
            Some(e) => self.u32_in(e, 0, MAX_DAYS),
            None => Some(0),
        };
        let public_locator = match top.take("public_locator") {
            Some(e) => self.boolean(e),
            None => Some(false),
        };

        if let (Some(a), Some(b)) = (sending_state, receiving_state)
            && a == b
        {
            self.problem("receiving_state", "must differ from sending_state");
        }
        if let (Some(s), Some(e), Some(path)) = (starts, ends, ends_path)
            && e < s
        {
            self.problem(path, format!("must not be before starts ({s})"));
        }

        let facilities = match self.required(&mut top, "facilities") {
            Some(entry) => self.facilities(entry, receiving_state),
            None => None,
        };
        let standards = match top.take("standards") {
            Some((path, node)) => self.standards(path, node),
            None => Some(Standards::default()),
        };
        let eligibility = match top.take("eligibility") {
            Some((path, node)) => self.eligibility(path, node),
            None => Some(Eligibility::default()),
        };
        let fees = match self.required(&mut top, "fees") {
            Some((path, node)) => self.fees(path, node),
            None => None,
        };
        let extras_tariff = match top.take("extras_tariff") {
            Some((path, node)) => self.extras_tariff(path, node).map(Some),
            None => Some(None),
        };
        let oversight = match top.take("oversight") {
            Some((path, node)) => self.oversight(path, node),
            None => Some(Oversight::default()),
        };
        let custody = match top.take("custody") {
            Some((path, node)) => self.custody(path, node),
            None => Some(Custody::default()),
        };
        let rights = match top.take("rights") {
            Some((path, node)) => self.rights(path, node),
            None => Some(Rights::default()),
        };
        self.finish(top, "");

        Some(Agreement {
            id: id?,
            title: title?,
            sending_state: sending_state?,
            receiving_state: receiving_state?,
            legal_custodian: legal_custodian?,
            governing_law: governing_law?,
            currency: currency?,
            starts: starts?,
            ends: ends?,
            sentence_profile: sentence_profile?,
            return_before_release_days: return_before_release_days?,
            public_locator: public_locator?,
            facilities: facilities?,
            standards: standards?,
            eligibility: eligibility?,
            fees: fees?,
            extras_tariff: extras_tariff?,
            oversight: oversight?,
            custody: custody?,
            rights: rights?,
        })
    }

    fn facilities(
        &mut self,
        (path, node): (String, &Node),
        receiving_state: Option<CountryCode>,
    ) -> Option<Vec<Facility>> {
        let Node::Array(items) = node else {
            self.wrong_type(&path, "an array of tables ([[facilities]])", node);
            return None;
        };
        if items.is_empty() {
            self.problem(path, "must list at least one facility");
            return None;
        }
        if items.len() > MAX_FACILITIES {
            self.problem(path, format!("must list at most {MAX_FACILITIES} facilities"));
            return None;
        }
        let mut out: Vec<Facility> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let Some(mut obj) = self.obj(format!("{path}[{i}]"), item) else {
                ok = false;
                continue;
            };
            let id_entry = self.required(&mut obj, "id");
            let id_path = id_entry.as_ref().map(|(p, _)| p.clone());
            let id = id_entry.and_then(|e| self.parsed(e, FacilityId::parse));
            if let (Some(id), Some(p)) = (&id, id_path)
                && out.iter().any(|f| &f.id == id)
            {
                self.problem(p, format!("facility {id} is listed twice"));
                ok = false;
            }
            let name = self.required(&mut obj, "name").and_then(|e| self.string(e));
            let country_entry = self.required(&mut obj, "country");
            let country_path = country_entry.as_ref().map(|(p, _)| p.clone());
            let country = country_entry.and_then(|e| self.parsed(e, CountryCode::parse));
            if let (Some(c), Some(r), Some(p)) = (country, receiving_state, country_path)
                && c != r
            {
                self.problem(p, format!("must be the receiving state ({r}), not {c}"));
                ok = false;
            }
            let stated_capacity =
                self.required(&mut obj, "stated_capacity").and_then(|e| self.u32_in(e, 1, MAX_PLACES));
            let contracted_places =
                self.required(&mut obj, "contracted_places").and_then(|e| self.u32_in(e, 1, MAX_PLACES));
            let time_zone = match obj.take("time_zone") {
                Some(e) => self.parsed(e, crate::zone::TimeZone::parse),
                None => Some(crate::zone::TimeZone::utc()),
            };
            self.finish(obj, "");
            match (id, name, country, stated_capacity, contracted_places, time_zone) {
                (
                    Some(id),
                    Some(name),
                    Some(country),
                    Some(stated_capacity),
                    Some(contracted_places),
                    Some(time_zone),
                ) => {
                    out.push(Facility { id, name, country, stated_capacity, contracted_places, time_zone });
                }
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn standards(&mut self, path: String, node: &Node) -> Option<Standards> {
        let mut obj = self.obj(path, node)?;
        let defaults = Standards::default();
        let read = |this: &mut Self, obj: &mut Obj<'_>, key: &str, default: Decimal| match obj.take(key) {
            Some(e) => this.decimal(e),
            None => Some(default),
        };
        let shared = read(self, &mut obj, "shared_m2_per_person", defaults.shared_m2_per_person);
        let single = read(self, &mut obj, "single_cell_min_m2", defaults.single_cell_min_m2);
        let floor = read(self, &mut obj, "floor_m2_per_person", defaults.floor_m2_per_person);
        if let (Some(s), Some(f)) = (shared, floor)
            && f > s
        {
            let p = obj.child_path("floor_m2_per_person");
            self.problem(p, format!("must not exceed shared_m2_per_person ({s})"));
        }
        self.finish(obj, "");
        Some(Standards { shared_m2_per_person: shared?, single_cell_min_m2: single?, floor_m2_per_person: floor? })
    }

    fn eligibility(&mut self, path: String, node: &Node) -> Option<Eligibility> {
        let mut obj = self.obj(path, node)?;
        let mut ok = true;
        let flag = |this: &mut Self, obj: &mut Obj<'_>, key: &str, ok: &mut bool| match obj.take(key) {
            Some(e) => this.boolean(e).unwrap_or_else(|| {
                *ok = false;
                false
            }),
            None => false,
        };
        macro_rules! opt {
            ($key:literal, |$e:ident| $read:expr) => {
                match obj.take($key) {
                    Some($e) => {
                        let value = $read;
                        ok &= value.is_some();
                        value
                    }
                    None => None,
                }
            };
        }
        let require_final_conviction = flag(self, &mut obj, "require_final_conviction", &mut ok);
        let min_age = opt!("min_age", |e| self.u32_in(e, 0, 150));
        let min_sentence_days = opt!("min_sentence_days", |e| self.u32_in(e, 0, MAX_DAYS));
        let min_remaining_days = opt!("min_remaining_days", |e| self.u32_in(e, 0, MAX_DAYS));
        let exclude_life_sentences = flag(self, &mut obj, "exclude_life_sentences", &mut ok);
        let sending_state_citizens = opt!("sending_state_citizens", |e| self.choice(
            e,
            &[
                ("forbidden", CitizenPolicy::Forbidden),
                ("with_consent", CitizenPolicy::WithConsent),
                ("allowed", CitizenPolicy::Allowed)
            ]
        ));
        let receiving_state_nationals = opt!("receiving_state_nationals", |e| self
            .choice(e, &[("forbidden", NationalsPolicy::Forbidden), ("allowed", NationalsPolicy::Allowed)]));
        let allowed_nationalities =
            opt!("allowed_nationalities", |e| self
                .list(e, "an ISO 3166-1 alpha-2 country code", |s| CountryCode::parse(s).ok()));
        let require_consent = flag(self, &mut obj, "require_consent", &mut ok);
        let waiver_path = obj.child_path("consent_waived_by_removal_order");
        let consent_waived_by_removal_order = flag(self, &mut obj, "consent_waived_by_removal_order", &mut ok);
        if consent_waived_by_removal_order && !require_consent {
            self.problem(waiver_path, "only applies together with require_consent = true");
            ok = false;
        }
        let require_removal_order = flag(self, &mut obj, "require_removal_order", &mut ok);
        let offences_hint = format!("an offence category ({})", OffenceCategory::allowed());
        let excluded_offences = opt!("excluded_offences", |e| self.list(e, &offences_hint, OffenceCategory::parse));
        let classes_hint = format!("a security class ({})", SecurityClass::allowed());
        let allowed_security_classes =
            opt!("allowed_security_classes", |e| self.list(e, &classes_hint, SecurityClass::parse));
        let exclude_care_needs = flag(self, &mut obj, "exclude_care_needs", &mut ok);
        let torture_risk_max_age_days = opt!("torture_risk_max_age_days", |e| self.u32_in(e, 0, MAX_DAYS));
        self.finish(obj, " (eligibility rules are listed in docs/rules.md)");
        ok.then_some(Eligibility {
            require_final_conviction,
            min_age,
            min_sentence_days,
            min_remaining_days,
            exclude_life_sentences,
            sending_state_citizens,
            receiving_state_nationals,
            allowed_nationalities,
            require_consent,
            consent_waived_by_removal_order,
            require_removal_order,
            excluded_offences,
            allowed_security_classes,
            exclude_care_needs,
            torture_risk_max_age_days,
        })
    }

    fn money(&mut self, entry: (String, &Node), allow_zero: bool) -> Option<i64> {
        self.integer(entry, if allow_zero { 0 } else { 1 }, MAX_FEE_MINOR)
    }

    fn fees(&mut self, path: String, node: &Node) -> Option<Fees> {
        let mut obj = self.obj(path, node)?;
        let models = [("per_diem", 0u8), ("per_place_month", 1), ("per_capita", 2), ("lump_sum_year", 3)];
        let model = self.required(&mut obj, "model").and_then(|e| self.choice(e, &models));
        let Some(model) = model else {
            // Without a model the other keys cannot be judged; mark them read so only the model is reported.
            for entry in &mut obj.entries {
                entry.2 = true;
            }
            return None;
        };
        // Each arm builds the value in a closure so that a bad key does not return before `finish`
        // reports the unknown keys of the same table.
        let fees = match model {
            0 => {
                let rate_minor = self.required(&mut obj, "rate_minor").and_then(|e| self.money(e, false));
                let class_rates_minor = match obj.take("class_rates_minor") {
                    Some((p, n)) => self.class_rates(p, n),
                    None => Some(BTreeMap::new()),
                };
                let guaranteed_minimum_places = match obj.take("guaranteed_minimum_places") {
                    Some(e) => self.u32_in(e, 1, MAX_PLACES).map(Some),
                    None => Some(None),
                };
                (|| {
                    Some(Fees::PerDiem {
                        rate_minor: rate_minor?,
                        class_rates_minor: class_rates_minor?,
                        guaranteed_minimum_places: guaranteed_minimum_places?,
                    })
                })()
            }
            1 => {
                let place_month_minor = self.required(&mut obj, "place_month_minor").and_then(|e| self.money(e, false));
                let reserved_places =
                    self.required(&mut obj, "reserved_places").and_then(|e| self.u32_in(e, 0, MAX_PLACES));
                let extra_person_day_minor =
                    self.required(&mut obj, "extra_person_day_minor").and_then(|e| self.money(e, true));
                (|| {
                    Some(Fees::PerPlaceMonth {
                        place_month_minor: place_month_minor?,
                        reserved_places: reserved_places?,
                        extra_person_day_minor: extra_person_day_minor?,
                    })
                })()
            }
            2 => {
                let capita_minor = self.required(&mut obj, "capita_minor").and_then(|e| self.money(e, false));
                let coverage_days = self.required(&mut obj, "coverage_days").and_then(|e| self.u32_in(e, 1, MAX_DAYS));
                let envelope_minor = match obj.take("envelope_minor") {
                    Some(e) => self.money(e, false).map(Some),
                    None => Some(None),
                };
                (|| {
                    Some(Fees::PerCapita {
                        capita_minor: capita_minor?,
                        coverage_days: coverage_days?,
                        envelope_minor: envelope_minor?,
                    })
                })()
            }
            _ => {
                let year_minor = self.required(&mut obj, "year_minor").and_then(|e| self.money(e, false));
                (|| Some(Fees::LumpSumYear { year_minor: year_minor? }))()
            }
        };
        let hint =
            models.iter().find(|(_, m)| *m == model).map_or(String::new(), |(name, _)| format!(" for model {name:?}"));
        self.finish(obj, &hint);
        fees
    }

    fn extras_tariff(&mut self, path: String, node: &Node) -> Option<ExtrasTariff> {
        let mut obj = self.obj(path, node)?;
        let departure = self.required(&mut obj, "transport_departure_minor").and_then(|e| self.money(e, false));
        let back = self.required(&mut obj, "transport_return_minor").and_then(|e| self.money(e, false));
        self.finish(obj, " (the extras tariff prices transport_departure_minor and transport_return_minor)");
        Some(ExtrasTariff { transport_departure_minor: departure?, transport_return_minor: back? })
    }

    fn class_rates(&mut self, path: String, node: &Node) -> Option<BTreeMap<SecurityClass, i64>> {
        let mut obj = self.obj(path, node)?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for class in SecurityClass::ALL {
            if let Some(entry) = obj.take(class.as_str()) {
                match self.money(entry, false) {
                    Some(rate) => {
                        out.insert(*class, rate);
                    }
                    None => ok = false,
                }
            }
        }
        let hint = format!(" (security classes are {})", SecurityClass::allowed());
        self.finish(obj, &hint);
        ok.then_some(out)
    }

    fn rights(&mut self, path: String, node: &Node) -> Option<Rights> {
        let mut obj = self.obj(path, node)?;
        let defaults = Rights::default();
        let complaint_answer_days = match obj.take("complaint_answer_days") {
            Some(e) => self.u32_in(e, 1, MAX_COMPLAINT_ANSWER_DAYS),
            None => Some(defaults.complaint_answer_days),
        };
        let family_contacts_per_month = match obj.take("family_contacts_per_month") {
            Some(e) => self.u32_in(e, 0, MAX_FAMILY_CONTACTS_PER_MONTH),
            None => Some(defaults.family_contacts_per_month),
        };
        let consular_visits_per_quarter = match obj.take("consular_visits_per_quarter") {
            Some(e) => self.u32_in(e, 0, MAX_CONSULAR_VISITS_PER_QUARTER),
            None => Some(defaults.consular_visits_per_quarter),
        };
        self.finish(obj, "");
        Some(Rights {
            complaint_answer_days: complaint_answer_days?,
            family_contacts_per_month: family_contacts_per_month?,
            consular_visits_per_quarter: consular_visits_per_quarter?,
        })
    }

    fn oversight(&mut self, path: String, node: &Node) -> Option<Oversight> {
        let mut obj = self.obj(path, node)?;
        let defaults = Oversight::default();
        let hours = |this: &mut Self, obj: &mut Obj<'_>, key: &str, default: u32| match obj.take(key) {
            Some(e) => this.u32_in(e, 1, MAX_NOTIFICATION_HOURS),
            None => Some(default),
        };
        let next_of_kin_hours = hours(self, &mut obj, "next_of_kin_hours", defaults.next_of_kin_hours);
        let sending_state_hours = hours(self, &mut obj, "sending_state_hours", defaults.sending_state_hours);
        let independent_authority_hours =
            hours(self, &mut obj, "independent_authority_hours", defaults.independent_authority_hours);
        let torture_allegation_hours =
            hours(self, &mut obj, "torture_allegation_hours", defaults.torture_allegation_hours);
        let family_contact = match obj.take("family_contact") {
            Some(e) => self.string(e).map(Some),
            None => Some(None),
        };
        let inspection_bodies = match obj.take("inspection_bodies") {
            Some((p, Node::Array(items))) => {
                let mut bodies = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match self.string((format!("{p}[{i}]"), item)) {
                        Some(body) => bodies.push(body),
                        None => ok = false,
                    }
                }
                ok.then_some(bodies)
            }
            Some((p, other)) => {
                self.wrong_type(&p, "an array of strings", other);
                None
            }
            None => Some(Vec::new()),
        };
        self.finish(obj, "");
        Some(Oversight {
            next_of_kin_hours: next_of_kin_hours?,
            sending_state_hours: sending_state_hours?,
            independent_authority_hours: independent_authority_hours?,
            torture_allegation_hours: torture_allegation_hours?,
            inspection_bodies: inspection_bodies?,
            family_contact: family_contact?,
        })
    }

    fn custody(&mut self, path: String, node: &Node) -> Option<Custody> {
        let mut obj = self.obj(path, node)?;
        let defaults = Custody::default();
        let choices = [("forbidden", RemovalCustody::Forbidden), ("allowed", RemovalCustody::Allowed)];
        let removal_custody = match obj.take("removal_custody") {
            Some(e) => self.choice(e, &choices),
            None => Some(defaults.removal_custody),
        };
        let max_days_entry = obj.take("removal_custody_max_days");
        let max_days_path = obj.child_path("removal_custody_max_days");
        let removal_custody_max_days = match (removal_custody, max_days_entry) {
            (Some(RemovalCustody::Allowed), Some(e)) => self.u32_in(e, 1, MAX_DAYS).map(Some),
            (Some(RemovalCustody::Allowed), None) => {
                self.problem(max_days_path, "is required when removal_custody = \"allowed\"");
                None
            }
            (Some(RemovalCustody::Forbidden), Some(_)) => {
                self.problem(max_days_path, "applies only when removal_custody = \"allowed\"");
                None
            }
            (_, _) => Some(None),
        };
        let number = |this: &mut Self, obj: &mut Obj<'_>, key: &str, default: u32, max: i64| match obj.take(key) {
            Some(e) => this.u32_in(e, 1, max),
            None => Some(default),
        };
        let court_return_days = number(self, &mut obj, "court_return_days", defaults.court_return_days, MAX_DAYS);
        let transit_max_hours =
            number(self, &mut obj, "transit_max_hours", defaults.transit_max_hours, MAX_NOTIFICATION_HOURS);
        let override_max_days = number(self, &mut obj, "override_max_days", defaults.override_max_days, MAX_DAYS);
        self.finish(obj, "");
        Some(Custody {
            removal_custody: removal_custody?,
            removal_custody_max_days: removal_custody_max_days?,
            court_return_days: court_return_days?,
            transit_max_hours: transit_max_hours?,
            override_max_days: override_max_days?,
        })
    }
}
