//! payment.created: a live order becomes complete; the ticket stays reserved.

use common::bus::{Apply, Applying, Outcome};
use common::events::PaymentCreated;

use crate::domain::completes_on_payment;
use crate::repo;

pub struct Handler;

impl Apply<PaymentCreated> for Handler {
    #[tracing::instrument(name = "payment_created", skip_all, fields(order = %event.order_id, payment = %event.id))]
    async fn apply(&self, tx: &mut Applying<'_>, event: PaymentCreated) -> anyhow::Result<Outcome> {
        let conn = tx.conn();
        match repo::lock_order(conn, event.order_id).await? {
            Some(order) if completes_on_payment(order.status) => {
                repo::complete(conn, order.id).await?;
                tracing::info!("order complete");
            }
            Some(order) => {
                tracing::info!(status = ?order.status, "payment for an order that is not live; payments refunds it")
            }
            None => tracing::warn!("payment for an unknown order ignored"),
        }
        Ok(Outcome::Ack)
    }
}
