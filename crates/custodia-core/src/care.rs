//! The detainee's health care, contact with the outside and solitary confinement
//! (docs/rights.md): medical examinations (Nelson Mandela Rules 24–35), family, consular and
//! counsel contacts (Rules 58–61, Vienna Convention art. 36) and segregation (Rules 43–46), with
//! the alerts their deadlines raise. Pure: times are parameters, never the clock.

use crate::agreement::Rights;
use crate::alerts::{Alert, AlertKind};
use crate::date::Date;

/// Seconds in a day.
const DAY_SECONDS: i64 = 86_400;
/// A medical examination is due within this many seconds of admission (24 hours).
pub const EXAM_DUE_SECONDS: i64 = DAY_SECONDS;
/// Solitary confinement of more than this many consecutive days is prolonged (Rule 44).
pub const PROLONGED_SOLITARY_DAYS: i64 = 15;
/// Placements apart by less than this are one confinement: ending a placement and starting
/// another the next morning does not reset the count of consecutive days.
pub const SOLITARY_GAP_SECONDS: i64 = DAY_SECONDS;
/// The window consular visits are counted in: a quarter, 91 days.
pub const QUARTER_DAYS: i64 = 91;

/// Fit or unfit, the only health fact disclosed beyond medical staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fitness {
    /// Fit.
    Fit,
    /// Unfit.
    Unfit,
}

impl Fitness {
    /// `fit` or `unfit`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fit => "fit",
            Self::Unfit => "unfit",
        }
    }

    /// The fitness of that name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Fit, Self::Unfit].into_iter().find(|f| f.as_str() == text)
    }
}

/// What an examination found the person fit for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FitnessFor {
    /// Custody in the facility.
    pub custody: Fitness,
    /// A transfer (departure, return, move between facilities).
    pub transfer: Fitness,
    /// Solitary confinement.
    pub solitary: Fitness,
}

/// Why an examination was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExamPurpose {
    /// On admission (due within 24 hours).
    Admission,
    /// The daily review of a person in solitary confinement.
    SolitaryReview,
    /// Before a transfer.
    Transfer,
    /// Asked for by the person or staff, or routine.
    Other,
}

impl ExamPurpose {
    /// Every purpose.
    pub const ALL: [ExamPurpose; 4] = [Self::Admission, Self::SolitaryReview, Self::Transfer, Self::Other];

    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admission => "admission",
            Self::SolitaryReview => "solitary_review",
            Self::Transfer => "transfer",
            Self::Other => "other",
        }
    }

    /// The purpose of that name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// What the intake recorded, as an admission examination links it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntakeLink {
    /// The day of admission.
    pub admitted_on: Date,
    /// Visible injuries as the intake recorded them ("none" when there were none).
    pub visible_injuries: String,
}

impl IntakeLink {
    /// The intake recorded visible injuries.
    pub fn has_injuries(&self) -> bool {
        let text = self.visible_injuries.trim();
        !(text.eq_ignore_ascii_case("none") || text.eq_ignore_ascii_case("ninguna") || text.is_empty())
    }
}

/// A medical examination. Its findings and the injuries it documents are the health file, read
/// only by medical staff; to anyone else it discloses only the fitness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Examination {
    /// Why it was made.
    pub purpose: ExamPurpose,
    /// The examining doctor or nurse (name and qualification).
    pub examiner: String,
    /// When (RFC 3339, UTC).
    pub examined_at: String,
    /// The same instant, Unix seconds.
    pub examined_at_unix: i64,
    /// Fit or unfit for custody, transfer and solitary confinement.
    pub fitness: FitnessFor,
    /// The findings (health file).
    pub findings: String,
    /// The injuries documented, if any (health file).
    pub injuries: Option<String>,
    /// For an admission examination, the intake it examines.
    pub intake: Option<IntakeLink>,
}

/// Why an examination is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExamRefusal {
    /// The intake recorded visible injuries and the admission examination does not document them.
    InjuriesUndocumented,
}

impl ExamRefusal {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InjuriesUndocumented => "INJURIES_UNDOCUMENTED",
        }
    }
}

impl Examination {
    /// Refused when it examines an intake that recorded visible injuries without documenting them.
    pub fn check(&self) -> Result<(), ExamRefusal> {
        let documented = self.injuries.as_deref().is_some_and(|i| !i.trim().is_empty());
        match &self.intake {
            Some(intake) if intake.has_injuries() && !documented => Err(ExamRefusal::InjuriesUndocumented),
            _ => Ok(()),
        }
    }
}

/// A kind of contact with the outside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContactKind {
    /// A visit by family.
    FamilyVisit,
    /// A call with family.
    FamilyCall,
    /// A visit by the sending state's consul.
    ConsularVisit,
    /// A visit by the person's lawyer: never refused for capacity, its content never recorded.
    CounselVisit,
}

