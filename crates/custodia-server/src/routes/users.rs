//! Users and API tokens (docs/access.md), and the password login. Admins manage users and everyone's
//! tokens; every user may list, create and revoke their own tokens. A token's secret is shown once.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use custodia_app::users::{UserChangeOutcome, UserUpdate};
use custodia_store::access::{TokenRow, UserChangeRow, UserRow};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{JsonBody, PathParam};
use crate::state::AppState;

/// OpenAPI part.
#[derive(Debug, OpenApi)]
#[openapi(
    paths(list_users, create_user, change_user, disable_user, enable_user, list_user_changes, confirm_user_change, list_tokens, create_token, revoke_token, login),
    components(schemas(UserView, CreateUser, ChangeUser, EnableOutcome, UserChangeView, UserChanges, AccessWarningView, TokenView, CreateToken, NewToken, Login)),
    security(("bearer" = []))
)]
pub struct Api;

/// Routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{name}/changes", post(change_user))
        .route("/api/v1/users/{name}/disable", post(disable_user))
        .route("/api/v1/users/{name}/enable", post(enable_user))
        .route("/api/v1/user-changes", get(list_user_changes))
        .route("/api/v1/user-changes/{id}/confirm", post(confirm_user_change))
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
    /// When an admin disabled the user (RFC 3339 UTC), if disabled: their tokens and password are
    /// refused.
    pub disabled_at: Option<String>,
    /// The admin who proposed enabling the disabled user, while a second admin has not confirmed.
    pub enable_proposed_by: Option<String>,
}

fn user_view(u: &UserRow) -> UserView {
    UserView {
        id: u.id,
        name: u.name.clone(),
        role: u.role.clone(),
        agreements: u.agreements.clone(),
        facilities: u.facilities.clone(),
        password_login: u.password_hash.is_some(),
        disabled_at: u.disabled_at.clone(),
        enable_proposed_by: u.enable_proposed_by.clone(),
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
    /// One of the roles of docs/access.md.
    pub role: String,
    /// Agreement ids in scope, or `["*"]`.
    pub agreements: Vec<String>,
    /// Facility ids in scope, or `["*"]` (default).
    #[serde(default)]
    pub facilities: Option<Vec<String>>,
    /// A password (at least 12 characters) for the login; stored only as an Argon2id hash.
    pub password: Option<String>,
}

/// A user change: proposed by one admin, in effect once a second confirms it (at once while the
/// register has a single admin).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserChangeView {
    /// The change id (confirm it with `POST /api/v1/user-changes/{id}/confirm`).
    pub id: i64,
    /// `create` or `update`.
    pub kind: String,
    /// The user.
    pub name: String,
    /// The role it gives.
    pub role: String,
    /// The agreements in scope it gives.
    pub agreements: Vec<String>,
    /// The facilities in scope it gives.
    pub facilities: Vec<String>,
    /// Who proposed it.
    pub proposed_by: String,
    /// When.
    pub proposed_at: String,
    /// Who confirmed it (null while pending).
    pub confirmed_by: Option<String>,
    /// When.
    pub confirmed_at: Option<String>,
    /// Whether it is in effect.
    pub applied: bool,
}

fn change_view(c: &UserChangeRow) -> UserChangeView {
    UserChangeView {
        id: c.id,
        kind: c.kind.as_str().into(),
        name: c.name.clone(),
        role: c.role.clone(),
        agreements: c.agreements.clone(),
        facilities: c.facilities.clone(),
        proposed_by: c.proposed_by.clone(),
        proposed_at: c.proposed_at.clone(),
        confirmed_by: c.confirmed_by.clone(),
        confirmed_at: c.confirmed_at.clone(),
        applied: c.confirmed_by.is_some(),
    }
}

/// An open warning about access (`SINGLE_ADMIN`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AccessWarningView {
    /// The stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

/// Every user change, pending first, and the open access warnings.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserChanges {
    /// The changes.
    pub changes: Vec<UserChangeView>,
    /// Open warnings (`SINGLE_ADMIN` while one admin alone can change users).
    pub warnings: Vec<AccessWarningView>,
}

fn outcome_answer(outcome: &UserChangeOutcome) -> (StatusCode, axum::Json<UserChangeView>) {
    let status = if outcome.applied { StatusCode::CREATED } else { StatusCode::ACCEPTED };
    (status, axum::Json(change_view(&outcome.change)))
}

