//! The inspector's report for a facility and a period (docs/rights.md#report): complaints by
//! category and their answers, examinations on time, family contact against the minimum,
//! consular visits, solitary confinement, and allegations with their investigations. Pure: the
//! records and the period are parameters.

use crate::care::{ContactKind, Placement, confinement_days, confinements};
use crate::date::Date;
use crate::incidents::{Investigation, InvestigationState};
use crate::rights::{Complaint, ComplaintCategory};

const DAY_SECONDS: i64 = 86_400;

/// A person held in the facility during the period, with their records.
#[derive(Clone, Debug)]
pub struct HeldPerson<'a> {
    /// Days in custody in the facility: `[admitted_on, released_on)`, open while held.
    pub stays: &'a [(Date, Option<Date>)],
    /// When they were admitted (the intake's instant), Unix seconds.
    pub admitted_at_unix: i64,
    /// Their examinations' times, Unix seconds.
    pub examined_at_unix: &'a [i64],
    /// Their visits and calls: kind, Unix seconds, held.
    pub contacts: &'a [(ContactKind, i64, bool)],
    /// Their placements in solitary confinement.
    pub placements: &'a [Placement],
}

/// An allegation of torture or ill-treatment: when, and its investigation.
#[derive(Clone, Debug)]
pub struct AllegationFacts<'a> {
    /// When it was made, Unix seconds.
    pub at_unix: i64,
    /// Its investigation.
    pub investigation: Option<&'a Investigation>,
}

/// Complaints of one category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ComplaintCounts {
    /// Filed in the period.
    pub filed: u32,
    /// Answered by their deadline.
    pub answered_on_time: u32,
    /// Answered after it.
    pub answered_late: u32,
    /// Not answered.
    pub unanswered: u32,
}

/// The report's figures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InspectionReport {
    /// Complaints by category, in [`ComplaintCategory::ALL`] order.
    pub complaints: Vec<(ComplaintCategory, ComplaintCounts)>,
    /// Admissions in the period.
    pub admissions: u32,
    /// Of those, examined within 24 hours.
    pub examined_on_time: u32,
    /// Whole calendar months of the period a person spent in custody, summed over people.
    pub person_months: u32,
    /// Of those, months with at least the agreement's family visits or calls held.
    pub person_months_at_minimum: u32,
    /// Family visits and calls held in the period.
    pub family_contacts_held: u32,
    /// Visits and calls refused in the period.
    pub contacts_refused: u32,
    /// Consular visits held in the period.
    pub consular_visits_held: u32,
    /// Placements in solitary confinement started in the period.
    pub solitary_placements: u32,
    /// Whole days spent in solitary confinement within the period, summed over people.
    pub solitary_days: i64,
    /// Confinements of more than 15 consecutive days that overlap the period.
    pub prolonged_solitary: u32,
    /// Allegations of torture or ill-treatment made in the period.
    pub allegations: u32,
    /// Of those, investigations closed.
    pub investigations_closed: u32,
    /// Of those, investigations still open at the end of the period.
    pub investigations_open: u32,
}

/// The period's first second and the second after its last, Unix seconds.
fn bounds(from: Date, to: Date) -> (i64, i64) {
    (i64::from(from.days_since_epoch()) * DAY_SECONDS, (i64::from(to.days_since_epoch()) + 1) * DAY_SECONDS)
}

/// Whole calendar months inside `[from, to]`: first and last day of each.
fn whole_months(from: Date, to: Date) -> Vec<(Date, Date)> {
    let mut out = Vec::new();
    let Ok(mut first) = Date::from_ymd(from.year(), from.month(), 1) else { return out };
    if first < from {
        let Ok(next) = first.add_months(1) else { return out };
        first = next;
    }
    while let Ok(next) = first.add_months(1) {
        let Ok(last) = next.add_days(-1) else { break };
        if last > to {
            break;
        }
        out.push((first, last));
        first = next;
    }
    out
}

