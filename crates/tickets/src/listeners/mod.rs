//! The events the tickets service consumes: order.created reserves, order.cancelled releases,
//! payment.created marks the holding order paid (the ticket is sold).

pub mod order_cancelled;
pub mod order_created;
pub mod payment_created;
mod reservation;

use common::bus::Listener;
use sqlx::PgPool;

pub fn all(pool: &PgPool) -> Vec<Listener> {
    let (created, cancelled, paid) = (pool.clone(), pool.clone(), pool.clone());
    vec![
        Listener::new(crate::NAME, move |e| {
            order_created::handle(created.clone(), e)
        }),
        Listener::new(crate::NAME, move |e| {
            order_cancelled::handle(cancelled.clone(), e)
        }),
        Listener::new(crate::NAME, move |e| {
            payment_created::handle(paid.clone(), e)
        }),
    ]
}
