//! The system under test: each service a child process on its own loopback port and its own fresh
//! database, all on one events namespace; so the harness can `kill -9` one and read its RSS.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sqlx::PgPool;
use tokio::process::{Child, Command};

use crate::cli::{Launch, Options};
use common::testing::NatsServer;

/// Which NATS the system uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nats {
    /// The machine's (`NATS_URL`, else 127.0.0.1:4222).
    Shared,
    /// One private server the scenario may kill.
    Private,
    /// Three private servers in one JetStream cluster, the stream kept on all three.
    Cluster,
}

/// What a scenario needs started.
pub struct Config {
    pub services: Vec<&'static str>,
    pub hold_seconds: u32,
    pub nats: Nats,
    /// Start one service after the other, so each start-up time is its own (footprint);
    /// otherwise all start at once.
    pub one_by_one: bool,
}

/// The services every scenario drives (auth is not needed: sessions are signed JWTs).
pub fn core() -> Vec<&'static str> {
    ticketing::services::evented()
}

/// Every service that owns a database.
pub fn all() -> Vec<&'static str> {
    ticketing::services::with_database()
}
/// The storefront: no database of its own; its API is the tickets service (anonymous visitors
/// browsing and searching need nothing else), which must be started before it.
pub const STOREFRONT: &str = ticketing::services::STOREFRONT;

fn has_database(service: &str) -> bool {
    ticketing::services::service(service).is_some_and(|s| s.database)
}

struct Proc {
    child: Child,
    port: u16,
}

pub struct System {
    pub base: String,
    pub namespace: String,
    pub jwt_key: String,
    pub nats_url: String,
    pub nats: Option<NatsServer>,
    /// The servers of a cluster (`Nats::Cluster`).
    pub cluster: Vec<NatsServer>,
    stream_replicas: usize,
    /// spawn → first 200 from `/readyz`, per service, at the first start (fresh database).
    pub first_ready: BTreeMap<&'static str, Duration>,
    procs: BTreeMap<&'static str, Proc>,
    pools: BTreeMap<&'static str, PgPool>,
    options: Options,
    hold_seconds: u32,
    http: reqwest::Client,
}

pub use common::testing::free_port;

impl System {
    pub async fn start(options: &Options, config: Config) -> anyhow::Result<Self> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let nats = match config.nats {
            Nats::Private => Some(tokio::task::spawn_blocking(NatsServer::start).await?),
            Nats::Shared | Nats::Cluster => None,
        };
        let cluster = match config.nats {
            Nats::Cluster => tokio::task::spawn_blocking(|| NatsServer::cluster(3)).await?,
            Nats::Shared | Nats::Private => Vec::new(),
        };
        let nats_url = if cluster.is_empty() {
            nats.as_ref().map(NatsServer::url).unwrap_or_else(|| {
                std::env::var("NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
            })
        } else {
            cluster
                .iter()
                .map(NatsServer::url)
                .collect::<Vec<_>>()
                .join(",")
        };
        std::fs::create_dir_all(options.out_dir.join("logs"))?;
        let mut system = Self {
            base: format!("loadgen_{}", &id[..12]),
            namespace: format!("loadgen_{}", &id[..12]),
            jwt_key: format!("loadgen-{id}-{}", uuid::Uuid::new_v4().simple()),
            nats_url,
            nats,
            stream_replicas: cluster.len().max(1),
            cluster,
            first_ready: BTreeMap::new(),
            procs: BTreeMap::new(),
            pools: BTreeMap::new(),
            options: options.clone(),
            hold_seconds: config.hold_seconds,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .build()?,
        };
        if config.one_by_one {
            for service in &config.services {
                let took = system.spawn(service, free_port()).await?;
                system.first_ready.insert(service, took);
            }
        } else {
            let started = Instant::now();
            for service in &config.services {
                system.launch(service, free_port())?;
            }
            for service in &config.services {
                system.wait_ready(service, Duration::from_secs(60)).await?;
                system.first_ready.insert(service, started.elapsed());
            }
        }
        for service in config.services.iter().filter(|s| has_database(s)) {
            let pool = observer_pool(&system.database_url(service)).await?;
            system.pools.insert(service, pool);
        }
        Ok(system)
    }

    pub fn database_name(&self, service: &str) -> String {
        format!("{}_{service}", self.base)
    }

    pub fn database_url(&self, service: &str) -> String {
        format!(
            "{}/{}",
            self.options.database_url,
            self.database_name(service)
        )
    }

    pub fn url(&self, service: &str) -> String {
        let port = self.procs.get(service).map(|p| p.port).unwrap_or(1);
        format!("http://127.0.0.1:{port}")
    }

    /// A small pool onto a service's own database (invariant checks).
    pub fn pool(&self, service: &str) -> anyhow::Result<&PgPool> {
        self.pools
            .get(service)
            .with_context(|| format!("{service} is not running in this scenario"))
    }

