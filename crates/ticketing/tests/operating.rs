//! Operating it (issue #10): a purchase seen through the metrics and the traces.
//!
//! A test binary of its own: the metrics recorder and the telemetry are process-wide, so the
//! counts read from `/metrics` here are exactly this test's traffic, and the captured log lines
//! are this test's.
#![allow(clippy::expect_used, clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "e2e/helpers.rs"]
mod helpers;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use common::telemetry::{LogFormat, TraceExport};
use common::testing::{EVENTUALLY, eventually, nats_url};
use helpers::{Stack, World, seller_and_buyer};
use reqwest::Method;
use serde_json::{Value, json};

/// Two client-chosen traces: A buys a ticket, B orders one, is declined and lets it expire.
const TRACE_A: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACE_B: &str = "0af7651916cd43dd8448eb211c80319c";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purchase_is_one_trace_across_services_and_moves_the_metrics() {
    let collector = Collector::start();
    let logs = Capture::default();
    common::telemetry::init_with(
        LogFormat::Json,
        &TraceExport {
            otlp_endpoint: Some(collector.url.clone()),
            service_name: "ticketing-test".to_owned(),
        },
        // Warnings only, but for the lines the test reads: spans, and so traces, do not
        // depend on the log level.
        "warn,common::bus::listener=debug,orders::routes=info",
        logs.clone(),
    );
    let world = World::new(nats_url());
    let stack = Stack::start(
        &world,
        &["tickets", "orders", "expiration", "payments"],
        &[("ORDER_EXPIRATION_SECONDS", "2")],
    )
    .await;
    let (seller, buyer) = seller_and_buyer();
    let concert = stack.list_ticket(&seller, "Concert", json!(20)).await;
    let film = stack.list_ticket(&seller, "Film", json!(10)).await;
    let orders_db = world.pool("orders").await;
    let payments_db = world.pool("payments").await;
    eventually("both tickets in the orders replica", EVENTUALLY, || async {
        (count(&orders_db, "SELECT count(*) FROM tickets").await == 2).then_some(())
    })
    .await;

    // Trace A: order, then pay.
    let (status, traceparent, order_a) = call(
        &stack,
        Method::POST,
        "/api/orders",
        &buyer,
        json!({"ticketId": concert["id"]}),
        TRACE_A,
    )
    .await;
    assert_eq!(status, 201, "{order_a}");
    assert!(
        traceparent.contains(TRACE_A),
        "the response names the request's trace: {traceparent:?}"
    );
    wait_for_replica(&payments_db, &order_a).await;
    let (status, _, payment) = call(
        &stack,
        Method::POST,
        "/api/payments",
        &buyer,
        json!({"orderId": order_a["id"], "token": "tok_visa"}),
        TRACE_A,
    )
    .await;
    assert_eq!(status, 201, "{payment}");

    // Trace B: order, a declined card, then the hold runs out.
    let (status, _, order_b) = call(
        &stack,
        Method::POST,
        "/api/orders",
        &buyer,
        json!({"ticketId": film["id"]}),
        TRACE_B,
    )
    .await;
    assert_eq!(status, 201, "{order_b}");
    wait_for_replica(&payments_db, &order_b).await;
    let (status, _, declined) = call(
        &stack,
        Method::POST,
        "/api/payments",
        &buyer,
        json!({"orderId": order_b["id"], "token": "tok_chargeDeclined"}),
        TRACE_B,
    )
    .await;
    assert_eq!(status, 402, "{declined}");
    eventually("order B to expire", EVENTUALLY, || async {
        (stack.order(&buyer, &order_b).await["status"] == "cancelled").then_some(())
    })
    .await;
    let (status, _) = stack.api.get("/api/nope", None).await;
    assert_eq!(status, 404);

    // Every service that handles an event of the purchase continues its trace, including the
    // expiration that the sweeper fired long after the request.
    let continued = [
        (TRACE_A, "tickets", "order.created"),
        (TRACE_A, "payments", "order.created"),
        (TRACE_A, "expiration", "order.created"),
        (TRACE_A, "orders", "payment.created"),
        (TRACE_A, "expiration", "payment.created"),
        (TRACE_A, "orders", "ticket.updated"),
        (TRACE_B, "orders", "expiration.complete"),
        (TRACE_B, "tickets", "order.cancelled"),
        (TRACE_B, "payments", "order.cancelled"),
    ];
    for (trace, service, subject) in continued {
        eventually(
            &format!("{service} handling {subject} in trace {trace}"),
            EVENTUALLY,
            || async { logs.event_handled(trace, service, subject).then_some(()) },
        )
        .await;
    }
    let reserved = logs
        .lines()
        .into_iter()
        .find(|line| line["fields"]["message"] == "ticket reserved")
        .expect("the orders service logs the reservation");
    assert_eq!(
        reserved["spans"][0]["trace_id"], TRACE_A,
        "a log line inside a request carries its trace id: {reserved}"
    );

    // The spans reach the OTLP collector.
    common::telemetry::flush();
    let trace_a = hex_bytes(TRACE_A);
    eventually("spans of trace A at the collector", EVENTUALLY, || async {
        collector.received(&trace_a).then_some(())
    })
    .await;

    // The metrics moved as the purchase did.
    let metrics = eventually(
        "the expiry and the outboxes to settle",
        EVENTUALLY,
        || async {
            let metrics = Scrape::of(&stack).await;
            let settled = metrics.value("expiration_lateness_seconds_count", &[]) == Some(1.0)
                && metrics.value("expiration_pending_orders", &[]) == Some(0.0)
                && ["tickets", "orders", "expiration", "payments"]
                    .iter()
                    .all(|s| {
                        metrics.value("outbox_pending_events", &[("service", s)]) == Some(0.0)
                    });
            settled.then_some(metrics)
        },
    )
    .await;
    let orders_created = [
        ("service", "orders"),
        ("method", "POST"),
        ("route", "/api/orders"),
        ("status", "201"),
    ];
    metrics.expect("http_requests_total", &orders_created, 2.0);
    metrics.expect("http_request_duration_seconds_count", &orders_created, 2.0);
    metrics.expect(
        "http_requests_total",
        &[
            ("service", "tickets"),
            ("method", "POST"),
            ("route", "/api/tickets"),
            ("status", "201"),
        ],
        2.0,
    );
    metrics.expect(
        "http_requests_total",
        &[("route", "unmatched"), ("status", "404"), ("method", "GET")],
        1.0,
    );
    metrics.expect(
        "payments_total",
        &[("service", "payments"), ("outcome", "succeeded")],
        1.0,
    );
    metrics.expect(
        "payments_total",
        &[("service", "payments"), ("outcome", "declined")],
        1.0,
    );
    metrics.expect(
        "payments_total",
        &[("service", "payments"), ("outcome", "provider_error")],
        0.0,
    );
    let replica = [("service", "orders"), ("subject", "ticket.created")];
    metrics.expect("events_acked_total", &replica, 2.0);
    metrics.expect("event_apply_lag_seconds_count", &replica, 2.0);
    metrics.expect(
        "events_dropped_total",
        &[
            ("service", "orders"),
            ("subject", "ticket.created"),
            ("reason", "undecodable"),
        ],
        0.0,
    );
    let lag = metrics
        .value("event_apply_lag_seconds_sum", &replica)
        .unwrap();
    assert!(lag > 0.0 && lag < 10.0, "replica lag sum {lag}");
    let lateness = metrics
        .value("expiration_lateness_seconds_sum", &[])
        .unwrap();
    assert!(
        lateness < 1.0,
        "fired within a second of expiresAt: {lateness}"
    );
    assert!(
        metrics
            .value("outbox_published_total", &[("service", "tickets")])
            .unwrap()
            >= 2.0,
        "tickets published its two listings and more"
    );
    assert!(
        metrics
            .value(
                "outbox_publish_latency_seconds_count",
                &[("service", "orders")]
            )
            .unwrap()
            >= 2.0
    );
    metrics.expect("db_pool_max_connections", &[("service", "orders")], 3.0);
    let pool = metrics
        .value(
            "db_pool_connections",
            &[("service", "payments"), ("state", "idle")],
        )
        .unwrap();
    assert!((0.0..=3.0).contains(&pool), "idle connections {pool}");

    // The public port has no metrics: they are on the internal METRICS_PORT only.
    let public = stack
        .api
        .http
        .get(format!("{}/metrics", stack.api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404, "metrics are not public");

    // Every metric the code defines is exposed, and the dashboard asks only for those.
    let exposed = ticketing::services::metric_names();
    for name in &exposed {
        assert!(
            metrics.has_family(name),
            "{name} is missing from /metrics:\n{}",
            metrics.text
        );
    }
    let asked = dashboard_metrics();
    assert!(asked.len() >= 10, "the dashboard's queries name {asked:?}");
    for name in asked {
        assert!(
            exposed.contains(&name.as_str()),
            "the dashboard asks for {name}, which no service exposes"
        );
    }
}

/// One API call with a W3C `traceparent` in `trace`: status, the response's `traceparent`, body.
async fn call(
    stack: &Stack,
    method: Method,
    path: &str,
    token: &str,
    body: Value,
    trace: &str,
) -> (u16, String, Value) {
    let response = stack
        .api
        .http
        .request(method, format!("{}{path}", stack.api.base))
        .bearer_auth(token)
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&body)
        .send()
        .await
        .expect("the API answers");
    let status = response.status().as_u16();
    let traceparent = response
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, traceparent, body)
}

