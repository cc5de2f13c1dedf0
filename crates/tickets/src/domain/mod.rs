//! The tickets service's rules, free of HTTP and SQL.

pub mod holder;
pub mod sale;
pub mod search;
pub mod ticket;
pub mod ticket_input;

pub use holder::choose_holder;
pub use sale::{SaleState, sale_state};
pub use search::Search;
pub use ticket::Ticket;
pub use ticket_input::{TicketInput, TicketTitle};
