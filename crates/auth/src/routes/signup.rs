//! `POST /api/users/signup`: creates an account and signs it in.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use common::client_address::ClientAddress;
use common::error::on_constraint;
use common::openapi::ErrorBody;
use common::{ApiError, FieldError, UserId};
use serde_json::Value;

use crate::AppState;
use crate::domain::{Email, Password};
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
    state: web::Data<AppState>,
    client: ClientAddress,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let (email, password) = validate(&body)?;
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

fn validate(body: &Value) -> Result<(Email, Password), ApiError> {
    let email = Email::parse_new(super::text(body, "email"))
        .map_err(|e| FieldError::new("email", e.message()));
    let password = Password::for_signup(super::text(body, "password"))
        .map_err(|e| FieldError::new("password", e.message()));
    match (email, password) {
        (Ok(email), Ok(password)) => Ok((email, password)),
        (email, password) => Err(ApiError::Validation(
            [email.err(), password.err()]
                .into_iter()
                .flatten()
                .collect(),
        )),
    }
}
