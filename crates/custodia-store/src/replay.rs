//! Replay (docs/journal.md#replay): the register's tables rebuilt from the journal alone and
//! compared with the stored ones. Every table that a rule, a page or an answer reads is a
//! projection of the events; a row or a value that no event explains is a difference.
//!
//! How it is built:
//!
//! - [`TABLES`] lists every table and column the replay compares, key columns first. A column
//!   missing here is not compared: the conformance suite checks that every column of the schema
//!   is listed (or named in [`NOT_PROJECTED`] with the reason).
//! - [`Replay::event`] applies one event to the expected rows: one small function per event kind
//!   (`match` in [`Replay::project`]). An event kind without a projection is itself a difference,
//!   so a new kind cannot be forgotten.
//! - [`Expected::compare`] takes the stored rows of a table (read by the backends in one
//!   snapshot with the SQL of [`table_sql`]) and names the first difference: a value, a row no
//!   event explains, or a row the events made that is missing.
//!
//! Adding a column: list it in [`TABLES`], put its value in the projection of the events that
//! write it. Adding a table: one [`TableSpec`] and the projections of its events. Adding an event
//! kind: one arm in [`Replay::project`].
//!
//! Events written before a field existed (registers older than the replay) leave that value
//! [`V::Unknown`]: it is not compared, and the report lists it as unchecked with the reason.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::backend::hex;

mod person_event;
mod persons;
use persons::{Check, PERSON_AGREEMENTS, PERSONS, Persons, Seen};

/// Maps with a fast (randomly seeded) hash: the replay keeps a row per person, millions of them.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
use crate::bulk::Dialect;

/// How a column is read and compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Col {
    /// An integer, compared as its decimal text.
    Int,
    /// Text, compared exactly.
    Text,
    /// Bytes, compared as lowercase hex.
    Blob,
    /// JSON text, compared as JSON values (member order and spacing do not matter).
    Json,
    /// Text the journal knows only by its SHA-256 (a password hash, a kept answer): the stored
    /// text's SHA-256 (hex) is compared with the journal's.
    Commitment,
}

/// One table as the replay sees it.
#[derive(Debug)]
pub(crate) struct TableSpec {
    pub(crate) name: &'static str,
    /// The first `keys` columns identify a row.
    pub(crate) keys: usize,
    pub(crate) columns: &'static [(&'static str, Col)],
    /// Rows written before their table was journaled (registers older than the replay) have no
    /// event; in such a register they are listed as unchecked instead of reported.
    pub(crate) journaled_late: bool,
}

macro_rules! tables {
    ($($name:literal keys $keys:literal $(late $late:literal)? : [$($col:literal $kind:ident),* $(,)?];)*) => {
        /// Every table the replay rebuilds, in the order differences are looked for.
        pub(crate) const TABLES: &[TableSpec] = &[$(TableSpec {
            name: $name,
            keys: $keys,
            columns: &[$(($col, Col::$kind)),*],
            journaled_late: false $(|| $late)?,
        }),*];
    };
}

tables! {
    "agreements" keys 1: ["id" Text, "current_version" Int];
    "agreement_versions" keys 2: ["agreement_id" Text, "version" Int, "effective_from" Text, "source_toml" Text,
        "source_sha256" Blob, "event_seq" Int];
    "amendment_proposals" keys 1: ["id" Int, "agreement_id" Text, "source_toml" Text, "effective_from" Text,
        "proposed_by" Text, "proposed_seq" Int, "approved_by" Text, "approved_seq" Int];
    "persons" keys 1: ["id" Int, "sending_state" Text, "sending_id" Text, "record_sha256" Blob, "version" Int,
        "last_event_seq" Int];
    "person_agreements" keys 2: ["person_id" Int, "agreement_id" Text];
    "person_identifiers" keys 3: ["state" Text, "scheme" Text, "value" Text, "person_id" Int, "agreement_id" Text];
    "person_aliases" keys 3: ["person_id" Int, "family_name" Text, "given_names" Text];
    "legal_basis" keys 1: ["id" Int, "person_id" Int, "kind" Text, "status" Text, "offence_category" Text,
        "sentence_start" Text, "sentence_term" Text, "jail_credit_days" Int, "recorded_event_seq" Int];
    "cells" keys 3: ["agreement_id" Text, "facility_id" Text, "cell_id" Text, "unit" Text, "kind" Text,
        "area_m2" Text, "beds" Int, "last_event_seq" Int];
    "cell_changes" keys 1: ["id" Int, "agreement_id" Text, "facility_id" Text, "diff" Json, "base" Json,
        "proposed_by" Text, "proposed_at" Text, "proposed_seq" Int, "confirmed_by" Text, "confirmed_at" Text,
        "confirmed_seq" Int];
    "cases" keys 1: ["id" Int, "agreement_id" Text, "person_id" Int, "state" Text, "facility_id" Text,
        "cell_id" Text, "record" Json, "version" Int, "last_event_seq" Int];
    "override_approvals" keys 1: ["id" Int, "case_id" Int, "facility_id" Text, "cell_id" Text, "reason" Text,
        "approved_by" Text, "approved_seq" Int, "used_seq" Int];
    "incidents" keys 1: ["id" Int, "agreement_id" Text, "case_id" Int, "kind" Text, "occurred_at" Text,
        "record" Json, "last_event_seq" Int];
    "inspections" keys 1: ["id" Int, "agreement_id" Text, "body" Text, "from_date" Text, "to_date" Text,
        "record" Json, "last_event_seq" Int];
    "contacts" keys 1: ["id" Int, "agreement_id" Text, "case_id" Int, "contact" Text, "at" Text, "means" Text,
        "note" Text, "event_seq" Int];
    "complaints" keys 1: ["id" Int, "agreement_id" Text, "case_id" Int, "category" Text, "confidential" Int,
        "text" Commitment, "answer_text" Commitment, "record" Json, "last_event_seq" Int];
    "care_records" keys 1: ["id" Int, "agreement_id" Text, "case_id" Int, "kind" Text, "health_file" Commitment,
        "record" Json, "last_event_seq" Int];
    "invoices" keys 1: ["id" Int, "agreement_id" Text, "kind" Text, "period" Text, "number" Text,
        "document" Text, "sha256" Blob, "total_minor" Int, "prepared_by" Text, "prepared_seq" Int];
    "invoice_issues" keys 1: ["invoice_id" Int, "number" Text, "issued_by" Text, "issued_seq" Int];
    "users" keys 1: ["id" Int, "name" Text, "name_key" Text, "role" Text, "agreements" Json, "facilities" Json,
        "password_hash" Commitment, "created_seq" Int, "disabled_at" Text, "enable_proposed_by" Text,
        "language" Text];
    "api_tokens" keys 1: ["id" Int, "user_id" Int, "sha256" Blob, "label" Text, "created_at" Text,
        "revoked_at" Text, "expires_at" Text];
    "user_changes" keys 1: ["id" Int, "kind" Text, "name" Text, "name_key" Text, "role" Text,
        "agreements" Json, "facilities" Json, "password_hash" Commitment, "proposed_by" Text, "proposed_at" Text,
        "proposed_seq" Int, "confirmed_by" Text, "confirmed_at" Text, "confirmed_seq" Int];
    "person_reads" keys 1 late true: ["id" Int, "user_name" Text, "person_id" Int, "route" Text, "at" Text];
    "idempotency_keys" keys 2 late true: ["user_name" Text, "key" Text, "request_sha256" Blob, "status" Int,
        "response" Commitment, "created_at" Text];
    "alert_subscriptions" keys 1: ["id" Int, "agreement_id" Text, "min_severity" Text, "kinds" Json, "channel" Text,
        "target" Text, "secret" Commitment, "created_by" Text, "created_seq" Int, "removed_by" Text, "removed_seq" Int];
    "journal_head" keys 1: ["id" Int, "size" Int, "frontier" Blob];
}

