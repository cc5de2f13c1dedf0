use common::events::TicketCreated;
use common::testing::{EventTap, assert_errors, expect_status};
use serde_json::json;

use crate::helpers::{spawn, ticket_id, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_needs_a_session_checked_before_the_body() {
    let app = spawn().await;
    for body in [json!({"title": "concert", "price": 10}), json!({})] {
        let (status, body) = app.api.post("/api/tickets", None, &body).await;
        assert_eq!(status, 401);
        assert_errors(&body, &[("Not authorized", None)], "no session");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_invalid_field_is_reported() {
    let app = spawn().await;
    let (_, token) = user();
    let title = Some("title");
    let price = Some("price");
    let cases = [
        (
            "missing everything",
            json!({}),
            vec![
                ("Title is required", title),
                ("Price must be greater than 0", price),
            ],
        ),
        (
            "blank title",
            json!({"title": "   ", "price": 10}),
            vec![("Title is required", title)],
        ),
        (
            "NUL in the title (found by schemathesis: Postgres refused it, a 500)",
            json!({"title": "a\u{0}b", "price": 10}),
            vec![("Title must not contain NUL characters", title)],
        ),
        (
            "a bidirectional override (the title would read as something else)",
            json!({"title": "Row 1 \u{202E}21 taes", "price": 10}),
            vec![(
                "Title must not contain bidirectional control characters",
                title,
            )],
        ),
        (
            "zero-width characters only: looks blank",
            json!({"title": "\u{200B}\u{200C}\u{FEFF}", "price": 10}),
            vec![("Title is required", title)],
        ),
        (
            "zero price",
            json!({"title": "a", "price": 0}),
            vec![("Price must be greater than 0", price)],
        ),
        (
            "negative price",
            json!({"title": "a", "price": -10}),
            vec![("Price must be greater than 0", price)],
        ),
        (
            "three decimals",
            json!({"title": "a", "price": 1.005}),
            vec![("Price must be greater than 0", price)],
        ),
        (
            "over a million",
            json!({"title": "a", "price": 1000000.01}),
            vec![("Price must be greater than 0", price)],
        ),
        (
            "price not numeric",
            json!({"title": "a", "price": "free"}),
            vec![("Price must be greater than 0", price)],
        ),
    ];
    for (case, body, expected) in cases {
        let (status, body) = app.api.post("/api/tickets", Some(&token), &body).await;
        assert_eq!(status, 400, "{case}");
        assert_errors(&body, &expected, case);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_ticket_is_returned_and_announced() {
    let app = spawn().await;
    let mut tap = EventTap::new(&app.bus, "ticket.created").await;
    let (seller, token) = user();
    let ticket = app.create_ticket(&token, "concert", json!("20.00")).await;
    assert_eq!(ticket["title"], "concert");
    assert_eq!(ticket["price"], json!(20));
    assert_eq!(ticket["userId"], json!(seller));
    assert_eq!(ticket["version"], 0);
    assert_eq!(ticket["orderId"], json!(null));

    let event: TicketCreated = tap.next().await;
    assert_eq!(event.id, ticket_id(&ticket));
    assert_eq!(
        (event.version, event.price.cents(), event.user_id),
        (0, 2000, seller)
    );
    assert_eq!(app.ticket(&event.id.to_string()).await, ticket);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_bodies_get_spec_errors() {
    let app = spawn().await;
    let (_, token) = user();
    let url = format!("{}/api/tickets", app.api.base);
    let send = |body: String, content_type: &'static str| {
        app.api
            .http
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases = [
        (
            "broken JSON",
            send("{\"title\":".into(), "application/json").await,
            400,
        ),
        (
            "not JSON content type",
            send("title=a".into(), "text/plain").await,
            400,
        ),
        (
            "over 64 KiB",
            send(
                format!("{{\"title\":\"{}\",\"price\":1}}", "a".repeat(70 * 1024)),
                "application/json",
            )
            .await,
            413,
        ),
    ];
    for (case, response, status) in cases {
        let response = response.expect("request");
        assert_eq!(response.status().as_u16(), status, "{case}");
        let body: serde_json::Value = response.json().await.expect("JSON error body");
        let message = body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!message.is_empty(), "{case}: {body}");
        if status == 413 {
            assert_eq!(message, "Request body too large", "{case}");
        } else {
            assert!(message.contains("not valid JSON"), "{case}: {message}");
        }
    }
    let _ = expect_status(
        app.api.get("/api/tickets", None).await,
        200,
        "still serving",
    );
}
