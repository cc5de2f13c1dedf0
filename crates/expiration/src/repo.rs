//! Every SQL statement of the expiration service, checked at compile time against its schema
//! (`sqlx::query!` and friends; the offline data is in `.sqlx/`). Rows are private to this file:
//! the service works with `domain::Due` and `domain::NextDue`.
//!
//! Races are decided by the database. The handlers of one order serialise on a transaction-scoped
//! advisory lock keyed by the order id, so "schedule unless finished" and "finish" never
//! interleave. The sweeper claims rows with `FOR UPDATE SKIP LOCKED` instead; a redelivered
//! order.created that races it re-checks `finished_orders` after its insert (see [`schedule`]).

use common::OrderId;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::domain::{Due, NextDue};

/// The statement of [`claim_due`] (for the plan checks of the tests).
pub const CLAIM_DUE: &str = include_str!("../queries/claim_due.sql");

/// The statement of [`next_due`] (for the plan checks of the tests).
pub const NEXT_DUE: &str = include_str!("../queries/next_due.sql");

struct DueRow {
    order_id: OrderId,
    expires_at: OffsetDateTime,
    traceparent: Option<String>,
}

impl From<DueRow> for Due {
    fn from(row: DueRow) -> Self {
        Self {
            order_id: row.order_id,
            expires_at: row.expires_at,
            traceparent: row.traceparent,
        }
    }
}

struct NextDueRow {
    next_due: Option<OffsetDateTime>,
    now: OffsetDateTime,
}

impl From<NextDueRow> for NextDue {
    fn from(row: NextDueRow) -> Self {
        Self {
            next_due: row.next_due,
            now: row.now,
        }
    }
}

/// Serialises this transaction with every other handler transaction on the same order.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn lock_order(conn: &mut PgConnection, order: OrderId) -> Result<(), sqlx::Error> {
    // The key hashes the id's text form; `::uuid` types the parameter, as binding an id did.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::uuid::text, 0))",
        order as OrderId
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Schedules `order` to expire at `expires_at` unless it is already scheduled or finished.
/// Returns whether it is scheduled now. Call with [`lock_order`] held.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn schedule(
    conn: &mut PgConnection,
    order: OrderId,
    expires_at: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO expirations (order_id, expires_at, traceparent)
         SELECT $1, $2, $3
         WHERE NOT EXISTS (SELECT 1 FROM finished_orders WHERE order_id = $1)
         ON CONFLICT ON CONSTRAINT expirations_pkey DO NOTHING",
        order as OrderId,
        expires_at,
        common::trace_context::current_traceparent(),
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(false);
    }
    // The sweeper may have fired this order while the insert waited for its row: the insert's
    // snapshot predates that commit, this statement's does not.
    let undone = sqlx::query!(
        "DELETE FROM expirations
         WHERE order_id = $1 AND EXISTS (SELECT 1 FROM finished_orders WHERE order_id = $1)",
        order as OrderId
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(undone == 0)
}

/// Removes `order`'s expiration, if any, and remembers that it must never be scheduled again.
/// Returns whether an expiration was removed. Call with [`lock_order`] held.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn finish(conn: &mut PgConnection, order: OrderId) -> Result<bool, sqlx::Error> {
    // Delete first, then insert: the same lock order as the sweeper's, so the two never deadlock.
    let removed = sqlx::query!(
        "DELETE FROM expirations WHERE order_id = $1",
        order as OrderId
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query!(
        "INSERT INTO finished_orders (order_id) VALUES ($1)
         ON CONFLICT ON CONSTRAINT finished_orders_pkey DO NOTHING",
        order as OrderId
    )
    .execute(&mut *conn)
    .await?;
    Ok(removed > 0)
}

/// Forgets up to `limit` orders finished more than `age` ago; returns how many.
/// Walks `finished_orders_finished_at_idx`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn forget_finished(
    conn: impl PgExecutor<'_>,
    age: std::time::Duration,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    let forgotten = sqlx::query!(
        "DELETE FROM finished_orders WHERE order_id = ANY(ARRAY(
            SELECT order_id FROM finished_orders
            WHERE finished_at < now() - make_interval(secs => $1)
            ORDER BY finished_at
            LIMIT $2))",
        age.as_secs_f64(),
        limit,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(forgotten)
}

/// Claims (deletes) up to `limit` due expirations and marks their orders finished.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim_due(conn: &mut PgConnection, limit: i64) -> Result<Vec<Due>, sqlx::Error> {
    let claimed = sqlx::query_file_as!(DueRow, "queries/claim_due.sql", limit)
        .fetch_all(&mut *conn)
        .await?;
    let orders: Vec<OrderId> = claimed.iter().map(|c| c.order_id).collect();
    if !orders.is_empty() {
        sqlx::query!(
            "INSERT INTO finished_orders (order_id) SELECT unnest($1::uuid[])
             ON CONFLICT ON CONSTRAINT finished_orders_pkey DO NOTHING",
            &orders as &[OrderId]
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(claimed.into_iter().map(Due::from).collect())
}

/// When the next expiration is due, by the database's clock.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn next_due(conn: impl PgExecutor<'_>) -> Result<NextDue, sqlx::Error> {
    sqlx::query_file_as!(NextDueRow, "queries/next_due.sql")
        .fetch_one(conn)
        .await
        .map(NextDue::from)
}

/// When `order` is scheduled to expire, if it is (inspection and tests).
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn scheduled_at(
    conn: impl PgExecutor<'_>,
    order: OrderId,
) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT expires_at FROM expirations WHERE order_id = $1",
        order as OrderId
    )
    .fetch_optional(conn)
    .await
}

/// How many expirations are pending (inspection and tests).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn pending(conn: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM expirations"#)
        .fetch_one(conn)
        .await
}
