//! The auth service (docs/contract.md#auth-routes): users sign up, sign in and out, and ask who
//! they are. Sessions are JWTs issued here and checked by every service (`common::session`).
//! Signing out publishes session.revoked, which every service (this one too) applies.

pub mod config;
pub mod domain;
pub mod hashing;
pub mod repo;
pub mod routes;

use anyhow::Context as _;
use common::bus::Bus;
use common::server::ServicePart;
use common::session::JwtKeys;
use std::net::IpAddr;

use common::rate_limit::Limiter;
use sqlx::PgPool;

pub use config::Settings;

/// Where the service's routes live.
pub const API_PREFIX: &str = "/api/users";

/// The service's own migrations (the users table), run after common's.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub pool: PgPool,
    pub keys: JwtKeys,
    pub hasher: hashing::Hasher,
    pub cookie_secure: bool,
    pub limits: Limits,
}

/// The throttles of sign-in and sign-up.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Keyed by the normalised email: a brute force on one account, from anywhere.
    pub signin_per_account: Limiter<String>,
    pub signin_per_address: Limiter<IpAddr>,
    pub signup_per_address: Limiter<IpAddr>,
}

/// The service's OpenAPI document (its `/api/users` routes).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <routes::ApiDoc as utoipa::OpenApi>::openapi()
}

/// Connects and migrates the database, connects to NATS, then returns the service ready to be
/// started.
pub async fn build(settings: Settings) -> anyhow::Result<ServicePart> {
    let pool = common::db::prepare(&settings.database, &MIGRATOR)
        .await
        .context("preparing the auth database")?;
    let bus = Bus::from_settings(&settings.events).await?;
    let keys = settings.jwt;
    let state = AppState {
        pool: pool.clone(),
        keys: keys.clone(),
        hasher: hashing::Hasher::new(settings.hashing).await?,
        cookie_secure: settings.cookie_secure,
        limits: Limits {
            signin_per_account: Limiter::new(settings.limits.signin_per_account),
            signin_per_address: Limiter::new(settings.limits.signin_per_address),
            signup_per_address: Limiter::new(settings.limits.signup_per_address),
        },
    };
    let limits = state.limits.clone();
    Ok(
        ServicePart::new("auth", move |cfg| routes::configure(cfg, state.clone()))
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
            }),
    )
}
