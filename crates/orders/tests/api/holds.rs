//! No buyer hoards a sale: a cap on one buyer's unpaid orders, decided by the database, and a
//! cooldown before re-ordering a ticket the buyer released.

use common::testing::assert_errors;
use futures::future::join_all;
use orders::domain::HoldRules;
use serde_json::json;

use crate::helpers::{TestApp, spawn, spawn_with, user};

const CAP: &str =
    "You already hold 3 unpaid orders: pay for or cancel one before ordering another ticket";

fn rules(max_holds: Option<u32>, cooldown_seconds: i64) -> HoldRules {
    HoldRules {
        max_holds,
        reorder_cooldown: time::Duration::seconds(cooldown_seconds),
    }
}

async fn live_orders_of(app: &TestApp, buyer: common::UserId) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM orders WHERE user_id = $1 AND status = 'created'")
        .bind(buyer)
        .fetch_one(&app.pool)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_orders_of_one_buyer_never_exceed_the_cap() {
    let app = spawn_with(rules(Some(3), 0)).await;
    let (buyer, token) = user();
    let mut tickets = Vec::new();
    for _ in 0..12 {
        tickets.push(app.replicated_ticket().await);
    }
    let bodies: Vec<_> = tickets.iter().map(|t| json!({"ticketId": t.id})).collect();
    let results = join_all(
        bodies
            .iter()
            .map(|body| app.api.post("/api/orders", Some(&token), body)),
    )
    .await;
    let created = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 3, "exactly the cap is granted");
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 400, "{body}");
        assert_errors(body, &[(CAP, None)], "over the cap");
    }
    assert_eq!(live_orders_of(&app, buyer).await, 3);

    // Paying for one (or cancelling one) frees a place; other buyers are not affected.
    let first = results
        .iter()
        .find(|(s, _)| *s == 201)
        .map(|(_, o)| o.clone())
        .expect("an order");
    app.pay(&first).await;
    let mut free = tickets.iter().filter(|t| {
        !results
            .iter()
            .any(|(_, o)| o["ticket"]["id"] == json!(t.id))
    });
    app.order(&token, free.next().expect("a free ticket").id)
        .await;
    let (_, other) = user();
    app.order(&other, free.next().expect("another free ticket").id)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_can_be_lifted() {
    let app = spawn_with(rules(None, 0)).await;
    let (buyer, token) = user();
    for _ in 0..8 {
        let ticket = app.replicated_ticket().await;
        app.order(&token, ticket.id).await;
    }
    assert_eq!(live_orders_of(&app, buyer).await, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_ticket_cannot_be_re_ordered_by_the_same_buyer_until_the_cooldown_ends() {
    let app = spawn().await;
    let ticket = app.replicated_ticket().await;
    let (_, buyer) = user();
    let (_, other) = user();

    // Cancelled by the buyer: the same buyer must wait, anyone else may order at once.
    let order = app.order(&buyer, ticket.id).await;
    let path = format!("/api/orders/{}", order["id"].as_str().expect("id"));
    assert_eq!(app.api.delete(&path, Some(&buyer)).await.0, 204);
    let body = json!({"ticketId": ticket.id});
    let (status, refusal) = app.api.post("/api/orders", Some(&buyer), &body).await;
    assert_eq!(status, 400, "{refusal}");
    let message = refusal["errors"][0]["message"].as_str().unwrap_or_default();
    let seconds: u32 = message
        .strip_prefix("You released this ticket a moment ago: you can order it again in ")
        .and_then(|rest| rest.strip_suffix(" seconds"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected refusal {message:?}"));
    assert!((55..=60).contains(&seconds), "{message}");
    let held_by_other = app.order(&other, ticket.id).await;

    // Let expire: the same rule.
    let expiring = app.replicated_ticket().await;
    let order = app.order(&buyer, expiring.id).await;
    app.expire(&order).await;
    let (status, _) = app
        .api
        .post(
            "/api/orders",
            Some(&buyer),
            &json!({"ticketId": expiring.id}),
        )
        .await;
    assert_eq!(status, 400, "an expired hold cannot be renewed at once");

    // Other tickets are not affected.
    app.order(&buyer, app.replicated_ticket().await.id).await;
    assert_eq!(held_by_other["status"], "created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_cooldown_a_buyer_may_re_order_at_once() {
    let app = spawn_with(rules(Some(5), 0)).await;
    let ticket = app.replicated_ticket().await;
    let (_, buyer) = user();
    let order = app.order(&buyer, ticket.id).await;
    let path = format!("/api/orders/{}", order["id"].as_str().expect("id"));
    assert_eq!(app.api.delete(&path, Some(&buyer)).await.0, 204);
    app.order(&buyer, ticket.id).await;
}
