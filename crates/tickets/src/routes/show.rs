//! `GET /api/tickets/:id`: one ticket, reserved or not.

use actix_web::{HttpResponse, web};
use common::{ApiError, TicketId};
use sqlx::PgPool;

use crate::repo;

pub async fn show(
    pool: web::Data<PgPool>,
    id: web::Path<TicketId>,
) -> Result<HttpResponse, ApiError> {
    let ticket = repo::find(&pool, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(ticket))
}
