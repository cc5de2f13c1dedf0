//! expiration.complete: an unpaid order whose hold ran out is cancelled; any other is left alone.

use common::bus::Outcome;
use common::events::ExpirationComplete;
use sqlx::PgPool;

use crate::domain::{CancelReason, expires};
use crate::lifecycle::cancel_order;
use crate::repo;

#[tracing::instrument(skip_all, fields(order = %event.order_id))]
pub async fn handle(pool: PgPool, event: ExpirationComplete) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await?;
    match repo::lock_order(&mut tx, event.order_id).await? {
        Some(order) if expires(order.status) => {
            cancel_order(&mut tx, order.id, CancelReason::Expired).await?;
            tx.commit().await?;
        }
        Some(order) => {
            tracing::debug!(status = ?order.status, "expiry ignored: order no longer live")
        }
        None => tracing::warn!("expiry for an unknown order ignored"),
    }
    Ok(Outcome::Ack)
}
