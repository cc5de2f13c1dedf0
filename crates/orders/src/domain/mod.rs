//! The orders service's rules, free of HTTP and SQL.

pub mod new_order;
pub mod transitions;

pub use new_order::parse_ticket_id;
pub use transitions::{Cancellation, cancellation, completes_on_payment, expires};
