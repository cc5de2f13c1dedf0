//! `POST /api/users/signout`: clears the session cookie.

use actix_web::{HttpResponse, web};
use common::session::cleared_session_cookie;
use serde_json::json;

use crate::AppState;

#[tracing::instrument(name = "signout", skip_all)]
pub async fn signout(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .cookie(cleared_session_cookie(state.cookie_secure))
        .json(json!({}))
}
