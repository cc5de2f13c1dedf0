//! `POST /api/users/signin`: checks a password and issues a new session.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use common::ApiError;
use common::client_address::ClientAddress;
use common::input::Body;
use common::openapi::ErrorBody;

use super::State;
use crate::domain::SignIn;
use crate::repo;

/// The one answer for an unknown email and a wrong password alike.
pub const INVALID_CREDENTIALS: &str = "Invalid credentials";

/// Check a password and issue a new session.
#[utoipa::path(
    post,
    operation_id = "signIn",
    path = "/api/users/signin",
    tag = "users",
    request_body = super::Credentials,
    responses(
        (status = 200, description = "Signed in; a new session cookie is set", body = super::SignedIn),
        (status = 400, description = "Validation failure, \"Invalid credentials\", or a body that is not valid JSON", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 429, description = "Too many sign-ins for this account or from this address: try again after `Retry-After` seconds", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody),
        (status = 503, description = "Too many passwords being checked at once: try again after `Retry-After` seconds", body = ErrorBody)
    )
)]
#[tracing::instrument(name = "signin", skip_all, fields(user_id = tracing::field::Empty))]
pub async fn signin(
    state: web::Data<State>,
    client: ClientAddress,
    Body(body): Body<super::Credentials>,
) -> Result<HttpResponse, ApiError> {
    let SignIn { email, password } =
        SignIn::check(body.email, body.password).map_err(ApiError::Validation)?;
    // Before any hashing: a refused guess costs nothing.
    state.limits.signin_per_address.check(&client.0)?;
    state
        .limits
        .signin_per_account
        .check(&email.as_str().to_owned())?;
    let user = repo::find_by_email(&state.pool, &email).await?;
    let (id, stored) = match user {
        Some(user) => (Some(user.id), Some(user.password_hash)),
        None => (None, None),
    };
    // An unknown email is verified against a dummy hash: both failures take the same time.
    let matches = state
        .hasher
        .verify(password, stored)
        .await
        .map_err(super::hashing_failed)?;
    match id {
        Some(id) if matches => {
            tracing::Span::current().record("user_id", tracing::field::display(id));
            tracing::info!("user signed in");
            super::signed_in(&state, StatusCode::OK, id, email.as_str())
        }
        _ => {
            tracing::info!("sign-in refused");
            Err(ApiError::bad_request(INVALID_CREDENTIALS))
        }
    }
}
