//! payment.created: the order is paid and will not expire; remove its expiration.

use common::bus::{Apply, Applying, Outcome};
use common::events::PaymentCreated;

pub struct Handler;

/// Idempotent; also remembered when it arrives before the order's order.created.
impl Apply<PaymentCreated> for Handler {
    #[tracing::instrument(name = "payment_created", skip_all, fields(order_id = %event.order_id, payment_id = %event.id))]
    async fn apply(&self, tx: &mut Applying<'_>, event: PaymentCreated) -> anyhow::Result<Outcome> {
        super::finish(tx.conn(), event.order_id).await?;
        Ok(Outcome::Ack)
    }
}
