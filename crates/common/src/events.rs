//! The event contracts of docs/contract.md#events: one type per event, each knowing its subject.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use time::OffsetDateTime;

use crate::ids::{OrderId, PaymentId, SessionId, TicketId, UserId};
use crate::money::Price;

/// An event type and the subject (below the namespace) it travels on.
pub trait Event: Serialize + DeserializeOwned + Send + Sync + std::fmt::Debug + 'static {
    const SUBJECT: &'static str;
}

/// Every subject of the system, for stream topology and documentation.
pub const ALL_SUBJECTS: [&str; 8] = [
    TicketCreated::SUBJECT,
    TicketUpdated::SUBJECT,
    OrderCreated::SUBJECT,
    OrderCancelled::SUBJECT,
    ExpirationComplete::SUBJECT,
    PaymentCreated::SUBJECT,
    PaymentRefunded::SUBJECT,
    SessionRevoked::SUBJECT,
];

/// An order's status, shared by orders (the owner) and payments (the replica).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    sqlx::Type,
    schemars::JsonSchema,
    utoipa::ToSchema,
)]
#[sqlx(type_name = "text")]
pub enum OrderStatus {
    #[serde(rename = "created")]
    #[sqlx(rename = "created")]
    Created,
    #[serde(rename = "cancelled")]
    #[sqlx(rename = "cancelled")]
    Cancelled,
    #[serde(rename = "awaiting:payment")]
    #[sqlx(rename = "awaiting:payment")]
    AwaitingPayment,
    #[serde(rename = "complete")]
    #[sqlx(rename = "complete")]
    Complete,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketCreated {
    pub id: TicketId,
    pub version: i64,
    pub title: String,
    pub price: Price,
    pub user_id: UserId,
}

impl Event for TicketCreated {
    const SUBJECT: &'static str = "ticket.created";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TicketUpdated {
    pub id: TicketId,
    pub version: i64,
    pub title: String,
    pub price: Price,
    pub user_id: UserId,
    pub order_id: Option<OrderId>,
}

impl Event for TicketUpdated {
    const SUBJECT: &'static str = "ticket.updated";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreatedTicket {
    pub id: TicketId,
    pub price: Price,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderCreated {
    pub id: OrderId,
    pub version: i64,
    pub status: OrderStatus,
    pub user_id: UserId,
    #[serde(with = "crate::timestamp")]
    #[schemars(schema_with = "crate::timestamp::json_schema")]
    pub expires_at: OffsetDateTime,
    pub ticket: OrderCreatedTicket,
}

impl Event for OrderCreated {
    const SUBJECT: &'static str = "order.created";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TicketRef {
    pub id: TicketId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderCancelled {
    pub id: OrderId,
    pub version: i64,
    pub ticket: TicketRef,
}

impl Event for OrderCancelled {
    const SUBJECT: &'static str = "order.cancelled";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExpirationComplete {
    pub order_id: OrderId,
}

impl Event for ExpirationComplete {
    const SUBJECT: &'static str = "expiration.complete";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentCreated {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub stripe_id: String,
}

impl Event for PaymentCreated {
    const SUBJECT: &'static str = "payment.created";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRefunded {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub stripe_id: String,
}

impl Event for PaymentRefunded {
    const SUBJECT: &'static str = "payment.refunded";
}

/// A session was signed out: every service refuses its token from now on. Every process reads
/// these from the stream (each replica, not one of them), back to the oldest token still valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionRevoked {
    pub id: SessionId,
    pub user_id: UserId,
    /// When the token would have expired anyway: after it, the revocation can be forgotten.
    #[serde(with = "crate::timestamp")]
    #[schemars(schema_with = "crate::timestamp::json_schema")]
    pub expires_at: OffsetDateTime,
}

impl Event for SessionRevoked {
    const SUBJECT: &'static str = "session.revoked";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use time::macros::datetime;

    fn to_value<E: Event>(e: &E) -> Value {
        serde_json::to_value(e).unwrap_or(Value::Null)
    }

    #[test]
    fn payloads_match_spec_section_4() {
        let ticket = TicketId::new();
        let order = OrderId::new();
        let user = UserId::new();
        let price = Price::from_cents(1999).unwrap_or_else(|_| unreachable!());
        assert_eq!(
            to_value(&TicketUpdated {
                id: ticket,
                version: 2,
                title: "concert".into(),
                price,
                user_id: user,
                order_id: None,
            }),
            json!({"id": ticket, "version": 2, "title": "concert", "price": 19.99,
                   "userId": user, "orderId": null})
        );
        assert_eq!(
            to_value(&OrderCreated {
                id: order,
                version: 0,
                status: OrderStatus::Created,
                user_id: user,
                expires_at: datetime!(2026-11-22 10:15 UTC),
                ticket: OrderCreatedTicket { id: ticket, price },
            }),
            json!({"id": order, "version": 0, "status": "created", "userId": user,
                   "expiresAt": "2026-11-22T10:15:00.000Z",
                   "ticket": {"id": ticket, "price": 19.99}})
        );
        assert_eq!(
            to_value(&OrderCancelled {
                id: order,
                version: 1,
                ticket: TicketRef { id: ticket }
            }),
            json!({"id": order, "version": 1, "ticket": {"id": ticket}})
        );
        assert_eq!(
            to_value(&ExpirationComplete { order_id: order }),
            json!({"orderId": order})
        );
        let payment = PaymentId::new();
        assert_eq!(
            to_value(&PaymentCreated {
                id: payment,
                order_id: order,
                stripe_id: "ch_1".into()
            }),
            json!({"id": payment, "orderId": order, "stripeId": "ch_1"})
        );
        assert_eq!(
            serde_json::to_value(OrderStatus::AwaitingPayment).ok(),
            Some(json!("awaiting:payment"))
        );
    }

    #[test]
    fn subjects_are_distinct() {
        let mut all = ALL_SUBJECTS.to_vec();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 8);
    }
}
