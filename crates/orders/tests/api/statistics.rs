//! Placing an order looks up the ticket's and the buyer's orders by index, whatever the table's
//! statistics say: taken while the table was empty (a fresh database after a VACUUM ANALYZE, or
//! autovacuum off), they make a seq scan look free, and every order then reads all earlier ones.

use std::time::Duration;

use common::testing::eventually;

use crate::helpers::{spawn, user};

const ORDERS: i64 = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_placed_after_empty_statistics_do_not_read_the_earlier_orders() {
    let app = spawn().await;
    let mut tickets = Vec::new();
    for _ in 0..ORDERS {
        tickets.push(app.replicated_ticket().await);
    }
    sqlx::query("VACUUM ANALYZE orders")
        .execute(&app.pool)
        .await
        .expect("statistics of the empty orders table");

    for ticket in &tickets {
        let (_, token) = user();
        app.order(&token, ticket.id).await;
    }

    // Each backend reports its counters when it goes idle, within seconds of its last
    // transaction: wait until every insert is counted, and with it every read before it.
    let rows_read: i64 = eventually(
        "the orders' statistics are reported",
        Duration::from_secs(20),
        || async {
            let (inserted, read): (i64, i64) = sqlx::query_as(
                "SELECT n_tup_ins, coalesce(seq_tup_read, 0)
                 FROM pg_stat_user_tables WHERE relname = 'orders'",
            )
            .fetch_one(&app.pool)
            .await
            .ok()?;
            (inserted >= ORDERS).then_some(read)
        },
    )
    .await;
    assert!(
        rows_read < ORDERS,
        "placing {ORDERS} orders read {rows_read} rows of orders by scanning the table"
    );
}
