//! Every SQL statement of the payments service, as small functions over an executor (a pool, a
//! connection or a transaction).

use common::events::OrderStatus;
use common::{OrderId, PaymentId, Price, UserId};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::domain::{PaymentStatus, ReplicaOrder};

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
