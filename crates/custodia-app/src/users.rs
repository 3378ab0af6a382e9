//! Users, tokens and sign-in (docs/access.md).
//!
//! A token is issued only to its own user: at sign-in with a password, by the user for themself,
//! or on the register's host (`custodia user token NAME`, which needs access to the database and
//! the data directory, not a token). Admins list and revoke everyone's tokens but never mint one
//! for another user.

use custodia_store::Timestamp;
use custodia_store::access::{Enabling, NewUser, TokenRow, UserChange, UserChangeKind, UserChangeRow, UserRow};
use custodia_store::prelude::*;

use crate::access::{
    Capability, Principal, Role, check_user_name, hash_password_blocking, new_token, token_hash, user_name_key,
};
use crate::error::{AppError, AppResult};
use crate::{App, actor};
use custodia_i18n::Text;

/// Most agreement or facility ids in one user's scope.
pub const MAX_SCOPE_ITEMS: usize = 1000;
/// Longest token label, in bytes.
pub const MAX_LABEL_BYTES: usize = 200;
/// Longest token lifetime, in seconds (ten years of 365 days).
pub const MAX_TOKEN_LIFETIME_SECONDS: i64 = 10 * 365 * 86_400;

/// The user a token identifies, and when the token expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authenticated {
    /// The user.
    pub principal: Principal,
    /// When the token stops working (Unix seconds), if it expires.
    pub expires_at_unix: Option<i64>,
}

/// When a new token expires: after a lifetime (`30d`, `8h`, `90m`, `3600s`) or at an instant
/// (RFC 3339 UTC), never when neither is given. Both at once, a past instant or a lifetime above
/// ten years are refused, naming the field.
pub fn token_expiry(
    now: &Timestamp,
    expires_in: Option<&str>,
    expires_at: Option<&str>,
) -> AppResult<Option<Timestamp>> {
    let at = match (expires_in, expires_at) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(AppError::invalid(
                "expires_in",
                Text::new("INVALID.not-both").arg("a", "expires_in").arg("b", "expires_at"),
            ));
        }
        (Some(text), None) => {
            let seconds = lifetime_seconds(text).ok_or_else(|| {
                AppError::invalid("expires_in", Text::new("INVALID.lifetime").arg("value", format!("{text:?}")))
            })?;
            if seconds > MAX_TOKEN_LIFETIME_SECONDS {
                return Err(AppError::invalid("expires_in", Text::new("INVALID.ten-years")));
            }
            Timestamp::from_unix_seconds(now.unix_seconds().saturating_add(seconds))
                .map_err(|e| AppError::invalid("expires_in", e))?
        }
        (None, Some(text)) => Timestamp::parse(text.trim()).map_err(|e| AppError::invalid("expires_at", e))?,
    };
    let field = if expires_in.is_some() { "expires_in" } else { "expires_at" };
    if at.unix_seconds() <= now.unix_seconds() {
        return Err(AppError::invalid(field, crate::fields::future()));
    }
    if at.unix_seconds() - now.unix_seconds() > MAX_TOKEN_LIFETIME_SECONDS {
        return Err(AppError::invalid(field, Text::new("INVALID.ten-years-away")));
    }
    Ok(Some(at))
}

/// `30d`, `8h`, `90m`, `3600s` in seconds (positive, at most 9 digits).
fn lifetime_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = text.chars().last()?;
    let number = text.get(..text.len() - unit.len_utf8())?;
    if number.is_empty() || number.len() > 9 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = number.parse().ok()?;
    let per = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return None,
    };
    (n > 0).then_some(n * per)
}

/// A user to create, as an edge received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRequest {
    /// The name (compared after NFC, trimming and lower-casing).
    pub name: String,
    /// The role's name.
    pub role: String,
    /// Agreement ids in scope, or `["*"]`.
    pub agreements: Vec<String>,
    /// Facility ids in scope, or `["*"]` (`None`: every facility).
    pub facilities: Option<Vec<String>>,
    /// A password for sign-in, if any (12 to 1024 characters).
    pub password: Option<String>,
}

