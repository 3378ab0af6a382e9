//! Derived dates and open alerts for a given day (docs/lifecycle.md). The day is a parameter, never the
//! clock, so the same records always give the same alerts for the same day.

use crate::agreement::Agreement;
use crate::custody::Case;
use crate::date::Date;
use crate::eligibility::{Outcome, Rule};
use crate::lifecycle::CaseState;
use crate::person_owned::Person;
use crate::safeguards::{NoBasis, legal_basis, screen_on};

/// How urgent an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Someone may be held unlawfully or at risk: act today.
    Critical,
    /// A deadline is near or passed.
    Warning,
}

impl Severity {
    /// `critical` or `warning`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Warning => "warning",
        }
    }
}

/// What an alert is about; codes are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlertKind {
    /// In custody, `return_by` is within 30 days and no return is scheduled.
    ReturnNotScheduled,
    /// Still held after `return_by`.
    ReturnOverdue,
    /// Still held after the projected release date.
    HeldBeyondRelease,
    /// Held without a final conviction or final removal order on record.
    NoLegalBasis,
    /// A legal hold stands on a case in transit.
    HoldInTransit,
    /// More people in custody under the agreement than contracted places.
    ContractedPlacesExceeded,
    /// More people in a facility than its standard capacity.
    StandardCapacityExceeded,
    /// A mandatory incident notification is past its deadline and not sent (docs/oversight.md#incidents).
    NotificationOverdue,
    /// Held while the current record fails a rule (docs/lifecycle.md#rescreening).
    IneligibleInCustody,
    /// A court order to return the person, and no return scheduled within `court_return_days`.
    CourtReturnOverdue,
    /// The agreement ends soon and the return is not scheduled.
    AgreementEnding,
    /// Still held after the agreement's end.
    HeldAfterAgreementEnd,
    /// In transit longer than `transit_max_hours`.
    StuckInTransit,
    /// More people in a cell than its standard capacity (docs/capacity.md#alerts-per-cell).
    CellAboveStandard,
    /// A cell above its standard capacity for longer than `override_max_days` since the override
    /// that took it there.
    OverrideExpired,
    /// More people in a cell than its floor capacity (after a cell change shrank it, say).
    CellAboveFloor,
    /// The investigation of an allegation is not closed within 30 days of it
    /// (docs/oversight.md#investigations).
    InvestigationOverdue,
    /// A complaint unanswered past the agreement's `complaint_answer_days` (docs/rights.md#complaints).
    ComplaintUnanswered,
    /// Admitted more than 24 hours ago and not examined by a doctor (docs/rights.md#health).
    MedicalExamOverdue,
    /// Fewer family visits or calls last month than the agreement's minimum (docs/rights.md#visits).
    VisitsBelowMinimum,
    /// Fewer consular visits in the last 91 days than the agreement's minimum (docs/rights.md#visits).
    ConsularAccessOverdue,
    /// In solitary confinement more than 15 consecutive days (docs/rights.md#solitary).
    ProlongedSolitary,
    /// In solitary confinement with no medical review in the last 24 hours (docs/rights.md#solitary).
    SolitaryReviewOverdue,
    /// A configured witness has not cosigned the journal's events of longer ago than the
    /// configured delay (docs/journal.md#witnesses).
    WitnessCosignatureOverdue,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [AlertKind; 24] = [
        Self::ReturnNotScheduled,
        Self::ReturnOverdue,
        Self::HeldBeyondRelease,
        Self::NoLegalBasis,
        Self::HoldInTransit,
        Self::ContractedPlacesExceeded,
        Self::StandardCapacityExceeded,
        Self::NotificationOverdue,
        Self::IneligibleInCustody,
        Self::CourtReturnOverdue,
        Self::AgreementEnding,
        Self::HeldAfterAgreementEnd,
        Self::StuckInTransit,
        Self::CellAboveStandard,
        Self::OverrideExpired,
        Self::CellAboveFloor,
        Self::InvestigationOverdue,
        Self::ComplaintUnanswered,
        Self::MedicalExamOverdue,
        Self::VisitsBelowMinimum,
        Self::ConsularAccessOverdue,
        Self::ProlongedSolitary,
        Self::SolitaryReviewOverdue,
        Self::WitnessCosignatureOverdue,
    ];

    /// The kind of a stable code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::ReturnNotScheduled => "RETURN_NOT_SCHEDULED",
            Self::ReturnOverdue => "RETURN_OVERDUE",
            Self::HeldBeyondRelease => "HELD_BEYOND_RELEASE",
            Self::NoLegalBasis => "NO_LEGAL_BASIS",
            Self::HoldInTransit => "HOLD_IN_TRANSIT",
            Self::ContractedPlacesExceeded => "CONTRACTED_PLACES_EXCEEDED",
            Self::StandardCapacityExceeded => "STANDARD_CAPACITY_EXCEEDED",
            Self::NotificationOverdue => "NOTIFICATION_OVERDUE",
            Self::IneligibleInCustody => "INELIGIBLE_IN_CUSTODY",
            Self::CourtReturnOverdue => "COURT_RETURN_OVERDUE",
            Self::AgreementEnding => "AGREEMENT_ENDING",
            Self::HeldAfterAgreementEnd => "HELD_AFTER_AGREEMENT_END",
            Self::StuckInTransit => "STUCK_IN_TRANSIT",
            Self::CellAboveStandard => "CELL_ABOVE_STANDARD",
            Self::OverrideExpired => "OVERRIDE_EXPIRED",
            Self::CellAboveFloor => "CELL_ABOVE_FLOOR",
            Self::InvestigationOverdue => "INVESTIGATION_OVERDUE",
            Self::ComplaintUnanswered => "COMPLAINT_UNANSWERED",
            Self::MedicalExamOverdue => "MEDICAL_EXAM_OVERDUE",
            Self::VisitsBelowMinimum => "VISITS_BELOW_MINIMUM",
            Self::ConsularAccessOverdue => "CONSULAR_ACCESS_OVERDUE",
            Self::ProlongedSolitary => "PROLONGED_SOLITARY",
            Self::SolitaryReviewOverdue => "SOLITARY_REVIEW_OVERDUE",
            Self::WitnessCosignatureOverdue => "WITNESS_COSIGNATURE_OVERDUE",
        }
    }

    /// Its severity.
    pub const fn severity(self) -> Severity {
        match self {
            Self::ReturnNotScheduled
            | Self::StandardCapacityExceeded
            | Self::AgreementEnding
            | Self::CellAboveStandard
            | Self::InvestigationOverdue
            | Self::ComplaintUnanswered
            | Self::MedicalExamOverdue
            | Self::VisitsBelowMinimum
            | Self::ConsularAccessOverdue
            | Self::SolitaryReviewOverdue
            | Self::WitnessCosignatureOverdue => Severity::Warning,
            Self::ReturnOverdue
            | Self::HeldBeyondRelease
            | Self::NoLegalBasis
            | Self::HoldInTransit
            | Self::ContractedPlacesExceeded
            | Self::NotificationOverdue
            | Self::IneligibleInCustody
            | Self::CourtReturnOverdue
            | Self::HeldAfterAgreementEnd
            | Self::StuckInTransit
            | Self::OverrideExpired
            | Self::CellAboveFloor
            | Self::ProlongedSolitary => Severity::Critical,
        }
    }
}

