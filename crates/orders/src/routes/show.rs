//! `GET /api/orders/:id`: one of the caller's orders.

use actix_web::{HttpResponse, web};
use common::session::CurrentUser;
use common::{ApiError, OrderId};

use super::State;
use crate::repo;

pub async fn show(
    user: CurrentUser,
    state: web::Data<State>,
    id: web::Path<OrderId>,
) -> Result<HttpResponse, ApiError> {
    let order = repo::view(&state.pool, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if order.user_id != user.id() {
        return Err(ApiError::NotAuthorized);
    }
    Ok(HttpResponse::Ok().json(order))
}
