//! The expiration service's own series, recorded through common's recorder beside the shared ones.

use std::time::Duration;

use metrics::{describe_gauge, describe_histogram, gauge, histogram};

use crate::NAME;

pub const PENDING: &str = "expiration_pending_orders";
pub const LATENESS: &str = "expiration_lateness_seconds";

/// Every name this service adds to the shared ones.
pub const NAMES: &[&str] = &[PENDING, LATENESS];

/// Describes the series (once, at start).
pub fn declare() {
    common::metrics::install();
    describe_gauge!(PENDING, "Orders waiting for their expiry");
    describe_histogram!(
        LATENESS,
        metrics::Unit::Seconds,
        "How long after expiresAt an order's expiration fired"
    );
}

pub fn pending(orders: i64) {
    gauge!(PENDING, "service" => NAME).set(orders as f64);
}

pub fn fired(lateness: Duration) {
    histogram!(LATENESS, "service" => NAME).record(lateness);
}
