//! ticket.updated: applied strictly in version order (SPEC §4 rule 4).

use common::bus::Outcome;
use common::events::TicketUpdated;
use sqlx::PgPool;

use crate::repo;

#[tracing::instrument(skip_all, fields(ticket = %event.id, version = event.version))]
pub async fn handle(pool: PgPool, event: TicketUpdated) -> anyhow::Result<Outcome> {
    if repo::apply_ticket_update(&pool, &event).await? {
        return Ok(Outcome::Ack);
    }
    match repo::ticket_version(&pool, event.id).await? {
        // Already applied, or older than what we have: drop it.
        Some(stored) if stored >= event.version => Ok(Outcome::Ack),
        // A gap (or the ticket's creation has not arrived yet): wait for it.
        _ => Ok(Outcome::Retry),
    }
}
