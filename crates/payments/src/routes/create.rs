//! `POST /api/payments`: charge the caller's order and record the payment
//! (docs/contract.md#payment-routes).
//!
//! The attempt is committed before the provider is called and its outcome recorded after
//! (`crate::settle`), so no charge is ever left unrecorded: a crash in between is resolved by the
//! sweeper (`crate::sweeper`).

use actix_web::{HttpResponse, web};
use common::ApiError;
use common::metrics;
use common::openapi::ErrorBody;
use common::session::CurrentUser;
use serde_json::Value;
use time::OffsetDateTime;

use crate::AppState;
use crate::domain::order::{ALREADY_PAID, EXPIRED};
use crate::domain::{AttemptState, PaymentRequest, Refusal, idempotency};
use crate::provider::{ChargeError, ChargeRequest};
use crate::repo;
use crate::settle::{SettleError, Settlement, settle};

/// Charge the caller's order through the payment provider; emits payment.created.
#[utoipa::path(
    post,
    operation_id = "createPayment",
    path = "/api/payments",
    tag = "payments",
    request_body = super::PaymentRequest,
    responses(
        (status = 201, description = "The payment", body = super::Payment),
        (status = 400, description = "Validation failure, \"Cannot pay for a cancelled order\", \"Order has already been paid\", \"Order has expired\", or a body that is not valid JSON", body = ErrorBody),
        (status = 401, description = "Not signed in, or not the buyer", body = ErrorBody),
        (status = 402, description = "Payment declined by the provider", body = ErrorBody),
        (status = 404, description = "No such order", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 429, description = "Too many changes by this user: try again after `Retry-After` seconds", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody),
        (status = 502, description = "Payment provider unavailable", body = ErrorBody)
    ),
    security(("session" = []), ("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id(), order_id = tracing::field::Empty))]
pub async fn create(
    user: CurrentUser,
    state: web::Data<AppState>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let request = PaymentRequest::parse(&body).map_err(ApiError::Validation)?;
    tracing::Span::current().record("order_id", tracing::field::display(request.order_id));
    let order = repo::find_order(&state.pool, request.order_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let paid = repo::succeeded_payment(&state.pool, order.id)
        .await?
        .is_some();
    order
        .check_payable(user.id(), paid, OffsetDateTime::now_utc())
        .map_err(refused)?;

    // The intent is committed before the provider is called: a crash after the charge leaves it
    // for the sweeper, never an unrecorded charge.
    let attempt = repo::open_attempt(
        &state.pool,
        order.id,
        order.price.cents(),
        request.token.as_str(),
        &idempotency::charge_key(order.id, &request.token),
    )
    .await?;
    let charge = state
        .provider
        .charge(ChargeRequest {
            amount_cents: attempt.amount_cents,
            source: attempt.source.clone(),
            idempotency_key: attempt.idempotency_key.clone(),
        })
        .await;
    let charge = match charge {
        Ok(charge) => charge,
        Err(ChargeError::Declined(message)) => {
            metrics::payment(crate::NAME, "declined");
            repo::end_attempt(&state.pool, attempt.id, AttemptState::Declined).await?;
            return Err(ApiError::PaymentDeclined(message));
        }
        Err(ChargeError::Unavailable(e)) => {
            // Whether the card was charged is unknown: the attempt stays charging and the
            // sweeper repeats the call with the same key.
            metrics::payment(crate::NAME, "provider_error");
            return Err(ApiError::ProviderUnavailable(e));
        }
    };

    let settled = settle(&state.pool, state.provider.as_ref(), &attempt, &charge)
        .await
        .map_err(|e| match e {
            SettleError::Refund { source, .. } => ApiError::ProviderUnavailable(source),
            SettleError::Database(e) => e.into(),
        })?;
    match settled {
        Settlement::Paid(id) => Ok(HttpResponse::Created().json(super::Payment { id })),
        Settlement::RefundedForCancelledOrder => Err(ApiError::bad_request(EXPIRED)),
        // A concurrent retry of this very request (same key, same charge) recorded it, or
        // another card paid the order first and this charge was given back.
        Settlement::AlreadySettled | Settlement::RefundedAsDuplicate => {
            Err(ApiError::bad_request(ALREADY_PAID))
        }
    }
}

fn refused(refusal: Refusal) -> ApiError {
    match refusal.message() {
        Some(message) => ApiError::bad_request(message),
        None => ApiError::NotAuthorized,
    }
}
