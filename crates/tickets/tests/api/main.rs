//! Black-box tests: panicking on a broken precondition is the point, so expect/unwrap are fine here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod create;
mod helpers;
mod list_and_show;
mod listeners;
mod paging;
mod sessions;
mod throttling;
mod update;
