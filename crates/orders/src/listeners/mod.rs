//! The events the orders service consumes.

pub mod expiration_complete;
pub mod payment_created;
pub mod ticket_created;
pub mod ticket_updated;

use common::bus::Listener;
use sqlx::PgPool;

pub fn all(pool: &PgPool) -> Vec<Listener> {
    let p = || pool.clone();
    let (a, b, c, d) = (p(), p(), p(), p());
    vec![
        Listener::new(crate::NAME, move |e| ticket_created::handle(a.clone(), e)),
        Listener::new(crate::NAME, move |e| ticket_updated::handle(b.clone(), e)),
        Listener::new(crate::NAME, move |e| {
            expiration_complete::handle(c.clone(), e)
        }),
        Listener::new(crate::NAME, move |e| payment_created::handle(d.clone(), e)),
    ]
}
