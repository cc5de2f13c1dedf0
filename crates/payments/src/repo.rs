//! Every SQL statement of the payments service, as small functions over an executor (a pool, a
//! connection or a transaction).

use common::events::OrderStatus;
use common::{OrderId, PaymentId, Price, UserId};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::domain::{AttemptState, PaymentStatus, ReplicaOrder};

/// The partial unique index allowing one succeeded payment per order.
pub const ONE_SUCCEEDED_PER_ORDER: &str = "payments_one_succeeded_per_order";

#[derive(sqlx::FromRow)]
struct OrderRow {
    id: OrderId,
    user_id: UserId,
    status: OrderStatus,
    price_cents: i64,
    version: i64,
    expires_at: OffsetDateTime,
}

impl TryFrom<OrderRow> for ReplicaOrder {
    type Error = sqlx::Error;
    fn try_from(row: OrderRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            id: row.id,
            user_id: row.user_id,
            status: row.status,
            price: Price::from_cents(row.price_cents)
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            version: row.version,
            expires_at: row.expires_at,
        })
    }
}

/// A payment whose money is kept.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SucceededPayment {
    pub id: PaymentId,
    pub stripe_id: String,
}

const ORDER_COLUMNS: &str = "id, user_id, status, price_cents, version, expires_at";

/// Inserts a replica order; an existing row is left alone. `true` when it was inserted.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order.id))]
pub async fn insert_order(
    db: impl PgExecutor<'_>,
    order: &ReplicaOrder,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "INSERT INTO orders (id, user_id, status, price_cents, version, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(order.id)
    .bind(order.user_id)
    .bind(order.status)
    .bind(order.price.cents())
    .bind(order.version)
    .bind(order.expires_at)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id))]
pub async fn find_order(
    db: impl PgExecutor<'_>,
    id: OrderId,
) -> Result<Option<ReplicaOrder>, sqlx::Error> {
    sqlx::query_as::<_, OrderRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?
    .map(ReplicaOrder::try_from)
    .transpose()
}

/// Reads an order and locks its row until the transaction ends.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id))]
pub async fn lock_order(
    db: impl PgExecutor<'_>,
    id: OrderId,
) -> Result<Option<ReplicaOrder>, sqlx::Error> {
    sqlx::query_as::<_, OrderRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(db)
    .await?
    .map(ReplicaOrder::try_from)
    .transpose()
}

/// Applies a cancellation: status `cancelled` at `version`.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id, version))]
pub async fn cancel_order(
    db: impl PgExecutor<'_>,
    id: OrderId,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET status = $2, version = $3 WHERE id = $1")
        .bind(id)
        .bind(OrderStatus::Cancelled)
        .bind(version)
        .execute(db)
        .await?;
    Ok(())
}

/// The payment kept for an order, if any.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn succeeded_payment(
    db: impl PgExecutor<'_>,
    order: OrderId,
) -> Result<Option<SucceededPayment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, stripe_id FROM payments WHERE order_id = $1 AND status = 'succeeded'",
    )
    .bind(order)
    .fetch_optional(db)
    .await
}

/// The payments kept for an order, locked until the transaction ends.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn lock_succeeded_payments(
    db: impl PgExecutor<'_>,
    order: OrderId,
) -> Result<Vec<SucceededPayment>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, stripe_id FROM payments
         WHERE order_id = $1 AND status = 'succeeded'
         ORDER BY created_at
         FOR UPDATE",
    )
    .bind(order)
    .fetch_all(db)
    .await
}

/// Records a payment. A second succeeded payment of one order violates
/// [`ONE_SUCCEEDED_PER_ORDER`].
#[tracing::instrument(level = "debug", skip_all, fields(payment_id = %id, order_id = %order, status = status.as_str()))]
pub async fn insert_payment(
    db: impl PgExecutor<'_>,
    id: PaymentId,
    order: OrderId,
    stripe_id: &str,
    status: PaymentStatus,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO payments (id, order_id, stripe_id, status) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(order)
        .bind(stripe_id)
        .bind(status.as_str())
        .execute(db)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(payment_id = %id))]
