//! Black-box tests: panicking on a broken precondition is the point, so expect/unwrap are fine here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod dead_letters;
mod helpers;
mod lost_consumers;
mod outbox_survives_nats_outage;
mod price_snapshot;
mod purchase_lifecycle;
mod reservation_flow;
mod sign_out_everywhere;
mod sign_up_to_order;
mod throttled_storefront;
