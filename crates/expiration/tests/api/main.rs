//! Black-box tests: panicking on a broken precondition is the point, so expect/unwrap are fine here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod health;
mod helpers;
mod listeners;
mod replicas;
mod restart;
mod scale;
mod sweeper;
