//! A form on another site cannot sign a visitor out (or post anything else) with their cookie:
//! the API refuses a browser's cross-site state change, as the storefront does.

use common::testing::assert_errors;
use reqwest::StatusCode;

use crate::helpers::{browser, spawn_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_site_sign_out_is_refused_and_the_session_stays() {
    let app = spawn_with(false).await;
    let visitor = browser();
    let signed_up = visitor
        .post(app.endpoint("/api/users/signup"))
        .json(&serde_json::json!({"email": "victim@example.com", "password": "secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), StatusCode::CREATED);

    let attacks = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ];
    for (header, value) in attacks {
        let response = visitor
            .post(app.endpoint("/api/users/signout"))
            .header(header, value)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{header}: {value}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_errors(&body, &[("Cross-site request refused", None)], header);
        let current: serde_json::Value = visitor
            .get(app.endpoint("/api/users/currentuser"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            !current["currentUser"].is_null(),
            "still signed in after {header}"
        );
    }

    // The site's own page, and an API client without browser headers, may.
    let own = visitor
        .post(app.endpoint("/api/users/signout"))
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}
