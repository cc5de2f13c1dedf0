//! The listener runner (docs/contract.md#delivery-rules, rules 2-6): one durable pull consumer per
//! (service, subject), shared by every replica; a message is acked only after its handler's effects
//! committed, and one it gives up on is terminated only after it was stored as a dead letter.
//!
//! Messages that arrive together are applied together: each batch is one transaction, in stream
//! order. One not applicable yet is left out and the batch applied again without it (rarer than
//! it is cheap: a savepoint around every message would cost two statements each). A batch that
//! fails is rolled back and its messages applied one at a time, so one bad message cannot hold
//! the others back. Under a light load a batch is one message; under a heavy one, a commit serves
//! many.

use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{
    AckKind, Message,
    consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull},
};
use futures::{FutureExt, StreamExt};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::Bus;
use super::apply::{AfterCommit, Applied, Apply, ApplyRaw, Typed};
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
/// The most messages applied in one transaction.
pub const BATCH: usize = 64;
/// Batches of one subject applied at once by one process: while one commits, the next is applied.
const IN_FLIGHT: usize = 2;
/// How often a batch is applied again without the messages that asked to wait, before its
/// messages are applied one at a time.
const BATCH_PASSES: usize = 3;
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

/// A consumer of one event type for one service.
#[derive(Clone)]
pub struct Listener {
    service: &'static str,
    subject: &'static str,
    apply: Arc<dyn ApplyRaw>,
    max_deliveries: i64,
    batch: usize,
    metrics: ListenerMetrics,
    /// Set while the consumer exists and its messages flow.
    consuming: Arc<AtomicBool>,
}

/// One delivered message on its way through the runner.
struct Delivery {
    message: Message,
    delivered: i64,
    event_id: String,
    span: tracing::Span,
}

/// Why a batch was abandoned: its messages are then applied one at a time.
struct Abandoned(String);

