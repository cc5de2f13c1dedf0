//! docs/contract.md#delivery-rules, rule 6: messages that arrive together are applied in one
//! transaction, in order; one that must wait leaves nothing behind and the others commit; a
//! failing one rolls its batch back and the others are applied one at a time.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::HashSet;

use common::bus::{Apply, Applying, Bus, DeadLetters, Listener, Outcome, VersionOrder};
use common::events::{Event, TicketUpdated};
use common::testing::{EVENTUALLY, TestDb, eventually, nats_url, unique_namespace};
use common::{Price, TicketId, UserId};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;

/// A replica of ticket versions that applies `ticket.updated` strictly in version order, and
/// records every write it makes with the transaction that made it.
struct Replica {
    /// Updates of this ticket fail, always.
    poison: Option<TicketId>,
}

impl Apply<TicketUpdated> for Replica {
    async fn apply(&self, tx: &mut Applying<'_>, event: TicketUpdated) -> anyhow::Result<Outcome> {
        let conn = tx.conn();
        sqlx::query("INSERT INTO written (id, version, txid) VALUES ($1, $2, txid_current())")
            .bind(event.id)
            .bind(event.version)
            .execute(&mut *conn)
            .await?;
        anyhow::ensure!(Some(event.id) != self.poison, "poisoned ticket");
        let applied =
            sqlx::query("UPDATE replica SET version = $2 WHERE id = $1 AND version = $2 - 1")
                .bind(event.id)
                .bind(event.version)
                .execute(&mut *conn)
                .await?
                .rows_affected();
        if applied == 1 {
            return Ok(Outcome::Ack);
        }
        let stored: Option<i64> = sqlx::query_scalar("SELECT version FROM replica WHERE id = $1")
            .bind(event.id)
            .fetch_optional(&mut *conn)
            .await?;
        Ok(VersionOrder::of(stored, event.version).unapplied())
    }
}

async fn database(db: &TestDb, tickets: &[TicketId]) -> PgPool {
    let pool = common::db::connect(&db.url, 4).await.expect("database");
    common::db::migrate(&pool, &MIGRATIONS)
        .await
        .expect("migrations");
    sqlx::raw_sql(
        "CREATE TABLE replica (id uuid PRIMARY KEY, version bigint NOT NULL);
         CREATE TABLE written (id uuid NOT NULL, version bigint NOT NULL, txid bigint NOT NULL);",
    )
    .execute(&pool)
    .await
    .expect("tables");
    for &id in tickets {
        sqlx::query("INSERT INTO replica (id, version) VALUES ($1, 0)")
            .bind(id)
            .execute(&pool)
            .await
            .expect("ticket");
    }
    pool
}

/// Publishes the updates in this order, before any listener runs, so they arrive together.
async fn publish(bus: &Bus, updates: &[(TicketId, i64)]) {
    bus.ensure_stream().await.expect("stream");
    for &(id, version) in updates {
        let event = TicketUpdated {
            id,
            version,
            title: "t".into(),
            price: Price::from_cents(100).expect("price"),
            user_id: UserId::new(),
            order_id: None,
        };
        bus.jetstream()
            .publish(
                bus.namespace().subject(TicketUpdated::SUBJECT),
                serde_json::to_vec(&event).expect("json").into(),
            )
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
}

async fn version(pool: &PgPool, id: TicketId) -> i64 {
    sqlx::query_scalar("SELECT version FROM replica WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("version")
}

/// (ticket, version, transaction) of every write that committed.
async fn written(pool: &PgPool) -> Vec<(TicketId, i64, i64)> {
    sqlx::query_as("SELECT id, version, txid FROM written ORDER BY txid, version")
        .fetch_all(pool)
        .await
        .expect("written")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_that_arrive_together_commit_together_in_version_order() {
    let (a, b) = (TicketId::new(), TicketId::new());
    let db = TestDb::new();
    let pool = database(&db, &[a, b]).await;
    let bus = Bus::connect(&nats_url(), unique_namespace())
        .await
        .expect("NATS");
    // a and b interleaved, versions 1..=40 each; a's 42 comes before its 41, so it must wait.
    let mut updates: Vec<_> = (1..=40).flat_map(|v| [(a, v), (b, v)]).collect();
    updates.extend([(a, 42), (a, 41)]);
    publish(&bus, &updates).await;

    let cancel = CancellationToken::new();
    let listener = Listener::new("batches", Replica { poison: None });
    let task = tokio::spawn(listener.run(bus, DeadLetters::new(pool.clone()), cancel.clone()));
    eventually("every update applied", EVENTUALLY, || async {
        (version(&pool, a).await == 42 && version(&pool, b).await == 40).then_some(())
    })
    .await;
    cancel.cancel();
    task.await.expect("stopped");

    let rows = written(&pool).await;
    let distinct: HashSet<_> = rows.iter().map(|(id, v, _)| (*id, *v)).collect();
    assert_eq!(
        (rows.len(), distinct.len()),
        (82, 82),
        "each update written once: 42 waited, and nothing of its first attempt stayed"
    );
    let transactions: HashSet<_> = rows.iter().map(|(_, _, tx)| *tx).collect();
    assert!(
        transactions.len() < 41,
        "82 updates in {} transactions: they were batched",
        transactions.len()
    );
    let consecutive_in_one = rows
        .iter()
        .any(|&(id, v, tx)| rows.contains(&(id, v + 1, tx)));
    assert!(
        consecutive_in_one,
        "two versions of one ticket applied in one transaction, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_update_rolls_back_its_batch_and_the_others_are_applied_alone() {
    let (good, bad) = (TicketId::new(), TicketId::new());
    let db = TestDb::new();
    let pool = database(&db, &[good, bad]).await;
    let bus = Bus::connect(&nats_url(), unique_namespace())
        .await
        .expect("NATS");
    let mut updates: Vec<_> = (1..=10).map(|v| (good, v)).collect();
    updates.insert(5, (bad, 1));
    publish(&bus, &updates).await;

    let cancel = CancellationToken::new();
    let store = DeadLetters::new(pool.clone());
    let listener = Listener::new("batches", Replica { poison: Some(bad) }).max_deliveries(2);
    let task = tokio::spawn(listener.run(bus, store.clone(), cancel.clone()));
    eventually(
        "the good updates applied and the bad one given up",
        EVENTUALLY,
        || async {
            let kept = store.list(true).await.expect("dead letters");
            (version(&pool, good).await == 10 && kept.len() == 1).then_some(())
        },
    )
    .await;
    cancel.cancel();
    task.await.expect("stopped");

    let rows = written(&pool).await;
    assert_eq!(
        rows.iter().map(|(_, v, _)| *v).collect::<Vec<_>>(),
        (1..=10).collect::<Vec<_>>(),
        "each good update committed once; nothing of the bad one or of a rolled-back batch stayed"
    );
    assert!(rows.iter().all(|(id, _, _)| *id == good));
}
