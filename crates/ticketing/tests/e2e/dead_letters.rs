//! No event is silently given up, across the stack: a poison event lands in the consuming
//! service's dead letters, shows in `/metrics` and `ticketing dead-letters list`, and
//! `ticketing dead-letters replay` hands it to that service again.

use std::process::Command;

use common::bus::{Bus, Namespace};
use common::testing::{EVENTUALLY, database_url, eventually, nats_url};

use crate::helpers::{Stack, World};

/// Runs `ticketing dead-letters <args>` against the world's databases and namespace.
fn command(world: &World, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ticketing"))
        .arg("dead-letters")
        .args(args)
        .env("DATABASE_URL", database_url(&world.base))
        .env("NATS_URL", &world.nats_url)
        .env("EVENTS_NAMESPACE", &world.namespace)
        .env("TICKETING_SERVICES", "tickets,orders")
        .output()
        .expect("running ticketing dead-letters");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn dead_letters(orders_db: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM dead_letters")
        .fetch_one(orders_db)
        .await
        .expect("count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_event_is_kept_listed_and_replayed_to_its_service() {
    let world = World::new(nats_url());
    let stack = Stack::start(&world, &["tickets", "orders"], &[]).await;
    let orders_db = world.pool("orders").await;
    let bus = Bus::connect(
        &world.nats_url,
        Namespace::parse(&world.namespace).expect("ns"),
    )
    .await
    .expect("NATS");
    bus.ensure_stream().await.expect("stream");
    bus.jetstream()
        .publish(
            bus.namespace().subject("ticket.created"),
            b"{\"id\": 42}".as_slice().into(),
        )
        .await
        .expect("publish")
        .await
        .expect("ack");

    eventually("orders to keep the poison event", EVENTUALLY, || async {
        (dead_letters(&orders_db).await == 1).then_some(())
    })
    .await;
    let metrics = reqwest::get(&stack.metrics_url)
        .await
        .expect("/metrics")
        .text()
        .await
        .expect("metrics text");
    assert!(
        metrics.contains("events_dead_letters{service=\"orders\"} 1"),
        "{metrics}"
    );

    let listed = command(&world, &["list"]);
    assert!(listed.contains(" orders ticket.created "), "{listed}");
    assert!(listed.contains("reason: undecodable"), "{listed}");
    assert!(listed.contains("payload: {\"id\": 42}"), "{listed}");
    assert!(listed.ends_with("1 dead letter(s)\n"), "{listed}");

    let replayed = command(&world, &["replay", "--all"]);
    assert!(replayed.contains(" to orders"), "{replayed}");
    // Still poison: orders gives up on it again, and nothing else touched it.
    eventually("orders to see the replay", EVENTUALLY, || async {
        (dead_letters(&orders_db).await == 2).then_some(())
    })
    .await;
    assert!(command(&world, &["list"]).ends_with("1 dead letter(s)\n"));
    assert!(command(&world, &["list", "--all"]).ends_with("2 dead letter(s)\n"));
    let tickets_db = world.pool("tickets").await;
    assert_eq!(dead_letters(&tickets_db).await, 0);
}
