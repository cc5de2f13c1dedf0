//! The orders service's rules, free of HTTP and SQL.

pub mod holds;
pub mod new_order;
pub mod order;
pub mod ticket;
pub mod transitions;

pub use holds::HoldRules;
pub use new_order::NewOrder;
pub use order::{Order, TicketSnapshot};
pub use ticket::{Ticket, TicketToOrder};
pub use transitions::{CancelReason, Cancellation, cancellation, completes_on_payment, expires};
