//! order.cancelled: the ticket is released only if that same order still holds it (a fix:
//! docs/contract.md#lifecycle-and-invariants).
//!
//! Unlike the replicas (`common::bus::VersionOrder`), tickets does not wait for an order's
//! versions in sequence: it keeps each order's latest known state, whichever arrives, and derives
//! the holder from all of them. order.created and order.cancelled travel on different subjects,
//! so a cancellation may come first; waiting for the creation would hold the cancellation back
//! for nothing, since an order once cancelled never becomes active again (a newer version wins,
//! an older one changes nothing).

use common::bus::{Apply, Applying, Outcome};
use common::events::OrderCancelled;

use super::reservation::{self, OrderState};

pub struct Handler;

impl Apply<OrderCancelled> for Handler {
    #[tracing::instrument(name = "order_cancelled", skip_all, fields(order = %event.id, ticket = %event.ticket.id))]
    async fn apply(&self, tx: &mut Applying<'_>, event: OrderCancelled) -> anyhow::Result<Outcome> {
        let state = OrderState::Cancelled {
            version: event.version,
        };
        reservation::apply(tx.conn(), event.ticket.id, event.id, state).await?;
        Ok(Outcome::Ack)
    }
}
