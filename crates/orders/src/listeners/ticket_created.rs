//! ticket.created: a new ticket joins the replica (a redelivery changes nothing).

use common::bus::Outcome;
use common::events::TicketCreated;
use sqlx::PgPool;

use crate::repo;

#[tracing::instrument(skip_all, fields(ticket = %event.id))]
pub async fn handle(pool: PgPool, event: TicketCreated) -> anyhow::Result<Outcome> {
    repo::insert_ticket(&pool, &event).await?;
    Ok(Outcome::Ack)
}
