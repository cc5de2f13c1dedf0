//! payment.created: the order holding a ticket was paid, so the seller sees the ticket sold. The
//! payment names only the order: until order.created (or order.cancelled) has told tickets which
//! ticket it is for, the event waits.

use common::bus::Outcome;
use common::events::PaymentCreated;
use sqlx::PgPool;

use crate::repo;

#[tracing::instrument(skip_all, fields(order = %event.order_id))]
pub async fn handle(pool: PgPool, event: PaymentCreated) -> anyhow::Result<Outcome> {
    if repo::record_order_paid(&pool, event.order_id).await? {
        Ok(Outcome::Ack)
    } else {
        Ok(Outcome::Retry)
    }
}
