//! A database outage fails fast: every call is answered 503 with `Retry-After` in the contract's
//! body within about a second (not a 500 after 5 s), readiness says so, the service does not hammer
//! the database while it is down, and it recovers on its own when the database is back.

use std::time::{Duration, Instant};

use common::testing::{
    Api, EVENTUALLY, OutageProxy, TestDb, events_settings, eventually, jwt_keys, serve,
    unique_namespace,
};

use crate::helpers::user;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_a_quick_503_and_the_service_recovers_by_itself() {
    let db = TestDb::new();
    let proxy = OutageProxy::for_test_server().await;
    let settings = orders::Settings {
        database: common::config::DatabaseSettings {
            url: proxy.database_url(&db.name),
            pool_size: 4,
        },
        events: events_settings(&unique_namespace()),
        jwt: jwt_keys(),
        order_expiration_seconds: 900,
        holds: orders::domain::HoldRules::default(),
        writes_per_user: None,
    };
    let running = serve(vec![orders::build(settings).await.expect("orders")]);
    let api = Api::new(running.url());
    let (_, token) = user();
    assert_eq!(api.get("/api/orders", Some(&token)).await.0, 200);

    proxy.cut();
    let outage = Instant::now();
    let mut slowest_after_the_first_second = Duration::ZERO;
    let mut answers = 0;
    let mut knocks_at_two = None;
    while outage.elapsed() < Duration::from_secs(4) {
        let asked = Instant::now();
        let response = api
            .http
            .get(format!("{}/api/orders", api.base))
            .bearer_auth(&token)
            .send()
            .await
            .expect("an answer");
        let took = asked.elapsed();
        assert_eq!(
            response.status(),
            503,
            "a dependency down is a 503, never a 500"
        );
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("1")
        );
        let body: serde_json::Value = response.json().await.expect("the contract's body");
        assert_eq!(
            body["errors"][0]["message"],
            "The service is temporarily unavailable: please try again in a moment"
        );
        assert!(took < Duration::from_millis(1500), "answered in {took:?}");
        if asked.duration_since(outage) > Duration::from_secs(1) {
            slowest_after_the_first_second = slowest_after_the_first_second.max(took);
        }
        answers += 1;
        if knocks_at_two.is_none() && outage.elapsed() >= Duration::from_secs(2) {
            knocks_at_two = Some(proxy.refused());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        slowest_after_the_first_second < Duration::from_millis(100),
        "once the outage is known, refused at once: {slowest_after_the_first_second:?}"
    );
    let knocks = proxy.refused();
    let steady = knocks - knocks_at_two.unwrap_or_default();
    assert!(
        steady <= 5,
        "{answers} calls in 4 s: {steady} connection attempts in the last 2 s, {knocks} in all; \
         once the outage is known only the prober knocks, backing off"
    );
    let (status, ready) = api.get("/readyz", None).await;
    assert_eq!(status, 503, "{ready}");
    assert_eq!(ready["postgres"]["orders"], "unreachable", "{ready}");

    proxy.restore();
    let back = Instant::now();
    eventually(
        "the service to recover without a restart",
        EVENTUALLY,
        || async { (api.get("/api/orders", Some(&token)).await.0 == 200).then_some(()) },
    )
    .await;
    assert_eq!(api.get("/readyz", None).await.0, 200);
    eprintln!(
        "{answers} calls refused in a 4 s outage; {knocks} connection attempts ({steady} in the \
         last 2 s); back {:?} after the database",
        back.elapsed()
    );
}
