//! The orders service's replica of a ticket, and what a buyer ordering it must know of it.

use common::{Price, TicketId, UserId};
use time::OffsetDateTime;

/// A ticket as the replica knows it (fed by ticket.created and ticket.updated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    pub price: Price,
    /// The seller.
    pub user_id: UserId,
    pub version: i64,
}

/// A ticket as a buyer finds it: whether a live order holds it now, and when this buyer last
/// released it (cancelled or let expire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketToOrder {
    pub ticket: Ticket,
    pub reserved: bool,
    pub released_by_buyer_at: Option<OffsetDateTime>,
}
