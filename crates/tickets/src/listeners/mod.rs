//! The events the tickets service consumes: order.created reserves, order.cancelled releases,
//! payment.created marks the holding order paid (the ticket is sold).

pub mod order_cancelled;
pub mod order_created;
pub mod payment_created;
mod reservation;

use common::bus::Listener;

pub fn all() -> Vec<Listener> {
    vec![
        Listener::new(crate::NAME, order_created::Handler),
        Listener::new(crate::NAME, order_cancelled::Handler),
        Listener::new(crate::NAME, payment_created::Handler),
    ]
}
