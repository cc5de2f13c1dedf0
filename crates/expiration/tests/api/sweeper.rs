//! The sweeper fires due expirations through the outbox, on time and exactly once.

use std::collections::HashSet;

use common::OrderId;
use common::events::{Event, ExpirationComplete};
use common::testing::EventTap;
use expiration::listeners::order_created;
use expiration::repo;
use expiration::sweeper::{BATCH, Sweeper};
use time::OffsetDateTime;

use crate::helpers::{database, in_millis, order_created as created, spawn, wakeup};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_expiration_is_published_within_a_second_and_exactly_once() {
    let app = spawn().await;
    let mut tap = EventTap::new(&app.bus, ExpirationComplete::SUBJECT).await;
    let order = OrderId::new();
    let expires_at = in_millis(1_000);

    app.publish(&created(order, expires_at)).await;
    let event: ExpirationComplete = tap.next().await;
    let received = OffsetDateTime::now_utc();

    assert_eq!(event.order_id, order);
    let lateness = received - expires_at;
    assert!(
        lateness >= time::Duration::ZERO,
        "fired {lateness} before expiresAt"
    );
    assert!(
        lateness < time::Duration::seconds(1),
        "fired {lateness} after expiresAt"
    );
    app.drained().await;
    assert_eq!(
        app.published(ExpirationComplete::SUBJECT).await,
        1,
        "exactly one expiration.complete"
    );
    assert_eq!(app.scheduled_at(order).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_writes_one_outbox_row_per_due_order_and_leaves_future_ones() {
    let (_db, pool) = database().await;
    let sweeper = Sweeper::new(pool.clone(), wakeup());
    let due = OrderId::new();
    let future = OrderId::new();
    for (order, at) in [(due, in_millis(-5)), (future, in_millis(3_600_000))] {
        common::bus::apply_one(
            &pool,
            &order_created::Handler { wakeup: wakeup() },
            created(order, at),
        )
        .await
        .unwrap();
    }

    assert_eq!(sweeper.sweep().await.unwrap(), 1);
    assert_eq!(sweeper.sweep().await.unwrap(), 0, "nothing left to fire");

    let outbox: Vec<(String, String)> = sqlx::query_as("SELECT subject, payload FROM outbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(
        outbox,
        vec![(
            ExpirationComplete::SUBJECT.to_owned(),
            serde_json::json!({"orderId": due}).to_string()
        )]
    );
    assert_eq!(repo::scheduled_at(&pool, due).await.unwrap(), None);
    assert!(repo::scheduled_at(&pool, future).await.unwrap().is_some());

    common::bus::apply_one(
        &pool,
        &order_created::Handler { wakeup: wakeup() },
        created(due, in_millis(-5)),
    )
    .await
    .unwrap();
    assert_eq!(
        repo::scheduled_at(&pool, due).await.unwrap(),
        None,
        "a redelivered order.created does not schedule an expired order again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sweeps_fire_each_expiration_once_in_batches() {
    let (_db, pool) = database().await;
    let total: i64 = 1_200;
    sqlx::query(
        "INSERT INTO expirations (order_id, expires_at)
         SELECT gen_random_uuid(), now() - g * interval '1 ms' FROM generate_series(1, $1) g",
    )
    .bind(total)
    .execute(&pool)
    .await
    .unwrap();

    let sweeps: Vec<_> = (0..4)
        .map(|_| {
            let sweeper = Sweeper::new(pool.clone(), wakeup());
            tokio::spawn(async move {
                let mut fired = Vec::new();
                loop {
                    let n = sweeper.sweep().await.unwrap();
                    assert!(n as i64 <= BATCH, "at most one batch per transaction");
                    if n == 0 {
                        return fired;
                    }
                    fired.push(n);
                }
            })
        })
        .collect();
    let mut fired = 0;
    for sweep in sweeps {
        fired += sweep.await.unwrap().iter().sum::<usize>();
    }

    let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM outbox")
        .fetch_all(&pool)
        .await
        .unwrap();
    let distinct: HashSet<&String> = payloads.iter().collect();
    assert_eq!(fired as i64, total, "every due expiration fired");
    assert_eq!(
        payloads.len() as i64,
        total,
        "one outbox row per expiration"
    );
    assert_eq!(distinct.len(), payloads.len(), "no order fired twice");
    assert_eq!(repo::pending(&pool).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finished_orders_are_forgotten_once_the_stream_cannot_bring_them_back() {
    let (_db, pool) = database().await;
    let (old, recent) = (OrderId::new(), OrderId::new());
    let remembered = expiration::sweeper::REMEMBER_FINISHED;
    assert!(
        remembered > common::bus::RETENTION,
        "remembered for longer than the stream keeps events"
    );
    for (order, age) in [(old, remembered.as_secs() + 60), (recent, 60)] {
        sqlx::query(
            "INSERT INTO finished_orders (order_id, finished_at)
             VALUES ($1, now() - make_interval(secs => $2))",
        )
        .bind(order)
        .bind(age as f64)
        .execute(&pool)
        .await
        .unwrap();
    }
    let forgotten = Sweeper::new(pool.clone(), wakeup())
        .forget_finished()
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    let left: Vec<OrderId> = sqlx::query_scalar("SELECT order_id FROM finished_orders")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(left, [recent], "only the long-finished order is forgotten");
}
