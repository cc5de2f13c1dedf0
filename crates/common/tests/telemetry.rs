//! Span export to an OTLP collector that is not there: nothing a client sees changes.
//! A binary of its own, since the telemetry it installs is process-wide.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Duration;

use actix_web::{HttpResponse, web};
use common::server::ServicePart;
use common::telemetry::{LogFormat, TraceExport};
use common::testing::{free_port, serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_served_and_traced_when_the_collector_is_down() {
    // Nothing listens on this port: every export attempt is refused.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    common::telemetry::init_with(
        LogFormat::Json,
        &TraceExport {
            otlp_endpoint: Some(endpoint),
            service_name: "telemetry-test".to_owned(),
        },
        "info",
        std::io::sink,
    );
    let part = ServicePart::new("probe", |cfg| {
        cfg.route(
            "/api/probe",
            web::get().to(|| async {
                tracing::info!("probing");
                HttpResponse::Ok().body("ok")
            }),
        );
    })
    .serves("/api/probe");
    let running = serve(vec![part]);
    let client = reqwest::Client::new();
    for i in 0..50 {
        let response = client
            .get(format!("{}/api/probe", running.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "request {i}");
        let traceparent = response.headers()["traceparent"]
            .to_str()
            .unwrap()
            .to_owned();
        let fields: Vec<&str> = traceparent.split('-').collect();
        assert_eq!(fields.len(), 4, "{traceparent}");
        assert_eq!(fields[0], "00", "W3C version: {traceparent}");
        assert_eq!(fields[1].len(), 32, "a trace id is made: {traceparent}");
        assert_ne!(fields[1], "0".repeat(32), "{traceparent}");
    }
    // Flushing to the absent collector fails quickly instead of hanging the shutdown.
    let flushed = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(common::telemetry::flush),
    )
    .await;
    assert!(flushed.is_ok(), "flush returned");
    running.shutdown().await.unwrap();
}
