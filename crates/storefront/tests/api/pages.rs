//! What the storefront answers by itself: security headers, assets, the HTML 404, refused
//! cross-site posts, and a friendly page when the API is unreachable.

use crate::helpers::App;
use storefront::security::CONTENT_SECURITY_POLICY;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_get_the_html_404_and_api_paths_keep_the_json_404() {
    let app = App::spawn().await;
    let cases = [
        (
            "/no/such/page",
            "text/html",
            "Page not found",
            "an unknown page",
        ),
        (
            "/tickets/not-an-id",
            "text/html",
            "Page not found",
            "a malformed ticket id",
        ),
        (
            "/orders/42",
            "text/html",
            "Page not found",
            "a malformed order id",
        ),
        (
            "/api/nothing",
            "application/json",
            "Not Found",
            "an unknown API path",
        ),
    ];
    for (path, content_type, text, case) in cases {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 404, "{case}");
        let header = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(header.starts_with(content_type), "{case}: {header}");
        let body = response.text().await.unwrap();
        assert!(body.contains(text), "{case}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_strict_content_security_policy_and_assets_are_served() {
    let app = App::spawn().await;
    let page = app.get("/no/such/page").await;
    let headers = page.headers();
    assert_eq!(headers["content-security-policy"], CONTENT_SECURITY_POLICY);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(!html.contains("<style"), "no inline style");
    assert!(!html.contains("style="), "no style attributes");
    assert!(!html.contains("<script>"), "no inline script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no third-party resource"
    );

    for (path, content_type, marker) in [
        ("/static/app.css", "text/css", "--brand"),
        ("/static/app.js", "text/javascript", "data-countdown"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let header = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(header.starts_with(content_type), "{path}: {header}");
        let body = response.text().await.unwrap();
        assert!(body.contains(marker), "{path}");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path} loads nothing external"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_form_posts_are_refused_before_anything_happens() {
    let app = App::spawn().await;
    let own = format!("http://{}", app.host());
    let form = [("email", "a@b.co"), ("password", "secret")];
    let cases = [
        (Some("https://evil.example"), None, "another site's Origin"),
        (Some("null"), None, "an opaque Origin"),
        (
            None,
            Some("https://evil.example/page"),
            "another site's Referer",
        ),
        (None, None, "neither Origin nor Referer"),
    ];
    for path in [
        "/auth/signin",
        "/auth/signup",
        "/auth/signout",
        "/tickets/new",
    ] {
        for (origin, referer, case) in cases {
            let response = app.post_form(path, origin, referer, &form).await;
            assert_eq!(response.status().as_u16(), 403, "{path}: {case}");
            let body = response.text().await.unwrap();
            assert!(
                body.contains("This form was sent from another site"),
                "{path}: {case}"
            );
        }
    }
    // The same post from this site gets past the check (and meets the unreachable API).
    let response = app.post_form("/auth/signin", Some(&own), None, &form).await;
    assert_eq!(
        response.status().as_u16(),
        503,
        "a same-site post is not refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_gets_a_friendly_page_never_a_stack_trace() {
    let app = App::spawn().await;
    for path in [
        "/",
        "/tickets/0195b7d2-58f5-7000-8000-000000000001",
        "/auth/signin",
    ] {
        let response = app.get(path).await;
        // `/auth/signin` needs no API call without a session cookie.
        if path == "/auth/signin" {
            assert_eq!(response.status().as_u16(), 200, "{path}");
            continue;
        }
        assert_eq!(response.status().as_u16(), 503, "{path}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("We&#39;ll be right back") || body.contains("We'll be right back"),
            "{path}: {body}"
        );
        for leak in ["error", "127.0.0.1", "reqwest", "panicked"] {
            assert!(!body.to_lowercase().contains(leak), "{path} leaks {leak:?}");
        }
    }
}