/// A change of a user's role or scopes, as an edge received it (`None`: unchanged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserUpdate {
    /// The user.
    pub name: String,
    /// A new role.
    pub role: Option<String>,
    /// New agreement scope.
    pub agreements: Option<Vec<String>>,
    /// New facility scope.
    pub facilities: Option<Vec<String>>,
}

/// What proposing a user change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserChangeOutcome {
    /// The change as recorded.
    pub change: UserChangeRow,
    /// Whether it took effect already (a single admin's change).
    pub applied: bool,
    /// The register has a single admin (`SINGLE_ADMIN` stays open).
    pub single_admin: bool,
}

/// An open warning about access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessWarning {
    /// One admin alone can create users and change roles: appoint a second.
    SingleAdmin,
}

impl AccessWarning {
    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::SingleAdmin => "SINGLE_ADMIN",
        }
    }

    /// For people, in `language` (the catalogue's message of the code).
    pub fn text(self, language: custodia_i18n::Language) -> String {
        custodia_i18n::text(language, self.code(), &[])
    }

    /// For people, in English.
    pub const fn message(self) -> &'static str {
        match self {
            Self::SingleAdmin => {
                "the register has a single admin, whose user changes take effect without a second admin's confirmation: add a second admin"
            }
        }
    }
}

/// A token just issued: its row and the secret, shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The stored row (never the secret).
    pub row: TokenRow,
    /// The secret.
    pub secret: String,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken").field("row", &self.row).field("secret", &"<redacted>").finish()
    }
}

fn check_scope(field: &str, items: &[String], known: Option<&[String]>) -> AppResult<()> {
    if items.is_empty() || items.len() > MAX_SCOPE_ITEMS {
        return Err(AppError::invalid(field, Text::new("INVALID.scope").count("max", MAX_SCOPE_ITEMS)));
    }
    for item in items {
        if item == "*" {
            continue;
        }
        if item.trim().is_empty() || item.len() > 64 {
            return Err(AppError::invalid(field, Text::new("INVALID.not-an-id").arg("value", format!("{item:?}"))));
        }
        if let Some(known) = known
            && !known.iter().any(|k| k == item)
        {
            return Err(AppError::invalid(
                field,
                Text::new("INVALID.unknown-agreement").arg("value", format!("{item:?}")).arg("known", known.join(", ")),
            ));
        }
    }
    Ok(())
}

/// Most bytes of a password (Argon2 reads all of it).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A new password's Argon2id hash, computed on a blocking thread.
pub(crate) async fn check_password(password: Option<String>) -> AppResult<Option<String>> {
    match password {
        None => Ok(None),
        Some(p) if p.chars().count() < 12 || p.len() > MAX_PASSWORD_BYTES => {
            Err(AppError::invalid("password", Text::new("INVALID.password").count("max", MAX_PASSWORD_BYTES)))
        }
        Some(p) => hash_password_blocking(p).await.map(Some).map_err(AppError::Internal),
    }
}

fn check_label(label: &str) -> AppResult<String> {
    let label = label.trim();
    if label.is_empty() || label.len() > MAX_LABEL_BYTES || label.chars().any(char::is_control) {
        return Err(AppError::invalid("label", Text::new("INVALID.label").count("max", MAX_LABEL_BYTES)));
    }
    Ok(label.to_owned())
}

impl App {
    /// The user a token identifies at `now`.
    pub async fn authenticate(&self, token: &str, now: &Timestamp) -> AppResult<Principal> {
        Ok(self.user_for_token_hash(&token_hash(token.trim()), now).await?.principal)
    }

