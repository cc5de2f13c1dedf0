//! Command line: `loadgen [common flags] <scenario> [its flags]`, one subcommand per scenario
//! with typed flags (clap); an unknown flag is an error, not silently ignored. Each scenario flag
//! left unset takes its full-size default, or its smoke default with `--smoke`.

use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Load and fault harness: starts the services, drives them, checks the invariants",
    after_help = "Defaults and what each scenario measures: docs/performance.md"
)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags of every scenario (before or after its name).
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Tiny counts (CI: every scenario in well under a minute).
    #[arg(long, global = true)]
    pub smoke: bool,
    /// Run the release service binaries from this directory (default: next to loadgen).
    #[arg(long, global = true)]
    pub bin_dir: Option<PathBuf>,
    /// Run each service as `loadgen serve` (this binary) instead.
    #[arg(long, global = true)]
    pub self_serve: bool,
    /// Where <scenario>.json and the services' logs go (default: target/loadgen[/smoke]).
    #[arg(long, global = true)]
    pub out: Option<PathBuf>,
    /// The Postgres server.
    #[arg(
        long,
        global = true,
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    pub database_url: String,
    /// DATABASE_POOL_SIZE of each service.
    #[arg(long, global = true, default_value_t = 8)]
    pub pool: u32,
    /// Keep the databases afterwards.
    #[arg(long, global = true)]
    pub keep: bool,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Every scenario, each with its default flags.
    All,
    #[command(flatten)]
    Scenario(Scenario),
    /// Runs the services named by TICKETING_SERVICES in this process (what --self-serve starts).
    #[command(hide = true)]
    Serve,
    /// Prints every scenario's name, one per line.
    #[command(hide = true)]
    Scenarios,
}

/// The scenarios: this enum is their one list.
#[derive(Debug, Clone, Subcommand)]
pub enum Scenario {
    /// Orders/s of a closed loop of buyers against the pgbench limit of the same SQL, then an
    /// open loop at half that limit.
    OrderRush(OrderRush),
    /// Lag from a ticket's update to the orders replica, at a fixed rate.
    ReplicationLag(ReplicationLag),
    /// Many buyers racing for few tickets: time to sell out, zero oversells.
    FlashSale(FlashSale),
    /// How late each expiration fires after its order's hold ends.
    Expiry(Expiry),
    /// NATS, orders and tickets killed under load: errors and time to recover.
    Faults(Faults),
    /// The stream's leader of a three-server JetStream cluster killed under load.
    NatsCluster(Faults),
    /// Start-up time and memory of each service.
    Footprint(Footprint),
    /// The memory an attacker can make auth spend with concurrent sign-ins.
    SignInStorm(SignInStorm),
    /// Browsing and searching 100,000 listings, and 200 concurrent home-page visitors.
    Marketplace(Marketplace),
}

impl Scenario {
    /// Every scenario, each with its default flags (for `loadgen all`).
    pub fn every() -> Vec<Self> {
        vec![
            Self::OrderRush(OrderRush::default()),
            Self::ReplicationLag(ReplicationLag::default()),
            Self::FlashSale(FlashSale::default()),
            Self::Expiry(Expiry::default()),
            Self::Faults(Faults::default()),
            Self::NatsCluster(Faults::default()),
            Self::Footprint(Footprint::default()),
            Self::SignInStorm(SignInStorm::default()),
            Self::Marketplace(Marketplace::default()),
        ]
    }

    /// Its name on the command line and in reports.
    pub fn name(&self) -> &'static str {
        match self {
            Self::OrderRush(_) => "order-rush",
            Self::ReplicationLag(_) => "replication-lag",
            Self::FlashSale(_) => "flash-sale",
            Self::Expiry(_) => "expiry",
            Self::Faults(_) => "faults",
            Self::NatsCluster(_) => "nats-cluster",
            Self::Footprint(_) => "footprint",
            Self::SignInStorm(_) => "sign-in-storm",
            Self::Marketplace(_) => "marketplace",
        }
    }
}

