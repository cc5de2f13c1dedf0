//! Stripe's HTTP API: `POST /v1/charges` and `POST /v1/refunds`, form-encoded, with the secret
//! key as a bearer token and an `Idempotency-Key` on every call.

use std::time::Duration;

use anyhow::Context as _;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{CURRENCY, Charge, ChargeError, ChargeRequest, PaymentProvider};

/// How long one call to Stripe may take before it counts as unavailable.
pub const TIMEOUT: Duration = Duration::from_secs(10);

pub struct StripeProvider {
    http: reqwest::Client,
    base: String,
    key: SecretString,
}

impl std::fmt::Debug for StripeProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeProvider")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct ChargeBody {
    id: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: StripeError,
}

#[derive(Deserialize)]
struct StripeError {
    message: Option<String>,
    code: Option<String>,
}

impl StripeProvider {
    /// A client for the API at `base` (`https://api.stripe.com`, or a mock in tests).
    pub fn new(base: &str, key: SecretString) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .build()
            .context("building the Stripe HTTP client")?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            key,
        })
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
        idempotency_key: &str,
    ) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(self.key.expose_secret())
            .header("Idempotency-Key", idempotency_key)
            .form(form)
            .send()
            .await
    }
}

/// Stripe's error message from an error body, if there is one.
async fn error_of(response: reqwest::Response) -> (StatusCode, Option<StripeError>) {
    let status = response.status();
    let body = response.json::<ErrorBody>().await.ok().map(|b| b.error);
    (status, body)
}

#[async_trait::async_trait]
impl PaymentProvider for StripeProvider {
    #[tracing::instrument(skip_all, fields(amount_cents = request.amount_cents))]
    async fn charge(&self, request: ChargeRequest) -> Result<Charge, ChargeError> {
        let amount = request.amount_cents.to_string();
        let form = [
            ("amount", amount.as_str()),
            ("currency", CURRENCY),
            ("source", request.source.as_str()),
        ];
        let response = self
            .post("/v1/charges", &form, &request.idempotency_key)
            .await
            .map_err(|e| {
                ChargeError::Unavailable(anyhow::Error::new(e).context("POST /v1/charges"))
            })?;
        let status = response.status();
        if status.is_success() {
            let body: ChargeBody = response.json().await.map_err(|e| {
                ChargeError::Unavailable(anyhow::Error::new(e).context("reading a Stripe charge"))
            })?;
            return Ok(Charge { id: body.id });
        }
        let (status, error) = error_of(response).await;
        match (status, error) {
            // Card errors (402) and invalid requests such as a bad token (400) are refusals.
            (StatusCode::PAYMENT_REQUIRED | StatusCode::BAD_REQUEST, Some(e)) => {
                Err(ChargeError::Declined(
                    e.message
                        .unwrap_or_else(|| "Your card was declined.".to_owned()),
                ))
            }
            (status, error) => Err(ChargeError::Unavailable(anyhow::anyhow!(
                "Stripe answered {status} to a charge: {}",
                error.and_then(|e| e.message).unwrap_or_default()
            ))),
        }
    }

    #[tracing::instrument(skip_all, fields(charge_id = %charge_id))]
    async fn refund(&self, charge_id: &str, idempotency_key: &str) -> anyhow::Result<()> {
        let response = self
            .post("/v1/refunds", &[("charge", charge_id)], idempotency_key)
            .await
            .context("POST /v1/refunds")?;
        if response.status().is_success() {
            return Ok(());
        }
        let (status, error) = error_of(response).await;
        match error {
            Some(e) if e.code.as_deref() == Some("charge_already_refunded") => Ok(()),
            error => Err(anyhow::anyhow!(
                "Stripe answered {status} to the refund of {charge_id}: {}",
                error.and_then(|e| e.message).unwrap_or_default()
            )),
        }
    }
}
