//! `GET /api/orders`: the caller's orders.

use actix_web::{HttpResponse, web};
use common::ApiError;
use common::session::CurrentUser;

use super::State;
use crate::repo;

pub async fn list(user: CurrentUser, state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(repo::list_for_user(&state.pool, user.id()).await?))
}
