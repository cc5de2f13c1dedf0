//! Spawns the real orders service on a fresh database and events namespace.

use common::bus::{Bus, Outcome};
use common::events::{ExpirationComplete, PaymentCreated, TicketCreated, TicketUpdated};
use common::server::Running;
use common::testing::{
    Api, TestDb, database_settings, events_settings, expect_status, jwt_keys, nats_url, serve,
    token_for, unique_namespace,
};
use common::{OrderId, PaymentId, Price, TicketId, UserId};
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
    spawn_with(orders::domain::HoldRules::default()).await
}

/// The app with its own cap on holds and re-order cooldown.
pub async fn spawn_with(holds: orders::domain::HoldRules) -> TestApp {
    let db = TestDb::new();
    let namespace = unique_namespace();
    let settings = orders::Settings {
        database: database_settings(&db),
        events: events_settings(&namespace),
        jwt: jwt_keys(),
        order_expiration_seconds: 900,
        holds,
        writes_per_user: common::config::DEFAULT_WRITES_PER_USER.parse().ok(),
    };
    let running = serve(vec![
        orders::build(settings)
            .await
            .expect("building the orders service"),
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

pub fn ticket_created(seller: UserId, price_cents: i64) -> TicketCreated {
    TicketCreated {
        id: TicketId::new(),
        version: 0,
        title: "concert".into(),
        price: Price::from_cents(price_cents).expect("price"),
        user_id: seller,
    }
}

pub fn ticket_updated(from: &TicketCreated, version: i64, price_cents: i64) -> TicketUpdated {
    TicketUpdated {
        id: from.id,
        version,
        title: from.title.clone(),
        price: Price::from_cents(price_cents).expect("price"),
        user_id: from.user_id,
        order_id: None,
    }
}

impl TestApp {
    /// A ticket in the replica, as ticket.created would put it there.
    pub async fn replicated_ticket(&self) -> TicketCreated {
        let event = ticket_created(UserId::new(), 2000);
        let outcome = common::bus::apply_one(
            &self.pool,
            &orders::listeners::ticket_created::Handler,
            event.clone(),
        )
        .await;
        assert_eq!(outcome.expect("ticket.created handler"), Outcome::Ack);
        event
    }

    pub async fn order(&self, token: &str, ticket: TicketId) -> Value {
        expect_status(
            self.api
                .post("/api/orders", Some(token), &json!({"ticketId": ticket}))
                .await,
            201,
            "ordering",
        )
    }

    /// Applies a ticket.updated as the listener would; returns its outcome.
    pub async fn apply(&self, event: TicketUpdated) -> Outcome {
        common::bus::apply_one(
            &self.pool,
            &orders::listeners::ticket_updated::Handler,
            event,
        )
        .await
        .expect("ticket.updated handler")
    }

    pub async fn show(&self, token: &str, order: &Value) -> Value {
        let path = format!("/api/orders/{}", order["id"].as_str().expect("order id"));
        expect_status(
            self.api.get(&path, Some(token)).await,
            200,
            "showing an order",
        )
    }

    pub async fn expire(&self, order: &Value) -> Outcome {
        let event = ExpirationComplete {
            order_id: order_id(order),
        };
        common::bus::apply_one(
            &self.pool,
            &orders::listeners::expiration_complete::Handler,
            event,
        )
        .await
        .expect("expiration handler")
    }

    pub async fn pay(&self, order: &Value) -> Outcome {
        let event = PaymentCreated {
            id: PaymentId::new(),
            order_id: order_id(order),
            stripe_id: "ch_test".into(),
        };
        common::bus::apply_one(
            &self.pool,
            &orders::listeners::payment_created::Handler,
            event,
        )
        .await
        .expect("payment handler")
    }
}

pub fn order_id(order: &Value) -> OrderId {
    order["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("order id")
}
