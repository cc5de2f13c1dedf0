//! `/static/app.css` and `/static/app.js`, embedded in the binary.

use actix_web::HttpResponse;

use crate::respond::asset;

pub const STYLESHEET: &str = include_str!("../../static/app.css");
pub const SCRIPT: &str = include_str!("../../static/app.js");

pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET.as_bytes())
}

pub async fn script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", SCRIPT.as_bytes())
}
