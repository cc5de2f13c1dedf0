//! Operator commands every binary offers beside serving. `<binary> dead-letters ...` lists and
//! replays the events its listeners gave up on:
//!
//! ```text
//! dead-letters list [--all]      the events waiting for a replay (--all: replayed ones too)
//! dead-letters replay <id>       publish one again, for the service that gave up on it
//! dead-letters replay --all      every one waiting
//! ```

use std::io::Write;

use anyhow::{Context as _, bail};
use sqlx::PgPool;
use uuid::Uuid;

use crate::bus::dead_letters::DeadLetter;
use crate::bus::{Bus, DeadLetters};

/// The first argument that selects the dead-letters command.
pub const DEAD_LETTERS: &str = "dead-letters";

pub const USAGE: &str = "usage: dead-letters list [--all] | replay <id> | replay --all";

/// One service's database to look in.
pub struct Target {
    pub service: String,
    pub pool: PgPool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    List { replayed_too: bool },
    Replay(Uuid),
    ReplayAll,
}

impl Command {
    /// Parses the arguments after `dead-letters`.
    pub fn parse(args: &[String]) -> anyhow::Result<Self> {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Ok(match args.as_slice() {
            ["list"] => Self::List {
                replayed_too: false,
            },
            ["list", "--all"] => Self::List { replayed_too: true },
            ["replay", "--all"] => Self::ReplayAll,
            ["replay", id] => Self::Replay(
                id.parse()
                    .with_context(|| format!("{id:?} is not a dead letter id"))?,
            ),
            _ => bail!("{USAGE}"),
        })
    }
}

/// Runs `command` over `targets`, writing what it did to `out`. Replays need `bus`.
pub async fn run(
    command: &Command,
    targets: &[Target],
    bus: &Bus,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        Command::List { replayed_too } => {
            let mut total = 0;
            for target in targets {
                for letter in store(target).list(!replayed_too).await? {
                    print(out, &letter)?;
                    total += 1;
                }
            }
            writeln!(out, "{total} dead letter(s)")?;
        }
        Command::Replay(id) => {
            for target in targets {
                let store = store(target);
                if let Some(letter) = store.find(*id).await? {
                    store.replay(bus, &letter).await?;
                    writeln!(out, "replayed {id} to {}", letter.service)?;
                    return Ok(());
                }
            }
            bail!("no dead letter {id}");
        }
        Command::ReplayAll => {
            let mut total = 0;
            for target in targets {
                let store = store(target);
                for letter in store.list(true).await? {
                    store.replay(bus, &letter).await?;
                    writeln!(out, "replayed {} to {}", letter.id, letter.service)?;
                    total += 1;
                }
            }
            writeln!(out, "{total} dead letter(s) replayed")?;
        }
    }
    Ok(())
}

/// The whole `main` of `<binary> dead-letters ...`: `databases` names each service's database
/// (one for a service binary, every selected one for the launcher); NATS is `NATS_URL` and
/// `EVENTS_NAMESPACE` from `src`. Exit code 2 for a usage or configuration error, 1 for a failure.
pub fn main(
    args: &[String],
    src: &dyn crate::config::Source,
    databases: Vec<(String, String)>,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let command = match Command::parse(args) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("{e:#}");
            return ExitCode::from(2);
        }
    };
    let events = match crate::config::EventsSettings::from_source(src) {
        Ok(events) => events,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let mut targets = Vec::new();
        for (service, url) in databases {
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(std::time::Duration::from_secs(5))
                .connect(&url)
                .await;
            match pool {
                Ok(pool) => targets.push(Target { service, pool }),
                Err(e) => eprintln!("skipping {service}: {e}"),
            }
        }
        anyhow::ensure!(!targets.is_empty(), "no service database could be reached");
        let bus = Bus::from_settings(&events).await?;
        run(&command, &targets, &bus, &mut std::io::stdout()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dead-letters: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn store(target: &Target) -> DeadLetters {
    DeadLetters::new(target.pool.clone())
}

fn print(out: &mut dyn Write, letter: &DeadLetter) -> std::io::Result<()> {
    let replayed = letter
        .replayed_at
        .map(|at| format!(" replayed {}", crate::timestamp::format(at)))
        .unwrap_or_default();
    writeln!(
        out,
        "{} {} {} event {} after {} deliveries at {}{replayed}\n  reason: {}\n  payload: {}",
        letter.id,
        letter.service,
        letter.subject,
        letter.event_id.as_deref().unwrap_or("-"),
        letter.deliveries,
        crate::timestamp::format(letter.failed_at),
        letter.reason,
        String::from_utf8_lossy(&letter.payload),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn commands_parse_and_anything_else_is_the_usage() {
        let id = Uuid::now_v7();
        assert_eq!(
            Command::parse(&args("list")).ok(),
            Some(Command::List {
                replayed_too: false
            })
        );
        assert_eq!(
            Command::parse(&args("list --all")).ok(),
            Some(Command::List { replayed_too: true })
        );
        assert_eq!(
            Command::parse(&args(&format!("replay {id}"))).ok(),
            Some(Command::Replay(id))
        );
        assert_eq!(
            Command::parse(&args("replay --all")).ok(),
            Some(Command::ReplayAll)
        );
        for bad in ["", "replay", "replay nope", "list --everything", "purge"] {
            assert!(Command::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }
}
