//! ticket.created: a new ticket joins the replica (a redelivery changes nothing).

use common::bus::{Apply, Applying, Outcome};
use common::events::TicketCreated;

use crate::repo;

pub struct Handler;

impl Apply<TicketCreated> for Handler {
    #[tracing::instrument(name = "ticket_created", skip_all, fields(ticket = %event.id))]
    async fn apply(&self, tx: &mut Applying<'_>, event: TicketCreated) -> anyhow::Result<Outcome> {
        repo::insert_ticket(tx.conn(), &event).await?;
        Ok(Outcome::Ack)
    }
}
