//! The inspector's report for a facility and a period (docs/rights.md#report), for every edge: its
//! figures ([`App::inspection_report`]) and its renderings — a table, CSV and an SVG chart — in
//! the reader's language.
//!
//! It counts what the reader may read: a confidential complaint is counted only for those who may
//! read it ([`crate::rights::reads_confidential`]).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use custodia_core::Date;
use custodia_core::care::ContactKind;
use custodia_core::incidents::IncidentKind;
use custodia_core::inspection::{AllegationFacts, HeldPerson, InspectionReport, inspection_report};
use custodia_core::rights::Complaint;
use custodia_i18n::{Language, Text};
use custodia_store::CareItem;
use custodia_store::prelude::*;

use crate::access::Principal;
use crate::error::{AppError, AppResult};
use crate::{App, billing};

/// A case's examination times, contacts (kind, time, held) and placements.
type CaseRecords = (Vec<i64>, Vec<(ContactKind, i64, bool)>, Vec<custodia_core::care::Placement>);

/// The longest period a report covers, days.
pub const MAX_REPORT_DAYS: i64 = 3_660;

/// One line of the report: its stable key, the complaint category it counts (if any), the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportLine {
    /// `complaints-filed`, `admissions`, … (docs/rights.md#report).
    pub metric: &'static str,
    /// The complaint category, for the complaint lines.
    pub category: Option<&'static str>,
    /// The figure.
    pub value: i64,
}

/// The report's lines, in order.
pub fn report_lines(r: &InspectionReport) -> Vec<ReportLine> {
    let mut lines = Vec::new();
    for (category, c) in &r.complaints {
        for (metric, value) in [
            ("complaints-filed", c.filed),
            ("complaints-answered-on-time", c.answered_on_time),
            ("complaints-answered-late", c.answered_late),
            ("complaints-unanswered", c.unanswered),
        ] {
            lines.push(ReportLine { metric, category: Some(category.as_str()), value: i64::from(value) });
        }
    }
    let plain = [
        ("admissions", i64::from(r.admissions)),
        ("examined-on-time", i64::from(r.examined_on_time)),
        ("person-months", i64::from(r.person_months)),
        ("person-months-at-minimum", i64::from(r.person_months_at_minimum)),
        ("family-contacts-held", i64::from(r.family_contacts_held)),
        ("contacts-refused", i64::from(r.contacts_refused)),
        ("consular-visits-held", i64::from(r.consular_visits_held)),
        ("solitary-placements", i64::from(r.solitary_placements)),
        ("solitary-days", r.solitary_days),
        ("prolonged-solitary", i64::from(r.prolonged_solitary)),
        ("allegations", i64::from(r.allegations)),
        ("investigations-closed", i64::from(r.investigations_closed)),
        ("investigations-open", i64::from(r.investigations_open)),
    ];
    lines.extend(plain.into_iter().map(|(metric, value)| ReportLine { metric, category: None, value }));
    lines
}

