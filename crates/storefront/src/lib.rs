//! The storefront: server-rendered pages for buyers and sellers. It owns no database: every page
//! calls the public HTTP API (docs/contract.md#routes) with the visitor's own `session` cookie, so
//! it can run beside the services (local mode) or as its own deployment.
//!
//! Templates are askama: checked at compile time against their view models and HTML-escaped by
//! default, so a title such as `<script>` is always text.

pub mod api;
mod config;
pub mod error;
pub mod present;
pub mod respond;
pub mod routes;
pub mod security;
pub mod views;

pub use config::Settings;

use actix_web::web;
use common::server::ServicePart;

/// The service's name (`TICKETING_SERVICES`, metric labels, its deployment).
pub const NAME: &str = "web";

/// The API's paths: an unknown one is the API's JSON 404, never this HTML one.
const API_PATHS: &str = "/api";

/// The web part: every page route, and the HTML 404 for unknown paths outside `/api`.
pub async fn build(settings: Settings) -> anyhow::Result<ServicePart> {
    let state = web::Data::new(routes::State {
        api: api::Api::new(settings.api_base_url)?,
        public_origin: settings.public_origin,
    });
    Ok(
        ServicePart::new(NAME, move |cfg| routes::configure(cfg, state.clone()))
            .serves("/")
            .fallback(API_PATHS, |_req| async { error::not_found_page() }),
    )
}
