//! The handlers, called directly: order.created schedules; order.cancelled and payment.created
//! remove and are remembered; every handler is idempotent.

use common::OrderId;
use common::PaymentId;
use common::TicketId;
use common::bus::Outcome;
use common::events::{OrderCancelled, PaymentCreated, TicketRef};
use expiration::listeners::{order_cancelled, order_created, payment_created};
use expiration::repo;
use sqlx::PgPool;

use crate::helpers::{database, in_millis, order_created as created, wakeup};

async fn scheduled_at(pool: &PgPool, order: OrderId) -> Option<time::OffsetDateTime> {
    repo::scheduled_at(pool, order).await.unwrap()
}

async fn create(pool: &PgPool, order: OrderId, expires_at: time::OffsetDateTime) {
    let outcome = common::bus::apply_one(
        pool,
        &order_created::Handler { wakeup: wakeup() },
        created(order, expires_at),
    )
    .await
    .unwrap();
    assert_eq!(outcome, Outcome::Ack);
}

#[derive(Clone, Copy, Debug)]
enum Finish {
    Cancelled,
    Paid,
}

async fn finish(pool: &PgPool, order: OrderId, how: Finish) {
    let outcome = match how {
        Finish::Cancelled => common::bus::apply_one(
            pool,
            &order_cancelled::Handler,
            OrderCancelled {
                id: order,
                version: 1,
                ticket: TicketRef {
                    id: TicketId::new(),
                },
            },
        )
        .await
        .unwrap(),
        Finish::Paid => common::bus::apply_one(
            pool,
            &payment_created::Handler,
            PaymentCreated {
                id: PaymentId::new(),
                order_id: order,
                stripe_id: "ch_1".into(),
            },
        )
        .await
        .unwrap(),
    };
    assert_eq!(outcome, Outcome::Ack, "{how:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_created_schedules_at_expires_at_and_a_duplicate_is_harmless() {
    let (_db, pool) = database().await;
    let order = OrderId::new();
    let expires_at = in_millis(15 * 60 * 1000);

    create(&pool, order, expires_at).await;
    assert_eq!(scheduled_at(&pool, order).await, Some(expires_at));

    create(&pool, order, expires_at).await;
    assert_eq!(scheduled_at(&pool, order).await, Some(expires_at));
    assert_eq!(repo::pending(&pool).await.unwrap(), 1, "one row per order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellation_and_payment_remove_the_expiration_idempotently() {
    let (_db, pool) = database().await;
    for how in [Finish::Cancelled, Finish::Paid] {
        let order = OrderId::new();
        let kept = OrderId::new();
        create(&pool, order, in_millis(60_000)).await;
        create(&pool, kept, in_millis(60_000)).await;

        finish(&pool, order, how).await;
        assert_eq!(scheduled_at(&pool, order).await, None, "{how:?} removes it");
        finish(&pool, order, how).await;
        assert_eq!(scheduled_at(&pool, order).await, None, "{how:?} twice");
        assert!(
            scheduled_at(&pool, kept).await.is_some(),
            "{how:?} leaves other orders alone"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_created_arriving_after_the_order_finished_does_not_schedule() {
    let (_db, pool) = database().await;
    for how in [Finish::Cancelled, Finish::Paid] {
        let order = OrderId::new();
        finish(&pool, order, how).await;
        create(&pool, order, in_millis(60_000)).await;
        assert_eq!(
            scheduled_at(&pool, order).await,
            None,
            "a late order.created after {how:?} must not schedule"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creation_and_cancellation_converge_to_no_expiration() {
    let (_db, pool) = database().await;
    let orders: Vec<OrderId> = (0..50).map(|_| OrderId::new()).collect();
    let mut tasks = Vec::new();
    for &order in &orders {
        let (a, b) = (pool.clone(), pool.clone());
        tasks.push(tokio::spawn(async move {
            create(&a, order, in_millis(60_000)).await
        }));
        tasks.push(tokio::spawn(async move {
            finish(&b, order, Finish::Cancelled).await
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        repo::pending(&pool).await.unwrap(),
        0,
        "whatever the interleaving, a cancelled order keeps no expiration"
    );
}