/// A line's label in `language`.
pub fn report_label(language: Language, line: &ReportLine) -> String {
    let key = format!("report-{}", line.metric);
    let category = line.category.map(|c| custodia_i18n::text(language, &format!("complaint-category-{c}"), &[]));
    match category {
        Some(c) => format!("{} ({c})", custodia_i18n::text(language, &key, &[])),
        None => custodia_i18n::text(language, &key, &[]),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// The report as CSV: `metric,category,label,value`, the label in `language`.
pub fn report_csv(r: &InspectionReport, language: Language) -> String {
    let mut out = String::from("metric,category,label,value\n");
    for line in report_lines(r) {
        let _ = writeln!(
            out,
            "{},{},{},{}",
            line.metric,
            line.category.unwrap_or(""),
            csv_field(&report_label(language, &line)),
            line.value
        );
    }
    out
}

/// The report as a table for a terminal, in `language`.
pub fn report_table(r: &InspectionReport, language: Language) -> String {
    let lines = report_lines(r);
    let labels: Vec<String> = lines.iter().map(|l| report_label(language, l)).collect();
    let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (line, text) in lines.iter().zip(&labels) {
        let pad = width.saturating_sub(text.chars().count());
        let _ = writeln!(out, "{text}{}  {}", " ".repeat(pad), line.value);
    }
    out
}

/// `text` escaped for XML (SVG) text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The report's complaints as an SVG bar chart: per category, the complaints answered on time,
/// late and unanswered, stacked; labels in `language`.
pub fn report_svg(r: &InspectionReport, language: Language) -> String {
    const ROW: i64 = 28;
    const LEFT: i64 = 190;
    const WIDTH: i64 = 400;
    let most = r.complaints.iter().map(|(_, c)| i64::from(c.filed)).max().unwrap_or(0).max(1);
    let height = ROW * (i64::try_from(r.complaints.len()).unwrap_or(0) + 3);
    let title = escape(&custodia_i18n::text(language, "report-chart-title", &[]));
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{title}\" width=\"{}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"13\">\n<title>{title}</title>\n<text x=\"8\" y=\"18\" font-weight=\"bold\">{title}</text>\n",
        LEFT + WIDTH + 60
    );
    let parts = [
        ("complaints-answered-on-time", "#2e7d32"),
        ("complaints-answered-late", "#f9a825"),
        ("complaints-unanswered", "#c62828"),
    ];
    for (i, (category, c)) in (1i64..).zip(&r.complaints) {
        let y = i * ROW + 8;
        let name = escape(&custodia_i18n::text(language, &format!("complaint-category-{}", category.as_str()), &[]));
        let _ = writeln!(out, "<text x=\"8\" y=\"{}\">{name}</text>", y + 16);
        let mut x = LEFT;
        for ((_, colour), value) in parts.iter().zip([c.answered_on_time, c.answered_late, c.unanswered]) {
            let w = i64::from(value) * WIDTH / most;
            if w > 0 {
                let _ = writeln!(out, "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"20\" fill=\"{colour}\"/>");
            }
            x += w;
        }
        let _ = writeln!(out, "<text x=\"{}\" y=\"{}\">{}</text>", x + 6, y + 16, c.filed);
    }
    let legend_y = (i64::try_from(r.complaints.len()).unwrap_or(0) + 1) * ROW + 24;
    let mut x = 8;
    for (metric, colour) in parts {
        let text = escape(&custodia_i18n::text(language, &format!("report-{metric}"), &[]));
        let _ = writeln!(out, "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>", legend_y - 11);
        let _ = writeln!(out, "<text x=\"{}\" y=\"{legend_y}\">{text}</text>", x + 16);
        x += 200;
    }
    out.push_str("</svg>\n");
    out
}

impl App {
    /// The inspector's report for `facility_id` of the agreement over `[from, to]` (days,
    /// inclusive), as the caller may read it. Records are placed in a facility by the stays the
    /// journal's custody steps give and by the case's current facility.
    pub async fn inspection_report(
        &self,
        who: &Principal,
        agreement_id: &str,
        facility_id: &str,
        from: Date,
        to: Date,
    ) -> AppResult<InspectionReport> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        if agreement.facility(facility_id).is_none() || !who.sees(agreement_id, Some(facility_id)) {
            return Err(AppError::no_such("facility", facility_id));
        }
        if to < from {
            return Err(AppError::invalid("to", Text::new("INVALID.before-from")));
        }
        if to.days_since(from) >= MAX_REPORT_DAYS {
            return Err(AppError::invalid("to", Text::new("INVALID.period-too-long").count("max", MAX_REPORT_DAYS)));
        }
        let facts = self.alert_facts(agreement_id).await?;
        let stays = billing::custody_spans(&agreement, &facts.rows, &facts.transitions)?;
        let mut stays_of: HashMap<&str, Vec<(Date, Option<Date>)>> = HashMap::new();
        for s in stays.iter().filter(|s| s.facility_id == facility_id) {
            stays_of.entry(s.person_id.as_str()).or_default().push((s.admitted_on, s.released_on));
        }
        let mut care: BTreeMap<i64, CaseRecords> = BTreeMap::new();
        for r in self.store().care_records(agreement_id).await? {
            let entry = care.entry(r.case_id).or_default();
            match r.item {
                CareItem::Examination(e) => entry.0.push(e.examined_at_unix),
                CareItem::Visit(v) => entry.1.push((v.kind, v.at_unix, v.held())),
                CareItem::Placement(p) => entry.2.push(p),
            }
        }
        let empty = (Vec::new(), Vec::new(), Vec::new());
        let zone = agreement.time_zone_of(facility_id);
        let mut people = Vec::new();
        let mut cases = std::collections::BTreeSet::new();
        for row in facts.rows.iter().filter(|r| r.case.facility_id.as_deref() == Some(facility_id)) {
            let Some(stays) = stays_of.get(row.person.sending_id.as_str()) else { continue };
            let Some(intake) = &row.case.case.intake else { continue };
            cases.insert(row.case.id);
            let (exams, contacts, placements) = care.get(&row.case.id).unwrap_or(&empty);
            people.push(HeldPerson {
                stays,
                admitted_at_unix: zone.start_of_day(intake.admitted_on) + i64::from(intake.hour) * 3_600,
                examined_at_unix: exams,
                contacts,
                placements,
            });
        }
        let complaints = self.complaints(who, agreement_id).await?;
        let complaints: Vec<&Complaint> =
            complaints.iter().filter(|c| cases.contains(&c.case_id)).map(|c| &c.complaint).collect();
        let allegations: Vec<AllegationFacts<'_>> = facts
            .incidents
            .iter()
            .filter(|i| i.kind == IncidentKind::TortureAllegation && i.case_id.is_some_and(|c| cases.contains(&c)))
            .filter_map(|i| {
                let at = custodia_store::Timestamp::parse(&i.occurred_at).ok()?;
                Some(AllegationFacts { at_unix: at.unix_seconds(), investigation: i.investigation.as_ref() })
            })
            .collect();
        Ok(inspection_report(from, to, agreement.rights.family_contacts_per_month, &people, &complaints, &allegations))
    }
}
