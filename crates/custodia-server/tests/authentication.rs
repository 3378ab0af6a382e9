//! Authentication (docs/access.md#failed-attempts): failed attempts are limited per user and
//! address and per address, counted before the credential is checked; a valid token is accepted
//! whatever the failures; `Retry-After` and `WWW-Authenticate`; the client address behind trusted
//! proxies; token expiry; disabled users; the token cache; JSON bodies for every error status.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::{TestServer, actor};
use custodia_store::prelude::*;
use serde_json::{Value, json};

const CECOT: &str = "examples/agreements/us-sv-cecot.toml";
const PASSWORD: &str = "a long enough passphrase";

/// A request from `client` (sent as `X-Forwarded-For`, believed only from a trusted proxy).
fn from(server: &TestServer, method: reqwest::Method, path: &str, client: &str) -> reqwest::RequestBuilder {
    server.client.request(method, server.url(path)).header("x-forwarded-for", client)
}

async fn sign_in(server: &TestServer, name: &str, password: &str, client: &str) -> reqwest::Response {
    let body = json!({"name": name, "password": password});
    from(server, reqwest::Method::POST, "/api/v1/login", client).json(&body).send().await.unwrap()
}

/// Adds a user with a password, through the register.
async fn user_with_password(server: &TestServer, name: &str, role: &str) {
    let user = custodia_store::access::NewUser {
        name: name.into(),
        name_key: name.into(),
        role: role.into(),
        agreements: vec!["*".into()],
        facilities: vec!["*".into()],
        password_hash: Some(custodia_server::auth::hash_password(PASSWORD).unwrap()),
    };
    server.store.create_user(&user, &actor("setup")).await.unwrap();
}

/// Every error answer is `{code, message, field}`.
async fn error_body(response: reqwest::Response) -> Value {
    let body: Value = response.json().await.unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["code", "field", "message"], "{body}");
    body
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

