//! `POST /api/users/signup`: creates an account and signs it in.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use common::client_address::ClientAddress;
use common::error::on_constraint;
use common::input::Body;
use common::openapi::ErrorBody;
use common::{ApiError, UserId};

use super::State;
use crate::domain::SignUp;
use crate::repo;

pub const EMAIL_IN_USE: &str = "Email in use";

/// Create an account and sign it in.
#[utoipa::path(
    post,
    operation_id = "signUp",
    path = "/api/users/signup",
    tag = "users",
    request_body = super::Credentials,
    responses(
        (status = 201, description = "Signed up; the session cookie is set", body = super::SignedIn),
        (status = 400, description = "Validation failure, \"Email in use\", or a body that is not valid JSON", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 429, description = "Too many sign-ups from this address: try again after `Retry-After` seconds", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody),
        (status = 503, description = "Too many passwords being checked at once: try again after `Retry-After` seconds", body = ErrorBody)
    )
)]
#[tracing::instrument(name = "signup", skip_all, fields(user_id = tracing::field::Empty))]
pub async fn signup(
    state: web::Data<State>,
    client: ClientAddress,
    Body(body): Body<super::Credentials>,
) -> Result<HttpResponse, ApiError> {
    let SignUp { email, password } =
        SignUp::check(body.email, body.password).map_err(ApiError::Validation)?;
    state.limits.signup_per_address.check(&client.0)?;
    let hash = state
        .hasher
        .hash(password)
        .await
        .map_err(super::hashing_failed)?;
    let id = UserId::new();
    repo::insert_user(&state.pool, id, &email, &hash)
        .await
        .map_err(|e| on_constraint(e, repo::EMAIL_TAKEN, ApiError::bad_request(EMAIL_IN_USE)))?;
    tracing::Span::current().record("user_id", tracing::field::display(id));
    tracing::info!("user signed up");
    super::signed_in(&state, StatusCode::CREATED, id, email.as_str())
}
