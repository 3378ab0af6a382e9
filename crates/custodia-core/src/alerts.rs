//! Derived dates and open alerts for a given day (docs/lifecycle.md). The day is a parameter, never the
//! clock, so the same records always give the same alerts for the same day.

use crate::custody::Case;
use crate::date::Date;
use crate::lifecycle::CaseState;

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
    /// More people in a cell than its standard capacity (docs/capacity.md#alerts-per-cell).
    CellAboveStandard,
    /// A cell above its standard capacity for longer than `override_max_days` since the override
    /// that took it there.
    OverrideExpired,
    /// More people in a cell than its floor capacity (after a cell change shrank it, say).
    CellAboveFloor,
}

impl AlertKind {
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
            Self::CellAboveStandard => "CELL_ABOVE_STANDARD",
            Self::OverrideExpired => "OVERRIDE_EXPIRED",
            Self::CellAboveFloor => "CELL_ABOVE_FLOOR",
        }
    }

    /// Its severity.
    pub const fn severity(self) -> Severity {
        match self {
            Self::ReturnNotScheduled | Self::StandardCapacityExceeded | Self::CellAboveStandard => Severity::Warning,
            Self::ReturnOverdue
            | Self::HeldBeyondRelease
            | Self::NoLegalBasis
            | Self::HoldInTransit
            | Self::ContractedPlacesExceeded
            | Self::NotificationOverdue
            | Self::OverrideExpired
            | Self::CellAboveFloor => Severity::Critical,
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
    /// Why, for a person to read.
    pub reason: String,
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
    /// Projected release (`None` for life or unknown).
    pub projected_release: Option<Date>,
    /// The agreement's `return_before_release_days`.
    pub return_before_release_days: u32,
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
}

/// Every notification past its deadline and not sent at `now_unix` (a parameter, never the clock).
pub fn overdue_notifications(incidents: &[IncidentFacts<'_>], now_unix: i64) -> Vec<Alert> {
    incidents
        .iter()
        .flat_map(|i| {
            i.notifications.iter().filter(|n| n.is_overdue(now_unix)).map(|n| Alert {
                kind: AlertKind::NotificationOverdue,
                subject: i.incident_id.to_owned(),
                reason: format!("{} not notified; due {} s before now", n.recipient.as_str(), now_unix - n.due_at_unix),
            })
        })
        .collect()
}

/// Every open alert on `on` — cases, facilities, the agreement's contracted places and incident
/// notifications — most severe first, then in input order.
pub fn open_alerts(
    cases: &[CaseFacts<'_>],
    facilities: &[FacilityCount<'_>],
    contracted_places: u32,
    incidents: &[IncidentFacts<'_>],
    on: Date,
) -> Vec<Alert> {
    let mut out = Vec::new();
    let mut alert =
        |kind: AlertKind, subject: &str, reason: String| out.push(Alert { kind, subject: subject.to_owned(), reason });
    let mut in_custody = 0u32;
    for facts in cases {
        let case = facts.case;
        let held = case.state.is_held();
        if matches!(case.state, CaseState::InCustody | CaseState::ReturnScheduled) {
            in_custody += 1;
        }
        if case.state == CaseState::InTransit && case.on_hold() {
            alert(AlertKind::HoldInTransit, facts.case_id, "a legal hold stands while the person is in transit".into());
        }
        if held && !case.legal_basis {
            alert(
                AlertKind::NoLegalBasis,
                facts.case_id,
                "held without a final conviction or final removal order on record".into(),
            );
        }
        let Some(release) = facts.projected_release else { continue };
        if held && on > release {
            alert(AlertKind::HeldBeyondRelease, facts.case_id, format!("projected release was {release}"));
        }
        let Some(by) = return_by(release, facts.return_before_release_days) else { continue };
        if held && on > by {
            alert(AlertKind::ReturnOverdue, facts.case_id, format!("return was due by {by}"));
        } else if case.state == CaseState::InCustody && on.days_since(by) >= -RETURN_WARNING_DAYS {
            alert(AlertKind::ReturnNotScheduled, facts.case_id, format!("return is due by {by} and not scheduled"));
        }
    }
    if in_custody > contracted_places {
        alert(
            AlertKind::ContractedPlacesExceeded,
            "agreement",
            format!("{in_custody} in custody for {contracted_places} contracted places"),
        );
    }
    for f in facilities {
        if f.in_custody > f.standard_capacity {
            alert(
                AlertKind::StandardCapacityExceeded,
                f.facility_id,
                format!("{} held against a standard capacity of {}", f.in_custody, f.standard_capacity),
            );
        }
    }
    // Notifications are judged at the end of the day asked about (23:59:59 UTC).
    let end_of_day = i64::from(on.days_since_epoch()) * 86_400 + 86_399;
    out.extend(overdue_notifications(incidents, end_of_day));
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
        let space = space_per_person(cell);
        let alert = |kind: AlertKind, reason: String| Alert { kind, subject: cell.subject.to_owned(), reason };
        if cell.occupants > cell.capacity.floor {
            out.push(alert(
                AlertKind::CellAboveFloor,
                format!("{} held against a floor capacity of {}: {space}", cell.occupants, cell.capacity.floor),
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
            ));
        }
        out.push(alert(
            AlertKind::CellAboveStandard,
            format!("{} held against a standard capacity of {}: {space}", cell.occupants, cell.capacity.standard),
        ));
    }
    out.sort_by_key(|a| a.kind.severity());
    out
}

/// `9 m² for 4: 2.25 m² per person`, exactly; a share that does not end within six decimals is
/// rounded down and said so.
fn space_per_person(cell: &CellFacts<'_>) -> String {
    match cell.area_m2.div_by_count(cell.occupants) {
        Some((each, true)) => format!("{} m² for {}: {each} m² per person", cell.area_m2, cell.occupants),
        Some((each, false)) => {
            format!("{} m² for {}: {each} m² per person (rounded down)", cell.area_m2, cell.occupants)
        }
        None => format!("{} m², nobody held", cell.area_m2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::Hold;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn case(state: CaseState) -> Case {
        let mut c = Case::new(true);
        c.state = state;
        c
    }

    fn kinds(alerts: &[Alert]) -> Vec<AlertKind> {
        alerts.iter().map(|a| a.kind).collect()
    }

    #[test]
    fn cecot_flight_with_a_hold_in_transit_is_critical() {
        // March 2025: a court order was issued while planes were in the air.
        let mut c = case(CaseState::InTransit);
        c.holds.push(Hold { reference: "TRO".into(), placed_by: "court".into(), lifted_by: None });
        let facts =
            [CaseFacts { case_id: "case-1", case: &c, projected_release: None, return_before_release_days: 30 }];
        let alerts = open_alerts(&facts, &[], 300, &[], d("2025-03-15"));
        assert_eq!(kinds(&alerts), [AlertKind::HoldInTransit]);
        assert_eq!(alerts[0].kind.severity(), Severity::Critical);
    }

    #[test]
    fn norgerhaven_style_return_two_months_before_release() {
        // Norway → Netherlands: back in Norway at least two months before release.
        let c = case(CaseState::InCustody);
        let release = d("2026-06-30");
        let facts =
            [CaseFacts { case_id: "no-1", case: &c, projected_release: Some(release), return_before_release_days: 60 }];
        assert_eq!(return_by(release, 60), Some(d("2026-05-01")));
        assert!(open_alerts(&facts, &[], 242, &[], d("2026-03-31")).is_empty(), "31 days before return_by: quiet");
        assert_eq!(kinds(&open_alerts(&facts, &[], 242, &[], d("2026-04-01"))), [AlertKind::ReturnNotScheduled]);
        assert_eq!(kinds(&open_alerts(&facts, &[], 242, &[], d("2026-05-01"))), [AlertKind::ReturnNotScheduled]);
        assert_eq!(kinds(&open_alerts(&facts, &[], 242, &[], d("2026-05-02"))), [AlertKind::ReturnOverdue]);
        let both = open_alerts(&facts, &[], 242, &[], d("2026-07-01"));
        assert_eq!(kinds(&both), [AlertKind::HeldBeyondRelease, AlertKind::ReturnOverdue]);
        // Once the return is scheduled, only an overdue return is an alert.
        let scheduled = case(CaseState::ReturnScheduled);
        let facts = [CaseFacts {
            case_id: "no-1",
            case: &scheduled,
            projected_release: Some(release),
            return_before_release_days: 60,
        }];
        assert!(open_alerts(&facts, &[], 242, &[], d("2026-04-15")).is_empty());
        assert_eq!(kinds(&open_alerts(&facts, &[], 242, &[], d("2026-05-02"))), [AlertKind::ReturnOverdue]);
    }

    #[test]
    fn an_unsent_notification_past_its_deadline_is_critical() {
        let oversight = crate::agreement::Oversight::default();
        let mut notifications =
            crate::incidents::notifications_for(crate::incidents::IncidentKind::Death, 0, &oversight);
        notifications[0].sent_at_unix = Some(3_600);
        let incidents = [IncidentFacts { incident_id: "inc-1", notifications: &notifications }];
        assert!(overdue_notifications(&incidents, 24 * 3600).is_empty());
        let overdue = overdue_notifications(&incidents, 24 * 3600 + 1);
        assert_eq!(overdue.len(), 1, "next of kin was told; the sending state was not");
        assert!(overdue[0].reason.starts_with("sending_state"));
        assert_eq!(overdue[0].kind.severity(), Severity::Critical);
        assert_eq!(overdue_notifications(&incidents, 72 * 3600 + 1).len(), 2);
    }

    #[test]
    fn no_legal_basis_and_capacity() {
        let mut c = case(CaseState::InCustody);
        c.legal_basis = false;
        let d2 = case(CaseState::InCustody);
        let facts = [
            CaseFacts { case_id: "a", case: &c, projected_release: None, return_before_release_days: 0 },
            CaseFacts { case_id: "b", case: &d2, projected_release: None, return_before_release_days: 0 },
        ];
        let facility = [FacilityCount { facility_id: "cecot", in_custody: 2, standard_capacity: 1 }];
        let alerts = open_alerts(&facts, &facility, 1, &[], d("2025-06-01"));
        assert_eq!(
            kinds(&alerts),
            [AlertKind::NoLegalBasis, AlertKind::ContractedPlacesExceeded, AlertKind::StandardCapacityExceeded]
        );
        let ended = case(CaseState::Released);
        let facts = [CaseFacts {
            case_id: "c",
            case: &ended,
            projected_release: Some(d("2020-01-01")),
            return_before_release_days: 0,
        }];
        assert!(open_alerts(&facts, &[], 1, &[], d("2025-06-01")).is_empty(), "custody ended: nothing open");
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
}
