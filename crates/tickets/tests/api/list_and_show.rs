use common::OrderId;
use common::testing::{assert_errors, expect_status};
use serde_json::json;

use crate::helpers::{spawn, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_hides_reserved_tickets_oldest_first() {
    let app = spawn().await;
    let (_, token) = user();
    let first = app.create_ticket(&token, "first", json!(10)).await;
    let reserved = app.create_ticket(&token, "reserved", json!(20)).await;
    let last = app.create_ticket(&token, "last", json!(30)).await;
    app.order_created(&reserved, OrderId::new()).await;

    let list = expect_status(app.api.get("/api/tickets", None).await, 200, "listing");
    let titles: Vec<_> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["title"].clone())
        .collect();
    assert_eq!(titles, vec![first["title"].clone(), last["title"].clone()]);

    let shown = app.ticket(reserved["id"].as_str().expect("id")).await;
    assert!(
        shown["orderId"].is_string(),
        "a reserved ticket is still shown: {shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_ids_and_routes_are_404() {
    let app = spawn().await;
    let unknown = format!("/api/tickets/{}", uuid::Uuid::new_v4());
    for path in [
        unknown.as_str(),
        "/api/tickets/not-an-id",
        "/api/nothing-here",
    ] {
        let (status, body) = app.api.get(path, None).await;
        assert_eq!(status, 404, "{path}");
        assert_errors(&body, &[("Not Found", None)], path);
    }
}
