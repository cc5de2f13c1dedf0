//! The events payments consumes: one file per event. Handlers are public so tests (and the
//! launcher) can apply an event directly.

pub mod order_cancelled;
pub mod order_created;

use std::sync::Arc;

use common::bus::Listener;

use crate::provider::PaymentProvider;

pub fn all(provider: Arc<dyn PaymentProvider>) -> Vec<Listener> {
    vec![
        Listener::new(crate::NAME, order_created::Handler),
        // A refund calls the provider inside the transaction: one at a time, so no batch holds
        // its row locks across many provider calls (cancellations are few next to creations).
        Listener::new(crate::NAME, order_cancelled::Handler { provider }).batch(1),
    ]
}
