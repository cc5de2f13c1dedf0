//! The orders service: buyers reserve a ticket for a limited window
//! (docs/contract.md#order-routes); its own replica of tickets follows the tickets service's events
//! (docs/contract.md#events).

mod config;
pub mod domain;
mod lifecycle;
pub mod listeners;
pub mod repo;
mod routes;

pub use config::{DEFAULT_ORDER_EXPIRATION_SECONDS, Settings};

use common::bus::Bus;
use common::rate_limit::WritesPerUser;
use common::server::ServicePart;

/// Where the service's routes live.
pub const API_PREFIX: &str = "/api/orders";

pub const NAME: &str = "orders";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service's OpenAPI document (its `/api/orders` routes).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <routes::ApiDoc as utoipa::OpenApi>::openapi()
}

/// Connects and migrates the database, connects to NATS, and returns the service ready to run.
pub async fn build(settings: Settings) -> anyhow::Result<ServicePart> {
    let pool = common::db::prepare(&settings.database, &MIGRATOR).await?;
    let bus = Bus::from_settings(&settings.events).await?;
    let state = routes::State {
        pool: pool.clone(),
        hold: time::Duration::seconds(settings.order_expiration_seconds.into()),
        holds: settings.holds,
    };
    let keys = settings.jwt.clone();
    let writes = WritesPerUser::new(settings.writes_per_user);
    let forget = writes.clone();
    let part = ServicePart::new(NAME, move |cfg| {
        routes::configure(cfg, state.clone(), keys.clone(), writes.clone())
    })
    .task(move |cancel| forget.forget_idle_keys(cancel))
    .serves(API_PREFIX)
    .with_events(&pool, &bus, listeners::all(&pool))
    .follow_sign_outs(&bus, &settings.jwt);
    Ok(part)
}
