//! Scenario 4: a signed-out visitor who clicks Purchase signs in and lands back on the ticket.
//! On the way, a ticket titled `<script>alert(1)</script>` shows as text and runs nothing.

use common::UserId;
use common::testing::{expect_status, token_for};
use serde_json::json;

use crate::browser::{Driver, email, launch};

const XSS: &str = "<script>alert(1)</script>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_visitor_signs_in_and_returns_to_the_ticket() {
    let stack = launch(&[]).await;
    let driver = Driver::start("sign_in_returns");
    let ticket = stack
        .list_ticket(&token_for(UserId::new()), XSS, json!(9.5))
        .await;
    let ticket_path = format!("/tickets/{}", ticket["id"].as_str().unwrap());
    let address = email("visitor");
    expect_status(
        stack
            .api
            .post(
                "/api/users/signup",
                None,
                &json!({"email": address, "password": "s3cret"}),
            )
            .await,
        201,
        "an existing account",
    );

    let visitor = driver.visitor(&stack.api.base, "visitor").await;
    visitor.visit("/", "tickets").await;
    visitor.wait_for_text(XSS).await;
    assert!(
        visitor.client.get_alert_text().await.is_err(),
        "the title is text: no script ran"
    );
    visitor.click_link(XSS).await;
    visitor.wait_for_text("$9.50 USD").await;
    visitor.shot("ticket-signed-out").await;

    visitor.click_link("Purchase").await;
    visitor.wait_for_path("/auth/signin").await;
    visitor.shot("sign-in").await;

    // A wrong password first: the API's message is shown, and the way back is kept.
    visitor.fill("#email", &address).await;
    visitor.fill("#password", "wrong").await;
    visitor
        .click("form[action='/auth/signin'] button[type=submit]")
        .await;
    visitor.wait_for_text("Invalid credentials").await;
    visitor.shot("invalid-credentials").await;

    visitor.fill("#password", "s3cret").await;
    visitor
        .click("form[action='/auth/signin'] button[type=submit]")
        .await;
    visitor.wait_for_path(&ticket_path).await;
    visitor.wait_for_text("Purchasing holds the ticket").await;
    visitor.shot("back-on-the-ticket").await;
    assert!(visitor.text().await.contains(XSS), "still the same ticket");
    visitor.close().await;
}
