use common::testing::{assert_errors, expect_status};
use serde_json::json;

use crate::helpers::{spawn, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_sees_only_their_own_orders_of_every_status_oldest_first() {
    let app = spawn().await;
    let (_, me) = user();
    let (_, other) = user();
    let (a, b, c) = (
        app.replicated_ticket().await,
        app.replicated_ticket().await,
        app.replicated_ticket().await,
    );
    let first = app.order(&me, a.id).await;
    let second = app.order(&me, b.id).await;
    app.order(&other, c.id).await;
    app.api
        .delete(
            &format!("/api/orders/{}", first["id"].as_str().expect("id")),
            Some(&me),
        )
        .await;

    let mine = expect_status(app.api.get("/api/orders", Some(&me)).await, 200, "listing");
    let summary: Vec<_> = mine
        .as_array()
        .expect("array")
        .iter()
        .map(|o| (o["id"].clone(), o["status"].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (first["id"].clone(), json!("cancelled")),
            (second["id"].clone(), json!("created"))
        ]
    );
    assert_eq!(
        mine[1]["ticket"]["id"],
        json!(b.id),
        "the ticket is embedded"
    );
    let (status, body) = app.api.get("/api/orders", None).await;
    assert_eq!(status, 401);
    assert_errors(&body, &[("Not authorized", None)], "list without a session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn showing_an_order_checks_the_owner() {
    let app = spawn().await;
    let ticket = app.replicated_ticket().await;
    let (_, owner) = user();
    let (_, stranger) = user();
    let order = app.order(&owner, ticket.id).await;
    assert_eq!(app.show(&owner, &order).await, order);

    let path = format!("/api/orders/{}", order["id"].as_str().expect("id"));
    let unknown = format!("/api/orders/{}", uuid::Uuid::new_v4());
    let cases = [
        ("no session", path.clone(), None, 401, "Not authorized"),
        (
            "not the owner",
            path,
            Some(&stranger),
            401,
            "Not authorized",
        ),
        ("unknown order", unknown, Some(&owner), 404, "Not Found"),
        (
            "malformed id",
            "/api/orders/xyz".to_owned(),
            Some(&owner),
            404,
            "Not Found",
        ),
    ];
    for (case, path, token, status, message) in cases {
        let (actual, body) = app.api.get(&path, token.map(String::as_str)).await;
        assert_eq!(actual, status, "{case}");
        assert_errors(&body, &[(message, None)], case);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyers_orders_are_paged_oldest_first() {
    let app = crate::helpers::spawn_with(orders::domain::HoldRules {
        max_holds: None,
        reorder_cooldown: time::Duration::ZERO,
    })
    .await;
    let (_, buyer) = crate::helpers::user();
    let mut placed = Vec::new();
    for _ in 0..7 {
        let ticket = app.replicated_ticket().await;
        placed.push(app.order(&buyer, ticket.id).await["id"].clone());
    }
    let mut seen = Vec::new();
    let mut at = Some("/api/orders?limit=3".to_owned());
    let mut pages = 0;
    while let Some(path) = at {
        let response = app
            .api
            .http
            .get(format!("{}{path}", app.api.base))
            .bearer_auth(&buyer)
            .send()
            .await
            .expect("a page");
        assert_eq!(response.status(), 200);
        let link = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let page: Vec<serde_json::Value> = response.json().await.expect("an array");
        seen.extend(page.iter().map(|o| o["id"].clone()));
        at = link
            .split(", ")
            .find(|l| l.ends_with("rel=\"next\""))
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split_once('>'))
            .map(|(target, _)| target.to_owned());
        pages += 1;
    }
    assert_eq!(seen, placed, "every order once, oldest first");
    assert_eq!(pages, 3);
    let (status, body) = app.api.get("/api/orders?limit=500", Some(&buyer)).await;
    assert_eq!(status, 400, "{body}");
}
