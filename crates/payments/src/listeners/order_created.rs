//! order.created → a row in the orders replica. A duplicate delivery changes nothing.

use anyhow::Context as _;
use common::bus::{Listener, Outcome};
use common::events::OrderCreated;
use sqlx::PgPool;

use crate::domain::ReplicaOrder;
use crate::repo;

pub fn listener(pool: PgPool) -> Listener {
    Listener::new::<OrderCreated, _, _>(crate::NAME, move |event| handle(pool.clone(), event))
}

#[tracing::instrument(skip_all, fields(order_id = %event.id, version = event.version))]
pub async fn handle(pool: PgPool, event: OrderCreated) -> anyhow::Result<Outcome> {
    let order = ReplicaOrder {
        id: event.id,
        user_id: event.user_id,
        status: event.status,
        price: event.ticket.price,
        version: event.version,
        expires_at: event.expires_at,
    };
    let inserted = repo::insert_order(&pool, &order)
        .await
        .context("storing the replica of a created order")?;
    if !inserted {
        tracing::debug!("order already known; duplicate order.created ignored");
    }
    Ok(Outcome::Ack)
}