async fn count(pool: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

async fn wait_for_replica(payments_db: &sqlx::PgPool, order: &Value) {
    let id: uuid::Uuid = order["id"].as_str().unwrap().parse().unwrap();
    eventually("the order in the payments replica", EVENTUALLY, || async {
        let known: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE id = $1")
            .bind(id)
            .fetch_one(payments_db)
            .await
            .unwrap();
        (known == 1).then_some(())
    })
    .await;
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// Every metric name in the provisioned Grafana dashboard's queries.
fn dashboard_metrics() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/grafana/dashboards/ticketing.json"
    );
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect(path)).expect("valid JSON");
    let mut exprs = Vec::new();
    collect_exprs(&dashboard, &mut exprs);
    assert!(!exprs.is_empty(), "the dashboard has queries");
    let mut names: Vec<String> = exprs
        .iter()
        .flat_map(|e| metric_names(e))
        .map(|name| family(&name).to_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The metric names of a PromQL expression: its identifiers that are not functions, keywords,
/// label names or inside selectors, ranges and strings.
fn metric_names(expr: &str) -> Vec<String> {
    // Aggregations may put `by (...)` before their parentheses: `sum by (service) (x)`.
    const KEYWORDS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    const LABEL_LISTS: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let closing = |open: usize, close: char| {
        chars[open..]
            .iter()
            .position(|c| *c == close)
            .map_or(chars.len(), |p| open + p + 1)
    };
    let mut names = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            i = closing(i, '}');
        } else if c == '[' {
            i = closing(i, ']');
        } else if c == '"' {
            i = closing(i + 1, '"');
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | ':'))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let next = chars[i..].iter().find(|c| !c.is_whitespace());
            if LABEL_LISTS.contains(&word.as_str()) {
                if next == Some(&'(') {
                    let open = i + chars[i..].iter().position(|c| *c == '(').unwrap_or(0);
                    i = closing(open, ')');
                }
            } else if next != Some(&'(') && !KEYWORDS.contains(&word.as_str()) {
                names.push(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

fn collect_exprs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr", Value::String(expr)) => into.push(expr.clone()),
                    _ => collect_exprs(v, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_exprs(v, into)),
        _ => {}
    }
}

