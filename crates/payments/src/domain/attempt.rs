//! A charge attempt: the intent to charge an order, committed before the provider is called, and
//! where it stands.

use common::events::{PaymentCreated, PaymentRefunded};
use common::{OrderId, PaymentId};
use time::OffsetDateTime;

/// Where a charge attempt stands (`payment_attempts.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum AttemptState {
    /// Committed before the provider call; the outcome is not recorded yet.
    Charging,
    /// The provider charged; the payment row says whether the money was kept or refunded.
    Charged,
    /// The provider refused the card.
    Declined,
    /// Still unresolved when the provider no longer remembers its idempotency key (24 hours).
    Abandoned,
}

/// A committed intent to charge an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Also the id of the payment it records, kept or refunded.
    pub id: PaymentId,
    pub order_id: OrderId,
    pub amount_cents: i64,
    /// The card token, sent again unchanged when the call is repeated.
    pub source: String,
    pub idempotency_key: String,
    pub state: AttemptState,
    pub created_at: OffsetDateTime,
}

impl Attempt {
    /// payment.created: the provider's charge `stripe_id` of this attempt is the order's payment.
    pub fn created_event(&self, stripe_id: &str) -> PaymentCreated {
        PaymentCreated {
            id: self.id,
            order_id: self.order_id,
            stripe_id: stripe_id.to_owned(),
        }
    }

    /// payment.refunded: the order could not keep this attempt's charge `stripe_id`.
    pub fn refunded_event(&self, stripe_id: &str) -> PaymentRefunded {
        PaymentRefunded {
            id: self.id,
            order_id: self.order_id,
            stripe_id: stripe_id.to_owned(),
        }
    }
}
