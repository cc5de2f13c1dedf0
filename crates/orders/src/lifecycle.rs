//! State changes shared by routes and listeners, each written with the event announcing it.

use common::OrderId;
use common::bus::enqueue;
use sqlx::PgConnection;

use crate::domain::{CancelReason, Order};
use crate::repo;

/// Cancels a locked, live order and writes order.cancelled in the same transaction.
pub async fn cancel_order(
    conn: &mut PgConnection,
    id: OrderId,
    reason: CancelReason,
) -> Result<Order, sqlx::Error> {
    let order = repo::cancel(conn, id, reason).await?;
    enqueue(conn, &order.cancelled_event()).await?;
    tracing::info!(order = %order.id, version = order.version, reason = reason.as_str(), "order cancelled");
    Ok(order)
}
