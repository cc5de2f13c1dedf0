//! The listener runner (SPEC §4 rules 2-5): one durable pull consumer per (service, subject),
//! shared by every replica; a message is acked only after its handler's effects committed.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{
    AckKind,
    consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull},
};
use futures::{FutureExt, StreamExt, future::BoxFuture};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::Bus;
use crate::events::Event;
use crate::ids::EventId;
use crate::metrics::ListenerMetrics;
use crate::trace_context;

/// What a handler decided about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied, or already applied (a duplicate or an event from the past): acknowledge.
    Ack,
    /// Not applicable yet (an event from the future, a version gap): redeliver later.
    Retry,
}

/// How many times one message is delivered before it is given up on and logged.
pub const MAX_DELIVERIES: i64 = 25;
/// Messages of one subject handled at once by one process.
const CONCURRENCY: usize = 32;
/// How long a delivered message may stay unacknowledged before JetStream redelivers it, e.g. after
/// the process that pulled it died. Handlers are short transactions and idempotent, so a short wait
/// recovers quickly and an occasional early redelivery is harmless.
const ACK_WAIT: Duration = Duration::from_secs(5);

type Handle = Arc<
    dyn Fn(&[u8]) -> Result<BoxFuture<'static, anyhow::Result<Outcome>>, serde_json::Error>
        + Send
        + Sync,
>;

/// A consumer of one event type for one service.
#[derive(Clone)]
pub struct Listener {
    service: &'static str,
    subject: &'static str,
    handle: Handle,
    max_deliveries: i64,
    metrics: ListenerMetrics,
}

impl Listener {
    pub fn new<E, F, Fut>(service: &'static str, handler: F) -> Self
    where
        E: Event,
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<Outcome>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let handle: Handle = Arc::new(move |bytes: &[u8]| {
            let event: E = serde_json::from_slice(bytes)?;
            let handler = handler.clone();
            Ok(async move { handler(event).await }.boxed())
        });
        Self {
            service,
            subject: E::SUBJECT,
            handle,
            max_deliveries: MAX_DELIVERIES,
            metrics: ListenerMetrics::new(service, E::SUBJECT),
        }
    }

    /// Gives up on a message after `n` deliveries instead of [`MAX_DELIVERIES`].
    pub fn max_deliveries(mut self, n: i64) -> Self {
        self.max_deliveries = n.max(1);
        self
    }

