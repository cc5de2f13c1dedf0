//! Spawns the real payments service on a fresh database and events namespace, seeds its order
//! replica through the service's own event handlers, and mocks Stripe's HTTP API.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use common::bus::{Bus, Namespace, Outcome};
use common::events::{OrderCancelled, OrderCreated, OrderCreatedTicket, OrderStatus, TicketRef};
use common::server::Running;
use common::testing::{Api, TEST_JWT_KEY, TestDb, nats_url, serve, token_for, unique_namespace};
use common::{OrderId, Price, TicketId, UserId};
use futures::StreamExt;
use payments::{FakeProvider, PaymentProvider};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use time::OffsetDateTime;

pub struct TestApp {
    pub api: Api,
    pub pool: PgPool,
    pub namespace: Namespace,
    env: HashMap<String, String>,
    /// The fake provider's ledger in the app's database (what the app charges through unless
    /// it talks to a Stripe URL or was given another provider).
    pub fake: Arc<FakeProvider>,
    running: Option<Running>,
    _db: TestDb,
}

fn environment(
    db: &TestDb,
    namespace: &Namespace,
    extra: &[(&str, &str)],
) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("DATABASE_URL", db.url.as_str()),
        ("DATABASE_POOL_SIZE", "5"),
        ("NATS_URL", nats_url().as_str()),
        ("EVENTS_NAMESPACE", namespace.as_str()),
        ("JWT_KEY", TEST_JWT_KEY),
        ("PAYMENTS_PROVIDER", "fake"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    env
}

/// The app with the fake provider.
pub async fn spawn() -> TestApp {
    spawn_with(&[]).await
}

/// The app with settings read from a test environment plus `extra` variables. With
/// `PAYMENTS_PROVIDER=stripe` the app builds its own Stripe client from them.
pub async fn spawn_with(extra: &[(&str, &str)]) -> TestApp {
    spawn_app(extra, None).await
}

/// The app charging through `provider` (`TestApp::fake` is then unused).
pub async fn spawn_with_provider(provider: Arc<dyn PaymentProvider>) -> TestApp {
    spawn_app(&[], Some(provider)).await
}

async fn spawn_app(extra: &[(&str, &str)], provider: Option<Arc<dyn PaymentProvider>>) -> TestApp {
    let db = TestDb::new();
    let namespace = unique_namespace();
    let env = environment(&db, &namespace, extra);
    let settings = payments::Settings::from_source(&env).expect("test settings");
    let part = match provider {
        Some(provider) => payments::build_with_provider(settings, provider).await,
        None => payments::build(settings).await,
    }
    .expect("building the payments service");
    let running = serve(vec![part]);
    let pool = db.pool().await;
    let fake = Arc::new(
        FakeProvider::connect(pool.clone())
            .await
            .expect("the fake provider's ledger"),
    );
    TestApp {
        api: Api::new(running.url()),
        pool,
        namespace,
        env,
        fake,
        running: Some(running),
        _db: db,
    }
}

/// A signed-in user: their id and a bearer token.
pub fn user() -> (UserId, String) {
    let id = UserId::new();
    (id, token_for(id))
}

pub fn order_created(user: UserId, price_cents: i64, expires_in: time::Duration) -> OrderCreated {
    OrderCreated {
        id: OrderId::new(),
        version: 0,
        status: OrderStatus::Created,
        user_id: user,
        expires_at: common::timestamp::truncate_to_millis(OffsetDateTime::now_utc() + expires_in),
        ticket: OrderCreatedTicket {
            id: TicketId::new(),
            price: Price::from_cents(price_cents).expect("price"),
        },
    }
}

pub fn order_cancelled(order: &OrderCreated, version: i64) -> OrderCancelled {
    OrderCancelled {
        id: order.id,
        version,
        ticket: TicketRef {
            id: order.ticket.id,
        },
    }
}

#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: uuid::Uuid,
    pub stripe_id: String,
    pub status: String,
}

impl TestApp {
    pub fn database_url(&self) -> String {
        self.env["DATABASE_URL"].clone()
    }

    /// Stops the app at once, as a crash would: requests in flight are dropped unanswered.
    pub async fn crash(&mut self) {
        if let Some(running) = self.running.take() {
            running.abort().await;
        }
    }

    /// Starts the service again on the same database and namespace, with the fake provider and
    /// `extra` settings.
    pub async fn restart(&mut self, extra: &[(&str, &str)]) {
        let mut env = self.env.clone();
        for (k, v) in extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        let settings = payments::Settings::from_source(&env).expect("test settings");
        let part = payments::build(settings)
            .await
            .expect("restarting the payments service");
        let running = serve(vec![part]);
        self.api = Api::new(running.url());
        self.running = Some(running);
    }

    /// An order of `user` in the replica (price $19.99, expiring in 15 minutes), as order.created
    /// puts it there.
    pub async fn order_of(&self, user: UserId) -> OrderCreated {
        self.seed(order_created(user, 1999, time::Duration::minutes(15)))
            .await
    }

    pub async fn seed(&self, event: OrderCreated) -> OrderCreated {
        let outcome = common::bus::apply_one(
            &self.pool,
            &payments::listeners::order_created::Handler,
            event.clone(),
        )
        .await;
        assert_eq!(outcome.expect("order.created handler"), Outcome::Ack);
        event
    }

