//! Access records (docs/access.md): users with a role and scopes, API tokens (only their SHA-256 is
//! stored), the log of reads of a person's file, and kept answers for idempotent requests. The
//! rules that use them (roles, scopes, two-person checks) live in the server; this is storage.

use serde_json::{Value, json};
use sha2::Digest;
use sqlx::Row;

use crate::backend::{PostgresStore, SqliteStore, store_trait};
use crate::events::{EventData, Head, NewEvent, Timestamp};
use crate::{Actor, StoreError};

/// The actor of a `reads.logged` event: a batch holds reads by several users, each named in it.
pub const READ_LOG_ACTOR: &str = "custodia (read log)";

/// A user as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRow {
    /// The user id.
    pub id: i64,
    /// The unique name (also the actor recorded on events).
    pub name: String,
    /// The role name (`admin`, `sending_officer`, …).
    pub role: String,
    /// Agreement ids in scope; `*` for every agreement.
    pub agreements: Vec<String>,
    /// Facility ids in scope; `*` for every facility.
    pub facilities: Vec<String>,
    /// Argon2id PHC string, when the user may log in with a password.
    pub password_hash: Option<String>,
    /// When an admin disabled the user (their tokens and password are refused), if disabled.
    pub disabled_at: Option<String>,
    /// The admin who proposed enabling the disabled user again, until a second admin confirms.
    pub enable_proposed_by: Option<String>,
    /// The language the user chose for the pages (`es`, `en`), if any.
    pub language: Option<String>,
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("agreements", &self.agreements)
            .field("facilities", &self.facilities)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "<redacted>"))
            .field("disabled_at", &self.disabled_at)
            .field("enable_proposed_by", &self.enable_proposed_by)
            .field("language", &self.language)
            .finish()
    }
}

/// The user a token identifies, with the token's expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUser {
    /// The user.
    pub user: UserRow,
    /// When the token stops working (RFC 3339 UTC), if it expires.
    pub expires_at: Option<String>,
}

/// What enabling a disabled user did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enabling {
    /// The user is enabled (`user.enabled`).
    Enabled,
    /// Proposed, waiting for a second admin (`user.enable_proposed`).
    Proposed,
}

/// A new user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    /// The name as shown.
    pub name: String,
    /// The name as compared (the application layer's NFC, trimmed, lower-cased form); unique.
    pub name_key: String,
    /// The role name.
    pub role: String,
    /// Agreement ids in scope (`*` for all).
    pub agreements: Vec<String>,
    /// Facility ids in scope (`*` for all).
    pub facilities: Vec<String>,
    /// Argon2id PHC string, if any.
    pub password_hash: Option<String>,
}

/// What a user change does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserChangeKind {
    /// A new user.
    Create,
    /// A new role or scopes for an existing user.
    Update,
}

impl UserChangeKind {
    /// The stored word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
        }
    }
}

/// A user change to record: created, or given a new role or scopes.
#[derive(Clone, PartialEq, Eq)]
pub struct UserChange {
    /// Create or update.
    pub kind: UserChangeKind,
    /// The user's name as shown.
    pub name: String,
    /// The name as compared.
    pub name_key: String,
    /// The role.
    pub role: String,
    /// Agreement ids in scope.
    pub agreements: Vec<String>,
    /// Facility ids in scope.
    pub facilities: Vec<String>,
    /// Argon2id PHC string of a new user's password, if any (never journaled).
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for UserChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserChange")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("role", &self.role)
            .field("agreements", &self.agreements)
            .field("facilities", &self.facilities)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A recorded user change: pending until a second admin confirms it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserChangeRow {
    /// The change id.
    pub id: i64,
    /// Create or update.
    pub kind: UserChangeKind,
    /// The user's name as shown.
    pub name: String,
    /// The name as compared.
    pub name_key: String,
    /// The role.
    pub role: String,
    /// Agreement ids in scope.
    pub agreements: Vec<String>,
    /// Facility ids in scope.
    pub facilities: Vec<String>,
    /// Whether a new user gets a password sign-in.
    pub password_login: bool,
    /// Who proposed it.
    pub proposed_by: String,
    /// When.
    pub proposed_at: String,
    /// Who confirmed it (a change of a single admin: the same user), once confirmed.
    pub confirmed_by: Option<String>,
    /// When.
    pub confirmed_at: Option<String>,
}

/// An API token as listed (never the secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    /// The token id.
    pub id: i64,
    /// Its user.
    pub user_name: String,
    /// A label chosen when it was created.
    pub label: String,
    /// When it was created (RFC 3339 UTC).
    pub created_at: String,
    /// When it was revoked.
    pub revoked_at: Option<String>,
    /// When it stops working (RFC 3339 UTC), if it expires.
    pub expires_at: Option<String>,
}

