//! ticket.updated: applied strictly in version order (docs/contract.md#delivery-rules, rule 4). A
//! listing edit that a live order never saw supersedes it: the edit reached tickets first, so
//! tickets' listing is no longer what the order shows and charges. Such an order is cancelled
//! (payments refunds it if it was paid), so no buyer pays a price other than the one shown and no
//! seller sells at a price other than the one listed.

use common::bus::{Outcome, VersionOrder};
use common::events::TicketUpdated;
use sqlx::PgPool;

use crate::domain::CancelReason;
use crate::lifecycle::cancel_order;
use crate::repo;

#[tracing::instrument(skip_all, fields(ticket = %event.id, version = event.version))]
pub async fn handle(pool: PgPool, event: TicketUpdated) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await?;
    if repo::apply_ticket_update(&mut tx, &event).await? {
        for order in repo::lock_orders_superseded_by(&mut tx, &event).await? {
            tracing::warn!(order = %order.id, "a listing edit superseded a live order");
            cancel_order(&mut tx, order.id, CancelReason::ListingChanged).await?;
        }
        tx.commit().await?;
        return Ok(Outcome::Ack);
    }
    let stored = repo::ticket_version(&mut tx, event.id).await?;
    Ok(VersionOrder::of(stored, event.version).unapplied())
}
