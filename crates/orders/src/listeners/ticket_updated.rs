//! ticket.updated: applied strictly in version order (docs/contract.md#delivery-rules, rule 4). A
//! listing edit that a live order never saw supersedes it: the edit reached tickets first, so
//! tickets' listing is no longer what the order shows and charges. Such an order is cancelled
//! (payments refunds it if it was paid), so no buyer pays a price other than the one shown and no
//! seller sells at a price other than the one listed.

use common::bus::{Apply, Applying, Outcome, VersionOrder};
use common::events::TicketUpdated;

use crate::domain::CancelReason;
use crate::lifecycle::cancel_order;
use crate::repo;

pub struct Handler;

impl Apply<TicketUpdated> for Handler {
    #[tracing::instrument(name = "ticket_updated", skip_all, fields(ticket = %event.id, version = event.version))]
    async fn apply(&self, tx: &mut Applying<'_>, event: TicketUpdated) -> anyhow::Result<Outcome> {
        let conn = tx.conn();
        if repo::apply_ticket_update(conn, &event).await? {
            for order in repo::lock_orders_superseded_by(conn, &event).await? {
                tracing::warn!(order = %order.id, "a listing edit superseded a live order");
                cancel_order(conn, order.id, CancelReason::ListingChanged).await?;
            }
            return Ok(Outcome::Ack);
        }
        let stored = repo::ticket_version(conn, event.id).await?;
        Ok(VersionOrder::of(stored, event.version).unapplied())
    }
}
