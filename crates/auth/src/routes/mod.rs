//! The route table of the auth service (SPEC §3 auth), and what its handlers share.

mod current_user;
mod signin;
mod signout;
mod signup;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use common::session::session_cookie;
use common::{ApiError, UserId};
use serde_json::{Value, json};

use crate::AppState;

pub fn configure(cfg: &mut web::ServiceConfig, state: AppState) {
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

/// A string field of a JSON body; missing, null or not a string reads as empty, so it fails
/// validation with the field's own message.
fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// The answer to a successful sign-up or sign-in: a new session in the cookie, and the same token
/// in the body for API clients that prefer `Authorization: Bearer`.
fn signed_in(
    state: &AppState,
    status: StatusCode,
    id: UserId,
    email: &str,
) -> Result<HttpResponse, ApiError> {
    let token = state.keys.issue(id, email)?;
    let body = json!({"id": id, "email": email, "token": token});
    Ok(HttpResponse::build(status)
        .cookie(session_cookie(
            token,
            state.cookie_secure,
            state.keys.ttl_seconds(),
        ))
        .json(body))
}
