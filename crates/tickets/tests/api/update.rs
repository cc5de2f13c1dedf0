use common::OrderId;
use common::events::TicketUpdated;
use common::testing::{EventTap, assert_errors, expect_status};
use serde_json::json;

use crate::helpers::{spawn, ticket_id, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_edits_and_the_change_is_announced() {
    let app = spawn().await;
    let mut tap = EventTap::new(&app.bus, "ticket.updated").await;
    let (_, token) = user();
    let ticket = app.create_ticket(&token, "concert", json!(10)).await;
    let path = format!("/api/tickets/{}", ticket["id"].as_str().expect("id"));
    let updated = expect_status(
        app.api
            .put(
                &path,
                Some(&token),
                &json!({"title": "opera", "price": 19.99}),
            )
            .await,
        200,
        "editing",
    );
    assert_eq!(
        (
            updated["title"].clone(),
            updated["price"].clone(),
            updated["version"].clone()
        ),
        (json!("opera"), json!(19.99), json!(1))
    );
    let event: TicketUpdated = tap.next().await;
    assert_eq!(
        (event.id, event.version, event.price.cents(), event.order_id),
        (ticket_id(&ticket), 1, 1999, None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_refused_per_the_spec() {
    let app = spawn().await;
    let (_, owner) = user();
    let (_, stranger) = user();
    let free = app.create_ticket(&owner, "free", json!(10)).await;
    let reserved = app.create_ticket(&owner, "reserved", json!(10)).await;
    app.order_created(&reserved, OrderId::new()).await;
    let at = |t: &serde_json::Value| format!("/api/tickets/{}", t["id"].as_str().expect("id"));
    let unknown = format!("/api/tickets/{}", uuid::Uuid::new_v4());
    let good = json!({"title": "new", "price": 5});
    let price_message = "Price must be provided and must be greater than 0";
    let cases = [
        (
            "no session",
            at(&free),
            None,
            good.clone(),
            401,
            vec![("Not authorized", None)],
        ),
        (
            "not the owner",
            at(&free),
            Some(&stranger),
            good.clone(),
            401,
            vec![("Not authorized", None)],
        ),
        (
            "not the owner of a reserved ticket",
            at(&reserved),
            Some(&stranger),
            good.clone(),
            401,
            vec![("Not authorized", None)],
        ),
        (
            "unknown ticket",
            unknown,
            Some(&owner),
            good.clone(),
            404,
            vec![("Not Found", None)],
        ),
        (
            "malformed id",
            "/api/tickets/123".to_owned(),
            Some(&owner),
            good.clone(),
            404,
            vec![("Not Found", None)],
        ),
        (
            "reserved",
            at(&reserved),
            Some(&owner),
            good.clone(),
            400,
            vec![("Cannot edit a reserved ticket", None)],
        ),
        (
            "no price",
            at(&free),
            Some(&owner),
            json!({"title": "x"}),
            400,
            vec![(price_message, Some("price"))],
        ),
        (
            "blank title, bad price",
            at(&free),
            Some(&owner),
            json!({"title": "", "price": -1}),
            400,
            vec![
                ("Title is required", Some("title")),
                (price_message, Some("price")),
            ],
        ),
    ];
    for (case, path, token, body, status, errors) in cases {
        let (actual, response) = app.api.put(&path, token.map(String::as_str), &body).await;
        assert_eq!(actual, status, "{case}: {response}");
        assert_errors(&response, &errors, case);
    }
    assert_eq!(
        app.ticket(free["id"].as_str().expect("id")).await["version"],
        0,
        "nothing changed"
    );
}
