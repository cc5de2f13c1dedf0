//! Brute force and spam are throttled: sign-in per account and per client address, sign-up per
//! address; 429 with `Retry-After` in the contract's error body. The address is the peer's, or
//! the one a trusted proxy forwarded.

use common::testing::assert_errors;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, spawn, spawn_with_env};

const TOO_MANY: &str = "Too many attempts: please try again later";

/// A sign-in as seen through a proxy that forwarded `address` (or straight, with `None`).
async fn signin_from(app: &TestApp, address: Option<&str>, email: &str) -> (u16, Option<String>) {
    let mut request = app
        .api
        .http
        .post(app.endpoint("/api/users/signin"))
        .json(&json!({"email": email, "password": "guess"}));
    if let Some(address) = address {
        request = request.header("x-forwarded-for", address);
    }
    let response = request.send().await.expect("a response");
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status().as_u16(), retry_after)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_one_accounts_password_is_throttled() {
    let app = spawn().await;
    app.signup("victim@example.com", "right-one").await;
    for attempt in 1..=10 {
        let (status, body) = app.signin("victim@example.com", "wrong").await;
        assert_eq!(status, 400, "attempt {attempt}: {body}");
    }
    let (status, body) = app.signin("victim@example.com", "wrong").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_errors(&body, &[(TOO_MANY, None)], "the 11th guess within a minute");
    let (status, _) = app.signin("victim@example.com", "right-one").await;
    assert_eq!(
        status, 429,
        "the account is held for the rest of the minute"
    );
    let (status, _) = app.signin("bystander@example.com", "anything").await;
    assert_eq!(status, 400, "other accounts are not affected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_and_sign_ups_from_one_address_are_throttled() {
    let app = spawn_with_env(&[
        ("RATE_LIMIT_SIGNIN_PER_ADDRESS", "3/minute"),
        ("RATE_LIMIT_SIGNUP_PER_ADDRESS", "2/hour"),
    ])
    .await;
    for i in 0..3 {
        let (status, _) = signin_from(&app, None, &format!("nobody{i}@example.com")).await;
        assert_eq!(status, 400);
    }
    let (status, retry_after) = signin_from(&app, None, "nobody9@example.com").await;
    assert_eq!(status, 429, "a fourth account from the same address");
    let seconds: u64 = retry_after
        .and_then(|s| s.parse().ok())
        .expect("Retry-After");
    assert!((1..=20).contains(&seconds), "{seconds}");

    app.signup("one@example.com", "secret").await;
    app.signup("two@example.com", "secret").await;
    let (status, body) = app
        .api
        .post(
            "/api/users/signup",
            None,
            &json!({"email": "three@example.com", "password": "secret"}),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    assert_errors(
        &body,
        &[(TOO_MANY, None)],
        "a third sign-up within the hour",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_address_counts_only_behind_a_trusted_proxy() {
    // The test client is on loopback, which is trusted by default: it stands for a proxy.
    let behind_proxy = spawn_with_env(&[("RATE_LIMIT_SIGNIN_PER_ADDRESS", "2/minute")]).await;
    for i in 0..2 {
        let (status, _) = signin_from(
            &behind_proxy,
            Some("198.51.100.1"),
            &format!("a{i}@example.com"),
        )
        .await;
        assert_eq!(status, 400);
    }
    let (status, _) = signin_from(&behind_proxy, Some("198.51.100.1"), "a9@example.com").await;
    assert_eq!(status, 429, "the forwarded client is counted");
    let (status, _) = signin_from(&behind_proxy, Some("198.51.100.2"), "b@example.com").await;
    assert_eq!(
        status, 400,
        "another client behind the same proxy has its own budget"
    );

    // Trusting nobody, the header is the client's own claim: ignored.
    let direct = spawn_with_env(&[
        ("RATE_LIMIT_SIGNIN_PER_ADDRESS", "2/minute"),
        ("TRUSTED_PROXIES", "none"),
    ])
    .await;
    for (i, claimed) in ["198.51.100.1", "198.51.100.2"].iter().enumerate() {
        let (status, _) = signin_from(&direct, Some(claimed), &format!("c{i}@example.com")).await;
        assert_eq!(status, 400);
    }
    let (status, _) = signin_from(&direct, Some("198.51.100.3"), "c9@example.com").await;
    assert_eq!(status, 429, "a made-up header does not buy a new budget");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_off_lets_everything_through() {
    let app = spawn_with_env(&[("RATE_LIMITS", "off")]).await;
    for _ in 0..25 {
        let (status, _) = app.signin("someone@example.com", "wrong").await;
        assert_eq!(status, 400);
    }
}
