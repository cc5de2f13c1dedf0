//! The event bus over NATS JetStream: one stream per namespace, a transactional outbox on the way
//! out, durable pull consumers on the way in.

pub mod apply;
pub mod dead_letters;
pub mod listener;
pub mod outbox;
pub mod version_order;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, stream};

pub use apply::{Apply, Applying, apply_one};
pub use dead_letters::DeadLetters;
pub use listener::{Listener, Outcome};
pub use outbox::{OutboxRelay, enqueue};
pub use version_order::VersionOrder;

/// How long the stream remembers message ids to drop re-publishes of one event.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long events stay in the stream, so a consumer created later still sees history.
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// A validated events namespace: subjects are `<namespace>.<event>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace(String);

impl Namespace {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        anyhow::ensure!(
            ok,
            "EVENTS_NAMESPACE must be 1-64 of [A-Za-z0-9_-], got {text:?}"
        );
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn subject(&self, event_subject: &str) -> String {
        format!("{}.{event_subject}", self.0)
    }

    pub fn stream_name(&self) -> String {
        format!("{}_events", self.0)
    }
}

/// A NATS connection and JetStream context bound to one namespace. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    namespace: Namespace,
    /// How many servers of a JetStream cluster keep the stream (`NATS_STREAM_REPLICAS`).
    stream_replicas: usize,
    /// Whether this process has seen the stream: if it vanishes later, it was deleted.
    stream_seen: Arc<AtomicBool>,
}

/// How long to wait before recreating a stream that was deleted. NATS removes a deleted stream's
/// files after answering the deletion; a stream of the same name created meanwhile has its first
/// message blocks removed under it (seen with nats-server 2.9.10: "msgs/1.blk: no such file"),
/// and its consumers then never deliver.
const RECREATE_AFTER: Duration = Duration::from_secs(2);

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Bus {
    /// Connects without waiting for the server: a service starts (and reports not-ready) while
    /// NATS is down, and the client keeps reconnecting in the background.
    pub async fn connect(url: &str, namespace: Namespace) -> anyhow::Result<Self> {
        let client = async_nats::ConnectOptions::new()
            .name("ticketing")
            .retry_on_initial_connect()
            .max_reconnects(None)
            // Back at once when NATS is: 0, 100, 200 ms ... up to a second between attempts (the
            // client's own default waits up to several seconds).
            .reconnect_delay_callback(|attempts| {
                Duration::from_millis((attempts as u64 * 100).min(1000))
            })
            // A comma-separated list names several servers of a cluster (any one will do; the
            // client learns the others from it).
            .connect(
                url.split(',')
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .collect::<Vec<_>>(),
            )
            .await
            .with_context(|| format!("connecting to NATS at {url}"))?;
        let mut jetstream = jetstream::new(client.clone());
        jetstream.set_timeout(Duration::from_secs(5));
        Ok(Self {
            client,
            jetstream,
            namespace,
            stream_replicas: 1,
            stream_seen: Arc::default(),
        })
    }

    /// Connects as configured by `NATS_URL`, `EVENTS_NAMESPACE` and `NATS_STREAM_REPLICAS`.
    pub async fn from_settings(settings: &crate::config::EventsSettings) -> anyhow::Result<Self> {
        let mut bus = Self::connect(&settings.nats_url, settings.namespace.clone()).await?;
        bus.stream_replicas = settings.stream_replicas;
        Ok(bus)
    }

    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }

    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Creates the namespace's stream if it does not exist yet (idempotent, safe to race). A
    /// stream created with fewer replicas is raised to this count (JetStream re-replicates it), so
    /// raising `NATS_STREAM_REPLICAS` on a cluster takes effect at the next start; it is never
    /// lowered here. A stream that existed and vanished is recreated after [`RECREATE_AFTER`].
    pub async fn ensure_stream(&self) -> anyhow::Result<stream::Stream> {
        let config = stream::Config {
            name: self.namespace.stream_name(),
            subjects: vec![format!("{}.>", self.namespace.as_str())],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            duplicate_window: DUPLICATE_WINDOW,
            max_age: RETENTION,
            num_replicas: self.stream_replicas,
            ..Default::default()
        };
        let found = self.jetstream.get_stream(&config.name).await;
        let mut stream = match found {
            Ok(stream) => stream,
            Err(e) if is_stream_not_found(&e) => {
                if self.stream_seen.load(Ordering::Relaxed) {
                    tracing::warn!(
                        stream = %config.name,
                        "the stream is gone (deleted, or lost by NATS); recreating it"
                    );
                    tokio::time::sleep(RECREATE_AFTER).await;
                }
                self.jetstream
                    .get_or_create_stream(config.clone())
                    .await
                    .map_err(|e| anyhow::anyhow!("creating stream {}: {e}", config.name))?
            }
            Err(e) => anyhow::bail!("reading stream {}: {e}", config.name),
        };
        self.stream_seen.store(true, Ordering::Relaxed);
        let replicas = stream.cached_info().config.num_replicas;
        // Raised at once; never lowered by a process that asks for fewer (a tool with the
        // default of 1 must not take a cluster's copies away).
        if replicas < self.stream_replicas {
            match self.jetstream.update_stream(&config).await {
                Ok(_) => tracing::warn!(
                    stream = %config.name,
                    from = replicas,
                    to = self.stream_replicas,
                    "stream re-replicated"
                ),
                Err(e) => tracing::warn!(
                    stream = %config.name,
                    error = %e,
                    "the stream keeps {replicas} replica(s); NATS_STREAM_REPLICAS asks for {}",
                    self.stream_replicas
                ),
            }
            stream = self
                .jetstream
                .get_stream(&config.name)
                .await
                .map_err(|e| anyhow::anyhow!("reading stream {}: {e}", config.name))?;
        }
        Ok(stream)
    }
}

fn is_stream_not_found(error: &jetstream::context::GetStreamError) -> bool {
    matches!(
        error.kind(),
        jetstream::context::GetStreamErrorKind::JetStream(e)
            if e.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_checked() {
        assert!(Namespace::parse("ticketing").is_ok());
        assert!(Namespace::parse("test_1-a").is_ok());
        for bad in ["", "a.b", "a*", "a b", "a>"] {
            assert!(Namespace::parse(bad).is_err(), "{bad:?}");
        }
        let ns = Namespace::parse("t1").unwrap_or_else(|_| unreachable!());
        assert_eq!(ns.subject("order.created"), "t1.order.created");
        assert_eq!(ns.stream_name(), "t1_events");
    }
}
