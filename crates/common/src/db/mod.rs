//! Database plumbing every service shares: pools, creating a database, migrations, and the gate
//! that fails requests fast while the database is down.

mod gate;

pub use gate::DatabaseGate;

use std::time::Duration;

use anyhow::Context as _;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

/// The outbox table, part of every service's schema.
static COMMON_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// How long a request waits for a pooled connection before it is answered 503: long enough for a
/// busy pool, short enough that a dead database is reported at once.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// Planner settings of every service connection. Each query the services make is an index
/// lookup or an index range, and must stay one at any size. Statistics taken while a table was
/// empty (a new database, a VACUUM ANALYZE before the first sale, autovacuum off) make a seq scan
/// cost nothing, and the prepared statement's cached plan keeps it while the table grows: every
/// order then read every earlier order, twice. Without seq scans the planner takes the index
/// whatever the statistics say; a query with no index to use still scans.
const PLANNER: [(&str, &str); 1] = [("enable_seqscan", "off")];

/// Connects a pool of at most `max_connections`, creating the database first if it is missing.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url.parse().context("parsing the database URL")?;
    create_database_if_missing(&options).await?;
    let options = options.options(PLANNER);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options.clone())
        .await
        .with_context(|| format!("connecting to database {:?}", options.get_database()))
}

/// Creates the database named in `options` unless it exists (racing creators are fine).
pub async fn create_database_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    let mut admin = options
        .clone()
        .database("postgres")
        .connect()
        .await
        .context("connecting to the postgres database to create the service's database")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let quoted = name.replace('"', "\"\"");
        match sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{quoted}\"")))
            .execute(&mut admin)
            .await
        {
            Ok(_) => tracing::info!(database = %name, "created database"),
            // 42P04 duplicate_database: another process created it first.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e).with_context(|| format!("creating database {name}")),
        }
    }
    admin.close().await.ok();
    Ok(())
}

/// A service's database, ready: connected (created if missing) and migrated.
pub async fn prepare(
    settings: &crate::config::DatabaseSettings,
    service: &Migrator,
) -> anyhow::Result<PgPool> {
    let pool = connect(&settings.url, settings.pool_size).await?;
    migrate(&pool, service).await?;
    Ok(pool)
}

/// Runs the shared migrations (the outbox) and the service's own, as one ordered set.
pub async fn migrate(pool: &PgPool, service: &Migrator) -> anyhow::Result<()> {
    let migrations = COMMON_MIGRATOR
        .iter()
        .chain(service.iter())
        .cloned()
        .collect();
    Migrator::with_migrations(migrations)
        .run(pool)
        .await
        .context("running database migrations")
}
