//! 100,000 pending expirations: the sweeper's queries walk the index on expires_at, so their
//! cost does not grow with the number pending. Not a timed test: it checks the query plans.

use expiration::repo::{CLAIM_DUE, NEXT_DUE};
use expiration::sweeper::{BATCH, Sweeper};

use crate::helpers::{database, wakeup};

async fn plan(pool: &sqlx::PgPool, query: &str, limit: Option<i64>) -> String {
    let explain = format!("EXPLAIN {query}");
    let mut statement = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(explain));
    if let Some(limit) = limit {
        statement = statement.bind(limit);
    }
    statement.fetch_all(pool).await.unwrap().join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_pending_expirations_are_found_through_the_index() {
    let (_db, pool) = database().await;
    sqlx::query(
        "INSERT INTO expirations (order_id, expires_at)
         SELECT gen_random_uuid(), now() + interval '1 hour' + g * interval '1 ms'
         FROM generate_series(1, 100000) g",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("ANALYZE expirations")
        .execute(&pool)
        .await
        .unwrap();

    for (name, query, limit) in [
        ("next due time", NEXT_DUE, None),
        ("claiming due expirations", CLAIM_DUE, Some(BATCH)),
    ] {
        let plan = plan(&pool, query, limit).await;
        assert!(
            plan.contains("Index Only Scan using expirations_expires_at_idx")
                || plan.contains("Index Scan using expirations_expires_at_idx"),
            "{name} must use the expires_at index:\n{plan}"
        );
        assert!(!plan.contains("Seq Scan"), "{name} must not scan:\n{plan}");
    }

    let sweeper = Sweeper::new(pool.clone(), wakeup());
    assert_eq!(sweeper.sweep().await.unwrap(), 0, "none is due yet");
    assert_eq!(expiration::repo::pending(&pool).await.unwrap(), 100_000);
}
