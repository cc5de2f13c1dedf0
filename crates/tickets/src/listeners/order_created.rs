//! order.created: the order's ticket becomes reserved by it (unless the order is already known
//! to be cancelled, or another active order still holds the ticket).

use common::bus::{Apply, Applying, Outcome};
use common::events::OrderCreated;

use super::reservation::{self, OrderState};

pub struct Handler;

impl Apply<OrderCreated> for Handler {
    #[tracing::instrument(name = "order_created", skip_all, fields(order = %event.id, ticket = %event.ticket.id))]
    async fn apply(&self, tx: &mut Applying<'_>, event: OrderCreated) -> anyhow::Result<Outcome> {
        let state = OrderState::Created {
            version: event.version,
            expires_at: event.expires_at,
        };
        reservation::apply(tx.conn(), event.ticket.id, event.id, state).await?;
        Ok(Outcome::Ack)
    }
}
