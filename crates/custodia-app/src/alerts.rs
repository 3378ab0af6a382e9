//! Open alerts of an agreement on a day (docs/oversight.md#alerts): returns not scheduled or
//! overdue, people held beyond release or without a legal basis, holds in transit, places and
//! standard capacity exceeded, overdue notifications and investigations.
//!
//! The alerts are computed over the whole agreement (so agreement-wide counts are right) and then
//! limited to what the caller sees: an alert about a case, a facility or an incident outside the
//! caller's scope is left out.

use std::collections::HashSet;

use custodia_core::Date;
use custodia_core::alerts::{
    Alert, CaseFacts, FacilityCount, IncidentFacts, InvestigationFacts, open_alerts, overdue_investigations,
};
use custodia_core::lifecycle::CaseState;
use custodia_store::CaseWithPerson;
use custodia_store::incidents::IncidentRow;

use crate::App;
use crate::access::Principal;
use crate::error::AppResult;
use crate::facts::AlertFacts;

/// A count as the alert rules take it. Counts beyond `u32::MAX` cannot occur in a register, but
/// if one did it saturates: it never wraps round to a small number that would hide an alert.
fn saturating_u32(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// The last second of `on` in UTC, Unix seconds (complaint deadlines are counted in whole days
/// from the time the complaint was made, like investigations).
fn end_of_utc_day(on: Date) -> i64 {
    i64::from(on.days_since_epoch()) * 86_400 + 86_399
}

/// Whether a case holds a place in its facility now.
fn holds_place(row: &CaseWithPerson, facility_id: &str) -> bool {
    row.case.facility_id.as_deref() == Some(facility_id) && row.case.case.state.holds_place()
}

/// `INVESTIGATION_OVERDUE` warnings: investigations still open at the end of `on` (UTC, as the
/// notifications are judged) more than 30 days after their allegation.
fn investigation_alerts(incidents: &[IncidentRow], incident_ids: &[String], on: Date) -> Vec<Alert> {
    let end_of_day = i64::from(on.days_since_epoch()) * 86_400 + 86_399;
    let facts: Vec<InvestigationFacts<'_>> = incidents
        .iter()
        .zip(incident_ids)
        .filter_map(|(i, incident_id)| {
            i.investigation.as_ref().map(|investigation| InvestigationFacts { incident_id, investigation })
        })
        .collect();
    overdue_investigations(&facts, end_of_day)
}

impl App {
    /// Every open alert of the agreement on `on`, most severe first, limited to the caller's scope.
    /// A notification deadline counts as passed when it falls before the end of `on` in its
    /// facility's time zone ([`crate::days`]); with no day given, edges ask [`App::today_at`].
    /// Subjects are `case-<id>/<sending person id>`, a facility id, `cell-<facility>/<cell>`,
    /// `incident-<id>` or `agreement`.
    pub async fn alerts(&self, who: &Principal, agreement_id: &str, on: Date) -> AppResult<Vec<Alert>> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        let facts = self.alert_facts(agreement_id).await?;
        let mut alerts = alerts_from(who, &agreement, &facts, on)?;
        alerts.extend(self.complaint_alerts(who, agreement_id, end_of_utc_day(on)).await?);
        alerts.extend(self.care_alerts(who, &agreement, &facts.rows, on).await?);
        alerts.extend(self.witness_alerts(end_of_utc_day(on)).await?);
        alerts.sort_by_key(|a| a.kind.severity());
        Ok(alerts)
    }

    /// An agreement at a glance on `on` (the web overview): its open alerts in the caller's scope,
    /// the people in custody in the caller's facilities on each of `days` (refused on its own, as
    /// [`App::population_history`] is), and the returns scheduled. The register is read once for
    /// all three.
    pub async fn agreement_overview(
        &self,
        who: &Principal,
        agreement_id: &str,
        on: Date,
        days: &[Date],
    ) -> AppResult<AgreementOverview> {
        let agreement = self.agreement(who, agreement_id).await?.agreement;
        let facts = self.alert_facts(agreement_id).await?;
        let mut alerts = alerts_from(who, &agreement, &facts, on)?;
        alerts.extend(self.complaint_alerts(who, agreement_id, end_of_utc_day(on)).await?);
        alerts.extend(self.care_alerts(who, &agreement, &facts.rows, on).await?);
        alerts.extend(self.witness_alerts(end_of_utc_day(on)).await?);
        alerts.sort_by_key(|a| a.kind.severity());
        let population = crate::billing::stays_from(&agreement, &facts.rows, &facts.transitions).map(|stays| {
            let seen: Vec<_> =
                stays.into_iter().filter(|s| who.sees(agreement_id, Some(s.facility_id.as_str()))).collect();
            custodia_core::billing::population_on_days(&seen, days)
        });
        let returns_scheduled = facts
            .rows
            .iter()
            .filter(|r| who.sees(&r.case.agreement_id, r.case.facility_id.as_deref()))
            .filter(|r| r.case.case.state == CaseState::ReturnScheduled)
            .count();
        Ok(AgreementOverview { alerts, population, returns_scheduled })
    }
}

