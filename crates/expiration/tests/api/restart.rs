//! Scheduled expirations live in Postgres: a restarted service still fires them on time.

use common::OrderId;
use common::events::ExpirationComplete;
use common::testing::{EVENTUALLY, EventTap, eventually};
use time::OffsetDateTime;

use crate::helpers::{in_millis, order_created, spawn, start_replica};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiration_survives_a_restart_and_fires_on_time() {
    let mut app = spawn().await;
    let mut tap = EventTap::new(
        &app.bus,
        <ExpirationComplete as common::events::Event>::SUBJECT,
    )
    .await;
    let order = OrderId::new();
    let expires_at = in_millis(2_000);
    app.publish(&order_created(order, expires_at)).await;
    eventually("the order is scheduled", EVENTUALLY, || async {
        app.scheduled_at(order).await
    })
    .await;

    app.running
        .take()
        .expect("the first instance")
        .shutdown()
        .await
        .unwrap();
    let restarted = start_replica(&app.db, &app.namespace).await;
    assert!(
        OffsetDateTime::now_utc() < expires_at,
        "the restart completed before the expiration was due"
    );

    let event: ExpirationComplete = tap.next().await;
    let lateness = OffsetDateTime::now_utc() - expires_at;
    assert_eq!(event.order_id, order);
    assert!(
        lateness >= time::Duration::ZERO && lateness < time::Duration::seconds(1),
        "fired {lateness} after expiresAt"
    );
    restarted.shutdown().await.unwrap();
}
