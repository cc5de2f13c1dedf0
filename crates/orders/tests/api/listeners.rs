//! The replica and lifecycle listeners, called directly with hand-made events.

use common::bus::Outcome;
use common::events::TicketCreated;
use serde_json::json;

use crate::helpers::{TestApp, spawn, ticket_created, ticket_updated, user};

async fn replica_price_and_version(app: &TestApp, ticket: &TicketCreated) -> (i64, i64) {
    sqlx::query_as("SELECT price_cents, version FROM tickets WHERE id = $1")
        .bind(ticket.id)
        .fetch_one(&app.pool)
        .await
        .expect("replica row")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_created_is_idempotent() {
    let app = spawn().await;
    let ticket = app.replicated_ticket().await;
    let mut again = ticket.clone();
    again.title = "changed".into();
    let outcome = common::bus::apply_one(
        &app.pool,
        &orders::listeners::ticket_created::Handler,
        again,
    )
    .await
    .expect("handler");
    assert_eq!(outcome, Outcome::Ack);
    let title: String = sqlx::query_scalar("SELECT title FROM tickets WHERE id = $1")
        .bind(ticket.id)
        .fetch_one(&app.pool)
        .await
        .expect("row");
    assert_eq!(title, "concert", "a redelivered creation changes nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_updates_apply_strictly_in_version_order() {
    let app = spawn().await;
    let ticket = app.replicated_ticket().await;
    let handle =
        |e| common::bus::apply_one(&app.pool, &orders::listeners::ticket_updated::Handler, e);

    assert_eq!(
        handle(ticket_updated(&ticket, 2, 3000)).await.expect("v2"),
        Outcome::Retry,
        "v2 before v1 waits"
    );
    assert_eq!(replica_price_and_version(&app, &ticket).await, (2000, 0));
    assert_eq!(
        handle(ticket_updated(&ticket, 1, 2500)).await.expect("v1"),
        Outcome::Ack
    );
    assert_eq!(
        handle(ticket_updated(&ticket, 2, 3000))
            .await
            .expect("v2 again"),
        Outcome::Ack
    );
    assert_eq!(replica_price_and_version(&app, &ticket).await, (3000, 2));
    assert_eq!(
        handle(ticket_updated(&ticket, 1, 2500))
            .await
            .expect("v1 late"),
        Outcome::Ack,
        "the past is dropped"
    );
    assert_eq!(replica_price_and_version(&app, &ticket).await, (3000, 2));

    let unseen = ticket_created(common::UserId::new(), 100);
    assert_eq!(
        handle(ticket_updated(&unseen, 1, 200))
            .await
            .expect("before creation"),
        Outcome::Retry
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiration_cancels_only_live_orders() {
    let app = spawn().await;
    let (_, token) = user();
    let live = app.order(&token, app.replicated_ticket().await.id).await;
    let paid = app.order(&token, app.replicated_ticket().await.id).await;
    let cancelled = app.order(&token, app.replicated_ticket().await.id).await;
    app.pay(&paid).await;
    app.api
        .delete(
            &format!("/api/orders/{}", cancelled["id"].as_str().expect("id")),
            Some(&token),
        )
        .await;

    for order in [&live, &paid, &cancelled] {
        assert_eq!(app.expire(order).await, Outcome::Ack);
        assert_eq!(
            app.expire(order).await,
            Outcome::Ack,
            "a redelivery is harmless"
        );
    }
    let state = |o: serde_json::Value| (o["status"].clone(), o["version"].clone());
    assert_eq!(
        state(app.show(&token, &live).await),
        (json!("cancelled"), json!(1))
    );
    assert_eq!(
        state(app.show(&token, &paid).await),
        (json!("complete"), json!(0))
    );
    assert_eq!(
        state(app.show(&token, &cancelled).await),
        (json!("cancelled"), json!(1)),
        "not re-cancelled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_completes_a_live_order_only() {
    let app = spawn().await;
    let (_, token) = user();
    let live = app.order(&token, app.replicated_ticket().await.id).await;
    let cancelled = app.order(&token, app.replicated_ticket().await.id).await;
    app.expire(&cancelled).await;
    assert_eq!(app.pay(&live).await, Outcome::Ack);
    assert_eq!(app.pay(&live).await, Outcome::Ack, "duplicate");
    assert_eq!(app.pay(&cancelled).await, Outcome::Ack);
    assert_eq!(app.show(&token, &live).await["status"], "complete");
    assert_eq!(
        app.show(&token, &cancelled).await["status"],
        "cancelled",
        "a late payment does not revive it"
    );
}
