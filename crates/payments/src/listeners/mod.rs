//! The events payments consumes: one file per event. Handlers are public so tests (and the
//! launcher) can apply an event directly.

pub mod order_cancelled;
pub mod order_created;

use std::sync::Arc;

use common::bus::Listener;
use sqlx::PgPool;

use crate::provider::PaymentProvider;

pub fn all(pool: &PgPool, provider: Arc<dyn PaymentProvider>) -> Vec<Listener> {
    vec![
        order_created::listener(pool.clone()),
        order_cancelled::listener(pool.clone(), provider),
    ]
}
