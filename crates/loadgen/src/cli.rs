//! Command line: `loadgen <scenario> [--smoke] [--name value]...`, without a parser dependency.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context as _, bail};

pub const SCENARIOS: &[&str] = &[
    "order-rush",
    "replication-lag",
    "flash-sale",
    "expiry",
    "faults",
    "nats-cluster",
    "footprint",
    "sign-in-storm",
    "marketplace",
];

pub const USAGE: &str = "\
usage: loadgen <scenario> [--smoke] [--flag value]...
scenarios: order-rush (includes the pgbench db-limit baseline), replication-lag, flash-sale,
           expiry, faults, nats-cluster, footprint, sign-in-storm, marketplace, all
common flags:
  --smoke              tiny counts (CI: every scenario in well under a minute)
  --bin-dir DIR        run the release service binaries from DIR (default: next to loadgen)
  --self-serve         run each service as `loadgen serve` (this binary) instead
  --out DIR            where <scenario>.json and service logs go (default: target/loadgen[/smoke])
  --database-url URL   the Postgres server (default postgres://postgres@127.0.0.1:5432)
  --pool N             DATABASE_POOL_SIZE of each service (default 8)
  --keep               keep the databases afterwards
scenario flags (defaults in docs/performance.md):
  order-rush:      --tickets --buyers --paced-seconds --pgbench-seconds
  replication-lag: --rate --seconds --tickets
  flash-sale:      --tickets --buyers --concurrency
  expiry:          --orders --hold
  faults:          --rate --phase
  nats-cluster:    --rate --phase
  footprint:       --tickets --buyers
  sign-in-storm:   --seconds --timing-samples
  marketplace:     --listings --samples --visitors";

/// How the services are started.
#[derive(Debug, Clone)]
pub enum Launch {
    /// `<dir>/<service>` binaries, each on its own database.
    Binaries(PathBuf),
    /// `<loadgen> serve` with `TICKETING_SERVICES=<service>`.
    SelfServe(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Options {
    pub scenario: String,
    pub smoke: bool,
    pub keep: bool,
    pub launch: Launch,
    pub out_dir: PathBuf,
    pub database_url: String,
    pub pool: u32,
    flags: HashMap<String, String>,
}

impl Options {
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let Some(scenario) = args.first() else {
            bail!("no scenario given");
        };
        if scenario != "all" && !SCENARIOS.contains(&scenario.as_str()) {
            bail!("unknown scenario {scenario:?}");
        }
        let mut flags = HashMap::new();
        let mut switches = Vec::new();
        let mut rest = args[1..].iter();
        while let Some(arg) = rest.next() {
            let name = arg
                .strip_prefix("--")
                .with_context(|| format!("unexpected argument {arg:?}"))?;
            if matches!(name, "smoke" | "self-serve" | "keep") {
                switches.push(name.to_owned());
                continue;
            }
            let value = rest
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            flags.insert(name.to_owned(), value.clone());
        }
        let smoke = switches.iter().any(|s| s == "smoke");
        let exe = std::env::current_exe().context("locating the loadgen binary")?;
        let exe_dir = exe.parent().map(PathBuf::from).unwrap_or_default();
        let launch = if switches.iter().any(|s| s == "self-serve") {
            Launch::SelfServe(exe.clone())
        } else {
            let dir = flags
                .get("bin-dir")
                .map(PathBuf::from)
                .unwrap_or_else(|| exe_dir.clone());
            if !dir.join("orders").is_file() {
                bail!(
                    "no service binaries in {} (build them: cargo build --release -p tickets -p orders \
                     -p expiration -p payments -p auth -p web; or pass --bin-dir or --self-serve)",
                    dir.display()
                );
            }
            Launch::Binaries(dir)
        };
        // target/<profile>/loadgen → target/loadgen
        let default_out = exe_dir
            .parent()
            .map(|target| target.join("loadgen"))
            .unwrap_or_else(|| PathBuf::from("target/loadgen"));
        let mut out_dir = flags.get("out").map(PathBuf::from).unwrap_or(default_out);
        if smoke && !flags.contains_key("out") {
            out_dir = out_dir.join("smoke");
        }
        let database_url = flags
            .get("database-url")
            .cloned()
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".to_owned());
        let mut options = Self {
            scenario: scenario.clone(),
            smoke,
            keep: switches.iter().any(|s| s == "keep"),
            launch,
            out_dir,
            database_url: database_url.trim_end_matches('/').to_owned(),
            pool: 8,
            flags,
        };
        options.pool = options.number("pool", 8, 8)? as u32;
        Ok(options)
    }

    /// A numeric flag: its value, else `full` (or `smoke` in smoke mode).
    pub fn number(&self, name: &str, full: u64, smoke: u64) -> anyhow::Result<u64> {
        match self.flags.get(name) {
            Some(v) => v
                .parse()
                .with_context(|| format!("--{name} wants a number, got {v:?}")),
            None => Ok(if self.smoke { smoke } else { full }),
        }
    }
}
