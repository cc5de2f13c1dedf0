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

    /// One page of a listing at `path`: its tickets, the `next` and `prev` links of its `Link`
    /// header, and its `X-Total-Count`.
    pub async fn page(&self, path: &str, token: Option<&str>) -> Page {
        let mut request = self.api.http.get(format!("{}{path}", self.api.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("a response");
        assert_eq!(response.status(), 200, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let links = header("link").unwrap_or_default();
        let link = |rel: &str| {
            links
                .split(", ")
                .find(|l| l.ends_with(&format!("rel=\"{rel}\"")))
                .and_then(|l| l.strip_prefix('<'))
                .and_then(|l| l.split_once('>'))
                .map(|(target, _)| target.to_owned())
        };
        let (next, prev) = (link("next"), link("prev"));
        let total = header("x-total-count").and_then(|t| t.parse().ok());
        let tickets = response.json::<Vec<Value>>().await.expect("an array");
        Page {
            tickets,
            next,
            prev,
            total,
        }
    }

    /// Ids of every ticket of a listing, following `next` from `path`.
    pub async fn all_pages(&self, path: &str, token: Option<&str>) -> Vec<String> {
        let mut ids = Vec::new();
        let mut at = Some(path.to_owned());
        while let Some(path) = at {
            let page = self.page(&path, token).await;
            ids.extend(page.ids());
            at = page.next;
        }
        ids
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
        common::bus::apply_one(
            &self.pool,
            &tickets::listeners::order_created::Handler,
            event,
        )
        .await
        .expect("order.created handler");
    }

    pub async fn order_paid(&self, order: OrderId) {
        let event = common::events::PaymentCreated {
            id: common::PaymentId::new(),
            order_id: order,
            stripe_id: "ch_test".into(),
        };
        common::bus::apply_one(
            &self.pool,
            &tickets::listeners::payment_created::Handler,
            event,
        )
        .await
        .expect("payment.created handler");
    }

    pub async fn order_cancelled(&self, ticket: &Value, order: OrderId) {
        let event = OrderCancelled {
            id: order,
            version: 1,
            ticket: TicketRef {
                id: ticket_id(ticket),
            },
        };
        common::bus::apply_one(
            &self.pool,
            &tickets::listeners::order_cancelled::Handler,
            event,
        )
        .await
        .expect("order.cancelled handler");
    }
}

pub struct Page {
    pub tickets: Vec<Value>,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub total: Option<i64>,
}

impl Page {
    pub fn ids(&self) -> Vec<String> {
        self.tickets
            .iter()
            .map(|t| t["id"].as_str().expect("id").to_owned())
            .collect()
    }
}

pub fn ticket_id(ticket: &Value) -> TicketId {
    ticket["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("ticket id")
}
