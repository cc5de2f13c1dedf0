//! The payments domain: what a payment request is, when an order may be paid, how replica
//! versions are applied, what attempts and payments are, and how idempotency keys are derived.
//! No actix; sqlx only to name how an attempt's state is stored.

pub mod attempt;
pub mod idempotency;
pub mod order;
pub mod payment;
pub mod payment_input;

pub use attempt::{Attempt, AttemptState};
pub use order::{Refusal, ReplicaOrder};
pub use payment::{PaymentStatus, SucceededPayment};
pub use payment_input::{CardToken, PaymentInput};
