//! Records what the provider did with an attempt, once, whoever gets there first: the request
//! that made the charge, a retry of it, or the sweeper resolving it after a crash.
//!
//! Recording locks the replica order, so a payment racing a cancellation ends either paid (and the
//! cancellation then refunds it) or refunded here: never cancelled with the money kept. A refund
//! is made before its attempt is recorded, so a crash in between leaves the attempt charging for
//! the sweeper, which repeats the (idempotent) charge and refund.

use common::bus::enqueue;
use common::error::violated_constraint;
use common::events::OrderStatus;
use common::{OrderId, PaymentId};
use sqlx::PgPool;

use crate::domain::{Attempt, PaymentStatus, idempotency};
use crate::metrics;
use crate::provider::{Charge, PaymentProvider};
use crate::repo;

/// How an attempt's charge ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Kept as the order's payment; payment.created is published.
    Paid(PaymentId),
    /// The order was cancelled meanwhile: the charge was refunded (payment.refunded).
    RefundedForCancelledOrder,
    /// Another charge paid the order first: this one was refunded (payment.refunded).
    RefundedAsDuplicate,
    /// Someone else recorded this attempt's outcome first.
    AlreadySettled,
}

#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    /// The charge could not be refunded; the attempt stays charging for the sweeper.
    #[error("refunding charge {charge}: {source:#}")]
    Refund {
        charge: String,
        source: anyhow::Error,
    },
    #[error("recording a payment: {0}")]
    Database(#[from] sqlx::Error),
}

/// Records `charge`, the provider's charge for `attempt`.
#[tracing::instrument(skip_all, fields(payment_id = %attempt.id, stripe_id = %charge.id))]
pub async fn settle(
    pool: &PgPool,
    provider: &dyn PaymentProvider,
    attempt: &Attempt,
    charge: &Charge,
) -> Result<Settlement, SettleError> {
    let mut tx = pool.begin().await?;
    let order = repo::lock_order(&mut *tx, attempt.order_id).await?;
    if order.as_ref().map(|o| o.status) == Some(OrderStatus::Cancelled) {
        tx.rollback().await?;
        tracing::warn!("order cancelled while charging; refunding");
        return give_back(pool, provider, attempt, charge, Refund::OrderCancelled).await;
    }
    if !repo::claim_attempt(&mut *tx, attempt.id, &charge.id).await? {
        return Ok(Settlement::AlreadySettled);
    }
    let recorded = repo::insert_payment(
        &mut *tx,
        attempt.id,
        attempt.order_id,
        &charge.id,
        PaymentStatus::Succeeded,
    )
    .await;
    match recorded {
        Err(e) if violated_constraint(&e) == Some(repo::ONE_SUCCEEDED_PER_ORDER) => {
            tx.rollback().await?;
            tracing::warn!("order paid by another charge; refunding");
            return give_back(pool, provider, attempt, charge, Refund::Duplicate).await;
        }
        other => other?,
    }
    enqueue(&mut tx, &attempt.created_event(&charge.id)).await?;
    tx.commit().await?;
    metrics::payment("succeeded");
    tracing::info!("payment recorded");
    Ok(Settlement::Paid(attempt.id))
}

#[derive(Debug, Clone, Copy)]
enum Refund {
    OrderCancelled,
    Duplicate,
}

/// Refunds a charge the order cannot keep, then records it as a refunded payment and publishes
/// payment.refunded.
async fn give_back(
    pool: &PgPool,
    provider: &dyn PaymentProvider,
    attempt: &Attempt,
    charge: &Charge,
    why: Refund,
) -> Result<Settlement, SettleError> {
    refund(provider, attempt.order_id, &charge.id).await?;
    let mut tx = pool.begin().await?;
    if !repo::claim_attempt(&mut *tx, attempt.id, &charge.id).await? {
        return Ok(Settlement::AlreadySettled);
    }
    repo::insert_payment(
        &mut *tx,
        attempt.id,
        attempt.order_id,
        &charge.id,
        PaymentStatus::Refunded,
    )
    .await?;
    enqueue(&mut tx, &attempt.refunded_event(&charge.id)).await?;
    tx.commit().await?;
    metrics::refund();
    Ok(match why {
        Refund::OrderCancelled => Settlement::RefundedForCancelledOrder,
        Refund::Duplicate => Settlement::RefundedAsDuplicate,
    })
}

/// Refunds `charge_id` in full; retried with the same key, it refunds at most once.
pub async fn refund(
    provider: &dyn PaymentProvider,
    order_id: OrderId,
    charge_id: &str,
) -> Result<(), SettleError> {
    provider
        .refund(charge_id, &idempotency::refund_key(charge_id))
        .await
        .map_err(|source| {
            tracing::error!(stripe_id = %charge_id, order_id = %order_id, error = format!("{source:#}"),
                "could not refund a charge of an order that cannot keep it");
            SettleError::Refund {
                charge: charge_id.to_owned(),
                source,
            }
        })
}
