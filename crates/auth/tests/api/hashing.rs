//! Password hashing is bounded: beyond its workers and short queue a sign-in is refused at once
//! with 503, `Retry-After` and the contract's error body, instead of each one taking ~19 MiB.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;

use crate::helpers::spawn_with_env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sign_ins_beyond_the_queue_is_refused_at_once_with_retry_after() {
    let app = spawn_with_env(&[
        ("PASSWORD_HASHING_WORKERS", "1"),
        ("PASSWORD_HASHING_QUEUE", "2"),
        ("RATE_LIMITS", "off"),
    ])
    .await;
    let attempts = (0..40).map(|i| {
        let app = &app;
        async move {
            let started = Instant::now();
            let response = app
                .api
                .http
                .post(app.endpoint("/api/users/signin"))
                .json(&json!({"email": format!("nobody{i}@example.com"), "password": "guess"}))
                .send()
                .await
                .expect("a response");
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body: serde_json::Value = response.json().await.expect("a JSON body");
            (status, retry_after, body, started.elapsed())
        }
    });
    let results = join_all(attempts).await;

    let refused: Vec<_> = results.iter().filter(|r| r.0 == 503).collect();
    let checked = results.iter().filter(|r| r.0 == 400).count();
    assert_eq!(refused.len() + checked, 40, "only 400 or 503: {results:?}");
    assert!(
        checked >= 3,
        "the worker and its queue are served: {checked}"
    );
    assert!(
        refused.len() >= 20,
        "the rest is refused: {}",
        refused.len()
    );
    for (_, retry_after, body, took) in refused {
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(
            body["errors"][0]["message"],
            "The service is temporarily unavailable: please try again in a moment"
        );
        assert!(
            *took < Duration::from_secs(2),
            "refused quickly, not queued: {took:?}"
        );
    }
}
