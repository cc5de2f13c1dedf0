//! order.created: the order's ticket becomes reserved by it (unless the order is already known
//! to be cancelled, or another active order still holds the ticket).

use common::bus::{Apply, Applying, Outcome};
use common::events::OrderCreated;

use super::reservation;
use crate::repo;

pub struct Handler;

impl Apply<OrderCreated> for Handler {
    #[tracing::instrument(name = "order_created", skip_all, fields(order = %event.id, ticket = %event.ticket.id))]
    async fn apply(&self, tx: &mut Applying<'_>, event: OrderCreated) -> anyhow::Result<Outcome> {
        let conn = tx.conn();
        let ticket = reservation::lock(conn, event.ticket.id).await?;
        repo::record_order_created(
            conn,
            event.id,
            event.ticket.id,
            event.version,
            event.expires_at,
        )
        .await?;
        reservation::reconcile(conn, ticket).await?;
        Ok(Outcome::Ack)
    }
}
