//! The payment provider interface: charge a card, refund a charge. `StripeProvider` talks to
//! Stripe's HTTP API; `FakeProvider` is the stand-in for tests and the local run.

pub mod fake;
mod stripe;

use std::sync::Arc;

pub use fake::FakeProvider;
pub use stripe::StripeProvider;

use crate::config::ProviderSettings;
use crate::domain::Attempt;

/// The only currency charged.
pub const CURRENCY: &str = "usd";

/// One charge: `amount_cents` of `CURRENCY` from the card `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    pub amount_cents: i64,
    pub source: String,
    /// The same key for a retried request, so the provider charges at most once.
    pub idempotency_key: String,
}

impl From<&Attempt> for ChargeRequest {
    /// The call an attempt stands for: repeated, it carries exactly the parameters of the first.
    fn from(attempt: &Attempt) -> Self {
        Self {
            amount_cents: attempt.amount_cents,
            source: attempt.source.clone(),
            idempotency_key: attempt.idempotency_key.clone(),
        }
    }
}

/// A charge the provider made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The provider's charge id (`ch_...`), published as `stripeId`.
    pub id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ChargeError {
    /// The card was refused; the message is the provider's and is shown to the client.
    #[error("declined: {0}")]
    Declined(String),
    /// The provider could not be reached or failed (network error, timeout, 5xx).
    #[error("payment provider unavailable: {0:#}")]
    Unavailable(anyhow::Error),
}

#[async_trait::async_trait]
pub trait PaymentProvider: Send + Sync + 'static {
    async fn charge(&self, request: ChargeRequest) -> Result<Charge, ChargeError>;

    /// Refunds `charge_id` in full. Retrying with the same key refunds at most once, and a charge
    /// that is already refunded counts as refunded.
    async fn refund(&self, charge_id: &str, idempotency_key: &str) -> anyhow::Result<()>;
}

/// The provider the settings name; the fake one keeps its ledger in `pool`'s database.
pub async fn from_settings(
    settings: &ProviderSettings,
    pool: &sqlx::PgPool,
) -> anyhow::Result<Arc<dyn PaymentProvider>> {
    Ok(match settings {
        ProviderSettings::Fake => Arc::new(FakeProvider::connect(pool.clone()).await?),
        ProviderSettings::Stripe { key, api_base } => {
            Arc::new(StripeProvider::new(api_base, key.clone())?)
        }
    })
}
