use common::events::OrderCreated;
use common::testing::{EventTap, assert_errors};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::helpers::{order_id, spawn, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_holds_the_ticket_for_the_window_and_is_announced() {
    let app = spawn().await;
    let mut tap = EventTap::new(&app.bus, "order.created").await;
    let ticket = app.replicated_ticket().await;
    let (buyer, token) = user();
    let before = OffsetDateTime::now_utc();
    let order = app.order(&token, ticket.id).await;

    assert_eq!(order["status"], "created");
    assert_eq!(order["version"], 0);
    assert_eq!(order["userId"], json!(buyer));
    assert_eq!(
        order["ticket"],
        json!({"id": ticket.id, "title": "concert", "price": 20, "version": 0})
    );
    let expires_text = order["expiresAt"].as_str().expect("expiresAt");
    assert!(
        expires_text.ends_with('Z') && expires_text.len() == 24,
        "{expires_text}"
    );
    let expires = OffsetDateTime::parse(expires_text, &Rfc3339).expect("RFC 3339");
    let window = (expires - before).whole_seconds();
    assert!((899..=901).contains(&window), "window {window}s");

    let event: OrderCreated = tap.next().await;
    assert_eq!(event.id, order_id(&order));
    assert_eq!(
        (
            event.version,
            event.user_id,
            event.ticket.id,
            event.ticket.price.cents()
        ),
        (0, buyer, ticket.id, 2000)
    );
    assert_eq!(event.expires_at, expires);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_refused_per_the_spec() {
    let app = spawn().await;
    let ticket = app.replicated_ticket().await;
    let (_, buyer) = user();
    let seller = common::testing::token_for(ticket.user_id);
    let taken = app.replicated_ticket().await;
    let (_, first) = user();
    app.order(&first, taken.id).await;

    let field = Some("ticketId");
    let cases = [
        (
            "no session",
            None,
            json!({"ticketId": ticket.id}),
            401,
            vec![("Not authorized", None)],
        ),
        (
            "no session, bad body",
            None,
            json!({}),
            401,
            vec![("Not authorized", None)],
        ),
        (
            "missing ticketId",
            Some(&buyer),
            json!({}),
            400,
            vec![("TicketId must be provided", field)],
        ),
        (
            "ticketId not a UUID",
            Some(&buyer),
            json!({"ticketId": "abc"}),
            400,
            vec![("TicketId must be provided", field)],
        ),
        (
            "unknown ticket",
            Some(&buyer),
            json!({"ticketId": uuid::Uuid::new_v4()}),
            404,
            vec![("Not Found", None)],
        ),
        (
            "own ticket",
            Some(&seller),
            json!({"ticketId": ticket.id}),
            400,
            vec![("Cannot order your own ticket", None)],
        ),
        (
            "already reserved",
            Some(&buyer),
            json!({"ticketId": taken.id}),
            400,
            vec![("Ticket is already reserved", None)],
        ),
    ];
    for (case, token, body, status, errors) in cases {
        let (actual, response) = app
            .api
            .post("/api/orders", token.map(String::as_str), &body)
            .await;
        assert_eq!(actual, status, "{case}: {response}");
        assert_errors(&response, &errors, case);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_reservation_frees_the_ticket_for_the_next_buyer() {
    let app = spawn().await;
    let ticket = app.replicated_ticket().await;
    let (_, first) = user();
    let (_, second) = user();
    let order = app.order(&first, ticket.id).await;
    let path = format!("/api/orders/{}", order["id"].as_str().expect("id"));
    assert_eq!(app.api.delete(&path, Some(&first)).await.0, 204);
    let next = app.order(&second, ticket.id).await;
    assert_eq!(next["status"], "created");
}
