//! An order shows, and payments charges, the ticket as it was when the order was placed. A
//! listing edit the order never saw supersedes it.

use common::events::OrderCancelled;
use common::testing::EventTap;
use serde_json::json;

use crate::helpers::{spawn, ticket_updated, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_keeps_the_title_and_price_it_was_placed_at() {
    let app = spawn().await;
    let ticket = app.replicated_ticket().await;
    let (_, buyer) = user();
    let order = app.order(&buyer, ticket.id).await;
    // tickets reserves it (a holder change: the listing is the same) ...
    let mut reserved = ticket_updated(&ticket, 1, 2000);
    reserved.order_id = Some(crate::helpers::order_id(&order));
    app.apply(reserved).await;
    let shown = app.show(&buyer, &order).await;
    assert_eq!(
        shown["ticket"],
        json!({"id": ticket.id, "title": "concert", "price": 20, "version": 0})
    );
    assert_eq!(
        shown["status"], "created",
        "a holder change supersedes nothing"
    );
    let (_, listed) = app.api.get("/api/orders", Some(&buyer)).await;
    assert_eq!(listed[0]["ticket"], shown["ticket"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_edit_the_order_never_saw_cancels_it_once() {
    let app = spawn().await;
    let mut tap = EventTap::new(&app.bus, "order.cancelled").await;
    let ticket = app.replicated_ticket().await;
    let (_, buyer) = user();
    let order = app.order(&buyer, ticket.id).await;
    app.pay(&order).await;

    // The seller's edit reached tickets before this order did: tickets accepted it.
    let edit = ticket_updated(&ticket, 1, 2500);
    app.apply(edit.clone()).await;
    let shown = app.show(&buyer, &order).await;
    assert_eq!(
        shown["status"], "cancelled",
        "even a paid order: payments refunds it"
    );
    assert_eq!(
        shown["ticket"]["price"], 20,
        "it still shows what it was placed at"
    );
    let event: OrderCancelled = tap.next().await;
    assert_eq!(
        (event.id, event.version),
        (crate::helpers::order_id(&order), 1)
    );

    // A redelivery changes nothing; a new order is placed at the new price.
    app.apply(edit).await;
    assert_eq!(app.show(&buyer, &order).await["version"], 1);
    let (_, other) = user();
    let next = app.order(&other, ticket.id).await;
    assert_eq!(next["ticket"]["price"], 25);
    assert_eq!(next["ticket"]["version"], 1);
    let same_listing = ticket_updated(&ticket, 2, 2500);
    app.apply(same_listing).await;
    assert_eq!(
        app.show(&other, &next).await["status"],
        "created",
        "an update that leaves the listing as the order shows it supersedes nothing"
    );
}
