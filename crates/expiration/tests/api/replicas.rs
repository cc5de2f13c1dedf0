//! Two replicas on one database and namespace fire every expiration exactly once.

use std::collections::HashSet;

use common::OrderId;
use common::events::{Event, ExpirationComplete};
use common::testing::EventTap;

use crate::helpers::{in_millis, order_created, spawn, start_replica};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_fire_two_hundred_expirations_once_each() {
    let mut app = spawn().await;
    let second = start_replica(&app.db, &app.namespace).await;
    let mut tap = EventTap::new(&app.bus, ExpirationComplete::SUBJECT).await;

    // Due over about one second, so both sweepers are busy at once.
    let orders: Vec<OrderId> = (0..200).map(|_| OrderId::new()).collect();
    for (i, order) in orders.iter().enumerate() {
        app.publish(&order_created(*order, in_millis(500 + 5 * i as i64)))
            .await;
    }

    let mut fired = HashSet::new();
    for _ in 0..orders.len() {
        let event: ExpirationComplete = tap.next().await;
        assert!(
            fired.insert(event.order_id),
            "{} fired twice",
            event.order_id
        );
    }
    assert_eq!(fired, orders.iter().copied().collect::<HashSet<_>>());

    app.drained().await;
    assert_eq!(
        app.published(ExpirationComplete::SUBJECT).await,
        200,
        "exactly 200 messages: each fire has its own event id, so a double fire would show"
    );
    second.shutdown().await.unwrap();
    if let Some(first) = app.running.take() {
        first.shutdown().await.unwrap();
    }
}
