//! An order as every route answers it (docs/contract.md#order-json).

use common::events::OrderStatus;
use common::{OrderId, Price, TicketId, UserId};
use serde::Serialize;
use time::OffsetDateTime;

use crate::domain::{Order, TicketSnapshot};

/// An order with its ticket embedded, as rendered (docs/contract.md#order-json).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Order)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: OrderStatus,
    /// When the hold ends (RFC 3339, milliseconds, `Z`).
    #[serde(with = "common::timestamp")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-22T10:15:00.000Z")]
    pub expires_at: OffsetDateTime,
    pub version: i64,
    pub ticket: OrderTicketView,
    /// Why a cancelled order was cancelled: `buyer` (the buyer cancelled), `expired` (the hold
    /// ran out unpaid) or `listing_changed` (the seller changed the listing before this order
    /// reached it; a payment made meanwhile is refunded); `null` otherwise.
    #[schema(example = json!(null))]
    pub cancel_reason: Option<String>,
}

/// The ticket as an order shows it: as it was when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OrderTicket)]
pub struct OrderTicketView {
    pub id: TicketId,
    /// The title when the order was placed.
    pub title: String,
    /// The price when the order was placed: the amount payments charges.
    pub price: Price,
    /// The replica's version of the ticket the order was based on.
    pub version: i64,
}

impl From<Order> for OrderView {
    fn from(order: Order) -> Self {
        Self {
            id: order.id,
            user_id: order.user_id,
            status: order.status,
            expires_at: order.expires_at,
            version: order.version,
            ticket: order.ticket.into(),
            cancel_reason: order.cancel_reason.map(|r| r.as_str().to_owned()),
        }
    }
}

impl From<TicketSnapshot> for OrderTicketView {
    fn from(ticket: TicketSnapshot) -> Self {
        Self {
            id: ticket.id,
            title: ticket.title,
            price: ticket.price,
            version: ticket.version,
        }
    }
}
