//! order.cancelled → the replica order is cancelled, in version order. A cancelled order keeps
//! no money: a payment it has is refunded through the provider and payment.refunded is
//! published, in the same transaction that cancels the order.

use std::sync::Arc;

use anyhow::Context as _;
use common::bus::{Apply, Applying, Outcome, VersionOrder, enqueue};
use common::events::OrderCancelled;

use crate::domain::idempotency;
use crate::provider::PaymentProvider;
use crate::repo;

pub struct Handler {
    pub provider: Arc<dyn PaymentProvider>,
}

impl Apply<OrderCancelled> for Handler {
    #[tracing::instrument(name = "order_cancelled", skip_all, fields(order_id = %event.id, version = event.version))]
    async fn apply(&self, tx: &mut Applying<'_>, event: OrderCancelled) -> anyhow::Result<Outcome> {
        let conn = tx.conn();
        // The row lock orders this cancellation with a payment being recorded for the same order.
        let Some(order) = repo::lock_order(&mut *conn, event.id)
            .await
            .context("locking the replica order")?
        else {
            tracing::debug!("order not known yet; will retry");
            return Ok(Outcome::Retry);
        };
        let order_of = VersionOrder::of(Some(order.version), event.version);
        if order_of != VersionOrder::Next {
            tracing::debug!(
                stored = order.version,
                ?order_of,
                "not the next version; not applied"
            );
            return Ok(order_of.unapplied());
        }
        let kept = repo::lock_succeeded_payments(&mut *conn, order.id)
            .await
            .context("reading the order's payments")?;
        let refunds = kept.len();
        for payment in kept {
            // An error rolls everything back; the redelivery refunds with the same key.
            self.provider
                .refund(
                    &payment.stripe_id,
                    &idempotency::refund_key(&payment.stripe_id),
                )
                .await
                .with_context(|| format!("refunding charge {}", payment.stripe_id))?;
            repo::mark_refunded(&mut *conn, payment.id)
                .await
                .context("marking the payment refunded")?;
            enqueue(&mut *conn, &payment.refunded_event())
                .await
                .context("enqueueing payment.refunded")?;
            tracing::info!(payment_id = %payment.id, stripe_id = %payment.stripe_id, "refunded the payment of a cancelled order");
        }
        repo::cancel_order(&mut *conn, order.id, event.version)
            .await
            .context("cancelling the replica order")?;
        tx.after_commit(move || (0..refunds).for_each(|_| crate::metrics::refund()));
        Ok(Outcome::Ack)
    }
}
