//! The event bus against the real NATS and Postgres: the rules of docs/contract.md#delivery-rules.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::bus::{Bus, DeadLetters, Listener, OutboxRelay, Outcome, enqueue};
use common::events::{Event, ExpirationComplete};
use common::testing::{
    EVENTUALLY, EventTap, Stateless, TestDb, eventually, nats_url, unique_namespace,
};
use common::{EventId, OrderId};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

async fn bus() -> Bus {
    let bus = Bus::connect(&nats_url(), unique_namespace())
        .await
        .expect("NATS");
    bus.ensure_stream().await.expect("stream");
    bus
}

async fn outbox_db(db: &TestDb) -> PgPool {
    let pool = common::db::connect(&db.url, 3).await.expect("database");
    common::db::migrate(&pool, &MIGRATIONS)
        .await
        .expect("migrations");
    pool
}

/// A dead-letter store on a fresh database of its own.
async fn dead_letters(db: &TestDb) -> DeadLetters {
    DeadLetters::new(outbox_db(db).await)
}

async fn publish_raw(bus: &Bus, subject: &str, payload: Vec<u8>) {
    bus.jetstream()
        .publish(bus.namespace().subject(subject), payload.into())
        .await
        .expect("publish")
        .await
        .expect("ack");
}

fn expiration(order: OrderId) -> Vec<u8> {
    serde_json::to_vec(&ExpirationComplete { order_id: order }).expect("json")
}

