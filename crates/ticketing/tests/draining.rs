//! SIGTERM drains: readiness fails first, connections that clients already made are served, then
//! the server stops. A burst of requests sent just before the signal gets answers, not resets.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::testing::{TEST_JWT_KEY, TestDb, database_url, free_port, nats_url, unique_namespace};

const BURST: usize = 40;
const REQUEST: &[u8] = b"GET /api/tickets HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n";

/// Sends the request on `socket` and reads the answer: its status line, or what went wrong.
fn ask(mut socket: TcpStream) -> Result<String, String> {
    socket.set_read_timeout(Some(Duration::from_secs(20))).ok();
    socket
        .write_all(REQUEST)
        .map_err(|e| format!("write: {e}"))?;
    let mut answer = String::new();
    socket
        .read_to_string(&mut answer)
        .map_err(|e| format!("read: {e}"))?;
    answer
        .lines()
        .next()
        .filter(|line| line.starts_with("HTTP/1.1"))
        .map(str::to_owned)
        .ok_or_else(|| format!("no answer (connection closed after {} bytes)", answer.len()))
}

fn connect(port: u16) -> Result<TcpStream, String> {
    TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))
}

/// One request on its own connection.
fn request(port: u16) -> Result<String, String> {
    ask(connect(port)?)
}

#[test]
fn a_burst_sent_before_sigterm_is_answered_not_reset() {
    let base = format!("test_{}", uuid::Uuid::new_v4().simple());
    let _database = TestDb::named(format!("{base}_tickets"));
    let (port, metrics_port) = (free_port(), free_port());
    let mut launcher = Command::new(env!("CARGO_BIN_EXE_ticketing"))
        .env("TICKETING_SERVICES", "tickets")
        .env("PORT", port.to_string())
        .env("METRICS_PORT", metrics_port.to_string())
        .env("DATABASE_URL", database_url(&base))
        .env("NATS_URL", nats_url())
        .env("EVENTS_NAMESPACE", unique_namespace().as_str())
        .env("JWT_KEY", TEST_JWT_KEY)
        .env("HTTP_WORKERS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting the launcher");
    let deadline = Instant::now() + Duration::from_secs(30);
    while request(port).map(|s| s.contains(" 200 ")) != Ok(true) {
        assert!(Instant::now() < deadline, "the launcher did not start");
        std::thread::sleep(Duration::from_millis(50));
    }

    // Clients that connected before the signal and send their request just after it (the
    // server accepted their connection but had not started a request on it), and clients that
    // connect a moment after it (a load balancer has not yet noticed that readiness failed).
    let opened: Vec<TcpStream> = (0..BURST).map(|_| connect(port).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let signalled = Command::new("kill")
        .args(["-TERM", &launcher.id().to_string()])
        .status()
        .expect("kill");
    assert!(signalled.success());
    std::thread::sleep(Duration::from_millis(100));
    let mut burst: Vec<_> = opened
        .into_iter()
        .map(|socket| std::thread::spawn(move || ask(socket)))
        .collect();
    burst.extend((0..BURST).map(|_| std::thread::spawn(move || request(port))));
    let answers: Vec<Result<String, String>> =
        burst.into_iter().map(|t| t.join().unwrap()).collect();
    let resets: Vec<&String> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
    assert!(
        resets.is_empty(),
        "{} of {} requests were not answered: {:?}",
        resets.len(),
        answers.len(),
        resets.iter().take(3).collect::<Vec<_>>()
    );
    assert!(
        answers
            .iter()
            .all(|a| a.as_ref().is_ok_and(|s| s.contains(" 200 "))),
        "{answers:?}"
    );
    let exit = launcher.wait().expect("the launcher exits");
    assert!(exit.success(), "a clean exit after draining: {exit}");
}
