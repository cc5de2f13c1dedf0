//! The orders service's route table.

mod cancel;
mod create;
mod list;
mod show;
mod view;

use actix_web::middleware::from_fn;
use actix_web::web;
use common::input::Sent;
use common::openapi::{ErrorBody, SessionSchemes};
use common::rate_limit::{self, WritesPerUser};
use common::session::JwtKeys;
use sqlx::PgPool;

use view::OrderView;

/// What the order routes share.
#[derive(Clone)]
pub struct State {
    pub pool: PgPool,
    /// How long an order holds its ticket (`ORDER_EXPIRATION_SECONDS`).
    pub hold: time::Duration,
    /// The cap on a buyer's unpaid orders and the re-order cooldown.
    pub holds: crate::domain::HoldRules,
}

/// The service's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create::create, list::list, show::show, cancel::cancel),
    components(schemas(ErrorBody, OrderRequest)),
    modifiers(&SessionSchemes),
    tags((name = "orders", description = "Orders holding a ticket until paid (docs/contract.md#order-routes)"))
)]
pub struct ApiDoc;

/// The body of `POST /api/orders`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderRequest {
    // Read leniently (`NewOrder::check` reports a missing or malformed id), yet documented as
    // the required id it must be.
    #[serde(default)]
    #[schema(value_type = common::TicketId, required = true)]
    pub ticket_id: Sent<String>,
}

pub fn configure(cfg: &mut web::ServiceConfig, state: State, keys: JwtKeys, writes: WritesPerUser) {
    cfg.service(
        web::scope(crate::API_PREFIX)
            .wrap(from_fn(move |req, next| {
                rate_limit::writes_per_user(writes.clone(), req, next)
            }))
            .app_data(web::Data::new(state))
            .app_data(web::Data::new(keys))
            .route("", web::post().to(create::create))
            .route("", web::get().to(list::list))
            .route("/{id}", web::get().to(show::show))
            .route("/{id}", web::delete().to(cancel::cancel)),
    );
}
