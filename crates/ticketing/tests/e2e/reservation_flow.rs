//! tickets and orders together over the real NATS server.

use common::UserId;
use common::testing::{EVENTUALLY, eventually, expect_status, nats_url, token_for};
use serde_json::json;

use crate::helpers::{Stack, World};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_reserve_cancel_and_reprice_across_services() {
    let stack = Stack::start(&World::new(nats_url()), &["tickets", "orders"], &[]).await;
    let seller = token_for(UserId::new());
    let buyer = token_for(UserId::new());

    // A ticket listed in tickets reaches the orders replica, and an order reserves it in tickets.
    let ticket = stack.list_ticket(&seller, "concert", json!(20)).await;
    let order = stack.order_when_replicated(&buyer, &ticket).await;
    assert_eq!(order["ticket"]["price"], json!(20));
    eventually("tickets to record the reservation", EVENTUALLY, || async {
        (stack.ticket(&ticket["id"]).await["orderId"] == order["id"]).then_some(())
    })
    .await;
    let on_sale = expect_status(stack.api.get("/api/tickets", None).await, 200, "list");
    assert_eq!(on_sale, json!([]), "a reserved ticket is not on sale");

    // The seller cannot edit it while reserved; cancelling releases it.
    let path = format!("/api/tickets/{}", ticket["id"].as_str().expect("id"));
    let (status, _) = stack
        .api
        .put(
            &path,
            Some(&seller),
            &json!({"title": "concert", "price": 25}),
        )
        .await;
    assert_eq!(status, 400);
    let order_path = format!("/api/orders/{}", order["id"].as_str().expect("id"));
    assert_eq!(stack.api.delete(&order_path, Some(&buyer)).await.0, 204);
    eventually("tickets to release the ticket", EVENTUALLY, || async {
        stack.ticket(&ticket["id"]).await["orderId"]
            .is_null()
            .then_some(())
    })
    .await;

    // A new price reaches the replica and shows in the next order's embedded ticket.
    expect_status(
        stack
            .api
            .put(
                &path,
                Some(&seller),
                &json!({"title": "concert", "price": 25.5}),
            )
            .await,
        200,
        "edit",
    );
    let next = eventually("the new price in a new order", EVENTUALLY, || async {
        // A new buyer each time: one who cancelled waits out the re-order cooldown.
        let buyer = token_for(UserId::new());
        let (status, order) = stack
            .api
            .post(
                "/api/orders",
                Some(&buyer),
                &json!({"ticketId": ticket["id"]}),
            )
            .await;
        if status == 201 && order["ticket"]["price"] == json!(25.5) {
            return Some(order);
        }
        if status == 201 {
            // Ordered against the old replica state: cancel and try again.
            let path = format!("/api/orders/{}", order["id"].as_str().unwrap_or_default());
            stack.api.delete(&path, Some(&buyer)).await;
        }
        None
    })
    .await;
    assert_eq!(next["ticket"]["title"], "concert");
}
