//! order.cancelled: the order will not expire; remove its expiration.

use common::bus::Outcome;
use common::events::OrderCancelled;
use sqlx::PgPool;

/// Idempotent; also remembered when it arrives before the order's order.created.
#[tracing::instrument(skip_all, fields(order_id = %event.id))]
pub async fn handle(pool: PgPool, event: OrderCancelled) -> anyhow::Result<Outcome> {
    super::finish(&pool, event.id).await?;
    Ok(Outcome::Ack)
}
