//! payment.created: the order is paid and will not expire; remove its expiration.

use common::bus::Outcome;
use common::events::PaymentCreated;
use sqlx::PgPool;

/// Idempotent; also remembered when it arrives before the order's order.created.
#[tracing::instrument(skip_all, fields(order_id = %event.order_id, payment_id = %event.id))]
pub async fn handle(pool: PgPool, event: PaymentCreated) -> anyhow::Result<Outcome> {
    super::finish(&pool, event.order_id).await?;
    Ok(Outcome::Ack)
}
