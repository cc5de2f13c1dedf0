//! The tickets service's route table.

mod create;
mod list;
mod show;
mod update;

use actix_web::middleware::from_fn;
use actix_web::web;
use common::input::Sent;
use common::openapi::{ErrorBody, PriceInput, SessionSchemes};
use common::rate_limit::{self, WritesPerUser};
use common::session::JwtKeys;
use sqlx::PgPool;

use crate::domain::{SaleState, Ticket};

/// The service's OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(create::create, list::list, show::show, update::update),
    components(schemas(ErrorBody, TicketRequest, TicketView, SaleState)),
    modifiers(&SessionSchemes),
    tags((name = "tickets", description = "Tickets for sale (docs/contract.md#ticket-routes)"))
)]
pub struct ApiDoc;

/// A ticket as every route answers it (docs/contract.md#ticket-json), and where it stands for its
/// seller.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Ticket)]
#[serde(rename_all = "camelCase")]
pub struct TicketView {
    pub id: common::TicketId,
    pub title: String,
    pub price: common::Price,
    pub user_id: common::UserId,
    pub version: i64,
    /// The reserving order, or `null` when the ticket is on sale.
    pub order_id: Option<common::OrderId>,
    pub state: SaleState,
    /// When the reserving order's hold ends (RFC 3339, milliseconds, `Z`); `null` unless
    /// reserved.
    #[serde(with = "common::timestamp::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub held_until: Option<time::OffsetDateTime>,
}

impl From<Ticket> for TicketView {
    fn from(ticket: Ticket) -> Self {
        let (state, held_until) = ticket.sale();
        Self {
            id: ticket.id,
            title: ticket.title,
            price: ticket.price,
            user_id: ticket.user_id,
            version: ticket.version,
            order_id: ticket.order_id,
            state,
            held_until,
        }
    }
}

/// The body of `POST` and `PUT`: every field is checked and all failures reported at once.
// Read leniently (`Sent`), then checked by `TicketInput::check`.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TicketRequest {
    /// Non-blank, at most 200 characters; trimmed.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, example = "concert")]
    pub title: Sent<String>,
    #[serde(default)]
    #[schema(value_type = PriceInput, required = true)]
    pub price: Sent<serde_json::Value>,
}

/// What the routes share.
#[derive(Clone)]
pub struct State {
    pub pool: PgPool,
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
            .route("/{id}", web::put().to(update::update)),
    );
}
