//! order.cancelled: the ticket is released only if that same order still holds it (a fix:
//! docs/contract.md#lifecycle-and-invariants).
//!
//! Unlike the replicas (`common::bus::VersionOrder`), tickets does not wait for an order's
//! versions in sequence: it keeps each order's latest known state, whichever arrives, and derives
//! the holder from all of them. order.created and order.cancelled travel on different subjects,
//! so a cancellation may come first; waiting for the creation would hold the cancellation back
//! for nothing, since an order once cancelled never becomes active again (a newer version wins,
//! an older one changes nothing).

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
