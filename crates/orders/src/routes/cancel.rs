//! `DELETE /api/orders/:id`: the buyer cancels, releasing the ticket.

use actix_web::{HttpResponse, web};
use common::openapi::ErrorBody;
use common::session::CurrentUser;
use common::{ApiError, OrderId};

use super::State;
use crate::domain::{CancelReason, Cancellation, cancellation};
use crate::lifecycle::cancel_order;
use crate::repo;

/// The buyer cancels; emits order.cancelled (an already cancelled order is a no-op).
#[utoipa::path(
    delete,
    operation_id = "cancelOrder",
    path = "/api/orders/{id}",
    tag = "orders",
    params(("id" = common::OrderId, Path, description = "The order's id")),
    responses(
        (status = 204, description = "Cancelled; empty body"),
        (status = 400, description = "\"Cannot cancel a completed order\"", body = ErrorBody),
        (status = 401, description = "Not signed in, or not the buyer", body = ErrorBody),
        (status = 404, description = "No such order, or a malformed id", body = ErrorBody),
        (status = 429, description = "Too many changes by this user: try again after `Retry-After` seconds", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    ),
    security(("session" = []), ("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %user.id(), order = %id))]
pub async fn cancel(
    user: CurrentUser,
    state: web::Data<State>,
    id: web::Path<OrderId>,
) -> Result<HttpResponse, ApiError> {
    let mut tx = state.pool.begin().await?;
    let order = repo::lock_order(&mut tx, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if order.user_id != user.id() {
        return Err(ApiError::NotAuthorized);
    }
    match cancellation(order.status) {
        Cancellation::Refused(message) => return Err(ApiError::bad_request(message)),
        Cancellation::AlreadyCancelled => {}
        Cancellation::Cancel => {
            cancel_order(&mut tx, order.id, CancelReason::Buyer).await?;
            tx.commit().await?;
        }
    }
    Ok(HttpResponse::NoContent().finish())
}
