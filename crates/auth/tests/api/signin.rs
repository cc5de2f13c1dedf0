use std::time::{Duration, Instant};

use common::testing::{assert_errors, expect_status};
use serde_json::json;

use crate::helpers::{TestApp, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signin_returns_200_with_the_user_a_new_token_and_a_session() {
    let app = spawn().await;
    let signed_up = app.signup("test@test.com", "password").await;
    let response = app
        .api
        .http
        .post(app.endpoint("/api/users/signin"))
        .json(&json!({"email": "test@test.com", "password": "password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookies = crate::helpers::set_cookies(&response);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(cookies[0].starts_with("session="), "{cookies:?}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["id"], signed_up["id"]);
    assert_eq!(body["email"], "test@test.com");
    let token = body["token"].as_str().unwrap();
    let current = app.current_user(Some(token)).await;
    assert_eq!(current["id"], signed_up["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signin_validation_reports_every_failing_field() {
    let app = spawn().await;
    let email = ("Email must be valid", Some("email"));
    let password = ("You must supply a password", Some("password"));
    let cases = [
        (
            json!({"email": "test@test.com"}),
            vec![password],
            "no password",
        ),
        (
            json!({"email": "test@test.com", "password": ""}),
            vec![password],
            "empty password",
        ),
        (
            json!({"email": "test@test.com", "password": null}),
            vec![password],
            "null password",
        ),
        (json!({"password": "password"}), vec![email], "no email"),
        (
            json!({"email": "not-an-email", "password": "password"}),
            vec![email],
            "invalid email",
        ),
        (json!({}), vec![email, password], "empty body"),
    ];
    for (body, expected, why) in cases {
        let response = app.api.post("/api/users/signin", None, &body).await;
        let body = expect_status(response, 400, why);
        assert_errors(&body, &expected, why);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = spawn().await;
    app.signup("known@test.com", "password").await;
    let long = "a".repeat(200);
    let cases = [
        ("unknown@test.com", "password", "unknown email"),
        ("known@test.com", "wrong-password", "wrong password"),
        ("known@test.com", "Password", "password in another case"),
        ("known@test.com", long.as_str(), "a long wrong password"),
    ];
    for (email, password, why) in cases {
        let (status, body) = app.signin(email, password).await;
        assert_eq!(status, 400, "{why}: {body}");
        assert_eq!(
            body,
            json!({"errors": [{"message": "Invalid credentials"}]}),
            "{why}"
        );
    }
}

async fn timed_signin(app: &TestApp, email: &str, password: &str) -> Duration {
    let started = Instant::now();
    let (status, body) = app.signin(email, password).await;
    let elapsed = started.elapsed();
    assert_eq!(status, 400, "{body}");
    elapsed
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_email_takes_as_long_as_a_wrong_password() {
    let app = spawn().await;
    app.signup("known@test.com", "password").await;
    // Warm up the connection pool and the blocking threads.
    timed_signin(&app, "known@test.com", "warm-up").await;
    timed_signin(&app, "unknown@test.com", "warm-up").await;

    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for _ in 0..7 {
        unknown.push(timed_signin(&app, "unknown@test.com", "password").await);
        wrong.push(timed_signin(&app, "known@test.com", "wrong-password").await);
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    assert!(
        (0.33..3.0).contains(&ratio),
        "unknown email {unknown:?} vs wrong password {wrong:?} (ratio {ratio:.2})"
    );
    // A verification against a real Argon2id hash takes milliseconds: the dummy hash ran.
    let floor = Duration::from_millis(3);
    assert!(
        unknown >= floor && wrong >= floor,
        "unknown {unknown:?}, wrong {wrong:?}"
    );
}
