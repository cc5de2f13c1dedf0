//! `GET /api/orders`: the caller's orders.

use actix_web::{HttpResponse, web};
use common::ApiError;
use common::openapi::ErrorBody;
use common::session::CurrentUser;

use super::State;
use crate::repo::{self, OrderView};

/// The caller's orders (every status), oldest first.
#[utoipa::path(
    get,
    operation_id = "listOrders",
    path = "/api/orders",
    tag = "orders",
    responses(
        (status = 200, description = "The caller's orders", body = Vec<crate::repo::OrderView>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn list(user: CurrentUser, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let orders = repo::list_for_user(&state.pool, user.id()).await?;
    Ok(HttpResponse::Ok().json(orders.into_iter().map(OrderView::from).collect::<Vec<_>>()))
}
