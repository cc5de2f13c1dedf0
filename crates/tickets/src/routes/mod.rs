//! The tickets service's route table.

mod create;
mod list;
mod show;
mod update;

use actix_web::middleware::from_fn;
use actix_web::web;
use common::openapi::{ErrorBody, PriceInput, SessionSchemes};
use common::rate_limit::{self, WritesPerUser};
use common::session::JwtKeys;
use sqlx::PgPool;

/// The service's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create::create, list::list, show::show, update::update),
    components(schemas(ErrorBody, TicketRequest)),
    modifiers(&SessionSchemes),
    tags((name = "tickets", description = "Tickets for sale (SPEC §3 tickets)"))
)]
pub struct ApiDoc;

/// The body of `POST` and `PUT`: every field is checked and all failures reported at once.
#[derive(utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the accepted body; handlers read it as JSON"
)]
pub struct TicketRequest {
    /// Non-blank, at most 200 characters; trimmed.
    #[schema(min_length = 1, max_length = 200, example = "concert")]
    title: String,
    price: PriceInput,
}

pub fn configure(cfg: &mut web::ServiceConfig, pool: PgPool, keys: JwtKeys, writes: WritesPerUser) {
    cfg.service(
        web::scope(crate::API_PREFIX)
            .wrap(from_fn(move |req, next| {
                rate_limit::writes_per_user(writes.clone(), req, next)
            }))
            .app_data(web::Data::new(pool))
            .app_data(web::Data::new(keys))
            .route("", web::post().to(create::create))
            .route("", web::get().to(list::list))
            .route("/{id}", web::get().to(show::show))
            .route("/{id}", web::put().to(update::update)),
    );
}
