//! `GET /api/users/currentuser`: the caller's session claims, or `null` without a valid session.

use actix_web::HttpResponse;
use common::session::MaybeUser;
use serde_json::json;

#[tracing::instrument(name = "currentuser", skip_all, fields(signed_in = user.0.is_some()))]
pub async fn current_user(user: MaybeUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "currentUser": user.0 }))
}
