//! A lost consumer is rebuilt: after the stream, or any one durable consumer, is deleted under
//! load (an operator's mistake, or NATS losing data), every listener recreates what it needs, says
//! so, and events flow again.

use std::time::{Duration, Instant};

use common::bus::{Bus, Namespace};
use common::testing::{EVENTUALLY, eventually, nats_url};
use serde_json::{Value, json};

use crate::helpers::{Stack, World, seller_and_buyer};

/// Every service with listeners.
fn all() -> Vec<&'static str> {
    ticketing::services::evented()
}
/// tickets 3, orders 4, expiration 3, payments 2.
const DURABLE_CONSUMERS: usize = 12;

/// A ticket listed now reaches the orders replica, and its order reserves it in tickets.
async fn events_flow(stack: &Stack) {
    let (seller, buyer) = seller_and_buyer();
    let ticket = stack.list_ticket(&seller, "after the loss", json!(5)).await;
    let order = stack.order_when_replicated(&buyer, &ticket).await;
    eventually("tickets to learn of the order", EVENTUALLY, || async {
        (stack.ticket(&ticket["id"]).await["orderId"] == order["id"]).then_some(())
    })
    .await;
    let (status, _) = stack.pay_when_replicated(&buyer, &order, "tok_visa").await;
    assert_eq!(status, 201);
    eventually("orders to learn of the payment", EVENTUALLY, || async {
        (stack.order(&buyer, &order).await["status"] == "complete").then_some(())
    })
    .await;
}

/// Every listener says it consumes, and NATS holds every durable consumer. A listener learns of a
/// loss only when its next pull fails or a heartbeat goes missing, so readiness alone can still
/// report a consumer that was deleted a moment ago: both have to agree.
async fn all_consuming(stack: &Stack, bus: &Bus) -> Option<()> {
    let (_, ready) = stack.api.get("/readyz", None).await;
    let listeners = &ready["listeners"];
    let ready = listeners["total"] == json!(DURABLE_CONSUMERS)
        && listeners["not_consuming"] == json!(Vec::<Value>::new());
    (ready && durable_consumers(bus).await.len() == DURABLE_CONSUMERS).then_some(())
}

/// The services' durable consumers that NATS holds now; none while the stream is missing.
async fn durable_consumers(bus: &Bus) -> Vec<String> {
    use futures::TryStreamExt;
    let Ok(stream) = bus
        .jetstream()
        .get_stream(bus.namespace().stream_name())
        .await
    else {
        return Vec::new();
    };
    let names: Vec<String> = stream
        .consumer_names()
        .try_collect()
        .await
        .unwrap_or_default();
    names
        .into_iter()
        .filter(|n| all().iter().any(|s| n.starts_with(&format!("{s}_"))))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_stream_or_a_consumer_under_load_is_survived() {
    let world = World::new(nats_url());
    let stack = Stack::start(&world, &all(), &[("MAX_HOLDS_PER_BUYER", "off")]).await;
    let bus = Bus::connect(
        &world.nats_url,
        Namespace::parse(&world.namespace).expect("ns"),
    )
    .await
    .expect("NATS");
    eventually("every listener to consume", EVENTUALLY, || {
        all_consuming(&stack, &bus)
    })
    .await;
    events_flow(&stack).await;

    // Load while things disappear.
    let loading = {
        let api = stack.api.clone();
        tokio::spawn(async move {
            let (seller, _) = seller_and_buyer();
            let until = Instant::now() + Duration::from_secs(3);
            while Instant::now() < until {
                let body = json!({"title": "under load", "price": 1});
                api.post("/api/tickets", Some(&seller), &body).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    let stream = bus.namespace().stream_name();
    bus.jetstream()
        .delete_stream(&stream)
        .await
        .expect("deleting the stream");
    let lost = Instant::now();
    eventually("every listener to consume again", EVENTUALLY, || {
        all_consuming(&stack, &bus)
    })
    .await;
    eprintln!(
        "all {DURABLE_CONSUMERS} consumers back {:?} after the stream was deleted",
        lost.elapsed()
    );
    loading.await.expect("load");
    events_flow(&stack).await;

    // Each durable consumer on its own.
    let durable = durable_consumers(&bus).await;
    assert_eq!(durable.len(), DURABLE_CONSUMERS, "{durable:?}");
    let stream = bus.ensure_stream().await.expect("stream");
    for name in durable {
        stream
            .delete_consumer(&name)
            .await
            .expect("deleting a consumer");
    }
    let lost = Instant::now();
    eventually("every listener to consume again", EVENTUALLY, || {
        all_consuming(&stack, &bus)
    })
    .await;
    eprintln!(
        "all consumers back {:?} after each was deleted",
        lost.elapsed()
    );
    events_flow(&stack).await;
}
