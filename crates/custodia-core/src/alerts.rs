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
        }
    }

    /// Its severity.
    pub const fn severity(self) -> Severity {
        match self {
            Self::ReturnNotScheduled | Self::StandardCapacityExceeded => Severity::Warning,
            Self::ReturnOverdue
            | Self::HeldBeyondRelease
            | Self::NoLegalBasis
            | Self::HoldInTransit
            | Self::ContractedPlacesExceeded
            | Self::NotificationOverdue => Severity::Critical,
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
    /// The time zone whose day it is judged on: its case's facility's, or the agreement's default
    /// zone for an incident without one (docs/oversight.md#incidents).
    pub time_zone: crate::zone::TimeZone,
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

/// Every notification past its deadline and not sent at the end of `on` — its last second in the
/// incident's time zone, so a deadline is judged on the facility's day (docs/oversight.md#incidents).
pub fn overdue_notifications_on(incidents: &[IncidentFacts<'_>], on: Date) -> Vec<Alert> {
    incidents.iter().flat_map(|i| overdue_notifications(std::slice::from_ref(i), i.time_zone.end_of_day(on))).collect()
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
    out.extend(overdue_notifications_on(incidents, on));
    out.sort_by_key(|a| a.kind.severity());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::Hold;
    use crate::zone::TimeZone;

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
        let incidents =
            [IncidentFacts { incident_id: "inc-1", notifications: &notifications, time_zone: TimeZone::utc() }];
        assert!(overdue_notifications(&incidents, 24 * 3600).is_empty());
        let overdue = overdue_notifications(&incidents, 24 * 3600 + 1);
        assert_eq!(overdue.len(), 1, "next of kin was told; the sending state was not");
        assert!(overdue[0].reason.starts_with("sending_state"));
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
        let in_sv = open_alerts(&[], &[], 1, &[at("America/El_Salvador")], d("2025-03-31"));
        // Next of kin and the sending state (24 h each); the independent authority has 72 h.
        assert_eq!(
            kinds(&in_sv),
            [AlertKind::NotificationOverdue, AlertKind::NotificationOverdue],
            "20:00 on 31 March in San Salvador"
        );
        assert!(open_alerts(&[], &[], 1, &[at("UTC")], d("2025-03-31")).is_empty(), "01 April in UTC");
        assert!(open_alerts(&[], &[], 1, &[at("Europe/Oslo")], d("2025-03-31")).is_empty(), "04:00 on 1 April");
        assert!(overdue_notifications_on(&[at("America/El_Salvador")], d("2025-03-30")).is_empty());
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
}
