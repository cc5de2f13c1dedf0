//! The route table of the auth service (docs/contract.md#auth-routes), and what its handlers share.

mod current_user;
mod signin;
mod signout;
mod signup;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use common::input::Sent;
use common::openapi::{ErrorBody, SessionSchemes};
use common::session::{Claims, session_cookie};
use common::{ApiError, UserId};
use serde::Serialize;

use std::net::IpAddr;

use common::rate_limit::Limiter;
use common::session::JwtKeys;
use sqlx::PgPool;

use crate::hashing::Hasher;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct State {
    pub pool: PgPool,
    pub keys: JwtKeys,
    pub hasher: Hasher,
    pub cookie_secure: bool,
    pub limits: Limits,
}

/// The throttles of sign-in and sign-up.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Keyed by the normalised email: a brute force on one account, from anywhere.
    pub signin_per_account: Limiter<String>,
    pub signin_per_address: Limiter<IpAddr>,
    pub signup_per_address: Limiter<IpAddr>,
}

/// The service's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(signup::signup, signin::signin, signout::signout, current_user::current_user),
    components(schemas(ErrorBody, Credentials)),
    modifiers(&SessionSchemes),
    tags((name = "users", description = "Accounts and sessions (docs/contract.md#auth-routes)"))
)]
pub struct ApiDoc;

/// The body of sign-up and sign-in. Sign-up wants a password of 4 to 20 characters, sign-in a
/// non-empty one; every failing field is reported at once.
// Both fields are required in the schema although serde lets them be absent: an absent one is
// reported as a failing field (`SignUp::check`, `SignIn::check`), not as an unreadable body.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    #[serde(default)]
    #[schema(
        required = true,
        value_type = String,
        format = Email,
        example = "buyer@example.com"
    )]
    pub email: Sent<String>,
    #[serde(default)]
    #[schema(
        required = true,
        value_type = String,
        min_length = 1,
        max_length = 20,
        example = "secret"
    )]
    pub password: Sent<String>,
}

/// Neither field: the password must never reach a log, and the address is personal data.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

/// A signed-in user; `token` is the session for `Authorization: Bearer`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub id: UserId,
    pub email: String,
    pub token: String,
}

/// The caller's session, or `null` without a valid one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CurrentUserBody {
    pub current_user: Option<SessionClaims>,
}

/// A session's claims as clients see them (the session id stays inside the token).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionClaims {
    pub id: UserId,
    pub email: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

impl From<Claims> for SessionClaims {
    fn from(claims: Claims) -> Self {
        Self {
            id: claims.id,
            email: claims.email,
            iat: claims.iat,
            exp: claims.exp,
        }
    }
}

/// The empty object answered by sign-out.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedOut {}

pub fn configure(cfg: &mut web::ServiceConfig, state: State) {
    cfg.service(
        web::scope(crate::API_PREFIX)
            .app_data(web::Data::new(state.keys.clone()))
            .app_data(web::Data::new(state))
            .route("/signup", web::post().to(signup::signup))
            .route("/signin", web::post().to(signin::signin))
            .route("/signout", web::post().to(signout::signout))
            .route("/currentuser", web::get().to(current_user::current_user)),
    );
}

/// A saturated hasher is a 503 the client may retry in a second; anything else is unexpected.
fn hashing_failed(e: crate::hashing::HashingError) -> ApiError {
    match e {
        crate::hashing::HashingError::Saturated(saturated) => ApiError::Unavailable {
            retry_after: 1,
            cause: saturated.to_string(),
        },
        crate::hashing::HashingError::Failed(e) => ApiError::Internal(e),
    }
}

/// The answer to a successful sign-up or sign-in: a new session in the cookie, and the same token
/// in the body for API clients that prefer `Authorization: Bearer`.
fn signed_in(
    state: &State,
    status: StatusCode,
    id: UserId,
    email: &str,
) -> Result<HttpResponse, ApiError> {
    let token = state.keys.issue(id, email)?;
    let body = SignedIn {
        id,
        email: email.to_owned(),
        token: token.clone(),
    };
    Ok(HttpResponse::build(status)
        .cookie(session_cookie(
            token,
            state.cookie_secure,
            state.keys.ttl_seconds(),
        ))
        .json(body))
}
