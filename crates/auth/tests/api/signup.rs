use common::testing::{assert_errors, expect_status};
use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{spawn, spawn_with_env};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_returns_201_with_the_user_a_token_and_a_session() {
    let app = spawn().await;
    let response = app
        .api
        .http
        .post(app.endpoint("/api/users/signup"))
        .json(&json!({"email": "test@test.com", "password": "password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let cookies = crate::helpers::set_cookies(&response);
    let body: Value = response.json().await.unwrap();
    let object = body.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["email", "id", "token"]);
    assert_eq!(body["email"], "test@test.com");
    let id = body["id"].as_str().unwrap();
    assert!(id.parse::<common::UserId>().is_ok(), "id is a UUID: {id}");
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(cookies[0].starts_with("session="), "{cookies:?}");

    let token = body["token"].as_str().unwrap();
    let current = app.current_user(Some(token)).await;
    assert_eq!(current["id"], body["id"]);
    assert_eq!(current["email"], "test@test.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_validation_reports_every_failing_field() {
    let app = spawn().await;
    let email = ("Email must be valid", Some("email"));
    let length = (
        "Password must be between 4 and 20 characters",
        Some("password"),
    );
    let cases = [
        (
            json!({"email": "test@test.com"}),
            vec![length],
            "no password",
        ),
        (json!({"password": "password"}), vec![email], "no email"),
        (json!({}), vec![email, length], "empty body"),
        (json!([]), vec![email, length], "not an object"),
        (
            json!({"email": "alskdflaskjfd", "password": "password"}),
            vec![email],
            "invalid email",
        ),
        (
            json!({"email": "test@localhost", "password": "password"}),
            vec![email],
            "domain without a dot",
        ),
        (
            json!({"email": 42, "password": "password"}),
            vec![email],
            "email not a string",
        ),
        (
            json!({"email": "test@test.com", "password": "p"}),
            vec![length],
            "password too short",
        ),
        (
            json!({"email": "test@test.com", "password": "abc"}),
            vec![length],
            "3 characters",
        ),
        (
            json!({"email": "test@test.com", "password": "a".repeat(21)}),
            vec![length],
            "21 characters",
        ),
        (
            json!({"email": "test@test.com", "password": 12345}),
            vec![length],
            "password not a string",
        ),
        (
            json!({"email": "nope", "password": ""}),
            vec![email, length],
            "both invalid",
        ),
    ];
    for (body, expected, why) in cases {
        let response = app.api.post("/api/users/signup", None, &body).await;
        let body = expect_status(response, 400, why);
        assert_errors(&body, &expected, why);
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 0, "no invalid sign-up creates an account");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_length_bounds_are_inclusive_and_in_characters() {
    let app = spawn().await;
    let cases = [
        ("four@test.com", "abcd", "4 characters"),
        ("twenty@test.com", "aaaaaaaaaaaaaaaaaaaa", "20 characters"),
        (
            "unicode@test.com",
            "éééééééééééééééééééé",
            "20 characters in 40 bytes",
        ),
    ];
    for (email, password, why) in cases {
        let response = app
            .api
            .post(
                "/api/users/signup",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        expect_status(response, 201, why);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_email_is_in_use() {
    let app = spawn().await;
    app.signup("test@test.com", "password").await;
    let response = app
        .api
        .post(
            "/api/users/signup",
            None,
            &json!({"email": "test@test.com", "password": "another"}),
        )
        .await;
    let body = expect_status(response, 400, "second sign-up");
    assert_errors(&body, &[("Email in use", None)], "second sign-up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emails_are_trimmed_and_lower_cased_so_one_address_is_one_account() {
    let app = spawn().await;
    let body = app.signup("  Test@Example.com ", "password").await;
    assert_eq!(body["email"], "test@example.com");

    let response = app
        .api
        .post(
            "/api/users/signup",
            None,
            &json!({"email": "test@example.com", "password": "password"}),
        )
        .await;
    let again = expect_status(response, 400, "the same address in another spelling");
    assert_errors(&again, &[("Email in use", None)], "normalised duplicate");

    let stored: Vec<String> = sqlx::query_scalar("SELECT email FROM users")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, ["test@example.com"]);

    let (status, signed_in) = app.signin("TEST@example.COM", "password").await;
    assert_eq!(status, 200, "{signed_in}");
    assert_eq!(signed_in["id"], body["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_are_stored_as_argon2id_hashes_and_never_trimmed() {
    let app = spawn().await;
    app.signup("spaces@test.com", " pass ").await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(" pass "));

    let (status, body) = app.signin("spaces@test.com", "pass").await;
    assert_eq!(
        status, 400,
        "the trimmed password is another password: {body}"
    );
    let (status, body) = app.signin("spaces@test.com", " pass ").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_signups_of_one_email_have_exactly_one_winner() {
    // Room for all ten at once: this is about the database deciding, not the hashing bound.
    let app = spawn_with_env(&[("PASSWORD_HASHING_QUEUE", "16")]).await;
    let body = json!({"email": "race@test.com", "password": "password"});
    let attempts = (0..10).map(|_| app.api.post("/api/users/signup", None, &body));
    let results = join_all(attempts).await;

    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 400, "{body}");
        assert_errors(body, &[("Email in use", None)], "losing sign-up");
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_emails_do_not_make_distinct_accounts() {
    let app = spawn().await;
    app.signup("test@example.com", "secret").await;
    let cases = [
        (
            "ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "Email in use",
            "full-width letters fold into the same address",
        ),
        (
            "tеst@example.com",
            "Email must be written with ASCII letters, digits and punctuation (IDN domains as xn--)",
            "a Cyrillic е",
        ),
        (
            "te\u{200B}st@example.com",
            "Email must be written with ASCII letters, digits and punctuation (IDN domains as xn--)",
            "a zero-width space",
        ),
    ];
    for (email, message, why) in cases {
        let (status, body) = app
            .api
            .post(
                "/api/users/signup",
                None,
                &json!({"email": email, "password": "secret"}),
            )
            .await;
        assert_eq!(status, 400, "{why}: {body}");
        assert_eq!(body["errors"][0]["message"], message, "{why}");
    }
    let (status, body) = app
        .signin("ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ", "secret")
        .await;
    assert_eq!(
        status, 200,
        "the full-width form signs in to the one account: {body}"
    );
}
