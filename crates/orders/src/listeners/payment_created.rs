//! payment.created: a live order becomes complete; the ticket stays reserved.

use common::bus::Outcome;
use common::events::PaymentCreated;
use sqlx::PgPool;

use crate::domain::completes_on_payment;
use crate::repo;

#[tracing::instrument(skip_all, fields(order = %event.order_id, payment = %event.id))]
pub async fn handle(pool: PgPool, event: PaymentCreated) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await?;
    match repo::lock_order(&mut tx, event.order_id).await? {
        Some(order) if completes_on_payment(order.status) => {
            repo::complete(&mut tx, order.id).await?;
            tx.commit().await?;
            tracing::info!("order complete");
        }
        Some(order) => {
            tracing::info!(status = ?order.status, "payment for an order that is not live; payments refunds it")
        }
        None => tracing::warn!("payment for an unknown order ignored"),
    }
    Ok(Outcome::Ack)
}
