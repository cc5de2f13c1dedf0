//! An order as the service knows it: who holds which ticket until when, and the ticket as it was
//! when the order was placed.

use common::events::{OrderCancelled, OrderCreated, OrderCreatedTicket, OrderStatus, TicketRef};
use common::{OrderId, Price, TicketId, UserId};
use time::OffsetDateTime;

use super::CancelReason;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: OrderStatus,
    /// When the hold ends.
    pub expires_at: OffsetDateTime,
    /// Counts the changes announced by events.
    pub version: i64,
    pub ticket: TicketSnapshot,
    /// Its place in the buyer's list (oldest first).
    pub created_at: OffsetDateTime,
    /// Why a cancelled order was cancelled.
    pub cancel_reason: Option<CancelReason>,
}

/// The ticket as it was when the order was placed: every view of the order shows it and payments
/// charges exactly its price, whatever later edits of the listing say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSnapshot {
    pub id: TicketId,
    pub title: String,
    pub price: Price,
    /// The replica's version of the ticket the order was based on.
    pub version: i64,
}

impl Order {
    /// The order.created event announcing this order.
    pub fn created_event(&self) -> OrderCreated {
        OrderCreated {
            id: self.id,
            version: self.version,
            status: self.status,
            user_id: self.user_id,
            expires_at: self.expires_at,
            ticket: OrderCreatedTicket {
                id: self.ticket.id,
                price: self.ticket.price,
            },
        }
    }

    /// The order.cancelled event announcing this (cancelled) state.
    pub fn cancelled_event(&self) -> OrderCancelled {
        OrderCancelled {
            id: self.id,
            version: self.version,
            ticket: TicketRef { id: self.ticket.id },
        }
    }
}
