//! Scenario 3: with a 3-second hold the countdown reaches zero, the order shows as expired, and
//! the ticket is on sale again.

use common::UserId;
use common::testing::token_for;
use serde_json::json;

use crate::browser::{Driver, email, launch};

const TITLE: &str = "Late show, seat 12B";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_countdown_runs_out_the_order_expires_and_the_ticket_returns() {
    let stack = launch(&[("ORDER_EXPIRATION_SECONDS", "3")]).await;
    let driver = Driver::start("hold_expires");
    let ticket = stack
        .list_ticket(&token_for(UserId::new()), TITLE, json!(12))
        .await;
    let ticket_path = format!("/tickets/{}", ticket["id"].as_str().unwrap());

    let buyer = driver.visitor(&stack.api.base, "buyer").await;
    buyer.sign_up(&email("buyer")).await;
    buyer.visit(&ticket_path, "ticket").await;
    buyer
        .click("form[action$='/purchase'] button[type=submit]")
        .await;
    buyer.wait_for_text("Time left to pay").await;
    buyer.shot("order-counting-down").await;
    let countdown = buyer.find("[data-countdown]").await.text().await.unwrap();
    assert!(
        ["0:01", "0:02", "0:03"].contains(&countdown.as_str()),
        "a live countdown of the 3-second hold: {countdown}"
    );

    // The script counts down to zero, marks the order expired and reloads the page; the server
    // then renders the expired order. No reload from the test.
    buyer.wait_for_text("This order has expired").await;
    buyer.shot("expired").await;
    assert!(buyer.text().await.contains("Expired"), "the status says so");

    buyer.visit("/", "tickets").await;
    buyer.reload_until(TITLE).await;
    buyer.shot("on-sale-again").await;
    buyer.close().await;
}