    pub fn services(&self) -> Vec<&'static str> {
        self.procs.keys().copied().collect()
    }

    /// Starts `service` on `port` and waits for `/readyz`; returns spawn → ready.
    async fn spawn(&mut self, service: &'static str, port: u16) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let log_path = self.launch(service, port)?;
        self.wait_ready(service, Duration::from_secs(60))
            .await
            .with_context(|| format!("{service} (log: {})", log_path.display()))?;
        Ok(started.elapsed())
    }

    /// Spawns `service` on `port`, its output appended to its log file (returned).
    fn launch(&mut self, service: &'static str, port: u16) -> anyhow::Result<PathBuf> {
        let log_path = self
            .options
            .out_dir
            .join("logs")
            .join(format!("{}-{service}.log", self.base));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)?;
        let mut command = match &self.options.launch {
            Launch::Binaries(dir) => {
                let mut c = Command::new(dir.join(service));
                c.env("DATABASE_URL", self.database_url(service));
                c
            }
            Launch::SelfServe(exe) => {
                let mut c = Command::new(exe);
                c.arg("serve").env("TICKETING_SERVICES", service).env(
                    "DATABASE_URL",
                    format!("{}/{}", self.options.database_url, self.base),
                );
                c
            }
        };
        command
            .env("PORT", port.to_string())
            // Every service of the system on its own internal metrics port too.
            .env("METRICS_PORT", free_port().to_string())
            .env("NATS_URL", &self.nats_url)
            .env("NATS_STREAM_REPLICAS", self.stream_replicas.to_string())
            .env("EVENTS_NAMESPACE", &self.namespace)
            .env("JWT_KEY", &self.jwt_key)
            .env("ORDER_EXPIRATION_SECONDS", self.hold_seconds.to_string())
            .env("DATABASE_POOL_SIZE", self.options.pool.to_string())
            .env("HTTP_WORKERS", "2")
            .env("PAYMENTS_PROVIDER", "fake")
            // The harness's buyers each hold many tickets and race for freed ones: the original
            // app's rules, so the figures measure the system rather than its anti-hoarding limits.
            .env("MAX_HOLDS_PER_BUYER", "off")
            .env("RATE_LIMITS", "off")
            .env("REORDER_COOLDOWN_SECONDS", "0")
            .env("COOKIE_SECURE", "false")
            .env("LOG_FORMAT", "json")
            .env("API_BASE_URL", self.url("tickets"))
            .env(
                "RUST_LOG",
                std::env::var("LOADGEN_RUST_LOG").unwrap_or("warn".into()),
            )
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {service}"))?;
        self.procs.insert(service, Proc { child, port });
        Ok(log_path)
    }

    /// Polls `/readyz` every 5 ms until it answers 200.
    pub async fn wait_ready(&mut self, service: &str, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        let url = format!("{}/readyz", self.url(service));
        loop {
            if let Ok(response) = self.http.get(&url).send().await
                && response.status() == 200
            {
                return Ok(());
            }
            if let Some(proc) = self.procs.get_mut(service)
                && let Ok(Some(status)) = proc.child.try_wait()
            {
                bail!("{service} exited during start-up: {status}");
            }
            if Instant::now() > deadline {
                bail!("{service} not ready after {limit:?}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// `kill -9`, and wait until the process is gone.
    pub async fn kill9(&mut self, service: &str) -> anyhow::Result<()> {
        let proc = self
            .procs
            .get_mut(service)
            .with_context(|| format!("{service} is not running"))?;
        proc.child.start_kill()?;
        proc.child.wait().await?;
        Ok(())
    }

    /// Starts `service` again on its port and database; returns spawn → ready.
    pub async fn restart(&mut self, service: &'static str) -> anyhow::Result<Duration> {
        let port = self
            .procs
            .get(service)
            .map(|p| p.port)
            .with_context(|| format!("{service} was never started"))?;
        self.kill9(service).await?;
        self.spawn(service, port).await
    }

    /// Resident set size of the service's process, from `/proc/<pid>/status` (KiB).
    pub fn rss_kib(&self, service: &str) -> Option<u64> {
        rss_kib_of(self.pid(service)?)
    }

    /// The process id of a running service.
    pub fn pid(&self, service: &str) -> Option<u32> {
        self.procs.get(service)?.child.id()
    }

    /// `VACUUM ANALYZE` every service database (autovacuum is off on this server).
    pub async fn vacuum(&self) -> anyhow::Result<()> {
        for pool in self.pools.values() {
            sqlx::query("VACUUM ANALYZE").execute(pool).await?;
        }
        Ok(())
    }

    /// Kills the processes and drops the databases (unless `--keep`).
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let names: Vec<&'static str> = self.procs.keys().copied().collect();
        for name in &names {
            let _ = self.kill9(name).await;
        }
        for (_, pool) in std::mem::take(&mut self.pools) {
            pool.close().await;
        }
        // Dropping a private NATS server kills it and removes its store.
        drop(self.nats.take());
        self.cluster.clear();
        if !self.options.keep {
            let names: Vec<String> = names
                .iter()
                .filter(|s| has_database(s))
                .map(|s| self.database_name(s))
                .collect();
            drop_databases(&self.options.database_url, &names).await?;
        }
        Ok(())
    }
}

/// The harness's own connections to a service's database, for its watchers and checks. Unlike a
/// service's pool it waits for a connection as long as it takes: an overloaded Postgres is what
/// a scenario measures, not a reason for the harness to give up.
async fn observer_pool(url: &str) -> anyhow::Result<sqlx::PgPool> {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(3)
        .acquire_timeout(Duration::from_secs(60))
        .connect(url)
        .await
        .with_context(|| format!("connecting the harness to {url}"))
}

pub async fn drop_databases(server: &str, names: &[String]) -> anyhow::Result<()> {
    use sqlx::Connection as _;
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres")).await?;
    for name in names {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            name.replace('"', "\"\"")
        )))
        .execute(&mut admin)
        .await?;
    }
    Ok(())
}

/// Where services' logs and results go.
pub fn out_file(options: &Options, scenario: &str) -> PathBuf {
    options.out_dir.join(format!("{scenario}.json"))
}

/// A process's resident set size, from `/proc`.
pub fn rss_kib_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}
