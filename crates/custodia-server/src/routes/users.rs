//! Users and API tokens (SPEC §11), and the password login. Admins manage users and everyone's
//! tokens; every user may list, create and revoke their own tokens. A token's secret is shown once.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use custodia_store::access::{NewUser, TokenRow, UserRow};
use custodia_store::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::{Capability, Principal, Role, hash_password, new_token, verify_password};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam};
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_users, create_user, list_tokens, create_token, revoke_token, login),
    components(schemas(UserView, CreateUser, TokenView, CreateToken, NewToken, Login, Role)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}/revoke", post(revoke_token))
        .route("/api/v1/login", post(login))
}

/// A user (never the password hash).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Agreements in scope (`*`: all).
    pub agreements: Vec<String>,
    /// Facilities in scope (`*`: all).
    pub facilities: Vec<String>,
    /// Whether the user may log in with a password.
    pub password_login: bool,
}

fn user_view(u: &UserRow) -> UserView {
    UserView {
        id: u.id,
        name: u.name.clone(),
        role: u.role.clone(),
        agreements: u.agreements.clone(),
        facilities: u.facilities.clone(),
        password_login: u.password_hash.is_some(),
    }
}

/// Every user (admins only).
#[utoipa::path(get, path = "/api/v1/users", tag = "access",
    responses((status = 200, body = [UserView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_users(State(state): State<AppState>, who: Principal) -> ApiResult<axum::Json<Vec<UserView>>> {
    who.require(Capability::ManageUsers)?;
    Ok(axum::Json(state.store.users().await?.iter().map(user_view).collect()))
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Unique name, 1–100 characters of letters, digits, `.`, `_`, `-`, `@`.
    pub name: String,
    /// One of the roles of SPEC §11.
    pub role: String,
    /// Agreement ids in scope, or `["*"]`.
    pub agreements: Vec<String>,
    /// Facility ids in scope, or `["*"]` (default).
    #[serde(default)]
    pub facilities: Option<Vec<String>>,
    /// A password (at least 12 characters) for the login; stored only as an Argon2id hash.
    pub password: Option<String>,
}

/// Checks a new user's fields (shared with `custodia user add`).
pub fn validate_user(body: CreateUser) -> Result<NewUser, ApiError> {
    let name = body.name.trim().to_owned();
    if name.is_empty()
        || name.len() > 100
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(ApiError::invalid("name", "must be 1 to 100 letters, digits, '.', '_', '-' or '@'"));
    }
    if Role::parse(&body.role).is_none() {
        let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        return Err(ApiError::invalid("role", format!("{:?} is not one of {}", body.role, roles.join(", "))));
    }
    if body.agreements.is_empty() || body.agreements.len() > 1000 || body.agreements.iter().any(|a| a.trim().is_empty())
    {
        return Err(ApiError::invalid("agreements", "must list 1 to 1000 agreement ids, or \"*\""));
    }
    let facilities = body.facilities.unwrap_or_else(|| vec!["*".into()]);
    if facilities.is_empty() || facilities.len() > 1000 || facilities.iter().any(|f| f.trim().is_empty()) {
        return Err(ApiError::invalid("facilities", "must list 1 to 1000 facility ids, or \"*\""));
    }
    let password_hash = match body.password {
        None => None,
        Some(p) if p.chars().count() < 12 || p.len() > 1024 => {
            return Err(ApiError::invalid("password", "must be 12 to 1024 characters"));
        }
        Some(p) => Some(hash_password(&p).map_err(ApiError::internal)?),
    };
    Ok(NewUser { name, role: body.role, agreements: body.agreements, facilities, password_hash })
}

/// Creates a user (admins only).
#[utoipa::path(post, path = "/api/v1/users", tag = "access", request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<CreateUser>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    who.require(Capability::ManageUsers)?;
    let user = validate_user(body)?;
    let actor = custodia_store::Actor { name: who.name.clone(), recorded_at: crate::clock::now(), occurred_at: None };
    let row = state.store.create_user(&user, &actor).await?;
    Ok((StatusCode::CREATED, axum::Json(user_view(&row))))
}

/// An API token (never its secret).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TokenView {
    /// Id.
    pub id: i64,
    /// Its user.
    pub user: String,
    /// Label.
    pub label: String,
    /// Created (RFC 3339 UTC).
    pub created_at: String,
    /// Revoked, if it was.
    pub revoked_at: Option<String>,
}

