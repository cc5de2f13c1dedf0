//! order.created: schedule the order's expiration at `expiresAt`.

use std::sync::Arc;

use anyhow::Context as _;
use common::bus::Outcome;
use common::events::OrderCreated;
use sqlx::PgPool;

use crate::repo;
use crate::sweeper::Wakeup;

/// Idempotent: a duplicate changes nothing, and an order already cancelled, paid or expired is
/// not scheduled again.
#[tracing::instrument(skip_all, fields(order_id = %event.id, expires_at = %common::timestamp::format(event.expires_at)))]
pub async fn handle(
    pool: PgPool,
    wakeup: Arc<Wakeup>,
    event: OrderCreated,
) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await.context("begin")?;
    repo::lock_order(&mut tx, event.id)
        .await
        .context("lock order")?;
    let scheduled = repo::schedule(&mut tx, event.id, event.expires_at)
        .await
        .context("schedule expiration")?;
    tx.commit().await.context("commit")?;
    if scheduled {
        wakeup.scheduled(event.expires_at);
    }
    tracing::debug!(scheduled, "order.created handled");
    Ok(Outcome::Ack)
}
