//! Scenario 2: a declined card shows the decline message and the order stays payable.

use common::UserId;
use common::testing::token_for;
use serde_json::json;

use crate::browser::{Driver, email, launch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_says_so_and_the_order_stays_payable() {
    let stack = launch(&[]).await;
    let driver = Driver::start("declined_card");
    let ticket = stack
        .list_ticket(&token_for(UserId::new()), "Chamber quartet", json!(30))
        .await;
    let ticket_path = format!("/tickets/{}", ticket["id"].as_str().unwrap());

    let buyer = driver.visitor(&stack.api.base, "buyer").await;
    buyer.sign_up(&email("buyer")).await;
    buyer.visit(&ticket_path, "ticket").await;
    buyer
        .click("form[action$='/purchase'] button[type=submit]")
        .await;
    buyer.wait_for_text("Time left to pay").await;
    buyer.shot("order").await;

    buyer.click("input[value=tok_chargeDeclined]").await;
    buyer.click("form[data-pay] button[type=submit]").await;
    buyer.wait_for_text("Your card was declined.").await;
    buyer.shot("declined").await;
    let text = buyer.text().await;
    assert!(
        text.contains("Awaiting payment"),
        "still awaiting payment: {text}"
    );
    assert!(
        text.contains("Time left to pay"),
        "the hold still runs: {text}"
    );

    buyer.click("input[value=tok_visa]").await;
    buyer.click("form[data-pay] button[type=submit]").await;
    buyer.reload_until("Complete").await;
    buyer.shot("paid-with-another-card").await;
    buyer.close().await;
}
