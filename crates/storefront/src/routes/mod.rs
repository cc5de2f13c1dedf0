//! Every page of the storefront. GET renders; POST (the only way anything changes) is checked
//! for a same-site origin first, calls the API, and redirects (post/redirect/get).

mod assets;
mod auth;
mod cancel;
mod edit;
mod order;
mod orders;
mod pay;
mod purchase;
mod sell;
mod selling;
mod ticket;
mod tickets;

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, http::header, web};

use crate::api::{Api, Caller, Failure, User};
use crate::error::PageError;
use crate::respond::html;
use crate::security;
use crate::views::{Chrome, render};

/// What every handler shares.
pub struct State {
    pub api: Api,
    pub public_origin: Option<String>,
}

pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<State>) {
    // Every path of the storefront, each answer with the security headers; a method a path does
    // not serve gets the 404 page, like an unknown path.
    let path = |path: &str| {
        web::resource(path)
            .wrap(security::headers())
            .default_service(web::to(|| async { crate::error::not_found_page() }))
    };
    let (get, post) = (web::get, web::post);
    cfg.app_data(state)
        .app_data(
            web::FormConfig::default()
                .limit(16 * 1024)
                .error_handler(|_, _| PageError::NotFound.into()),
        )
        .service(path("/").route(get().to(tickets::list)))
        .service(
            path("/tickets/new")
                .route(get().to(sell::form))
                .route(post().to(sell::submit)),
        )
        .service(path("/tickets/{id}").route(get().to(ticket::show)))
        .service(path("/tickets/{id}/purchase").route(post().to(purchase::purchase)))
        .service(
            path("/tickets/{id}/edit")
                .route(get().to(edit::form))
                .route(post().to(edit::submit)),
        )
        .service(path("/orders").route(get().to(orders::list)))
        .service(path("/orders/{id}").route(get().to(order::show)))
        .service(path("/orders/{id}/pay").route(post().to(pay::pay)))
        .service(path("/orders/{id}/cancel").route(post().to(cancel::cancel)))
        .service(path("/selling").route(get().to(selling::list)))
        .service(
            path("/auth/signin")
                .route(get().to(auth::sign_in_form))
                .route(post().to(auth::sign_in)),
        )
        .service(
            path("/auth/signup")
                .route(get().to(auth::sign_up_form))
                .route(post().to(auth::sign_up)),
        )
        .service(path("/auth/signout").route(post().to(auth::sign_out)))
        .service(path("/static/app.css").route(get().to(assets::stylesheet)))
        .service(path("/static/app.js").route(get().to(assets::script)));
}

/// The visitor of a page: their forwarded session, who they are (asked of the API), and where
/// they are (for "sign in and come back").
pub struct Visitor {
    /// The visitor's session and address, for the API calls made on their behalf.
    pub caller: Caller,
    pub user: Option<User>,
    pub here: String,
}

impl Visitor {
    pub fn chrome(&self) -> Chrome {
        Chrome::new(self.user.as_ref(), &self.here)
    }

    /// The signed-in user, or a redirect to sign in and come back to `next`.
    pub fn require(&self, next: &str) -> Result<&User, PageError> {
        self.user.as_ref().ok_or_else(|| PageError::SignIn {
            next: next.to_owned(),
        })
    }

    /// The page for a failed API call made for this visitor.
    pub fn fail(&self, failure: Failure) -> PageError {
        PageError::from_failure(failure, self.user.is_some(), &self.here)
    }
}

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<State>>().cloned();
        let caller = Caller {
            session: req
                .cookie(common::session::COOKIE_NAME)
                .map(|c| c.value().to_owned())
                .filter(|v| !v.is_empty()),
            address: Some(common::client_address::TrustedProxies::client_of_request(
                req,
            )),
        };
        let here = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                PageError::Unavailable(anyhow::anyhow!("web State missing from app data"))
            })?;
            let user = state
                .api
                .current_user(&caller)
                .await
                .map_err(|f| PageError::Unavailable(f.into()))?;
            Ok(Visitor { caller, user, here })
        })
    }
}

/// A page answer.
pub fn page(status: actix_web::http::StatusCode, page: &impl askama::Template) -> HttpResponse {
    html(status, render(page))
}

/// A path id that is not an id is an unknown page.
pub fn parse_id<T: std::str::FromStr>(text: &str) -> Result<T, PageError> {
    text.parse().map_err(|_| PageError::NotFound)
}

/// Relays the `Set-Cookie` headers of an API answer (a new or cleared session) to the browser.
pub fn with_cookies(
    mut response: HttpResponse,
    cookies: &[reqwest::header::HeaderValue],
) -> HttpResponse {
    for cookie in cookies {
        if let Ok(value) = header::HeaderValue::from_bytes(cookie.as_bytes()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Whether an API refusal is shown on the form that asked (a rule refused it, or the visitor
/// must slow down); others are error pages.
pub fn shown_on_the_form(status: u16) -> bool {
    matches!(status, 400 | 429)
}

/// The status a re-rendered form answers with: the API's, for its refusals.
pub fn status_of(status: u16) -> actix_web::http::StatusCode {
    actix_web::http::StatusCode::from_u16(status)
        .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST)
}
