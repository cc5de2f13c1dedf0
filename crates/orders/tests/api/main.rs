//! Black-box tests: panicking on a broken precondition is the point, so expect/unwrap are fine here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod cancel;
mod concurrency;
mod create;
mod helpers;
mod holds;
mod list_and_show;
mod listeners;
mod outage;
mod snapshot;
mod statistics;
