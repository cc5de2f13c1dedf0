//! docs/contract.md#delivery-rules, rule 1: with NATS down, requests still succeed, and their
//! events are published once NATS is back, exactly once in effect.

use std::time::Duration;

use common::UserId;
use common::bus::{Bus, Namespace};
use common::events::TicketCreated;
use common::testing::{EVENTUALLY, EventTap, NatsServer, expect_status, token_for};
use serde_json::json;

use crate::helpers::{Stack, World};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_committed_while_nats_is_down_are_published_when_it_returns() {
    let mut nats = NatsServer::start();
    let world = World::new(nats.url());
    let mut stack = Stack::start(&world, &["tickets", "orders"], &[]).await;
    let seller = token_for(UserId::new());
    let buyer = token_for(UserId::new());
    // The stream exists before the outage, as it would in production.
    stack
        .list_ticket(&seller, "before the outage", json!(5))
        .await;

    nats.stop();
    let mut listed = Vec::new();
    for i in 0..5 {
        listed.push(
            stack
                .list_ticket(&seller, &format!("during the outage {i}"), json!(10 + i))
                .await,
        );
    }
    // Still ready: the HTTP path needs the databases, and the outbox keeps the events.
    let (status, ready) = stack.api.get("/readyz", None).await;
    assert_eq!(status, 200, "ready without NATS: {ready}");
    assert_eq!(ready["nats"]["tickets"], "disconnected", "{ready}");
    let metrics = reqwest::get(&stack.metrics_url)
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("nats_connected{service=\"tickets\"} 0"),
        "{metrics}"
    );

    // Let the relay fail a few times, then bring NATS back: the services reconnect at once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    nats.resume();
    let back = std::time::Instant::now();
    common::testing::eventually("the services to reconnect", EVENTUALLY, || async {
        let (_, ready) = stack.api.get("/readyz", None).await;
        (ready["nats"]["tickets"] == "connected" && ready["nats"]["orders"] == "connected")
            .then_some(())
    })
    .await;
    let reconnected = back.elapsed();
    assert!(
        reconnected < Duration::from_millis(1500),
        "reconnected {reconnected:?} after NATS came back"
    );
    eprintln!("reconnected {reconnected:?} after NATS came back");

    for ticket in &listed {
        let order = stack.order_when_replicated(&buyer, ticket).await;
        assert_eq!(order["status"], "created");
        let path = format!("/api/orders/{}", order["id"].as_str().expect("id"));
        expect_status(stack.api.delete(&path, Some(&buyer)).await, 204, "cancel");
    }

    // Exactly once in effect: each ticket.created is in the stream once.
    let bus = Bus::connect(&nats.url(), Namespace::parse(&world.namespace).expect("ns"))
        .await
        .expect("bus");
    let mut tap = EventTap::new(&bus, "ticket.created").await;
    let mut seen = Vec::new();
    for _ in 0..6 {
        let event: TicketCreated = tap.next().await;
        seen.push(event.id.to_string());
    }
    assert!(
        tap.is_quiet_for(Duration::from_millis(500)).await,
        "no duplicate ticket.created"
    );
    for ticket in &listed {
        let id = ticket["id"].as_str().expect("id");
        assert_eq!(
            seen.iter().filter(|s| s.as_str() == id).count(),
            1,
            "{id} published once"
        );
    }
    stack.stop().await;
}
