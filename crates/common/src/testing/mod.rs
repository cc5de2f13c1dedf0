//! Test utilities (feature "testing"): a database per test, an events namespace per test, a
//! private NATS server for fault tests, sessions for any user, and polling for eventual state.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use serde_json::Value;
use sqlx::PgPool;

mod proxy;
mod stateless;

pub use proxy::OutageProxy;
pub use stateless::Stateless;

use crate::bus::Namespace;
use crate::ids::UserId;
use crate::session::JwtKeys;

/// The JWT key every test app is built with.
pub const TEST_JWT_KEY: &str = "test-jwt-key-not-for-production-at-least-32-bytes";

/// The Postgres server tests use: `DATABASE_URL`, else the local one on 5432, else one in
/// Docker (see `crate::dev_servers`).
pub fn database_server_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| format!("{}/postgres", found(|s| s.postgres)))
}

/// The NATS server tests use: `NATS_URL`, else the local one on 4222, else one in Docker.
pub fn nats_url() -> String {
    std::env::var("NATS_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| found(|s| s.nats))
}

/// A server of the development pair; a test without one fails at once, saying what to do.
fn found(pick: fn(crate::dev_servers::DevServers) -> Option<String>) -> String {
    match crate::dev_servers::shared(&crate::config::Env) {
        Ok(servers) => pick(servers).unwrap_or_else(|| unreachable!("unset, so found")),
        Err(e) => panic!("{e}"),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// The URL of a database named `name` on the test server.
pub fn database_url(name: &str) -> String {
    let server = database_server_url();
    match server.rfind('/') {
        Some(i) if server[..i].contains("://") && !server[..i].ends_with('/') => {
            let query = server[i..]
                .find('?')
                .map(|q| &server[i + q..])
                .unwrap_or("");
            format!("{}/{name}{query}", &server[..i])
        }
        _ => format!("{server}/{name}"),
    }
}

/// A fresh, empty database, dropped when the value is dropped.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// Names a new database; the service under test creates and migrates it on start.
    pub fn new() -> Self {
        let name = unique("test");
        Self {
            url: database_url(&name),
            name,
        }
    }

    /// A database of a given name (the launcher derives `<base>_<service>` names), dropped at the end.
    pub fn named(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            url: database_url(&name),
            name,
        }
    }

    /// A small pool onto this database, for assertions made straight in SQL.
    pub async fn pool(&self) -> PgPool {
        crate::db::connect(&self.url, 2)
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e:#}", self.name))
    }
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = database_url("postgres");
        let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop runs outside async: a short-lived thread with its own runtime does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A namespace of its own, so parallel tests never see each other's events.
pub fn unique_namespace() -> Namespace {
    Namespace::parse(&unique("test")).unwrap_or_else(|e| panic!("{e}"))
}

pub fn jwt_keys() -> JwtKeys {
    JwtKeys::new(
        &SecretString::from(TEST_JWT_KEY),
        crate::session::DEFAULT_TTL_SECONDS,
    )
}

/// A signed-in session token for any user.
pub fn token_for(user: UserId) -> String {
    jwt_keys()
        .issue(user, &format!("{user}@example.com"))
        .unwrap_or_else(|e| panic!("issuing a test token: {e}"))
}

/// Polls `check` until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The default wait for eventually-consistent state in tests.
pub const EVENTUALLY: Duration = Duration::from_secs(15);

/// A JSON API client for black-box tests: every call returns the status and the parsed body.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(base: impl Into<String>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|e| panic!("building a reqwest client: {e}"));
        Self {
            base: base.into(),
            http,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }
}

/// Asserts an error body (docs/contract.md#errors): `errors` messages (and fields) in order.
pub fn assert_errors(body: &Value, expected: &[(&str, Option<&str>)], context: &str) {
    let actual: Vec<(String, Option<String>)> = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{context}: no errors array in {body}"))
        .iter()
        .map(|e| {
            (
                e["message"].as_str().unwrap_or_default().to_owned(),
                e["field"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let expected: Vec<(String, Option<String>)> = expected
        .iter()
        .map(|(m, f)| ((*m).to_owned(), f.map(str::to_owned)))
        .collect();
    assert_eq!(actual, expected, "{context}");
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("finding a free port: {e}"))
}

/// A private `nats-server` with JetStream on a free port and a temporary store, for tests and
/// load scenarios that kill and restart NATS; [`NatsServer::cluster`] makes several with routes
/// between them, one JetStream cluster.
pub struct NatsServer {
    port: u16,
    /// The server's name in a cluster (`-n`), empty alone.
    pub name: String,
    store: PathBuf,
    /// Cluster arguments: its route port and its peers' routes.
    cluster: Vec<String>,
    child: Option<Child>,
}

impl NatsServer {
    pub fn start() -> Self {
        let mut server = Self::new(String::new(), Vec::new());
        server.resume();
        server
    }

    fn new(name: String, cluster: Vec<String>) -> Self {
        Self {
            port: free_port(),
            name,
            store: std::env::temp_dir().join(unique("nats")),
            cluster,
            child: None,
        }
    }

    /// `size` servers forming one JetStream cluster, each routed to the others; returns once
    /// every one accepts clients. They are named `node1`, `node2`, ...
    pub fn cluster(size: usize) -> Vec<Self> {
        let routes: Vec<u16> = (0..size).map(|_| free_port()).collect();
        let mut nodes: Vec<Self> = routes
            .iter()
            .enumerate()
            .map(|(i, route)| {
                let peers: Vec<String> = routes
                    .iter()
                    .filter(|r| *r != route)
                    .map(|r| format!("nats://127.0.0.1:{r}"))
                    .collect();
                let args = vec![
                    "--cluster_name".to_owned(),
                    "testing".to_owned(),
                    "--cluster".to_owned(),
                    format!("nats://127.0.0.1:{route}"),
                    "--routes".to_owned(),
                    peers.join(","),
                ];
                Self::new(format!("node{}", i + 1), args)
            })
            .collect();
        for node in &mut nodes {
            node.resume();
        }
        nodes
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// `kill -9` (its stored streams survive for `resume`).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and store, and waits until it accepts.
    pub fn resume(&mut self) {
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
        let mut command = Command::new(&binary);
        command
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .args(&self.cluster);
        if !self.name.is_empty() {
            command.args(["-n", &self.name]);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {binary} (is nats-server installed?): {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "nats-server did not start on port {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.store);
    }
}

/// Checks a response status with the body in the failure message.
pub fn expect_status(actual: (StatusCode, Value), expected: u16, context: &str) -> Value {
    assert_eq!(actual.0.as_u16(), expected, "{context}: body {}", actual.1);
    actual.1
}

/// Reads the events published on one subject of a namespace, from the start of the stream.
pub struct EventTap {
    messages: async_nats::jetstream::consumer::pull::Stream,
}

impl EventTap {
    pub async fn new(bus: &crate::bus::Bus, subject: &str) -> Self {
        use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
        let stream = bus
            .ensure_stream()
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let consumer = stream
            .create_consumer(pull::Config {
                filter_subject: bus.namespace().subject(subject),
                ack_policy: AckPolicy::None,
                deliver_policy: DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("tap consumer on {subject}: {e}"));
        let messages = consumer
            .messages()
            .await
            .unwrap_or_else(|e| panic!("tap messages: {e}"));
        Self { messages }
    }

    /// The next event, or a panic after [`EVENTUALLY`].
    pub async fn next<E: crate::events::Event>(&mut self) -> E {
        use futures::StreamExt;
        let message = tokio::time::timeout(EVENTUALLY, self.messages.next())
            .await
            .unwrap_or_else(|_| panic!("no {} event within {EVENTUALLY:?}", E::SUBJECT))
            .unwrap_or_else(|| panic!("tap on {} ended", E::SUBJECT))
            .unwrap_or_else(|e| panic!("tap on {}: {e}", E::SUBJECT));
        serde_json::from_slice(&message.payload)
            .unwrap_or_else(|e| panic!("decoding {}: {e}", E::SUBJECT))
    }

    /// Whether another event arrives within `wait` (to show that none was published).
    pub async fn is_quiet_for(&mut self, wait: Duration) -> bool {
        use futures::StreamExt;
        tokio::time::timeout(wait, self.messages.next())
            .await
            .is_err()
    }
}

/// Settings for a service's database on a test database (a small pool).
pub fn database_settings(db: &TestDb) -> crate::config::DatabaseSettings {
    crate::config::DatabaseSettings {
        url: db.url.clone(),
        pool_size: 4,
    }
}

/// Settings for a service's events on the test NATS server, in `namespace`.
pub fn events_settings(namespace: &Namespace) -> crate::config::EventsSettings {
    crate::config::EventsSettings {
        nats_url: nats_url(),
        namespace: namespace.clone(),
        stream_replicas: 1,
    }
}

/// Serves built services on a free loopback port.
pub fn serve(parts: Vec<crate::server::ServicePart>) -> crate::server::Running {
    crate::server::start(
        loopback(),
        loopback(),
        parts,
        crate::server::ServerOptions::workers(2),
    )
    .unwrap_or_else(|e| panic!("starting the server: {e:#}"))
}

/// A listener on a free loopback port.
pub fn loopback() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("binding a port: {e}"))
}
