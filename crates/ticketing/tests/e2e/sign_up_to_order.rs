//! Issue 3's walk across services: real sign-ups, cookies only, no forged tokens.

use common::testing::{EVENTUALLY, eventually, nats_url};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Stack, World};

/// A browser-like client: keeps the session cookie auth sets.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_sell_and_order_with_cookies() {
    let stack = Stack::start(
        &World::new(nats_url()),
        &["auth", "tickets", "orders"],
        &[("COOKIE_SECURE", "false")],
    )
    .await;
    let base = &stack.api.base;
    let (seller, buyer) = (browser(), browser());
    use reqwest::Method as M;

    let (status, _) = call(
        &seller,
        M::POST,
        format!("{base}/api/users/signup"),
        Some(json!({"email": "seller@example.com", "password": "secret1"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, ticket) = call(
        &seller,
        M::POST,
        format!("{base}/api/tickets"),
        Some(json!({"title": "concert", "price": 20})),
    )
    .await;
    assert_eq!(status, 201, "{ticket}");

    let (status, _) = call(
        &buyer,
        M::POST,
        format!("{base}/api/users/signup"),
        Some(json!({"email": "buyer@example.com", "password": "secret2"})),
    )
    .await;
    assert_eq!(status, 201);
    let order = eventually("the buyer's order", EVENTUALLY, || async {
        let (status, order) = call(
            &buyer,
            M::POST,
            format!("{base}/api/orders"),
            Some(json!({"ticketId": ticket["id"]})),
        )
        .await;
        (status == 201).then_some(order)
    })
    .await;

    let (_, sellers_orders) = call(&seller, M::GET, format!("{base}/api/orders"), None).await;
    assert_eq!(sellers_orders, json!([]));
    let (_, buyers_orders) = call(&buyer, M::GET, format!("{base}/api/orders"), None).await;
    assert_eq!(buyers_orders.as_array().map(|a| a.len()), Some(1));
    assert_eq!(buyers_orders[0]["id"], order["id"]);
    assert_eq!(buyers_orders[0]["ticket"]["id"], ticket["id"]);

    let (_, me) = call(
        &buyer,
        M::GET,
        format!("{base}/api/users/currentuser"),
        None,
    )
    .await;
    assert_eq!(me["currentUser"]["email"], "buyer@example.com");
}
