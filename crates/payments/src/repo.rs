//! Every SQL statement of the payments service (the fake provider's ledger aside: see
//! `provider::fake`), as small functions over an executor (a pool, a connection or a
//! transaction), checked at compile time against its schema (`sqlx::query!` and friends; the
//! offline data is in `.sqlx/`). Rows are private to this file: the service works with the
//! domain's `ReplicaOrder`, `Attempt` and `SucceededPayment`.

use common::events::OrderStatus;
use common::{OrderId, PaymentId, Price, UserId};
use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::domain::{Attempt, AttemptState, PaymentStatus, ReplicaOrder, SucceededPayment};

/// The partial unique index allowing one succeeded payment per order.
pub const ONE_SUCCEEDED_PER_ORDER: &str = "payments_one_succeeded_per_order";

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

    /// The stored price is checked again: a row outside `Price`'s range is an error, not an order.
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

struct SucceededPaymentRow {
    id: PaymentId,
    order_id: OrderId,
    stripe_id: String,
}

impl From<SucceededPaymentRow> for SucceededPayment {
    fn from(row: SucceededPaymentRow) -> Self {
        Self {
            id: row.id,
            order_id: row.order_id,
            stripe_id: row.stripe_id,
        }
    }
}

struct AttemptRow {
    id: PaymentId,
    order_id: OrderId,
    amount_cents: i64,
    source: String,
    idempotency_key: String,
    state: AttemptState,
    created_at: OffsetDateTime,
}

impl From<AttemptRow> for Attempt {
    fn from(row: AttemptRow) -> Self {
        Self {
            id: row.id,
            order_id: row.order_id,
            amount_cents: row.amount_cents,
            source: row.source,
            idempotency_key: row.idempotency_key,
            state: row.state,
            created_at: row.created_at,
        }
    }
}

/// Inserts a replica order; an existing row is left alone. `true` when it was inserted.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order.id))]
pub async fn insert_order(
    db: impl PgExecutor<'_>,
    order: &ReplicaOrder,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "INSERT INTO orders (id, user_id, status, price_cents, version, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO NOTHING",
        order.id as OrderId,
        order.user_id as UserId,
        order.status as OrderStatus,
        order.price.cents(),
        order.version,
        order.expires_at,
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id))]
pub async fn find_order(
    db: impl PgExecutor<'_>,
    id: OrderId,
) -> Result<Option<ReplicaOrder>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT id AS "id: OrderId", user_id AS "user_id: UserId",
                  status AS "status: OrderStatus", price_cents, version, expires_at
           FROM orders WHERE id = $1"#,
        id as OrderId
    )
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
    sqlx::query_as!(
        OrderRow,
        r#"SELECT id AS "id: OrderId", user_id AS "user_id: UserId",
                  status AS "status: OrderStatus", price_cents, version, expires_at
           FROM orders WHERE id = $1 FOR UPDATE"#,
        id as OrderId
    )
    .fetch_optional(db)
    .await?
    .map(ReplicaOrder::try_from)
    .transpose()
}

/// Applies a cancellation: status `cancelled` at `version`.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id, version = version))]
pub async fn cancel_order(
    db: impl PgExecutor<'_>,
    id: OrderId,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE orders SET status = $2, version = $3 WHERE id = $1",
        id as OrderId,
        OrderStatus::Cancelled as OrderStatus,
        version,
    )
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
    sqlx::query_as!(
        SucceededPaymentRow,
        r#"SELECT id AS "id: PaymentId", order_id AS "order_id: OrderId", stripe_id
           FROM payments WHERE order_id = $1 AND status = 'succeeded'"#,
        order as OrderId
    )
    .fetch_optional(db)
    .await
    .map(|row| row.map(SucceededPayment::from))
}

/// The payments kept for an order, locked until the transaction ends.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn lock_succeeded_payments(
    db: impl PgExecutor<'_>,
    order: OrderId,
) -> Result<Vec<SucceededPayment>, sqlx::Error> {
    let rows = sqlx::query_as!(
        SucceededPaymentRow,
        r#"SELECT id AS "id: PaymentId", order_id AS "order_id: OrderId", stripe_id
           FROM payments
           WHERE order_id = $1 AND status = 'succeeded'
           ORDER BY created_at
           FOR UPDATE"#,
        order as OrderId
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(SucceededPayment::from).collect())
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
    sqlx::query!(
        "INSERT INTO payments (id, order_id, stripe_id, status) VALUES ($1, $2, $3, $4)",
        id as PaymentId,
        order as OrderId,
        stripe_id,
        status.as_str(),
    )
    .execute(db)
    .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(payment_id = %id))]
pub async fn mark_refunded(db: impl PgExecutor<'_>, id: PaymentId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE payments SET status = $2 WHERE id = $1",
        id as PaymentId,
        PaymentStatus::Refunded.as_str(),
    )
    .execute(db)
    .await?;
    Ok(())
}

// ---- payment attempts ----

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
    sqlx::query_as!(
        AttemptRow,
        r#"INSERT INTO payment_attempts (id, order_id, amount_cents, source, idempotency_key, state)
           VALUES ($1, $2, $3, $4, $5, 'charging')
           ON CONFLICT (idempotency_key) DO UPDATE
              SET updated_at = now(),
                  state = CASE WHEN payment_attempts.state IN ('declined', 'abandoned')
                               THEN 'charging' ELSE payment_attempts.state END
           RETURNING id AS "id: PaymentId", order_id AS "order_id: OrderId", amount_cents,
                     source, idempotency_key, state AS "state: AttemptState", created_at"#,
        PaymentId::new() as PaymentId,
        order as OrderId,
        amount_cents,
        source,
        idempotency_key,
    )
    .fetch_one(db)
    .await
    .map(Attempt::from)
}

/// Records that the attempt's charge is `charge_id`, if nobody else recorded its outcome first:
/// `true` for the one caller that may record the payment.
#[tracing::instrument(level = "debug", skip_all, fields(payment_id = %id))]
pub async fn claim_attempt(
    db: impl PgExecutor<'_>,
    id: PaymentId,
    charge_id: &str,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE payment_attempts SET state = 'charged', charge_id = $2, updated_at = now()
         WHERE id = $1 AND state = 'charging'",
        id as PaymentId,
        charge_id,
    )
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
    sqlx::query!(
        "UPDATE payment_attempts SET state = $2, updated_at = now()
         WHERE id = $1 AND state = 'charging'",
        id as PaymentId,
        state as AttemptState,
    )
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
    let rows = sqlx::query_as!(
        AttemptRow,
        r#"UPDATE payment_attempts SET updated_at = now(), resolutions = resolutions + 1
           WHERE id IN (SELECT id FROM payment_attempts
                        WHERE state = 'charging' AND updated_at < now() - make_interval(secs => $1)
                        ORDER BY updated_at LIMIT $2
                        FOR UPDATE SKIP LOCKED)
           RETURNING id AS "id: PaymentId", order_id AS "order_id: OrderId", amount_cents,
                     source, idempotency_key, state AS "state: AttemptState", created_at"#,
        older_than.as_secs_f64(),
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Attempt::from).collect())
}

/// How many attempts are still charging (the outcome of their provider call is not recorded).
pub async fn unresolved_attempts(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM payment_attempts WHERE state = 'charging'"#
    )
    .fetch_one(db)
    .await
}
