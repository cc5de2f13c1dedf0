//! Spawns the real auth service on a fresh database.

use std::collections::HashMap;

use common::config::HostSettings;
use common::server::{Running, ServerOptions, start};
use common::telemetry::LogFormat;
use common::testing::{Api, TEST_JWT_KEY, TestDb, expect_status, loopback, unique_namespace};
use reqwest::header::SET_COOKIE;
use serde_json::{Value, json};
use sqlx::PgPool;

pub struct TestApp {
    pub api: Api,
    pub url: String,
    pub pool: PgPool,
    _running: Running,
    _db: TestDb,
}

/// The app as deployed: `COOKIE_SECURE=true`.
pub async fn spawn() -> TestApp {
    spawn_with(true).await
}

pub async fn spawn_with(cookie_secure: bool) -> TestApp {
    let secure = cookie_secure.to_string();
    spawn_with_env(&[("COOKIE_SECURE", secure.as_str())]).await
}

/// The app with its settings read from a test environment plus `extra` variables.
pub async fn spawn_with_env(extra: &[(&str, &str)]) -> TestApp {
    let db = TestDb::new();
    let namespace = unique_namespace();
    let mut env: HashMap<String, String> = [
        ("DATABASE_URL", db.url.as_str()),
        ("DATABASE_POOL_SIZE", "4"),
        ("JWT_KEY", TEST_JWT_KEY),
        ("EVENTS_NAMESPACE", namespace.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    let settings =
        auth::Settings::from_source(&env).unwrap_or_else(|e| panic!("test settings: {e}"));
    let host = HostSettings::from_source(&env, LogFormat::Json)
        .unwrap_or_else(|e| panic!("test host settings: {e}"));
    let part = auth::build(settings)
        .await
        .unwrap_or_else(|e| panic!("building the auth service: {e:#}"));
    let options = ServerOptions {
        workers: 1,
        ..ServerOptions::from_host(&host)
    };
    let running = start(loopback(), loopback(), vec![part], options)
        .unwrap_or_else(|e| panic!("starting the server: {e:#}"));
    TestApp {
        api: Api::new(running.url()),
        url: running.url(),
        pool: db.pool().await,
        _running: running,
        _db: db,
    }
}

/// A browser-like client that keeps cookies.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap_or_else(|e| panic!("building a cookie-keeping client: {e}"))
}

/// The `Set-Cookie` headers of a response.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

impl TestApp {
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Signs a new account up and returns the body (`id`, `email`, `token`).
    pub async fn signup(&self, email: &str, password: &str) -> Value {
        let response = self
            .api
            .post(
                "/api/users/signup",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        expect_status(response, 201, "signing up")
    }

    pub async fn signin(&self, email: &str, password: &str) -> (reqwest::StatusCode, Value) {
        self.api
            .post(
                "/api/users/signin",
                None,
                &json!({"email": email, "password": password}),
            )
            .await
    }

    pub async fn current_user(&self, token: Option<&str>) -> Value {
        let response = self.api.get("/api/users/currentuser", token).await;
        expect_status(response, 200, "currentuser")["currentUser"].clone()
    }
}