fn complaint_counts(complaints: &[&Complaint], start: i64, end: i64) -> Vec<(ComplaintCategory, ComplaintCounts)> {
    ComplaintCategory::ALL
        .into_iter()
        .map(|category| {
            let mut counts = ComplaintCounts::default();
            let filed = complaints.iter().filter(|c| c.category == category && (start..end).contains(&c.filed_at_unix));
            for c in filed {
                counts.filed += 1;
                match &c.answer {
                    Some(_) if c.answered_late() => counts.answered_late += 1,
                    Some(_) => counts.answered_on_time += 1,
                    None => counts.unanswered += 1,
                }
            }
            (category, counts)
        })
        .collect()
}

fn held_through(stays: &[(Date, Option<Date>)], first: Date, last: Date) -> bool {
    stays.iter().any(|(admitted, released)| *admitted <= first && released.is_none_or(|r| r > last))
}

/// The report of `people`, `complaints` and `allegations` over `[from, to]` (days, inclusive), with
/// `family_minimum` family contacts a month.
pub fn inspection_report(
    from: Date,
    to: Date,
    family_minimum: u32,
    people: &[HeldPerson<'_>],
    complaints: &[&Complaint],
    allegations: &[AllegationFacts<'_>],
) -> InspectionReport {
    let (start, end) = bounds(from, to);
    let mut r = InspectionReport { complaints: complaint_counts(complaints, start, end), ..Default::default() };
    let months = whole_months(from, to);
    for p in people {
        if (start..end).contains(&p.admitted_at_unix) {
            r.admissions += 1;
            let due = p.admitted_at_unix + DAY_SECONDS;
            r.examined_on_time += u32::from(p.examined_at_unix.iter().any(|t| (p.admitted_at_unix..=due).contains(t)));
        }
        let in_period = |t: i64| (start..end).contains(&t);
        for (kind, _, held) in p.contacts.iter().filter(|(_, at, _)| in_period(*at)) {
            r.family_contacts_held += u32::from(kind.is_family() && *held);
            r.consular_visits_held += u32::from(*kind == ContactKind::ConsularVisit && *held);
            r.contacts_refused += u32::from(!*held);
        }
        for (first, last) in &months {
            if !held_through(p.stays, *first, *last) {
                continue;
            }
            r.person_months += 1;
            let (m_start, m_end) = bounds(*first, *last);
            let held =
                p.contacts.iter().filter(|(k, at, h)| k.is_family() && *h && (m_start..m_end).contains(at)).count();
            r.person_months_at_minimum += u32::from(held >= family_minimum as usize);
        }
        r.solitary_placements +=
            u32::try_from(p.placements.iter().filter(|pl| in_period(pl.start_at_unix)).count()).unwrap_or(u32::MAX);
        for span in confinements(p.placements, end) {
            let overlap = (span.0.max(start), span.1.min(end));
            if overlap.1 > overlap.0 {
                r.solitary_days += confinement_days(overlap);
                r.prolonged_solitary += u32::from(confinement_days(span) > crate::care::PROLONGED_SOLITARY_DAYS);
            }
        }
    }
    for a in allegations.iter().filter(|a| (start..end).contains(&a.at_unix)) {
        r.allegations += 1;
        match a.investigation.map(Investigation::state) {
            Some(InvestigationState::Closed) => r.investigations_closed += 1,
            _ => r.investigations_open += 1,
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::care::PlacementEnd;
    use crate::rights::Answer;

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn unix(d: Date) -> i64 {
        i64::from(d.days_since_epoch()) * DAY_SECONDS
    }

    fn complaint(category: ComplaintCategory, filed: i64, answered: Option<i64>) -> Complaint {
        Complaint {
            category,
            confidential: false,
            text: "t".into(),
            filed_by: "f".into(),
            filed_at: String::new(),
            filed_at_unix: filed,
            due_at_unix: filed + 14 * DAY_SECONDS,
            alleges_ill_treatment: false,
            incident_id: None,
            answer: answered.map(|at| Answer { text: "a".into(), by: "b".into(), at: String::new(), at_unix: at }),
            escalation: None,
        }
    }

    #[test]
    fn the_report_counts_each_right_over_the_period() {
        let (from, to) = (day("2026-01-01"), day("2026-03-31"));
        let jan = unix(from);
        let stays = [(day("2025-12-20"), None)];
        let later_stays = [(day("2026-02-10"), None)];
        let contacts = [
            (ContactKind::FamilyCall, jan + 5 * DAY_SECONDS, true),
            (ContactKind::FamilyVisit, jan + 40 * DAY_SECONDS, false),
            (ContactKind::ConsularVisit, jan + 41 * DAY_SECONDS, true),
            (ContactKind::FamilyCall, jan + 70 * DAY_SECONDS, true),
        ];
        let placements = [Placement {
            start_at: String::new(),
            start_at_unix: jan - 5 * DAY_SECONDS,
            reason: "r".into(),
            authorised_by: "w".into(),
            end: Some(PlacementEnd { at: String::new(), at_unix: jan + 12 * DAY_SECONDS, by: "w".into() }),
        }];
        let admitted_later = unix(day("2026-02-10")) + 10 * 3_600;
        let people = [
            HeldPerson {
                stays: &stays,
                admitted_at_unix: unix(day("2025-12-20")),
                examined_at_unix: &[],
                contacts: &contacts,
                placements: &placements,
            },
            HeldPerson {
                stays: &later_stays,
                admitted_at_unix: admitted_later,
                examined_at_unix: &[admitted_later + 23 * 3_600],
                contacts: &[],
                placements: &[],
            },
        ];
        let c = [
            complaint(ComplaintCategory::Health, jan, Some(jan + 3 * DAY_SECONDS)),
            complaint(ComplaintCategory::Health, jan, Some(jan + 20 * DAY_SECONDS)),
            complaint(ComplaintCategory::Family, jan + 10, None),
            complaint(ComplaintCategory::Family, jan - 10, None),
        ];
        let refs: Vec<&Complaint> = c.iter().collect();
        let r = inspection_report(
            from,
            to,
            1,
            &people,
            &refs,
            &[AllegationFacts { at_unix: jan + 1, investigation: None }],
        );
        let health = r.complaints.iter().find(|(k, _)| *k == ComplaintCategory::Health).unwrap().1;
        assert_eq!(health, ComplaintCounts { filed: 2, answered_on_time: 1, answered_late: 1, unanswered: 0 });
        let family = r.complaints.iter().find(|(k, _)| *k == ComplaintCategory::Family).unwrap().1;
        assert_eq!(family, ComplaintCounts { filed: 1, answered_on_time: 0, answered_late: 0, unanswered: 1 });
        assert_eq!((r.admissions, r.examined_on_time), (1, 1), "only the February admission is in the period");
        // Person 1: January (1 call), February (refused visit only), March (1 call); person 2: March.
        assert_eq!((r.person_months, r.person_months_at_minimum), (4, 2));
        assert_eq!((r.family_contacts_held, r.contacts_refused, r.consular_visits_held), (2, 1, 1));
        assert_eq!((r.solitary_placements, r.solitary_days, r.prolonged_solitary), (0, 12, 1));
        assert_eq!((r.allegations, r.investigations_open), (1, 1));
    }

    #[test]
    fn whole_months_are_those_inside_the_period() {
        let months = whole_months(day("2026-01-15"), day("2026-04-30"));
        let firsts: Vec<String> = months.iter().map(|(f, _)| f.to_string()).collect();
        assert_eq!(firsts, ["2026-02-01", "2026-03-01", "2026-04-01"]);
        assert!(whole_months(day("2026-01-02"), day("2026-01-31")).is_empty());
    }
}