async fn statuses(responses: Vec<reqwest::Response>) -> (usize, usize) {
    let refused = responses.iter().filter(|r| r.status() == 401).count();
    let limited = responses.iter().filter(|r| r.status() == 429).count();
    (refused, limited)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_limited_but_a_valid_token_is_always_accepted() {
    let server = TestServer::start_with(&[CECOT], |c| {
        c.auth_failures_per_minute = 10;
        c.token_cache_ms = 0;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let valid = server.user("ana", "auditor", &["*"], &[]).await;
    let get = |token: &str, client: &str| {
        from(&server, reqwest::Method::GET, "/api/v1/agreements", client).bearer_auth(token.to_owned()).send()
    };
    // No token: the bare challenge. A bad token: the challenge names the error (RFC 6750).
    let none = from(&server, reqwest::Method::GET, "/api/v1/agreements", "198.51.100.1").send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer realm=\"custodia\"");
    assert_eq!(error_body(none).await["code"], "UNAUTHENTICATED");
    let bad = get("cst_not-a-token", "198.51.100.1").await.unwrap();
    assert_eq!(bad.status(), 401);
    let challenge = bad.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("Bearer realm=\"custodia\", error=\"invalid_token\""), "{challenge}");

    // 100 bad tokens at once from one address, against a limit of 10: exactly 10 are answered 401
    // (counted before the lookup), the other 90 get 429 with Retry-After.
    let attempts = (0..100).map(|i| get_owned(&server, format!("cst_guess-{i}"), "198.51.100.2"));
    let answers: Vec<reqwest::Response> = futures_join(attempts).await;
    let wait = answers.iter().find(|r| r.status() == 429).map(retry_after).unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    assert_eq!(statuses(answers).await, (10, 90));
    // The real user's token from that same address is accepted (uncached: the cache is off).
    assert_eq!(get(&valid, "198.51.100.2").await.unwrap().status(), 200);
    let limited = get("cst_one-more", "198.51.100.2").await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(error_body(limited).await["code"], "RATE_LIMITED");
    // Another address has its own count.
    assert_eq!(get("cst_elsewhere", "198.51.100.3").await.unwrap().status(), 401);
    server.stop().await;
}

fn get_owned(
    server: &TestServer,
    token: String,
    client: &'static str,
) -> impl std::future::Future<Output = reqwest::Response> + use<> {
    let request = from(server, reqwest::Method::GET, "/api/v1/agreements", client).bearer_auth(token);
    async move { request.send().await.unwrap() }
}

/// Runs the requests concurrently, each on its own task.
async fn futures_join<F>(requests: impl Iterator<Item = F>) -> Vec<reqwest::Response>
where
    F: std::future::Future<Output = reqwest::Response> + Send + 'static,
{
    let handles: Vec<_> = requests.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guesses_are_limited_without_locking_out_the_real_user() {
    let server = TestServer::start_with(&[CECOT], |c| {
        c.auth_failures_per_minute = 10;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    user_with_password(&server, "lin", "auditor").await;
    // 100 parallel wrong guesses for lin from one address: at most 10 passwords are checked.
    let guesses = (0..100).map(|i| {
        let request = from(&server, reqwest::Method::POST, "/api/v1/login", "198.51.100.7")
            .json(&json!({"name": "lin", "password": format!("wrong guess {i}")}));
        async move { request.send().await.unwrap() }
    });
    let answers = futures_join(guesses).await;
    let limited = answers.iter().find(|r| r.status() == 429).unwrap();
    assert!((1..=60).contains(&retry_after(limited)));
    assert_eq!(statuses(answers).await, (10, 90), "only 10 passwords were checked");
    // lin, from their own address, signs in.
    let ok = sign_in(&server, "lin", PASSWORD, "203.0.113.5").await;
    assert_eq!(ok.status(), 201, "the attacker's failures do not lock lin out");
    let token: Value = ok.json().await.unwrap();
    assert_eq!(server.get(token["secret"].as_str().unwrap(), "/api/v1/agreements").await.0, 200);
    // From the attacker's address, even the right password is not checked for a minute.
    let blocked = sign_in(&server, "lin", PASSWORD, "198.51.100.7").await;
    assert_eq!(blocked.status(), 429);
    let refused = sign_in(&server, "lin", "wrong again", "203.0.113.5").await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["www-authenticate"], "Bearer realm=\"custodia\"");
    assert_eq!(error_body(refused).await["message"], "wrong user name or password");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_guessing_many_users_is_limited_and_forwarded_for_needs_a_trusted_proxy() {
    // One failure a minute per user and address; ten per address over all users.
    let server = TestServer::start_with(&[CECOT], |c| {
        c.auth_failures_per_minute = 1;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    user_with_password(&server, "lin", "auditor").await;
    for i in 0..10 {
        assert_eq!(sign_in(&server, &format!("user-{i}"), "wrong", "198.51.100.9").await.status(), 401);
    }
    let next = sign_in(&server, "someone-new", "wrong", "198.51.100.9").await;
    assert_eq!(next.status(), 429, "the address used up its failures over all users");
    assert_eq!(sign_in(&server, "lin", PASSWORD, "203.0.113.9").await.status(), 201);
    server.stop().await;

    // Without trusted proxies the header is ignored: every request is the peer's (127.0.0.1),
    // so a forged X-Forwarded-For does not escape the limit.
    let server = TestServer::start_with(&[CECOT], |c| c.auth_failures_per_minute = 1).await;
    user_with_password(&server, "lin", "auditor").await;
    assert_eq!(sign_in(&server, "lin", "wrong", "198.51.100.1").await.status(), 401);
    assert_eq!(sign_in(&server, "lin", "wrong", "198.51.100.2").await.status(), 429);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_and_disabled_users_are_refused_until_two_admins_enable_them() {
    let server = TestServer::start(&[CECOT]).await;
    let root = server.first_admin.clone();
    let ada = server.user("ada", "admin", &["*"], &[]).await;
    user_with_password(&server, "lin", "auditor").await;
    // Expiry at sign-in and for a new token; an expired token answers 401.
    let login = json!({"name": "lin", "password": PASSWORD, "expires_in": "8h"});
    let (status, signed_in) = server.post("", "/api/v1/login", login).await;
    assert_eq!(status, 201, "{signed_in}");
    assert!(signed_in["expires_at"].as_str().is_some(), "{signed_in}");
    let lin = signed_in["secret"].as_str().unwrap().to_owned();
    // A day after the sign-in token's expiry (eight hours from now).
    let eight_hours = custodia_store::Timestamp::parse(signed_in["expires_at"].as_str().unwrap()).unwrap();
    let later = custodia_store::Timestamp::from_unix_seconds(eight_hours.unix_seconds() + 86_400).unwrap();
    let (status, own) = server.post(&lin, "/api/v1/tokens", json!({"label": "x", "expires_at": later.as_str()})).await;
    assert_eq!((status, own["expires_at"].as_str()), (201, Some(later.as_str())), "{own}");
    let (status, far) =
        server.post(&lin, "/api/v1/tokens", json!({"label": "x", "expires_at": "2999-01-01T00:00:00Z"})).await;
    assert_eq!((status, far["field"].as_str()), (400, Some("expires_at")), "at most ten years: {far}");
    let both = json!({"label": "x", "expires_in": "1h", "expires_at": later.as_str()});
    assert_eq!(server.post(&lin, "/api/v1/tokens", both).await.0, 400);
    let (status, bad) = server.post(&lin, "/api/v1/tokens", json!({"label": "x", "expires_in": "forever"})).await;
    assert_eq!((status, bad["field"].as_str()), (400, Some("expires_in")), "{bad}");
    let (status, past) =
        server.post(&lin, "/api/v1/tokens", json!({"label": "x", "expires_at": "2001-01-01T00:00:00Z"})).await;
    assert_eq!((status, past["field"].as_str()), (400, Some("expires_at")), "{past}");
    let (secret, hash) = custodia_server::auth::new_token().unwrap();
    server.store.create_token("lin", &hash, "old", Some("2020-01-01T00:00:00Z"), &actor("setup")).await.unwrap();
    let expired = server.client.get(server.url("/api/v1/agreements")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(expired.status(), 401);
    assert!(expired.headers()["www-authenticate"].to_str().unwrap().contains("error=\"invalid_token\""));
    assert!(error_body(expired).await["message"].as_str().unwrap().contains("expired"));

    // Disabled by one admin, at once: tokens and password refused.
    assert_eq!(server.get(&lin, "/api/v1/agreements").await.0, 200);
    let (status, user) = server.post(&root, "/api/v1/users/lin/disable", json!({})).await;
    assert_eq!(status, 200, "{user}");
    assert!(user["disabled_at"].as_str().is_some());
    assert_eq!(server.get(&lin, "/api/v1/agreements").await.0, 401, "at once on this server");
    assert_eq!(server.post("", "/api/v1/login", json!({"name": "lin", "password": PASSWORD})).await.0, 401);
    let (status, refused) = server.post(&root, "/api/v1/users/lin/disable", json!({})).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("ALREADY_DISABLED")));
    // Enabled by two admins.
    let (status, proposed) = server.post(&root, "/api/v1/users/lin/enable", json!({})).await;
    assert_eq!((status, proposed["outcome"].as_str()), (202, Some("proposed")), "{proposed}");
    assert_eq!(server.get(&lin, "/api/v1/agreements").await.0, 401, "still disabled");
    let (status, own) = server.post(&root, "/api/v1/users/lin/enable", json!({})).await;
    assert_eq!((status, own["code"].as_str()), (409, Some("TWO_PERSON_RULE")), "{own}");
    let (status, enabled) = server.post(&ada, "/api/v1/users/lin/enable", json!({})).await;
    assert_eq!((status, enabled["outcome"].as_str()), (200, Some("enabled")), "{enabled}");
    assert_eq!(server.get(&lin, "/api/v1/agreements").await.0, 200);
    // The last enabled admin cannot be disabled.
    assert_eq!(server.post(&ada, "/api/v1/users/setup-admin/disable", json!({})).await.0, 200);
    assert_eq!(server.get(&root, "/api/v1/users").await.0, 401);
    let (status, last) = server.post(&ada, "/api/v1/users/ada/disable", json!({})).await;
    assert_eq!((status, last["code"].as_str()), (409, Some("LAST_ADMIN")), "{last}");
    // A disabled user gets no token on the host either.
    let app = custodia_app::App::new(server.store.clone(), [7; 32], "auth.test/journal".into());
    let now = custodia_store::Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
    let host = app.issue_token_on_host("setup-admin", "cli", None, &now).await.unwrap_err();
    assert_eq!(host.code(), "USER_DISABLED");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_or_disabled_elsewhere_stops_working_within_the_cache_time() {
    let server = TestServer::start_with(&[CECOT], |c| c.token_cache_ms = 200).await;
    let ana = server.user("ana", "auditor", &["*"], &[]).await;
    let bo = server.user("bo", "auditor", &["*"], &[]).await;
    assert_eq!(server.get(&ana, "/api/v1/agreements").await.0, 200);
    assert_eq!(server.get(&bo, "/api/v1/agreements").await.0, 200);
    // As another server sharing the database would: revoke ana's token, disable bo.
    let token = server.store.tokens().await.unwrap().into_iter().find(|t| t.user_name == "ana").unwrap();
    server.store.revoke_token(token.id, &actor("elsewhere")).await.unwrap();
    server.store.disable_user("bo", &actor("elsewhere")).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(server.get(&ana, "/api/v1/agreements").await.0, 401, "revoked: refused after the cache time");
    assert_eq!(server.get(&bo, "/api/v1/agreements").await.0, 401, "disabled: refused after the cache time");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_status_has_the_json_error_body() {
    let server = TestServer::start_with(&[CECOT], |c| c.max_body_bytes = 1024).await;
    let ana = server.user("ana", "auditor", &["*"], &[]).await;
    let unknown = server.client.get(server.url("/api/v1/nowhere")).bearer_auth(&ana).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(error_body(unknown).await["code"], "NOT_FOUND");
    let wrong_method = server.client.get(server.url("/api/v1/login")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert!(wrong_method.headers()["allow"].to_str().unwrap().contains("POST"));
    assert_eq!(error_body(wrong_method).await["code"], "METHOD_NOT_ALLOWED");
    let large = json!({"label": "x".repeat(4096)});
    let too_large =
        server.client.post(server.url("/api/v1/tokens")).bearer_auth(&ana).json(&large).send().await.unwrap();
    assert_eq!(too_large.status(), 413);
    assert_eq!(error_body(too_large).await["code"], "PAYLOAD_TOO_LARGE");
    let mut request = server.client.get(server.url("/api/v1/agreements")).bearer_auth(&ana);
    for i in 0..70 {
        request = request.header(format!("x-extra-{i}"), "v");
    }
    let headers = request.send().await.unwrap();
    assert_eq!(headers.status(), 431);
    assert_eq!(error_body(headers).await["code"], "HEADERS_TOO_LARGE");
    let text = server.client.post(server.url("/api/v1/tokens")).bearer_auth(&ana).body("{}").send().await.unwrap();
    assert_eq!(text.status(), 400);
    assert_eq!(error_body(text).await["field"], "Content-Type");
    server.stop().await;
}
