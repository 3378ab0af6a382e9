//! Scheduled alerts (docs/alerts.md): subscriptions to an agreement's alerts, the evaluation the
//! server's scheduler runs (every agreement's open alerts today, compared with the occurrences it
//! saw before), and the outbox of deliveries it sends.
//!
//! Who subscribes (docs/access.md#alerts): any role but `admin` whose scope holds the agreement
//! and every facility of it — a notification names cases of every facility, so a facility-bound
//! user would learn of cases outside their scope. The scheduler evaluates as every agreement's
//! reader and hands each subscription only what its filter (least severity, kinds) asks for.

use std::collections::{HashMap, HashSet};

use custodia_core::alerts::{Alert, AlertKind, Severity};
use custodia_i18n::{Language, Text};
use custodia_store::notifications::{
    AlertChanges, Attempt, DeliveryRow, DueDelivery, NewOccurrence, NewSubscription, OpenAlertCount, OpenOccurrence,
    SubscriptionRow,
};
use custodia_store::prelude::*;
use custodia_store::{AgreementVersion, Timestamp};

use crate::access::{Principal, Role};
use crate::error::{AppError, AppResult};
use crate::{App, actor, fields};

/// Most bytes of a webhook URL.
pub const MAX_URL_BYTES: usize = 2_000;
/// Most bytes of an e-mail address (RFC 5321's path limit).
pub const MAX_EMAIL_BYTES: usize = 254;
/// Fewest and most bytes of a webhook's signing secret.
pub const SECRET_BYTES: (usize, usize) = (16, 256);
/// Most subscriptions of one agreement.
pub const MAX_SUBSCRIPTIONS: usize = 1_000;
/// Most lines of the delivery log answered.
pub const DELIVERY_LOG_LINES: u32 = 500;
/// The user the scheduler evaluates as: reads every agreement, writes nothing but its own record.
pub const SCHEDULER: &str = "custodia-scheduler";

/// A subscription as asked for (each field checked by name).
#[derive(Clone, Debug, Default)]
pub struct SubscriptionRequest {
    /// `warning` (every alert, the default) or `critical`.
    pub min_severity: Option<String>,
    /// Alert codes; none for every kind.
    pub kinds: Vec<String>,
    /// `webhook` or `email`.
    pub channel: String,
    /// The webhook's `http` or `https` URL.
    pub url: Option<String>,
    /// The webhook's signing secret, 16 to 256 bytes.
    pub secret: Option<String>,
    /// The e-mail address.
    pub email: Option<String>,
}

/// What one evaluation of every agreement changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Evaluation {
    /// Agreements evaluated.
    pub agreements: usize,
    /// Alerts open now.
    pub open: usize,
    /// Alerts seen for the first time.
    pub opened: usize,
    /// Alerts gone since the last evaluation.
    pub resolved: usize,
}

/// The principal the scheduler evaluates as.
fn scheduler() -> Principal {
    Principal { name: SCHEDULER.into(), role: Role::Auditor, agreements: None, facilities: None, language: None }
}

/// Whether a subscription asks for alerts of this kind and severity.
pub fn wants(subscription: &SubscriptionRow, kind: &str, severity: &str) -> bool {
    let severe_enough =
        subscription.min_severity == Severity::Warning.as_str() || severity == Severity::Critical.as_str();
    severe_enough && (subscription.kinds.is_empty() || subscription.kinds.iter().any(|k| k == kind))
}

fn wanted_by(subscriptions: &[SubscriptionRow], kind: &str, severity: &str) -> Vec<i64> {
    subscriptions.iter().filter(|s| wants(s, kind, severity)).map(|s| s.id).collect()
}

/// The reason in both languages, as JSON `{"en": …, "es": …}`.
fn reasons_json(alert: &Alert) -> String {
    let text = custodia_i18n::facts::alert_reason(alert);
    serde_json::json!({"en": text.render(Language::En), "es": text.render(Language::Es)}).to_string()
}

/// The severity of an occurrence's kind. Codes are stable (docs/alerts.md) and never removed, so
/// every stored kind parses; one that did not would be treated as the least severe, and still
/// reach every subscription that takes warnings.
fn severity_of(kind: &str) -> &'static str {
    AlertKind::parse(kind).map_or(Severity::Warning, |k| k.severity()).as_str()
}