/// One open alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    /// What.
    pub kind: AlertKind,
    /// The case (or facility) concerned.
    pub subject: String,
    /// Why, for a person to read (English).
    pub reason: String,
    /// The facts `reason` states, by name (`release`, `hours` …): the catalogues (keyed by the
    /// kind's code) write the same reason in every language from them (docs/languages.md).
    pub facts: Vec<(&'static str, String)>,
}

/// Named facts of an alert.
type Facts = Vec<(&'static str, String)>;

/// `[("name", value.to_string()), …]`.
macro_rules! facts {
    ($($name:literal => $value:expr),* $(,)?) => { vec![$(($name, $value.to_string())),*] };
}

/// Days before `return_by` from which an unscheduled return is an alert (docs/lifecycle.md).
pub const RETURN_WARNING_DAYS: i64 = 30;

/// `return_by = projected release − return_before_release_days`.
pub fn return_by(projected_release: Date, return_before_release_days: u32) -> Option<Date> {
    projected_release.add_days(-i64::from(return_before_release_days)).ok()
}

/// A case with what the alerts need.
#[derive(Clone, Debug)]
pub struct CaseFacts<'a> {
    /// The case's id.
    pub case_id: &'a str,
    /// The case.
    pub case: &'a Case,
    /// The person's current record.
    pub person: &'a Person,
    /// The day asked about, as a calendar day of the case's facility (docs/lifecycle.md#days).
    pub zone_day: Date,
    /// The instant the day is judged at (the end of `zone_day` in the facility's zone), for
    /// limits in hours.
    pub now_unix: i64,
}

/// The day a held person's screening is recomputed on for [`AlertKind::IneligibleInCustody`]:
/// the day of the step that last screened them (departure or admission), so that an amended
/// record is judged as of the transfer and time passing in custody (remaining time, a release
/// reached) is left to the release and legal-basis alerts. Not yet held: `today`.
pub fn held_screening_day(case: &Case, today: Date) -> Date {
    match &case.screening {
        Some(s) if case.state.is_held() => s.on,
        _ => today,
    }
}

