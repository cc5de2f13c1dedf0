//! Prometheus metrics (`GET /metrics`). One recorder per process, through the `metrics` facade;
//! every series carries a `service` label, so local mode (every service in one process) serves
//! one endpoint in which each service's series stay apart.
//!
//! The names every service shares (HTTP, outbox, listeners, pools) live here with the helpers
//! that record them; a service's own series (expiration's lateness, payments' outcomes) live in
//! that service's `metrics.rs`, recorded through the same recorder. The dashboard under
//! `deploy/grafana` and the README's table name exactly these.

use std::sync::OnceLock;
use std::time::Duration;

use metrics::{
    SharedString, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
pub const OUTBOX_PENDING: &str = "outbox_pending_events";
pub const OUTBOX_PUBLISHED: &str = "outbox_published_total";
pub const OUTBOX_PUBLISH_LATENCY: &str = "outbox_publish_latency_seconds";
pub const EVENTS_DELIVERED: &str = "events_delivered_total";
pub const EVENTS_ACKED: &str = "events_acked_total";
pub const EVENTS_RETRIED: &str = "events_retried_total";
pub const EVENTS_DROPPED: &str = "events_dropped_total";
pub const EVENT_BATCHES: &str = "events_batches_total";
pub const EVENT_HANDLER_DURATION: &str = "event_handler_duration_seconds";
pub const EVENT_APPLY_LAG: &str = "event_apply_lag_seconds";
pub const DEAD_LETTERS: &str = "events_dead_letters";
pub const NATS_CONNECTED: &str = "nats_connected";
pub const LISTENER_CONSUMING: &str = "events_listener_consuming";
pub const DB_POOL_CONNECTIONS: &str = "db_pool_connections";
pub const DB_POOL_MAX: &str = "db_pool_max_connections";

/// Every shared metric name (a service adds its own: `expiration::metrics::NAMES`, say).
pub const ALL: &[&str] = &[
    HTTP_REQUESTS,
    HTTP_DURATION,
    OUTBOX_PENDING,
    OUTBOX_PUBLISHED,
    OUTBOX_PUBLISH_LATENCY,
    EVENTS_DELIVERED,
    EVENTS_ACKED,
    EVENTS_RETRIED,
    EVENTS_DROPPED,
    EVENT_BATCHES,
    EVENT_HANDLER_DURATION,
    EVENT_APPLY_LAG,
    DEAD_LETTERS,
    NATS_CONNECTED,
    LISTENER_CONSUMING,
    DB_POOL_CONNECTIONS,
    DB_POOL_MAX,
];

/// Histogram buckets in seconds: sub-millisecond handlers up to slow expirations and outages.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Histograms keep raw samples until drained; a scrape drains them, and so does this, so an
/// unscraped process does not grow.
const UPKEEP: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder (once; later calls return the same handle).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP);
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
        }
        handle
    })
}

/// The Prometheus text exposition of every series recorded in this process.
pub fn render() -> String {
    install().render()
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time to answer an HTTP request"
    );
    describe_gauge!(OUTBOX_PENDING, "Committed events not yet published to NATS");
    describe_counter!(OUTBOX_PUBLISHED, "Events published to the stream");
    describe_histogram!(
        OUTBOX_PUBLISH_LATENCY,
        metrics::Unit::Seconds,
        "From an event's creation (in its state change's transaction) to the stream's ack"
    );
    describe_counter!(EVENTS_DELIVERED, "Event deliveries to a listener");
    describe_counter!(
        EVENTS_ACKED,
        "Events a listener applied (or found already applied)"
    );
    describe_counter!(
        EVENTS_RETRIED,
        "Events a listener asked to see again (not applicable yet, or its handler failed)"
    );
    describe_counter!(
        EVENTS_DROPPED,
        "Events a listener gave up on: undecodable, or still failing at the delivery bound"
    );
    describe_counter!(
        EVENT_BATCHES,
        "Transactions a listener applied events in; events_delivered_total over this is the mean batch"
    );
    describe_histogram!(
        EVENT_HANDLER_DURATION,
        metrics::Unit::Seconds,
        "Time in a listener's handler, per delivery"
    );
    describe_histogram!(
        EVENT_APPLY_LAG,
        metrics::Unit::Seconds,
        "From an event's creation to its application by this listener (replica lag)"
    );
    describe_gauge!(
        DB_POOL_CONNECTIONS,
        "Database connections of the service's pool, in use or idle"
    );
    describe_gauge!(
        DEAD_LETTERS,
        "Events a listener gave up on, stored and not yet replayed"
    );
    describe_gauge!(
        NATS_CONNECTED,
        "1 while the service's NATS connection is up (its writes go on through the outbox either way)"
    );
    describe_gauge!(
        LISTENER_CONSUMING,
        "1 while a listener's durable consumer exists and its messages flow; 0 while it is being recreated"
    );
    describe_gauge!(DB_POOL_MAX, "The service's pool size (DATABASE_POOL_SIZE)");
}

