//! Spawns the real expiration service on a fresh database and events namespace, and reads what
//! it publishes.

use std::sync::Arc;

use common::OrderId;
use common::bus::{Bus, Namespace};
use common::events::{Event, OrderCreated, OrderCreatedTicket, OrderStatus};
use common::server::Running;
use common::testing::{
    Api, EVENTUALLY, TestDb, database_settings, events_settings, eventually, nats_url, serve,
    unique_namespace,
};
use common::{Price, TicketId, UserId};
use expiration::sweeper::Wakeup;
use sqlx::PgPool;
use time::OffsetDateTime;

pub struct TestApp {
    pub api: Api,
    pub pool: PgPool,
    pub bus: Bus,
    pub namespace: Namespace,
    pub running: Option<Running>,
    pub db: TestDb,
}

pub fn settings(db: &TestDb, namespace: &Namespace) -> expiration::Settings {
    expiration::Settings {
        database: database_settings(db),
        events: events_settings(namespace),
    }
}

/// Starts one replica of the service on `db` and `namespace`.
pub async fn start_replica(db: &TestDb, namespace: &Namespace) -> Running {
    serve(vec![
        expiration::build(settings(db, namespace))
            .await
            .expect("building the expiration service"),
    ])
}

pub async fn spawn() -> TestApp {
    let db = TestDb::new();
    let namespace = unique_namespace();
    let running = start_replica(&db, &namespace).await;
    let bus = Bus::connect(&nats_url(), namespace.clone())
        .await
        .expect("connecting to NATS");
    bus.ensure_stream().await.expect("creating the stream");
    TestApp {
        api: Api::new(running.url()),
        pool: db.pool().await,
        bus,
        namespace,
        running: Some(running),
        db,
    }
}

/// A migrated database of the service with nothing running on it, for calling handlers directly.
pub async fn database() -> (TestDb, PgPool) {
    let db = TestDb::new();
    let pool = expiration::database(&database_settings(&db))
        .await
        .expect("preparing the database");
    (db, pool)
}

pub fn wakeup() -> Arc<Wakeup> {
    Arc::new(Wakeup::default())
}

/// What the orders service publishes for a new order expiring at `expires_at`.
pub fn order_created(order: OrderId, expires_at: OffsetDateTime) -> OrderCreated {
    OrderCreated {
        id: order,
        version: 0,
        status: OrderStatus::Created,
        user_id: UserId::new(),
        expires_at: common::timestamp::truncate_to_millis(expires_at),
        ticket: OrderCreatedTicket {
            id: TicketId::new(),
            price: Price::from_cents(2000).expect("price"),
        },
    }
}

pub fn in_millis(millis: i64) -> OffsetDateTime {
    common::timestamp::truncate_to_millis(
        OffsetDateTime::now_utc() + time::Duration::milliseconds(millis),
    )
}

impl TestApp {
    /// Publishes `event` on the namespace's stream, as its owner service's relay would.
    pub async fn publish<E: Event>(&self, event: &E) {
        let payload = serde_json::to_vec(event).expect("encoding the event");
        self.bus
            .jetstream()
            .publish(self.namespace.subject(E::SUBJECT), payload.into())
            .await
            .expect("publishing")
            .await
            .expect("stream ack");
    }

    /// When `order` is scheduled to expire, if it is.
    pub async fn scheduled_at(&self, order: OrderId) -> Option<OffsetDateTime> {
        expiration::repo::scheduled_at(&self.pool, order)
            .await
            .expect("reading the expiration")
    }

    /// Waits until nothing is pending and every fired expiration left the outbox.
    pub async fn drained(&self) {
        eventually(
            "all expirations fired and published",
            EVENTUALLY,
            || async {
                let pending = expiration::repo::pending(&self.pool).await.ok()?;
                let unpublished = common::bus::outbox::pending(&self.pool).await.ok()?;
                (pending == 0 && unpublished == 0).then_some(())
            },
        )
        .await;
    }

    /// Messages in the stream on `<namespace>.expiration.complete`. Every fire is its own outbox
    /// row with its own `Nats-Msg-Id`, so a double fire would count twice here.
    pub async fn published(&self, subject: &str) -> u64 {
        published(&self.bus, subject).await
    }
}

pub async fn published(bus: &Bus, subject: &str) -> u64 {
    use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
    let stream = bus.ensure_stream().await.expect("stream");
    let mut consumer: async_nats::jetstream::consumer::PullConsumer = stream
        .create_consumer(pull::Config {
            filter_subject: bus.namespace().subject(subject),
            ack_policy: AckPolicy::None,
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        })
        .await
        .expect("counting consumer");
    consumer.info().await.expect("consumer info").num_pending
}
