//! `GET /api/orders/:id`: one of the caller's orders.

use actix_web::{HttpResponse, web};
use common::openapi::ErrorBody;
use common::session::CurrentUser;
use common::{ApiError, OrderId};

use super::{OrderView, State};
use crate::repo;

/// One of the caller's orders.
#[utoipa::path(
    get,
    operation_id = "showOrder",
    path = "/api/orders/{id}",
    tag = "orders",
    params(("id" = common::OrderId, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = super::OrderView),
        (status = 401, description = "Not signed in, or not the buyer", body = ErrorBody),
        (status = 404, description = "No such order, or a malformed id", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn show(
    user: CurrentUser,
    state: web::Data<State>,
    id: web::Path<OrderId>,
) -> Result<HttpResponse, ApiError> {
    let order = repo::find(&state.pool, *id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if order.user_id != user.id() {
        return Err(ApiError::NotAuthorized);
    }
    Ok(HttpResponse::Ok().json(OrderView::from(order)))
}
