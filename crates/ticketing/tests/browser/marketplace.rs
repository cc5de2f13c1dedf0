//! The marketplace at size: a visitor pages through the listings and searches them; a seller
//! sees each of their tickets with its state; a buyer at the holds cap is told why, cancels an
//! order from its page and the ticket goes back on sale.

use common::UserId;
use common::testing::token_for;
use serde_json::json;

use crate::browser::{Driver, email, launch};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitors_page_through_the_listings_and_search_them() {
    let stack = launch(&[]).await;
    let seller = token_for(UserId::new());
    stack
        .list_ticket(&seller, "Café de Flore: jazz brunch", json!(30))
        .await;
    // 30 more than one page (24) holds; listed one after another, so "Show 30" is the newest.
    for n in 1..=30 {
        stack
            .list_ticket(&seller, &format!("Show {n:02}"), json!(10 + n))
            .await;
    }
    let driver = Driver::start("marketplace-paging");
    let visitor = driver.visitor(&stack.api.base, "visitor").await;
    visitor.visit("/", "first-page").await;
    visitor.wait_for_text("Show 30").await;
    let first = visitor.text().await;
    assert!(
        first.contains("Show 07"),
        "24 on the first page, newest first"
    );
    assert!(!first.contains("Show 06"), "not 25");
    assert!(
        !first.contains("Previous"),
        "nothing newer than the first page"
    );

    visitor.click_link("Next").await;
    visitor.wait_for_text("Show 06").await;
    visitor.shot("second-page").await;
    let second = visitor.text().await;
    for shown in ["Show 01", "Café de Flore"] {
        assert!(second.contains(shown), "{shown} on the last page");
    }
    assert!(!second.contains("Show 07"), "no ticket twice");
    assert!(!second.contains("Next"), "nothing older than the last page");

    visitor.click_link("Previous").await;
    visitor.wait_for_text("Show 30").await;

    // Any case, no accents: "CAFE" finds "Café".
    visitor.fill("#q", "CAFE").await;
    visitor.click("form[role=search] button[type=submit]").await;
    visitor.wait_for_text("1 ticket matches").await;
    visitor.shot("search").await;
    let found = visitor.text().await;
    assert!(found.contains("Café de Flore: jazz brunch"));
    assert!(!found.contains("Show 30"), "only the matches");

    visitor.fill("#q", "sho").await;
    visitor.click("form[role=search] button[type=submit]").await;
    visitor.wait_for_text("30 tickets match").await;
    visitor.click_link("Next").await;
    visitor.wait_for_text("Show 01").await;
    assert!(
        visitor.text().await.contains("30 tickets match"),
        "the next page of a search is still the search"
    );
    visitor.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_sees_each_listing_with_its_state() {
    let stack = launch(&[]).await;
    let driver = Driver::start("marketplace-selling");
    let seller = driver.visitor(&stack.api.base, "seller").await;
    seller.sign_up(&email("seller")).await;
    let mut ids = Vec::new();
    for (title, price) in [
        ("Balcony seat", "40"),
        ("Aisle seat", "25"),
        ("Floor seat", "12"),
    ] {
        seller.visit("/tickets/new", "sell").await;
        seller.fill("#title", title).await;
        seller.fill("#price", price).await;
        seller
            .click("form[action='/tickets/new'] button[type=submit]")
            .await;
        seller.wait_for_text("This is your ticket").await;
        ids.push(json!(seller.path().await.trim_start_matches("/tickets/")));
    }
    let buyer = token_for(UserId::new());
    let sold = stack
        .order_when_replicated(&buyer, &json!({"id": ids[0]}))
        .await;
    let (status, _) = stack.pay_when_replicated(&buyer, &sold, "tok_visa").await;
    assert_eq!(status, 201, "the sold seat is paid for");
    stack
        .order_when_replicated(&buyer, &json!({"id": ids[1]}))
        .await;

    seller.click_link("My listings").await;
    seller.wait_for_path("/selling").await;
    seller.reload_until("Sold").await;
    seller.wait_for_text("Held until").await;
    seller.shot("my-listings").await;
    let rows = seller.text().await;
    for expected in [
        "Balcony seat",
        "$40.00 USD",
        "Sold",
        "Aisle seat",
        "Reserved",
        "Floor seat",
        "On sale",
    ] {
        assert!(rows.contains(expected), "{expected:?} in {rows}");
    }
    let edits = seller.count("a[href$='/edit']").await;
    assert_eq!(edits, 1, "only the ticket on sale can be edited");
    seller.click_link("Edit").await;
    seller.wait_for_text("Edit your ticket").await;
    assert_eq!(
        seller.path().await,
        format!("/tickets/{}/edit", ids[2].as_str().expect("id"))
    );
    seller.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_at_the_holds_cap_is_told_why_and_cancels_an_order() {
    let stack = launch(&[("MAX_HOLDS_PER_BUYER", "1")]).await;
    let seller = token_for(UserId::new());
    for title in ["First choice", "Second choice"] {
        stack.list_ticket(&seller, title, json!(20)).await;
    }
    let driver = Driver::start("marketplace-cancel");
    let buyer = driver.visitor(&stack.api.base, "buyer").await;
    buyer.sign_up(&email("buyer")).await;
    buyer.click_link("First choice").await;
    buyer
        .click("form[action$='/purchase'] button[type=submit]")
        .await;
    buyer.wait_for_text("Time left to pay").await;
    let order_page = buyer.path().await;

    buyer.visit("/", "home").await;
    buyer.click_link("Second choice").await;
    buyer
        .click("form[action$='/purchase'] button[type=submit]")
        .await;
    buyer.wait_for_text("You already hold 1 unpaid order").await;
    buyer.shot("holds-cap").await;

    buyer.visit(&order_page, "order").await;
    buyer.click("form[data-cancel] button[type=submit]").await;
    buyer
        .wait_for_text("Your order is cancelled and the ticket is back on sale.")
        .await;
    buyer.shot("cancelled").await;
    let text = buyer.text().await;
    assert!(text.contains("Cancelled"), "the status says so");
    assert!(text.contains("You cancelled this order. Nothing was charged."));

    buyer.visit("/", "home-after").await;
    buyer.reload_until("First choice").await;
    buyer.click_link("Second choice").await;
    buyer
        .click("form[action$='/purchase'] button[type=submit]")
        .await;
    buyer.wait_for_text("Time left to pay").await;
    buyer.close().await;
}
