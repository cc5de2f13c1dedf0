//! The expiration service (docs/contract.md#lifecycle-and-invariants): order.created schedules an
//! order's expiration at its `expiresAt`; order.cancelled and payment.created remove it; the
//! sweeper announces due ones with expiration.complete, through the outbox. It serves only
//! `/healthz` and `/readyz`.

mod config;
pub mod domain;
pub mod listeners;
pub mod metrics;
pub mod repo;
pub mod sweeper;

use std::sync::Arc;

use anyhow::Context as _;
use common::bus::Bus;
use common::config::DatabaseSettings;
use common::server::ServicePart;
use sqlx::PgPool;

/// The service's name: its metrics' `service` label and its consumers' prefix.
pub const NAME: &str = "expiration";

pub use config::Settings;
use sweeper::{Sweeper, Wakeup};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to the service's database (creating it if missing) and migrates it.
pub async fn database(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    common::db::prepare(settings, &MIGRATOR)
        .await
        .with_context(|| format!("preparing the {NAME} database"))
}

/// Builds the service: no routes of its own, the outbox relay, three listeners and the sweeper.
pub async fn build(settings: Settings) -> anyhow::Result<ServicePart> {
    let pool = database(&settings.database).await?;
    let bus = Bus::from_settings(&settings.events).await?;
    let wakeup = Arc::new(Wakeup::default());
    let sweeper = Sweeper::new(pool.clone(), wakeup.clone());
    let pending = pool.clone();
    let part = ServicePart::new(NAME, |_| {})
        .with_events(&pool, &bus, listeners::all(&wakeup))
        .task(move |cancel| sweeper.run(cancel))
        .collect(move || {
            let pool = pending.clone();
            async move {
                match repo::pending(&pool).await {
                    Ok(n) => metrics::pending(n),
                    Err(e) => tracing::debug!(error = %e, "counting pending expirations"),
                }
            }
        });
    Ok(part)
}
