//! The auth service (docs/contract.md#auth-routes): users sign up, sign in and out, and ask who
//! they are. Sessions are JWTs issued here and checked by every service (`common::session`).
//! Signing out publishes session.revoked, which every service (this one too) applies.

mod config;
pub mod domain;
pub mod hashing;
pub mod repo;
mod routes;

pub use config::Settings;

use anyhow::Context as _;
use common::bus::Bus;
use common::config::DatabaseSettings;
use common::rate_limit::Limiter;
use common::server::ServicePart;
use sqlx::PgPool;

/// Where the service's routes live.
pub const API_PREFIX: &str = "/api/users";
/// The service's name: its metrics' `service` label and its consumers' prefix.
pub const NAME: &str = "auth";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service's OpenAPI document (its `/api/users` routes).
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
    let keys = settings.jwt;
    let state = routes::State {
        pool: pool.clone(),
        keys: keys.clone(),
        hasher: hashing::Hasher::new(settings.hashing).await?,
        cookie_secure: settings.cookie_secure,
        limits: routes::Limits {
            signin_per_account: Limiter::new(settings.limits.signin_per_account),
            signin_per_address: Limiter::new(settings.limits.signin_per_address),
            signup_per_address: Limiter::new(settings.limits.signup_per_address),
        },
    };
    let limits = state.limits.clone();
    let part = ServicePart::new(NAME, move |cfg| routes::configure(cfg, state.clone()))
        .serves(API_PREFIX)
        // Publishes session.revoked; consumes nothing through a shared consumer.
        .with_events(&pool, &bus, [])
        .follow_sign_outs(&bus, &keys)
        .task(move |cancel| async move {
            tokio::join!(
                limits.signin_per_account.forget_idle_keys(cancel.clone()),
                limits.signin_per_address.forget_idle_keys(cancel.clone()),
                limits.signup_per_address.forget_idle_keys(cancel),
            );
        });
    Ok(part)
}
