//! The payments service's own series, recorded through common's recorder beside the shared ones.

use metrics::{counter, describe_counter, describe_gauge, gauge};

use crate::NAME;

pub const PAYMENTS: &str = "payments_total";
pub const REFUNDS: &str = "payment_refunds_total";
pub const ATTEMPTS_UNRESOLVED: &str = "payment_attempts_unresolved";

/// Every name this service adds to the shared ones.
pub const NAMES: &[&str] = &[PAYMENTS, REFUNDS, ATTEMPTS_UNRESOLVED];

/// How a charge attempt ended: the `outcome` label of [`PAYMENTS`].
pub const OUTCOMES: &[&str] = &["succeeded", "declined", "provider_error"];

/// Describes the series and creates the counters at zero, so a rate over them is 0, not absent.
pub fn declare() {
    common::metrics::install();
    describe_counter!(PAYMENTS, "Payment attempts, by outcome");
    describe_counter!(
        REFUNDS,
        "Charges refunded because their order could not keep them"
    );
    describe_gauge!(
        ATTEMPTS_UNRESOLVED,
        "Charge attempts whose provider call has no recorded outcome yet (the sweeper resolves them)"
    );
    for outcome in OUTCOMES {
        counter!(PAYMENTS, "service" => NAME, "outcome" => *outcome).increment(0);
    }
    counter!(REFUNDS, "service" => NAME).increment(0);
}

pub fn payment(outcome: &'static str) {
    counter!(PAYMENTS, "service" => NAME, "outcome" => outcome).increment(1);
}

pub fn refund() {
    counter!(REFUNDS, "service" => NAME).increment(1);
}

pub fn attempts_unresolved(attempts: i64) {
    gauge!(ATTEMPTS_UNRESOLVED, "service" => NAME).set(attempts as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_end_in_total() {
        for name in [PAYMENTS, REFUNDS] {
            assert!(name.ends_with("_total"), "{name}");
        }
    }
}
