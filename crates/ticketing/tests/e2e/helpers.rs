//! Runs several services in one process, as local mode does, on fresh databases and a fresh
//! events namespace.

use std::collections::HashMap;
use std::net::TcpListener;

use common::server::Running;
use common::testing::{Api, TEST_JWT_KEY, TestDb, expect_status, unique_namespace};
use serde_json::{Value, json};

pub struct Stack {
    pub api: Api,
    pub namespace: String,
    running: Option<Running>,
    _databases: Vec<TestDb>,
}

pub struct Options<'a> {
    pub services: &'a [&'static str],
    pub nats_url: String,
    pub extra: &'a [(&'a str, &'a str)],
}

impl Stack {
    pub async fn start(options: Options<'_>) -> Self {
        let base = format!("test_{}", uuid::Uuid::new_v4().simple());
        let databases = options
            .services
            .iter()
            .map(|s| TestDb::named(format!("{base}_{s}")))
            .collect();
        let namespace = unique_namespace().as_str().to_owned();
        let mut env: HashMap<String, String> = [
            ("DATABASE_URL", common::testing::database_url(&base)),
            ("DATABASE_POOL_SIZE", "4".to_owned()),
            ("NATS_URL", options.nats_url),
            ("EVENTS_NAMESPACE", namespace.clone()),
            ("JWT_KEY", TEST_JWT_KEY.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (k, v) in options.extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let src = ticketing::local_defaults(&env);
        let parts = ticketing::build(options.services, &src)
            .await
            .expect("building the services");
        let listener = TcpListener::bind("127.0.0.1:0").expect("port");
        let running = common::server::start(listener, parts, 2).expect("starting");
        Self {
            api: Api::new(running.url()),
            namespace,
            running: Some(running),
            _databases: databases,
        }
    }

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
}
