use common::UserId;
use common::testing::{TEST_JWT_KEY, assert_errors};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{spawn, user};

fn sign(claims: serde_json::Value, key: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("signing")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sessions_are_no_session() {
    let app = spawn().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let id = UserId::new();
    let claims = |exp: i64| json!({"id": id, "email": "a@b.co", "iat": now - 10, "exp": exp});
    let valid = sign(claims(now + 600), TEST_JWT_KEY);
    let payload = valid.split('.').nth(1).expect("payload").to_owned();
    let cases = [
        ("expired", sign(claims(now - 1), TEST_JWT_KEY)),
        ("wrong key", sign(claims(now + 600), "another-key")),
        ("tampered", format!("{valid}x")),
        (
            "alg none",
            format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    let body = json!({"title": "concert", "price": 10});
    for (case, token) in cases {
        let (status, response) = app.api.post("/api/tickets", Some(&token), &body).await;
        assert_eq!(status, 401, "{case}");
        assert_errors(&response, &[("Not authorized", None)], case);
    }
    let (status, _) = app.api.post("/api/tickets", Some(&valid), &body).await;
    assert_eq!(status, 201, "the valid token works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_is_accepted() {
    let app = spawn().await;
    let (_, token) = user();
    let response = app
        .api
        .http
        .post(format!("{}/api/tickets", app.api.base))
        .header("cookie", format!("session={token}"))
        .json(&json!({"title": "concert", "price": 10}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
}