/// Proposes a user (admins only): 202 while it waits for a second admin's confirmation, 201 when
/// a single admin's change took effect at once (then `SINGLE_ADMIN` stays open).
#[utoipa::path(post, path = "/api/v1/users", tag = "access", request_body = CreateUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = UserChangeView), (status = 202, body = UserChangeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    who: Principal,
    JsonBody(body): JsonBody<CreateUser>,
) -> ApiResult<(StatusCode, axum::Json<UserChangeView>)> {
    let request = custodia_app::users::UserRequest {
        name: body.name,
        role: body.role,
        agreements: body.agreements,
        facilities: body.facilities,
        password: body.password,
    };
    Ok(outcome_answer(&state.app.add_user(&who, request, &crate::clock::now()).await?))
}

/// A new role or scopes for a user (omitted fields stay as they are).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeUser {
    /// A new role.
    pub role: Option<String>,
    /// New agreement ids in scope (`["*"]` for all).
    pub agreements: Option<Vec<String>>,
    /// New facility ids in scope (`["*"]` for all).
    pub facilities: Option<Vec<String>>,
}

/// Proposes a change of a user's role or scopes (admins only); confirmed like a new user.
#[utoipa::path(post, path = "/api/v1/users/{name}/changes", tag = "access", request_body = ChangeUser,
    params(("name" = String, Path, description = "User name"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 201, body = UserChangeView), (status = 202, body = UserChangeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn change_user(
    State(state): State<AppState>,
    who: Principal,
    PathParam(name): PathParam<String>,
    JsonBody(body): JsonBody<ChangeUser>,
) -> ApiResult<(StatusCode, axum::Json<UserChangeView>)> {
    let update = UserUpdate { name, role: body.role, agreements: body.agreements, facilities: body.facilities };
    Ok(outcome_answer(&state.app.change_user(&who, update, &crate::clock::now()).await?))
}

/// Disables a user (admins only), at once, like revoking a token: their tokens and password are
/// refused from then on (on this server at once, on others within `token_cache_ms`). The last
/// enabled admin cannot be disabled (`LAST_ADMIN`).
#[utoipa::path(post, path = "/api/v1/users/{name}/disable", tag = "access",
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn disable_user(
    State(state): State<AppState>,
    who: Principal,
    PathParam(name): PathParam<String>,
) -> ApiResult<axum::Json<UserView>> {
    let user = state.app.disable_user(&who, &name, &crate::clock::now()).await?;
    state.tokens.clear();
    Ok(axum::Json(user_view(&user)))
}

/// What enabling a user did.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnableOutcome {
    /// The user.
    pub name: String,
    /// `enabled`, or `proposed` (a second admin confirms with the same request).
    pub outcome: String,
}

/// Enables a disabled user (admins only). It takes two admins: the first request proposes (202),
/// another admin's request enables (200); with a single enabled admin, at once (200).
/// `TWO_PERSON_RULE` when the proposer asks again, `NOT_DISABLED` for a user who is not disabled.
#[utoipa::path(post, path = "/api/v1/users/{name}/enable", tag = "access",
    params(("name" = String, Path, description = "User name")),
    responses((status = 200, body = EnableOutcome), (status = 202, body = EnableOutcome), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn enable_user(
    State(state): State<AppState>,
    who: Principal,
    PathParam(name): PathParam<String>,
) -> ApiResult<(StatusCode, axum::Json<EnableOutcome>)> {
    use custodia_store::access::Enabling;
    let (status, outcome) = match state.app.enable_user(&who, &name, &crate::clock::now()).await? {
        Enabling::Enabled => (StatusCode::OK, "enabled"),
        Enabling::Proposed => (StatusCode::ACCEPTED, "proposed"),
    };
    Ok((status, axum::Json(EnableOutcome { name, outcome: outcome.to_owned() })))
}

/// Every user change and the open access warnings (admins and auditors).
#[utoipa::path(get, path = "/api/v1/user-changes", tag = "access",
    responses((status = 200, body = UserChanges), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_user_changes(
    State(state): State<AppState>,
    who: Principal,
    crate::extract::Lang(language): crate::extract::Lang,
) -> ApiResult<axum::Json<UserChanges>> {
    let changes = state.app.user_changes(&who).await?;
    let warnings = state.app.access_warnings().await?;
    Ok(axum::Json(UserChanges {
        changes: changes.iter().map(change_view).collect(),
        warnings: warnings
            .iter()
            .map(|w| AccessWarningView { code: w.code().into(), message: w.text(language) })
            .collect(),
    }))
}

/// Confirms a pending user change: an admin other than its proposer (`TWO_PERSON_RULE`).
#[utoipa::path(post, path = "/api/v1/user-changes/{id}/confirm", tag = "access",
    params(("id" = i64, Path, description = "Change id"), ("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe key")),
    responses((status = 200, body = UserChangeView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn confirm_user_change(
    State(state): State<AppState>,
    who: Principal,
    PathParam(id): PathParam<i64>,
) -> ApiResult<axum::Json<UserChangeView>> {
    let change = state.app.confirm_user_change(&who, id, &crate::clock::now()).await?;
    state.tokens.clear();
    Ok(axum::Json(change_view(&change)))
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
    /// When it stops working (RFC 3339 UTC), if it expires.
    pub expires_at: Option<String>,
}

fn token_view(t: &TokenRow) -> TokenView {
    TokenView {
        id: t.id,
        user: t.user_name.clone(),
        label: t.label.clone(),
        created_at: t.created_at.clone(),
        revoked_at: t.revoked_at.clone(),
        expires_at: t.expires_at.clone(),
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
    /// The token stops working after this long: `30d`, `8h`, `90m`, `3600s` (at most ten years).
    pub expires_in: Option<String>,
    /// The token stops working at this instant (RFC 3339). Not with `expires_in`.
    pub expires_at: Option<String>,
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
    let now = crate::clock::now();
    let expiry = custodia_app::users::token_expiry(&now, body.expires_in.as_deref(), body.expires_at.as_deref())?;
    let token = state.app.issue_own_token(&who, &body.label, expiry.as_ref(), &now).await?;
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
    /// The new token stops working after this long: `30d`, `8h`, `90m`, `3600s`.
    pub expires_in: Option<String>,
    /// The new token stops working at this instant (RFC 3339). Not with `expires_in`.
    pub expires_at: Option<String>,
}

/// Exchanges a name and password for a new token labelled `login`. Failures count per user and
/// client address (`auth_failures_per_minute`) and per address (ten times that): beyond either,
/// the password is not checked and the answer is 429 with `Retry-After`. Attempts are counted
/// before the password is checked, so parallel guesses check no more than the limit; a success
/// does not count (docs/access.md#failed-attempts).
#[utoipa::path(post, path = "/api/v1/login", tag = "access", request_body = Login, security(()),
    responses((status = 201, body = NewToken), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    parts: Parts,
    JsonBody(body): JsonBody<Login>,
) -> ApiResult<(StatusCode, axum::Json<NewToken>)> {
    let wall = crate::clock::now();
    let expiry = custodia_app::users::token_expiry(&wall, body.expires_in.as_deref(), body.expires_at.as_deref())?;
    let issued = limited_sign_in(&state, &parts, &body.name, &body.password, expiry.as_ref()).await?;
    Ok((StatusCode::CREATED, axum::Json(new_token_view(&issued))))
}

/// Signs in with a password under the failed-attempt limits (docs/access.md#failed-attempts):
/// failures count per user and address and per address; beyond the limit a sign-in is refused
/// (429) before the password is checked. The API's login and the web interface's sign-in.
pub(crate) async fn limited_sign_in(
    state: &AppState,
    parts: &Parts,
    name: &str,
    password: &str,
    expiry: Option<&custodia_store::Timestamp>,
) -> ApiResult<custodia_app::users::IssuedToken> {
    let wall = crate::clock::now();
    let client = state.client(parts);
    let now = crate::clock::instant();
    let user_key = (custodia_app::access::token_hash(&custodia_app::access::user_name_key(name)), client);
    let for_user = state.sign_in_failures.take(&user_key, now).map_err(ApiError::rate_limited)?;
    let for_address = match state.sign_in_address_failures.take(&client, now) {
        Ok(ticket) => ticket,
        Err(retry_after) => {
            state.sign_in_failures.give_back(&user_key, for_user);
            return Err(ApiError::rate_limited(retry_after));
        }
    };
    let outcome = state.app.sign_in(name, password, expiry, &wall).await;
    if let Err(custodia_app::AppError::Unauthenticated(message)) = outcome {
        tracing::warn!(%client, "sign-in refused");
        return Err(ApiError::sign_in_refused(message));
    }
    state.sign_in_failures.give_back(&user_key, for_user);
    state.sign_in_address_failures.give_back(&client, for_address);
    Ok(outcome?)
}
