//! `POST /api/payments`: charge the caller's order and record the payment
//! (docs/contract.md#payment-routes).
//!
//! The attempt is committed before the provider is called and its outcome recorded after
//! (`crate::settle`), so no charge is ever left unrecorded: a crash in between is resolved by the
//! sweeper (`crate::sweeper`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use common::ApiError;
use common::input::Body;
use common::openapi::ErrorBody;
use common::session::CurrentUser;
use time::OffsetDateTime;

use super::State;
use crate::domain::order::{ALREADY_PAID, EXPIRED};
use crate::domain::{AttemptState, PaymentInput, Refusal, idempotency};
use crate::provider::{ChargeError, ChargeRequest};
use crate::settle::{SettleError, Settlement, settle};
use crate::{metrics, repo};

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
    state: web::Data<State>,
    Body(body): Body<super::PaymentRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = PaymentInput::check(body.token, body.order_id).map_err(ApiError::Validation)?;
    tracing::Span::current().record("order_id", tracing::field::display(input.order_id));
    let order = repo::find_order(&state.pool, input.order_id)
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
        input.token.as_str(),
        &idempotency::charge_key(order.id, &input.token),
    )
    .await?;
    let charge = state.provider.charge(ChargeRequest::from(&attempt)).await;
    let charge = match charge {
        Ok(charge) => charge,
        Err(ChargeError::Declined(message)) => {
            metrics::payment("declined");
            repo::end_attempt(&state.pool, attempt.id, AttemptState::Declined).await?;
            return Err(ApiError::with_status(StatusCode::PAYMENT_REQUIRED, message));
        }
        Err(ChargeError::Unavailable(e)) => {
            // Whether the card was charged is unknown: the attempt stays charging and the
            // sweeper repeats the call with the same key.
            metrics::payment("provider_error");
            return Err(provider_unavailable(e));
        }
    };

    let settled = settle(&state.pool, state.provider.as_ref(), &attempt, &charge)
        .await
        .map_err(|e| match e {
            SettleError::Refund { source, .. } => provider_unavailable(source),
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

/// The provider unreachable, timing out or failing: a 502 whose cause goes to the log.
fn provider_unavailable(cause: anyhow::Error) -> ApiError {
    ApiError::with_status_caused_by(
        StatusCode::BAD_GATEWAY,
        "Payment provider unavailable",
        cause,
    )
}