fn token_view(t: &TokenRow) -> TokenView {
    TokenView {
        id: t.id,
        user: t.user_name.clone(),
        label: t.label.clone(),
        created_at: t.created_at.clone(),
        revoked_at: t.revoked_at.clone(),
    }
}

/// The caller's tokens (an admin's: everyone's).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "access",
    responses((status = 200, body = [TokenView]), (status = 401, body = ErrorBody)))]
async fn list_tokens(State(state): State<AppState>, who: Principal) -> ApiResult<axum::Json<Vec<TokenView>>> {
    let all = state.store.tokens().await?;
    let admin = who.role.may(Capability::ManageUsers);
    Ok(axum::Json(all.iter().filter(|t| admin || t.user_name == who.name).map(token_view).collect()))
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// For whom (admins only; default: the caller).
    pub user: Option<String>,
    /// A label, e.g. what uses it.
    pub label: String,
}

/// A token's secret, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    /// The token.
    #[serde(flatten)]
    pub token: TokenView,
    /// The secret (`cst_…`): send it as `Authorization: Bearer …`. It is not stored and cannot be
    /// shown again.
    pub secret: String,
}

async fn issue_token(state: &AppState, user: &str, label: &str, by: &str) -> ApiResult<NewToken> {
    let label = crate::wire::text("label", label, 200)?;
    let (secret, hash) = new_token().map_err(ApiError::internal)?;
    let actor = custodia_store::Actor { name: by.to_owned(), recorded_at: crate::clock::now(), occurred_at: None };
    let row = state.store.create_token(user, &hash, &label, &actor).await?;
    Ok(NewToken { token: token_view(&row), secret })
}

/// Creates a token for the caller (or, for an admin, for any user).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "access", request_body = CreateToken,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = NewToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<CreateToken>,
) -> ApiResult<(StatusCode, axum::Json<NewToken>)> {
    let user = body.user.clone().unwrap_or_else(|| who.name.clone());
    if user != who.name {
        who.require(Capability::ManageUsers)?;
    }
    Ok((StatusCode::CREATED, axum::Json(issue_token(&state, &user, &body.label, &who.name).await?)))
}

/// Revokes a token (the caller's own, or any for an admin); it stops working at once on this
/// server, and within `token_cache_ms` on others.
#[utoipa::path(post, path = "/api/v1/tokens/{id}/revoke", tag = "access", params(("id" = i64, Path, description = "Token id")),
    responses((status = 200, body = TokenView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn revoke_token(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
) -> ApiResult<axum::Json<TokenView>> {
    let tokens = state.store.tokens().await?;
    let admin = who.role.may(Capability::ManageUsers);
    if !tokens.iter().any(|t| t.id == id && (admin || t.user_name == who.name)) {
        return Err(ApiError::not_found(format!("token {id} does not exist")));
    }
    let actor = custodia_store::Actor { name: who.name.clone(), recorded_at: crate::clock::now(), occurred_at: None };
    let row = state.store.revoke_token(id, &actor).await?;
    state.tokens.clear();
    Ok(axum::Json(token_view(&row)))
}

/// A password login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// User name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// Exchanges a name and password for a new token labelled `login`. Failures are counted per
/// client address and answered 429 beyond `auth_failures_per_minute`.
#[utoipa::path(post, path = "/api/v1/login", tag = "access", request_body = Login, security(()),
    responses((status = 201, body = NewToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(body): JsonBody<Login>,
) -> ApiResult<(StatusCode, axum::Json<NewToken>)> {
    let client = crate::state::client_address(&parts);
    let now = crate::clock::instant();
    if state.auth_failures.is_blocked(client, now) {
        return Err(ApiError::rate_limited());
    }
    let users = state.store.users().await?;
    let user = users.iter().find(|u| u.name == body.name);
    let ok = match user.and_then(|u| u.password_hash.as_deref()) {
        Some(phc) => verify_password(&body.password, phc),
        None => {
            // Spend the same effort when the user is unknown, so timing does not tell names apart.
            let _ = hash_password(&body.password);
            false
        }
    };
    match user {
        Some(u) if ok => Ok((StatusCode::CREATED, axum::Json(issue_token(&state, &u.name, "login", &u.name).await?))),
        _ => {
            state.auth_failures.hit(client, now);
            Err(ApiError::unauthenticated())
        }
    }
}
