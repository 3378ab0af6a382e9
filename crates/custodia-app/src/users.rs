//! Users, tokens and sign-in (docs/access.md).
//!
//! A token is issued only to its own user: at sign-in with a password, by the user for themself,
//! or on the register's host (`custodia user token NAME`, which needs access to the database and
//! the data directory, not a token). Admins list and revoke everyone's tokens but never mint one
//! for another user.

use custodia_store::Timestamp;
use custodia_store::access::{NewUser, TokenRow, UserChange, UserChangeKind, UserChangeRow, UserRow};
use custodia_store::prelude::*;

use crate::access::{
    Capability, Principal, Role, check_user_name, hash_password_blocking, new_token, token_hash, user_name_key,
};
use crate::error::{AppError, AppResult};
use crate::{App, actor};

/// Most agreement or facility ids in one user's scope.
pub const MAX_SCOPE_ITEMS: usize = 1000;
/// Longest token label, in bytes.
pub const MAX_LABEL_BYTES: usize = 200;

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

    /// For people.
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
        return Err(AppError::invalid(field, format!("must list 1 to {MAX_SCOPE_ITEMS} ids, or \"*\"")));
    }
    for item in items {
        if item == "*" {
            continue;
        }
        if item.trim().is_empty() || item.len() > 64 {
            return Err(AppError::invalid(field, format!("{item:?} is not an id")));
        }
        if let Some(known) = known
            && !known.iter().any(|k| k == item)
        {
            return Err(AppError::invalid(
                field,
                format!("{item:?} is not an agreement of this register (known: {})", known.join(", ")),
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
            Err(AppError::invalid("password", format!("must be 12 characters to {MAX_PASSWORD_BYTES} bytes")))
        }
        Some(p) => hash_password_blocking(p).await.map(Some).map_err(AppError::Internal),
    }
}

fn check_label(label: &str) -> AppResult<String> {
    let label = label.trim();
    if label.is_empty() || label.len() > MAX_LABEL_BYTES || label.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "label",
            format!("must be 1 to {MAX_LABEL_BYTES} bytes without control characters"),
        ));
    }
    Ok(label.to_owned())
}

impl App {
    /// The user a token identifies.
    pub async fn authenticate(&self, token: &str) -> AppResult<Principal> {
        self.user_for_token_hash(&token_hash(token.trim())).await
    }

    /// The user whose token has this SHA-256 (the server caches checked hashes).
    pub async fn user_for_token_hash(&self, hash: &[u8; 32]) -> AppResult<Principal> {
        let user = self.store().user_by_token(hash).await?;
        user.as_ref()
            .and_then(Principal::from_user)
            .ok_or_else(|| AppError::Unauthenticated("the token is not valid (unknown or revoked)".into()))
    }

    /// Checks a user request against the register: name, role, scopes (agreements must exist),
    /// password.
    pub async fn check_user_request(&self, request: UserRequest) -> AppResult<NewUser> {
        let name = check_user_name("name", &request.name)?;
        if Role::parse(&request.role).is_none() {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            return Err(AppError::invalid("role", format!("{:?} is not one of {}", request.role, roles.join(", "))));
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
        let current = self
            .user_named(&request.name)
            .await?
            .ok_or_else(|| AppError::not_found(format!("user {} does not exist", request.name)))?;
        let role = request.role.unwrap_or_else(|| current.role.clone());
        if Role::parse(&role).is_none() {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            return Err(AppError::invalid("role", format!("{role:?} is not one of {}", roles.join(", "))));
        }
        let agreements = request.agreements.unwrap_or_else(|| current.agreements.clone());
        let known: Vec<String> = self.store().agreement_ids().await?.into_iter().map(|a| a.agreement_id).collect();
        check_scope("agreements", &agreements, Some(&known))?;
        let facilities = request.facilities.unwrap_or_else(|| current.facilities.clone());
        check_scope("facilities", &facilities, None)?;
        if role == current.role && agreements == current.agreements && facilities == current.facilities {
            return Err(AppError::invalid("role", "changes nothing: give a new role, agreements or facilities"));
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
            .ok_or_else(|| AppError::not_found(format!("user change {id} does not exist")))?;
        if let Some(by) = &change.confirmed_by {
            return Err(AppError::refused("ALREADY_CONFIRMED", format!("user change {id} was confirmed by {by}")));
        }
        if user_name_key(&change.proposed_by) == user_name_key(&who.name) {
            return Err(AppError::refused(
                "TWO_PERSON_RULE",
                format!("user change {id} was proposed by {}: another admin confirms it", change.proposed_by),
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
            return Err(AppError::Forbidden(format!("the {} role may not read access changes", who.role.as_str())));
        }
        let mut changes = self.store().user_changes().await?;
        changes.sort_by_key(|c| (c.confirmed_by.is_some(), c.id));
        Ok(changes)
    }

    /// Open warnings about access: `SINGLE_ADMIN` while one admin alone can change users.
    pub async fn access_warnings(&self) -> AppResult<Vec<AccessWarning>> {
        let admins = self.store().users().await?.iter().filter(|u| u.role == Role::Admin.as_str()).count();
        Ok(if admins == 1 { vec![AccessWarning::SingleAdmin] } else { Vec::new() })
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
                message: format!("user {name} already exists (names compare ignoring case and surrounding spaces)"),
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

    /// A new token for the caller themself.
    pub async fn issue_own_token(&self, who: &Principal, label: &str, now: &Timestamp) -> AppResult<IssuedToken> {
        let label = check_label(label)?;
        self.issue(&who.name, &label, &actor(who, now, None)).await
    }

    /// A new token for a user, issued on the register's host (`custodia user token NAME`): whoever
    /// runs it has the database and the data directory, so no token is asked for; the event
    /// records `host` as the actor.
    pub async fn issue_token_on_host(&self, name: &str, label: &str, now: &Timestamp) -> AppResult<IssuedToken> {
        let label = check_label(label)?;
        let user =
            self.user_named(name).await?.ok_or_else(|| AppError::not_found(format!("user {name} does not exist")))?;
        let host = custodia_store::Actor { name: "host".into(), recorded_at: now.clone(), occurred_at: None };
        self.issue(&user.name, &label, &host).await
    }

    async fn issue(&self, user: &str, label: &str, by: &custodia_store::Actor) -> AppResult<IssuedToken> {
        let (secret, hash) = new_token().map_err(|e| AppError::Internal(e.to_string()))?;
        let row = self.store().create_token(user, &hash, label, by).await?;
        Ok(IssuedToken { row, secret })
    }

    /// Revokes a token: one's own, or anyone's for an admin (another's is "not found" otherwise).
    pub async fn revoke_token(&self, who: &Principal, id: i64, now: &Timestamp) -> AppResult<TokenRow> {
        let visible = self.tokens(who).await?;
        if !visible.iter().any(|t| t.id == id) {
            return Err(AppError::not_found(format!("token {id} does not exist")));
        }
        Ok(self.store().revoke_token(id, &actor(who, now, None)).await?)
    }

    /// Signs in with a password and issues a token labelled `login`. A wrong name and a wrong
    /// password are one answer, and cost the same time.
    pub async fn sign_in(&self, name: &str, password: &str, now: &Timestamp) -> AppResult<IssuedToken> {
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
            Some(u) if ok => {
                let by = custodia_store::Actor { name: u.name.clone(), recorded_at: now.clone(), occurred_at: None };
                self.issue(&u.name, "login", &by).await
            }
            _ => Err(AppError::Unauthenticated("wrong user name or password".into())),
        }
    }
}
