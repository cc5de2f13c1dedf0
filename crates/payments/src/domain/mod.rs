//! The payments domain: what a payment request is, when an order may be paid, how replica
//! versions are applied, and how idempotency keys are derived. No actix, no sqlx.

pub mod idempotency;
pub mod order;
pub mod payment_request;

pub use order::{Refusal, ReplicaOrder, VersionCheck, check_version};
pub use payment_request::{CardToken, PaymentRequest};

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
