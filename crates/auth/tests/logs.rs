//! No password, stored hash or session token ever reaches the logs, even at TRACE level.
//! A separate test binary: it owns the global tracing subscriber.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

/// Every log line of the process, as written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_logs() {
    let captured = Captured::default();
    // Both formats the services use: JSON with span fields, and plain text.
    tracing_subscriber::registry()
        .with(EnvFilter::new("trace"))
        .with(
            fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(true)
                .with_writer(captured.clone()),
        )
        .with(fmt::layer().with_ansi(false).with_writer(captured.clone()))
        .try_init()
        .unwrap();

    let app = helpers::spawn_with(false).await;
    let password = "Pw-7f3a9c-hunter2";
    let email = "logs@test.com";
    let signed_up = app.signup(email, password).await;
    let signup_token = signed_up["token"].as_str().unwrap().to_owned();

    let (status, signed_in) = app.signin(email, password).await;
    assert_eq!(status, 200, "{signed_in}");
    let signin_token = signed_in["token"].as_str().unwrap().to_owned();

    assert_eq!(app.current_user(Some(&signin_token)).await["email"], email);
    let by_cookie = app
        .api
        .http
        .get(app.endpoint("/api/users/currentuser"))
        .header("Cookie", format!("session={signup_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), 200);

    // Failures must not log what was offered either.
    let wrong = "Wr0ng-e81d2b-guess";
    let (status, _) = app.signin(email, wrong).await;
    assert_eq!(status, 400);
    let (status, _) = app.signin("nobody@test.com", password).await;
    assert_eq!(status, 400);
    let short = "q9z";
    let (status, _) = app
        .api
        .post(
            "/api/users/signup",
            None,
            &json!({"email": "short@test.com", "password": short}),
        )
        .await;
    assert_eq!(status, 400);

    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let digest = hash.rsplit('$').next().unwrap().to_owned();
    let salt = hash.rsplit('$').nth(1).unwrap().to_owned();
    let signature = |token: &str| token.rsplit('.').next().unwrap().to_owned();

    let logs = captured.text();
    assert!(!logs.is_empty(), "the subscriber captured nothing");
    assert!(
        logs.contains("user signed up") && logs.contains("user signed in"),
        "the service's own events are captured"
    );
    assert!(
        logs.contains("INSERT INTO users"),
        "the database layer's statements are captured"
    );
    let secrets = [
        (password.to_owned(), "the password"),
        (wrong.to_owned(), "a wrong password"),
        (short.to_owned(), "a refused password"),
        (hash.clone(), "the stored hash"),
        (digest, "the hash digest"),
        (salt, "the hash salt"),
        (signup_token.clone(), "the sign-up token"),
        (signin_token.clone(), "the sign-in token"),
        (signature(&signup_token), "the sign-up token's signature"),
        (signature(&signin_token), "the sign-in token's signature"),
    ];
    for (secret, what) in secrets {
        assert!(!logs.contains(&secret), "{what} appears in the logs");
    }
}
