//! The route table of the payments service.

mod create;

use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::web;
use common::input::Sent;
use common::openapi::{ErrorBody, SessionSchemes};
use common::rate_limit::{self, WritesPerUser};
use common::session::JwtKeys;
use sqlx::PgPool;

use crate::provider::PaymentProvider;

/// What every handler shares.
#[derive(Clone)]
pub struct State {
    pub pool: PgPool,
    pub provider: Arc<dyn PaymentProvider>,
}

/// The service's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create::create),
    components(schemas(ErrorBody, PaymentRequest, Payment)),
    modifiers(&SessionSchemes),
    tags((name = "payments", description = "Paying an order (docs/contract.md#payment-routes)"))
)]
pub struct ApiDoc;

/// The body of `POST /api/payments`.
// Read leniently (`Sent`) and checked by `PaymentInput::check`, so every failing field is
// reported at once; `required` keeps the schema saying what the check demands.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRequest {
    /// The card token from the provider (`tok_visa` with the fake provider).
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, example = "tok_visa")]
    pub token: Sent<String>,
    #[serde(default)]
    #[schema(value_type = common::OrderId, required = true)]
    pub order_id: Sent<String>,
}

/// A recorded payment.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Payment {
    pub id: common::PaymentId,
}

pub fn configure(cfg: &mut web::ServiceConfig, state: State, keys: JwtKeys, writes: WritesPerUser) {
    cfg.service(
        web::scope(crate::API_PREFIX)
            .wrap(from_fn(move |req, next| {
                rate_limit::writes_per_user(writes.clone(), req, next)
            }))
            .app_data(web::Data::new(keys))
            .app_data(web::Data::new(state))
            .route("", web::post().to(create::create)),
    );
}
