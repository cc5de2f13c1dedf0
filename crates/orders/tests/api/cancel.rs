use std::time::Duration;

use common::events::OrderCancelled;
use common::testing::{EventTap, assert_errors};

use crate::helpers::{order_id, spawn, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_is_announced_once_and_repeats_are_no_ops() {
    let app = spawn().await;
    let mut tap = EventTap::new(&app.bus, "order.cancelled").await;
    let ticket = app.replicated_ticket().await;
    let (_, token) = user();
    let order = app.order(&token, ticket.id).await;
    let path = format!("/api/orders/{}", order["id"].as_str().expect("id"));

    let (status, body) = app.api.delete(&path, Some(&token)).await;
    assert_eq!(
        (status.as_u16(), body),
        (204, serde_json::Value::Null),
        "204 with an empty body"
    );
    let shown = app.show(&token, &order).await;
    assert_eq!(
        (shown["status"].as_str(), shown["version"].as_i64()),
        (Some("cancelled"), Some(1))
    );
    let event: OrderCancelled = tap.next().await;
    assert_eq!(
        (event.id, event.version, event.ticket.id),
        (order_id(&order), 1, ticket.id)
    );

    assert_eq!(
        app.api.delete(&path, Some(&token)).await.0,
        204,
        "cancelling again"
    );
    assert_eq!(
        app.show(&token, &order).await["version"],
        1,
        "no second change"
    );
    assert!(
        tap.is_quiet_for(Duration::from_millis(500)).await,
        "no second event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_is_refused_per_the_spec() {
    let app = spawn().await;
    let (_, owner) = user();
    let (_, stranger) = user();
    let live = app.order(&owner, app.replicated_ticket().await.id).await;
    let paid = app.order(&owner, app.replicated_ticket().await.id).await;
    app.pay(&paid).await;
    let at = |o: &serde_json::Value| format!("/api/orders/{}", o["id"].as_str().expect("id"));
    let cases = [
        ("no session", at(&live), None, 401, "Not authorized"),
        (
            "not the owner",
            at(&live),
            Some(&stranger),
            401,
            "Not authorized",
        ),
        (
            "unknown",
            format!("/api/orders/{}", uuid::Uuid::new_v4()),
            Some(&owner),
            404,
            "Not Found",
        ),
        (
            "malformed id",
            "/api/orders/1".to_owned(),
            Some(&owner),
            404,
            "Not Found",
        ),
        (
            "completed",
            at(&paid),
            Some(&owner),
            400,
            "Cannot cancel a completed order",
        ),
    ];
    for (case, path, token, status, message) in cases {
        let (actual, body) = app.api.delete(&path, token.map(String::as_str)).await;
        assert_eq!(actual, status, "{case}");
        assert_errors(&body, &[(message, None)], case);
    }
    assert_eq!(app.show(&owner, &live).await["status"], "created");
    assert_eq!(app.show(&owner, &paid).await["status"], "complete");
}