impl ContactKind {
    /// Every kind.
    pub const ALL: [ContactKind; 4] = [Self::FamilyVisit, Self::FamilyCall, Self::ConsularVisit, Self::CounselVisit];

    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FamilyVisit => "family_visit",
            Self::FamilyCall => "family_call",
            Self::ConsularVisit => "consular_visit",
            Self::CounselVisit => "counsel_visit",
        }
    }

    /// The kind of that name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// A family visit or call (counted against `family_contacts_per_month`).
    pub const fn is_family(self) -> bool {
        matches!(self, Self::FamilyVisit | Self::FamilyCall)
    }
}

/// Why a visit or call did not take place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefusalGround {
    /// No room or staff to hold it.
    Capacity,
    /// A security measure.
    Security,
    /// A disciplinary sanction (Rule 43(3): never a ban on family contact).
    Discipline,
    /// The person declined it.
    Declined,
    /// The visitor did not come.
    VisitorAbsent,
    /// Anything else.
    Other,
}

impl RefusalGround {
    /// Every ground.
    pub const ALL: [RefusalGround; 6] =
        [Self::Capacity, Self::Security, Self::Discipline, Self::Declined, Self::VisitorAbsent, Self::Other];

    /// The name used in files and the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Capacity => "capacity",
            Self::Security => "security",
            Self::Discipline => "discipline",
            Self::Declined => "declined",
            Self::VisitorAbsent => "visitor_absent",
            Self::Other => "other",
        }
    }

    /// The ground of that name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// A refused contact: the ground and the reason in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The ground.
    pub ground: RefusalGround,
    /// The reason, in words.
    pub reason: String,
}

/// A visit or call, held or refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// Its kind.
    pub kind: ContactKind,
    /// Who visited or called (name, and office for a consul or counsel).
    pub visitor: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The same instant, Unix seconds.
    pub at_unix: i64,
    /// `None` when held; the ground and reason when refused.
    pub refusal: Option<Refusal>,
}

/// Why a contact's record is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactRefusal {
    /// A counsel visit refused for capacity: counsel is never turned away for lack of room.
    CounselNotRefusable,
}

impl ContactRefusal {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::CounselNotRefusable => "COUNSEL_NOT_REFUSABLE",
        }
    }
}

impl Contact {
    /// Held (not refused).
    pub fn held(&self) -> bool {
        self.refusal.is_none()
    }

    /// Refused when it records a counsel visit turned away for capacity.
    pub fn check(&self) -> Result<(), ContactRefusal> {
        match &self.refusal {
            Some(r) if self.kind == ContactKind::CounselVisit && r.ground == RefusalGround::Capacity => {
                Err(ContactRefusal::CounselNotRefusable)
            }
            _ => Ok(()),
        }
    }
}

/// The end of a placement in solitary confinement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlacementEnd {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The same instant, Unix seconds.
    pub at_unix: i64,
    /// Who ended it.
    pub by: String,
}

/// A placement in solitary confinement (22 hours or more a day without meaningful human contact).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// When it started (RFC 3339, UTC).
    pub start_at: String,
    /// The same instant, Unix seconds.
    pub start_at_unix: i64,
    /// Why.
    pub reason: String,
    /// Who authorised it.
    pub authorised_by: String,
    /// Its end, once ended.
    pub end: Option<PlacementEnd>,
}

/// Why a placement or its end is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementRefusal {
    /// The latest examination found the person unfit for solitary confinement (Rule 45(2)).
    UnfitForSolitary,
    /// The person is in solitary confinement already.
    AlreadyInSolitary,
    /// The placement ended before.
    AlreadyEnded,
    /// An end before the start.
    EndBeforeStart,
}

impl PlacementRefusal {
    /// The stable code.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::UnfitForSolitary => "UNFIT_FOR_SOLITARY",
            Self::AlreadyInSolitary => "ALREADY_IN_SOLITARY",
            Self::AlreadyEnded => "ALREADY_ENDED",
            Self::EndBeforeStart => "END_BEFORE_START",
        }
    }
}

/// The latest of `examinations` made at or before `at_unix`.
pub fn latest_examination(examinations: &[Examination], at_unix: i64) -> Option<&Examination> {
    examinations.iter().filter(|e| e.examined_at_unix <= at_unix).max_by_key(|e| e.examined_at_unix)
}

