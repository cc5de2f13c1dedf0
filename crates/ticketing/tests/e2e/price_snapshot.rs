//! The price a buyer is shown is the price charged (contract: orders, "ticket.price is the price
//! when the order was placed"): a seller's edit racing a buyer's order never makes the order page
//! say one price while the card is charged another.

use std::time::Duration;

use common::testing::{EVENTUALLY, eventually, expect_status, nats_url};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Stack, World, seller_and_buyer};

/// Every evented service.
fn all() -> Vec<&'static str> {
    ticketing::services::evented()
}
const ROUNDS: usize = 24;

fn uuid_of(value: &Value) -> uuid::Uuid {
    value.as_str().and_then(|s| s.parse().ok()).expect("an id")
}

/// Waits until the orders replica has the ticket, so the order races only the edit.
async fn replicated(orders_db: &PgPool, ticket: &Value) {
    let id = uuid_of(&ticket["id"]);
    eventually(
        "the ticket to reach the orders replica",
        EVENTUALLY,
        || async {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT version FROM tickets WHERE id = $1")
                    .bind(id)
                    .fetch_optional(orders_db)
                    .await
                    .ok()?;
            found.map(drop)
        },
    )
    .await;
}

/// What the provider charged and kept for an order, in cents, once payments settled it.
async fn kept_charge(payments_db: &PgPool, order: uuid::Uuid) -> Option<i64> {
    sqlx::query_scalar(
        "SELECT c.amount_cents FROM payments p
         JOIN fake_provider.charges c ON c.id = p.stripe_id
         WHERE p.order_id = $1 AND p.status = 'succeeded'",
    )
    .bind(order)
    .fetch_optional(payments_db)
    .await
    .expect("reading the kept charge")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_edit_racing_an_order_never_charges_another_price_than_shown() {
    let world = World::new(nats_url());
    let stack = Stack::start(&world, &all(), &[]).await;
    let (orders_db, payments_db) = (world.pool("orders").await, world.pool("payments").await);
    let mut paid = 0;
    let mut cancelled = 0;
    for round in 0..ROUNDS {
        let (seller, buyer) = seller_and_buyer();
        let ticket = stack
            .list_ticket(&seller, &format!("race {round}"), json!(1))
            .await;
        replicated(&orders_db, &ticket).await;
        let ticket_path = format!("/api/tickets/{}", ticket["id"].as_str().expect("id"));

        // The edit is sent 0-5 ms after the order.
        let delay = Duration::from_millis((round % 6) as u64);
        let order_body = json!({"ticketId": ticket["id"]});
        let edit_body = json!({"title": format!("race {round}"), "price": 20});
        let (ordered, _) = tokio::join!(
            stack.api.post("/api/orders", Some(&buyer), &order_body),
            async {
                tokio::time::sleep(delay).await;
                stack.api.put(&ticket_path, Some(&seller), &edit_body).await
            }
        );
        let order = expect_status(ordered, 201, "ordering");
        let shown_at_order = order["ticket"]["price"].clone();

        let (status, payment) = stack.pay_when_replicated(&buyer, &order, "tok_visa").await;
        assert!(
            status == 201 || status == 400,
            "round {round}: payment answered {status}: {payment}"
        );
        let id = uuid_of(&order["id"]);
        let settled = eventually("the order to settle", EVENTUALLY, || async {
            let shown = stack.order(&buyer, &order).await;
            match shown["status"].as_str()? {
                "complete" => Some(shown),
                "cancelled" => Some(shown),
                _ => None,
            }
        })
        .await;
        assert_eq!(
            settled["ticket"]["price"], shown_at_order,
            "round {round}: the order shows the price it was placed at, whatever the seller did"
        );
        match settled["status"].as_str() {
            Some("complete") => {
                let charged = kept_charge(&payments_db, id).await;
                let shown = (settled["ticket"]["price"].as_f64().expect("price") * 100.0).round();
                assert_eq!(
                    charged,
                    Some(shown as i64),
                    "round {round}: the card is charged exactly the price the order shows"
                );
                assert_eq!(
                    stack.ticket(&ticket["id"]).await["price"],
                    settled["ticket"]["price"],
                    "round {round}: the seller sold at the price listed (the edit was refused)"
                );
                paid += 1;
            }
            _ => {
                // payments learns of the cancellation through order.cancelled and refunds then.
                eventually("a cancelled order to keep no money", EVENTUALLY, || async {
                    kept_charge(&payments_db, id).await.is_none().then_some(())
                })
                .await;
                // The edit stands, and the ticket goes back on sale at the new price.
                eventually("the ticket to be on sale again", EVENTUALLY, || async {
                    let shown = stack.ticket(&ticket["id"]).await;
                    (shown["orderId"].is_null() && shown["price"] == json!(20)).then_some(())
                })
                .await;
                cancelled += 1;
            }
        }
    }
    eprintln!("{ROUNDS} rounds: {paid} paid at the price shown, {cancelled} cancelled");
    assert_eq!(paid + cancelled, ROUNDS);
}
