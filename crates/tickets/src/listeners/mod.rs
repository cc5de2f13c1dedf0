//! The events the tickets service consumes: order.created reserves, order.cancelled releases.

pub mod order_cancelled;
pub mod order_created;
mod reservation;

use common::bus::Listener;
use sqlx::PgPool;

pub const SERVICE: &str = "tickets";

pub fn all(pool: &PgPool) -> Vec<Listener> {
    let (created, cancelled) = (pool.clone(), pool.clone());
    vec![
        Listener::new(SERVICE, move |e| order_created::handle(created.clone(), e)),
        Listener::new(SERVICE, move |e| {
            order_cancelled::handle(cancelled.clone(), e)
        }),
    ]
}