/// One read of a person's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRead {
    /// Who read it.
    pub user_name: String,
    /// The person's Custodia id.
    pub person_id: i64,
    /// What the file was read for, as the caller words it (the server records its route, e.g.
    /// `GET /api/v1/persons/{id}`). Stored in the `route` column.
    pub purpose: String,
    /// When (RFC 3339 UTC).
    pub at: String,
}

/// The first answer to an idempotent request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptAnswer {
    /// SHA-256 of the method, path and body of the first request.
    pub request_sha256: Vec<u8>,
    /// The first request's outcome, as a code the caller chose (the server keeps its HTTP
    /// status). Stored in the `status` column.
    pub outcome: u16,
    /// Its body.
    pub response: String,
}

store_trait! {
    /// Access records: users, tokens, the read log and kept answers.
    pub trait Access {
        /// Creates a user (`user.created` event; the password hash is not journaled).
        fn create_user(&self, user: &NewUser, actor: &Actor) -> Result<UserRow, StoreError>;
        /// Every user, by id.
        fn users(&self) -> Result<Vec<UserRow>, StoreError>;
        /// Stores a new API token's hash for a user (`token.created` event, without the hash).
        fn create_token(&self, user_name: &str, sha256: &[u8; 32], label: &str, expires_at: Option<&str>, actor: &Actor) -> Result<TokenRow, StoreError>;
        /// Revokes a token (`token.revoked` event); revoking twice is refused.
        fn revoke_token(&self, id: i64, actor: &Actor) -> Result<TokenRow, StoreError>;
        /// Every token (never the secret), by id.
        fn tokens(&self) -> Result<Vec<TokenRow>, StoreError>;
        /// The user holding a live token with this SHA-256, if any.
        fn user_by_token(&self, sha256: &[u8; 32]) -> Result<Option<TokenUser>, StoreError>;
        /// Disables a user at once (`user.disabled`): their tokens and password stop working; a
        /// pending proposal to enable them is dropped.
        fn disable_user(&self, name_key: &str, actor: &Actor) -> Result<UserRow, StoreError>;
        /// Records the language a user chose for the pages (`user.language_set`; `None` forgets
        /// the choice). Unchanged when it is already the user's (no event).
        fn set_user_language(&self, name_key: &str, language: Option<&str>, actor: &Actor) -> Result<UserRow, StoreError>;
        /// Enables a disabled user: at once with `apply_now` or when another admin proposed it
        /// (`user.enabled`), otherwise records the proposal (`user.enable_proposed`). Refused when
        /// the user is not disabled, or when the proposer confirms their own proposal.
        fn enable_user(&self, name_key: &str, actor: &Actor, apply_now: bool) -> Result<Enabling, StoreError>;
        /// Appends reads of persons' files to the read log, in one transaction.
        fn log_person_reads(&self, reads: &[PersonRead]) -> Result<(), StoreError>;
        /// The reads of one person's file, oldest first.
        fn person_reads(&self, person_id: i64) -> Result<Vec<PersonRead>, StoreError>;
        /// Records a user change (`user.change_proposed`); with `apply_now` (a register with a single
        /// admin) it is confirmed by the same actor and applied in the same transaction.
        fn propose_user_change(&self, change: &UserChange, actor: &Actor, apply_now: bool) -> Result<UserChangeRow, StoreError>;
        /// Confirms a pending change and applies it (`user.change_confirmed`); a change already
        /// confirmed is refused.
        fn confirm_user_change(&self, id: i64, actor: &Actor) -> Result<UserChangeRow, StoreError>;
        /// Every user change, by id.
        fn user_changes(&self) -> Result<Vec<UserChangeRow>, StoreError>;
        /// The kept answer for a user's idempotency key.
        fn kept_answer(&self, user_name: &str, key: &str) -> Result<Option<KeptAnswer>, StoreError>;
        /// Keeps the first answer for a user's idempotency key (a second one is ignored).
        fn keep_answer(&self, user_name: &str, key: &str, answer: &KeptAnswer, at: &str) -> Result<(), StoreError>;
    }
}

