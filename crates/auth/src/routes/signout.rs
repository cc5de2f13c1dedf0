//! `POST /api/users/signout`: revokes the session in every service and clears the cookie.

use actix_web::{HttpResponse, web};
use common::ApiError;
use common::bus::enqueue;
use common::events::SessionRevoked;
use common::openapi::ErrorBody;
use common::session::{MaybeUser, cleared_session_cookie};
use time::OffsetDateTime;

use super::SignedOut;

use super::State;

/// Sign out: the session is refused by every service from now on, and the cookie cleared.
#[utoipa::path(
    post,
    operation_id = "signOut",
    path = "/api/users/signout",
    tag = "users",
    responses(
        (status = 200, description = "`{}`, the cookie cleared (Max-Age=0); the session is revoked everywhere within a second", body = SignedOut),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    )
)]
#[tracing::instrument(name = "signout", skip_all)]
pub async fn signout(state: web::Data<State>, user: MaybeUser) -> Result<HttpResponse, ApiError> {
    if let Some(claims) = user.0
        && let Some(session) = claims.sid
    {
        let expires_at = OffsetDateTime::from_unix_timestamp(claims.exp)
            .map_err(|e| ApiError::Internal(e.into()))?;
        let revoked = SessionRevoked {
            id: session,
            user_id: claims.id,
            expires_at,
        };
        // The revocation is the state change: it commits with its event, through the outbox.
        let mut tx = state.pool.begin().await?;
        enqueue(&mut tx, &revoked).await?;
        tx.commit().await?;
        // This process refuses it at once; the others when the event reaches them.
        state.keys.revocations().revoke(session, expires_at);
        tracing::info!(user_id = %claims.id, "signed out");
    }
    Ok(HttpResponse::Ok()
        .cookie(cleared_session_cookie(state.cookie_secure))
        .json(SignedOut {}))
}
