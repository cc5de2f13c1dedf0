//! The payments domain: what a payment request is, when an order may be paid, how replica
//! versions are applied, and how idempotency keys are derived. No actix, no sqlx.

pub mod idempotency;
pub mod order;
pub mod payment_request;

pub use order::{Refusal, ReplicaOrder, VersionCheck, check_version};
pub use payment_request::{CardToken, PaymentRequest};

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
