//! `POST /api/payments`: charge the caller's order and record the payment (SPEC §3 payments).
//!
//! The charge happens outside any transaction; recording it locks the order row, so a payment
//! racing a cancellation ends either paid (and the cancellation then refunds it) or cancelled
//! with the charge refunded here — never cancelled with the money kept.

use actix_web::{HttpResponse, web};
use anyhow::Context as _;
use common::bus::enqueue;
use common::error::violated_constraint;
use common::events::{OrderStatus, PaymentCreated, PaymentRefunded};
use common::metrics;
use common::openapi::ErrorBody;
use common::session::CurrentUser;
use common::{ApiError, OrderId, PaymentId};
use serde_json::Value;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::AppState;
use crate::domain::order::{ALREADY_PAID, EXPIRED};
use crate::domain::{PaymentRequest, PaymentStatus, Refusal, idempotency};
use crate::provider::{Charge, ChargeError, ChargeRequest};
use crate::repo;

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

    let charge = state
        .provider
        .charge(ChargeRequest {
            amount_cents: order.price.cents(),
            source: request.token.as_str().to_owned(),
            idempotency_key: idempotency::charge_key(order.id, &request.token),
        })
        .await
        .map_err(|e| match e {
            ChargeError::Declined(message) => {
                metrics::payment(crate::NAME, "declined");
                ApiError::PaymentDeclined(message)
            }
            ChargeError::Unavailable(e) => {
                metrics::payment(crate::NAME, "provider_error");
                ApiError::ProviderUnavailable(e)
            }
        })?;

    match record(&state.pool, order.id, &charge).await? {
        Recorded::Paid(id) => {
            metrics::payment(crate::NAME, "succeeded");
            tracing::info!(payment_id = %id, stripe_id = %charge.id, "payment recorded");
            Ok(HttpResponse::Created().json(super::Payment { id }))
        }
        Recorded::OrderCancelled => {
            tracing::warn!(stripe_id = %charge.id, "order cancelled while charging; refunding");
            give_back(&state, order.id, &charge).await?;
            Err(ApiError::bad_request(EXPIRED))
        }
        Recorded::AlreadyPaid { kept } if kept.as_deref() == Some(charge.id.as_str()) => {
            // A concurrent retry of this very request (same key, same charge) recorded it.
            Err(ApiError::bad_request(ALREADY_PAID))
        }
        Recorded::AlreadyPaid { .. } => {
            tracing::warn!(stripe_id = %charge.id, "order paid concurrently; refunding");
            give_back(&state, order.id, &charge).await?;
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

enum Recorded {
    Paid(PaymentId),
    /// The order was cancelled while the card was being charged: nothing was recorded.
    OrderCancelled,
    /// Another payment of the order was recorded first (`kept` is its charge).
    AlreadyPaid {
        kept: Option<String>,
    },
}

/// Records the payment and its payment.created event, with the order row locked.
async fn record(pool: &PgPool, order_id: OrderId, charge: &Charge) -> Result<Recorded, ApiError> {
    let mut tx = pool.begin().await?;
    let order = repo::lock_order(&mut *tx, order_id)
        .await?
        .context("the replica order disappeared while charging")?;
    if order.status == OrderStatus::Cancelled {
        tx.rollback().await?;
        return Ok(Recorded::OrderCancelled);
    }
    let id = PaymentId::new();
    let inserted =
        repo::insert_payment(&mut *tx, id, order_id, &charge.id, PaymentStatus::Succeeded).await;
    match inserted {
        Err(e) if violated_constraint(&e) == Some(repo::ONE_SUCCEEDED_PER_ORDER) => {
            tx.rollback().await?;
            let kept = repo::succeeded_payment(pool, order_id).await?;
            return Ok(Recorded::AlreadyPaid {
                kept: kept.map(|p| p.stripe_id),
            });
        }
        other => other?,
    }
    enqueue(
        &mut tx,
        &PaymentCreated {
            id,
            order_id,
            stripe_id: charge.id.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Recorded::Paid(id))
}

/// Refunds a charge the order cannot keep, then records it as a refunded payment and publishes
/// payment.refunded. If the refund fails the client gets a 502 and the charge id is logged.
async fn give_back(state: &AppState, order_id: OrderId, charge: &Charge) -> Result<(), ApiError> {
    state
        .provider
        .refund(&charge.id, &idempotency::refund_key(&charge.id))
        .await
        .map_err(|e| {
            tracing::error!(stripe_id = %charge.id, order_id = %order_id, error = format!("{e:#}"),
                "could not refund a charge of an order that cannot keep it");
            ApiError::ProviderUnavailable(e)
        })?;
    metrics::refund(crate::NAME);
    let id = PaymentId::new();
    let mut tx = state.pool.begin().await?;
    repo::insert_payment(&mut *tx, id, order_id, &charge.id, PaymentStatus::Refunded).await?;
    enqueue(
        &mut tx,
        &PaymentRefunded {
            id,
            order_id,
            stripe_id: charge.id.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
