//! The listener runner (docs/contract.md#delivery-rules, rules 2-5): one durable pull consumer per
//! (service, subject), shared by every replica; a message is acked only after its handler's effects
//! committed, and one it gives up on is terminated only after it was stored as a dead letter.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{
    AckKind,
    consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull},
};
use futures::{FutureExt, StreamExt, future::BoxFuture};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::Bus;
use super::dead_letters::{DeadLetters, REPLAY_FOR};
use crate::events::Event;
use crate::health::ListenerStatus;
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
/// How long one pull request waits for messages, and how often an idle one hears from the server.
const PULL_EXPIRES: Duration = Duration::from_secs(5);
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Recreating a consumer starts at once and backs off to a second, no more: NATS back is NATS
/// used.
const RECONNECT_FIRST: Duration = Duration::from_millis(50);
const RECONNECT_LAST: Duration = Duration::from_secs(1);

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
    /// Set while the consumer exists and its messages flow.
    consuming: Arc<AtomicBool>,
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
            consuming: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether this listener is consuming, for readiness and metrics.
    pub fn status(&self) -> ListenerStatus {
        ListenerStatus {
            service: self.service,
            subject: self.subject,
            consuming: self.consuming.clone(),
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

    /// Consumes until `cancel`; reconnects after any failure, never returns an error. What it
    /// gives up on goes to `dead_letters`. A consumer (or stream) that disappears, deleted by
    /// mistake or lost by NATS, is recreated.
    pub async fn run(self, bus: Bus, dead_letters: DeadLetters, cancel: CancellationToken) {
        let mut backoff = RECONNECT_FIRST;
        while !cancel.is_cancelled() {
            match self.consume(&bus, &dead_letters, &cancel).await {
                Ok(()) => backoff = RECONNECT_FIRST,
                Err(e) => tracing::warn!(
                    consumer = self.durable_name(),
                    error = format!("{e:#}"),
                    "listener interrupted; recreating its consumer"
                ),
            }
            self.consuming.store(false, Ordering::Relaxed);
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(RECONNECT_LAST);
        }
    }

    async fn consume(
        &self,
        bus: &Bus,
        dead_letters: &DeadLetters,
        cancel: &CancellationToken,
    ) -> anyhow::Result<()> {
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
        // Short pull requests with heartbeats: a consumer that vanished without a word is noticed
        // within seconds, not left silent for good.
        let messages = consumer
            .stream()
            .expires(PULL_EXPIRES)
            .heartbeat(HEARTBEAT)
            .messages()
            .await
            .map_err(|e| anyhow::anyhow!("opening consumer {name}: {e}"))?;
        self.consuming.store(true, Ordering::Relaxed);
        let lost = std::sync::Mutex::new(None);
        messages
            .take_until(cancel.cancelled())
            .take_while(|item| {
                let gone = match item {
                    Err(e) if consumer_lost(e) => Some(e.to_string()),
                    _ => None,
                };
                let keep_going = gone.is_none();
                if let Some(why) = gone {
                    *lost.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                }
                futures::future::ready(keep_going)
            })
            .for_each_concurrent(CONCURRENCY, |message| {
                let name = &name;
                async move {
                    match message {
                        Ok(message) => self.process(message, dead_letters).await,
                        Err(e) => {
                            tracing::debug!(consumer = %name, error = %e, "consumer stream hiccup")
                        }
                    }
                }
            })
            .await;
        match lost.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(why) => anyhow::bail!("consumer {name} is gone ({why})"),
            None => Ok(()),
        }
    }

    async fn process(&self, message: async_nats::jetstream::Message, dead_letters: &DeadLetters) {
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        let header = |name: &str| {
            message
                .headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        // A replayed dead letter is for the one service that gave up on it.
        if header(REPLAY_FOR).is_some_and(|service| service != self.service) {
            if let Err(e) = message.ack().await {
                tracing::debug!(error = %e, "could not acknowledge a replay for another service");
            }
            return;
        }
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
                span.in_scope(|| tracing::error!(error = %e, "undecodable event; giving up"));
                self.give_up(
                    &message,
                    dead_letters,
                    "undecodable",
                    &e.to_string(),
                    delivered,
                )
                .instrument(span.clone())
                .await
            }
            Ok(future) => {
                let started = Instant::now();
                let result = AssertUnwindSafe(future)
                    .catch_unwind()
                    .instrument(span.clone())
                    .await;
                self.metrics.handled(started.elapsed());
                // Entered, not only named as parent: log lines list the spans entered.
                match span.in_scope(|| self.decide(delivered, result)) {
                    Decision::Ack => {
                        self.metrics
                            .acked(event_id.parse::<EventId>().ok().and_then(|id| id.age()));
                        AckKind::Ack
                    }
                    Decision::Retry => {
                        self.metrics.retried();
                        AckKind::Nak(Some(retry_delay(delivered)))
                    }
                    Decision::GiveUp(why) => {
                        self.give_up(&message, dead_letters, "exhausted", &why, delivered)
                            .instrument(span.clone())
                            .await
                    }
                }
            }
        };
        span.in_scope(|| tracing::debug!(outcome = ?ack, "event handled"));
        if let Err(e) = message.ack_with(ack).await {
            span.in_scope(|| tracing::warn!(error = %e, "could not acknowledge event"));
        }
    }

    /// Stores the message as a dead letter, then terminates it; if it cannot be stored, it is
    /// redelivered later instead, so it is never lost.
    async fn give_up(
        &self,
        message: &async_nats::jetstream::Message,
        dead_letters: &DeadLetters,
        reason: &'static str,
        detail: &str,
        delivered: i64,
    ) -> AckKind {
        let why = format!("{reason}: {detail}");
        match dead_letters
            .store(self.service, self.subject, message, &why, delivered)
            .await
        {
            Ok(id) => {
                self.metrics.dropped(reason);
                tracing::error!(dead_letter = %id, reason = %why, "event given up; stored as a dead letter");
                AckKind::Term
            }
            Err(e) => {
                tracing::error!(error = %e, reason = %why, "could not store a dead letter; the event will be redelivered");
                self.metrics.retried();
                AckKind::Nak(Some(retry_delay(delivered)))
            }
        }
    }

    fn decide(
        &self,
        delivered: i64,
        result: Result<anyhow::Result<Outcome>, Box<dyn std::any::Any + Send>>,
    ) -> Decision {
        let exhausted = delivered >= self.max_deliveries;
        match result {
            Ok(Ok(Outcome::Ack)) => Decision::Ack,
            Ok(Ok(Outcome::Retry)) if exhausted => {
                Decision::GiveUp(format!("still not applicable after {delivered} deliveries"))
            }
            Ok(Ok(Outcome::Retry)) => Decision::Retry,
            Ok(Err(e)) if exhausted => Decision::GiveUp(format!("{e:#}")),
            Ok(Err(e)) => {
                tracing::warn!(error = format!("{e:#}"), "event handler failed; will retry");
                Decision::Retry
            }
            Err(_) if exhausted => Decision::GiveUp("the handler kept panicking".to_owned()),
            Err(_) => {
                tracing::error!("event handler panicked; will retry");
                Decision::Retry
            }
        }
    }
}

/// What becomes of one delivery.
enum Decision {
    Ack,
    Retry,
    /// Given up, with why.
    GiveUp(String),
}

/// Whether a pull stream error means the consumer (or its stream) is gone, rather than a hiccup
/// that the stream rides out itself (a pull request lost while reconnecting).
fn consumer_lost(error: &pull::MessagesError) -> bool {
    use pull::MessagesErrorKind as Kind;
    !matches!(error.kind(), Kind::Pull)
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
