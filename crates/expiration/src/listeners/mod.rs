//! The events the expiration service consumes, one file each.

pub mod order_cancelled;
pub mod order_created;
pub mod payment_created;

use std::sync::Arc;

use anyhow::Context as _;
use common::OrderId;
use common::bus::Listener;
use sqlx::PgConnection;

use crate::sweeper::Wakeup;

/// Every listener of the service.
pub fn all(wakeup: &Arc<Wakeup>) -> Vec<Listener> {
    vec![
        Listener::new(
            crate::NAME,
            order_created::Handler {
                wakeup: wakeup.clone(),
            },
        ),
        Listener::new(crate::NAME, order_cancelled::Handler),
        Listener::new(crate::NAME, payment_created::Handler),
    ]
}

/// The order no longer expires: removes its expiration and remembers it.
async fn finish(conn: &mut PgConnection, order: OrderId) -> anyhow::Result<()> {
    crate::repo::lock_order(conn, order)
        .await
        .context("lock order")?;
    let removed = crate::repo::finish(conn, order)
        .await
        .context("remove expiration")?;
    tracing::debug!(removed, "order finished");
    Ok(())
}
