//! Spawns the real auth service on a fresh database.

use std::net::TcpListener;

use common::config::DatabaseSettings;
use common::server::{Running, start};
use common::testing::{Api, TestDb, expect_status, jwt_keys};
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
    let db = TestDb::new();
    let settings = auth::Settings {
        database: DatabaseSettings {
            url: db.url.clone(),
            pool_size: 4,
        },
        jwt: jwt_keys(),
        cookie_secure,
    };
    let part = auth::build(settings)
        .await
        .unwrap_or_else(|e| panic!("building the auth service: {e:#}"));
    let listener =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("binding a port: {e}"));
    let running = start(listener, common::testing::loopback(), vec![part], 1)
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
