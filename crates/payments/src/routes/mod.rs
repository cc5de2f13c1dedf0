//! The route table of the payments service.

mod create;

use actix_web::middleware::from_fn;
use actix_web::web;
use common::openapi::{ErrorBody, SessionSchemes};
use common::rate_limit::{self, WritesPerUser};
use common::session::JwtKeys;

use crate::AppState;

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
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
#[expect(
    dead_code,
    reason = "documents the accepted body; the handler reads it as JSON"
)]
pub struct PaymentRequest {
    /// The card token from the provider (`tok_visa` with the fake provider).
    #[schema(min_length = 1, example = "tok_visa")]
    token: String,
    order_id: common::OrderId,
}

/// A recorded payment.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Payment {
    pub id: common::PaymentId,
}

pub fn configure(
    cfg: &mut web::ServiceConfig,
    state: AppState,
    keys: JwtKeys,
    writes: WritesPerUser,
) {
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
