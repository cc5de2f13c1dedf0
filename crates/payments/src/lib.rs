//! The payments service: `POST /api/payments` charges a buyer's order through a payment provider
//! and publishes payment.created; a replica of the orders (order.created / order.cancelled)
//! decides what may be paid, and a cancelled order's payment is refunded (payment.refunded).

mod config;
pub mod domain;
pub mod listeners;
pub mod metrics;
pub mod provider;
pub mod repo;
mod routes;
pub mod settle;
pub mod sweeper;

use std::sync::Arc;

use anyhow::Context as _;
use common::bus::Bus;
use common::config::DatabaseSettings;
use common::rate_limit::WritesPerUser;
use common::server::ServicePart;
use sqlx::PgPool;

pub use config::{ProviderSettings, Settings};
pub use provider::{FakeProvider, PaymentProvider, StripeProvider};

/// Where the service's routes live.
pub const API_PREFIX: &str = "/api/payments";
/// The service's name: its metrics' `service` label and its consumers' prefix.
pub const NAME: &str = "payments";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The service's OpenAPI document (its `/api/payments` routes).
pub fn openapi() -> utoipa::openapi::OpenApi {
    <routes::ApiDoc as utoipa::OpenApi>::openapi()
}

/// Connects to the service's database (creating it if missing) and migrates it.
pub async fn database(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    common::db::prepare(settings, &MIGRATOR)
        .await
        .with_context(|| format!("preparing the {NAME} database"))
}

/// Builds the service with the provider its settings name.
pub async fn build(settings: Settings) -> anyhow::Result<ServicePart> {
    let pool = database(&settings.database).await?;
    let provider = provider::from_settings(&settings.provider, &pool).await?;
    assemble(settings, pool, provider).await
}

/// Builds the service with a given provider (tests wrap one to stop it mid-charge).
pub async fn build_with_provider(
    settings: Settings,
    provider: Arc<dyn PaymentProvider>,
) -> anyhow::Result<ServicePart> {
    let pool = database(&settings.database).await?;
    assemble(settings, pool, provider).await
}

async fn assemble(
    settings: Settings,
    pool: PgPool,
    provider: Arc<dyn PaymentProvider>,
) -> anyhow::Result<ServicePart> {
    let bus = Bus::from_settings(&settings.events).await?;
    let state = routes::State {
        pool: pool.clone(),
        provider: provider.clone(),
    };
    let keys = settings.jwt.clone();
    let writes = WritesPerUser::new(settings.writes_per_user);
    let forget = writes.clone();
    metrics::declare();
    let sweeper = sweeper::Sweeper {
        pool: pool.clone(),
        provider: provider.clone(),
        resolve_after: settings.resolve_after,
    };
    let unresolved = pool.clone();
    Ok(ServicePart::new(NAME, move |cfg| {
        routes::configure(cfg, state.clone(), keys.clone(), writes.clone())
    })
    .task(move |cancel| forget.forget_idle_keys(cancel))
    .serves(API_PREFIX)
    .with_events(&pool, &bus, listeners::all(provider))
    .follow_sign_outs(&bus, &settings.jwt)
    .task(move |cancel| sweeper.run(cancel))
    .collect(move || {
        let pool = unresolved.clone();
        async move {
            match repo::unresolved_attempts(&pool).await {
                Ok(n) => metrics::attempts_unresolved(n),
                Err(e) => tracing::debug!(error = %e, "counting unresolved payment attempts"),
            }
        }
    }))
}
