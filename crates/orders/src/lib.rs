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

use anyhow::Context as _;
use common::bus::Bus;
use common::config::DatabaseSettings;
use common::rate_limit::WritesPerUser;
use common::server::ServicePart;
use sqlx::PgPool;

/// Where the service's routes live.
pub const API_PREFIX: &str = "/api/orders";

/// The service's name: its metrics' `service` label and its consumers' prefix.
pub const NAME: &str = "orders";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service's OpenAPI document (its `/api/orders` routes).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <routes::ApiDoc as utoipa::OpenApi>::openapi()
}

/// Connects to the service's database (creating it if missing) and migrates it.
pub async fn database(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    common::db::prepare(settings, &MIGRATOR)
        .await
        .with_context(|| format!("preparing the {NAME} database"))
}

/// Connects and migrates the database, connects to NATS, and returns the service ready to run.
pub async fn build(settings: Settings) -> anyhow::Result<ServicePart> {
    let pool = database(&settings.database).await?;
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
    .with_events(&pool, &bus, listeners::all())
    .follow_sign_outs(&bus, &settings.jwt);
    Ok(part)
}
