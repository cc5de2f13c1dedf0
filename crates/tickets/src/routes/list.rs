//! `GET /api/tickets`: the tickets on sale.

use actix_web::{HttpResponse, web};
use common::ApiError;
use common::openapi::ErrorBody;
use sqlx::PgPool;

use crate::repo;

/// The tickets on sale (not reserved), oldest first.
#[utoipa::path(
    get,
    operation_id = "listTickets",
    path = "/api/tickets",
    tag = "tickets",
    responses(
        (status = 200, description = "Tickets on sale", body = Vec<crate::repo::Ticket>),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    )
)]
pub async fn list(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(repo::list_free(&pool).await?))
}
