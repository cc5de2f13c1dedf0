//! A listener whose consumer, or whole stream, disappears (deleted by mistake, or lost by NATS)
//! recreates it and consumes again; nothing published afterwards is missed.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use common::OrderId;
use common::bus::{Bus, DeadLetters, Listener, Outcome};
use common::events::{Event, ExpirationComplete};
use common::testing::{EVENTUALLY, Stateless, TestDb, eventually, nats_url, unique_namespace};
use tokio_util::sync::CancellationToken;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

/// Publishes one event (creating the stream if needed); returns its order id.
async fn publish(bus: &Bus) -> Option<OrderId> {
    let order_id = OrderId::new();
    let payload = serde_json::to_vec(&ExpirationComplete { order_id }).unwrap();
    bus.ensure_stream().await.ok()?;
    let ack = bus
        .jetstream()
        .publish(
            bus.namespace().subject(ExpirationComplete::SUBJECT),
            payload.into(),
        )
        .await
        .ok()?;
    ack.await.ok().map(|_| order_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_stream_or_consumer_is_recreated_and_consumed_again() {
    let bus = Bus::connect(&nats_url(), unique_namespace()).await.unwrap();
    bus.ensure_stream().await.unwrap();
    let db = TestDb::new();
    let pool = common::db::connect(&db.url, 2).await.unwrap();
    common::db::migrate(&pool, &MIGRATIONS).await.unwrap();
    let seen: Arc<Mutex<HashSet<OrderId>>> = Arc::default();
    let recorded = seen.clone();
    let listener = Listener::new(
        "lost",
        Stateless(move |event: ExpirationComplete| {
            let recorded = recorded.clone();
            async move {
                recorded.lock().unwrap().insert(event.order_id);
                Ok(Outcome::Ack)
            }
        }),
    );
    let status = listener.status();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(listener.run(bus.clone(), DeadLetters::new(pool), cancel.clone()));
    let first = publish(&bus).await.unwrap();
    eventually("the first event", EVENTUALLY, || async {
        seen.lock().unwrap().contains(&first).then_some(())
    })
    .await;

    // The stream is deleted; events go on being published right after.
    bus.jetstream()
        .delete_stream(bus.namespace().stream_name())
        .await
        .unwrap();
    let mut published = Vec::new();
    for _ in 0..20 {
        published.extend(publish(&bus).await);
    }
    assert_eq!(published.len(), 20, "the stream was recreated for them");
    eventually(
        "every event published after the deletion",
        EVENTUALLY,
        || async {
            let seen = seen.lock().unwrap();
            published.iter().all(|id| seen.contains(id)).then_some(())
        },
    )
    .await;

    // The consumer alone.
    let stream = bus.ensure_stream().await.unwrap();
    stream
        .delete_consumer("lost_expiration_complete")
        .await
        .unwrap();
    let last = publish(&bus).await.unwrap();
    eventually(
        "an event after the consumer was deleted",
        EVENTUALLY,
        || async { seen.lock().unwrap().contains(&last).then_some(()) },
    )
    .await;
    assert!(status.consuming.load(std::sync::atomic::Ordering::SeqCst));
    cancel.cancel();
    task.await.unwrap();
}
