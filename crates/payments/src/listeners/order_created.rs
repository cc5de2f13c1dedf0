//! order.created → a row in the orders replica. A duplicate delivery changes nothing.

use anyhow::Context as _;
use common::bus::{Apply, Applying, Outcome};
use common::events::OrderCreated;

use crate::domain::ReplicaOrder;
use crate::repo;

pub struct Handler;

impl Apply<OrderCreated> for Handler {
    #[tracing::instrument(name = "order_created", skip_all, fields(order_id = %event.id, version = event.version))]
    async fn apply(&self, tx: &mut Applying<'_>, event: OrderCreated) -> anyhow::Result<Outcome> {
        let order = ReplicaOrder {
            id: event.id,
            user_id: event.user_id,
            status: event.status,
            price: event.ticket.price,
            version: event.version,
            expires_at: event.expires_at,
        };
        let inserted = repo::insert_order(tx.conn(), &order)
            .await
            .context("storing the replica of a created order")?;
        if !inserted {
            tracing::debug!("order already known; duplicate order.created ignored");
        }
        Ok(Outcome::Ack)
    }
}
