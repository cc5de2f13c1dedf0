//! The tickets service's rules, free of HTTP and SQL.

pub mod holder;
pub mod ticket_input;

pub use holder::choose_holder;
pub use ticket_input::{TicketInput, TicketTitle};
