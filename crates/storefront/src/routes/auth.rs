//! `/auth/signin`, `/auth/signup` (forms), `POST /auth/signout`. The API's session cookie is
//! relayed to the browser as is; after signing in the visitor returns to `next`.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{State, Visitor, page, shown_on_the_form, status_of, with_cookies};
use crate::api::{Answer, Failure, User};
use crate::error::PageError;
use crate::present::errors::FormErrors;
use crate::present::next::safe_next;
use crate::respond::see_other;
use crate::security::SameOrigin;
use crate::views::AuthPage;

#[derive(Deserialize)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn sign_in_form(visitor: Visitor, query: web::Query<Next>) -> HttpResponse {
    let next = safe_next(query.next.as_deref());
    if visitor.user.is_some() {
        return see_other(&next);
    }
    page(StatusCode::OK, &AuthPage::sign_in(visitor.chrome(), &next))
}

#[tracing::instrument(skip_all)]
pub async fn sign_up_form(visitor: Visitor, query: web::Query<Next>) -> HttpResponse {
    let next = safe_next(query.next.as_deref());
    if visitor.user.is_some() {
        return see_other(&next);
    }
    page(StatusCode::OK, &AuthPage::sign_up(visitor.chrome(), &next))
}

#[tracing::instrument(skip_all)]
pub async fn sign_in(
    _: SameOrigin,
    visitor: Visitor,
    state: web::Data<State>,
    form: web::Form<Credentials>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(form.next.as_deref());
    let answer = state
        .api
        .sign_in(&visitor.caller, form.email.trim(), &form.password)
        .await;
    finish(answer, &next, &form.email, || {
        AuthPage::sign_in(visitor.chrome(), &next)
    })
}

#[tracing::instrument(skip_all)]
pub async fn sign_up(
    _: SameOrigin,
    visitor: Visitor,
    state: web::Data<State>,
    form: web::Form<Credentials>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(form.next.as_deref());
    let answer = state
        .api
        .sign_up(&visitor.caller, form.email.trim(), &form.password)
        .await;
    finish(answer, &next, &form.email, || {
        AuthPage::sign_up(visitor.chrome(), &next)
    })
}

/// Signed in: the session cookie and a redirect to `next`. Refused: the form with the messages.
fn finish(
    answer: Result<Answer<User>, Failure>,
    next: &str,
    email: &str,
    form: impl FnOnce() -> AuthPage,
) -> Result<HttpResponse, PageError> {
    match answer {
        Ok(answer) => Ok(with_cookies(see_other(next), &answer.set_cookies)),
        Err(Failure::Refused { status, messages }) if shown_on_the_form(status) => {
            let errors = FormErrors::from_api(&messages, &["email", "password"]);
            Ok(page(status_of(status), &form().retry(email, errors)))
        }
        Err(failure) => Err(PageError::from_failure(failure, false, "/")),
    }
}

#[tracing::instrument(skip_all)]
pub async fn sign_out(
    _: SameOrigin,
    visitor: Visitor,
    state: web::Data<State>,
) -> Result<HttpResponse, PageError> {
    let answer = state
        .api
        .sign_out(&visitor.caller)
        .await
        .map_err(|f| visitor.fail(f))?;
    Ok(with_cookies(see_other("/"), &answer.set_cookies))
}
