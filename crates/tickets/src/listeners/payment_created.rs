//! payment.created: the order holding a ticket was paid, so the seller sees the ticket sold. The
//! payment names only the order: until order.created (or order.cancelled) has told tickets which
//! ticket it is for, the event waits.

use common::bus::{Apply, Applying, Outcome};
use common::events::PaymentCreated;

use crate::repo;

pub struct Handler;

impl Apply<PaymentCreated> for Handler {
    #[tracing::instrument(name = "payment_created", skip_all, fields(order = %event.order_id))]
    async fn apply(&self, tx: &mut Applying<'_>, event: PaymentCreated) -> anyhow::Result<Outcome> {
        if repo::record_order_paid(tx.conn(), event.order_id).await? {
            Ok(Outcome::Ack)
        } else {
            Ok(Outcome::Retry)
        }
    }
}
