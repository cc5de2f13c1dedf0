//! `GET /api/tickets`: the tickets on sale.

use actix_web::{HttpResponse, web};
use common::ApiError;
use sqlx::PgPool;

use crate::repo;

pub async fn list(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(repo::list_free(&pool).await?))
}