    /// The user whose token has this SHA-256, at `now` (the server caches the answer until the
    /// token's expiry, for at most `token_cache_ms`). An unknown, revoked or expired token, or one
    /// of a disabled user, identifies nobody.
    pub async fn user_for_token_hash(&self, hash: &[u8; 32], now: &Timestamp) -> AppResult<Authenticated> {
        let refused = |why: &'static str| AppError::Unauthenticated(Text::new("UNAUTHENTICATED.token").arg("why", why));
        let found = self.store().user_by_token(hash).await?.ok_or_else(|| refused("unknown"))?;
        let expires_at_unix = match found.expires_at.as_deref() {
            None => None,
            Some(text) => Some(Timestamp::parse(text).map_err(AppError::Internal)?.unix_seconds()),
        };
        if expires_at_unix.is_some_and(|at| at <= now.unix_seconds()) {
            return Err(refused("expired"));
        }
        if found.user.disabled_at.is_some() {
            return Err(refused("disabled"));
        }
        let principal = Principal::from_user(&found.user).ok_or_else(|| refused("role"))?;
        Ok(Authenticated { principal, expires_at_unix })
    }

    /// Checks a user request against the register: name, role, scopes (agreements must exist),
    /// password.
    pub async fn check_user_request(&self, request: UserRequest) -> AppResult<NewUser> {
        let name = check_user_name("name", &request.name)?;
        if Role::parse(&request.role).is_none() {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            return Err(AppError::invalid("role", crate::fields::not_one_of(&request.role, &roles)));
        }
        let known: Vec<String> = self.store().agreement_ids().await?.into_iter().map(|a| a.agreement_id).collect();
        check_scope("agreements", &request.agreements, Some(&known))?;
        let facilities = request.facilities.unwrap_or_else(|| vec!["*".into()]);
        check_scope("facilities", &facilities, None)?;
        let password_hash = check_password(request.password).await?;
        Ok(NewUser {
            name_key: user_name_key(&name),
            name,
            role: request.role,
            agreements: request.agreements,
            facilities,
            password_hash,
        })
    }

    /// Proposes a new user (admins only). It takes effect when a second admin confirms it; while
    /// the register has a single admin, at once (and `SINGLE_ADMIN` stays open).
    pub async fn add_user(
        &self,
        who: &Principal,
        request: UserRequest,
        now: &Timestamp,
    ) -> AppResult<UserChangeOutcome> {
        who.require(Capability::ManageUsers)?;
        let user = self.check_user_request(request).await?;
        self.refuse_taken_name(&user.name, None).await?;
        let change = UserChange {
            kind: UserChangeKind::Create,
            name_key: user.name_key,
            name: user.name,
            role: user.role,
            agreements: user.agreements,
            facilities: user.facilities,
            password_hash: user.password_hash,
        };
        self.record_change(who, change, now).await
    }

    /// Proposes a change of a user's role or scopes (admins only), confirmed like a new user.
    pub async fn change_user(
        &self,
        who: &Principal,
        request: UserUpdate,
        now: &Timestamp,
    ) -> AppResult<UserChangeOutcome> {
        who.require(Capability::ManageUsers)?;
        let current = self.user_named(&request.name).await?.ok_or_else(|| AppError::no_such("user", &request.name))?;
        let role = request.role.unwrap_or_else(|| current.role.clone());
        if Role::parse(&role).is_none() {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            return Err(AppError::invalid("role", crate::fields::not_one_of(&role, &roles)));
        }
        let agreements = request.agreements.unwrap_or_else(|| current.agreements.clone());
        let known: Vec<String> = self.store().agreement_ids().await?.into_iter().map(|a| a.agreement_id).collect();
        check_scope("agreements", &agreements, Some(&known))?;
        let facilities = request.facilities.unwrap_or_else(|| current.facilities.clone());
        check_scope("facilities", &facilities, None)?;
        if role == current.role && agreements == current.agreements && facilities == current.facilities {
            return Err(AppError::invalid("role", Text::new("INVALID.no-change")));
        }
        let change = UserChange {
            kind: UserChangeKind::Update,
            name_key: user_name_key(&current.name),
            name: current.name,
            role,
            agreements,
            facilities,
            password_hash: None,
        };
        self.record_change(who, change, now).await
    }

