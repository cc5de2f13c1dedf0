//! order.created / order.cancelled, delivered in any order and any number of times.

use common::OrderId;
use common::events::TicketUpdated;
use common::testing::EventTap;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn, ticket_id, user};

async fn listed(app: &TestApp) -> Value {
    let (_, token) = user();
    app.create_ticket(&token, "concert", json!(10)).await
}

async fn holder(app: &TestApp, ticket: &Value) -> (Value, Value) {
    let t = app.ticket(ticket["id"].as_str().expect("id")).await;
    (t["orderId"].clone(), t["version"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_reserves_and_its_cancellation_releases() {
    let app = spawn().await;
    let mut tap = EventTap::new(&app.bus, "ticket.updated").await;
    let ticket = listed(&app).await;
    let order = OrderId::new();

    app.order_created(&ticket, order).await;
    app.order_created(&ticket, order).await; // duplicate delivery
    assert_eq!(holder(&app, &ticket).await, (json!(order), json!(1)));
    let reserved: TicketUpdated = tap.next().await;
    assert_eq!(
        (reserved.id, reserved.version, reserved.order_id),
        (ticket_id(&ticket), 1, Some(order))
    );

    app.order_cancelled(&ticket, order).await;
    app.order_cancelled(&ticket, order).await; // duplicate delivery
    assert_eq!(holder(&app, &ticket).await, (json!(null), json!(2)));
    let released: TicketUpdated = tap.next().await;
    assert_eq!((released.version, released.order_id), (2, None));
    assert!(
        tap.is_quiet_for(std::time::Duration::from_millis(300))
            .await,
        "duplicates announce nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_cancellation_does_not_release_another_orders_ticket() {
    let app = spawn().await;
    let ticket = listed(&app).await;
    let (a, b) = (OrderId::new(), OrderId::new());
    app.order_created(&ticket, a).await;
    app.order_cancelled(&ticket, a).await;
    app.order_created(&ticket, b).await;
    app.order_cancelled(&ticket, a).await; // redelivered late
    assert_eq!(holder(&app, &ticket).await.0, json!(b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_before_its_creation_leaves_the_ticket_free() {
    let app = spawn().await;
    let ticket = listed(&app).await;
    let a = OrderId::new();
    app.order_cancelled(&ticket, a).await;
    app.order_created(&ticket, a).await;
    assert_eq!(
        holder(&app, &ticket).await,
        (json!(null), json!(0)),
        "never reserved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_arrival_order_converges_to_the_orders_services_truth() {
    // Truth in orders: A was created, then cancelled, then B was created. B holds the ticket.
    #[derive(Clone, Copy, Debug)]
    enum Step {
        CreateA,
        CancelA,
        CreateB,
    }
    let permutations = [
        [Step::CreateA, Step::CancelA, Step::CreateB],
        [Step::CreateA, Step::CreateB, Step::CancelA],
        [Step::CancelA, Step::CreateA, Step::CreateB],
        [Step::CancelA, Step::CreateB, Step::CreateA],
        [Step::CreateB, Step::CreateA, Step::CancelA],
        [Step::CreateB, Step::CancelA, Step::CreateA],
    ];
    let app = spawn().await;
    for steps in permutations {
        let ticket = listed(&app).await;
        let (a, b) = (OrderId::new(), OrderId::new());
        for step in steps {
            match step {
                Step::CreateA => app.order_created(&ticket, a).await,
                Step::CancelA => app.order_cancelled(&ticket, a).await,
                Step::CreateB => app.order_created(&ticket, b).await,
            }
        }
        assert_eq!(holder(&app, &ticket).await.0, json!(b), "{steps:?}");
    }
}
