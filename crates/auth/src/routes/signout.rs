//! `POST /api/users/signout`: clears the session cookie.

use actix_web::{HttpResponse, web};
use common::session::cleared_session_cookie;

use super::SignedOut;

use crate::AppState;

/// Clear the session cookie.
#[utoipa::path(
    post,
    operation_id = "signOut",
    path = "/api/users/signout",
    tag = "users",
    responses((status = 200, description = "`{}`, the cookie cleared (Max-Age=0)", body = SignedOut))
)]
#[tracing::instrument(name = "signout", skip_all)]
pub async fn signout(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .cookie(cleared_session_cookie(state.cookie_secure))
        .json(SignedOut {})
}
