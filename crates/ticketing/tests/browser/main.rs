//! The storefront in real headless Chromium (WebDriver via chromedriver), against the real
//! launcher: every service and the web part on one port, fresh databases, a fresh namespace.
//! Each test saves a screenshot of every page it visits into
//! `target/browser-screenshots/<test>/`; with `UPDATE_SCREENSHOTS=1` the purchase test also
//! rewrites the README's `docs/screenshots/*.png`.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod browser;
mod declined_card;
mod hold_expires;
mod marketplace;
mod purchase;
mod sign_in_returns;
// The launcher stack of the end-to-end tests (not every helper is used here).
#[allow(dead_code)]
#[path = "../e2e/helpers.rs"]
mod stack;