/// Columns of the schema the replay does not rebuild, with the reason (checked by a test
/// against the database's own list of columns).
pub const NOT_PROJECTED: &[(&str, &str)] = &[
    ("events", "the journal itself: bodies by the tree check, the other columns against the bodies"),
    ("_sqlx_migrations", "the schema's version, written by the migrations"),
    ("tile_hashes", "the journal's tiles: recomputed from the bodies by the tree check"),
    ("cosignatures", "witnesses' signatures over checkpoints: checked with the witnesses' keys, not events"),
    (
        "alert_occurrences",
        "the alert scheduler's record of what it saw when: recomputed from the journal's facts, not events",
    ),
    ("alert_deliveries", "the outbox of alert notifications and its attempts: operational, not events"),
];

/// The tables and columns the replay compares: (table, columns).
pub fn projected_columns() -> Vec<(&'static str, Vec<&'static str>)> {
    TABLES.iter().map(|t| (t.name, t.columns.iter().map(|(c, _)| *c).collect())).collect()
}

/// The first difference between the journal's state and the stored tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The table (`events` for a stored column that disagrees with its event's body).
    pub table: String,
    /// The row's key, its key columns' values joined by ` / `.
    pub key: String,
    /// The column, or `(row)` for a row that should not exist or is missing.
    pub column: String,
    /// What the journal says.
    pub expected: String,
    /// What the table holds.
    pub found: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "table {}, row {}, column {}: the journal says {}, the table holds {}",
            self.table, self.key, self.column, self.expected, self.found
        )
    }
}

/// What a replay found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Events replayed.
    pub events: u64,
    /// Rows compared.
    pub rows: u64,
    /// The first difference; `None` when every table is the journal's.
    pub difference: Option<Difference>,
    /// What could not be checked, and why (events older than the fields replay needs).
    pub unchecked: Vec<String>,
}

/// An expected value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum V {
    Null,
    Text(String),
    /// An integer, compared as its decimal text (kept as a number: no allocation per cell).
    Int(i64),
    /// Not recorded by the event that wrote it (an older event format): not compared.
    Unknown(&'static str),
}

impl V {
    fn text(s: impl Into<String>) -> Self {
        V::Text(s.into())
    }
    fn int(n: i64) -> Self {
        V::Int(n)
    }
    fn json(v: Option<&Value>) -> Self {
        match v {
            None | Some(Value::Null) => V::Null,
            Some(Value::String(s)) => V::text(s.as_str()),
            Some(Value::Number(n)) => V::text(n.to_string()),
            Some(Value::Bool(b)) => V::text(if *b { "1" } else { "0" }),
            Some(other) => V::text(other.to_string()),
        }
    }
    fn show(&self) -> String {
        match self {
            V::Null => "NULL".into(),
            V::Text(t) => show_text(t),
            V::Int(n) => show_text(&n.to_string()),
            V::Unknown(why) => format!("(unknown: {why})"),
        }
    }
}

/// A stored value that differs.
enum Found {
    Null,
    Text(String),
    Shown(String),
}

impl Found {
    fn show(&self) -> String {
        match self {
            Found::Null => "NULL".into(),
            Found::Text(t) => show_text(t),
            Found::Shown(s) => s.clone(),
        }
    }
}

/// Two long texts shown from a little before their first difference.
fn around_first_difference(expected: &str, found: &str) -> (String, String) {
    const SHORT: usize = 120;
    if expected.len() <= SHORT && found.len() <= SHORT {
        return (show_text(expected), show_text(found));
    }
    let first = expected
        .char_indices()
        .zip(found.chars())
        .find(|((_, a), b)| a != b)
        .map_or_else(|| expected.len().min(found.len()), |((at, _), _)| at);
    let mut start = first.saturating_sub(40);
    while !expected.is_char_boundary(start) {
        start -= 1;
    }
    let cut = |t: &str| {
        let rest = t.get(start..).unwrap_or_default();
        let shown = show_text(rest.get(..rest.char_indices().nth(80).map_or(rest.len(), |(i, _)| i)).unwrap_or(rest));
        format!("…{shown}… ({} bytes; they differ from byte {first})", t.len())
    };
    (cut(expected), cut(found))
}

fn show_text(t: &str) -> String {
    const MAX: usize = 120;
    if t.len() <= MAX {
        return format!("{t:?}");
    }
    let mut end = MAX;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}… ({} bytes)", t.get(..end).unwrap_or_default(), t.len())
}

/// One expected row: its cells in [`TableSpec::columns`] order, the event that last wrote it and
/// the order it was first made in (missing rows are reported in that order).
#[derive(Debug)]
struct Entry {
    cells: Vec<V>,
    seq: u64,
    order: u64,
}

/// One stored event as read with [`EVENTS_PAGE_SQL`] (or, from a SQLite file, with the tree
/// check's scan): the columns beside the body, and the body.
#[derive(Debug)]
pub(crate) struct EventRow<'a> {
    pub(crate) seq: i64,
    pub(crate) kind: &'a str,
    pub(crate) actor: &'a str,
    pub(crate) occurred_at: &'a str,
    pub(crate) recorded_at: &'a str,
    pub(crate) agreement_id: Option<&'a str>,
    pub(crate) person_id: Option<i64>,
    pub(crate) body: &'a str,
}

/// The events in leaf order from `$1`, with the columns stored beside each body, at most `$2`.
pub(crate) const EVENTS_PAGE_SQL: &str = "SELECT seq, kind, actor, occurred_at, recorded_at, agreement_id, person_id, body \
     FROM events WHERE seq >= $1 ORDER BY seq LIMIT $2";

/// The table [`Expected::compare_head`] checks after the tree check.
pub(crate) const HEAD_TABLE: &str = "journal_head";

/// `SELECT` of a table's compared columns as text (integers in decimal, bytes in lowercase hex),
/// in key order.
pub(crate) fn table_sql(dialect: Dialect, table: &TableSpec) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|(name, kind)| match (kind, dialect) {
            (Col::Int, _) => format!("CAST({name} AS TEXT)"),
            (Col::Blob, Dialect::Sqlite) => format!("lower(hex({name}))"),
            (Col::Blob, Dialect::Postgres) => format!("encode({name}, 'hex')"),
            (Col::Text | Col::Json | Col::Commitment, _) => format!("\"{name}\""),
        })
        .collect();
    let keys: Vec<String> = table.columns.iter().take(table.keys).map(|(n, _)| format!("\"{n}\"")).collect();
    format!("SELECT {} FROM {} ORDER BY {}", columns.join(", "), table.name, keys.join(", "))
}

/// An event's envelope, borrowed from its body; `D` its data (kept raw, or read as a person event
/// in the same pass).
#[derive(Deserialize)]
struct Envelope<'a, D> {
    #[serde(borrow)]
    actor: Cow<'a, str>,
    #[serde(borrow, default)]
    agreement_id: Option<Cow<'a, str>>,
    data: D,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    occurred_at: Cow<'a, str>,
    #[serde(default)]
    person_id: Option<i64>,
    #[serde(borrow)]
    recorded_at: Cow<'a, str>,
    seq: u64,
}

/// The journal replayed into expected rows.
#[derive(Debug)]
pub(crate) struct Replay {
    tables: HashMap<&'static str, HashMap<String, Entry>>,
    events: u64,
    made: u64,
    difference: Option<Difference>,
    unchecked: BTreeSet<String>,
    /// The register has events written before the replay's format.
    legacy: bool,
    /// The `persons` and `person_agreements` rows.
    persons: Persons,
    // What later events need of earlier ones.
    receiving_state: HashMap<String, Option<String>>,
    user_ids: HashMap<String, i64>,
    user_changes: HashMap<i64, Value>,
}

const BEFORE_FORMAT: &str = "recorded by an event older than the replay's format";

