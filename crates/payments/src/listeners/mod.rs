//! The events payments consumes: one file per event. Handlers are public so tests (and the
//! launcher) can apply an event directly.

pub mod order_cancelled;
pub mod order_created;

/// The durable consumer prefix of this service.
pub const SERVICE: &str = crate::NAME;
