//! The storefront calls the API on behalf of every visitor from its own address: it forwards each
//! visitor's address, so the API's per-address limits count visitors, not the storefront.

use common::testing::nats_url;

use crate::helpers::{Stack, World};

/// A sign-in through the storefront's form, by a visitor at `address` (the test client stands for
/// the proxy in front of the storefront, which trusts loopback); the page's status and text.
async fn sign_in(stack: &Stack, address: &str, email: &str) -> (u16, String) {
    let response = stack
        .api
        .http
        .post(format!("{}/auth/signin", stack.api.base))
        .header("origin", &stack.api.base)
        .header("x-forwarded-for", address)
        .form(&[("email", email), ("password", "guess"), ("next", "/")])
        .send()
        .await
        .expect("a page");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_visitor_has_their_own_sign_in_budget_through_the_storefront() {
    let stack = Stack::start(
        &World::new(nats_url()),
        &["auth", "web"],
        &[("RATE_LIMIT_SIGNIN_PER_ADDRESS", "2/minute")],
    )
    .await;
    for i in 0..2 {
        let (status, page) = sign_in(&stack, "198.51.100.7", &format!("v{i}@example.com")).await;
        assert_eq!(status, 400, "{page}");
        assert!(page.contains("Invalid credentials"));
    }
    let (status, page) = sign_in(&stack, "198.51.100.7", "v9@example.com").await;
    assert_eq!(status, 429, "the third attempt of one visitor");
    assert!(
        page.contains("Too many attempts: please try again later"),
        "{page}"
    );
    let (status, page) = sign_in(&stack, "198.51.100.8", "w@example.com").await;
    assert_eq!(
        status, 400,
        "another visitor is not held back by the first: {page}"
    );
}
