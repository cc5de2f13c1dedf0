//! One account cannot list tickets without limit: writes per user are throttled.

use common::UserId;
use common::testing::{assert_errors, token_for};
use serde_json::json;

use crate::helpers::spawn_with_writes_per_user;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_listing_beyond_the_limit_is_throttled_and_reads_are_not() {
    let app = spawn_with_writes_per_user("5/minute").await;
    let spammer = token_for(UserId::new());
    let body = json!({"title": "spam", "price": 1});
    for i in 0..5 {
        let (status, _) = app.api.post("/api/tickets", Some(&spammer), &body).await;
        assert_eq!(status, 201, "listing {i}");
    }
    let (status, refusal) = app.api.post("/api/tickets", Some(&spammer), &body).await;
    assert_eq!(status, 429, "{refusal}");
    assert_errors(
        &refusal,
        &[("Too many attempts: please try again later", None)],
        "the sixth listing within a minute",
    );
    let (status, listed) = app.api.get("/api/tickets", None).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().map(Vec::len), Some(5));
    let (status, _) = app
        .api
        .post("/api/tickets", Some(&token_for(UserId::new())), &body)
        .await;
    assert_eq!(status, 201, "another seller is not affected");
    let (status, _) = app.api.post("/api/tickets", None, &body).await;
    assert_eq!(status, 401, "without a session: 401, as ever");
}