/// One answered request; `method` and `route` must come from a bounded set (they are labels).
pub fn http_request(
    service: &'static str,
    method: &'static str,
    route: String,
    status: u16,
    took: Duration,
) {
    let labels: [(&str, SharedString); 4] = [
        ("service", service.into()),
        ("method", method.into()),
        ("route", route.into()),
        ("status", status.to_string().into()),
    ];
    counter!(HTTP_REQUESTS, &labels).increment(1);
    histogram!(HTTP_DURATION, &labels).record(took);
}

pub fn outbox_pending(service: &'static str, rows: i64) {
    gauge!(OUTBOX_PENDING, "service" => service).set(rows as f64);
}

pub fn outbox_published(service: &'static str, latencies: impl IntoIterator<Item = Duration>) {
    let published = counter!(OUTBOX_PUBLISHED, "service" => service);
    let latency = histogram!(OUTBOX_PUBLISH_LATENCY, "service" => service);
    for took in latencies {
        published.increment(1);
        latency.record(took);
    }
}

/// Why a listener gives up on an event: it cannot be decoded, or it still fails at the bound.
pub const DROP_REASONS: &[&str] = &["undecodable", "exhausted"];

/// A listener's series for one (service, subject), resolved once.
#[derive(Clone)]
pub struct ListenerMetrics {
    service: &'static str,
    subject: &'static str,
    delivered: metrics::Counter,
    acked: metrics::Counter,
    retried: metrics::Counter,
    batches: metrics::Counter,
    duration: metrics::Histogram,
    lag: metrics::Histogram,
}

impl ListenerMetrics {
    pub fn new(service: &'static str, subject: &'static str) -> Self {
        // Handles resolved before a recorder exists would record nowhere, for good.
        install();
        let labels = [("service", service), ("subject", subject)];
        // Every series exists from the start, so a rate over it is 0, not absent.
        for reason in DROP_REASONS {
            counter!(EVENTS_DROPPED, "service" => service, "subject" => subject, "reason" => *reason)
                .increment(0);
        }
        Self {
            service,
            subject,
            delivered: counter!(EVENTS_DELIVERED, &labels),
            acked: counter!(EVENTS_ACKED, &labels),
            retried: counter!(EVENTS_RETRIED, &labels),
            batches: counter!(EVENT_BATCHES, &labels),
            duration: histogram!(EVENT_HANDLER_DURATION, &labels),
            lag: histogram!(EVENT_APPLY_LAG, &labels),
        }
    }

    pub fn delivered(&self) {
        self.delivered.increment(1);
    }

    /// One transaction applied events (a batch that failed counts again once per event).
    pub fn batch(&self) {
        self.batches.increment(1);
    }

    pub fn handled(&self, took: Duration) {
        self.duration.record(took);
    }

    /// Applied; `age` is the time since the event was created, when known.
    pub fn acked(&self, age: Option<Duration>) {
        self.acked.increment(1);
        if let Some(age) = age {
            self.lag.record(age);
        }
    }

    pub fn retried(&self) {
        self.retried.increment(1);
    }

    pub fn dropped(&self, reason: &'static str) {
        counter!(EVENTS_DROPPED, "service" => self.service, "subject" => self.subject, "reason" => reason)
            .increment(1);
    }
}

pub fn nats_connected(service: &'static str, connected: bool) {
    gauge!(NATS_CONNECTED, "service" => service).set(f64::from(u8::from(connected)));
}

pub fn listener_consuming(service: &'static str, subject: &'static str, consuming: bool) {
    gauge!(LISTENER_CONSUMING, "service" => service, "subject" => subject)
        .set(f64::from(u8::from(consuming)));
}

pub fn dead_letters(service: &'static str, stored: i64) {
    gauge!(DEAD_LETTERS, "service" => service).set(stored as f64);
}

pub fn pool(service: &'static str, pool: &sqlx::PgPool) {
    let size = pool.size() as f64;
    let idle = pool.num_idle() as f64;
    gauge!(DB_POOL_CONNECTIONS, "service" => service, "state" => "in_use").set(size - idle);
    gauge!(DB_POOL_CONNECTIONS, "service" => service, "state" => "idle").set(idle);
    gauge!(DB_POOL_MAX, "service" => service).set(f64::from(pool.options().get_max_connections()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_a_prometheus_name_with_its_unit() {
        for name in ALL {
            assert!(
                name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{name}"
            );
        }
        let counters = [
            HTTP_REQUESTS,
            OUTBOX_PUBLISHED,
            EVENTS_DELIVERED,
            EVENTS_ACKED,
            EVENTS_RETRIED,
            EVENTS_DROPPED,
        ];
        for name in counters {
            assert!(name.ends_with("_total"), "{name}");
        }
    }
}
