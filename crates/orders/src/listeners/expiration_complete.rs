//! expiration.complete: an unpaid order whose hold ran out is cancelled; any other is left alone.

use common::bus::{Apply, Applying, Outcome};
use common::events::ExpirationComplete;

use crate::domain::{CancelReason, expires};
use crate::lifecycle::cancel_order;
use crate::repo;

pub struct Handler;

impl Apply<ExpirationComplete> for Handler {
    #[tracing::instrument(name = "expiration_complete", skip_all, fields(order = %event.order_id))]
    async fn apply(
        &self,
        tx: &mut Applying<'_>,
        event: ExpirationComplete,
    ) -> anyhow::Result<Outcome> {
        let conn = tx.conn();
        match repo::lock_order(conn, event.order_id).await? {
            Some(order) if expires(order.status) => {
                cancel_order(conn, order.id, CancelReason::Expired).await?;
            }
            Some(order) => {
                tracing::debug!(status = ?order.status, "expiry ignored: order no longer live")
            }
            None => tracing::warn!("expiry for an unknown order ignored"),
        }
        Ok(Outcome::Ack)
    }
}
