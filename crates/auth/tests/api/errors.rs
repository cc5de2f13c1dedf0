use common::testing::expect_status;
use serde_json::{Value, json};

use crate::helpers::spawn;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_64_kib_is_413() {
    let app = spawn().await;
    let body = json!({"email": "big@test.com", "password": "x".repeat(64 * 1024)});
    for path in ["/api/users/signup", "/api/users/signin"] {
        let response = app.api.post(path, None, &body).await;
        let errors = expect_status(response, 413, path);
        assert_eq!(
            errors,
            json!({"errors": [{"message": "Request body too large"}]}),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_400() {
    let app = spawn().await;
    let cases = [
        ("application/json", "{\"email\": ", "truncated JSON"),
        ("application/json", "not json", "not JSON at all"),
        (
            "text/plain",
            "{\"email\":\"a@b.co\",\"password\":\"abcd\"}",
            "wrong content type",
        ),
    ];
    for path in ["/api/users/signup", "/api/users/signin"] {
        for (content_type, body, why) in cases {
            let response = app
                .api
                .http
                .post(app.endpoint(path))
                .header("Content-Type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 400, "{path}: {why}");
            let body: Value = response.json().await.unwrap();
            let errors = body["errors"].as_array().unwrap();
            assert_eq!(errors.len(), 1, "{path}: {why}: {body}");
            let message = errors[0]["message"].as_str().unwrap();
            assert!(
                message.starts_with("Request body is not valid JSON"),
                "{path}: {why}: {message}"
            );
            assert!(errors[0].get("field").is_none(), "{path}: {why}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_and_methods_are_404() {
    let app = spawn().await;
    let cases = [
        ("GET", "/api/users/signup"),
        ("GET", "/api/users/nope"),
        ("POST", "/api/users/currentuser"),
    ];
    for (method, path) in cases {
        let method: reqwest::Method = method.parse().unwrap();
        let response = app.api.call(method.clone(), path, None, None).await;
        let body = expect_status(response, 404, &format!("{method} {path}"));
        assert_eq!(body, json!({"errors": [{"message": "Not Found"}]}));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_is_ready_with_its_database() {
    let app = spawn().await;
    expect_status(app.api.get("/healthz", None).await, 200, "healthz");
    expect_status(app.api.get("/readyz", None).await, 200, "readyz");
}