#[derive(Debug, Clone, Default, Args)]
pub struct OrderRush {
    /// Tickets, each ordered once [3000; smoke 60].
    #[arg(long)]
    pub tickets: Option<usize>,
    /// Concurrent buyers of the closed loop [32; smoke 8].
    #[arg(long)]
    pub buyers: Option<usize>,
    /// Length of the open-loop phase [3; smoke 1].
    #[arg(long)]
    pub paced_seconds: Option<u64>,
    /// Length of each pgbench run [5; smoke 1].
    #[arg(long)]
    pub pgbench_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct ReplicationLag {
    /// Updates per second [500; smoke 50].
    #[arg(long)]
    pub rate: Option<u64>,
    /// For how long [3; smoke 1].
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Over how many tickets [100; smoke 10].
    #[arg(long)]
    pub tickets: Option<usize>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct FlashSale {
    /// Tickets on sale [1000; smoke 20].
    #[arg(long)]
    pub tickets: Option<usize>,
    /// Distinct buyers [10000; smoke 200].
    #[arg(long)]
    pub buyers: Option<usize>,
    /// Requests in flight [64; smoke 16].
    #[arg(long)]
    pub concurrency: Option<usize>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct Expiry {
    /// Orders to let expire [1000; smoke 20].
    #[arg(long)]
    pub orders: Option<usize>,
    /// Their hold, in seconds [3; smoke 2].
    #[arg(long)]
    pub hold: Option<u32>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct Faults {
    /// Requests per second of the steady load [100; smoke 20].
    #[arg(long)]
    pub rate: Option<u64>,
    /// Seconds of each phase (before, during and after a fault) [3; smoke 1].
    #[arg(long)]
    pub phase: Option<u64>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct Footprint {
    /// Tickets of the order rush before the second memory reading [2000; smoke 40].
    #[arg(long)]
    pub tickets: Option<usize>,
    /// Its buyers [32; smoke 8].
    #[arg(long)]
    pub buyers: Option<usize>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct SignInStorm {
    /// Length of each wave [10; smoke 1].
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Sign-ins timed one at a time, per kind [40; smoke 5].
    #[arg(long)]
    pub timing_samples: Option<usize>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct Marketplace {
    /// Listings written to the tickets database [100000; smoke 2000].
    #[arg(long)]
    pub listings: Option<usize>,
    /// Requests timed one at a time, per page [200; smoke 20].
    #[arg(long)]
    pub samples: Option<usize>,
    /// Concurrent home-page visitors [200; smoke 20].
    #[arg(long)]
    pub visitors: Option<usize>,
}

/// How the services are started.
#[derive(Debug, Clone)]
pub enum Launch {
    /// `<dir>/<service>` binaries, each on its own database.
    Binaries(PathBuf),
    /// `<loadgen> serve` with `TICKETING_SERVICES=<service>`.
    SelfServe(PathBuf),
}

/// What every scenario runs with, resolved from the common flags.
#[derive(Debug, Clone)]
pub struct Options {
    pub smoke: bool,
    pub keep: bool,
    pub launch: Launch,
    pub out_dir: PathBuf,
    pub database_url: String,
    pub pool: u32,
}

impl Options {
    pub fn resolve(args: &CommonArgs) -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let exe_dir = exe.parent().map(PathBuf::from).unwrap_or_default();
        let launch = if args.self_serve {
            Launch::SelfServe(exe.clone())
        } else {
            let dir = args.bin_dir.clone().unwrap_or_else(|| exe_dir.clone());
            if !dir.join("orders").is_file() {
                bail!(
                    "no service binaries in {} (build them: cargo build --release -p tickets -p orders \
                     -p expiration -p payments -p auth -p storefront; or pass --bin-dir or --self-serve)",
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
        let out_dir = match &args.out {
            Some(out) => out.clone(),
            None if args.smoke => default_out.join("smoke"),
            None => default_out,
        };
        Ok(Self {
            smoke: args.smoke,
            keep: args.keep,
            launch,
            out_dir,
            database_url: args.database_url.trim_end_matches('/').to_owned(),
            pool: args.pool,
        })
    }

    /// A scenario flag's value: as given, else its full-size or smoke default.
    pub fn or<T>(&self, given: Option<T>, full: T, smoke: T) -> T {
        given.unwrap_or(if self.smoke { smoke } else { full })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_are_typed_and_unknown_ones_refused() {
        let cli = Cli::try_parse_from(["loadgen", "order-rush", "--tickets", "10", "--smoke"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(cli.common.smoke, "a common flag after the scenario");
        match cli.command {
            Command::Scenario(Scenario::OrderRush(args)) => assert_eq!(args.tickets, Some(10)),
            other => panic!("parsed {other:?}"),
        }
        for bad in [
            vec!["loadgen", "order-rush", "--tikets", "10"],
            vec!["loadgen", "order-rush", "--tickets", "ten"],
            vec!["loadgen", "flash-sale", "--rate", "5"],
            vec!["loadgen", "no-such-scenario"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn every_scenario_has_its_own_name() {
        let names: Vec<&str> = Scenario::every().iter().map(Scenario::name).collect();
        let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        for name in &names {
            let cli = Cli::try_parse_from(["loadgen", name]).unwrap_or_else(|e| panic!("{e}"));
            match cli.command {
                Command::Scenario(s) => assert_eq!(s.name(), *name),
                other => panic!("{name} parsed as {other:?}"),
            }
        }
    }
}
