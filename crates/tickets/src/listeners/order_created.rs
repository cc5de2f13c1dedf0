//! order.created: the order's ticket becomes reserved by it (unless the order is already known
//! to be cancelled, or another active order still holds the ticket).

use common::bus::Outcome;
use common::events::OrderCreated;
use sqlx::PgPool;

use super::reservation;
use crate::repo;

#[tracing::instrument(skip_all, fields(order = %event.id, ticket = %event.ticket.id))]
pub async fn handle(pool: PgPool, event: OrderCreated) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await?;
    let ticket = reservation::lock(&mut tx, event.ticket.id).await?;
    repo::record_order_created(
        &mut tx,
        event.id,
        event.ticket.id,
        event.version,
        event.expires_at,
    )
    .await?;
    reservation::reconcile(&mut tx, ticket).await?;
    tx.commit().await?;
    Ok(Outcome::Ack)
}
