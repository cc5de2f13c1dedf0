//! The storefront: server-rendered pages for buyers and sellers. It owns no database: every page
//! calls the public HTTP API (docs/contract.md#routes) with the visitor's own `session` cookie, so
//! it can run beside the services (local mode) or as its own deployment.
//!
//! Templates are askama: checked at compile time against their view models and HTML-escaped by
//! default, so a title such as `<script>` is always text.

pub mod api;
pub mod config;
pub mod domain;
pub mod error;
pub mod routes;
pub mod security;
pub mod views;

pub use config::Settings;

use actix_web::web;
use common::server::ServicePart;

/// The web part: every page route, and the HTML 404 for unknown paths outside `/api`.
pub async fn build(settings: Settings) -> anyhow::Result<ServicePart> {
    let state = web::Data::new(routes::State {
        api: api::Api::new(settings.api_base_url)?,
        public_origin: settings.public_origin,
    });
    Ok(
        ServicePart::new("web", move |cfg| routes::configure(cfg, state.clone()))
            .serves("/")
            .fallback(|_req| async { error::not_found_page() }),
    )
}