/// Whether `placement` may start, given the person's placements and examinations so far.
pub fn may_place(
    placement: &Placement,
    placements: &[Placement],
    examinations: &[Examination],
) -> Result<(), PlacementRefusal> {
    if placements.iter().any(|p| p.end.is_none()) {
        return Err(PlacementRefusal::AlreadyInSolitary);
    }
    match latest_examination(examinations, placement.start_at_unix) {
        Some(e) if e.fitness.solitary == Fitness::Unfit => Err(PlacementRefusal::UnfitForSolitary),
        _ => Ok(()),
    }
}

impl Placement {
    /// The placement ended by `end`.
    pub fn ended(&self, end: PlacementEnd) -> Result<Placement, PlacementRefusal> {
        if self.end.is_some() {
            return Err(PlacementRefusal::AlreadyEnded);
        }
        if end.at_unix < self.start_at_unix {
            return Err(PlacementRefusal::EndBeforeStart);
        }
        Ok(Placement { end: Some(end), ..self.clone() })
    }
}

/// Consecutive confinement: placements less than [`SOLITARY_GAP_SECONDS`] apart joined, as
/// `(start, end)` Unix seconds with an ongoing one ending at `now_unix`; in start order.
pub fn confinements(placements: &[Placement], now_unix: i64) -> Vec<(i64, i64)> {
    let mut spans: Vec<(i64, i64)> = placements
        .iter()
        .filter(|p| p.start_at_unix <= now_unix)
        .map(|p| (p.start_at_unix, p.end.as_ref().map_or(now_unix, |e| e.at_unix.min(now_unix))))
        .collect();
    spans.sort_unstable();
    let mut joined: Vec<(i64, i64)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match joined.last_mut() {
            Some(last) if start <= last.1.saturating_add(SOLITARY_GAP_SECONDS) => last.1 = last.1.max(end),
            _ => joined.push((start, end)),
        }
    }
    joined
}

/// Whole days a confinement `(start, end)` has lasted.
pub fn confinement_days(span: (i64, i64)) -> i64 {
    span.1.saturating_sub(span.0) / DAY_SECONDS
}

/// A person in custody, for the care alerts.
#[derive(Clone, Debug)]
pub struct CareFacts<'a> {
    /// The case (`case-<id>/<sending id>`).
    pub subject: &'a str,
    /// When the current custody began (admission), Unix seconds.
    pub admitted_at_unix: i64,
    /// The day of admission, in the facility's zone.
    pub admitted_on: Date,
    /// The person's examinations.
    pub examinations: &'a [Examination],
    /// The person's visits and calls.
    pub contacts: &'a [Contact],
    /// The person's placements in solitary confinement.
    pub placements: &'a [Placement],
}