/// Counts handler calls per order id; the handler's outcome is chosen by `decide`.
fn counting_listener(
    calls: Arc<AtomicUsize>,
    decide: impl Fn(usize) -> anyhow::Result<Outcome> + Send + Sync + 'static,
) -> Listener {
    let decide = Arc::new(decide);
    Listener::new(
        "bustest",
        Stateless(move |_: ExpirationComplete| {
            let (calls, decide) = (calls.clone(), decide.clone());
            async move {
                let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                decide(n)
            }
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_messages_are_kept_as_dead_letters_and_the_next_one_is_handled() {
    let bus = bus().await;
    let db = TestDb::new();
    let store = dead_letters(&db).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let cancel = CancellationToken::new();
    let listener = counting_listener(calls.clone(), |_| Ok(Outcome::Ack));
    let task = tokio::spawn(listener.run(bus.clone(), store.clone(), cancel.clone()));

    publish_raw(&bus, ExpirationComplete::SUBJECT, b"{not json".to_vec()).await;
    let good = expiration(OrderId::new());
    publish_raw(&bus, ExpirationComplete::SUBJECT, good).await;
    eventually("the good message to be handled", EVENTUALLY, || async {
        (calls.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the undecodable message never reaches the handler"
    );
    let kept = store.list(true).await.expect("dead letters");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        (
            kept[0].service.as_str(),
            kept[0].subject.as_str(),
            kept[0].payload.as_slice(),
            kept[0].deliveries
        ),
        ("bustest", "expiration.complete", b"{not json".as_slice(), 1)
    );
    assert!(
        kept[0].reason.starts_with("undecodable: "),
        "{}",
        kept[0].reason
    );
    cancel.cancel();
    task.await.expect("listener stops on cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_or_panicking_handler_is_retried_a_bounded_number_of_times() {
    let bus = bus().await;
    let cancel = CancellationToken::new();
    let errors = Arc::new(AtomicUsize::new(0));
    let db = TestDb::new();
    let store = dead_letters(&db).await;
    let failing = counting_listener(errors.clone(), |_| Err(anyhow::anyhow!("always fails")))
        .max_deliveries(3);
    let task = tokio::spawn(failing.run(bus.clone(), store.clone(), cancel.clone()));
    let payload = expiration(OrderId::new());
    publish_raw(&bus, ExpirationComplete::SUBJECT, payload.clone()).await;
    eventually("three deliveries", EVENTUALLY, || async {
        (errors.load(Ordering::SeqCst) >= 3).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(errors.load(Ordering::SeqCst), 3, "given up after the bound");
    let kept = store.list(true).await.expect("dead letters");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].deliveries, 3);
    assert_eq!(kept[0].reason, "exhausted: always fails");
    assert!(kept[0].event_id.is_none(), "published without an id");
    cancel.cancel();
    task.await.expect("stopped");

    // A panic is caught, and the message is redelivered until it succeeds.
    let bus = self::bus().await;
    let cancel = CancellationToken::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let flaky = counting_listener(calls.clone(), |n| {
        if n == 1 {
            panic!("handler bug on first delivery");
        }
        Ok(Outcome::Ack)
    });
    let task = tokio::spawn(flaky.run(bus.clone(), store.clone(), cancel.clone()));
    publish_raw(&bus, ExpirationComplete::SUBJECT, payload).await;
    eventually("the redelivery after a panic", EVENTUALLY, || async {
        (calls.load(Ordering::SeqCst) == 2).then_some(())
    })
    .await;
    cancel.cancel();
    task.await.expect("the process survived the panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_redelivers_until_the_handler_can_apply() {
    let bus = bus().await;
    let db = TestDb::new();
    let cancel = CancellationToken::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let gap = counting_listener(calls.clone(), |n| {
        Ok(if n < 4 { Outcome::Retry } else { Outcome::Ack })
    });
    let task = tokio::spawn(gap.run(bus.clone(), dead_letters(&db).await, cancel.clone()));
    let payload = expiration(OrderId::new());
    publish_raw(&bus, ExpirationComplete::SUBJECT, payload).await;
    eventually("the fourth delivery", EVENTUALLY, || async {
        (calls.load(Ordering::SeqCst) == 4).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(calls.load(Ordering::SeqCst), 4, "acked once applied");
    cancel.cancel();
    task.await.expect("stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_durable_consumer() {
    let bus = bus().await;
    let db = TestDb::new();
    let store = dead_letters(&db).await;
    let cancel = CancellationToken::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let replicas: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(counting_listener(calls.clone(), |_| Ok(Outcome::Ack)).run(
                bus.clone(),
                store.clone(),
                cancel.clone(),
            ))
        })
        .collect();
    for _ in 0..40 {
        let payload = expiration(OrderId::new());
        publish_raw(&bus, ExpirationComplete::SUBJECT, payload).await;
    }
    eventually("40 messages handled", EVENTUALLY, || async {
        (calls.load(Ordering::SeqCst) >= 40).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        40,
        "each message handled once across replicas"
    );
    cancel.cancel();
    for replica in replicas {
        replica.await.expect("stopped");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outbox_publishes_committed_events_once_with_their_id() {
    let db = TestDb::new();
    let pool = outbox_db(&db).await;
    let bus = bus().await;
    let mut tap = EventTap::new(&bus, ExpirationComplete::SUBJECT).await;

    let rolled_back = OrderId::new();
    let mut tx = pool.begin().await.expect("tx");
    enqueue(
        &mut tx,
        &ExpirationComplete {
            order_id: rolled_back,
        },
    )
    .await
    .expect("enqueue");
    tx.rollback().await.expect("rollback");
    let committed = OrderId::new();
    let mut tx = pool.begin().await.expect("tx");
    let id: EventId = enqueue(
        &mut tx,
        &ExpirationComplete {
            order_id: committed,
        },
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");

    // Two relays, as with two replicas; the stream sees the event once.
    let cancel = CancellationToken::new();
    let relays: Vec<_> = (0..2)
        .map(|_| {
            tokio::spawn(OutboxRelay::new("test", pool.clone(), bus.clone()).run(cancel.clone()))
        })
        .collect();
    let event: ExpirationComplete = tap.next().await;
    assert_eq!(
        event.order_id, committed,
        "the rolled-back event was never published"
    );
    assert!(
        tap.is_quiet_for(Duration::from_millis(700)).await,
        "published once"
    );
    eventually("the outbox to drain", EVENTUALLY, || async {
        (common::bus::outbox::pending(&pool).await.ok()? == 0).then_some(())
    })
    .await;

    // A re-publish of the same event id is dropped by the stream's duplicate window.
    let stream_before = bus
        .ensure_stream()
        .await
        .expect("stream")
        .info()
        .await
        .expect("info")
        .state
        .messages;
    let republish = async_nats::jetstream::message::PublishMessage::build()
        .payload(serde_json::to_vec(&event).expect("json").into())
        .message_id(id.to_string());
    let ack = bus
        .jetstream()
        .send_publish(
            bus.namespace().subject(ExpirationComplete::SUBJECT),
            republish,
        )
        .await
        .expect("publish")
        .await
        .expect("ack");
    assert!(ack.duplicate, "the stream recognises the event id");
    let stream_after = bus
        .ensure_stream()
        .await
        .expect("stream")
        .info()
        .await
        .expect("info")
        .state
        .messages;
    assert_eq!(stream_before, stream_after);
    cancel.cancel();
    for relay in relays {
        relay.await.expect("stopped");
    }
}
