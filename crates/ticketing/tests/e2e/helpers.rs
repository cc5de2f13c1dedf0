//! Runs several services in one process, as local mode does, on fresh databases and a fresh
//! events namespace; a test may run more than one `Stack` on the same databases and namespace.

use std::collections::HashMap;
use std::net::TcpListener;

use common::UserId;
use common::server::Running;
use common::testing::{
    Api, TEST_JWT_KEY, TestDb, database_url, expect_status, token_for, unique_namespace,
};
use serde_json::{Value, json};
use sqlx::PgPool;

/// Where a stack keeps its state: the database base name and the events namespace.
#[derive(Clone)]
pub struct World {
    pub base: String,
    pub namespace: String,
    pub nats_url: String,
}

impl World {
    pub fn new(nats_url: String) -> Self {
        Self {
            base: format!("test_{}", uuid::Uuid::new_v4().simple()),
            namespace: unique_namespace().as_str().to_owned(),
            nats_url,
        }
    }

    /// A pool onto one service's database, for assertions in SQL.
    pub async fn pool(&self, service: &str) -> PgPool {
        common::db::connect(&database_url(&format!("{}_{service}", self.base)), 2)
            .await
            .expect("database")
    }
}

pub struct Stack {
    pub api: Api,
    /// `/metrics` on the stack's internal metrics port.
    pub metrics_url: String,
    running: Option<Running>,
    _databases: Vec<TestDb>,
}

impl Stack {
    /// Starts `services` in `world`; the stack owns (and drops) their databases.
    pub async fn start(world: &World, services: &[&'static str], extra: &[(&str, &str)]) -> Self {
        let databases = services
            .iter()
            .map(|s| TestDb::named(format!("{}_{s}", world.base)))
            .collect();
        let mut stack = Self::start_on_existing(world, services, extra).await;
        stack._databases = databases;
        stack
    }

    /// Starts `services` in `world` on databases that someone else owns (a restart).
    pub async fn start_on_existing(
        world: &World,
        services: &[&'static str],
        extra: &[(&str, &str)],
    ) -> Self {
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", database_url(&world.base)),
            ("DATABASE_POOL_SIZE", "3".to_owned()),
            ("NATS_URL", world.nats_url.clone()),
            ("EVENTS_NAMESPACE", world.namespace.clone()),
            ("JWT_KEY", TEST_JWT_KEY.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (k, v) in extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        // The storefront (if running) calls the API on this stack's own port, as in local mode.
        let listener = TcpListener::bind("127.0.0.1:0").expect("port");
        let address = listener.local_addr().expect("address");
        env.entry("API_BASE_URL".to_owned())
            .or_insert_with(|| format!("http://{address}"));
        let src = ticketing::local_defaults(&env);
        let parts = ticketing::build(services, &src)
            .await
            .expect("building the services");
        let running = common::server::start(
            listener,
            common::testing::loopback(),
            parts,
            common::server::ServerOptions::workers(2),
        )
        .expect("starting");
        Self {
            api: Api::new(running.url()),
            metrics_url: running.metrics_url(),
            running: Some(running),
            _databases: Vec::new(),
        }
    }

    /// Graceful shutdown; the databases stay until the stack is dropped.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("graceful shutdown");
        }
    }

    pub async fn list_ticket(&self, token: &str, title: &str, price: Value) -> Value {
        let body = json!({"title": title, "price": price});
        expect_status(
            self.api.post("/api/tickets", Some(token), &body).await,
            201,
            "listing a ticket",
        )
    }

    pub async fn ticket(&self, id: &Value) -> Value {
        let path = format!("/api/tickets/{}", id.as_str().expect("id"));
        expect_status(self.api.get(&path, None).await, 200, "showing a ticket")
    }

    pub async fn order(&self, token: &str, order: &Value) -> Value {
        let path = format!("/api/orders/{}", order["id"].as_str().expect("id"));
        expect_status(
            self.api.get(&path, Some(token)).await,
            200,
            "showing an order",
        )
    }

    /// Orders a ticket once the orders replica has it (events are asynchronous).
    pub async fn order_when_replicated(&self, token: &str, ticket: &Value) -> Value {
        let body = json!({"ticketId": ticket["id"]});
        common::testing::eventually(
            "the ticket to reach the orders replica",
            common::testing::EVENTUALLY,
            || async {
                let (status, order) = self.api.post("/api/orders", Some(token), &body).await;
                (status == 201).then_some(order)
            },
        )
        .await
    }

    /// Pays once the payments replica knows the order; returns the final status and body.
    pub async fn pay_when_replicated(
        &self,
        token: &str,
        order: &Value,
        card: &str,
    ) -> (u16, Value) {
        let body = json!({"orderId": order["id"], "token": card});
        common::testing::eventually(
            "the order to reach the payments replica",
            common::testing::EVENTUALLY,
            || async {
                let (status, response) = self.api.post("/api/payments", Some(token), &body).await;
                (status != 404).then_some((status.as_u16(), response))
            },
        )
        .await
    }
}

/// A seller and a buyer, as signed-in bearer tokens.
pub fn seller_and_buyer() -> (String, String) {
    (token_for(UserId::new()), token_for(UserId::new()))
}
