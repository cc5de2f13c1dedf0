//! No event is silently given up: what a listener gives up on is stored, and an operator replays
//! it to the one service that gave up on it once the cause is fixed.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::OrderId;
use common::bus::{Bus, DeadLetters, Listener, Outcome};
use common::events::{Event, ExpirationComplete};
use common::testing::{EVENTUALLY, Stateless, TestDb, eventually, nats_url, unique_namespace};
use tokio_util::sync::CancellationToken;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

async fn store(db: &TestDb) -> DeadLetters {
    let pool = common::db::connect(&db.url, 3).await.expect("database");
    common::db::migrate(&pool, &MIGRATIONS)
        .await
        .expect("migrations");
    DeadLetters::new(pool)
}

/// A listener of `service` that fails while `broken` is set, counting its calls.
fn listener(service: &'static str, broken: Arc<AtomicBool>, calls: Arc<AtomicUsize>) -> Listener {
    Listener::new(
        service,
        Stateless(move |_: ExpirationComplete| {
            let (broken, calls) = (broken.clone(), calls.clone());
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                if broken.load(Ordering::SeqCst) {
                    anyhow::bail!("the database schema is missing a column")
                }
                Ok(Outcome::Ack)
            }
        }),
    )
    .max_deliveries(2)
}

async fn publish(bus: &Bus) {
    let payload = serde_json::to_vec(&ExpirationComplete {
        order_id: OrderId::new(),
    })
    .expect("json");
    let message = async_nats::jetstream::message::PublishMessage::build()
        .payload(payload.into())
        .message_id(common::EventId::new().to_string())
        .header(
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        );
    bus.jetstream()
        .send_publish(
            bus.namespace().subject(ExpirationComplete::SUBJECT),
            message,
        )
        .await
        .expect("publish")
        .await
        .expect("ack");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_reaches_only_the_service_that_gave_up() {
    let bus = Bus::connect(&nats_url(), unique_namespace())
        .await
        .expect("NATS");
    bus.ensure_stream().await.expect("stream");
    let (db_a, db_b) = (TestDb::new(), TestDb::new());
    let (store_a, store_b) = (store(&db_a).await, store(&db_b).await);
    let broken = Arc::new(AtomicBool::new(true));
    let (calls_a, calls_b) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let cancel = CancellationToken::new();
    let a = listener("svc_a", broken.clone(), calls_a.clone());
    let b = listener("svc_b", Arc::new(AtomicBool::new(false)), calls_b.clone());
    let tasks = [
        tokio::spawn(a.run(bus.clone(), store_a.clone(), cancel.clone())),
        tokio::spawn(b.run(bus.clone(), store_b.clone(), cancel.clone())),
    ];
    publish(&bus).await;

    let letter = eventually("svc_a to give up", EVENTUALLY, || async {
        store_a.list(true).await.ok()?.pop()
    })
    .await;
    assert_eq!(
        calls_a.load(Ordering::SeqCst),
        2,
        "two deliveries, then given up"
    );
    assert_eq!(
        calls_b.load(Ordering::SeqCst),
        1,
        "svc_b handled it at once"
    );
    assert_eq!(store_a.pending().await.expect("count"), 1);
    assert!(letter.event_id.is_some(), "its event id is kept");
    assert!(
        letter.headers.contains_key("traceparent"),
        "{:?}",
        letter.headers
    );

    // The cause is fixed; the operator replays it.
    broken.store(false, Ordering::SeqCst);
    store_a.replay(&bus, &letter).await.expect("replay");
    eventually("svc_a to handle the replay", EVENTUALLY, || async {
        (calls_a.load(Ordering::SeqCst) == 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        calls_b.load(Ordering::SeqCst),
        1,
        "the replay is not handled again by svc_b"
    );
    assert_eq!(
        store_a.pending().await.expect("count"),
        0,
        "marked replayed"
    );
    let replayed = store_a.find(letter.id).await.expect("find").expect("kept");
    assert!(replayed.replayed_at.is_some());
    assert_eq!(
        store_a.list(false).await.expect("all").len(),
        1,
        "kept for the record"
    );
    cancel.cancel();
    for task in tasks {
        task.await.expect("stopped");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_cannot_be_stored_is_redelivered_not_terminated() {
    let bus = Bus::connect(&nats_url(), unique_namespace())
        .await
        .expect("NATS");
    bus.ensure_stream().await.expect("stream");
    // A database without the dead-letters table: storing fails.
    let db = TestDb::new();
    let unmigrated = DeadLetters::new(common::db::connect(&db.url, 2).await.expect("database"));
    let calls = Arc::new(AtomicUsize::new(0));
    let cancel = CancellationToken::new();
    let failing = listener("svc_c", Arc::new(AtomicBool::new(true)), calls.clone());
    let task = tokio::spawn(failing.run(bus.clone(), unmigrated, cancel.clone()));
    publish(&bus).await;
    eventually("deliveries past the bound", EVENTUALLY, || async {
        (calls.load(Ordering::SeqCst) >= 4).then_some(())
    })
    .await;
    cancel.cancel();
    task.await.expect("stopped");
}