impl Replay {
    pub(crate) fn new() -> Self {
        Self {
            tables: TABLES.iter().map(|t| (t.name, HashMap::default())).collect(),
            events: 0,
            made: 0,
            difference: None,
            unchecked: BTreeSet::new(),
            legacy: false,
            persons: Persons::default(),
            receiving_state: HashMap::default(),
            user_ids: HashMap::default(),
            user_changes: HashMap::default(),
        }
    }

    /// False once a difference is found: the caller may stop reading.
    pub(crate) fn wants_more(&self) -> bool {
        self.difference.is_none()
    }

    /// Applies one stored event.
    pub(crate) fn event(&mut self, row: &EventRow<'_>) {
        if self.difference.is_some() {
            return;
        }
        let seq = u64::try_from(row.seq).unwrap_or(u64::MAX);
        let differ = |column: &str, expected: String, found: String| Difference {
            table: "events".into(),
            key: row.seq.to_string(),
            column: column.into(),
            expected,
            found,
        };
        // The kind stored beside the body picks how the body is read (a person event in one
        // pass); the envelope's kind is then checked against that column like the others.
        if matches!(row.kind, "person.registered" | "person.amended") {
            if let Some(env) = person_event::read(row.body) {
                self.checked(row, &env, |replay| replay.person(seq, &env));
                return;
            }
            match serde_json::from_str::<Envelope<'_, PersonEvent<'_>>>(row.body) {
                Ok(env) => self.checked(row, &env, |replay| replay.person(seq, &env)),
                Err(e) => self.difference = Some(differ("body", "a person event".into(), format!("unreadable ({e})"))),
            }
            return;
        }
        match serde_json::from_str::<Envelope<'_, &RawValue>>(row.body) {
            Ok(env) => self.checked(row, &env, |replay| replay.project(seq, &env)),
            Err(e) => self.difference = Some(differ("body", "an event envelope".into(), format!("unreadable ({e})"))),
        }
    }

    /// Checks the columns stored beside the body against the envelope, then projects the event.
    fn checked<D>(
        &mut self,
        row: &EventRow<'_>,
        env: &Envelope<'_, D>,
        project: impl FnOnce(&mut Self) -> Result<(), String>,
    ) {
        let differ = |column: &str, expected: String, found: String| Difference {
            table: "events".into(),
            key: row.seq.to_string(),
            column: column.into(),
            expected,
            found,
        };
        let opt = |v: Option<&str>| v.map_or_else(|| "NULL".to_owned(), show_text);
        let beside = [
            ("kind", env.kind.as_ref(), row.kind),
            ("actor", env.actor.as_ref(), row.actor),
            ("occurred_at", env.occurred_at.as_ref(), row.occurred_at),
            ("recorded_at", env.recorded_at.as_ref(), row.recorded_at),
        ];
        let found = if u64::try_from(row.seq).ok() != Some(env.seq) {
            Some(differ("seq", env.seq.to_string(), row.seq.to_string()))
        } else if let Some((column, e, f)) = beside.into_iter().find(|(_, e, f)| e != f) {
            Some(differ(column, show_text(e), show_text(f)))
        } else if env.agreement_id.as_deref() != row.agreement_id {
            Some(differ("agreement_id", opt(env.agreement_id.as_deref()), opt(row.agreement_id)))
        } else if env.person_id != row.person_id {
            let show = |p: Option<i64>| p.map_or_else(|| "NULL".to_owned(), |p| p.to_string());
            Some(differ("person_id", show(env.person_id), show(row.person_id)))
        } else {
            None
        };
        if found.is_some() {
            self.difference = found;
            return;
        }
        self.events += 1;
        if let Err(problem) = project(self) {
            self.difference = Some(differ("data", problem, format!("event {} ({})", env.seq, env.kind)));
        }
    }

    /// The projection of one event kind.
    fn project(&mut self, seq: u64, env: &Envelope<'_, &RawValue>) -> Result<(), String> {
        let kind = env.kind.as_ref();
        let data: Value = serde_json::from_str(env.data.get()).map_err(|e| format!("readable data ({e})"))?;
        let d = Data { v: &data };
        let e = Ev { seq, actor: &env.actor, recorded_at: &env.recorded_at, agreement: env.agreement_id.as_deref() };
        match kind {
            "agreement.registered" | "agreement.amended" => self.agreement_version(&e, &d),
            "agreement.amendment_proposed" => self.amendment_proposed(&e, &d),
            "agreement.amendment_approved" => self.update(
                "amendment_proposals",
                &d.key("proposal_id")?,
                seq,
                [("approved_by", V::text(e.actor)), ("approved_seq", V::int(e.seq_i64()))],
            ),
            "cell.registered" | "cell.amended" => {
                let cell = d.get("cell")?;
                self.put_cell(&e, cell)
            }
            "cells.change_proposed" => self.cells_change_proposed(&e, &d),
            "cells.change_confirmed" => self.cells_change_confirmed(&e, &d),
            "case.proposed" => self.case_proposed(&e, env.person_id, &d),
            "case.transition" => self.case_transition(&e, env.person_id, &d),
            "case.override_approved" => self.put(
                "override_approvals",
                seq,
                [
                    ("id", d.int("approval_id")?),
                    ("case_id", d.int("case_id")?),
                    ("facility_id", d.text("facility_id")?),
                    ("cell_id", d.text("cell_id")?),
                    ("reason", d.text("reason")?),
                    ("approved_by", V::text(e.actor)),
                    ("approved_seq", V::int(e.seq_i64())),
                    ("used_seq", V::Null),
                ],
            ),
            "case.override_used" => {
                self.update("override_approvals", &d.key("approval_id")?, seq, [("used_seq", d.int("used_seq")?)])
            }
            "incident.filed" => self.put(
                "incidents",
                seq,
                [
                    ("id", d.int("incident_id")?),
                    ("agreement_id", e.agreement()?),
                    ("case_id", V::json(d.v.get("case_id"))),
                    ("kind", d.text("kind")?),
                    ("occurred_at", d.text("occurred_at")?),
                    ("record", d.raw("record")?),
                    ("last_event_seq", V::int(e.seq_i64())),
                ],
            ),
            "incident.notified" | "incident.addendum" | "incident.investigation" => {
                self.new_record("incidents", &d.key("incident_id")?, &e, &d)
            }
            "inspection.filed" => {
                let record = d.get("record")?;
                let r = Data { v: record };
                self.put(
                    "inspections",
                    seq,
                    [
                        ("id", d.int("inspection_id")?),
                        ("agreement_id", e.agreement()?),
                        ("body", r.text("body")?),
                        ("from_date", r.text("from")?),
                        ("to_date", r.text("to")?),
                        ("record", V::text(record.to_string())),
                        ("last_event_seq", V::int(e.seq_i64())),
                    ],
                )
            }
            "inspection.recommendation" => self.new_record("inspections", &d.key("inspection_id")?, &e, &d),
            "contact.logged" => self.put(
                "contacts",
                seq,
                [
                    ("id", d.int("contact_id")?),
                    ("agreement_id", e.agreement()?),
                    ("case_id", V::json(d.v.get("case_id"))),
                    ("contact", d.text("contact")?),
                    ("at", d.text("at")?),
                    ("means", d.text("means")?),
                    ("note", d.text("note")?),
                    ("event_seq", V::int(e.seq_i64())),
                ],
            ),
            "complaint.filed" => self.put(
                "complaints",
                seq,
                [
                    ("id", d.int("complaint_id")?),
                    ("agreement_id", e.agreement()?),
                    ("case_id", d.int("case_id")?),
                    ("category", d.text("category")?),
                    ("confidential", V::int(i64::from(d.get("confidential")?.as_bool().ok_or("data.confidential")?))),
                    ("text", Data { v: d.get("record")? }.text("text_sha256")?),
                    ("answer_text", V::Null),
                    ("record", d.raw("record")?),
                    ("last_event_seq", V::int(e.seq_i64())),
                ],
            ),
            "complaint.answered" => {
                let answer = Data { v: d.get("record")? }.get("answer")?;
                let words = Data { v: answer }.text("text_sha256")?;
                let key = d.key("complaint_id")?;
                self.update("complaints", &key, seq, [("answer_text", words)])?;
                self.new_record("complaints", &key, &e, &d)
            }
            "complaint.escalated" => self.new_record("complaints", &d.key("complaint_id")?, &e, &d),
            "examination.recorded" | "visit.recorded" | "solitary.placed" => {
                let record = Data { v: d.get("record")? };
                let health_file = match record.v.get("health_file_sha256") {
                    Some(_) => record.text("health_file_sha256")?,
                    None => V::Null,
                };
                self.put(
                    "care_records",
                    seq,
                    [
                        ("id", d.int("record_id")?),
                        ("agreement_id", e.agreement()?),
                        ("case_id", d.int("case_id")?),
                        ("kind", d.text("kind")?),
                        ("health_file", health_file),
                        ("record", d.raw("record")?),
                        ("last_event_seq", V::int(e.seq_i64())),
                    ],
                )
            }
            "solitary.ended" => self.new_record("care_records", &d.key("record_id")?, &e, &d),
            "invoice.drafted" => self.invoice_drafted(&e, &d),
            "invoice.issued" => self.put(
                "invoice_issues",
                seq,
                [
                    ("invoice_id", d.int("invoice_id")?),
                    ("number", d.text("number")?),
                    ("issued_by", V::text(e.actor)),
                    ("issued_seq", V::int(e.seq_i64())),
                ],
            ),
            "user.created" => self.user_created(&e, &d),
            "user.change_proposed" => self.user_change_proposed(&e, &d, data.clone()),
            "user.change_confirmed" => self.user_change_confirmed(&e, &d),
            "token.created" => self.token_created(&e, &d),
            "token.revoked" => {
                self.update("api_tokens", &d.key("token_id")?, seq, [("revoked_at", V::text(e.recorded_at))])
            }
            "person.linked" => self.person_agreement(env.person_id, &e),
            "user.disabled" => self.update(
                "users",
                &d.key("user_id")?,
                seq,
                [("disabled_at", V::text(e.recorded_at)), ("enable_proposed_by", V::Null)],
            ),
            "user.enable_proposed" => {
                self.update("users", &d.key("user_id")?, seq, [("enable_proposed_by", V::text(e.actor))])
            }
            "user.enabled" => self.update(
                "users",
                &d.key("user_id")?,
                seq,
                [("disabled_at", V::Null), ("enable_proposed_by", V::Null)],
            ),
            "user.language_set" => {
                let language = d.v.get("language").and_then(Value::as_str).map_or(V::Null, V::text);
                self.update("users", &d.key("user_id")?, seq, [("language", language)])
            }
            "reads.logged" => self.reads_logged(&e, &d),
            "subscription.created" => self.put(
                "alert_subscriptions",
                seq,
                [
                    ("id", d.int("subscription_id")?),
                    ("agreement_id", e.agreement()?),
                    ("min_severity", d.text("min_severity")?),
                    ("kinds", V::text(d.get("kinds")?.to_string())),
                    ("channel", d.text("channel")?),
                    ("target", d.text("target")?),
                    ("secret", V::json(d.v.get("secret_sha256"))),
                    ("created_by", V::text(e.actor)),
                    ("created_seq", V::int(e.seq_i64())),
                ],
            ),
            "subscription.removed" => self.update(
                "alert_subscriptions",
                &d.key("subscription_id")?,
                seq,
                [("removed_by", V::text(e.actor)), ("removed_seq", V::int(e.seq_i64()))],
            ),
            "answer.kept" => self.put(
                "idempotency_keys",
                seq,
                [
                    ("user_name", d.text("user_name")?),
                    ("key", d.text("key")?),
                    ("request_sha256", d.text("request_sha256")?),
                    ("status", d.int("outcome")?),
                    ("response", d.text("response_sha256")?),
                    ("created_at", d.text("created_at")?),
                ],
            ),
            other => Err(format!("an event kind the replay knows (docs/journal.md#replay), not {other:?}")),
        }
    }

    /// The expected rows, once every event is applied. The journal head's frontier is set by
    /// [`Expected::compare_head`], from the tree check.
    pub(crate) fn finish(mut self) -> Expected {
        let size = i64::try_from(self.events).unwrap_or(i64::MAX);
        let _ = self.put(
            "journal_head",
            self.events.saturating_sub(1),
            [("id", V::int(1)), ("size", V::int(size)), ("frontier", V::Unknown("no tree check"))],
        );
        Expected {
            tables: self.tables,
            events: self.events,
            rows: 0,
            difference: self.difference,
            unchecked: self.unchecked,
            legacy: self.legacy,
            persons: std::sync::Arc::new(self.persons),
            seen: [Seen::default(), Seen::default()],
            late_rows: HashMap::default(),
            key: String::new(),
        }
    }

    // ---- rows ----

    /// Makes (or replaces) a row; columns not named are NULL.
    fn put<'n>(
        &mut self,
        table: &'static str,
        seq: u64,
        values: impl IntoIterator<Item = (&'n str, V)>,
    ) -> Result<(), String> {
        let spec = spec(table)?;
        let mut cells = vec![V::Null; spec.columns.len()];
        for (name, value) in values {
            let at = column(spec, name)?;
            if let Some(cell) = cells.get_mut(at) {
                *cell = value;
            }
        }
        let key = key_of(spec, &cells);
        self.made += 1;
        let order = self.made;
        let rows = self.tables.get_mut(table).ok_or_else(|| format!("table {table}"))?;
        match rows.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut old) => {
                let old = old.get_mut();
                old.cells = cells;
                old.seq = seq;
            }
            std::collections::hash_map::Entry::Vacant(new) => {
                new.insert(Entry { cells, seq, order });
            }
        }
        Ok(())
    }

    /// Changes columns of an existing row.
    fn update<'n>(
        &mut self,
        table: &'static str,
        key: &str,
        seq: u64,
        values: impl IntoIterator<Item = (&'n str, V)>,
    ) -> Result<(), String> {
        let spec = spec(table)?;
        let rows = self.tables.get_mut(table).ok_or_else(|| format!("table {table}"))?;
        let entry = rows.get_mut(key).ok_or_else(|| format!("{table} row {key} made by an earlier event"))?;
        for (name, value) in values {
            if let Some(cell) = entry.cells.get_mut(column(spec, name)?) {
                *cell = value;
            }
        }
        entry.seq = seq;
        Ok(())
    }

    /// A row whose whole record an event replaces (`record`, `last_event_seq`).
    fn new_record(&mut self, table: &'static str, key: &str, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        self.update(table, key, e.seq, [("record", d.raw("record")?), ("last_event_seq", V::int(e.seq_i64()))])
    }

    fn get(&self, table: &str, key: &str, name: &str) -> Option<&V> {
        let spec = spec(table).ok()?;
        self.tables.get(table)?.get(key)?.cells.get(column(spec, name).ok()?)
    }

    // ---- projections ----

    fn agreement_version(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        let id = e.agreement_text()?;
        let source = d.str("source")?;
        let receiving = custodia_core::Agreement::from_toml(source).ok().map(|a| a.receiving_state.as_str().to_owned());
        self.receiving_state.insert(id.to_owned(), receiving);
        self.put("agreements", e.seq, [("id", V::text(id)), ("current_version", d.int("version")?)])?;
        self.put(
            "agreement_versions",
            e.seq,
            [
                ("agreement_id", V::text(id)),
                ("version", d.int("version")?),
                ("effective_from", d.text("effective_from")?),
                ("source_toml", V::text(source)),
                ("source_sha256", d.text("source_sha256")?),
                ("event_seq", V::int(e.seq_i64())),
            ],
        )
    }

    fn amendment_proposed(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        self.put(
            "amendment_proposals",
            e.seq,
            [
                ("id", d.int("proposal_id")?),
                ("agreement_id", e.agreement()?),
                ("source_toml", d.text("source")?),
                ("effective_from", V::json(d.v.get("effective_from"))),
                ("proposed_by", V::text(e.actor)),
                ("proposed_seq", V::int(e.seq_i64())),
            ],
        )
    }

    /// `person.registered` and `person.amended`: the record is parsed without building a JSON
    /// tree, and the rows are kept compactly (a register holds millions of people).
    fn person(&mut self, seq: u64, env: &Envelope<'_, PersonEvent<'_>>) -> Result<(), String> {
        let data = &env.data;
        let id = env.person_id.ok_or("the person's id (person_id)")?;
        let record = &data.record;
        let mut hasher = Sha256::new();
        for value in record.values() {
            hasher.update((value.len() as u64).to_be_bytes());
            hasher.update(value.as_bytes());
        }
        let sending_id = record.get("person_id").ok_or("the record's person_id")?;
        let agreement = env.agreement_id.as_deref();
        let e = Ev { seq, actor: &env.actor, recorded_at: &env.recorded_at, agreement };
        self.person_agreement(Some(id), &e)?;
        self.made += 1;
        let (state, version) = (data.sending_state.as_deref(), data.version.unwrap_or(1));
        self.persons.put_person(id, state, sending_id, hasher.finalize().into(), version, seq, self.made)
    }

    /// A person imported (or linked) under an agreement: `person.registered`, `person.amended`,
    /// `person.linked`.
    fn person_agreement(&mut self, person: Option<i64>, e: &Ev<'_>) -> Result<(), String> {
        let person = person.ok_or("the person's id (person_id)")?;
        self.made += 1;
        self.persons.put_link(person, e.agreement_text()?, e.seq, self.made)
    }

    fn put_cell(&mut self, e: &Ev<'_>, cell: &Value) -> Result<(), String> {
        let c = Data { v: cell };
        self.put(
            "cells",
            e.seq,
            [
                ("agreement_id", e.agreement()?),
                ("facility_id", c.text("facility_id")?),
                ("cell_id", c.text("cell_id")?),
                ("unit", c.text("unit")?),
                ("kind", c.text("kind")?),
                ("area_m2", c.text("area_m2")?),
                ("beds", c.int("beds")?),
                ("last_event_seq", V::int(e.seq_i64())),
            ],
        )
    }

    /// A facility's projected cells in cell order, as `cell_changes.base` keeps them.
    fn facility_cells(&self, agreement: &str, facility: &str) -> Value {
        let mut cells: Vec<(&str, Value)> = Vec::new();
        if let (Some(rows), Ok(spec)) = (self.tables.get("cells"), spec("cells")) {
            for entry in rows.values() {
                let text = |name: &str| match column(spec, name).ok().and_then(|i| entry.cells.get(i)) {
                    Some(V::Text(t)) => t.as_str(),
                    _ => "",
                };
                if text("agreement_id") == agreement && text("facility_id") == facility {
                    let beds = match column(spec, "beds").ok().and_then(|i| entry.cells.get(i)) {
                        Some(V::Int(n)) => u64::try_from(*n).map_or(Value::Null, Value::from),
                        Some(V::Text(t)) => t.parse::<u64>().map_or(Value::Null, Value::from),
                        _ => Value::Null,
                    };
                    let cell = serde_json::json!({
                        "facility_id": facility, "cell_id": text("cell_id"), "unit": text("unit"),
                        "kind": text("kind"), "area_m2": text("area_m2"), "beds": beds,
                    });
                    cells.push((text("cell_id"), cell));
                }
            }
        }
        cells.sort_by(|a, b| a.0.cmp(b.0));
        Value::Array(cells.into_iter().map(|(_, c)| c).collect())
    }

    fn cells_change_proposed(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        let agreement = e.agreement_text()?.to_owned();
        let facility = d.str("facility_id")?.to_owned();
        let diff =
            serde_json::json!({"added": d.get("added")?, "changed": d.get("changed")?, "removed": d.get("removed")?});
        let base = self.facility_cells(&agreement, &facility);
        self.put(
            "cell_changes",
            e.seq,
            [
                ("id", d.int("change_id")?),
                ("agreement_id", V::text(agreement)),
                ("facility_id", V::text(facility)),
                ("diff", V::text(diff.to_string())),
                ("base", V::text(base.to_string())),
                ("proposed_by", V::text(e.actor)),
                ("proposed_at", V::text(e.recorded_at)),
                ("proposed_seq", V::int(e.seq_i64())),
            ],
        )
    }

    fn cells_change_confirmed(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        let list = |name: &str| d.get(name).map(|v| v.as_array().cloned().unwrap_or_default());
        for cell in list("added")? {
            self.put_cell(e, &cell)?;
        }
        for change in list("changed")? {
            self.put_cell(e, change.get("after").ok_or("a changed cell's after")?)?;
        }
        let agreement = e.agreement_text()?.to_owned();
        for cell in list("removed")? {
            let c = Data { v: &cell };
            let key = [agreement.as_str(), c.str("facility_id")?, c.str("cell_id")?].join(KEY_SEPARATOR);
            if let Some(rows) = self.tables.get_mut("cells") {
                rows.remove(&key);
            }
        }
        self.update(
            "cell_changes",
            &d.key("change_id")?,
            e.seq,
            [
                ("confirmed_by", V::text(e.actor)),
                ("confirmed_at", V::text(e.recorded_at)),
                ("confirmed_seq", V::int(e.seq_i64())),
            ],
        )
    }

    fn case_proposed(&mut self, e: &Ev<'_>, person: Option<i64>, d: &Data<'_>) -> Result<(), String> {
        let record = d.get("record")?;
        self.put(
            "cases",
            e.seq,
            [
                ("id", d.int("case_id")?),
                ("agreement_id", e.agreement()?),
                ("person_id", V::int(person.ok_or("the case's person (person_id)")?)),
                ("state", Data { v: record }.text("state")?),
                ("record", V::text(record.to_string())),
                ("version", V::int(1)),
                ("last_event_seq", V::int(e.seq_i64())),
            ],
        )
    }

    fn case_transition(&mut self, e: &Ev<'_>, person: Option<i64>, d: &Data<'_>) -> Result<(), String> {
        let key = d.key("case_id")?;
        let record = d.get("record")?;
        let r = Data { v: record };
        let version = match self.get("cases", &key, "version") {
            Some(V::Int(v)) => v.checked_add(1).map_or(V::Unknown("an unreadable version"), V::int),
            Some(V::Text(v)) => v.parse::<i64>().map_or(V::Unknown("an unreadable version"), |v| V::int(v + 1)),
            _ => return Err(format!("case {key} proposed by an earlier event")),
        };
        self.update(
            "cases",
            &key,
            e.seq,
            [
                ("state", r.text("state")?),
                ("facility_id", V::json(d.v.get("facility_id"))),
                ("cell_id", V::json(record.get("cell_id"))),
                ("record", V::text(record.to_string())),
                ("version", version),
                ("last_event_seq", V::int(e.seq_i64())),
            ],
        )?;
        // The receiving state's identifier given at intake joins the person's identifiers; the
        // first person to hold an identifier keeps it.
        if let Some(value) = d.v.get("receiving_id").and_then(Value::as_str) {
            let person = person.ok_or("the case's person (person_id)")?;
            let state = match self.receiving_state.get(e.agreement_text()?) {
                Some(Some(state)) => state.clone(),
                _ => return Err("an agreement whose file loads, for its receiving state".into()),
            };
            let key = [state.as_str(), "inmate_number", value].join(KEY_SEPARATOR);
            if self.get("person_identifiers", &key, "person_id").is_none() {
                self.put(
                    "person_identifiers",
                    e.seq,
                    [
                        ("state", V::text(state)),
                        ("scheme", V::text("inmate_number")),
                        ("value", V::text(value)),
                        ("person_id", V::int(person)),
                        ("agreement_id", e.agreement()?),
                    ],
                )?;
            }
        }
        Ok(())
    }

    fn invoice_drafted(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        let total = match d.v.get("total_minor") {
            Some(t) => V::json(Some(t)),
            None => self.before_format("invoices.total_minor", "invoice.drafted", e.seq),
        };
        self.put(
            "invoices",
            e.seq,
            [
                ("id", d.int("invoice_id")?),
                ("agreement_id", e.agreement()?),
                ("kind", d.text("kind")?),
                ("period", d.text("period")?),
                ("number", d.text("number")?),
                ("document", d.raw("document")?),
                ("sha256", d.text("sha256")?),
                ("total_minor", total),
                ("prepared_by", V::text(e.actor)),
                ("prepared_seq", V::int(e.seq_i64())),
            ],
        )
    }

    fn user_created(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        let id = d.i64("user_id")?;
        let name = d.str("name")?;
        self.user_ids.insert(name.to_owned(), id);
        let (name_key, password) = self.user_commitments(e, d, "user.created", "users");
        self.put(
            "users",
            e.seq,
            [
                ("id", V::int(id)),
                ("name", V::text(name)),
                ("name_key", name_key),
                ("role", d.text("role")?),
                ("agreements", V::text(d.get("agreements")?.to_string())),
                ("facilities", V::text(d.get("facilities")?.to_string())),
                ("password_hash", password),
                ("created_seq", V::int(e.seq_i64())),
            ],
        )
    }

    /// A user's `name_key` and password commitment, or unknown in an event older than them.
    fn user_commitments(&mut self, e: &Ev<'_>, d: &Data<'_>, kind: &str, table: &str) -> (V, V) {
        let name_key = match d.v.get("name_key") {
            Some(k) => V::json(Some(k)),
            None => self.before_format(&format!("{table}.name_key"), kind, e.seq),
        };
        let password = match (d.v.get("password_sha256"), d.v.get("password_login")) {
            (Some(c), _) => V::json(Some(c)),
            (None, Some(Value::Bool(false))) => V::Null,
            (None, _) => self.before_format(&format!("{table}.password_hash"), kind, e.seq),
        };
        (name_key, password)
    }

    fn user_change_proposed(&mut self, e: &Ev<'_>, d: &Data<'_>, data: Value) -> Result<(), String> {
        let id = d.i64("change_id")?;
        let (name_key, password) = self.user_commitments(e, d, "user.change_proposed", "user_changes");
        self.put(
            "user_changes",
            e.seq,
            [
                ("id", V::int(id)),
                ("kind", d.text("kind")?),
                ("name", d.text("name")?),
                ("name_key", name_key),
                ("role", d.text("role")?),
                ("agreements", V::text(d.get("agreements")?.to_string())),
                ("facilities", V::text(d.get("facilities")?.to_string())),
                ("password_hash", password),
                ("proposed_by", V::text(e.actor)),
                ("proposed_at", V::text(e.recorded_at)),
                ("proposed_seq", V::int(e.seq_i64())),
            ],
        )?;
        self.user_changes.insert(id, data);
        Ok(())
    }

    fn user_change_confirmed(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        let id = d.i64("change_id")?;
        self.update(
            "user_changes",
            &id.to_string(),
            e.seq,
            [
                ("confirmed_by", V::text(e.actor)),
                ("confirmed_at", V::text(e.recorded_at)),
                ("confirmed_seq", V::int(e.seq_i64())),
            ],
        )?;
        let change = self.user_changes.get(&id).cloned().ok_or("the proposal of this change")?;
        let c = Data { v: &change };
        let (name_key, password) = self.user_commitments(e, &c, "user.change_proposed", "users");
        let values = [
            ("role", c.text("role")?),
            ("agreements", V::text(c.get("agreements")?.to_string())),
            ("facilities", V::text(c.get("facilities")?.to_string())),
        ];
        match c.str("kind")? {
            "create" => {
                let user_id = self.user_ids.values().max().copied().unwrap_or(0) + 1;
                let name = c.str("name")?;
                self.user_ids.insert(name.to_owned(), user_id);
                let mut row = vec![
                    ("id", V::int(user_id)),
                    ("name", V::text(name)),
                    ("name_key", name_key),
                    ("password_hash", password),
                    ("created_seq", V::int(e.seq_i64())),
                ];
                row.extend(values);
                self.put("users", e.seq, row)
            }
            _ => {
                // The user whose compared name is the change's (`name_key`; an older change
                // names the user as given).
                let key = c.v.get("name_key").and_then(Value::as_str);
                let name = c.str("name")?;
                let user = self.tables.get("users").and_then(|rows| {
                    let spec = spec("users").ok()?;
                    let (k, n) = (column(spec, "name_key").ok()?, column(spec, "name").ok()?);
                    rows.iter().find_map(|(id, row)| {
                        let is = |i: usize, want: &str| matches!(row.cells.get(i), Some(V::Text(t)) if t == want);
                        let found = match key {
                            Some(key) => is(k, key),
                            None => is(n, name),
                        };
                        found.then(|| id.clone())
                    })
                });
                let user = user.ok_or_else(|| format!("user {name} created by an earlier event"))?;
                self.update("users", &user, e.seq, values)
            }
        }
    }

    fn token_created(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        let user = d.str("user")?;
        let user_id =
            self.user_ids.get(user).copied().ok_or_else(|| format!("user {user} created by an earlier event"))?;
        let sha256 = match d.v.get("sha256") {
            Some(s) => V::json(Some(s)),
            None => {
                self.legacy = true;
                self.before_format("api_tokens.sha256", "token.created", e.seq)
            }
        };
        self.put(
            "api_tokens",
            e.seq,
            [
                ("id", d.int("token_id")?),
                ("user_id", V::int(user_id)),
                ("sha256", sha256),
                ("label", d.text("label")?),
                ("created_at", V::text(e.recorded_at)),
                ("revoked_at", V::Null),
                ("expires_at", V::json(d.v.get("expires_at"))),
            ],
        )
    }

    fn reads_logged(&mut self, e: &Ev<'_>, d: &Data<'_>) -> Result<(), String> {
        let first = d.i64("first_id")?;
        let reads = d.get("reads")?.as_array().ok_or("a list of reads")?;
        for (id, read) in (first..).zip(reads) {
            let r = Data { v: read };
            self.put(
                "person_reads",
                e.seq,
                [
                    ("id", V::int(id)),
                    ("user_name", r.text("user_name")?),
                    ("person_id", r.int("person_id")?),
                    ("route", r.text("purpose")?),
                    ("at", r.text("at")?),
                ],
            )?;
        }
        Ok(())
    }

    /// An unknown value, and a note of what cannot be checked.
    fn before_format(&mut self, what: &str, kind: &str, seq: u64) -> V {
        if !self.unchecked.iter().any(|n| n.starts_with(&format!("{what}:"))) {
            self.unchecked
                .insert(format!("{what}: not checked where {kind} events predate the field (the first: event {seq})"));
        }
        V::Unknown(BEFORE_FORMAT)
    }
}