fn alert(kind: AlertKind, subject: &str, reason: String, facts: Vec<(&'static str, String)>) -> Alert {
    Alert { kind, subject: subject.to_owned(), reason, facts }
}

/// `MEDICAL_EXAM_OVERDUE`: admitted more than 24 hours before `now_unix` and no examination since.
fn exam_overdue(c: &CareFacts<'_>, now_unix: i64) -> Option<Alert> {
    let due = c.admitted_at_unix.saturating_add(EXAM_DUE_SECONDS);
    let examined = c.examinations.iter().any(|e| (c.admitted_at_unix..=now_unix).contains(&e.examined_at_unix));
    (now_unix > due && !examined).then(|| {
        let hours = now_unix.saturating_sub(c.admitted_at_unix) / 3_600;
        alert(
            AlertKind::MedicalExamOverdue,
            c.subject,
            format!("admitted {hours} hours ago and not examined by a doctor (due within 24 hours of admission)"),
            vec![("hours", hours.to_string())],
        )
    })
}

/// The calendar month before `on`'s: its first and last day.
fn previous_month(on: Date) -> Option<(Date, Date)> {
    let first_of_this = Date::from_ymd(on.year(), on.month(), 1).ok()?;
    let first = first_of_this.add_months(-1).ok()?;
    Some((first, first_of_this.add_days(-1).ok()?))
}

/// `VISITS_BELOW_MINIMUM`: in custody the whole calendar month before `on` and fewer family
/// visits or calls held in it than `minimum`.
fn visits_below_minimum(c: &CareFacts<'_>, on: Date, minimum: u32) -> Option<Alert> {
    let (first, last) = previous_month(on)?;
    if minimum == 0 || c.admitted_on > first {
        return None;
    }
    let from = i64::from(first.days_since_epoch()) * DAY_SECONDS;
    let to = (i64::from(last.days_since_epoch()) + 1) * DAY_SECONDS;
    let held = c.contacts.iter().filter(|v| v.kind.is_family() && v.held() && (from..to).contains(&v.at_unix)).count();
    (held < minimum as usize).then(|| {
        let month = format!("{:04}-{:02}", first.year(), first.month());
        alert(
            AlertKind::VisitsBelowMinimum,
            c.subject,
            format!("{held} family visits or calls held in {month}, below the agreement's minimum of {minimum}"),
            vec![("month", month), ("held", held.to_string()), ("minimum", minimum.to_string())],
        )
    })
}

/// `CONSULAR_ACCESS_OVERDUE`: in custody for a quarter (91 days) and fewer consular visits held in
/// the last 91 days than `per_quarter`.
fn consular_overdue(c: &CareFacts<'_>, now_unix: i64, per_quarter: u32) -> Option<Alert> {
    let window = QUARTER_DAYS * DAY_SECONDS;
    if per_quarter == 0 || now_unix.saturating_sub(c.admitted_at_unix) < window {
        return None;
    }
    let since = now_unix.saturating_sub(window);
    let consular = |v: &&Contact| v.kind == ContactKind::ConsularVisit && v.held();
    let held = c.contacts.iter().filter(consular).filter(|v| v.at_unix > since && v.at_unix <= now_unix).count();
    (held < per_quarter as usize).then(|| {
        let last = c.contacts.iter().filter(consular).filter(|v| v.at_unix <= now_unix).map(|v| v.at.clone()).max();
        let last = last.unwrap_or_else(|| "never".to_owned());
        let reason = format!(
            "{held} consular visits held in the last {QUARTER_DAYS} days, below the agreement's minimum of {per_quarter} (last: {last})"
        );
        let facts = vec![("held", held.to_string()), ("minimum", per_quarter.to_string()), ("last", last)];
        alert(AlertKind::ConsularAccessOverdue, c.subject, reason, facts)
    })
}

/// `PROLONGED_SOLITARY` (critical) over an ongoing confinement of more than 15 consecutive days,
/// and `SOLITARY_REVIEW_OVERDUE` when no medical review was made in its last 24 hours.
fn solitary_alerts(c: &CareFacts<'_>, now_unix: i64, out: &mut Vec<Alert>) {
    // Ongoing at `now_unix`: started by then, not ended by then (a day asked about in the past
    // sees the placement as it stood that day).
    let ongoing = |p: &&Placement| p.start_at_unix <= now_unix && p.end.as_ref().is_none_or(|e| e.at_unix > now_unix);
    let Some(open) = c.placements.iter().find(ongoing) else {
        return;
    };
    let spans = confinements(c.placements, now_unix);
    if let Some(span) = spans.iter().find(|s| s.0 <= open.start_at_unix && open.start_at_unix <= s.1) {
        let days = confinement_days(*span);
        if days > PROLONGED_SOLITARY_DAYS {
            out.push(alert(
                AlertKind::ProlongedSolitary,
                c.subject,
                format!(
                    "in solitary confinement for {days} consecutive days: more than {PROLONGED_SOLITARY_DAYS} is prolonged solitary confinement (Mandela Rule 44)"
                ),
                vec![("days", days.to_string())],
            ));
        }
    }
    let reviewed = c
        .examinations
        .iter()
        .filter(|e| e.purpose == ExamPurpose::SolitaryReview)
        .filter(|e| (open.start_at_unix..=now_unix).contains(&e.examined_at_unix))
        .map(|e| e.examined_at_unix)
        .max()
        .unwrap_or(open.start_at_unix);
    if now_unix.saturating_sub(reviewed) > DAY_SECONDS {
        let hours = now_unix.saturating_sub(reviewed) / 3_600;
        out.push(alert(
            AlertKind::SolitaryReviewOverdue,
            c.subject,
            format!("in solitary confinement with no medical review for {hours} hours (one is due every day)"),
            vec![("hours", hours.to_string())],
        ));
    }
}

/// The care alerts of the people in custody `cases` at `now_unix` (on the day `on`) under the
/// agreement's `rights`.
pub fn care_alerts(cases: &[CareFacts<'_>], rights: &Rights, on: Date, now_unix: i64) -> Vec<Alert> {
    let mut out = Vec::new();
    for c in cases {
        out.extend(exam_overdue(c, now_unix));
        out.extend(visits_below_minimum(c, on, rights.family_contacts_per_month));
        out.extend(consular_overdue(c, now_unix, rights.consular_visits_per_quarter));
        solitary_alerts(c, now_unix, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = DAY_SECONDS;

    fn fit() -> FitnessFor {
        FitnessFor { custody: Fitness::Fit, transfer: Fitness::Fit, solitary: Fitness::Fit }
    }

    fn exam(purpose: ExamPurpose, at: i64) -> Examination {
        Examination {
            purpose,
            examiner: "Dr. Ana Ruiz".into(),
            examined_at: String::new(),
            examined_at_unix: at,
            fitness: fit(),
            findings: "no findings".into(),
            injuries: None,
            intake: None,
        }
    }

    fn contact(kind: ContactKind, at: i64, refused: bool) -> Contact {
        let refusal = refused.then(|| Refusal { ground: RefusalGround::Security, reason: "lockdown".into() });
        Contact { kind, visitor: "María".into(), at: format!("t{at}"), at_unix: at, refusal }
    }

    fn placement(start: i64, end: Option<i64>) -> Placement {
        Placement {
            start_at: String::new(),
            start_at_unix: start,
            reason: "assault on a guard".into(),
            authorised_by: "warden".into(),
            end: end.map(|at| PlacementEnd { at: String::new(), at_unix: at, by: "warden".into() }),
        }
    }

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn unix(d: Date) -> i64 {
        i64::from(d.days_since_epoch()) * DAY
    }

    fn facts<'a>(
        admitted_on: Date,
        examinations: &'a [Examination],
        contacts: &'a [Contact],
        placements: &'a [Placement],
    ) -> CareFacts<'a> {
        CareFacts {
            subject: "case-1/P1",
            admitted_at_unix: unix(admitted_on),
            admitted_on,
            examinations,
            contacts,
            placements,
        }
    }

    fn codes(alerts: &[Alert]) -> Vec<&'static str> {
        alerts.iter().map(|a| a.kind.code()).collect()
    }

    #[test]
    fn an_examination_is_due_within_24_hours_of_admission() {
        let admitted = day("2026-03-02");
        let rights = Rights { family_contacts_per_month: 0, consular_visits_per_quarter: 0, ..Rights::default() };
        let none = facts(admitted, &[], &[], &[]);
        let at = unix(admitted);
        assert!(
            care_alerts(std::slice::from_ref(&none), &rights, admitted, at + DAY).is_empty(),
            "24 hours is on time"
        );
        let overdue = care_alerts(std::slice::from_ref(&none), &rights, admitted, at + DAY + 1);
        assert_eq!(codes(&overdue), ["MEDICAL_EXAM_OVERDUE"]);
        assert_eq!(overdue[0].kind.severity(), crate::alerts::Severity::Warning);
        let before = [exam(ExamPurpose::Transfer, at - 60)];
        let examined_before = facts(admitted, &before, &[], &[]);
        assert_eq!(codes(&care_alerts(&[examined_before], &rights, admitted, at + 2 * DAY)), ["MEDICAL_EXAM_OVERDUE"]);
        let late = [exam(ExamPurpose::Admission, at + 3 * DAY)];
        assert!(care_alerts(&[facts(admitted, &late, &[], &[])], &rights, admitted, at + 4 * DAY).is_empty());
    }

    #[test]
    fn family_contacts_are_counted_over_the_last_whole_month_in_custody() {
        let rights = Rights { family_contacts_per_month: 2, consular_visits_per_quarter: 0, ..Rights::default() };
        let on = day("2026-04-10");
        let examined = [exam(ExamPurpose::Admission, unix(day("2026-02-01")))];
        let march = unix(day("2026-03-01"));
        let contacts = [
            contact(ContactKind::FamilyVisit, march + 3 * DAY, false),
            contact(ContactKind::FamilyCall, march + 10 * DAY, true),
            contact(ContactKind::ConsularVisit, march + 11 * DAY, false),
            contact(ContactKind::FamilyCall, march - 1, false),
        ];
        let below = care_alerts(&[facts(day("2026-02-01"), &examined, &contacts, &[])], &rights, on, unix(on));
        assert_eq!(codes(&below), ["VISITS_BELOW_MINIMUM"]);
        assert_eq!(below[0].facts[..2], [("month", "2026-03".to_owned()), ("held", "1".to_owned())]);
        let mut enough = contacts.to_vec();
        enough.push(contact(ContactKind::FamilyCall, march + 31 * DAY - 1, false));
        assert!(care_alerts(&[facts(day("2026-02-01"), &examined, &enough, &[])], &rights, on, unix(on)).is_empty());
        // Admitted during March: March is not a whole month in custody.
        let examined_later = [exam(ExamPurpose::Admission, march + DAY)];
        let admitted_in_march = facts(day("2026-03-02"), &examined_later, &contacts, &[]);
        assert!(care_alerts(&[admitted_in_march], &rights, on, unix(on)).is_empty());
    }

    #[test]
    fn consular_access_is_overdue_after_a_quarter_without_a_visit() {
        let rights = Rights { family_contacts_per_month: 0, consular_visits_per_quarter: 1, ..Rights::default() };
        let admitted = day("2026-01-01");
        let examined = [exam(ExamPurpose::Admission, unix(admitted))];
        let quarter = unix(admitted) + QUARTER_DAYS * DAY;
        let c = facts(admitted, &examined, &[], &[]);
        assert!(care_alerts(std::slice::from_ref(&c), &rights, admitted, quarter - 1).is_empty());
        let overdue = care_alerts(std::slice::from_ref(&c), &rights, admitted, quarter);
        assert_eq!(codes(&overdue), ["CONSULAR_ACCESS_OVERDUE"]);
        assert!(overdue[0].facts.contains(&("last", "never".to_owned())));
        let refused = [contact(ContactKind::ConsularVisit, quarter - DAY, true)];
        assert_eq!(
            codes(&care_alerts(&[facts(admitted, &examined, &refused, &[])], &rights, admitted, quarter)),
            ["CONSULAR_ACCESS_OVERDUE"]
        );
        let held = [contact(ContactKind::ConsularVisit, quarter - DAY, false)];
        assert!(care_alerts(&[facts(admitted, &examined, &held, &[])], &rights, admitted, quarter).is_empty());
    }

    #[test]
    fn solitary_beyond_15_consecutive_days_is_critical_even_when_split() {
        let rights = Rights { family_contacts_per_month: 0, consular_visits_per_quarter: 0, ..Rights::default() };
        let admitted = day("2026-01-01");
        let t0 = unix(admitted) + 10 * DAY;
        let mut exams = vec![exam(ExamPurpose::Admission, unix(admitted))];
        // Reviewed every day of the confinement.
        exams.extend((0..40).map(|d| exam(ExamPurpose::SolitaryReview, t0 + d * DAY + 3_600)));
        let split = [placement(t0, Some(t0 + 10 * DAY)), placement(t0 + 10 * DAY + 12 * 3_600, None)];
        let c = facts(admitted, &exams, &[], &split);
        assert!(care_alerts(std::slice::from_ref(&c), &rights, admitted, t0 + 15 * DAY + 3_600).is_empty());
        let prolonged = care_alerts(std::slice::from_ref(&c), &rights, admitted, t0 + 16 * DAY + 3_600);
        assert_eq!(codes(&prolonged), ["PROLONGED_SOLITARY"]);
        assert_eq!(prolonged[0].kind.severity(), crate::alerts::Severity::Critical);
        // A real break of more than a day starts the count again.
        let apart = [placement(t0, Some(t0 + 10 * DAY)), placement(t0 + 12 * DAY, None)];
        let c = facts(admitted, &exams, &[], &apart);
        assert!(care_alerts(&[c], &rights, admitted, t0 + 16 * DAY + 3_600).is_empty());
    }

    #[test]
    fn solitary_needs_a_medical_review_every_day() {
        let rights = Rights { family_contacts_per_month: 0, consular_visits_per_quarter: 0, ..Rights::default() };
        let admitted = day("2026-01-01");
        let t0 = unix(admitted) + 5 * DAY;
        let mut exams = vec![exam(ExamPurpose::Admission, unix(admitted))];
        let open = [placement(t0, None)];
        let c = facts(admitted, &exams, &[], &open);
        assert!(care_alerts(std::slice::from_ref(&c), &rights, admitted, t0 + DAY).is_empty());
        assert_eq!(codes(&care_alerts(&[c], &rights, admitted, t0 + DAY + 1)), ["SOLITARY_REVIEW_OVERDUE"]);
        exams.push(exam(ExamPurpose::SolitaryReview, t0 + DAY));
        let c = facts(admitted, &exams, &[], &open);
        assert!(care_alerts(std::slice::from_ref(&c), &rights, admitted, t0 + 2 * DAY).is_empty());
        assert_eq!(codes(&care_alerts(&[c], &rights, admitted, t0 + 2 * DAY + 1)), ["SOLITARY_REVIEW_OVERDUE"]);
        let ended = [placement(t0, Some(t0 + 3 * DAY))];
        assert!(care_alerts(&[facts(admitted, &exams, &[], &ended)], &rights, admitted, t0 + 9 * DAY).is_empty());
        // Asked about a day before it ended, the placement was ongoing and unreviewed then.
        let earlier = care_alerts(&[facts(admitted, &exams, &[], &ended)], &rights, admitted, t0 + 2 * DAY + 2);
        assert_eq!(codes(&earlier), ["SOLITARY_REVIEW_OVERDUE"]);
    }

    #[test]
    fn placement_is_refused_when_unfit_or_already_placed() {
        let mut unfit = exam(ExamPurpose::Other, 100);
        unfit.fitness.solitary = Fitness::Unfit;
        let p = placement(200, None);
        assert_eq!(may_place(&p, &[], std::slice::from_ref(&unfit)).unwrap_err().code(), "UNFIT_FOR_SOLITARY");
        let refit = exam(ExamPurpose::Other, 150);
        assert!(may_place(&p, &[], &[unfit.clone(), refit]).is_ok(), "the latest examination decides");
        assert!(may_place(&placement(50, None), &[], std::slice::from_ref(&unfit)).is_ok());
        assert_eq!(may_place(&p, &[placement(10, None)], &[]).unwrap_err().code(), "ALREADY_IN_SOLITARY");
        let end = |at| PlacementEnd { at: String::new(), at_unix: at, by: "w".into() };
        assert_eq!(p.ended(end(199)).unwrap_err().code(), "END_BEFORE_START");
        assert_eq!(p.ended(end(300)).unwrap().ended(end(400)).unwrap_err().code(), "ALREADY_ENDED");
    }

    #[test]
    fn counsel_is_never_refused_for_capacity_and_injuries_at_intake_are_documented() {
        let mut c = contact(ContactKind::CounselVisit, 0, true);
        assert!(c.check().is_ok(), "refused on security grounds is recorded");
        c.refusal = Some(Refusal { ground: RefusalGround::Capacity, reason: "no room".into() });
        assert_eq!(c.check().unwrap_err().code(), "COUNSEL_NOT_REFUSABLE");
        c.kind = ContactKind::FamilyVisit;
        assert!(c.check().is_ok());
        let mut e = exam(ExamPurpose::Admission, 0);
        e.intake = Some(IntakeLink { admitted_on: day("2026-01-01"), visible_injuries: "bruise, left eye".into() });
        assert_eq!(e.check().unwrap_err().code(), "INJURIES_UNDOCUMENTED");
        e.injuries = Some("haematoma 3 cm, left orbit; says he fell".into());
        assert!(e.check().is_ok());
        e.injuries = None;
        e.intake = Some(IntakeLink { admitted_on: day("2026-01-01"), visible_injuries: "None".into() });
        assert!(e.check().is_ok());
    }

    #[test]
    fn names_parse_back() {
        for p in ExamPurpose::ALL {
            assert_eq!(ExamPurpose::parse(p.as_str()), Some(p));
        }
        for k in ContactKind::ALL {
            assert_eq!(ContactKind::parse(k.as_str()), Some(k));
        }
        for g in RefusalGround::ALL {
            assert_eq!(RefusalGround::parse(g.as_str()), Some(g));
        }
        assert_eq!(Fitness::parse("unfit"), Some(Fitness::Unfit));
        assert_eq!(Fitness::parse("Fit"), None);
    }

    /// One step of a person's care in custody, in hours after admission.
    #[derive(Clone, Debug)]
    enum Event {
        Examined { purpose: ExamPurpose },
        Contact { kind: ContactKind, held: bool },
        Placed,
        Ended,
    }

    fn event() -> impl proptest::strategy::Strategy<Value = (u32, Event)> {
        use proptest::prelude::*;
        let purpose =
            prop_oneof![Just(ExamPurpose::Admission), Just(ExamPurpose::SolitaryReview), Just(ExamPurpose::Other)];
        let kind = prop_oneof![
            Just(ContactKind::FamilyVisit),
            Just(ContactKind::FamilyCall),
            Just(ContactKind::ConsularVisit),
            Just(ContactKind::CounselVisit)
        ];
        let step = prop_oneof![
            purpose.prop_map(|purpose| Event::Examined { purpose }),
            (kind, any::<bool>()).prop_map(|(kind, held)| Event::Contact { kind, held }),
            Just(Event::Placed),
            Just(Event::Ended),
        ];
        // Short gaps as often as long ones: placements a few hours apart, reviews on time.
        (prop_oneof![1u32..30, 30u32..400], step)
    }

    /// The records a sequence of steps leaves (gaps in hours), as the register would accept them:
    /// a placement only when none is open, an end only of an open one.
    fn records(admitted: i64, steps: &[(u32, Event)]) -> (Vec<Examination>, Vec<Contact>, Vec<Placement>) {
        let (mut exams, mut contacts, mut placements) = (Vec::new(), Vec::new(), Vec::<Placement>::new());
        let mut t = admitted;
        for (gap, step) in steps {
            t += i64::from(*gap) * 3_600;
            match step {
                Event::Examined { purpose } => exams.push(exam(*purpose, t)),
                Event::Contact { kind, held } => contacts.push(contact(*kind, t, !held)),
                Event::Placed if placements.iter().all(|p| p.end.is_some()) => placements.push(placement(t, None)),
                Event::Ended => {
                    if let Some(open) = placements.iter_mut().find(|p| p.end.is_none()) {
                        *open = open.ended(PlacementEnd { at: String::new(), at_unix: t, by: "w".into() }).unwrap();
                    }
                }
                Event::Placed => {}
            }
        }
        (exams, contacts, placements)
    }

    /// What should be raised, worked out hour by hour from the records (not from the rules'
    /// own arithmetic).
    fn expected(
        admitted: i64,
        on: Date,
        now: i64,
        rights: &Rights,
        (exams, contacts, placements): &(Vec<Examination>, Vec<Contact>, Vec<Placement>),
    ) -> std::collections::BTreeSet<&'static str> {
        let mut out = std::collections::BTreeSet::new();
        let examined = exams.iter().any(|e| e.examined_at_unix >= admitted && e.examined_at_unix <= now);
        if now - admitted > 86_400 && !examined {
            out.insert("MEDICAL_EXAM_OVERDUE");
        }
        // Family contacts held in the month before `on`, for someone held since its first day.
        let (y, m) = if on.month() == 1 { (on.year() - 1, 12) } else { (on.year(), on.month() - 1) };
        let first = Date::from_ymd(y, m, 1).unwrap();
        let in_month = |t: i64| {
            let d = Date::from_days_since_epoch(t.div_euclid(86_400)).unwrap();
            (d.year(), d.month()) == (y, m)
        };
        let family = contacts.iter().filter(|c| c.kind.is_family() && c.held() && in_month(c.at_unix)).count();
        let admitted_on = Date::from_days_since_epoch(admitted.div_euclid(86_400)).unwrap();
        if rights.family_contacts_per_month > 0
            && admitted_on <= first
            && family < rights.family_contacts_per_month as usize
        {
            out.insert("VISITS_BELOW_MINIMUM");
        }
        let quarter = 91 * 86_400;
        let consular = contacts
            .iter()
            .filter(|c| {
                c.kind == ContactKind::ConsularVisit && c.held() && c.at_unix > now - quarter && c.at_unix <= now
            })
            .count();
        if rights.consular_visits_per_quarter > 0
            && now - admitted >= quarter
            && consular < rights.consular_visits_per_quarter as usize
        {
            out.insert("CONSULAR_ACCESS_OVERDUE");
        }
        // In solitary now: go back from the open placement to every earlier one that ended at
        // most a day before the confinement found so far began.
        let inside =
            |t: i64| placements.iter().any(|p| p.start_at_unix <= t && p.end.as_ref().is_none_or(|e| e.at_unix > t));
        if inside(now) {
            let open = placements
                .iter()
                .find(|p| p.start_at_unix <= now && p.end.as_ref().is_none_or(|e| e.at_unix > now))
                .unwrap();
            let mut start = open.start_at_unix;
            while let Some(earlier) = placements
                .iter()
                .filter(|p| p.start_at_unix < start)
                .filter(|p| p.end.as_ref().is_some_and(|e| e.at_unix <= start && e.at_unix + 86_400 >= start))
                .map(|p| p.start_at_unix)
                .min()
            {
                start = earlier;
            }
            if (now - start) / 86_400 > PROLONGED_SOLITARY_DAYS {
                out.insert("PROLONGED_SOLITARY");
            }
            let reviewed = exams
                .iter()
                .filter(|e| {
                    e.purpose == ExamPurpose::SolitaryReview
                        && e.examined_at_unix >= open.start_at_unix
                        && e.examined_at_unix <= now
                })
                .map(|e| e.examined_at_unix)
                .max()
                .unwrap_or(open.start_at_unix);
            if now - reviewed > 86_400 {
                out.insert("SOLITARY_REVIEW_OVERDUE");
            }
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1_000))]

        /// Issue 15: no care alert can be missed (or raised wrongly) by any sequence of
        /// examinations, visits, calls and placements, judged on any day after admission.
        #[test]
        fn no_care_alert_is_missed_by_any_sequence_of_events(
            steps in proptest::collection::vec(event(), 0..40),
            admitted_day in 0i64..60,
            asked_hours in 0i64..6_000,
            family in 0u32..4,
            consular in 0u32..3,
        ) {
            let admitted_on = day("2026-01-01").add_days(admitted_day).unwrap();
            let admitted = unix(admitted_on) + 10 * 3_600;
            let now = admitted + asked_hours * 3_600 + 1_800;
            let on = Date::from_days_since_epoch(now.div_euclid(86_400)).unwrap();
            let rights = Rights { family_contacts_per_month: family, consular_visits_per_quarter: consular, ..Rights::default() };
            let records = records(admitted, &steps);
            let want = expected(admitted, on, now, &rights, &records);
            let (exams, contacts, placements) = &records;
            let facts = CareFacts { subject: "case-1/P1", admitted_at_unix: admitted, admitted_on, examinations: exams, contacts, placements };
            let got: std::collections::BTreeSet<&'static str> =
                care_alerts(&[facts], &rights, on, now).iter().map(|a| a.kind.code()).collect();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
