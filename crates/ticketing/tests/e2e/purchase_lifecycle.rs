//! Issue 4 across all five services over real NATS: pay, let expire, restart expiration, race.

use std::time::Duration;

use common::testing::{EVENTUALLY, assert_errors, eventually, nats_url};
use serde_json::{Value, json};

use crate::helpers::{Stack, World, seller_and_buyer};

/// Every service that owns a database.
fn all() -> Vec<&'static str> {
    ticketing::services::with_database()
}

async fn status_of(stack: &Stack, token: &str, order: &Value) -> String {
    stack.order(token, order).await["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn wait_for_status(stack: &Stack, token: &str, order: &Value, wanted: &str) {
    eventually(&format!("order to become {wanted}"), EVENTUALLY, || async {
        (status_of(stack, token, order).await == wanted).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_completes_and_the_ticket_stays_sold() {
    let stack = Stack::start(&World::new(nats_url()), &all(), &[]).await;
    let (seller, buyer) = seller_and_buyer();
    let ticket = stack.list_ticket(&seller, "concert", json!(20)).await;
    let order = stack.order_when_replicated(&buyer, &ticket).await;

    let (status, payment) = stack.pay_when_replicated(&buyer, &order, "tok_visa").await;
    assert_eq!(status, 201, "{payment}");
    assert!(payment["id"].is_string());
    wait_for_status(&stack, &buyer, &order, "complete").await;

    let (status, again) = stack.pay_when_replicated(&buyer, &order, "tok_visa").await;
    assert_eq!(status, 400);
    assert_errors(
        &again,
        &[("Order has already been paid", None)],
        "paying twice",
    );
    assert_eq!(
        stack.ticket(&ticket["id"]).await["orderId"],
        order["id"],
        "the ticket stays reserved"
    );
    let path = format!("/api/orders/{}", order["id"].as_str().expect("id"));
    let (status, body) = stack.api.delete(&path, Some(&buyer)).await;
    assert_eq!(status, 400);
    assert_errors(
        &body,
        &[("Cannot cancel a completed order", None)],
        "cancelling a paid order",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_order_expires_and_the_ticket_goes_back_on_sale() {
    let stack = Stack::start(
        &World::new(nats_url()),
        &all(),
        &[("ORDER_EXPIRATION_SECONDS", "2")],
    )
    .await;
    let (seller, buyer) = seller_and_buyer();
    let ticket = stack.list_ticket(&seller, "concert", json!(20)).await;
    let order = stack.order_when_replicated(&buyer, &ticket).await;

    wait_for_status(&stack, &buyer, &order, "cancelled").await;
    eventually("the ticket to be on sale again", EVENTUALLY, || async {
        let (_, list) = stack.api.get("/api/tickets", None).await;
        list.as_array()?
            .iter()
            .any(|t| t["id"] == ticket["id"])
            .then_some(())
    })
    .await;
    let (status, body) = stack.pay_when_replicated(&buyer, &order, "tok_visa").await;
    assert_eq!(status, 400);
    assert_errors(&body, &[("Order has expired", None)], "paying too late");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_expiration_survives_a_restart_of_the_expiration_service() {
    let world = World::new(nats_url());
    let stack = Stack::start(
        &world,
        &["auth", "tickets", "orders", "payments"],
        &[("ORDER_EXPIRATION_SECONDS", "3")],
    )
    .await;
    let mut expiration = Stack::start(&world, &["expiration"], &[]).await;
    let (seller, buyer) = seller_and_buyer();
    let ticket = stack.list_ticket(&seller, "concert", json!(20)).await;
    let order = stack.order_when_replicated(&buyer, &ticket).await;
    let expiration_db = world.pool("expiration").await;
    eventually("the expiration to be scheduled", EVENTUALLY, || async {
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM expirations")
            .fetch_one(&expiration_db)
            .await
            .ok()?;
        (pending == 1).then_some(())
    })
    .await;

    expiration.stop().await;
    assert_eq!(status_of(&stack, &buyer, &order).await, "created");
    let _restarted = Stack::start_on_existing(&world, &["expiration"], &[]).await;

    let expires_at = time::OffsetDateTime::parse(
        order["expiresAt"].as_str().expect("expiresAt"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    wait_for_status(&stack, &buyer, &order, "cancelled").await;
    let late = time::OffsetDateTime::now_utc() - expires_at;
    assert!(
        late < time::Duration::seconds(3),
        "cancelled {late} after expiresAt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_leaves_the_order_payable() {
    let world = World::new(nats_url());
    let stack = Stack::start(&world, &all(), &[]).await;
    let (seller, buyer) = seller_and_buyer();
    let ticket = stack.list_ticket(&seller, "concert", json!(20)).await;
    let order = stack.order_when_replicated(&buyer, &ticket).await;

    let (status, body) = stack
        .pay_when_replicated(&buyer, &order, "tok_chargeDeclined")
        .await;
    assert_eq!(status, 402, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    let payments_db = world.pool("payments").await;
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
        .fetch_one(&payments_db)
        .await
        .expect("count");
    assert_eq!(recorded, 0, "nothing recorded for a declined card");
    assert_eq!(status_of(&stack, &buyer, &order).await, "created");

    let (status, _) = stack.pay_when_replicated(&buyer, &order, "tok_visa").await;
    assert_eq!(status, 201);
    wait_for_status(&stack, &buyer, &order, "complete").await;
}

/// A payment and an expiration for one order at the same moment end in exactly one of
/// {complete and charged} or {cancelled and refunded}, never cancelled-and-charged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_racing_its_expiration_is_never_kept_for_a_cancelled_order() {
    let world = World::new(nats_url());
    // One buyer holds six orders at once: above the default cap.
    let stack = Stack::start(
        &world,
        &all(),
        &[
            ("ORDER_EXPIRATION_SECONDS", "2"),
            ("MAX_HOLDS_PER_BUYER", "6"),
        ],
    )
    .await;
    let payments_db = world.pool("payments").await;
    let (seller, buyer) = seller_and_buyer();

    let mut orders = Vec::new();
    for i in 0..6 {
        let ticket = stack
            .list_ticket(&seller, &format!("race {i}"), json!(10))
            .await;
        orders.push(stack.order_when_replicated(&buyer, &ticket).await);
    }
    // Pay each order at a different moment around its expiry, while the expiration fires.
    let attempts = orders.iter().enumerate().map(|(i, order)| {
        let (stack, buyer) = (&stack, &buyer);
        async move {
            let expires_at = time::OffsetDateTime::parse(
                order["expiresAt"].as_str().expect("expiresAt"),
                &time::format_description::well_known::Rfc3339,
            )
            .expect("time");
            let pay_at = expires_at - time::Duration::milliseconds(120)
                + time::Duration::milliseconds(40 * i as i64);
            let wait = pay_at - time::OffsetDateTime::now_utc();
            if wait.is_positive() {
                tokio::time::sleep(Duration::from_millis(wait.whole_milliseconds() as u64)).await;
            }
            stack
                .api
                .post(
                    "/api/payments",
                    Some(buyer),
                    &json!({"orderId": order["id"], "token": "tok_visa"}),
                )
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(attempts).await;

    for (order, status) in orders.iter().zip(statuses) {
        let id: uuid::Uuid = order["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("id");
        let settled = eventually("the order to settle", EVENTUALLY, || async {
            let state = status_of(&stack, &buyer, order).await;
            let payments: Vec<String> =
                sqlx::query_scalar("SELECT status FROM payments WHERE order_id = $1")
                    .bind(id)
                    .fetch_all(&payments_db)
                    .await
                    .ok()?;
            let kept = payments.iter().filter(|p| *p == "succeeded").count();
            match state.as_str() {
                "complete" if kept == 1 => Some("complete and charged"),
                "cancelled" if kept == 0 => Some("cancelled, nothing kept"),
                _ => None,
            }
        })
        .await;
        assert!(status == 201 || status == 400, "payment answered {status}");
        if status == 201 && settled == "cancelled, nothing kept" {
            let refunded: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM payments WHERE order_id = $1 AND status = 'refunded'",
            )
            .bind(id)
            .fetch_one(&payments_db)
            .await
            .expect("count");
            assert_eq!(
                refunded, 1,
                "a charge accepted for an order that then expired is refunded"
            );
        }
    }
}