/// What changed between the occurrences still open and the alerts open now: alerts not seen
/// before open (once per kind and subject), open occurrences no longer seen resolve; each goes
/// to the subscriptions that want it. (The sets hash with foldhash: the scheduler compares every
/// open alert of every agreement at each tick, 300,000 with 100,000 people in custody, and the
/// keys come from the register, not from a request.)
pub fn plan_changes<'a>(
    agreement_id: &'a str,
    at: &'a Timestamp,
    alerts: &[Alert],
    open: &[OpenOccurrence],
    subscriptions: &[SubscriptionRow],
) -> AlertChanges<'a> {
    type Keys<'k> = HashSet<(&'k str, &'k str), foldhash::fast::RandomState>;
    let was_open: Keys<'_> = open.iter().map(|o| (o.kind.as_str(), o.subject.as_str())).collect();
    let mut now_open: Keys<'_> = HashSet::with_capacity_and_hasher(alerts.len(), Default::default());
    let mut opened = Vec::new();
    for alert in alerts {
        let key = (alert.kind.code(), alert.subject.as_str());
        if !now_open.insert(key) || was_open.contains(&key) {
            continue;
        }
        let severity = alert.kind.severity().as_str();
        opened.push(NewOccurrence {
            kind: key.0.to_owned(),
            subject: alert.subject.clone(),
            severity: severity.to_owned(),
            reason: reasons_json(alert),
            subscriptions: wanted_by(subscriptions, key.0, severity),
        });
    }
    let resolved = open
        .iter()
        .filter(|o| !now_open.contains(&(o.kind.as_str(), o.subject.as_str())))
        .map(|o| (o.id, wanted_by(subscriptions, &o.kind, severity_of(&o.kind))))
        .collect();
    AlertChanges { agreement_id, at, opened, resolved }
}

impl App {
    /// Evaluates every agreement's alerts on its day at `now` (its default zone's), records the
    /// alerts first seen and those gone, and owes their deliveries to the subscribers, each
    /// agreement in one transaction. The server's scheduler calls this every tick.
    pub async fn evaluate_scheduled_alerts(&self, now: &Timestamp) -> AppResult<Evaluation> {
        let who = scheduler();
        let mut evaluation = Evaluation::default();
        for AgreementVersion { agreement_id, .. } in self.store().agreement_ids().await? {
            let agreement = self.stored_agreement(&agreement_id).await?.agreement;
            let on = crate::days::today_in(&agreement, None, now);
            let alerts = self.alerts(&who, &agreement_id, on).await?;
            let open = self.store().open_occurrences(&agreement_id).await?;
            let subscriptions = self.store().subscriptions(&agreement_id).await?;
            let changes = plan_changes(&agreement_id, now, &alerts, &open, &subscriptions);
            evaluation.agreements += 1;
            evaluation.open += alerts.len();
            evaluation.opened += changes.opened.len();
            evaluation.resolved += changes.resolved.len();
            if !changes.opened.is_empty() || !changes.resolved.is_empty() {
                self.store().record_alert_changes(&changes).await?;
            }
        }
        Ok(evaluation)
    }

    /// Scope first and an agreement that exists (not found), then the role and the whole
    /// agreement in scope (forbidden).
    async fn may_subscribe(&self, who: &Principal, agreement_id: &str) -> AppResult<()> {
        self.agreement(who, agreement_id).await?;
        if who.role == Role::Admin || who.facilities.is_some() {
            return Err(AppError::Forbidden(Text::new("FORBIDDEN.subscriptions").arg("role", who.role.as_str())));
        }
        Ok(())
    }

    /// Claims the oldest delivery due at `now` for `claim_s` seconds (the scheduler's): no other
    /// server sends it meanwhile, and if this one stops before recording its attempt, it is due
    /// again when the claim runs out (docs/alerts.md#several-servers).
    pub async fn claim_due_delivery(&self, now: &Timestamp, claim_s: i64) -> AppResult<Option<DueDelivery>> {
        let now_unix = now.unix_seconds();
        Ok(self.store().claim_due_delivery(now_unix, now_unix.saturating_add(claim_s)).await?)
    }

    /// Records one attempt of a delivery (the scheduler's).
    pub async fn delivery_attempted(&self, id: i64, attempt: &Attempt) -> AppResult<()> {
        Ok(self.store().delivery_attempted(id, attempt).await?)
    }

    /// Open alerts by agreement, severity and kind, as the scheduler last saw them (metrics).
    pub async fn open_alert_counts(&self) -> AppResult<Vec<OpenAlertCount>> {
        Ok(self.store().open_alert_counts().await?)
    }