/// An agreement at a glance ([`App::agreement_overview`]).
#[derive(Debug)]
pub struct AgreementOverview {
    /// Open alerts in the caller's scope, most severe first.
    pub alerts: Vec<Alert>,
    /// People in custody in the caller's facilities on each day asked for, or why not.
    pub population: AppResult<Vec<i64>>,
    /// Cases in the caller's scope whose return is scheduled.
    pub returns_scheduled: usize,
}

/// The open alerts of `facts` on `on`, limited to what `who` sees.
fn alerts_from(
    who: &Principal,
    agreement: &custodia_core::Agreement,
    facts: &AlertFacts,
    on: Date,
) -> AppResult<Vec<Alert>> {
    let agreement_id = agreement.id.as_str();
    let AlertFacts { rows, cells, incidents, .. } = facts;

    let case_ids: Vec<String> = rows.iter().map(|r| format!("case-{}/{}", r.case.id, r.person.sending_id)).collect();
    // The day asked about is a calendar day of each case's facility (docs/lifecycle.md#days);
    // limits in hours are judged at its end in that facility's zone.
    let case_facts: Vec<CaseFacts<'_>> = rows
        .iter()
        .zip(&case_ids)
        .map(|(r, case_id)| {
            let zone = match r.case.facility_id.as_deref() {
                Some(f) => agreement.time_zone_of(f),
                None => agreement.default_time_zone(),
            };
            CaseFacts { case_id, case: &r.case.case, person: &r.person, zone_day: on, now_unix: zone.end_of_day(on) }
        })
        .collect();
    let totals = custodia_core::capacity::facility_capacities(agreement, cells);
    let counts: Vec<FacilityCount<'_>> = totals
        .iter()
        .map(|t| FacilityCount {
            facility_id: t.facility_id.as_str(),
            in_custody: saturating_u32(rows.iter().filter(|r| holds_place(r, t.facility_id.as_str())).count()),
            standard_capacity: saturating_u32(t.standard_capacity),
        })
        .collect();
    let incident_ids: Vec<String> = incidents.iter().map(|i| format!("incident-{}", i.id)).collect();
    // A notification deadline is judged on the facility's day (docs/oversight.md#incidents): the
    // zone of the facility holding the incident's case, else the agreement's default zone.
    let facility_of = |case_id: Option<i64>| {
        case_id.and_then(|c| rows.iter().find(|r| r.case.id == c)).and_then(|r| r.case.facility_id.as_deref())
    };
    let incident_facts: Vec<IncidentFacts<'_>> = incidents
        .iter()
        .zip(&incident_ids)
        .map(|(i, incident_id)| IncidentFacts {
            incident_id,
            notifications: &i.notifications,
            time_zone: crate::days::zone_of(agreement, facility_of(i.case_id)),
        })
        .collect();
    let mut alerts = open_alerts(agreement, &case_facts, &counts, &incident_facts, on);
    // Investigations of allegations not closed within 30 days (docs/oversight.md#investigations).
    alerts.extend(investigation_alerts(incidents, &incident_ids, on));
    alerts.sort_by_key(|a| a.kind.severity());

    // Subjects outside the caller's scope.
    let hidden_cases: HashSet<i64> =
        rows.iter().filter(|r| !who.sees(agreement_id, r.case.facility_id.as_deref())).map(|r| r.case.id).collect();
    let mut hidden: HashSet<&str> = HashSet::new();
    for (r, subject) in rows.iter().zip(&case_ids) {
        if hidden_cases.contains(&r.case.id) {
            hidden.insert(subject);
        }
    }
    for f in &agreement.facilities {
        if !who.sees(agreement_id, Some(f.id.as_str())) {
            hidden.insert(f.id.as_str());
        }
    }
    for (incident, subject) in incidents.iter().zip(&incident_ids) {
        if incident.case_id.is_some_and(|c| hidden_cases.contains(&c)) {
            hidden.insert(subject);
        }
    }
    let mut alerts: Vec<Alert> = alerts.into_iter().filter(|a| !hidden.contains(a.subject.as_str())).collect();
    // Per-cell alerts (docs/capacity.md#alerts-per-cell), already limited to the caller's scope.
    alerts.extend(App::cell_alerts(who, agreement, facts, on)?);
    alerts.sort_by_key(|a| a.kind.severity());
    Ok(alerts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_that_do_not_fit_saturate_instead_of_wrapping() {
        assert_eq!(saturating_u32(7usize), 7);
        assert_eq!(saturating_u32(u64::from(u32::MAX) + 1), u32::MAX);
        assert_eq!(saturating_u32(u64::MAX), u32::MAX);
    }
}