    pub async fn cancel(&self, order: &OrderCreated, version: i64) -> anyhow::Result<Outcome> {
        common::bus::apply_one(
            &self.pool,
            &payments::listeners::order_cancelled::Handler {
                provider: self.fake.clone(),
            },
            order_cancelled(order, version),
        )
        .await
    }

    /// Every charge in the fake provider's ledger, oldest first.
    pub async fn charges(&self) -> Vec<String> {
        self.fake.charges().await.expect("reading the ledger")
    }

    /// Every charge the fake provider refunded, oldest first.
    pub async fn refunds(&self) -> Vec<String> {
        self.fake.refunds().await.expect("reading the ledger")
    }

    pub async fn amount_of(&self, charge: &str) -> Option<i64> {
        self.fake
            .amount_of(charge)
            .await
            .expect("reading the ledger")
    }

    pub async fn pay(&self, token: &str, order: OrderId, card: &str) -> (StatusCode, Value) {
        self.api
            .post(
                "/api/payments",
                Some(token),
                &json!({"token": card, "orderId": order}),
            )
            .await
    }

    pub async fn payments_of(&self, order: OrderId) -> Vec<PaymentRow> {
        sqlx::query_as(
            "SELECT id, stripe_id, status FROM payments WHERE order_id = $1 ORDER BY created_at",
        )
        .bind(order)
        .fetch_all(&self.pool)
        .await
        .expect("reading payments")
    }

    pub async fn order_row(&self, order: OrderId) -> (String, i64) {
        sqlx::query_as("SELECT status, version FROM orders WHERE id = $1")
            .bind(order)
            .fetch_one(&self.pool)
            .await
            .expect("reading the replica order")
    }

    /// A live subscription to one event subject of this app's namespace.
    pub async fn subscribe(&self, subject: &str) -> Subscription {
        let bus = Bus::connect(&nats_url(), self.namespace.clone())
            .await
            .expect("connecting to NATS");
        let subscriber = bus
            .client()
            .subscribe(self.namespace.subject(subject))
            .await
            .expect("subscribing");
        bus.client()
            .flush()
            .await
            .expect("flushing the subscription");
        Subscription {
            messages: Box::pin(subscriber.map(|m| m.payload.to_vec())),
            _bus: bus,
        }
    }
}

pub struct Subscription {
    messages: std::pin::Pin<Box<dyn futures::Stream<Item = Vec<u8>> + Send>>,
    _bus: Bus,
}

impl Subscription {
    /// The next event published on the subject, as JSON.
    pub async fn next(&mut self) -> Value {
        let payload = tokio::time::timeout(common::testing::EVENTUALLY, self.messages.next())
            .await
            .expect("no event published in time")
            .expect("subscription closed");
        serde_json::from_slice(&payload).expect("event payload is JSON")
    }
}

/// One request the mock Stripe received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub form: HashMap<String, String>,
}

/// A tiny stand-in for Stripe's API on 127.0.0.1: `tok_visa` charges succeed (`ch_mock_<n>`),
/// `tok_chargeDeclined` gets a 402 card error, `tok_invalid` a 400 invalid request, and
/// `tok_boom` a 500; refunds succeed, except that `ch_refunded` is already refunded. It records every request.
pub struct MockStripe {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
    _server: actix_web::dev::ServerHandle,
}

impl MockStripe {
    pub fn start() -> Self {
        let requests: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let recorded = requests.clone();
        let listener = TcpListener::bind("127.0.0.1:0").expect("port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(recorded.clone()))
                .default_service(web::to(mock_stripe))
        })
        .listen(listener)
        .expect("listening")
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url,
            requests,
            _server: handle,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

async fn mock_stripe(
    req: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    recorded: web::Data<Arc<Mutex<Vec<Recorded>>>>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let form = form.into_inner();
    let number = {
        let mut all = recorded.lock().expect("lock");
        all.push(Recorded {
            method: req.method().to_string(),
            path: req.path().to_owned(),
            authorization: header("authorization"),
            idempotency_key: header("idempotency-key"),
            form: form.clone(),
        });
        all.len()
    };
    match (req.path(), form.get("source").map(String::as_str)) {
        ("/v1/charges", Some("tok_visa")) => {
            HttpResponse::Ok().json(json!({"id": format!("ch_mock_{number}"), "object": "charge", "paid": true}))
        }
        ("/v1/charges", Some("tok_chargeDeclined")) => HttpResponse::PaymentRequired().json(json!({
            "error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}
        })),
        ("/v1/charges", Some("tok_invalid")) => HttpResponse::BadRequest().json(json!({
            "error": {"type": "invalid_request_error", "message": "No such token: 'tok_invalid'"}
        })),
        ("/v1/charges", _) => HttpResponse::InternalServerError().json(json!({"error": {"message": "boom"}})),
        ("/v1/refunds", _) if form.get("charge").map(String::as_str) == Some("ch_refunded") => {
            HttpResponse::BadRequest().json(json!({
                "error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                          "message": "Charge ch_refunded has already been refunded."}
            }))
        }
        ("/v1/refunds", _) => HttpResponse::Ok().json(json!({"id": format!("re_mock_{number}"), "object": "refund"})),
        _ => HttpResponse::NotFound().json(json!({"error": {"message": "unknown route"}})),
    }
}