pub async fn mark_refunded(db: impl PgExecutor<'_>, id: PaymentId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE payments SET status = $2 WHERE id = $1")
        .bind(id)
        .bind(PaymentStatus::Refunded.as_str())
        .execute(db)
        .await?;
    Ok(())
}

// ---- payment attempts ----

/// A committed intent to charge an order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    /// Also the id of the payment it records, kept or refunded.
    pub id: PaymentId,
    pub order_id: OrderId,
    pub amount_cents: i64,
    pub source: String,
    pub idempotency_key: String,
    pub state: AttemptState,
    pub created_at: OffsetDateTime,
}

const ATTEMPT_COLUMNS: &str =
    "id, order_id, amount_cents, source, idempotency_key, state, created_at";

/// Commits the intent to charge `amount_cents` to `source` under `idempotency_key`, before the
/// provider is called. A retried request (same key) takes up its earlier attempt again, with the
/// amount that attempt was opened with; a declined or abandoned one is charging again.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn open_attempt(
    db: impl PgExecutor<'_>,
    order: OrderId,
    amount_cents: i64,
    source: &str,
    idempotency_key: &str,
) -> Result<Attempt, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO payment_attempts (id, order_id, amount_cents, source, idempotency_key, state)
         VALUES ($1, $2, $3, $4, $5, 'charging')
         ON CONFLICT (idempotency_key) DO UPDATE
            SET updated_at = now(),
                state = CASE WHEN payment_attempts.state IN ('declined', 'abandoned')
                             THEN 'charging' ELSE payment_attempts.state END
         RETURNING {ATTEMPT_COLUMNS}"
    )))
    .bind(PaymentId::new())
    .bind(order)
    .bind(amount_cents)
    .bind(source)
    .bind(idempotency_key)
    .fetch_one(db)
    .await
}

/// Records that the attempt's charge is `charge_id`, if nobody else recorded its outcome first:
/// `true` for the one caller that may record the payment.
#[tracing::instrument(level = "debug", skip_all, fields(payment_id = %id))]
pub async fn claim_attempt(
    db: impl PgExecutor<'_>,
    id: PaymentId,
    charge_id: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE payment_attempts SET state = 'charged', charge_id = $2, updated_at = now()
         WHERE id = $1 AND state = 'charging'",
    )
    .bind(id)
    .bind(charge_id)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Ends a charging attempt without a charge (`declined`, or `abandoned` by the sweeper).
#[tracing::instrument(level = "debug", skip_all, fields(payment_id = %id))]
pub async fn end_attempt(
    db: impl PgExecutor<'_>,
    id: PaymentId,
    state: AttemptState,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE payment_attempts SET state = $2, updated_at = now()
         WHERE id = $1 AND state = 'charging'",
    )
    .bind(id)
    .bind(state)
    .execute(db)
    .await
    .map(drop)
}

/// Leases up to `limit` attempts left charging for longer than `older_than`: they are the
/// caller's until `older_than` passes again. Several sweepers never take the same attempt.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lease_stale_attempts(
    db: impl PgExecutor<'_>,
    older_than: std::time::Duration,
    limit: i64,
) -> Result<Vec<Attempt>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE payment_attempts SET updated_at = now(), resolutions = resolutions + 1
         WHERE id IN (SELECT id FROM payment_attempts
                      WHERE state = 'charging' AND updated_at < now() - make_interval(secs => $1)
                      ORDER BY updated_at LIMIT $2
                      FOR UPDATE SKIP LOCKED)
         RETURNING {ATTEMPT_COLUMNS}"
    )))
    .bind(older_than.as_secs_f64())
    .bind(limit)
    .fetch_all(db)
    .await
}

/// How many attempts are still charging (the outcome of their provider call is not recorded).
pub async fn unresolved_attempts(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM payment_attempts WHERE state = 'charging'")
        .fetch_one(db)
        .await
}
