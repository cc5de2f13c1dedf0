//! order.cancelled: the order will not expire; remove its expiration.

use common::bus::{Apply, Applying, Outcome};
use common::events::OrderCancelled;

pub struct Handler;

/// Idempotent; also remembered when it arrives before the order's order.created.
impl Apply<OrderCancelled> for Handler {
    #[tracing::instrument(name = "order_cancelled", skip_all, fields(order_id = %event.id))]
    async fn apply(&self, tx: &mut Applying<'_>, event: OrderCancelled) -> anyhow::Result<Outcome> {
        super::finish(tx.conn(), event.id).await?;
        Ok(Outcome::Ack)
    }
}