/// The open alerts of held cases on their day (docs/lifecycle.md#safeguards): the legal basis
/// computed from the current record (a person whose release cannot be computed is flagged, never
/// skipped), re-screening, court orders, the agreement's end, transit time and returns.
pub fn case_alerts(agreement: &Agreement, cases: &[CaseFacts<'_>]) -> Vec<Alert> {
    let mut out = Vec::new();
    for facts in cases.iter().filter(|f| f.case.state.is_held()) {
        case_alerts_of(agreement, facts, &mut out);
    }
    out
}

fn case_alerts_of(agreement: &Agreement, facts: &CaseFacts<'_>, out: &mut Vec<Alert>) {
    let (case, day) = (facts.case, facts.zone_day);
    let mut alert = |kind: AlertKind, reason: String, facts_of: Facts| {
        out.push(Alert { kind, subject: facts.case_id.to_owned(), reason, facts: facts_of });
    };
    if case.state == CaseState::InTransit && case.on_hold() {
        alert(AlertKind::HoldInTransit, "a legal hold stands while the person is in transit".into(), Facts::new());
    }
    match legal_basis(agreement, facts.person, day, case.custody_since()) {
        Ok(_) => {}
        Err(NoBasis::Served { release }) => {
            alert(
                AlertKind::HeldBeyondRelease,
                format!("projected release was {release}"),
                facts!["release" => release],
            );
        }
        Err(no) => alert(AlertKind::NoLegalBasis, format!("on {day}: {no}"), facts!["day" => day, "why" => no]),
    }
    let screened_on = held_screening_day(case, day);
    let failed = screen_on(agreement, facts.person, screened_on).rules(Outcome::Fail);
    if !failed.is_empty() {
        let codes: Vec<&str> = failed.iter().map(|r: &Rule| r.code()).collect();
        alert(
            AlertKind::IneligibleInCustody,
            format!("the current record fails {} (screened as of {screened_on})", codes.join(";")),
            facts!["rules" => codes.join(";"), "on" => screened_on],
        );
    }
    let custody = agreement.custody;
    if case.state == CaseState::InCustody {
        for hold in case.return_orders() {
            let due = hold.placed_on.add_days(i64::from(custody.court_return_days)).unwrap_or(Date::MAX);
            if day > due {
                alert(
                    AlertKind::CourtReturnOverdue,
                    format!(
                        "court order {} ({}) orders a return; none scheduled by {due}",
                        hold.reference, hold.authority
                    ),
                    facts!["reference" => hold.reference, "authority" => hold.authority, "due" => due],
                );
            }
        }
    }
    if day > agreement.ends {
        alert(
            AlertKind::HeldAfterAgreementEnd,
            format!("the agreement ended on {}", agreement.ends),
            facts!["ends" => agreement.ends],
        );
    } else if case.state == CaseState::InCustody {
        let warn_from = agreement
            .ends
            .add_days(-(i64::from(agreement.return_before_release_days) + RETURN_WARNING_DAYS))
            .unwrap_or(Date::MIN);
        if day >= warn_from {
            alert(
                AlertKind::AgreementEnding,
                format!("the agreement ends on {} and no return is scheduled", agreement.ends),
                facts!["ends" => agreement.ends],
            );
        }
    }
    if case.state == CaseState::InTransit
        && let Some(departed) = case.departed_at_unix
    {
        let hours = (facts.now_unix - departed) / 3600;
        if hours > i64::from(custody.transit_max_hours) {
            alert(
                AlertKind::StuckInTransit,
                format!("in transit for {hours} hours (limit {} hours)", custody.transit_max_hours),
                facts!["hours" => hours, "limit" => custody.transit_max_hours],
            );
        }
    }
    let Some(release) = facts.person.projected_release(agreement) else { return };
    let Some(by) = return_by(release, agreement.return_before_release_days) else { return };
    if day > by {
        alert(AlertKind::ReturnOverdue, format!("return was due by {by}"), facts!["by" => by]);
    } else if case.state == CaseState::InCustody && day.days_since(by) >= -RETURN_WARNING_DAYS {
        alert(AlertKind::ReturnNotScheduled, format!("return is due by {by} and not scheduled"), facts!["by" => by]);
    }
}

/// A facility's headcount (derived from custody records).
#[derive(Clone, Debug)]
pub struct FacilityCount<'a> {
    /// The facility.
    pub facility_id: &'a str,
    /// People in custody there.
    pub in_custody: u32,
    /// Its standard capacity (docs/capacity.md).
    pub standard_capacity: u32,
}

/// An incident's notifications, for the overdue check.
#[derive(Clone, Debug)]
pub struct IncidentFacts<'a> {
    /// The incident's id.
    pub incident_id: &'a str,
    /// Its notifications.
    pub notifications: &'a [crate::incidents::Notification],
    /// The time zone whose day it is judged on: its case's facility's, or the agreement's default
    /// zone for an incident without one (docs/oversight.md#incidents).
    pub time_zone: crate::zone::TimeZone,
}

/// Every notification past its deadline and not sent at `now_unix` (a parameter, never the clock).
pub fn overdue_notifications(incidents: &[IncidentFacts<'_>], now_unix: i64) -> Vec<Alert> {
    incidents
        .iter()
        .flat_map(|i| {
            i.notifications.iter().filter(|n| n.is_overdue(now_unix)).map(|n| {
                let late = crate::incidents::hours_minutes(now_unix.saturating_sub(n.due_at_unix));
                Alert {
                    kind: AlertKind::NotificationOverdue,
                    subject: i.incident_id.to_owned(),
                    reason: format!("{} not notified; overdue by {late}", n.recipient.as_str()),
                    facts: facts!["recipient" => n.recipient.as_str(), "late" => late],
                }
            })
        })
        .collect()
}

/// An incident's investigation, for the overdue check.
#[derive(Clone, Debug)]
pub struct InvestigationFacts<'a> {
    /// The incident's id.
    pub incident_id: &'a str,
    /// Its investigation.
    pub investigation: &'a crate::incidents::Investigation,
}

