//! Re-derives a ticket's holder from what is known of its orders, announcing any change.

use anyhow::Context as _;
use common::TicketId;
use common::bus::enqueue;
use sqlx::PgConnection;

use crate::domain::Ticket;
use crate::domain::choose_holder;
use crate::repo;

/// Locks the ticket; the caller records the order's new state, then calls [`reconcile`].
pub async fn lock(conn: &mut PgConnection, id: TicketId) -> anyhow::Result<Ticket> {
    repo::lock(conn, id)
        .await?
        .with_context(|| format!("ticket {id} is unknown to the tickets service"))
}

pub async fn reconcile(conn: &mut PgConnection, ticket: Ticket) -> anyhow::Result<()> {
    let active = repo::active_orders(conn, ticket.id).await?;
    let holder = choose_holder(ticket.order_id, &active);
    if holder != ticket.order_id {
        let ticket = repo::set_holder(conn, ticket.id, holder).await?;
        enqueue(conn, &ticket.updated_event()).await?;
        tracing::info!(ticket = %ticket.id, holder = ?holder, version = ticket.version, "reservation changed");
    }
    Ok(())
}