/// A histogram's series name without its `_bucket`/`_sum`/`_count` suffix.
fn family(name: &str) -> &str {
    ["_bucket", "_sum", "_count"]
        .iter()
        .find_map(|suffix| {
            name.strip_suffix(suffix)
                .filter(|base| ticketing::services::metric_names().contains(base))
        })
        .unwrap_or(name)
}

/// A parsed Prometheus text exposition.
struct Scrape {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    async fn of(stack: &Stack) -> Self {
        let response = stack
            .api
            .http
            .get(&stack.metrics_url)
            .send()
            .await
            .expect("/metrics answers");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let text = response.text().await.unwrap();
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(parse_sample)
            .collect();
        Self { text, samples }
    }

    /// The sum over the series of `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<f64> = self
            .samples
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, v)| *v)
            .collect();
        (!matching.is_empty()).then(|| matching.iter().sum())
    }

    fn expect(&self, name: &str, labels: &[(&str, &str)], expected: f64) {
        assert_eq!(
            self.value(name, labels),
            Some(expected),
            "{name} {labels:?} in:\n{}",
            self.text
        );
    }

    fn has_family(&self, name: &str) -> bool {
        self.samples
            .iter()
            .any(|(n, _, _)| n == name || family(n) == name)
    }
}

/// `name{k="v",...} value` → (name, labels, value); label values may hold `{`, `}` and `,`.
fn parse_sample(line: &str) -> (String, BTreeMap<String, String>, f64) {
    let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
    let value: f64 = value.parse().expect("a numeric value");
    let Some((name, rest)) = series.split_once('{') else {
        return (series.to_owned(), BTreeMap::new(), value);
    };
    let mut labels = BTreeMap::new();
    let mut rest = rest.strip_suffix('}').expect("closed labels");
    while let Some((key, after)) = rest.split_once("=\"") {
        let end = after.find('"').expect("closed label value");
        labels.insert(
            key.trim_start_matches(',').to_owned(),
            after[..end].to_owned(),
        );
        rest = &after[end + 1..];
    }
    (name.to_owned(), labels, value)
}

/// Log lines written by the process, kept for assertions.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Did `service` handle a `subject` event inside trace `trace`?
    fn event_handled(&self, trace: &str, service: &str, subject: &str) -> bool {
        self.lines().iter().any(|line| {
            line["fields"]["message"] == "event handled"
                && line["spans"].as_array().is_some_and(|spans| {
                    spans.iter().any(|span| {
                        span["name"] == "event"
                            && span["service"] == service
                            && span["subject"] == subject
                            && span["trace_id"] == trace
                    })
                })
        })
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A stand-in OTLP/HTTP collector: keeps the bodies posted to `/v1/traces`.
struct Collector {
    url: String,
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Collector {
    fn start() -> Self {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = HttpServer::new(move || {
            let kept = kept.clone();
            App::new()
                .app_data(web::PayloadConfig::new(64 << 20))
                .route(
                    "/v1/traces",
                    web::post().to(move |body: web::Bytes| {
                        let kept = kept.clone();
                        async move {
                            kept.lock().unwrap().push(body.to_vec());
                            HttpResponse::Ok().finish()
                        }
                    }),
                )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Self { url, bodies }
    }

    /// Whether any export carried `needle` (a trace id's 16 bytes, as OTLP protobuf holds it).
    fn received(&self, needle: &[u8]) -> bool {
        self.bodies
            .lock()
            .unwrap()
            .iter()
            .any(|body| body.windows(needle.len()).any(|w| w == needle))
    }
}
