//! A request whose body stalls is ended (408 in the contract's body, connection closed) instead
//! of holding its connection open for good.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use common::server::{ServerOptions, ServicePart, start};
use common::testing::loopback;

fn echo_part() -> ServicePart {
    ServicePart::new("echo", |cfg| {
        cfg.route(
            "/api/echo",
            web::post().to(|body: web::Json<serde_json::Value>| async move {
                HttpResponse::Ok().json(body.into_inner())
            }),
        );
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_times_out_with_408_and_the_connection_is_closed() {
    let options = ServerOptions {
        body_timeout: Duration::from_secs(1),
        ..ServerOptions::workers(1)
    };
    let running = start(loopback(), loopback(), vec![echo_part()], options).unwrap();
    let address = running.address();
    let answer = tokio::task::spawn_blocking(move || {
        let mut socket = TcpStream::connect(address).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let started = Instant::now();
        // Ten bytes of a promised hundred, then nothing.
        socket
            .write_all(
                b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                  Content-Length: 100\r\n\r\n{\"title\": ",
            )
            .unwrap();
        let mut answer = String::new();
        // read_to_string returns once the server closes the connection.
        socket.read_to_string(&mut answer).unwrap();
        (answer, started.elapsed())
    })
    .await
    .unwrap();
    let (answer, took) = answer;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains(r#"{"errors":[{"message":"Request body timed out"}]}"#),
        "{answer}"
    );
    assert!(took < Duration::from_secs(5), "ended after {took:?}");

    // A body that arrives in time is served as ever.
    let echoed = reqwest::Client::new()
        .post(format!("{}/api/echo", running.url()))
        .json(&serde_json::json!({"title": "ok"}))
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.status(), 200);
}
