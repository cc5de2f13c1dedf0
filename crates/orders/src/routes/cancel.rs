//! `DELETE /api/orders/:id`: the buyer cancels, releasing the ticket.

use actix_web::{HttpResponse, web};
use common::session::CurrentUser;
use common::{ApiError, OrderId};

use super::State;
use crate::domain::{Cancellation, cancellation};
use crate::lifecycle::cancel_order;
use crate::repo;

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
            cancel_order(&mut tx, order.id).await?;
            tx.commit().await?;
        }
    }
    Ok(HttpResponse::NoContent().finish())
}
