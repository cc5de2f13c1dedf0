//! Scenario 1: a seller signs up and lists a ticket; a buyer in a separate browser session signs
//! up, purchases, pays with the good card and sees `complete`; the ticket is no longer on sale.

use common::UserId;
use common::testing::token_for;
use serde_json::json;

use crate::browser::{Driver, email, launch};

const TITLE: &str = "Front row: The Rust Orchestra";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_purchases_and_pays_and_the_ticket_leaves_the_shop() {
    let stack = launch(&[]).await;
    let driver = Driver::start("purchase");

    let seller = driver.visitor(&stack.api.base, "seller").await;
    seller.sign_up(&email("seller")).await;
    seller.click_link("Sell a ticket").await;
    seller.wait_for_text("Sell a ticket").await;
    seller.fill("#title", TITLE).await;
    seller.fill("#price", "45").await;
    seller.shot("sell-form").await;
    seller
        .click("form[action='/tickets/new'] button[type=submit]")
        .await;
    seller.wait_for_text("This is your ticket").await;
    seller.shot("listed").await;
    assert!(
        seller.text().await.contains("$45.00 USD"),
        "money with two decimals and currency"
    );
    seller.close().await;

    // Two more sellers' tickets, so the shop looks like a shop.
    let other = token_for(UserId::new());
    for (title, price) in [
        ("Jazz night at the Blue Door", json!("28.50")),
        ("City Marathon: finish-line stand", json!(120)),
    ] {
        stack.list_ticket(&other, title, price).await;
    }

    let buyer = driver.visitor(&stack.api.base, "buyer").await;
    buyer.sign_up(&email("buyer")).await;
    buyer.wait_for_text(TITLE).await;
    buyer.wait_for_text("$28.50 USD").await;
    buyer.shot("tickets").await;
    buyer.phone_shot("tickets-phone").await;
    buyer.readme_shot("tickets").await;

    buyer.click_link(TITLE).await;
    buyer.wait_for_text("Purchasing holds the ticket").await;
    buyer.shot("ticket").await;
    buyer
        .click("form[action$='/purchase'] button[type=submit]")
        .await;
    buyer.wait_for_text("Time left to pay").await;
    assert!(
        buyer.path().await.starts_with("/orders/"),
        "the purchase leads to the order"
    );
    buyer.shot("order").await;
    buyer.readme_shot("order").await;
    buyer.phone_shot("order-phone").await;
    assert!(buyer.text().await.contains("Awaiting payment"));

    buyer.click("input[value=tok_visa]").await;
    buyer.click("form[data-pay] button[type=submit]").await;
    buyer.reload_until("Complete").await;
    buyer.wait_for_text("Paid. The ticket is yours.").await;
    buyer.shot("paid").await;

    buyer.visit("/orders", "my-orders").await;
    buyer.wait_for_text(TITLE).await;
    assert!(
        buyer.text().await.contains("Complete"),
        "my orders shows the status"
    );

    buyer.visit("/", "tickets-after").await;
    buyer.reload_until_gone(TITLE).await;
    assert!(
        buyer.text().await.contains("Jazz night"),
        "the others are still on sale"
    );
    buyer.shot("sold").await;
    buyer.close().await;
}
