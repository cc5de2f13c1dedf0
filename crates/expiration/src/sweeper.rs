//! The sweeper: fires due expirations. Everything it needs is in Postgres, so it survives
//! restarts, runs in any number of replicas (each expiration fires once: claimed with
//! `SKIP LOCKED` and deleted in the transaction that writes its outbox row), and holds no memory
//! per pending expiration.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use common::bus::enqueue;
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::domain::schedule;
use crate::metrics;
use crate::repo;

/// Expirations fired per transaction; a full batch is followed by the next one at once.
pub const BATCH: i64 = 500;
/// How long a finished order is remembered: a late order.created can only come from the stream,
/// which keeps events for `RETENTION`; a day more is the margin.
pub const REMEMBER_FINISHED: Duration =
    Duration::from_secs(common::bus::RETENTION.as_secs() + 24 * 3600);
/// How often the sweeper forgets finished orders, and how many per statement.
const FORGET_EVERY: Duration = Duration::from_secs(3600);
const FORGET_BATCH: i64 = 5_000;
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Wakes the sweeper when this process schedules an expiration earlier than its next look.
pub struct Wakeup {
    notify: Notify,
    /// When the sweeper looks next, in Unix milliseconds.
    planned_ms: AtomicI64,
}

impl Default for Wakeup {
    fn default() -> Self {
        Self {
            notify: Notify::new(),
            planned_ms: AtomicI64::new(i64::MAX),
        }
    }
}

impl Wakeup {
    /// Call after committing an expiration at `expires_at`.
    pub fn scheduled(&self, expires_at: OffsetDateTime) {
        if unix_ms(expires_at) < self.planned_ms.load(Ordering::Acquire) {
            self.notify.notify_one();
        }
    }

    fn plan(&self, at: OffsetDateTime) {
        self.planned_ms.store(unix_ms(at), Ordering::Release);
    }
}

fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

#[derive(Clone)]
pub struct Sweeper {
    pool: PgPool,
    wakeup: Arc<Wakeup>,
}

impl Sweeper {
    pub fn new(pool: PgPool, wakeup: Arc<Wakeup>) -> Self {
        Self { pool, wakeup }
    }

    /// Sweeps until `cancel`; the transaction in flight finishes first. Never returns an error:
    /// a failed round is logged and retried with backoff.
    pub async fn run(self, cancel: CancellationToken) {
        let mut backoff = MIN_BACKOFF;
        let mut forgot_at: Option<std::time::Instant> = None;
        while !cancel.is_cancelled() {
            if forgot_at.is_none_or(|at| at.elapsed() >= FORGET_EVERY) {
                forgot_at = Some(std::time::Instant::now());
                if let Err(e) = self.forget_finished().await {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "forgetting finished orders failed"
                    );
                }
            }
            let pause = match self.round().await {
                Ok(pause) => {
                    backoff = MIN_BACKOFF;
                    pause
                }
                Err(e) => {
                    tracing::warn!(
                        error = format!("{e:#}"),
                        "expiration sweep failed; retrying"
                    );
                    let pause = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    pause
                }
            };
            if pause.is_zero() {
                continue;
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.wakeup.notify.notified() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
        tracing::debug!("expiration sweeper stopped");
    }

    /// Forgets the orders finished longer ago than [`REMEMBER_FINISHED`], in batches; returns
    /// how many. Without it `finished_orders` would grow by one row per order forever.
    pub async fn forget_finished(&self) -> anyhow::Result<u64> {
        let mut total = 0;
        loop {
            let forgotten = repo::forget_finished(&self.pool, REMEMBER_FINISHED, FORGET_BATCH)
                .await
                .context("expiration: forget finished orders")?;
            total += forgotten;
            if forgotten < FORGET_BATCH as u64 {
                break;
            }
        }
        if total > 0 {
            tracing::info!(forgotten = total, "forgot long-finished orders");
        }
        Ok(total)
    }

    /// One sweep, then how long to wait before the next.
    async fn round(&self) -> anyhow::Result<Duration> {
        let fired = self.sweep().await?;
        if fired as i64 >= BATCH {
            return Ok(Duration::ZERO);
        }
        let next = repo::next_due(&self.pool)
            .await
            .context("expiration: next due time")?;
        let mut pause = schedule::sleep_before(next.now, next.next_due);
        if fired == 0 {
            pause = pause.max(schedule::MIN_SLEEP);
        }
        self.wakeup.plan(schedule::wake_at(next.now, pause));
        Ok(pause)
    }

    /// Fires up to [`BATCH`] due expirations in one transaction: each becomes an
    /// expiration.complete in the outbox, is deleted, and its order is marked finished.
    /// Returns how many fired.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await.context("expiration: begin")?;
        let due = repo::claim_due(&mut tx, BATCH)
            .await
            .context("expiration: claim due expirations")?;
        if due.is_empty() {
            return Ok(0);
        }
        for expiration in &due {
            // The event continues the trace of the purchase that scheduled it.
            let span = tracing::info_span!(
                "expiration",
                order_id = %expiration.order_id,
                trace_id = tracing::field::Empty,
            );
            common::trace_context::continue_trace(&span, expiration.traceparent.as_deref());
            enqueue(&mut tx, &expiration.complete_event())
                .instrument(span)
                .await
                .context("expiration: enqueue expiration.complete")?;
        }
        tx.commit().await.context("expiration: commit")?;
        let now = OffsetDateTime::now_utc();
        for expiration in &due {
            let late = (now - expiration.expires_at).max(time::Duration::ZERO);
            metrics::fired(late.unsigned_abs());
        }
        tracing::info!(fired = due.len(), "orders expired");
        Ok(due.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[tokio::test]
    async fn wakes_only_for_an_earlier_expiration() {
        let wakeup = Wakeup::default();
        wakeup.plan(datetime!(2026-11-22 10:00:00.250 UTC));
        wakeup.scheduled(datetime!(2026-11-22 10:00:01 UTC));
        let later = tokio::time::timeout(Duration::from_millis(20), wakeup.notify.notified());
        assert!(later.await.is_err(), "a later expiration must not wake");
        wakeup.scheduled(datetime!(2026-11-22 10:00:00.100 UTC));
        let earlier = tokio::time::timeout(Duration::from_millis(20), wakeup.notify.notified());
        assert!(earlier.await.is_ok(), "an earlier expiration wakes at once");
    }
}
