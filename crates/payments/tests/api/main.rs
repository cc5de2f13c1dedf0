//! Black-box tests: panicking on a broken precondition is the point, so expect/unwrap are fine here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod crash;
mod create;
mod fake_provider;
mod helpers;
mod listeners;
mod stripe;
