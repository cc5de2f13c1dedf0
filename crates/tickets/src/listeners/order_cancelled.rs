//! order.cancelled: the ticket is released only if that same order still holds it (a fix:
//! docs/contract.md#lifecycle-and-invariants).

use common::bus::Outcome;
use common::events::OrderCancelled;
use sqlx::PgPool;

use super::reservation;
use crate::repo;

#[tracing::instrument(skip_all, fields(order = %event.id, ticket = %event.ticket.id))]
pub async fn handle(pool: PgPool, event: OrderCancelled) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await?;
    let ticket = reservation::lock(&mut tx, event.ticket.id).await?;
    repo::record_order_cancelled(&mut tx, event.id, event.ticket.id, event.version).await?;
    reservation::reconcile(&mut tx, ticket).await?;
    tx.commit().await?;
    Ok(Outcome::Ack)
}