macro_rules! access_sql {
    ($name:ident, $db:ty) => {
        impl $name {
            fn user_change_row(r: &<$db as sqlx::Database>::Row) -> Result<UserChangeRow, StoreError> {
                let kind = match r.try_get::<String, _>("kind")?.as_str() {
                    "create" => UserChangeKind::Create,
                    "update" => UserChangeKind::Update,
                    other => return Err(StoreError::Inconsistent(format!("user change kind {other:?}"))),
                };
                Ok(UserChangeRow {
                    id: r.try_get("id")?,
                    kind,
                    name: r.try_get("name")?,
                    name_key: r.try_get("name_key")?,
                    role: r.try_get("role")?,
                    agreements: list_from_json(&r.try_get::<String, _>("agreements")?),
                    facilities: list_from_json(&r.try_get::<String, _>("facilities")?),
                    password_login: r.try_get("password_login")?,
                    proposed_by: r.try_get("proposed_by")?,
                    proposed_at: r.try_get("proposed_at")?,
                    confirmed_by: r.try_get("confirmed_by")?,
                    confirmed_at: r.try_get("confirmed_at")?,
                })
            }

            fn user_row(r: &<$db as sqlx::Database>::Row) -> Result<UserRow, StoreError> {
                Ok(UserRow {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    agreements: list_from_json(&r.try_get::<String, _>("agreements")?),
                    facilities: list_from_json(&r.try_get::<String, _>("facilities")?),
                    password_hash: r.try_get("password_hash")?,
                    disabled_at: r.try_get("disabled_at")?,
                    enable_proposed_by: r.try_get("enable_proposed_by")?,
                    language: r.try_get("language")?,
                })
            }

            /// The user with this compared name, inside a transaction.
            async fn user_in(tx: &mut sqlx::Transaction<'_, $db>, name_key: &str) -> Result<UserRow, StoreError> {
                let row = sqlx::query(&format!("SELECT {USER_FIELDS} FROM users u WHERE u.name_key = $1"))
                    .bind(name_key.to_owned())
                    .fetch_optional(&mut **tx)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("user {name_key} does not exist")))?;
                Self::user_row(&row)
            }

            async fn user_change(&self, id: i64) -> Result<UserChangeRow, StoreError> {
                let row = sqlx::query(&format!("{USER_CHANGE_COLUMNS} WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
                let row = row.ok_or_else(|| StoreError::NotFound(format!("user change {id} does not exist")))?;
                Self::user_change_row(&row)
            }

            /// Confirms and applies a pending change inside the caller's transaction.
            async fn apply_user_change(tx: &mut sqlx::Transaction<'_, $db>, head: &mut Head, id: i64, actor: &Actor) -> Result<(), StoreError> {
                let row = sqlx::query(&format!("{USER_CHANGE_COLUMNS} WHERE id = $1")).bind(id).fetch_optional(&mut **tx).await?;
                let change = Self::user_change_row(&row.ok_or_else(|| StoreError::NotFound(format!("user change {id} does not exist")))?)?;
                if let Some(by) = &change.confirmed_by {
                    return Err(StoreError::Refused(format!("user change {id} was already confirmed by {by}")));
                }
                let seq = Self::record_event(tx, head, NewEvent {
                        kind: "user.change_confirmed",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"change_id": id, "name": change.name, "kind": change.kind.as_str()})),
                    }, actor).await?;
                let at = actor.recorded_at.as_str().to_owned();
                sqlx::query("UPDATE user_changes SET confirmed_by = $1, confirmed_at = $2, confirmed_seq = $3 WHERE id = $4 AND confirmed_by IS NULL")
                    .bind(actor.name.clone())
                    .bind(at)
                    .bind(seq)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                match change.kind {
                    UserChangeKind::Create => {
                        let taken = sqlx::query("SELECT id FROM users WHERE name_key = $1").bind(change.name_key.clone()).fetch_optional(&mut **tx).await?;
                        if taken.is_some() {
                            return Err(StoreError::Refused(format!("user {} already exists", change.name)));
                        }
                        let user_id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM users").fetch_one(&mut **tx).await?.try_get("next")?;
                        let hash: Option<String> = sqlx::query("SELECT password_hash FROM user_changes WHERE id = $1").bind(id).fetch_one(&mut **tx).await?.try_get("password_hash")?;
                        sqlx::query("INSERT INTO users (id, name, name_key, role, agreements, facilities, password_hash, created_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                            .bind(user_id)
                            .bind(change.name.clone())
                            .bind(change.name_key.clone())
                            .bind(change.role.clone())
                            .bind(list_json(&change.agreements))
                            .bind(list_json(&change.facilities))
                            .bind(hash)
                            .bind(seq)
                            .execute(&mut **tx)
                            .await?;
                    }
                    UserChangeKind::Update => {
                        let done = sqlx::query("UPDATE users SET role = $1, agreements = $2, facilities = $3 WHERE name_key = $4")
                            .bind(change.role.clone())
                            .bind(list_json(&change.agreements))
                            .bind(list_json(&change.facilities))
                            .bind(change.name_key.clone())
                            .execute(&mut **tx)
                            .await?;
                        if done.rows_affected() != 1 {
                            return Err(StoreError::NotFound(format!("user {} does not exist", change.name)));
                        }
                    }
                }
                Ok(())
            }
        }

        impl Access for $name {
            async fn create_user(&self, user: &NewUser, actor: &Actor) -> Result<UserRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let taken = sqlx::query("SELECT id FROM users WHERE name_key = $1").bind(user.name_key.clone()).fetch_optional(&mut *tx).await?;
                if taken.is_some() {
                    return Err(StoreError::Refused(format!("user {} already exists", user.name)));
                }
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM users").fetch_one(&mut *tx).await?.try_get("next")?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "user.created",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({
                            "user_id": id,
                            "name": user.name,
                            "name_key": user.name_key,
                            "role": user.role,
                            "agreements": user.agreements,
                            "facilities": user.facilities,
                            "password_login": user.password_hash.is_some(),
                            "password_sha256": password_commitment(user.password_hash.as_deref()),
                        })),
                    }, actor).await?;
                sqlx::query("INSERT INTO users (id, name, name_key, role, agreements, facilities, password_hash, created_seq) VALUES ($1, $2, $8, $3, $4, $5, $6, $7)")
                    .bind(id)
                    .bind(user.name.clone())
                    .bind(user.role.clone())
                    .bind(list_json(&user.agreements))
                    .bind(list_json(&user.facilities))
                    .bind(user.password_hash.clone())
                    .bind(seq)
                    .bind(user.name_key.clone())
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(UserRow {
                    id,
                    name: user.name.clone(),
                    role: user.role.clone(),
                    agreements: user.agreements.clone(),
                    facilities: user.facilities.clone(),
                    password_hash: user.password_hash.clone(),
                    disabled_at: None,
                    enable_proposed_by: None,
                    language: None,
                })
            }

            async fn users(&self) -> Result<Vec<UserRow>, StoreError> {
                let rows = sqlx::query(&format!("SELECT {USER_FIELDS} FROM users u ORDER BY u.id")).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Self::user_row(r)).collect()
            }

            async fn create_token(&self, user_name: &str, sha256: &[u8; 32], label: &str, expires_at: Option<&str>, actor: &Actor) -> Result<TokenRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let user = sqlx::query("SELECT id FROM users WHERE name = $1").bind(user_name.to_owned()).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound(format!("user {user_name} does not exist")))?;
                let user_id: i64 = user.try_get("id")?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM api_tokens").fetch_one(&mut *tx).await?.try_get("next")?;
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "token.created",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"token_id": id, "user": user_name, "label": label, "expires_at": expires_at, "sha256": crate::backend::hex(sha256)})),
                    }, actor).await?;
                let created_at = actor.recorded_at.as_str().to_owned();
                sqlx::query("INSERT INTO api_tokens (id, user_id, sha256, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(id)
                    .bind(user_id)
                    .bind(sha256.to_vec())
                    .bind(label.to_owned())
                    .bind(created_at.clone())
                    .bind(expires_at.map(str::to_owned))
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                let expires_at = expires_at.map(str::to_owned);
                Ok(TokenRow { id, user_name: user_name.to_owned(), label: label.to_owned(), created_at, revoked_at: None, expires_at })
            }

            async fn revoke_token(&self, id: i64, actor: &Actor) -> Result<TokenRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let row = sqlx::query("SELECT t.id, u.name, t.label, t.created_at, t.revoked_at, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1")
                    .bind(id).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound(format!("token {id} does not exist")))?;
                let mut token = TokenRow {
                    id,
                    user_name: row.try_get("name")?,
                    label: row.try_get("label")?,
                    created_at: row.try_get("created_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                    expires_at: row.try_get("expires_at")?,
                };
                if token.revoked_at.is_some() {
                    return Err(StoreError::Refused(format!("token {id} is already revoked")));
                }
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "token.revoked",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"token_id": id, "user": token.user_name})),
                    }, actor).await?;
                let at = actor.recorded_at.as_str().to_owned();
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2").bind(at.clone()).bind(id).execute(&mut *tx).await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                token.revoked_at = Some(at);
                Ok(token)
            }

            async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
                let rows = sqlx::query("SELECT t.id, u.name, t.label, t.created_at, t.revoked_at, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id")
                    .fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(TokenRow {
                    id: r.try_get("id")?,
                    user_name: r.try_get("name")?,
                    label: r.try_get("label")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                    expires_at: r.try_get("expires_at")?,
                })).collect()
            }

            async fn user_by_token(&self, sha256: &[u8; 32]) -> Result<Option<TokenUser>, StoreError> {
                let row = sqlx::query(&format!(
                    "SELECT {USER_FIELDS}, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
                     WHERE t.sha256 = $1 AND t.revoked_at IS NULL"
                ))
                .bind(sha256.to_vec())
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok(TokenUser { user: Self::user_row(&r)?, expires_at: r.try_get("expires_at")? })).transpose()
            }

            async fn disable_user(&self, name_key: &str, actor: &Actor) -> Result<UserRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let user = Self::user_in(&mut tx, name_key).await?;
                if user.disabled_at.is_some() {
                    return Err(StoreError::Refused(format!("user {} is already disabled", user.name)));
                }
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "user.disabled",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"user_id": user.id, "name": user.name})),
                    }, actor).await?;
                let at = actor.recorded_at.as_str().to_owned();
                sqlx::query("UPDATE users SET disabled_at = $1, enable_proposed_by = NULL WHERE id = $2")
                    .bind(at.clone())
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(UserRow { disabled_at: Some(at), enable_proposed_by: None, ..user })
            }

            async fn set_user_language(&self, name_key: &str, language: Option<&str>, actor: &Actor) -> Result<UserRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let user = Self::user_in(&mut tx, name_key).await?;
                if user.language.as_deref() == language {
                    return Ok(user);
                }
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "user.language_set",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"user_id": user.id, "name": user.name, "language": language})),
                    }, actor).await?;
                sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
                    .bind(language.map(str::to_owned))
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(UserRow { language: language.map(str::to_owned), ..user })
            }

            async fn enable_user(&self, name_key: &str, actor: &Actor, apply_now: bool) -> Result<Enabling, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let user = Self::user_in(&mut tx, name_key).await?;
                if user.disabled_at.is_none() {
                    return Err(StoreError::Refused(format!("user {} is not disabled", user.name)));
                }
                let outcome = match &user.enable_proposed_by {
                    Some(by) if by == &actor.name => {
                        return Err(StoreError::Refused(format!(
                            "enabling user {} was proposed by {by}: another admin confirms it",
                            user.name
                        )));
                    }
                    Some(_) => Enabling::Enabled,
                    None if apply_now => Enabling::Enabled,
                    None => Enabling::Proposed,
                };
                let (kind, proposed_by) = match outcome {
                    Enabling::Enabled => ("user.enabled", None),
                    Enabling::Proposed => ("user.enable_proposed", Some(actor.name.clone())),
                };
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind,
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"user_id": user.id, "name": user.name, "proposed_by": user.enable_proposed_by})),
                    }, actor).await?;
                let disabled_at = match outcome {
                    Enabling::Enabled => None,
                    Enabling::Proposed => user.disabled_at.clone(),
                };
                sqlx::query("UPDATE users SET disabled_at = $1, enable_proposed_by = $2 WHERE id = $3")
                    .bind(disabled_at)
                    .bind(proposed_by)
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn log_person_reads(&self, reads: &[PersonRead]) -> Result<(), StoreError> {
                let Some(last) = reads.last() else { return Ok(()) };
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let first_id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM person_reads").fetch_one(&mut *tx).await?.try_get("next")?;
                // One event per logged batch carries every read, so the read log is a projection
                // of the journal (docs/journal.md#replay).
                let logged: Vec<Value> = reads
                    .iter()
                    .map(|r| json!({"user_name": r.user_name, "person_id": r.person_id, "purpose": r.purpose, "at": r.at}))
                    .collect();
                let recorded_at = Timestamp::parse(&last.at).map_err(StoreError::Inconsistent)?;
                let actor = Actor { name: READ_LOG_ACTOR.to_owned(), recorded_at, occurred_at: None };
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "reads.logged",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({"first_id": first_id, "reads": logged})),
                    }, &actor).await?;
                for (id, read) in (first_id..).zip(reads) {
                    sqlx::query("INSERT INTO person_reads (id, user_name, person_id, route, at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(id)
                        .bind(read.user_name.clone())
                        .bind(read.person_id)
                        .bind(read.purpose.clone())
                        .bind(read.at.clone())
                        .execute(&mut *tx)
                        .await?;
                }
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn person_reads(&self, person_id: i64) -> Result<Vec<PersonRead>, StoreError> {
                let rows = sqlx::query("SELECT user_name, person_id, route, at FROM person_reads WHERE person_id = $1 ORDER BY id")
                    .bind(person_id).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok(PersonRead {
                    user_name: r.try_get("user_name")?,
                    person_id: r.try_get("person_id")?,
                    purpose: r.try_get("route")?,
                    at: r.try_get("at")?,
                })).collect()
            }

            async fn propose_user_change(&self, change: &UserChange, actor: &Actor, apply_now: bool) -> Result<UserChangeRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let id: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM user_changes").fetch_one(&mut *tx).await?.try_get("next")?;
                let seq = Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "user.change_proposed",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(user_change_json(id, change)),
                    }, actor).await?;
                let at = actor.recorded_at.as_str().to_owned();
                sqlx::query("INSERT INTO user_changes (id, kind, name, name_key, role, agreements, facilities, password_hash, proposed_by, proposed_at, proposed_seq) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                    .bind(id)
                    .bind(change.kind.as_str())
                    .bind(change.name.clone())
                    .bind(change.name_key.clone())
                    .bind(change.role.clone())
                    .bind(list_json(&change.agreements))
                    .bind(list_json(&change.facilities))
                    .bind(change.password_hash.clone())
                    .bind(actor.name.clone())
                    .bind(at)
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                if apply_now {
                    Self::apply_user_change(&mut tx, &mut head, id, actor).await?;
                }
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                self.user_change(id).await
            }

            async fn confirm_user_change(&self, id: i64, actor: &Actor) -> Result<UserChangeRow, StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                Self::apply_user_change(&mut tx, &mut head, id, actor).await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                self.user_change(id).await
            }

            async fn user_changes(&self) -> Result<Vec<UserChangeRow>, StoreError> {
                let rows = sqlx::query(&format!("{USER_CHANGE_COLUMNS} ORDER BY id")).fetch_all(&self.pool).await?;
                rows.iter().map(Self::user_change_row).collect()
            }

            async fn kept_answer(&self, user_name: &str, key: &str) -> Result<Option<KeptAnswer>, StoreError> {
                let row = sqlx::query("SELECT request_sha256, status, response FROM idempotency_keys WHERE user_name = $1 AND key = $2")
                    .bind(user_name.to_owned()).bind(key.to_owned()).fetch_optional(&self.pool).await?;
                row.map(|r| Ok(KeptAnswer {
                    request_sha256: r.try_get("request_sha256")?,
                    outcome: u16::try_from(r.try_get::<i64, _>("status")?).map_err(|_| StoreError::Inconsistent("kept answer: outcome out of range".into()))?,
                    response: r.try_get("response")?,
                })).transpose()
            }

            async fn keep_answer(&self, user_name: &str, key: &str, answer: &KeptAnswer, at: &str) -> Result<(), StoreError> {
                let mut tx = self.pool.begin().await?;
                let mut head = Self::lock_head(&mut tx).await?;
                let kept = sqlx::query(
                    "INSERT INTO idempotency_keys (user_name, key, request_sha256, status, response, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_name, key) DO NOTHING",
                )
                .bind(user_name.to_owned())
                .bind(key.to_owned())
                .bind(answer.request_sha256.clone())
                .bind(i64::from(answer.outcome))
                .bind(answer.response.clone())
                .bind(at.to_owned())
                .execute(&mut *tx)
                .await?;
                if kept.rows_affected() == 0 {
                    return Ok(()); // the first answer stays; nothing written
                }
                // The answer itself repeats what the request's own events recorded; the journal
                // keeps its SHA-256, enough for `journal verify` to detect a changed answer.
                let recorded_at = Timestamp::parse(at).map_err(StoreError::Inconsistent)?;
                let actor = Actor { name: user_name.to_owned(), recorded_at, occurred_at: None };
                Self::record_event(&mut tx, &mut head, NewEvent {
                        kind: "answer.kept",
                        agreement_id: None,
                        person_id: None,
                        data: EventData::Json(json!({
                            "user_name": user_name,
                            "key": key,
                            "request_sha256": crate::backend::hex(&answer.request_sha256),
                            "outcome": answer.outcome,
                            "response_sha256": crate::backend::hex(&sha2::Sha256::digest(answer.response.as_bytes())),
                            "created_at": at,
                        })),
                    }, &actor).await?;
                Self::save_head(&mut tx, &head).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

access_sql!(SqliteStore, sqlx::Sqlite);
access_sql!(PostgresStore, sqlx::Postgres);

const USER_FIELDS: &str = "u.id, u.name, u.role, u.agreements, u.facilities, u.password_hash, u.disabled_at, u.enable_proposed_by, u.language";

const USER_CHANGE_COLUMNS: &str = "SELECT id, kind, name, name_key, role, agreements, facilities, password_hash IS NOT NULL AS password_login, \
     proposed_by, proposed_at, confirmed_by, confirmed_at FROM user_changes";

fn user_change_json(id: i64, change: &UserChange) -> serde_json::Value {
    json!({
        "change_id": id,
        "kind": change.kind.as_str(),
        "name": change.name,
        "name_key": change.name_key,
        "role": change.role,
        "agreements": change.agreements,
        "facilities": change.facilities,
        "password_login": change.password_hash.is_some(),
        "password_sha256": password_commitment(change.password_hash.as_deref()),
    })
}

/// What the journal keeps of a password hash: the SHA-256 (hex) of the stored Argon2 PHC string,
/// never the string itself — enough for `journal verify` to detect a changed hash, nothing to
/// attack offline. `None` for a user without password login.
pub(crate) fn password_commitment(phc: Option<&str>) -> Option<String> {
    phc.map(|phc| crate::backend::hex(&sha2::Sha256::digest(phc.as_bytes())))
}

pub(crate) fn list_json(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

pub(crate) fn list_from_json(text: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(text).unwrap_or_default()
}
