//! A recorded payment: a charge the service kept, or gave back.

use common::events::PaymentRefunded;
use common::{OrderId, PaymentId};

/// A payment's state: the money was kept, or given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Succeeded,
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Refunded => "refunded",
        }
    }
}

/// A payment whose money is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SucceededPayment {
    pub id: PaymentId,
    pub order_id: OrderId,
    /// The provider's charge.
    pub stripe_id: String,
}

impl SucceededPayment {
    /// payment.refunded: the money of this payment was given back.
    pub fn refunded_event(&self) -> PaymentRefunded {
        PaymentRefunded {
            id: self.id,
            order_id: self.order_id,
            stripe_id: self.stripe_id.clone(),
        }
    }
}