    /// The agreement's subscriptions in force (scope, then role; secrets are never answered).
    pub async fn subscriptions(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<SubscriptionRow>> {
        self.may_subscribe(who, agreement_id).await?;
        let rows = self.store().subscriptions(agreement_id).await?;
        Ok(rows.into_iter().map(|s| SubscriptionRow { secret: None, ..s }).collect())
    }

    /// Subscribes to the agreement's alerts (`subscription.created`).
    pub async fn subscribe(
        &self,
        who: &Principal,
        agreement_id: &str,
        request: &SubscriptionRequest,
        now: &Timestamp,
    ) -> AppResult<SubscriptionRow> {
        self.may_subscribe(who, agreement_id).await?;
        let checked = check_subscription(request)?;
        if self.store().subscriptions(agreement_id).await?.len() >= MAX_SUBSCRIPTIONS {
            return Err(AppError::invalid("channel", fields::items(MAX_SUBSCRIPTIONS)));
        }
        let new = NewSubscription {
            agreement_id,
            min_severity: checked.min_severity,
            kinds: &checked.kinds,
            channel: checked.channel,
            target: &checked.target,
            secret: checked.secret.as_deref(),
        };
        let row = self.store().create_subscription(&new, &actor(who, now, None)).await?;
        Ok(SubscriptionRow { secret: None, ..row })
    }

    /// Ends a subscription (`subscription.removed`); what it still owed is not sent.
    pub async fn unsubscribe(&self, who: &Principal, agreement_id: &str, id: i64, now: &Timestamp) -> AppResult<()> {
        self.may_subscribe(who, agreement_id).await?;
        let gone = self.store().remove_subscription(agreement_id, id, &actor(who, now, None)).await;
        match gone {
            Ok(_) => Ok(()),
            Err(custodia_store::StoreError::NotFound(_)) => Err(AppError::no_such("subscription", id)),
            Err(e) => Err(e.into()),
        }
    }

    /// The agreement's delivery log, newest first.
    pub async fn deliveries(&self, who: &Principal, agreement_id: &str) -> AppResult<Vec<DeliveryRow>> {
        self.may_subscribe(who, agreement_id).await?;
        Ok(self.store().deliveries(agreement_id, DELIVERY_LOG_LINES).await?)
    }
}

/// A subscription's checked fields.
struct Checked {
    min_severity: &'static str,
    kinds: Vec<String>,
    channel: &'static str,
    target: String,
    secret: Option<String>,
}

fn check_subscription(request: &SubscriptionRequest) -> AppResult<Checked> {
    let min_severity = match request.min_severity.as_deref().unwrap_or("warning") {
        "warning" => "warning",
        "critical" => "critical",
        other => return Err(AppError::invalid("min_severity", fields::is_not(other, &["warning", "critical"]))),
    };
    let kinds = check_kinds(&request.kinds)?;
    let (channel, target, secret) = match request.channel.as_str() {
        "webhook" => {
            refuse_present("email", request.email.as_deref())?;
            ("webhook", check_url(request.url.as_deref())?, Some(check_secret(request.secret.as_deref())?))
        }
        "email" => {
            refuse_present("url", request.url.as_deref())?;
            refuse_present("secret", request.secret.as_deref())?;
            ("email", check_email(request.email.as_deref())?, None)
        }
        other => return Err(AppError::invalid("channel", fields::is_not(other, &["webhook", "email"]))),
    };
    Ok(Checked { min_severity, kinds, channel, target, secret })
}

fn check_kinds(kinds: &[String]) -> AppResult<Vec<String>> {
    if kinds.len() > AlertKind::ALL.len() {
        return Err(AppError::invalid("kinds", fields::items(AlertKind::ALL.len())));
    }
    let mut seen = HashMap::new();
    for (i, kind) in kinds.iter().enumerate() {
        let Some(parsed) = AlertKind::parse(kind) else {
            let codes: Vec<&str> = AlertKind::ALL.iter().map(|k| k.code()).collect();
            return Err(AppError::invalid(&format!("kinds[{i}]"), fields::not_one_of(kind, &codes)));
        };
        seen.entry(parsed.code()).or_insert(i);
    }
    let mut unique: Vec<(usize, &str)> = seen.into_iter().map(|(code, i)| (i, code)).collect();
    unique.sort_unstable();
    Ok(unique.into_iter().map(|(_, code)| code.to_owned()).collect())
}

fn refuse_present(field: &str, value: Option<&str>) -> AppResult<()> {
    match value {
        Some(_) => Err(AppError::invalid(field, Text::new("INVALID.not-for-channel"))),
        None => Ok(()),
    }
}

/// An `http` or `https` URL with a host, without spaces or control characters.
pub fn check_url(url: Option<&str>) -> AppResult<String> {
    let url = fields::required_text("url", url.unwrap_or_default(), MAX_URL_BYTES)?;
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next()).unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AppError::invalid("url", Text::new("INVALID.url")));
    }
    Ok(url)
}

fn check_secret(secret: Option<&str>) -> AppResult<String> {
    let secret = secret.unwrap_or_default();
    let (least, most) = SECRET_BYTES;
    if secret.len() < least || secret.len() > most {
        return Err(AppError::invalid("secret", Text::new("INVALID.secret").count("min", least).count("max", most)));
    }
    Ok(secret.to_owned())
}

