//! Users and API tokens (SPEC §11), and the password login. Admins manage users and everyone's
//! tokens; every user may list, create and revoke their own tokens. A token's secret is shown once.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use custodia_store::access::{TokenRow, UserRow};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam};
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_users, create_user, list_tokens, create_token, revoke_token, login),
    components(schemas(UserView, CreateUser, TokenView, CreateToken, NewToken, Login)),
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
    Ok(axum::Json(state.app.users(&who).await?.iter().map(user_view).collect()))
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

/// Creates a user (admins only).
#[utoipa::path(post, path = "/api/v1/users", tag = "access", request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<CreateUser>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    let request = custodia_app::users::UserRequest {
        name: body.name,
        role: body.role,
        agreements: body.agreements,
        facilities: body.facilities,
        password: body.password,
    };
    let row = state.app.add_user(&who, request, &crate::clock::now()).await?;
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
    Ok(axum::Json(state.app.tokens(&who).await?.iter().map(token_view).collect()))
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
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

fn new_token_view(token: &custodia_app::users::IssuedToken) -> NewToken {
    NewToken { token: token_view(&token.row), secret: token.secret.clone() }
}

/// Creates a token for the caller. A token is never issued through the API for another user.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "access", request_body = CreateToken,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = NewToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn create_token(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<CreateToken>,
) -> ApiResult<(StatusCode, axum::Json<NewToken>)> {
    let token = state.app.issue_own_token(&who, &body.label, &crate::clock::now()).await?;
    Ok((StatusCode::CREATED, axum::Json(new_token_view(&token))))
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
    let row = state.app.revoke_token(&who, id, &crate::clock::now()).await?;
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
    match state.app.sign_in(&body.name, &body.password, &crate::clock::now()).await {
        Ok(token) => Ok((StatusCode::CREATED, axum::Json(new_token_view(&token)))),
        Err(e @ custodia_app::AppError::Unauthenticated(_)) => {
            state.auth_failures.hit(client, now);
            Err(e.into())
        }
        Err(other) => Err(other.into()),
    }
}
