//! Resolves charge attempts whose outcome was never recorded: the process died between the
//! provider's answer and the record, or the provider did not answer. The sweeper repeats the call
//! with the attempt's idempotency key, so the provider answers with the original outcome (or makes
//! the charge it never made), then records it like the request would have: kept, or refunded if
//! the order was cancelled meanwhile. Safe with several replicas: attempts are leased with
//! `FOR UPDATE SKIP LOCKED`.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domain::{Attempt, AttemptState};
use crate::metrics;
use crate::provider::{ChargeError, ChargeRequest, PaymentProvider};
use crate::repo;
use crate::settle::{Settlement, settle};

/// How often the sweeper looks for unresolved attempts.
const INTERVAL: Duration = Duration::from_secs(1);
/// Attempts resolved per round.
const BATCH: i64 = 16;
/// Stripe forgets an idempotency key after 24 hours: past that, a repeated call could charge
/// again, so the attempt is given up and logged for a person to look at.
const PROVIDER_KEY_LIFETIME: time::Duration = time::Duration::hours(24);

#[derive(Clone)]
pub struct Sweeper {
    pub pool: PgPool,
    pub provider: Arc<dyn PaymentProvider>,
    /// An attempt is resolved once it has been charging this long (`PAYMENT_RESOLVE_AFTER_SECONDS`):
    /// longer than a request's own provider call may take.
    pub resolve_after: Duration,
}

impl Sweeper {
    /// Runs until `cancel`; the round in progress is finished first.
    pub async fn run(self, cancel: CancellationToken) {
        loop {
            if let Err(e) = self.sweep().await {
                tracing::warn!(error = format!("{e:#}"), "payment sweeper: round failed");
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(INTERVAL) => {}
            }
        }
    }

    /// Resolves what is due now; returns how many attempts it looked at.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        let due = repo::lease_stale_attempts(&self.pool, self.resolve_after, BATCH).await?;
        for attempt in &due {
            self.resolve(attempt).await;
        }
        Ok(due.len())
    }

    #[tracing::instrument(skip_all, fields(payment_id = %attempt.id, order_id = %attempt.order_id))]
    async fn resolve(&self, attempt: &Attempt) {
        if time::OffsetDateTime::now_utc() - attempt.created_at > PROVIDER_KEY_LIFETIME {
            tracing::error!(
                "charge attempt unresolved for a day; abandoned: check it with the provider"
            );
            if let Err(e) = repo::end_attempt(&self.pool, attempt.id, AttemptState::Abandoned).await
            {
                tracing::warn!(error = %e, "could not mark the attempt abandoned");
            }
            return;
        }
        match self.provider.charge(ChargeRequest::from(attempt)).await {
            Ok(charge) => {
                match settle(&self.pool, self.provider.as_ref(), attempt, &charge).await {
                    Ok(Settlement::AlreadySettled) => {}
                    Ok(settlement) => {
                        tracing::info!(?settlement, "unresolved charge attempt settled")
                    }
                    Err(e) => tracing::warn!(error = %e, "could not settle a charge attempt yet"),
                }
            }
            Err(ChargeError::Declined(message)) => {
                tracing::info!(%message, "unresolved charge attempt was declined");
                metrics::payment("declined");
                if let Err(e) =
                    repo::end_attempt(&self.pool, attempt.id, AttemptState::Declined).await
                {
                    tracing::warn!(error = %e, "could not record the decline");
                }
            }
            Err(ChargeError::Unavailable(e)) => {
                tracing::warn!(
                    error = format!("{e:#}"),
                    "provider unavailable; retrying later"
                );
            }
        }
    }
}