/// `local@domain`, one `@`, no spaces or control characters, at most 254 bytes.
pub fn check_email(email: Option<&str>) -> AppResult<String> {
    let email = fields::required_text("email", email.unwrap_or_default(), MAX_EMAIL_BYTES)?;
    let well_formed = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && domain.contains('.')
        }
        None => false,
    };
    if !well_formed || email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>') {
        return Err(AppError::invalid("email", Text::new("INVALID.email")));
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subscription(id: i64, min_severity: &str, kinds: &[&str]) -> SubscriptionRow {
        SubscriptionRow {
            id,
            agreement_id: "a".into(),
            min_severity: min_severity.into(),
            kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
            channel: "webhook".into(),
            target: "http://127.0.0.1/".into(),
            secret: Some("0123456789abcdef".into()),
            created_by: "sam".into(),
        }
    }

    fn alert(kind: AlertKind, subject: &str) -> Alert {
        Alert { kind, subject: subject.into(), reason: "why".into(), facts: Vec::new() }
    }

    fn open(id: i64, kind: &str, subject: &str) -> OpenOccurrence {
        OpenOccurrence { id, kind: kind.into(), subject: subject.into() }
    }

    #[test]
    fn new_alerts_open_once_and_gone_ones_resolve_to_the_subscriptions_that_want_them() {
        let at = Timestamp::parse("2026-01-02T00:00:00Z").unwrap();
        let subs = [
            subscription(1, "warning", &[]),
            subscription(2, "critical", &[]),
            subscription(3, "warning", &["RETURN_NOT_SCHEDULED"]),
        ];
        let alerts = [
            alert(AlertKind::HeldBeyondRelease, "case-1/X"),
            alert(AlertKind::HeldBeyondRelease, "case-1/X"),
            alert(AlertKind::ReturnNotScheduled, "case-2/Y"),
            alert(AlertKind::ReturnOverdue, "case-3/Z"),
        ];
        let before = [
            open(7, "RETURN_OVERDUE", "case-3/Z"),
            open(8, "RETURN_NOT_SCHEDULED", "case-4/W"),
            open(9, "HELD_BEYOND_RELEASE", "case-5/V"),
        ];
        let changes = plan_changes("a", &at, &alerts, &before, &subs);
        let opened: Vec<(&str, &str, &[i64])> =
            changes.opened.iter().map(|o| (o.kind.as_str(), o.subject.as_str(), o.subscriptions.as_slice())).collect();
        assert_eq!(
            opened,
            [("HELD_BEYOND_RELEASE", "case-1/X", &[1, 2][..]), ("RETURN_NOT_SCHEDULED", "case-2/Y", &[1, 3][..])]
        );
        // A resolution goes where its kind's severity says: the critical one to the
        // critical-only subscription too.
        assert_eq!(changes.resolved, [(8, vec![1, 3]), (9, vec![1, 2])]);
    }

    #[test]
    fn fields_are_refused_by_name() {
        let field = |request: SubscriptionRequest| match check_subscription(&request) {
            Err(AppError::Invalid { field, .. }) => field,
            Err(other) => panic!("{other:?}"),
            Ok(_) => panic!("accepted"),
        };
        let webhook = |url: &str| SubscriptionRequest {
            channel: "webhook".into(),
            url: Some(url.into()),
            secret: Some("0123456789abcdef".into()),
            ..SubscriptionRequest::default()
        };
        assert!(check_subscription(&webhook("https://example.org/hook")).is_ok());
        assert_eq!(field(webhook("ftp://example.org/")), "url");
        assert_eq!(field(webhook("http:///path")), "url");
        assert_eq!(field(webhook(&format!("https://e.org/{}", "a".repeat(MAX_URL_BYTES)))), "url");
        assert_eq!(field(SubscriptionRequest { secret: Some("short".into()), ..webhook("http://h/") }), "secret");
        assert_eq!(field(SubscriptionRequest { kinds: vec!["NOPE".into()], ..webhook("http://h/") }), "kinds[0]");
        assert_eq!(
            field(SubscriptionRequest { min_severity: Some("info".into()), ..webhook("http://h/") }),
            "min_severity"
        );
        assert_eq!(field(SubscriptionRequest { channel: "sms".into(), ..SubscriptionRequest::default() }), "channel");
        let email = |to: &str| SubscriptionRequest {
            channel: "email".into(),
            email: Some(to.into()),
            ..SubscriptionRequest::default()
        };
        assert!(check_subscription(&email("duty@example.org")).is_ok());
        assert_eq!(field(email("no-at-sign")), "email");
        assert_eq!(field(email("a@b@c.org")), "email");
        assert_eq!(field(SubscriptionRequest { secret: Some("x".repeat(20)), ..email("d@e.org") }), "secret");
    }
}
