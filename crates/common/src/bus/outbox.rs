//! The transactional outbox (docs/contract.md#delivery-rules, rule 1). A state change and the event
//! announcing it are written in one transaction; the relay publishes committed rows and deletes
//! them only after JetStream acknowledged them. A crash or a NATS outage delays events, never loses
//! them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::message::PublishMessage;
use futures::future::join_all;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::Bus;
use crate::events::Event;
use crate::ids::EventId;
use crate::{metrics, trace_context};

/// The Postgres channel a trigger on the outbox table notifies on every committed insert.
const CHANNEL: &str = "outbox";
/// Rows published per round; a full batch loops at once, a partial one waits for a wake-up.
const BATCH: i64 = 256;
/// The fallback poll, in case a notification is missed (listener reconnecting).
const POLL: Duration = Duration::from_secs(1);
/// The longest wait between attempts to publish while NATS is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Writes `event` to the outbox inside the caller's transaction. It is published only if, and
/// once, that transaction commits, with the current span's trace context.
pub async fn enqueue<E: Event>(conn: &mut PgConnection, event: &E) -> Result<EventId, sqlx::Error> {
    let id = EventId::new();
    let payload = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("INSERT INTO outbox (id, subject, payload, traceparent) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(E::SUBJECT)
        .bind(payload)
        .bind(trace_context::current_traceparent())
        .execute(conn)
        .await?;
    Ok(id)
}

/// Publishes committed outbox rows. Safe with several replicas: rows are claimed with
/// `FOR UPDATE SKIP LOCKED`, and a re-publish carries the same `Nats-Msg-Id`.
#[derive(Clone)]
pub struct OutboxRelay {
    service: &'static str,
    pool: PgPool,
    bus: Bus,
    kick: Arc<Notify>,
    stream_ready: Arc<AtomicBool>,
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    id: EventId,
    subject: String,
    payload: String,
    traceparent: Option<String>,
}

impl OutboxRelay {
    /// The relay of `service`'s outbox (the name labels its metrics).
    pub fn new(service: &'static str, pool: PgPool, bus: Bus) -> Self {
        Self {
            service,
            pool,
            bus,
            kick: Arc::new(Notify::new()),
            stream_ready: Arc::default(),
        }
    }

    /// Wakes the relay without waiting for the database notification (tests, shutdown flush).
    pub fn kick(&self) {
        self.kick.notify_one();
    }

    /// Runs until `cancel`; the batch in flight is finished first.
    pub async fn run(self, cancel: CancellationToken) {
        let mut listener = self.listen().await;
        let mut backoff = Duration::from_millis(100);
        loop {
            // Every commit notifies; one claim serves the notifications already here, so they
            // do not each cost an empty claim.
            if let Some(listener) = listener.as_mut() {
                while listener.next_buffered().is_some() {}
            }
            match self.publish_batch().await {
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => backoff = Duration::from_millis(100),
                Err(e) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "outbox relay: publish failed, retrying"
                    );
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.kick.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                notified = recv(&mut listener) => {
                    if !notified {
                        listener = self.listen().await;
                    }
                }
            }
        }
        tracing::debug!("outbox relay stopped");
    }

    async fn listen(&self) -> Option<PgListener> {
        let mut listener = PgListener::connect_with(&self.pool).await.ok()?;
        listener.listen(CHANNEL).await.ok()?;
        Some(listener)
    }

    /// Publishes up to one batch; returns how many rows were published.
    pub async fn publish_batch(&self) -> anyhow::Result<usize> {
        // This transaction only deletes rows the stream has acknowledged. If a crash loses it,
        // the rows are published again with the same ids, which the stream's duplicate window
        // and the idempotent consumers absorb; so it need not wait for its WAL flush.
        let mut tx = self
            .pool
            .begin_with("BEGIN; SET LOCAL synchronous_commit TO off")
            .await
            .context("outbox: begin")?;
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT seq, id, subject, payload, traceparent FROM outbox
             ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await
        .context("outbox: claim rows")?;
        if rows.is_empty() {
            return Ok(0);
        }
        // The stream is checked (and created if missing) at the first batch and after a failed
        // one, not before every batch.
        if !self.stream_ready.load(Ordering::Relaxed) {
            self.bus.ensure_stream().await?;
            self.stream_ready.store(true, Ordering::Relaxed);
        }

        // Pipelined: send every message, then await the acks together.
        let mut pending = Vec::with_capacity(rows.len());
        let mut first_error = None;
        for row in &rows {
            let mut message = PublishMessage::build()
                .payload(row.payload.clone().into())
                .message_id(row.id.to_string());
            if let Some(traceparent) = &row.traceparent {
                message = message.header(trace_context::TRACEPARENT, traceparent.as_str());
            }
            let subject = self.bus.namespace().subject(&row.subject);
            match self.bus.jetstream().send_publish(subject, message).await {
                Ok(ack) => pending.push(((row.seq, row.id), ack.into_future())),
                Err(e) => {
                    first_error = Some(anyhow::anyhow!("publishing event {}: {e}", row.id));
                    break;
                }
            }
        }
        let (seqs, acks): (Vec<_>, Vec<_>) = pending.into_iter().unzip();
        let mut published = Vec::with_capacity(seqs.len());
        let mut latencies = Vec::with_capacity(seqs.len());
        for ((seq, id), result) in seqs.into_iter().zip(join_all(acks).await) {
            match result {
                Ok(_) => {
                    published.push(seq);
                    latencies.extend(id.age());
                }
                Err(e) => {
                    first_error.get_or_insert_with(|| anyhow::anyhow!("awaiting stream ack: {e}"));
                }
            }
        }
        sqlx::query("DELETE FROM outbox WHERE seq = ANY($1)")
            .bind(&published)
            .execute(&mut *tx)
            .await
            .context("outbox: delete published rows")?;
        tx.commit().await.context("outbox: commit")?;
        metrics::outbox_published(self.service, latencies);
        tracing::debug!(published = published.len(), "outbox relay published events");
        match first_error {
            Some(e) => {
                self.stream_ready.store(false, Ordering::Relaxed);
                Err(e)
            }
            None => Ok(published.len()),
        }
    }
}

/// Waits for the next notification; `false` when the listener is gone and must be recreated.
async fn recv(listener: &mut Option<PgListener>) -> bool {
    match listener {
        Some(l) => l.recv().await.is_ok(),
        None => {
            tokio::time::sleep(POLL).await;
            false
        }
    }
}

/// How many events are waiting to be published (health and tests).
pub async fn pending(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(pool)
        .await
}
