//! The events the orders service consumes.

pub mod expiration_complete;
pub mod payment_created;
pub mod ticket_created;
pub mod ticket_updated;

use common::bus::Listener;

pub fn all() -> Vec<Listener> {
    vec![
        Listener::new(crate::NAME, ticket_created::Handler),
        Listener::new(crate::NAME, ticket_updated::Handler),
        Listener::new(crate::NAME, expiration_complete::Handler),
        Listener::new(crate::NAME, payment_created::Handler),
    ]
}
