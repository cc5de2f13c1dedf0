//! The tickets service: sellers list and edit tickets (docs/contract.md#ticket-routes);
//! reservations follow the orders service's events (docs/contract.md#lifecycle-and-invariants).

pub mod domain;
pub mod listeners;
pub mod repo;
mod routes;

use common::bus::Bus;
use common::config::{
    ConfigError, DatabaseSettings, EventsSettings, Source, jwt_keys, writes_per_user,
};
use common::rate_limit::{Rate, WritesPerUser};
use common::server::ServicePart;
use common::session::JwtKeys;

/// Where the service's routes live.
pub const API_PREFIX: &str = "/api/tickets";

pub const NAME: &str = "tickets";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub events: EventsSettings,
    pub jwt: JwtKeys,
    /// `RATE_LIMIT_WRITES_PER_USER`; `None` with `RATE_LIMITS=off`.
    pub writes_per_user: Option<Rate>,
}

impl Settings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseSettings::from_source(src)?,
            events: EventsSettings::from_source(src)?,
            jwt: jwt_keys(src)?,
            writes_per_user: writes_per_user(src)?,
        })
    }
}

/// The service's OpenAPI document (its `/api/tickets` routes).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <routes::ApiDoc as utoipa::OpenApi>::openapi()
}

/// Connects and migrates the database, connects to NATS, and returns the service ready to run.
pub async fn build(settings: Settings) -> anyhow::Result<ServicePart> {
    let pool = common::db::prepare(&settings.database, &MIGRATOR).await?;
    let bus = Bus::from_settings(&settings.events).await?;
    let (routes_pool, keys) = (pool.clone(), settings.jwt.clone());
    let writes = WritesPerUser::new(settings.writes_per_user);
    let forget = writes.clone();
    let part = ServicePart::new(NAME, move |cfg| {
        routes::configure(cfg, routes_pool.clone(), keys.clone(), writes.clone())
    })
    .task(move |cancel| forget.forget_idle_keys(cancel))
    .serves(API_PREFIX)
    .with_events(&pool, &bus, listeners::all(&pool))
    .follow_sign_outs(&bus, &settings.jwt);
    Ok(part)
}
