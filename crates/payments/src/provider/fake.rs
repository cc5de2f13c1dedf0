//! An in-process provider with Stripe's test tokens: `tok_visa` succeeds, `tok_chargeDeclined`
//! is declined, anything else is an unknown card. It remembers idempotency keys like Stripe does,
//! and records what it did so tests can check that no money was kept by mistake.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{Charge, ChargeError, ChargeRequest, PaymentProvider};

pub const DECLINED: &str = "Your card was declined.";
pub const UNKNOWN_TOKEN: &str = "Unknown test card token";

#[derive(Debug, Default)]
struct State {
    /// Idempotency key → the charge it made.
    by_key: HashMap<String, Charge>,
    /// Every charge made, in order, with its amount in cents.
    charges: Vec<(Charge, i64)>,
    /// Every charge id refunded, in order (once each).
    refunds: Vec<String>,
}

#[derive(Debug, Default)]
pub struct FakeProvider {
    state: Mutex<State>,
}

impl FakeProvider {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the maps half-updated: keep going.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The ids of every charge made so far.
    pub fn charges(&self) -> Vec<String> {
        self.state()
            .charges
            .iter()
            .map(|(c, _)| c.id.clone())
            .collect()
    }

    /// The amount of a charge, in cents.
    pub fn amount_of(&self, charge_id: &str) -> Option<i64> {
        self.state()
            .charges
            .iter()
            .find(|(c, _)| c.id == charge_id)
            .map(|(_, amount)| *amount)
    }

    /// The ids of every charge refunded so far.
    pub fn refunds(&self) -> Vec<String> {
        self.state().refunds.clone()
    }
}

#[async_trait::async_trait]
impl PaymentProvider for FakeProvider {
    async fn charge(&self, request: ChargeRequest) -> Result<Charge, ChargeError> {
        let mut state = self.state();
        if let Some(charge) = state.by_key.get(&request.idempotency_key) {
            return Ok(charge.clone());
        }
        match request.source.as_str() {
            "tok_visa" => {
                let charge = Charge {
                    id: format!("ch_fake_{}", uuid::Uuid::new_v4().simple()),
                };
                state.by_key.insert(request.idempotency_key, charge.clone());
                state.charges.push((charge.clone(), request.amount_cents));
                Ok(charge)
            }
            "tok_chargeDeclined" => Err(ChargeError::Declined(DECLINED.to_owned())),
            _ => Err(ChargeError::Declined(UNKNOWN_TOKEN.to_owned())),
        }
    }

    async fn refund(&self, charge_id: &str, _idempotency_key: &str) -> anyhow::Result<()> {
        let mut state = self.state();
        anyhow::ensure!(
            state.charges.iter().any(|(c, _)| c.id == charge_id),
            "no such charge: {charge_id}"
        );
        if !state.refunds.iter().any(|r| r == charge_id) {
            state.refunds.push(charge_id.to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(source: &str, key: &str) -> ChargeRequest {
        ChargeRequest {
            amount_cents: 1999,
            source: source.to_owned(),
            idempotency_key: key.to_owned(),
        }
    }

    #[tokio::test]
    async fn test_tokens_behave_like_stripe() {
        let fake = FakeProvider::new();
        let charge = fake.charge(request("tok_visa", "k1")).await;
        let id = charge.map(|c| c.id).unwrap_or_default();
        assert!(id.starts_with("ch_fake_"), "{id}");
        assert_eq!(fake.amount_of(&id), Some(1999));
        let declined = fake.charge(request("tok_chargeDeclined", "k2")).await;
        assert!(matches!(declined, Err(ChargeError::Declined(m)) if m == DECLINED));
        let unknown = fake.charge(request("tok_nope", "k3")).await;
        assert!(matches!(unknown, Err(ChargeError::Declined(m)) if m == UNKNOWN_TOKEN));
        assert_eq!(fake.charges(), vec![id]);
    }

    #[tokio::test]
    async fn a_retried_key_returns_the_same_charge_and_refunds_are_idempotent() {
        let fake = FakeProvider::new();
        let first = fake.charge(request("tok_visa", "k")).await.map(|c| c.id);
        let again = fake.charge(request("tok_visa", "k")).await.map(|c| c.id);
        let other = fake
            .charge(request("tok_visa", "k-other"))
            .await
            .map(|c| c.id);
        let first = first.unwrap_or_default();
        assert_eq!(again.ok().as_deref(), Some(first.as_str()));
        assert_ne!(other.ok().as_deref(), Some(first.as_str()));
        assert_eq!(fake.charges().len(), 2);
        assert!(fake.refund(&first, "r").await.is_ok());
        assert!(fake.refund(&first, "r").await.is_ok());
        assert_eq!(fake.refunds(), vec![first]);
        assert!(fake.refund("ch_unknown", "r").await.is_err());
    }
}
