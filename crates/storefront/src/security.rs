//! What every page answer carries (CSP and friends), and the cross-site form check.
//!
//! Cross-site posts are refused by checking `Origin` (else `Referer`) against the request's own
//! host, or against `WEB_PUBLIC_ORIGIN` when it is set: a post without either header, or from
//! another origin, is answered 403 and changes nothing. The session cookie is also `SameSite=Lax`.

use std::future::{Ready, ready};

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};

use crate::error::PageError;
use crate::routes::State;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";

/// The headers every answer of the storefront carries: its pages load nothing from elsewhere,
/// run no inline script, and cannot be framed.
pub const HEADERS: [(header::HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "same-origin"),
];

/// Adds [`HEADERS`] to every answer of the routes it wraps.
pub fn headers() -> DefaultHeaders {
    HEADERS
        .iter()
        .fold(DefaultHeaders::new(), |headers, (name, value)| {
            headers.add((name.clone(), *value))
        })
}

/// Adds [`HEADERS`] to an answer made outside those routes (the 404 page).
pub fn secure(mut response: HttpResponse) -> HttpResponse {
    for (name, value) in &HEADERS {
        response
            .headers_mut()
            .insert(name.clone(), header::HeaderValue::from_static(value));
    }
    response
}

/// "This form was posted from this site": the first extractor of every POST handler.
pub struct SameOrigin;

impl FromRequest for SameOrigin {
    type Error = PageError;
    type Future = Ready<Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let public = req
            .app_data::<web::Data<State>>()
            .and_then(|s| s.public_origin.clone());
        let host = req.connection_info().host().to_owned();
        let verdict = is_same_origin(
            header_text(req, header::ORIGIN).as_deref(),
            header_text(req, header::REFERER).as_deref(),
            public.as_deref(),
            &host,
        );
        if !verdict {
            tracing::warn!(
                origin = header_text(req, header::ORIGIN),
                referer = header_text(req, header::REFERER),
                host,
                "refused a cross-site form post"
            );
        }
        ready(if verdict {
            Ok(SameOrigin)
        } else {
            Err(PageError::CrossSite)
        })
    }
}

fn header_text(req: &HttpRequest, name: header::HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Whether a post with these headers comes from this site. `Origin` decides when present
/// (`null` is foreign); else `Referer`; with neither, the post is refused.
pub fn is_same_origin(
    origin: Option<&str>,
    referer: Option<&str>,
    public_origin: Option<&str>,
    host: &str,
) -> bool {
    let source = match (origin, referer) {
        (Some(origin), _) => origin_of(origin),
        (None, Some(referer)) => origin_of(referer),
        (None, None) => None,
    };
    let Some((scheme, authority)) = source else {
        return false;
    };
    match public_origin {
        Some(public) => origin_of(public) == Some((scheme, authority)),
        None => authority.eq_ignore_ascii_case(host),
    }
}

/// `("https", "shop.example.com:8443")` from an origin or URL.
fn origin_of(url: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && (scheme == "http" || scheme == "https"))
        .then_some((scheme, authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_posts_from_this_site_pass() {
        let host = "localhost:3000";
        let cases = [
            (
                Some("http://localhost:3000"),
                None,
                None,
                true,
                "same origin",
            ),
            (
                None,
                Some("http://localhost:3000/tickets/new"),
                None,
                true,
                "same-origin referer",
            ),
            (
                Some("http://evil.example"),
                None,
                None,
                false,
                "another site",
            ),
            (
                Some("http://localhost:3001"),
                None,
                None,
                false,
                "another port",
            ),
            (
                Some("null"),
                Some("http://localhost:3000/"),
                None,
                false,
                "opaque origin wins",
            ),
            (
                None,
                Some("http://evil.example/localhost:3000"),
                None,
                false,
                "foreign referer",
            ),
            (None, None, None, false, "no origin at all"),
            (
                Some("https://shop.example.com"),
                None,
                Some("https://shop.example.com"),
                true,
                "the configured public origin",
            ),
            (
                Some("http://shop.example.com"),
                None,
                Some("https://shop.example.com"),
                false,
                "the public origin's scheme counts",
            ),
            (
                Some("http://localhost:3000"),
                None,
                Some("https://shop.example.com"),
                false,
                "the public origin replaces the host check",
            ),
        ];
        for (origin, referer, public, expected, case) in cases {
            assert_eq!(
                is_same_origin(origin, referer, public, host),
                expected,
                "{case}"
            );
        }
    }
}
