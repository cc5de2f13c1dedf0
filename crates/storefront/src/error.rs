//! What a page answers when it cannot show what was asked: an HTML page, never a stack trace.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::api::Failure;
use crate::respond::{html, see_other};
use crate::views::{Chrome, MessagePage, render};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    /// Signed out where a session is needed: sign in, then come back to `next`.
    #[error("sign-in required")]
    SignIn { next: String },
    /// Signed in, but the API says this belongs to someone else.
    #[error("not the owner")]
    NotYours,
    #[error("cross-site form post")]
    CrossSite,
    /// The API is unreachable, failed, or answered something unexpected.
    #[error("the API is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
}

impl PageError {
    /// The page for a failed API call made on behalf of a visitor at `here`.
    pub fn from_failure(failure: Failure, signed_in: bool, here: &str) -> Self {
        match failure.status() {
            Some(404) => Self::NotFound,
            Some(401) if signed_in => Self::NotYours,
            Some(401) => Self::SignIn {
                next: here.to_owned(),
            },
            _ => Self::Unavailable(failure.into()),
        }
    }
}

impl From<Failure> for PageError {
    fn from(failure: Failure) -> Self {
        Self::from_failure(failure, false, "/")
    }
}

/// The HTML 404 page (also the server's answer to unknown paths outside `/api`).
pub fn not_found_page() -> HttpResponse {
    crate::security::secure(PageError::NotFound.error_response())
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::NotYours | Self::CrossSite => StatusCode::FORBIDDEN,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (heading, message) = match self {
            Self::SignIn { next } => {
                return see_other(&crate::present::next::sign_in_href(next));
            }
            Self::NotFound => (
                "Page not found",
                "We could not find that page. The ticket or order may have been removed, or the link may be mistyped.",
            ),
            Self::NotYours => (
                "Not your page",
                "This belongs to another account. Sign in with the account that owns it.",
            ),
            Self::CrossSite => (
                "Request refused",
                "This form was sent from another site, so nothing was changed. Please use the form on this site.",
            ),
            Self::Unavailable(e) => {
                tracing::error!(error = format!("{e:#}"), "the API failed a page");
                (
                    "We'll be right back",
                    "The marketplace is not responding right now. Nothing was charged. Please try again in a minute.",
                )
            }
        };
        let page = MessagePage {
            chrome: Chrome::new(None, "/"),
            heading: heading.to_owned(),
            message: message.to_owned(),
        };
        html(self.status_code(), render(&page))
    }
}
