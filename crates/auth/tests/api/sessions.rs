use common::UserId;
use common::session::Claims;
use common::testing::{TEST_JWT_KEY, expect_status, jwt_keys};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::{browser, set_cookies, spawn, spawn_with};

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn signed(claims: &Claims, key: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .unwrap_or_else(|e| panic!("signing a test token: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_the_current_user_is_null() {
    let app = spawn().await;
    let response = app.api.get("/api/users/currentuser", None).await;
    let body = expect_status(response, 200, "currentuser");
    assert_eq!(body, json!({"currentUser": null}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bearer_token_gives_the_claims() {
    let app = spawn().await;
    let signed_up = app.signup("bearer@test.com", "password").await;
    let token = signed_up["token"].as_str().unwrap();
    let current = app.current_user(Some(token)).await;
    let object = current.as_object().unwrap();
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["email", "exp", "iat", "id"]);
    assert_eq!(current["id"], signed_up["id"]);
    assert_eq!(current["email"], "bearer@test.com");
    let (iat, exp) = (
        current["iat"].as_i64().unwrap(),
        current["exp"].as_i64().unwrap(),
    );
    assert!((now() - iat).abs() < 60, "iat {iat} is now");
    assert_eq!(exp - iat, 86_400, "the default lifetime");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_tokens_are_no_session() {
    let app = spawn().await;
    let id = UserId::new();
    let claims = |iat: i64, exp: i64| Claims {
        id,
        email: "a@test.com".into(),
        iat,
        exp,
        sid: None,
    };
    let good = jwt_keys().issue(id, "a@test.com").unwrap();
    assert!(
        !app.current_user(Some(&good)).await.is_null(),
        "the control token is valid"
    );

    let expired = signed(&claims(now() - 100, now() - 10), TEST_JWT_KEY);
    let wrong_key = signed(&claims(now(), now() + 3600), "another-key");
    let mut tampered = good.clone();
    let signature_start = good.rfind('.').unwrap() + 1;
    let flipped = if &good[signature_start..=signature_start] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(signature_start..=signature_start, flipped);
    let payload = good.split('.').nth(1).unwrap();
    // {"alg":"none","typ":"JWT"}
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    // {"id":...,"email":"admin@test.com",...} with the original signature
    let forged_payload = {
        let header = good.split('.').next().unwrap();
        let signature = &good[signature_start..];
        let other = jwt_keys().issue(UserId::new(), "admin@test.com").unwrap();
        let other_payload = other.split('.').nth(1).unwrap();
        format!("{header}.{other_payload}.{signature}")
    };

    let cases = [
        (expired, "expired"),
        (wrong_key, "signed with another key"),
        (tampered, "tampered signature"),
        (forged_payload, "payload swapped under a signature"),
        (unsigned, "alg: none"),
        ("garbage".to_owned(), "not a JWT"),
    ];
    for (token, why) in cases {
        assert_eq!(
            app.current_user(Some(&token)).await,
            Value::Null,
            "{why} (bearer)"
        );
        let response = app
            .api
            .http
            .get(app.endpoint("/api/users/currentuser"))
            .header("Cookie", format!("session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{why}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({"currentUser": null}), "{why} (cookie)");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_attributes_follow_cookie_secure() {
    for secure in [true, false] {
        let app = spawn_with(secure).await;
        let response = app
            .api
            .http
            .post(app.endpoint("/api/users/signup"))
            .json(&json!({"email": "cookie@test.com", "password": "password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let cookies = set_cookies(&response);
        let body: Value = response.json().await.unwrap();
        let cookie = &cookies[0];
        let token = body["token"].as_str().unwrap();
        for part in [
            format!("session={token}"),
            "HttpOnly".to_owned(),
            "SameSite=Lax".to_owned(),
            "Path=/".to_owned(),
            "Max-Age=86400".to_owned(),
        ] {
            assert!(
                cookie.contains(&part),
                "secure={secure}: {cookie} lacks {part}"
            );
        }
        assert_eq!(cookie.contains("Secure"), secure, "{cookie}");

        let response = app
            .api
            .http
            .post(app.endpoint("/api/users/signout"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cleared = set_cookies(&response);
        assert_eq!(cleared.len(), 1, "{cleared:?}");
        for part in ["session=", "Max-Age=0", "Path=/", "HttpOnly"] {
            assert!(cleared[0].contains(part), "{} lacks {part}", cleared[0]);
        }
        assert_eq!(cleared[0].contains("Secure"), secure, "{}", cleared[0]);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body, json!({}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_session_lasts_from_signup_to_signout() {
    // Plain HTTP here, so the cookie must not be Secure for the client to send it back.
    let app = spawn_with(false).await;
    let browser = browser();
    let current = || async {
        let response = browser
            .get(app.endpoint("/api/users/currentuser"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().await.unwrap()["currentUser"].clone()
    };
    assert_eq!(current().await, Value::Null, "before signing up");

    let response = browser
        .post(app.endpoint("/api/users/signup"))
        .json(&json!({"email": "browser@test.com", "password": "password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let signed_up: Value = response.json().await.unwrap();
    assert_eq!(current().await["id"], signed_up["id"], "after signing up");

    let response = browser
        .post(app.endpoint("/api/users/signout"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(current().await, Value::Null, "after signing out");

    let response = browser
        .post(app.endpoint("/api/users/signin"))
        .json(&json!({"email": "browser@test.com", "password": "password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        current().await["email"],
        "browser@test.com",
        "after signing in"
    );
}
