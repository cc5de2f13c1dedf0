//! The clients: sessions are JWTs signed with the same `JWT_KEY` the harness gives the services
//! (sign-up's Argon2 would otherwise dominate the machine); requests go to each service's port.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use common::UserId;
use common::session::JwtKeys;
use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::system::System;

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    keys: Arc<JwtKeys>,
    pub tickets: String,
    pub orders: String,
}

/// One request's outcome: status (0 = no answer) and how long it took.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: u16,
    pub latency: Duration,
    pub body: Value,
}

impl Client {
    pub fn new(system: &System) -> anyhow::Result<Self> {
        let secret = secrecy::SecretString::from(system.jwt_key.clone());
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .pool_max_idle_per_host(1024)
                .build()?,
            keys: Arc::new(JwtKeys::new(&secret, 86_400)),
            tickets: system.url("tickets"),
            orders: system.url("orders"),
        })
    }

    /// A session for a new, distinct user.
    pub fn session(&self) -> anyhow::Result<String> {
        let id = UserId::new();
        self.keys
            .issue(id, &format!("{}@loadgen.test", id.0.simple()))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Outcome {
        let started = Instant::now();
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let (status, body) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        };
        Outcome {
            status,
            latency: started.elapsed(),
            body,
        }
    }

    pub async fn order(&self, token: &str, ticket: &str) -> Outcome {
        let url = format!("{}/api/orders", self.orders);
        self.send(
            reqwest::Method::POST,
            &url,
            Some(token),
            Some(&json!({"ticketId": ticket})),
        )
        .await
    }

    /// Lists `count` tickets (from `sellers` distinct sellers, `concurrency` at a time); their ids.
    pub async fn seed_tickets(
        &self,
        count: usize,
        sellers: usize,
        concurrency: usize,
    ) -> anyhow::Result<Vec<String>> {
        let tokens: Vec<String> = (0..sellers.max(1))
            .map(|_| self.session())
            .collect::<Result<_, _>>()?;
        let url = format!("{}/api/tickets", self.tickets);
        let results: Vec<anyhow::Result<String>> = futures::stream::iter(0..count)
            .map(|i| {
                let token = tokens[i % tokens.len()].clone();
                let url = url.clone();
                async move {
                    let body = json!({"title": format!("Load ticket {i}"), "price": 20});
                    let outcome = self
                        .send(reqwest::Method::POST, &url, Some(&token), Some(&body))
                        .await;
                    if outcome.status != 201 {
                        bail!(
                            "listing a ticket answered {}: {}",
                            outcome.status,
                            outcome.body
                        );
                    }
                    outcome.body["id"]
                        .as_str()
                        .map(str::to_owned)
                        .context("ticket id")
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        results.into_iter().collect()
    }
}

/// Waits until the orders replica holds at least `count` tickets.
pub async fn wait_replicated(
    system: &System,
    count: usize,
    limit: Duration,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let pool = system.pool("orders")?;
    loop {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets")
            .fetch_one(pool)
            .await?;
        if n as usize >= count {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            bail!("the orders replica has {n} of {count} tickets after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
