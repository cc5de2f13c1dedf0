//! order.created: schedule the order's expiration at `expiresAt`.

use std::sync::Arc;

use anyhow::Context as _;
use common::bus::{Apply, Applying, Outcome};
use common::events::OrderCreated;

use crate::repo;
use crate::sweeper::Wakeup;

pub struct Handler {
    /// Told of each new expiration once it committed, so the sweeper wakes in time for it.
    pub wakeup: Arc<Wakeup>,
}

/// Idempotent: a duplicate changes nothing, and an order already cancelled, paid or expired is
/// not scheduled again.
impl Apply<OrderCreated> for Handler {
    #[tracing::instrument(name = "order_created", skip_all, fields(order_id = %event.id, expires_at = %common::timestamp::format(event.expires_at)))]
    async fn apply(&self, tx: &mut Applying<'_>, event: OrderCreated) -> anyhow::Result<Outcome> {
        let conn = tx.conn();
        repo::lock_order(conn, event.id)
            .await
            .context("lock order")?;
        let scheduled = repo::schedule(conn, event.id, event.expires_at)
            .await
            .context("schedule expiration")?;
        if scheduled {
            let (wakeup, at) = (self.wakeup.clone(), event.expires_at);
            tx.after_commit(move || wakeup.scheduled(at));
        }
        tracing::debug!(scheduled, "order.created handled");
        Ok(Outcome::Ack)
    }
}