    pub fn subject(&self) -> &'static str {
        self.subject
    }

    /// The durable consumer's name, shared by every replica of the service.
    pub fn durable_name(&self) -> String {
        format!("{}_{}", self.service, self.subject.replace('.', "_"))
    }

    /// Consumes until `cancel`; reconnects after any failure, never returns an error.
    pub async fn run(self, bus: Bus, cancel: CancellationToken) {
        let mut backoff = Duration::from_millis(200);
        while !cancel.is_cancelled() {
            match self.consume(&bus, &cancel).await {
                Ok(()) => backoff = Duration::from_millis(200),
                Err(e) => tracing::warn!(
                    consumer = self.durable_name(),
                    error = format!("{e:#}"),
                    "listener interrupted, reconnecting"
                ),
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
    }

    async fn consume(&self, bus: &Bus, cancel: &CancellationToken) -> anyhow::Result<()> {
        let stream = bus.ensure_stream().await?;
        let name = self.durable_name();
        let consumer: PullConsumer = stream
            .get_or_create_consumer(
                &name,
                pull::Config {
                    durable_name: Some(name.clone()),
                    filter_subject: bus.namespace().subject(self.subject),
                    ack_policy: AckPolicy::Explicit,
                    deliver_policy: DeliverPolicy::All,
                    ack_wait: ACK_WAIT,
                    // The runner enforces its own bound so it can log what it gives up on.
                    max_deliver: -1,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("creating consumer {name}: {e}"))?;
        let messages = consumer
            .messages()
            .await
            .map_err(|e| anyhow::anyhow!("opening consumer {name}: {e}"))?;
        messages
            .take_until(cancel.cancelled())
            .for_each_concurrent(CONCURRENCY, |message| {
                let name = &name;
                async move {
                    match message {
                        Ok(message) => self.process(message).await,
                        Err(e) => {
                            tracing::debug!(consumer = %name, error = %e, "consumer stream hiccup")
                        }
                    }
                }
            })
            .await;
        Ok(())
    }

    async fn process(&self, message: async_nats::jetstream::Message) {
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        let header = |name: &str| {
            message
                .headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        let event_id = header(async_nats::header::NATS_MESSAGE_ID.as_ref()).unwrap_or_default();
        let span = tracing::info_span!(
            "event",
            service = self.service,
            subject = self.subject,
            event_id = %event_id,
            delivered,
            trace_id = tracing::field::Empty,
        );
        trace_context::continue_trace(&span, header(trace_context::TRACEPARENT).as_deref());
        self.metrics.delivered();
        let ack = match (self.handle)(&message.payload) {
            Err(e) => {
                span.in_scope(|| tracing::error!(error = %e, "undecodable event terminated"));
                self.metrics.dropped("undecodable");
                AckKind::Term
            }
            Ok(future) => {
                let started = Instant::now();
                let result = AssertUnwindSafe(future)
                    .catch_unwind()
                    .instrument(span.clone())
                    .await;
                self.metrics.handled(started.elapsed());
                // Entered, not only named as parent: log lines list the spans entered.
                let ack = span.in_scope(|| self.decide(delivered, result));
                match ack {
                    AckKind::Ack => self
                        .metrics
                        .acked(event_id.parse::<EventId>().ok().and_then(|id| id.age())),
                    AckKind::Term => self.metrics.dropped("exhausted"),
                    _ => self.metrics.retried(),
                }
                span.in_scope(|| tracing::debug!(outcome = ?ack, "event handled"));
                ack
            }
        };
        if let Err(e) = message.ack_with(ack).await {
            span.in_scope(|| tracing::warn!(error = %e, "could not acknowledge event"));
        }
    }

    fn decide(
        &self,
        delivered: i64,
        result: Result<anyhow::Result<Outcome>, Box<dyn std::any::Any + Send>>,
    ) -> AckKind {
        let exhausted = delivered >= self.max_deliveries;
        match result {
            Ok(Ok(Outcome::Ack)) => AckKind::Ack,
            Ok(Ok(Outcome::Retry)) if exhausted => {
                tracing::error!(
                    "event still not applicable after {delivered} deliveries; giving up"
                );
                AckKind::Term
            }
            Ok(Ok(Outcome::Retry)) => AckKind::Nak(Some(retry_delay(delivered))),
            Ok(Err(e)) if exhausted => {
                tracing::error!(
                    error = format!("{e:#}"),
                    "event handler kept failing; giving up"
                );
                AckKind::Term
            }
            Ok(Err(e)) => {
                tracing::warn!(error = format!("{e:#}"), "event handler failed; will retry");
                AckKind::Nak(Some(retry_delay(delivered)))
            }
            Err(_) if exhausted => {
                tracing::error!("event handler kept panicking; giving up");
                AckKind::Term
            }
            Err(_) => {
                tracing::error!("event handler panicked; will retry");
                AckKind::Nak(Some(retry_delay(delivered)))
            }
        }
    }
}

/// Exponential: 20 ms, 40 ms, ... capped at 5 s.
pub fn retry_delay(delivered: i64) -> Duration {
    let exponent = delivered.clamp(1, 16) as u32 - 1;
    (Duration::from_millis(20) * 2u32.pow(exponent)).min(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_and_is_capped() {
        assert_eq!(retry_delay(1), Duration::from_millis(20));
        assert_eq!(retry_delay(2), Duration::from_millis(40));
        assert_eq!(retry_delay(40), Duration::from_secs(5));
    }
}
