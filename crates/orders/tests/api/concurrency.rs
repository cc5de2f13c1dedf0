use futures::future::join_all;
use serde_json::json;

use crate::helpers::{spawn, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_buyers_of_one_ticket_make_exactly_one_order() {
    let app = spawn().await;
    let ticket = app.replicated_ticket().await;
    let body = json!({"ticketId": ticket.id});
    let buyers: Vec<String> = (0..50).map(|_| user().1).collect();
    let results = join_all(
        buyers
            .iter()
            .map(|token| app.api.post("/api/orders", Some(token), &body)),
    )
    .await;

    let created = results.iter().filter(|(status, _)| *status == 201).count();
    let refused: Vec<_> = results
        .iter()
        .filter(|(status, _)| *status != 201)
        .collect();
    assert_eq!(created, 1, "exactly one buyer wins");
    assert_eq!(refused.len(), 49);
    for (status, body) in refused {
        assert_eq!(*status, 400);
        assert_eq!(body["errors"][0]["message"], "Ticket is already reserved");
    }
    let live: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM orders WHERE ticket_id = $1 AND status <> 'cancelled'",
    )
    .bind(ticket.id)
    .fetch_one(&app.pool)
    .await
    .expect("count");
    assert_eq!(live, 1);
}