/// What an event's data holds, with errors that name the field.
struct Data<'a> {
    v: &'a Value,
}

impl<'a> Data<'a> {
    fn get(&self, name: &str) -> Result<&'a Value, String> {
        self.v.get(name).ok_or_else(|| format!("data.{name}"))
    }
    fn str(&self, name: &str) -> Result<&'a str, String> {
        self.get(name)?.as_str().ok_or_else(|| format!("data.{name} as text"))
    }
    fn text(&self, name: &str) -> Result<V, String> {
        self.str(name).map(V::text)
    }
    fn i64(&self, name: &str) -> Result<i64, String> {
        self.get(name)?.as_i64().ok_or_else(|| format!("data.{name} as an integer"))
    }
    fn int(&self, name: &str) -> Result<V, String> {
        self.i64(name).map(V::int)
    }
    fn key(&self, name: &str) -> Result<String, String> {
        self.i64(name).map(|n| n.to_string())
    }
    /// A JSON member kept as JSON text.
    fn raw(&self, name: &str) -> Result<V, String> {
        let v = self.get(name)?;
        let canonical = custodia_journal::canonical::canonicalize(v).map_err(|e| format!("data.{name}: {e}"))?;
        String::from_utf8(canonical).map(V::Text).map_err(|e| e.to_string())
    }
}

