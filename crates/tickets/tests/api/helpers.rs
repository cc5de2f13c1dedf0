//! Spawns the real tickets service on a fresh database and events namespace.

use common::bus::Bus;
use common::events::{OrderCancelled, OrderCreated, OrderCreatedTicket, OrderStatus, TicketRef};
use common::server::Running;
use common::testing::{
    Api, TestDb, database_settings, events_settings, expect_status, jwt_keys, nats_url, serve,
    token_for, unique_namespace,
};
use common::{OrderId, Price, TicketId, UserId};
use serde_json::{Value, json};
use sqlx::PgPool;

pub struct TestApp {
    pub api: Api,
    pub pool: PgPool,
    pub bus: Bus,
    _running: Running,
    _db: TestDb,
}

pub async fn spawn() -> TestApp {
    spawn_with_writes_per_user(common::config::DEFAULT_WRITES_PER_USER).await
}

/// The app with its own limit on each user's writes (`RATE_LIMIT_WRITES_PER_USER`).
pub async fn spawn_with_writes_per_user(rate: &str) -> TestApp {
    let db = TestDb::new();
    let namespace = unique_namespace();
    let settings = tickets::Settings {
        database: database_settings(&db),
        events: events_settings(&namespace),
        jwt: jwt_keys(),
        writes_per_user: Some(rate.parse().expect("a rate")),
    };
    let running = serve(vec![
        tickets::build(settings)
            .await
            .expect("building the tickets service"),
    ]);
    TestApp {
        api: Api::new(running.url()),
        pool: db.pool().await,
        bus: Bus::connect(&nats_url(), namespace)
            .await
            .expect("connecting to NATS"),
        _running: running,
        _db: db,
    }
}

/// A signed-in user: their id and a bearer token.
pub fn user() -> (UserId, String) {
    let id = UserId::new();
    (id, token_for(id))
}

impl TestApp {
    pub async fn create_ticket(&self, token: &str, title: &str, price: Value) -> Value {
        let response = self
            .api
            .post(
                "/api/tickets",
                Some(token),
                &json!({"title": title, "price": price}),
            )
            .await;
        expect_status(response, 201, "creating a ticket")
    }

    pub async fn ticket(&self, id: &str) -> Value {
        expect_status(
            self.api.get(&format!("/api/tickets/{id}"), None).await,
            200,
            "showing a ticket",
        )
    }

    pub async fn order_created(&self, ticket: &Value, order: OrderId) {
        let event = OrderCreated {
            id: order,
            version: 0,
            status: OrderStatus::Created,
            user_id: UserId::new(),
            expires_at: time::OffsetDateTime::now_utc(),
            ticket: OrderCreatedTicket {
                id: ticket_id(ticket),
                price: Price::from_cents(100).expect("price"),
            },
        };
        tickets::listeners::order_created::handle(self.pool.clone(), event)
            .await
            .expect("order.created handler");
    }

    pub async fn order_cancelled(&self, ticket: &Value, order: OrderId) {
        let event = OrderCancelled {
            id: order,
            version: 1,
            ticket: TicketRef {
                id: ticket_id(ticket),
            },
        };
        tickets::listeners::order_cancelled::handle(self.pool.clone(), event)
            .await
            .expect("order.cancelled handler");
    }
}

pub fn ticket_id(ticket: &Value) -> TicketId {
    ticket["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("ticket id")
}
