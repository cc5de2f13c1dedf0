//! The storefront's kinds of answer: a page, a static asset, a redirect after a form. Their
//! security headers are added to every answer at once (`security::headers`).

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};

/// An HTML page: never cached, it shows who is signed in.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

/// A static asset.
pub fn asset(content_type: &'static str, body: &'static [u8]) -> HttpResponse {
    HttpResponse::build(StatusCode::OK)
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// Post/redirect/get: `303 See Other` to a local path.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::SEE_OTHER)
        .insert_header((header::LOCATION, location))
        .finish()
}