/// The envelope's members a projection uses.
struct Ev<'a> {
    seq: u64,
    actor: &'a str,
    recorded_at: &'a str,
    agreement: Option<&'a str>,
}

impl Ev<'_> {
    fn seq_i64(&self) -> i64 {
        i64::try_from(self.seq).unwrap_or(i64::MAX)
    }
    fn agreement_text(&self) -> Result<&str, String> {
        self.agreement.ok_or_else(|| "the event's agreement_id".to_owned())
    }
    fn agreement(&self) -> Result<V, String> {
        self.agreement_text().map(V::text)
    }
}

#[derive(Deserialize)]
struct PersonEvent<'a> {
    #[serde(borrow)]
    record: Record<'a>,
    #[serde(borrow, default)]
    sending_state: Option<Cow<'a, str>>,
    #[serde(default)]
    version: Option<i64>,
}

/// A person record: its values in [`crate::record::PERSON_COLUMNS`] order, read without a map.
/// A member of another name is read (it must be a value too) and left out, as the import's
/// digest leaves it out.
#[derive(Debug, Default)]
struct Record<'a>([Option<Scalar<'a>>; crate::record::PERSON_COLUMNS.len()]);

impl Record<'_> {
    /// The values in column order (a missing or null value is empty).
    fn values(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|v| v.as_ref().map_or("", Scalar::as_str))
    }
    /// The value of a column present in the record.
    fn get(&self, column: &str) -> Option<&str> {
        let at = crate::record::PERSON_COLUMNS.iter().position(|c| *c == column)?;
        self.0.get(at)?.as_ref().map(Scalar::as_str)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Record<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Record<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a person record (an object)")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut record = Record::default();
                while let Some(Column(at)) = map.next_key::<Column>()? {
                    let value = map.next_value::<Scalar<'de>>()?;
                    if let Some(slot) = at.and_then(|at| record.0.get_mut(at)) {
                        *slot = Some(value);
                    }
                }
                Ok(record)
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// A member name of a person record as its place in [`crate::record::PERSON_COLUMNS`] (`None`
/// for a name not there), read without copying the name.
struct Column(Option<usize>);

impl<'de> Deserialize<'de> for Column {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Column;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
                Ok(Column(crate::record::PERSON_COLUMNS.iter().position(|c| *c == name)))
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

/// A value of a person record: text, a day count, or null (empty).
#[derive(Debug)]
enum Scalar<'a> {
    Text(Cow<'a, str>),
    /// A number's decimal digits, kept inline (no allocation per record for its day count).
    Number {
        digits: [u8; 20],
        len: u8,
    },
}

impl Scalar<'_> {
    fn as_str(&self) -> &str {
        match self {
            Scalar::Text(text) => text,
            Scalar::Number { digits, len } => {
                digits.get(..usize::from(*len)).and_then(|d| std::str::from_utf8(d).ok()).unwrap_or_default()
            }
        }
    }

    /// A whole number in decimal, as JSON wrote it (at most 20 characters).
    fn number(n: impl std::fmt::Display) -> Self {
        use std::io::Write;
        let mut digits = [0u8; 20];
        let mut out = &mut digits[..];
        let written = if write!(out, "{n}").is_ok() { 20 - out.len() } else { 0 };
        Scalar::Number { digits, len: u8::try_from(written).unwrap_or(0) }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, a whole number or null")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Owned(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::number(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::number(v))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Text(Cow::Borrowed("")))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

const KEY_SEPARATOR: &str = " / ";

/// Whether `text` is `n` in decimal, exactly as `CAST(n AS TEXT)` writes it.
fn decimal_is(n: i64, text: &str) -> bool {
    use std::io::Write;
    let mut buf = [0u8; 24];
    let mut out = &mut buf[..];
    if write!(out, "{n}").is_err() {
        return false;
    }
    let written = 24 - out.len();
    buf.get(..written) == Some(text.as_bytes())
}

fn spec(table: &str) -> Result<&'static TableSpec, String> {
    TABLES.iter().find(|t| t.name == table).ok_or_else(|| format!("a table {table} in the replay's list"))
}

fn column(spec: &TableSpec, name: &str) -> Result<usize, String> {
    spec.columns.iter().position(|(c, _)| *c == name).ok_or_else(|| format!("a column {}.{name}", spec.name))
}

fn key_of(spec: &TableSpec, cells: &[V]) -> String {
    let mut key = String::new();
    for (i, c) in cells.iter().take(spec.keys).enumerate() {
        if i > 0 {
            key.push_str(KEY_SEPARATOR);
        }
        match c {
            V::Text(t) => key.push_str(t),
            V::Int(n) => key.push_str(&n.to_string()),
            V::Null => key.push_str("NULL"),
            V::Unknown(_) => key.push('?'),
        }
    }
    key
}

/// The journal's rows, compared table by table with the stored ones.
#[derive(Debug)]
pub(crate) struct Expected {
    tables: HashMap<&'static str, HashMap<String, Entry>>,
    events: u64,
    rows: u64,
    difference: Option<Difference>,
    unchecked: BTreeSet<String>,
    legacy: bool,
    /// The `persons` and `person_agreements` rows, shared by the comparisons of [`Expected::fork`].
    persons: std::sync::Arc<Persons>,
    /// The stored rows matched, `persons` then `person_agreements`.
    seen: [Seen; 2],
    late_rows: HashMap<&'static str, u64>,
    /// The key of the row being compared (kept to spare an allocation per row).
    key: String,
}

impl Expected {
    /// False once a difference is found.
    pub(crate) fn wants_more(&self) -> bool {
        self.difference.is_none()
    }

    /// Compares one stored row of `table` (its columns as text, in [`TableSpec::columns`] order).
    pub(crate) fn compare(&mut self, table: &'static TableSpec, found: &[Option<&str>]) {
        if self.difference.is_some() {
            return;
        }
        self.rows += 1;
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        for (i, c) in found.iter().take(table.keys).enumerate() {
            if i > 0 {
                key.push_str(KEY_SEPARATOR);
            }
            key.push_str(c.unwrap_or("NULL"));
        }
        let entry = match table.name {
            PERSONS | PERSON_AGREEMENTS => {
                let [people, links] = &mut self.seen;
                let check = match table.name {
                    PERSONS => self.persons.check_person(found, people),
                    _ => self.persons.check_link(found, links),
                };
                match check {
                    Check::Same => {
                        self.key = key;
                        return;
                    }
                    Check::Differs(entry) => Some(entry),
                    Check::NoRow => None,
                }
            }
            _ => self.tables.get_mut(table.name).and_then(|rows| rows.remove(&key)),
        };
        let Some(entry) = entry else {
            self.missing_row(table, key);
            return;
        };
        for (at, ((name, kind), expected)) in table.columns.iter().zip(&entry.cells).enumerate().skip(table.keys) {
            let found = found.get(at).copied().flatten();
            if let Some(found) = self.differs(table.name, name, *kind, expected, found) {
                let (expected, found) = match (expected, found) {
                    (V::Text(e), Found::Text(f)) => around_first_difference(e, &f),
                    (V::Int(n), Found::Text(f)) => around_first_difference(&n.to_string(), &f),
                    (e, f) => (e.show(), f.show()),
                };
                self.difference = Some(Difference {
                    table: table.name.into(),
                    key,
                    column: (*name).into(),
                    expected: format!("{expected} (event {})", entry.seq),
                    found,
                });
                return;
            }
        }
        self.key = key;
    }

    /// A stored `persons` or `person_agreements` row read natively (`cells`, in
    /// [`TableSpec::columns`] order) that is exactly as the journal made it: counted and marked
    /// without writing its values as text. False for any other row, which [`Expected::compare`]
    /// then takes.
    pub(crate) fn same_as_made(&mut self, table: &'static TableSpec, cells: &[rusqlite::types::ValueRef<'_>]) -> bool {
        use rusqlite::types::ValueRef::{Blob, Integer, Text};
        if self.difference.is_some() {
            return false;
        }
        let [people, links] = &mut self.seen;
        let same = match (table.name, cells) {
            (PERSONS, &[Integer(id), Text(state), Text(sending_id), Blob(sha), Integer(version), Integer(seq)]) => {
                self.persons.same_person(id, state, sending_id, sha, version, seq, people)
            }
            (PERSON_AGREEMENTS, &[Integer(id), Text(agreement)]) => self.persons.same_link(id, agreement, links),
            _ => false,
        };
        self.rows += u64::from(same);
        same
    }

    /// A stored row that no event made.
    fn missing_row(&mut self, table: &'static TableSpec, key: String) {
        if table.journaled_late && self.legacy {
            *self.late_rows.entry(table.name).or_default() += 1;
            self.key = key;
            return;
        }
        self.difference = Some(Difference {
            table: table.name.into(),
            key,
            column: "(row)".into(),
            expected: "no such row (no event records it)".into(),
            found: "a row".into(),
        });
    }

    /// `Some(found)` when the stored value is not the expected one.
    fn differs(&mut self, table: &str, name: &str, kind: Col, expected: &V, found: Option<&str>) -> Option<Found> {
        let found: Option<Cow<'_, str>> = match (kind, found) {
            (Col::Commitment, Some(text)) => Some(Cow::Owned(hex(&Sha256::digest(text.as_bytes())))),
            (_, found) => found.map(Cow::Borrowed),
        };
        let same = match (expected, &found) {
            (V::Unknown(_), _) => {
                if !self.unchecked.iter().any(|n| n.starts_with(&format!("{table}.{name}:"))) {
                    self.unchecked.insert(format!("{table}.{name}: {BEFORE_FORMAT}"));
                }
                true
            }
            (V::Null, None) => true,
            (V::Text(e), Some(f)) if e == f.as_ref() => true,
            (V::Int(n), Some(f)) => decimal_is(*n, f),
            (V::Text(e), Some(f)) if kind == Col::Json => serde_json::from_str::<Value>(e)
                .ok()
                .zip(serde_json::from_str::<Value>(f).ok())
                .is_some_and(|(a, b)| a == b),
            _ => false,
        };
        if same {
            return None;
        }
        Some(match found {
            None => Found::Null,
            Some(f) if kind == Col::Commitment => Found::Shown(format!("a value whose SHA-256 is {f}")),
            Some(f) => Found::Text(f.into_owned()),
        })
    }

    /// A comparison of the same expected rows for tables this one does not compare (`tables`),
    /// to run beside it: the named tables' rows move to it; [`Expected::absorb`] takes its
    /// findings back.
    pub(crate) fn fork(&mut self, tables: &[&'static str]) -> Expected {
        let moved = tables.iter().filter_map(|t| Some((*t, self.tables.remove(t)?))).collect();
        Expected {
            tables: moved,
            events: self.events,
            rows: 0,
            difference: self.difference.clone(),
            unchecked: BTreeSet::new(),
            legacy: self.legacy,
            persons: std::sync::Arc::clone(&self.persons),
            seen: [Seen::default(), Seen::default()],
            late_rows: HashMap::default(),
            key: String::new(),
        }
    }

    /// The findings of a [`Expected::fork`]: its rows counted, what it could not check, and the
    /// first difference of the two in [`TABLES`] order.
    pub(crate) fn absorb(&mut self, fork: Expected) {
        let place = |d: &Difference| TABLES.iter().position(|t| t.name == d.table).unwrap_or(usize::MAX);
        self.difference = match (self.difference.take(), fork.difference) {
            (Some(a), Some(b)) => Some(if place(&b) < place(&a) { b } else { a }),
            (a, b) => a.or(b),
        };
        self.rows += fork.rows;
        self.unchecked.extend(fork.unchecked);
        for (table, rows) in fork.late_rows {
            *self.late_rows.entry(table).or_default() += rows;
        }
        self.tables.extend(fork.tables);
    }

    /// After the last stored row of `table`: the first row the journal made that is missing.
    pub(crate) fn finish_table(&mut self, table: &'static TableSpec) {
        if self.difference.is_some() {
            return;
        }
        let missing = match table.name {
            PERSONS => self.persons.first_missing(table.name, &self.seen[0]),
            PERSON_AGREEMENTS => self.persons.first_missing(table.name, &self.seen[1]),
            _ => self
                .tables
                .get(table.name)
                .and_then(|rows| rows.iter().min_by_key(|(_, e)| e.order))
                .map(|(key, entry)| (key.clone(), entry.seq)),
        };
        if let Some((key, seq)) = missing {
            self.difference = Some(Difference {
                table: table.name.into(),
                key,
                column: "(row)".into(),
                expected: format!("a row (event {seq})"),
                found: "no row".into(),
            });
        }
    }

    /// Compares the stored journal head (read in the replay's snapshot) with the events replayed
    /// and the tree the tree check rebuilt.
    pub(crate) fn compare_head(&mut self, tree: &crate::events::VerifyReport, stored: &[Option<&str>]) {
        let Ok(head) = spec(HEAD_TABLE) else { return };
        let frontier = if tree.size == self.events && tree.first_mismatch.is_none() {
            V::Text(tree.frontier.iter().map(|h| hex(h.as_bytes())).collect())
        } else {
            V::Unknown("the tree check did not cover the replayed events")
        };
        if let Some(entry) = self.tables.get_mut(HEAD_TABLE).and_then(|rows| rows.get_mut("1"))
            && let Ok(at) = column(head, "frontier")
            && let Some(cell) = entry.cells.get_mut(at)
        {
            *cell = frontier;
        }
        self.compare(head, stored);
        self.finish_table(head);
    }

    /// The report.
    pub(crate) fn report(mut self) -> ReplayReport {
        for (table, rows) in &self.late_rows {
            self.unchecked.insert(format!(
                "{table}: {rows} rows written before this table was journaled (a register older than the replay)"
            ));
        }
        ReplayReport {
            events: self.events,
            rows: self.rows,
            difference: self.difference,
            unchecked: self.unchecked.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{PersonData, PersonJson};

    #[test]
    fn a_person_record_hashes_as_the_import_does() {
        let mut person =
            PersonData { sending_id: "P-1".into(), family_name: "Pérez \"x\"".into(), ..Default::default() };
        person.jail_credit_days = Some(12);
        person.birth_date = Some("1990-01-02".into());
        let record = person.canonical_json();
        let parsed: Record<'_> = serde_json::from_str(&record).unwrap();
        assert_eq!(parsed.get("person_id"), Some("P-1"));
        let mut hasher = Sha256::new();
        for value in parsed.values() {
            hasher.update((value.len() as u64).to_be_bytes());
            hasher.update(value.as_bytes());
        }
        assert_eq!(<[u8; 32]>::from(hasher.finalize()), person.sha256());
        assert_eq!(Scalar::number(u64::MAX).as_str(), "18446744073709551615");
        assert_eq!(Scalar::number(i64::MIN).as_str(), "-9223372036854775808");
    }

    #[test]
    fn every_table_has_its_keys_and_sql() {
        for table in TABLES {
            assert!(table.keys >= 1 && table.keys <= table.columns.len(), "{}", table.name);
            let sql = table_sql(Dialect::Sqlite, table);
            assert!(sql.starts_with("SELECT ") && sql.contains(table.name), "{sql}");
        }
        assert_eq!(
            table_sql(Dialect::Postgres, spec("invoice_issues").unwrap()),
            "SELECT CAST(invoice_id AS TEXT), \"number\", \"issued_by\", CAST(issued_seq AS TEXT) FROM invoice_issues ORDER BY \"invoice_id\""
        );
    }
}
