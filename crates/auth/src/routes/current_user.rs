//! `GET /api/users/currentuser`: the caller's session claims, or `null` without a valid session.

use actix_web::HttpResponse;
use common::session::MaybeUser;

use super::CurrentUserBody;

/// Who the caller is.
#[utoipa::path(
    get,
    operation_id = "currentUser",
    path = "/api/users/currentuser",
    tag = "users",
    responses(
        (status = 200, description = "The session's claims, or `null`", body = CurrentUserBody),
    ),
    security((), ("session" = []), ("bearer" = []))
)]
#[tracing::instrument(name = "currentuser", skip_all, fields(signed_in = user.0.is_some()))]
pub async fn current_user(user: MaybeUser) -> HttpResponse {
    HttpResponse::Ok().json(CurrentUserBody {
        current_user: user.0.map(Into::into),
    })
}
