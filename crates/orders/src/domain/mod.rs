//! The orders service's rules, free of HTTP and SQL.

pub mod holds;
pub mod new_order;
pub mod transitions;

pub use holds::HoldRules;
pub use new_order::parse_ticket_id;
pub use transitions::{CancelReason, Cancellation, cancellation, completes_on_payment, expires};
