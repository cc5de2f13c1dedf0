//! The events the expiration service consumes, one file each.

pub mod order_cancelled;
pub mod order_created;
pub mod payment_created;

use std::sync::Arc;

use anyhow::Context as _;
use common::OrderId;
use common::bus::Listener;
use sqlx::PgPool;

use crate::sweeper::Wakeup;

/// Every listener of the service.
pub fn all(pool: &PgPool, wakeup: &Arc<Wakeup>) -> Vec<Listener> {
    let (p1, p2, p3) = (pool.clone(), pool.clone(), pool.clone());
    let wakeup = wakeup.clone();
    vec![
        Listener::new(crate::NAME, move |event| {
            order_created::handle(p1.clone(), wakeup.clone(), event)
        }),
        Listener::new(crate::NAME, move |event| {
            order_cancelled::handle(p2.clone(), event)
        }),
        Listener::new(crate::NAME, move |event| {
            payment_created::handle(p3.clone(), event)
        }),
    ]
}

/// The order no longer expires: removes its expiration and remembers it, in one transaction.
async fn finish(pool: &PgPool, order: OrderId) -> anyhow::Result<()> {
    let mut tx = pool.begin().await.context("begin")?;
    crate::repo::lock_order(&mut tx, order)
        .await
        .context("lock order")?;
    let removed = crate::repo::finish(&mut tx, order)
        .await
        .context("remove expiration")?;
    tx.commit().await.context("commit")?;
    tracing::debug!(removed, "order finished");
    Ok(())
}
