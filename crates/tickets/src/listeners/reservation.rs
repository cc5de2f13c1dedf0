//! Re-derives a ticket's holder from what is known of its orders, announcing any change.

use anyhow::Context as _;
use common::bus::enqueue;
use common::{OrderId, TicketId};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::domain::Ticket;
use crate::domain::choose_holder;
use crate::repo;

/// What an order event says of its order.
pub enum OrderState {
    Created {
        version: i64,
        expires_at: OffsetDateTime,
    },
    Cancelled {
        version: i64,
    },
}

/// Records `order`'s new state and re-derives its ticket's holder. The ticket is locked first, so
/// that events of its orders are applied one at a time, each seeing the ones before it.
pub async fn apply(
    conn: &mut PgConnection,
    ticket: TicketId,
    order: OrderId,
    state: OrderState,
) -> anyhow::Result<()> {
    let ticket = lock(conn, ticket).await?;
    match state {
        OrderState::Created {
            version,
            expires_at,
        } => repo::record_order_created(conn, order, ticket.id, version, expires_at).await?,
        OrderState::Cancelled { version } => {
            repo::record_order_cancelled(conn, order, ticket.id, version).await?
        }
    }
    reconcile(conn, ticket).await
}

async fn lock(conn: &mut PgConnection, id: TicketId) -> anyhow::Result<Ticket> {
    repo::lock(conn, id)
        .await?
        .with_context(|| format!("ticket {id} is unknown to the tickets service"))
}

async fn reconcile(conn: &mut PgConnection, ticket: Ticket) -> anyhow::Result<()> {
    let active = repo::active_orders(conn, ticket.id).await?;
    let holder = choose_holder(ticket.order_id, &active);
    if holder != ticket.order_id {
        let ticket = repo::set_holder(conn, ticket.id, holder).await?;
        enqueue(conn, &ticket.updated_event()).await?;
        tracing::info!(ticket = %ticket.id, holder = ?holder, version = ticket.version, "reservation changed");
    }
    Ok(())
}