    /// Confirms a pending user change (an admin other than its proposer); it takes effect at once.
    pub async fn confirm_user_change(&self, who: &Principal, id: i64, now: &Timestamp) -> AppResult<UserChangeRow> {
        who.require(Capability::ManageUsers)?;
        let change = self
            .store()
            .user_changes()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| AppError::no_such("user-change", id))?;
        if let Some(by) = &change.confirmed_by {
            return Err(AppError::rule(
                "ALREADY_CONFIRMED",
                Text::new("ALREADY_CONFIRMED").arg("what", "user-change").arg("id", id.to_string()).arg("by", by),
            ));
        }
        if user_name_key(&change.proposed_by) == user_name_key(&who.name) {
            return Err(AppError::rule(
                "TWO_PERSON_RULE",
                Text::new("TWO_PERSON_RULE")
                    .arg("what", "user-change")
                    .arg("id", id.to_string())
                    .arg("by", &change.proposed_by),
            ));
        }
        if change.kind == UserChangeKind::Create {
            self.refuse_taken_name(&change.name, Some(change.id)).await?;
        }
        Ok(self.store().confirm_user_change(id, &actor(who, now, None)).await?)
    }

    /// Every user change, pending ones first (admins and auditors: auditors read every access change).
    pub async fn user_changes(&self, who: &Principal) -> AppResult<Vec<UserChangeRow>> {
        if who.role != Role::Admin && who.role != Role::Auditor {
            return Err(AppError::Forbidden(Text::new("FORBIDDEN.access-changes").arg("role", who.role.as_str())));
        }
        let mut changes = self.store().user_changes().await?;
        changes.sort_by_key(|c| (c.confirmed_by.is_some(), c.id));
        Ok(changes)
    }

    /// Open warnings about access: `SINGLE_ADMIN` while one enabled admin alone can change users.
    pub async fn access_warnings(&self) -> AppResult<Vec<AccessWarning>> {
        Ok(if self.enabled_admins().await? == 1 { vec![AccessWarning::SingleAdmin] } else { Vec::new() })
    }

    async fn enabled_admins(&self) -> AppResult<usize> {
        let users = self.store().users().await?;
        Ok(users.iter().filter(|u| u.role == Role::Admin.as_str() && u.disabled_at.is_none()).count())
    }

    /// Records the language the user chose for the pages (docs/languages.md#choice): everyone
    /// chooses their own, nobody anyone else's; `None` forgets the choice. Journalled
    /// (`user.language_set`); the same choice again writes nothing.
    pub async fn set_own_language(
        &self,
        who: &Principal,
        language: Option<custodia_i18n::Language>,
        now: &Timestamp,
    ) -> AppResult<UserRow> {
        let code = language.map(custodia_i18n::code);
        Ok(self.store().set_user_language(&user_name_key(&who.name), code, &actor(who, now, None)).await?)
    }

    /// Disables a user (admins): at once, like revoking a token — their tokens and password are
    /// refused from then on (within `token_cache_ms` on a server that did not disable them). The
    /// last enabled admin cannot be disabled (`LAST_ADMIN`).
    pub async fn disable_user(&self, who: &Principal, name: &str, now: &Timestamp) -> AppResult<UserRow> {
        who.require(Capability::ManageUsers)?;
        let user = self.existing_user(name).await?;
        if user.disabled_at.is_some() {
            return Err(AppError::rule("ALREADY_DISABLED", Text::new("ALREADY_DISABLED").arg("name", &user.name)));
        }
        if user.role == Role::Admin.as_str() && self.enabled_admins().await? <= 1 {
            return Err(AppError::rule("LAST_ADMIN", Text::new("LAST_ADMIN").arg("name", &user.name)));
        }
        Ok(self.store().disable_user(&user_name_key(&user.name), &actor(who, now, None)).await?)
    }

    /// Enables a disabled user again (admins). Like other user changes it takes a second admin:
    /// the first call proposes, another admin's call confirms; while the register has a single
    /// enabled admin it takes effect at once (`SINGLE_ADMIN`). Refused `NOT_DISABLED` for a user
    /// who is not disabled, `TWO_PERSON_RULE` when the proposer confirms.
    pub async fn enable_user(&self, who: &Principal, name: &str, now: &Timestamp) -> AppResult<Enabling> {
        who.require(Capability::ManageUsers)?;
        let user = self.existing_user(name).await?;
        if user.disabled_at.is_none() {
            return Err(AppError::rule("NOT_DISABLED", Text::new("NOT_DISABLED").arg("name", &user.name)));
        }
        if user.enable_proposed_by.as_deref().is_some_and(|by| user_name_key(by) == user_name_key(&who.name)) {
            return Err(AppError::rule(
                "TWO_PERSON_RULE",
                Text::new("TWO_PERSON_RULE").arg("what", "enable").arg("id", &user.name).arg("by", &who.name),
            ));
        }
        let single = self.enabled_admins().await? <= 1;
        Ok(self.store().enable_user(&user_name_key(&user.name), &actor(who, now, None), single).await?)
    }

    /// Refuses a name that a user, or another pending new user, already has.
    async fn refuse_taken_name(&self, name: &str, confirming: Option<i64>) -> AppResult<()> {
        let key = user_name_key(name);
        let pending = self.store().user_changes().await?;
        let taken = self.user_named(name).await?.is_some()
            || pending.iter().any(|c| {
                c.kind == UserChangeKind::Create
                    && c.confirmed_by.is_none()
                    && c.name_key == key
                    && Some(c.id) != confirming
            });
        if taken {
            return Err(AppError::Conflict {
                field: Some("name".into()),
                message: Text::new("CONFLICT.user-exists").arg("name", name),
            });
        }
        Ok(())
    }

    /// Records a change: pending while two or more admins exist, applied at once otherwise.
    async fn record_change(
        &self,
        who: &Principal,
        change: UserChange,
        now: &Timestamp,
    ) -> AppResult<UserChangeOutcome> {
        let single = self.access_warnings().await?.contains(&AccessWarning::SingleAdmin);
        let by = actor(who, now, None);
        let row = self.store().propose_user_change(&change, &by, single).await?;
        Ok(UserChangeOutcome { applied: row.confirmed_by.is_some(), change: row, single_admin: single })
    }

    /// Every user (admins only).
    pub async fn users(&self, who: &Principal) -> AppResult<Vec<UserRow>> {
        who.require(Capability::ManageUsers)?;
        Ok(self.store().users().await?)
    }

    /// The user with this name, or "not found".
    async fn existing_user(&self, name: &str) -> AppResult<UserRow> {
        self.user_named(name).await?.ok_or_else(|| AppError::no_such("user", name))
    }

    /// The user with this name (compared as names are: NFC, trimmed, lower-cased).
    async fn user_named(&self, name: &str) -> AppResult<Option<UserRow>> {
        let key = user_name_key(name);
        Ok(self.store().users().await?.into_iter().find(|u| user_name_key(&u.name) == key))
    }

    /// Tokens: an admin sees everyone's, others their own.
    pub async fn tokens(&self, who: &Principal) -> AppResult<Vec<TokenRow>> {
        let admin = who.role.may(Capability::ManageUsers);
        let all = self.store().tokens().await?;
        Ok(all.into_iter().filter(|t| admin || t.user_name == who.name).collect())
    }

    /// A new token for the caller themself, expiring at `expires_at` if given (see
    /// [`token_expiry`]).
    pub async fn issue_own_token(
        &self,
        who: &Principal,
        label: &str,
        expires_at: Option<&Timestamp>,
        now: &Timestamp,
    ) -> AppResult<IssuedToken> {
        let label = check_label(label)?;
        self.issue(&who.name, &label, expires_at, &actor(who, now, None)).await
    }

    /// A new token for a user, issued on the register's host (`custodia user token NAME`): whoever
    /// runs it has the database and the data directory, so no token is asked for; the event
    /// records `host` as the actor.
    pub async fn issue_token_on_host(
        &self,
        name: &str,
        label: &str,
        expires_at: Option<&Timestamp>,
        now: &Timestamp,
    ) -> AppResult<IssuedToken> {
        let label = check_label(label)?;
        let user = self.existing_user(name).await?;
        if user.disabled_at.is_some() {
            return Err(AppError::rule("USER_DISABLED", Text::new("USER_DISABLED").arg("name", &user.name)));
        }
        let host = custodia_store::Actor { name: "host".into(), recorded_at: now.clone(), occurred_at: None };
        self.issue(&user.name, &label, expires_at, &host).await
    }

    async fn issue(
        &self,
        user: &str,
        label: &str,
        expires_at: Option<&Timestamp>,
        by: &custodia_store::Actor,
    ) -> AppResult<IssuedToken> {
        let (secret, hash) = new_token().map_err(|e| AppError::Internal(e.to_string()))?;
        let row = self.store().create_token(user, &hash, label, expires_at.map(Timestamp::as_str), by).await?;
        Ok(IssuedToken { row, secret })
    }

    /// Revokes a token: one's own, or anyone's for an admin (another's is "not found" otherwise).
    pub async fn revoke_token(&self, who: &Principal, id: i64, now: &Timestamp) -> AppResult<TokenRow> {
        let visible = self.tokens(who).await?;
        if !visible.iter().any(|t| t.id == id) {
            return Err(AppError::no_such("token", id));
        }
        Ok(self.store().revoke_token(id, &actor(who, now, None)).await?)
    }

    /// Signs in with a password and issues a token labelled `login`, expiring at `expires_at` if
    /// given. A wrong name, a wrong password and a disabled user are one answer, and cost the same
    /// time.
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
        expires_at: Option<&Timestamp>,
        now: &Timestamp,
    ) -> AppResult<IssuedToken> {
        crate::fields::at_most("password", password, MAX_PASSWORD_BYTES)?;
        let user = self.user_named(name).await?;
        // Argon2 runs on a blocking thread, never on the async workers.
        let ok = match user.as_ref().and_then(|u| u.password_hash.clone()) {
            Some(phc) => crate::access::verify_password_blocking(password.to_owned(), phc).await,
            None => {
                // Spend the same effort when the user is unknown, so timing does not tell names apart.
                let _ = hash_password_blocking(password.to_owned()).await;
                false
            }
        };
        match user {
            Some(u) if ok && u.disabled_at.is_none() => {
                let by = custodia_store::Actor { name: u.name.clone(), recorded_at: now.clone(), occurred_at: None };
                self.issue(&u.name, "login", expires_at, &by).await
            }
            _ => Err(AppError::Unauthenticated(Text::new("UNAUTHENTICATED.sign-in"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_expiry_is_a_lifetime_or_an_instant_in_the_next_ten_years() {
        let now = Timestamp::parse("2026-12-05T08:00:00Z").unwrap();
        let at = |text: &str| Some(Timestamp::parse(text).unwrap());
        assert_eq!(token_expiry(&now, None, None).unwrap(), None);
        assert_eq!(token_expiry(&now, Some("8h"), None).unwrap(), at("2026-12-05T16:00:00Z"));
        assert_eq!(token_expiry(&now, Some("30d"), None).unwrap(), at("2027-01-04T08:00:00Z"));
        assert_eq!(token_expiry(&now, Some("90m"), None).unwrap(), at("2026-12-05T09:30:00Z"));
        assert_eq!(token_expiry(&now, None, Some("2027-01-01T00:00:00Z")).unwrap(), at("2027-01-01T00:00:00Z"));
        for bad in ["0d", "8", "h", "-1h", "1w", "1.5h", "9999999999d", "3651d"] {
            let err = token_expiry(&now, Some(bad), None).unwrap_err();
            assert_eq!(err.code(), "INVALID", "{bad}");
        }
        let past = token_expiry(&now, None, Some("2026-12-05T08:00:00Z")).unwrap_err();
        assert_eq!(past, AppError::invalid("expires_at", crate::fields::future()));
        assert_eq!(past.message(custodia_i18n::Language::Es), "debe estar en el futuro");
        assert!(token_expiry(&now, None, Some("2037-01-01T00:00:00Z")).is_err(), "more than ten years");
        assert!(token_expiry(&now, None, Some("tomorrow")).is_err());
        assert!(token_expiry(&now, Some("1h"), Some("2027-01-01T00:00:00Z")).is_err(), "not both");
    }
}
