//! A ticket as the service knows it: the listing, the order holding it, and what is known of
//! that order's hold.

use common::events::TicketUpdated;
use common::{OrderId, Price, TicketId, UserId};
use time::OffsetDateTime;

use super::{SaleState, sale_state};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    pub price: Price,
    pub user_id: UserId,
    pub version: i64,
    /// The reserving order, or `None` when the ticket is on sale.
    pub order_id: Option<OrderId>,
    /// Its place in listings (oldest first).
    pub created_at: OffsetDateTime,
    /// When the holding order's hold ends, if known.
    pub hold_expires_at: Option<OffsetDateTime>,
    /// Whether the holding order was paid, as far as tickets has heard.
    pub hold_paid: bool,
}

impl Ticket {
    /// The ticket.updated event announcing this state.
    pub fn updated_event(&self) -> TicketUpdated {
        TicketUpdated {
            id: self.id,
            version: self.version,
            title: self.title.clone(),
            price: self.price,
            user_id: self.user_id,
            order_id: self.order_id,
        }
    }

    /// Where it stands for its seller, and until when a reserved one is held.
    pub fn sale(&self) -> (SaleState, Option<OffsetDateTime>) {
        sale_state(
            self.order_id.is_some(),
            self.hold_expires_at,
            self.hold_paid,
        )
    }
}