/// Every investigation still open at `now_unix` more than 30 days after its allegation (a warning;
/// `now_unix` is a parameter, never the clock).
pub fn overdue_investigations(investigations: &[InvestigationFacts<'_>], now_unix: i64) -> Vec<Alert> {
    investigations
        .iter()
        .filter(|i| i.investigation.is_overdue(now_unix))
        .map(|i| {
            let (state, days) =
                (i.investigation.state().as_str(), now_unix.saturating_sub(i.investigation.opened_at_unix) / 86_400);
            let limit = crate::incidents::INVESTIGATION_DAYS;
            Alert {
                kind: AlertKind::InvestigationOverdue,
                subject: i.incident_id.to_owned(),
                reason: format!("investigation {state} {days} days after the allegation (to be closed within {limit})"),
                facts: facts!["state" => state, "days" => days, "limit" => limit],
            }
        })
        .collect()
}

/// Every notification past its deadline and not sent at the end of `on` — its last second in the
/// incident's time zone, so a deadline is judged on the facility's day (docs/oversight.md#incidents).
pub fn overdue_notifications_on(incidents: &[IncidentFacts<'_>], on: Date) -> Vec<Alert> {
    incidents.iter().flat_map(|i| overdue_notifications(std::slice::from_ref(i), i.time_zone.end_of_day(on))).collect()
}

/// Every open alert — cases (each on its facility's day), facilities, the agreement's contracted
/// places and incident notifications — most severe first, then in input order.
pub fn open_alerts(
    agreement: &Agreement,
    cases: &[CaseFacts<'_>],
    facilities: &[FacilityCount<'_>],
    incidents: &[IncidentFacts<'_>],
    on: Date,
) -> Vec<Alert> {
    let mut out = case_alerts(agreement, cases);
    let in_custody = cases.iter().filter(|f| f.case.state.holds_place()).count();
    let in_custody = u32::try_from(in_custody).unwrap_or(u32::MAX);
    let contracted_places = agreement.facilities.iter().map(|f| f.contracted_places).fold(0u32, u32::saturating_add);
    let mut alert = |kind: AlertKind, subject: &str, reason: String, facts: Facts| {
        out.push(Alert { kind, subject: subject.to_owned(), reason, facts });
    };
    if in_custody > contracted_places {
        alert(
            AlertKind::ContractedPlacesExceeded,
            "agreement",
            format!("{in_custody} in custody for {contracted_places} contracted places"),
            facts!["count" => in_custody, "places" => contracted_places],
        );
    }
    for f in facilities {
        if f.in_custody > f.standard_capacity {
            alert(
                AlertKind::StandardCapacityExceeded,
                f.facility_id,
                format!("{} held against a standard capacity of {}", f.in_custody, f.standard_capacity),
                facts!["count" => f.in_custody, "standard" => f.standard_capacity],
            );
        }
    }
    out.extend(overdue_notifications_on(incidents, on));
    out.sort_by_key(|a| a.kind.severity());
    out
}

/// A cell with what the per-cell alerts need; occupancy is derived from custody records.
#[derive(Clone, Debug)]
pub struct CellFacts<'a> {
    /// `cell-<facility>/<cell>`.
    pub subject: &'a str,
    /// Net floor area.
    pub area_m2: crate::decimal::Decimal,
    /// Its capacities under the agreement's standards.
    pub capacity: crate::capacity::CellCapacity,
    /// People in custody in the cell (in custody or return scheduled).
    pub occupants: u32,
    /// The day, in the facility's time zone, of the latest placement into the cell made with an
    /// override (the one that took it above its standard capacity); `None` when there was none.
    pub override_on: Option<Date>,
}

/// The per-cell alerts on `on` (docs/capacity.md#alerts-per-cell), most severe first, then in input
/// order: `CELL_ABOVE_FLOOR` above the floor capacity, `OVERRIDE_EXPIRED` above the standard for more
/// than `override_max_days` days since the override that took it there, and `CELL_ABOVE_STANDARD`
/// for every cell above its standard capacity.
pub fn cell_alerts(cells: &[CellFacts<'_>], override_max_days: u32, on: Date) -> Vec<Alert> {
    let mut out = Vec::new();
    for cell in cells.iter().filter(|c| c.occupants > c.capacity.standard) {
        let (space, space_facts) = space_per_person(cell);
        let alert = |kind: AlertKind, reason: String, mut facts: Facts| {
            if kind != AlertKind::OverrideExpired {
                facts.extend(space_facts.iter().cloned());
            }
            Alert { kind, subject: cell.subject.to_owned(), reason, facts }
        };
        if cell.occupants > cell.capacity.floor {
            out.push(alert(
                AlertKind::CellAboveFloor,
                format!("{} held against a floor capacity of {}: {space}", cell.occupants, cell.capacity.floor),
                facts!["floor" => cell.capacity.floor],
            ));
        }
        if let Some(day) = cell.override_on
            && on.days_since(day) > i64::from(override_max_days)
        {
            out.push(alert(
                AlertKind::OverrideExpired,
                format!(
                    "above its standard capacity of {} since the override of {day}, more than {override_max_days} days",
                    cell.capacity.standard
                ),
                facts!["standard" => cell.capacity.standard, "day" => day, "max" => override_max_days],
            ));
        }
        out.push(alert(
            AlertKind::CellAboveStandard,
            format!("{} held against a standard capacity of {}: {space}", cell.occupants, cell.capacity.standard),
            facts!["standard" => cell.capacity.standard],
        ));
    }
    out.sort_by_key(|a| a.kind.severity());
    out
}

/// `9 m² for 4: 2.25 m² per person`, exactly; a share that does not end within six decimals is
/// rounded down and said so.
fn space_per_person(cell: &CellFacts<'_>) -> (String, Facts) {
    let (area, count) = (cell.area_m2, cell.occupants);
    match area.div_by_count(count) {
        Some((each, true)) => (
            format!("{area} m² for {count}: {each} m² per person"),
            facts!["count" => count, "area" => area, "each" => each, "share" => "exact"],
        ),
        Some((each, false)) => (
            format!("{area} m² for {count}: {each} m² per person (rounded down)"),
            facts!["count" => count, "area" => area, "each" => each, "share" => "rounded"],
        ),
        None => (
            format!("{area} m², nobody held"),
            facts!["count" => count, "area" => area, "each" => "", "share" => "none"],
        ),
    }
}

/// What the register knows of one configured witness (docs/journal.md#witnesses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessFacts<'a> {
    /// The witness's name.
    pub name: &'a str,
    /// The size of the largest checkpoint it cosigned (0 when none).
    pub cosigned_size: u64,
    /// When the first event it has not cosigned was recorded (POSIX seconds); `None` when it has
    /// cosigned every event.
    pub first_uncovered_at_unix: Option<i64>,
}

/// `WITNESS_COSIGNATURE_OVERDUE`: each witness that, at `at_unix`, has left an event recorded
/// more than `max_delay_s` earlier without a cosignature (subject `witness-<name>`).
pub fn unwitnessed(witnesses: &[WitnessFacts<'_>], at_unix: i64, max_delay_s: u64) -> Vec<Alert> {
    let delay = i64::try_from(max_delay_s).unwrap_or(i64::MAX);
    witnesses
        .iter()
        .filter_map(|w| {
            let since = w.first_uncovered_at_unix?;
            let late = at_unix.saturating_sub(since);
            (late > delay).then(|| {
                let hours = late / 3_600;
                Alert {
                    kind: AlertKind::WitnessCosignatureOverdue,
                    subject: format!("witness-{}", w.name),
                    reason: format!(
                        "witness {} has cosigned only the first {} events; later ones wait {hours} hours",
                        w.name, w.cosigned_size
                    ),
                    facts: vec![
                        ("witness", w.name.to_owned()),
                        ("size", w.cosigned_size.to_string()),
                        ("hours", hours.to_string()),
                    ],
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_kind_parses_from_its_code_once() {
        let codes: std::collections::BTreeSet<&str> = super::AlertKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), super::AlertKind::ALL.len());
        for kind in super::AlertKind::ALL {
            assert_eq!(super::AlertKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(super::AlertKind::parse("held_beyond_release"), None);
    }

    use super::*;
    use crate::custody::{Hold, HoldOrder};

    const CECOT: &str = include_str!("../../../examples/agreements/us-sv-cecot.toml");
    use crate::zone::TimeZone;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn agreement() -> Agreement {
        Agreement::from_toml(CECOT).unwrap()
    }

    fn person() -> Person {
        Person {
            sending_id: "V1".into(),
            birth_date: Some("1990-05-01".into()),
            nationalities: Some("VE".into()),
            conviction: Some("final".into()),
            sentence_start: Some("2024-01-01".into()),
            sentence_term: Some("10y".into()),
            torture_risk: Some("no_risk".into()),
            torture_risk_assessed_on: Some("2025-03-01".into()),
            ..Person::default()
        }
    }

    fn case(state: CaseState) -> Case {
        let mut c = Case::new();
        c.state = state;
        c
    }

    fn kinds(alerts: &[Alert]) -> Vec<AlertKind> {
        alerts.iter().map(|a| a.kind).collect()
    }

    fn on<'a>(case: &'a Case, person: &'a Person, day: &str) -> CaseFacts<'a> {
        let day = d(day);
        CaseFacts {
            case_id: "case-1",
            case,
            person,
            zone_day: day,
            now_unix: i64::from(day.days_since_epoch()) * 86_400 + 86_399,
        }
    }

    fn hold(order: HoldOrder, placed_on: &str) -> Hold {
        Hold {
            reference: "TRO".into(),
            authority: "D.D.C.".into(),
            order,
            placed_by: "legal".into(),
            placed_on: d(placed_on),
            lifting: None,
        }
    }

    #[test]
    fn cecot_flight_with_a_hold_in_transit_is_critical() {
        let mut c = case(CaseState::InTransit);
        c.holds.push(hold(HoldOrder::Stop, "2025-03-15"));
        let p = person();
        let alerts = case_alerts(&agreement(), &[on(&c, &p, "2025-03-15")]);
        assert_eq!(kinds(&alerts), [AlertKind::HoldInTransit]);
        assert_eq!(alerts[0].kind.severity(), Severity::Critical);
    }

    /// Issue 12: legal basis is computed on the day from the current record; a deportee with no
    /// release date and a record amended to appeal_pending are both flagged.
    #[test]
    fn no_legal_basis_is_computed_from_the_current_record() {
        let c = case(CaseState::InCustody);
        let amended = Person { conviction: Some("appeal_pending".into()), ..person() };
        let alerts = case_alerts(&agreement(), &[on(&c, &amended, "2025-06-01")]);
        assert!(kinds(&alerts).contains(&AlertKind::NoLegalBasis), "{alerts:?}");
        let deportee = Person {
            conviction: None,
            sentence_start: None,
            sentence_term: None,
            removal_order: Some("final".into()),
            ..person()
        };
        let alerts = case_alerts(&agreement(), &[on(&c, &deportee, "2025-06-01")]);
        assert!(kinds(&alerts).contains(&AlertKind::NoLegalBasis), "never silently skipped: {alerts:?}");
        assert!(case_alerts(&agreement(), &[on(&c, &person(), "2025-06-01")]).is_empty());
    }

    #[test]
    fn an_amended_record_that_fails_a_rule_is_ineligible_in_custody() {
        let mut c = case(CaseState::InCustody);
        c.screening = Some(crate::safeguards::screen_on(&agreement(), &person(), d("2025-03-16")));
        let citizen = Person { nationalities: Some("VE;US".into()), ..person() };
        let alerts = case_alerts(&agreement(), &[on(&c, &citizen, "2025-06-01")]);
        assert_eq!(kinds(&alerts), [AlertKind::IneligibleInCustody]);
        assert!(alerts[0].reason.contains("E07"), "{}", alerts[0].reason);
        // Time passing is not an amendment: near release E04 (six months left) is not re-judged.
        let p = person();
        let near_release = on(&c, &p, "2033-01-02");
        assert!(!kinds(&case_alerts(&agreement(), &[near_release])).contains(&AlertKind::IneligibleInCustody));
    }

    #[test]
    fn a_court_return_order_must_be_followed_by_a_scheduled_return() {
        let mut c = case(CaseState::InCustody);
        c.holds.push(hold(HoldOrder::Return, "2025-04-01"));
        let p = person();
        assert!(case_alerts(&agreement(), &[on(&c, &p, "2025-04-08")]).is_empty(), "seven days to schedule");
        assert_eq!(kinds(&case_alerts(&agreement(), &[on(&c, &p, "2025-04-09")])), [AlertKind::CourtReturnOverdue]);
        c.state = CaseState::ReturnScheduled;
        assert!(case_alerts(&agreement(), &[on(&c, &p, "2025-04-09")]).is_empty(), "scheduled: done");
        let mut stop = case(CaseState::InCustody);
        stop.holds.push(hold(HoldOrder::Stop, "2025-04-01"));
        assert!(case_alerts(&agreement(), &[on(&stop, &p, "2025-05-01")]).is_empty(), "a stop order orders no return");
    }

    #[test]
    fn the_end_of_the_agreement_warns_then_is_critical() {
        let c = case(CaseState::InCustody);
        let p = person();
        // ends 2026-03-14, return_before_release_days 30: warnings from 2026-01-13.
        assert!(case_alerts(&agreement(), &[on(&c, &p, "2026-01-12")]).is_empty());
        assert_eq!(kinds(&case_alerts(&agreement(), &[on(&c, &p, "2026-01-13")])), [AlertKind::AgreementEnding]);
        assert_eq!(kinds(&case_alerts(&agreement(), &[on(&c, &p, "2026-03-15")])), [AlertKind::HeldAfterAgreementEnd]);
        let scheduled = case(CaseState::ReturnScheduled);
        assert!(case_alerts(&agreement(), &[on(&scheduled, &p, "2026-03-01")]).is_empty());
        assert_eq!(
            kinds(&case_alerts(&agreement(), &[on(&scheduled, &p, "2026-03-15")])),
            [AlertKind::HeldAfterAgreementEnd]
        );
    }

    #[test]
    fn a_transfer_stuck_in_transit_is_critical_after_the_limit() {
        let mut c = case(CaseState::InTransit);
        let p = person();
        let now = on(&c, &p, "2025-04-03").now_unix;
        c.departed_at_unix = Some(now - 48 * 3600);
        assert!(case_alerts(&agreement(), &[on(&c, &p, "2025-04-03")]).is_empty(), "48 hours is the limit");
        c.departed_at_unix = Some(now - 49 * 3600);
        assert_eq!(kinds(&case_alerts(&agreement(), &[on(&c, &p, "2025-04-03")])), [AlertKind::StuckInTransit]);
    }

    #[test]
    fn norgerhaven_style_return_two_months_before_release() {
        let a = Agreement::from_toml(include_str!("../../../examples/agreements/no-nl-norgerhaven.toml")).unwrap();
        let c = case(CaseState::InCustody);
        let p = Person { sentence_start: Some("2024-01-01".into()), sentence_term: Some("2y".into()), ..person() };
        let release = p.projected_release(&a).unwrap();
        let by = return_by(release, a.return_before_release_days).unwrap();
        let day = |offset: i64| by.add_days(offset).unwrap().to_string();
        let only = |d: &str| {
            kinds(&case_alerts(&a, &[on(&c, &p, d)]))
                .into_iter()
                .filter(|k| matches!(k, AlertKind::ReturnNotScheduled | AlertKind::ReturnOverdue))
                .collect::<Vec<_>>()
        };
        assert!(only(&day(-31)).is_empty(), "31 days before return_by: quiet");
        assert_eq!(only(&day(-30)), [AlertKind::ReturnNotScheduled]);
        assert_eq!(only(&day(0)), [AlertKind::ReturnNotScheduled]);
        assert_eq!(only(&day(1)), [AlertKind::ReturnOverdue]);
    }

    #[test]
    fn an_unsent_notification_past_its_deadline_is_critical() {
        let oversight = crate::agreement::Oversight::default();
        let mut notifications =
            crate::incidents::notifications_for(crate::incidents::IncidentKind::Death, 0, &oversight);
        notifications[0].sent_at_unix = Some(3_600);
        let incidents =
            [IncidentFacts { incident_id: "inc-1", notifications: &notifications, time_zone: TimeZone::utc() }];
        assert!(overdue_notifications(&incidents, 24 * 3600).is_empty());
        let overdue = overdue_notifications(&incidents, 24 * 3600 + 1);
        assert_eq!(overdue.len(), 1, "next of kin was told; the sending state was not");
        assert_eq!(overdue[0].reason, "sending_state not notified; overdue by 0h 01m");
        assert_eq!(overdue[0].kind.severity(), Severity::Critical);
        assert_eq!(overdue_notifications(&incidents, 72 * 3600 + 1).len(), 2);
    }

    /// docs/oversight.md#incidents: a deadline at 02:00 UTC on 1 April is still 31 March (20:00) in
    /// San Salvador, so asked about 31 March the notification is overdue there, not in Oslo.
    #[test]
    fn notification_deadlines_are_judged_on_the_facility_day() {
        let oversight = crate::agreement::Oversight::default();
        let apr_1 = i64::from(d("2025-04-01").days_since_epoch()) * 86_400;
        let occurred = apr_1 + 2 * 3600 - 24 * 3600; // next of kin due 24 h later: 02:00Z on 1 April
        let notifications =
            crate::incidents::notifications_for(crate::incidents::IncidentKind::Death, occurred, &oversight);
        let next_of_kin_due = notifications.iter().map(|n| n.due_at_unix).min().unwrap();
        assert_eq!(next_of_kin_due, apr_1 + 2 * 3600);
        let at = |zone: &str| IncidentFacts {
            incident_id: "inc-1",
            notifications: &notifications,
            time_zone: TimeZone::parse(zone).unwrap(),
        };
        let in_sv = open_alerts(&agreement(), &[], &[], &[at("America/El_Salvador")], d("2025-03-31"));
        // Next of kin and the sending state (24 h each); the independent authority has 72 h.
        assert_eq!(
            kinds(&in_sv),
            [AlertKind::NotificationOverdue, AlertKind::NotificationOverdue],
            "20:00 on 31 March in San Salvador"
        );
        assert!(open_alerts(&agreement(), &[], &[], &[at("UTC")], d("2025-03-31")).is_empty(), "01 April in UTC");
        assert!(
            open_alerts(&agreement(), &[], &[], &[at("Europe/Oslo")], d("2025-03-31")).is_empty(),
            "04:00 on 1 April"
        );
        assert!(overdue_notifications_on(&[at("America/El_Salvador")], d("2025-03-30")).is_empty());
    }

    #[test]
    fn an_investigation_open_31_days_is_a_warning() {
        use crate::incidents::{Finding, Investigation, InvestigationState};
        let mut investigation = Investigation::open(0);
        let facts = [InvestigationFacts { incident_id: "incident-7", investigation: &investigation }];
        assert!(overdue_investigations(&facts, 30 * 86_400).is_empty());
        let overdue = overdue_investigations(&facts, 31 * 86_400);
        assert_eq!(kinds(&overdue), [AlertKind::InvestigationOverdue]);
        assert_eq!(overdue[0].kind.code(), "INVESTIGATION_OVERDUE");
        assert_eq!(overdue[0].kind.severity(), Severity::Warning);
        assert_eq!(overdue[0].subject, "incident-7");
        assert_eq!(overdue[0].reason, "investigation open 31 days after the allegation (to be closed within 30)");
        investigation.advance(InvestigationState::Investigating, None, "lo", 1).unwrap();
        investigation.advance(InvestigationState::Closed, Some(Finding::Inconclusive), "lo", 2).unwrap();
        let facts = [InvestigationFacts { incident_id: "incident-7", investigation: &investigation }];
        assert!(overdue_investigations(&facts, 31 * 86_400).is_empty(), "closed in time");
    }

    #[test]
    fn capacity_and_ended_custody() {
        let c = case(CaseState::InCustody);
        let p = person();
        let facts = [on(&c, &p, "2025-06-01"), on(&c, &p, "2025-06-01")];
        let facility = [FacilityCount { facility_id: "cecot", in_custody: 2, standard_capacity: 1 }];
        let mut small = agreement();
        small.facilities[0].contracted_places = 1;
        let alerts = open_alerts(&small, &facts, &facility, &[], d("2025-06-01"));
        assert_eq!(kinds(&alerts), [AlertKind::ContractedPlacesExceeded, AlertKind::StandardCapacityExceeded]);
        let ended = case(CaseState::Released);
        let old = Person { sentence_start: Some("2010-01-01".into()), ..person() };
        assert!(
            open_alerts(&agreement(), &[on(&ended, &old, "2025-06-01")], &[], &[], d("2025-06-01")).is_empty(),
            "custody ended: nothing open"
        );
    }

    fn cell_at(subject: &'static str, area: &str, standard: u32, floor: u32, occupants: u32) -> CellFacts<'static> {
        CellFacts {
            subject,
            area_m2: crate::decimal::Decimal::parse(area).unwrap(),
            capacity: crate::capacity::CellCapacity { standard, floor, non_compliant: false },
            occupants,
            override_on: None,
        }
    }

    #[test]
    fn a_cell_above_its_standard_capacity_is_a_warning_with_exact_space_per_person() {
        let cells = [cell_at("cell-n/full", "9", 2, 3, 2), cell_at("cell-n/over", "9", 2, 3, 3)];
        let alerts = cell_alerts(&cells, 30, d("2025-06-01"));
        assert_eq!(kinds(&alerts), [AlertKind::CellAboveStandard], "at capacity is not above it");
        assert_eq!(alerts[0].subject, "cell-n/over");
        assert_eq!(alerts[0].kind.severity(), Severity::Warning);
        assert_eq!(alerts[0].reason, "3 held against a standard capacity of 2: 9 m² for 3: 3 m² per person");
        let odd = cell_alerts(&[cell_at("c", "10", 2, 3, 3)], 30, d("2025-06-01"));
        assert!(odd[0].reason.ends_with("3.333333 m² per person (rounded down)"), "{}", odd[0].reason);
        let quarter = cell_alerts(&[cell_at("c", "9", 2, 4, 4)], 30, d("2025-06-01"));
        assert!(quarter[0].reason.ends_with("2.25 m² per person"), "{}", quarter[0].reason);
    }

    #[test]
    fn an_override_expires_the_day_after_override_max_days() {
        let mut cell = cell_at("cell-n/b", "9", 2, 3, 3);
        cell.override_on = Some(d("2025-06-01"));
        let on = |cell: &CellFacts<'_>, day: &str| kinds(&cell_alerts(std::slice::from_ref(cell), 30, d(day)));
        assert_eq!(on(&cell, "2025-06-01"), [AlertKind::CellAboveStandard]);
        assert_eq!(on(&cell, "2025-07-01"), [AlertKind::CellAboveStandard], "30 days: still within the override");
        assert_eq!(on(&cell, "2025-07-02"), [AlertKind::OverrideExpired, AlertKind::CellAboveStandard]);
        assert_eq!(AlertKind::OverrideExpired.severity(), Severity::Critical);
        // Back within its standard capacity: the old override no longer matters.
        cell.occupants = 2;
        assert!(on(&cell, "2025-09-01").is_empty());
    }

    #[test]
    fn a_cell_above_its_floor_is_critical_and_no_override_means_no_expiry() {
        // A cell change shrank the cell under three people: no override took it there.
        let cells = [cell_at("cell-n/shrunk", "6", 1, 2, 3)];
        let alerts = cell_alerts(&cells, 0, d("2030-01-01"));
        assert_eq!(kinds(&alerts), [AlertKind::CellAboveFloor, AlertKind::CellAboveStandard]);
        assert_eq!(alerts[0].reason, "3 held against a floor capacity of 2: 6 m² for 3: 2 m² per person");
        assert_eq!(alerts[0].kind.severity(), Severity::Critical);
        assert_eq!(AlertKind::CellAboveFloor.code(), "CELL_ABOVE_FLOOR");
    }

    proptest::proptest! {
        /// Issue 12: whatever a cell's area, capacities, occupants and override, it is flagged
        /// CELL_ABOVE_FLOOR exactly when more people are held in it than its floor capacity, and
        /// OVERRIDE_EXPIRED only above its standard, more than `override_max_days` after the override.
        #[test]
        fn a_cell_above_its_floor_is_always_flagged(
            standard in 0u32..40,
            extra in 0u32..20,
            occupants in 0u32..80,
            override_days_ago in proptest::option::of(0i64..90),
            max_days in 1u32..60,
        ) {
            let on = d("2025-06-01");
            let capacity = crate::capacity::CellCapacity { standard, floor: standard + extra, non_compliant: false };
            let facts = [CellFacts {
                subject: "cell-cecot/B1-C01",
                area_m2: crate::decimal::Decimal::parse("100").unwrap(),
                capacity,
                occupants,
                override_on: override_days_ago.map(|n| on.add_days(-n).unwrap()),
            }];
            let codes: Vec<&str> = cell_alerts(&facts, max_days, on).iter().map(|a| a.kind.code()).collect();
            proptest::prop_assert_eq!(codes.contains(&"CELL_ABOVE_FLOOR"), occupants > capacity.floor, "{:?}", codes);
            proptest::prop_assert_eq!(codes.contains(&"CELL_ABOVE_STANDARD"), occupants > standard, "{:?}", codes);
            let expired = occupants > standard && override_days_ago.is_some_and(|n| n > i64::from(max_days));
            proptest::prop_assert_eq!(codes.contains(&"OVERRIDE_EXPIRED"), expired, "{:?}", codes);
        }
    }

    #[test]
    fn a_witness_is_overdue_only_past_the_delay() {
        let facts = |at: Option<i64>| WitnessFacts { name: "w1", cosigned_size: 41, first_uncovered_at_unix: at };
        assert!(unwitnessed(&[facts(None)], 10_000, 3_600).is_empty(), "everything cosigned");
        assert!(unwitnessed(&[facts(Some(10_000 - 3_600))], 10_000, 3_600).is_empty(), "exactly the delay");
        let late = unwitnessed(&[facts(Some(10_000 - 7_201))], 10_000, 3_600);
        assert_eq!(late.len(), 1);
        assert_eq!((late[0].kind.code(), late[0].subject.as_str()), ("WITNESS_COSIGNATURE_OVERDUE", "witness-w1"));
        assert_eq!(late[0].kind.severity(), Severity::Warning);
        assert!(late[0].facts.contains(&("hours", "2".to_owned())), "{:?}", late[0].facts);
    }
}