impl Listener {
    pub fn new<E: Event, H: Apply<E>>(service: &'static str, handler: H) -> Self {
        Self {
            service,
            subject: E::SUBJECT,
            apply: Arc::new(Typed {
                handler,
                event: PhantomData::<fn() -> E>,
            }),
            max_deliveries: MAX_DELIVERIES,
            batch: BATCH,
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

    /// Applies at most `n` messages in one transaction instead of [`BATCH`]; 1 gives every message
    /// a transaction of its own.
    pub fn batch(mut self, n: usize) -> Self {
        self.batch = n.max(1);
        self
    }

    pub fn subject(&self) -> &'static str {
        self.subject
    }

    /// The durable consumer's name, shared by every replica of the service.
    pub fn durable_name(&self) -> String {
        format!("{}_{}", self.service, self.subject.replace('.', "_"))
    }

    /// Consumes until `cancel`; reconnects after any failure, never returns an error. Events are
    /// applied in the database of `dead_letters`, the service's own, and what the runner gives up
    /// on is stored there.
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
            .filter_map(|message| {
                if let Err(e) = &message {
                    tracing::debug!(consumer = %name, error = %e, "consumer stream hiccup");
                }
                futures::future::ready(message.ok())
            })
            // Whatever has arrived while earlier batches were being applied forms the next one.
            .ready_chunks(self.batch)
            .for_each_concurrent(IN_FLIGHT, |messages| self.process(messages, dead_letters))
            .await;
        match lost.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(why) => anyhow::bail!("consumer {name} is gone ({why})"),
            None => Ok(()),
        }
    }

    /// Applies `messages` in one transaction, or one at a time if that fails, then acknowledges
    /// each as its handler decided.
    async fn process(&self, messages: Vec<Message>, dead_letters: &DeadLetters) {
        let mut deliveries = Vec::with_capacity(messages.len());
        for message in messages {
            if let Some(delivery) = self.receive(message).await {
                deliveries.push(delivery);
            }
        }
        let pool = dead_letters.pool();
        if deliveries.len() > 1 {
            match self.apply_batch(pool, &deliveries).await {
                Ok(decisions) => {
                    self.metrics.batch();
                    for (delivery, decision) in deliveries.iter().zip(decisions) {
                        self.settle(delivery, decision, dead_letters).await;
                    }
                    return;
                }
                Err(Abandoned(why)) => tracing::warn!(
                    consumer = self.durable_name(),
                    messages = deliveries.len(),
                    reason = %why,
                    "batch rolled back; applying its messages one at a time"
                ),
            }
        }
        for delivery in &deliveries {
            self.metrics.batch();
            let decision = self.apply_alone(pool, delivery).await;
            self.settle(delivery, decision, dead_letters).await;
        }
    }

    /// Opens the message's span; acknowledges at once a replayed dead letter meant for another
    /// service.
    async fn receive(&self, message: Message) -> Option<Delivery> {
        let delivered = message.info().map(|i| i.delivered).unwrap_or(1);
        let header = |name: &str| {
            message
                .headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        if header(REPLAY_FOR).is_some_and(|service| service != self.service) {
            if let Err(e) = message.ack().await {
                tracing::debug!(error = %e, "could not acknowledge a replay for another service");
            }
            return None;
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
        Some(Delivery {
            message,
            delivered,
            event_id,
            span,
        })
    }

    /// Applies the batch in one transaction. A message that asks to wait is left out and the rest
    /// applied again from the start (what it wrote must not stay); any error or panic, or a failed
    /// commit, abandons the batch: nothing of it stays.
    async fn apply_batch(
        &self,
        pool: &PgPool,
        deliveries: &[Delivery],
    ) -> Result<Vec<Decision>, Abandoned> {
        let failed = |what: &str, e: sqlx::Error| Abandoned(format!("{what}: {e}"));
        let mut decisions: Vec<Option<Decision>> = deliveries.iter().map(|_| None).collect();
        for _ in 0..BATCH_PASSES {
            let mut tx = pool.begin().await.map_err(|e| failed("begin", e))?;
            let mut after_commit: AfterCommit = Vec::new();
            let mut waits = false;
            for (delivery, decision) in deliveries.iter().zip(decisions.iter_mut()) {
                if decision.is_some() {
                    continue;
                }
                match self.apply_raw(&mut tx, delivery).await {
                    Ok(Applied::Handled(Ok(Outcome::Ack), work)) => after_commit.extend(work),
                    Ok(Applied::Handled(Ok(Outcome::Retry), _)) => {
                        waits = true;
                        *decision =
                            Some(delivery.span.in_scope(|| {
                                self.decide(delivery.delivered, Ok(Ok(Outcome::Retry)))
                            }));
                    }
                    Ok(Applied::Undecodable(e)) => {
                        *decision = Some(Decision::Undecodable(e.to_string()))
                    }
                    Ok(Applied::Handled(Err(e), _)) => {
                        return Err(Abandoned(format!("event {}: {e:#}", delivery.event_id)));
                    }
                    Err(_) => {
                        return Err(Abandoned(format!(
                            "event {}: the handler panicked",
                            delivery.event_id
                        )));
                    }
                }
            }
            if waits {
                // Rolled back on drop; the next pass applies the others without the waiting ones.
                continue;
            }
            tx.commit().await.map_err(|e| failed("commit", e))?;
            after_commit.into_iter().for_each(|work| work());
            return Ok(decisions
                .into_iter()
                .map(|decision| decision.unwrap_or(Decision::Ack))
                .collect());
        }
        Err(Abandoned(format!(
            "messages still asked to wait after {BATCH_PASSES} passes"
        )))
    }

    /// Applies one message in a transaction of its own.
    async fn apply_alone(&self, pool: &PgPool, delivery: &Delivery) -> Decision {
        let mut tx = match pool.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                let result = Ok(Err(anyhow::Error::new(e).context("begin")));
                return delivery
                    .span
                    .in_scope(|| self.decide(delivery.delivered, result));
            }
        };
        let result = match self.apply_raw(&mut tx, delivery).await {
            Ok(Applied::Undecodable(e)) => return Decision::Undecodable(e.to_string()),
            Ok(Applied::Handled(Ok(Outcome::Ack), work)) => match tx.commit().await {
                Ok(()) => {
                    work.into_iter().for_each(|work| work());
                    Ok(Ok(Outcome::Ack))
                }
                Err(e) => Ok(Err(anyhow::Error::new(e).context("commit"))),
            },
            Ok(Applied::Handled(other, _)) => Ok(other),
            Err(panic) => Err(panic),
        };
        // Entered, not only named as parent: log lines list the spans entered.
        delivery
            .span
            .in_scope(|| self.decide(delivery.delivered, result))
    }

    /// Runs the handler on the message, inside its span, catching a panic.
    async fn apply_raw(
        &self,
        conn: &mut PgConnection,
        delivery: &Delivery,
    ) -> Result<Applied, Box<dyn std::any::Any + Send>> {
        let started = Instant::now();
        let applied = AssertUnwindSafe(self.apply.apply_raw(conn, &delivery.message.payload))
            .catch_unwind()
            .instrument(delivery.span.clone())
            .await;
        self.metrics.handled(started.elapsed());
        applied
    }

    /// Acknowledges the message as decided; one given up on is stored as a dead letter first.
    async fn settle(&self, delivery: &Delivery, decision: Decision, dead_letters: &DeadLetters) {
        let span = &delivery.span;
        let ack = match decision {
            Decision::Ack => {
                self.metrics.acked(
                    delivery
                        .event_id
                        .parse::<EventId>()
                        .ok()
                        .and_then(|id| id.age()),
                );
                AckKind::Ack
            }
            Decision::Retry => {
                self.metrics.retried();
                AckKind::Nak(Some(retry_delay(delivery.delivered)))
            }
            Decision::Undecodable(why) => {
                span.in_scope(|| tracing::error!(error = %why, "undecodable event; giving up"));
                self.give_up(delivery, dead_letters, "undecodable", &why)
                    .instrument(span.clone())
                    .await
            }
            Decision::GiveUp(why) => {
                self.give_up(delivery, dead_letters, "exhausted", &why)
                    .instrument(span.clone())
                    .await
            }
        };
        span.in_scope(|| tracing::debug!(outcome = ?ack, "event handled"));
        if let Err(e) = delivery.message.ack_with(ack).await {
            span.in_scope(|| tracing::warn!(error = %e, "could not acknowledge event"));
        }
    }

    /// Stores the message as a dead letter, then terminates it; if it cannot be stored, it is
    /// redelivered later instead, so it is never lost.
    async fn give_up(
        &self,
        delivery: &Delivery,
        dead_letters: &DeadLetters,
        reason: &'static str,
        detail: &str,
    ) -> AckKind {
        let why = format!("{reason}: {detail}");
        match dead_letters
            .store(
                self.service,
                self.subject,
                &delivery.message,
                &why,
                delivery.delivered,
            )
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
                AckKind::Nak(Some(retry_delay(delivery.delivered)))
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
    /// Not an event of this subject: given up at once.
    Undecodable(String),
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
