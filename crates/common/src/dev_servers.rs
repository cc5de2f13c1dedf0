//! The PostgreSQL and NATS a developer's machine runs the tests and the local launcher against
//! (feature "dev-servers"): each is the configured one (`DATABASE_URL`, `NATS_URL`), else the one
//! answering on its default port, else one started in Docker through testcontainers
//! (PostgreSQL 15, NATS 2.9 with JetStream). The containers have fixed names and are reused by
//! every later test process and launcher run, so a whole `cargo test` shares one pair; they stay
//! up afterwards (`docker rm -f ticketing-dev-postgres ticketing-dev-nats` removes them). With
//! neither a server nor Docker, one message names both ways out.

use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use testcontainers_modules::nats::Nats;
use testcontainers_modules::postgres::Postgres;
use testcontainers_modules::testcontainers::runners::AsyncRunner as _;
use testcontainers_modules::testcontainers::{
    ContainerAsync, ContainerRequest, Image, ImageExt, ReuseDirective,
};

use crate::config::Source;

pub const POSTGRES_IMAGE: (&str, &str) = ("postgres", "15-alpine");
pub const NATS_IMAGE: (&str, &str) = ("nats", "2.9-alpine");
pub const POSTGRES_CONTAINER: &str = "ticketing-dev-postgres";
pub const NATS_CONTAINER: &str = "ticketing-dev-nats";
const LOCAL_POSTGRES: &str = "127.0.0.1:5432";
const LOCAL_NATS: &str = "127.0.0.1:4222";
/// How long a container may take to answer after Docker started it (an image already present).
const READY_WITHIN: Duration = Duration::from_secs(60);

/// Where one server comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Its URL is set.
    Configured,
    /// Unset, and something answers on its default port.
    Local,
    /// Unset, nothing on its port, and a Docker engine is reachable.
    Container,
    /// None of these.
    Missing,
}

/// The order of preference: what the user set, what runs here, then Docker.
pub fn choose(configured: bool, local_answers: bool, docker: bool) -> Found {
    match (configured, local_answers, docker) {
        (true, _, _) => Found::Configured,
        (false, true, _) => Found::Local,
        (false, false, true) => Found::Container,
        (false, false, false) => Found::Missing,
    }
}

/// The two servers: Postgres as `postgres://user[:password]@host:port` (no database), NATS as
/// its URL. `None` where the environment configures it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevServers {
    pub postgres: Option<String>,
    pub nats: Option<String>,
    /// What runs in Docker, for the user: "PostgreSQL: container … on 127.0.0.1:port".
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum Unavailable {
    #[error(
        "no {missing} to run against: {variables} unset, nothing answers on the default \
         ports ({ports}), and no Docker engine is reachable (DOCKER_HOST or \
         /var/run/docker.sock). Either run PostgreSQL 15 on 127.0.0.1:5432 and NATS 2.9 with \
         JetStream (nats-server -js) on 127.0.0.1:4222, or set DATABASE_URL and NATS_URL; or \
         start a Docker engine, and they are started in containers for you."
    )]
    Nothing {
        missing: String,
        variables: String,
        ports: String,
    },
    #[error("starting {what} in Docker failed: {reason}")]
    Docker { what: &'static str, reason: String },
}

/// The servers for this process, found (and started) once and remembered.
pub fn shared(env: &dyn Source) -> Result<DevServers, Unavailable> {
    static FOUND: OnceLock<Result<DevServers, Unavailable>> = OnceLock::new();
    FOUND.get_or_init(|| find(env)).clone()
}

/// Finds the servers, starting containers where needed. Blocking: it runs the Docker calls on a
/// thread of its own, so it may be called from inside an async runtime.
pub fn find(env: &dyn Source) -> Result<DevServers, Unavailable> {
    let set = |name| env.get(name).is_some_and(|v: String| !v.trim().is_empty());
    // Probed only as far as needed: nothing for a configured server, Docker only if no server.
    let docker = std::cell::OnceCell::new();
    let found = |variable, address| {
        if set(variable) {
            return Found::Configured;
        }
        let local = answers(address);
        choose(
            false,
            local,
            !local && *docker.get_or_init(docker_reachable),
        )
    };
    let postgres = found("DATABASE_URL", LOCAL_POSTGRES);
    let nats = found("NATS_URL", LOCAL_NATS);
    type Server = (&'static str, &'static str, &'static str);
    let missing: Vec<Server> = [
        (postgres, "PostgreSQL", "DATABASE_URL", "5432"),
        (nats, "NATS", "NATS_URL", "4222"),
    ]
    .into_iter()
    .filter(|(found, ..)| *found == Found::Missing)
    .map(|(_, what, variable, port)| (what, variable, port))
    .collect();
    if !missing.is_empty() {
        let join = |pick: fn(&Server) -> &'static str| {
            missing.iter().map(pick).collect::<Vec<_>>().join(" and ")
        };
        return Err(Unavailable::Nothing {
            missing: join(|m| m.0),
            variables: join(|m| m.1),
            ports: join(|m| m.2),
        });
    }
    let local_postgres = "postgres://postgres@127.0.0.1:5432".to_owned();
    let local_nats = crate::config::DEFAULT_NATS_URL.to_owned();
    let (start_postgres, start_nats) = (postgres == Found::Container, nats == Found::Container);
    let started = if start_postgres || start_nats {
        std::thread::spawn(move || start_containers(start_postgres, start_nats))
            .join()
            .unwrap_or_else(|_| {
                Err(Unavailable::Docker {
                    what: "the servers",
                    reason: "the starting thread panicked".into(),
                })
            })?
    } else {
        DevServers::default()
    };
    Ok(DevServers {
        containers: started.containers,
        postgres: match postgres {
            Found::Local => Some(local_postgres),
            Found::Container => started.postgres,
            _ => None,
        },
        nats: match nats {
            Found::Local => Some(local_nats),
            Found::Container => started.nats,
            _ => None,
        },
    })
}

/// Whether a TCP connection to `address` succeeds within a moment.
fn answers(address: &str) -> bool {
    address
        .parse::<SocketAddr>()
        .is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_millis(300)).is_ok())
}

/// Whether testcontainers can reach a Docker engine: `DOCKER_HOST` set, or the default socket.
fn docker_reachable() -> bool {
    if std::env::var("DOCKER_HOST").is_ok_and(|h| !h.trim().is_empty()) {
        return true;
    }
    #[cfg(unix)]
    {
        std::os::unix::net::UnixStream::connect("/var/run/docker.sock").is_ok()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn start_containers(postgres: bool, nats: bool) -> Result<DevServers, Unavailable> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Unavailable::Docker {
            what: "the servers",
            reason: e.to_string(),
        })?;
    runtime.block_on(async {
        let mut servers = DevServers::default();
        if postgres {
            let image = || {
                Postgres::default()
                    .with_tag(POSTGRES_IMAGE.1)
                    .with_container_name(POSTGRES_CONTAINER)
            };
            let port = reused("PostgreSQL", image, 5432).await?;
            let url = format!("postgres://postgres:postgres@127.0.0.1:{port}");
            ready("PostgreSQL", || postgres_answers(format!("{url}/postgres"))).await?;
            servers.postgres = Some(url);
            servers.containers.push(format!(
                "PostgreSQL: container {POSTGRES_CONTAINER} ({}:{}) on 127.0.0.1:{port}",
                POSTGRES_IMAGE.0, POSTGRES_IMAGE.1
            ));
        }
        if nats {
            let image = || {
                Nats::default()
                    .with_tag(NATS_IMAGE.1)
                    .with_cmd(["--jetstream"])
                    .with_container_name(NATS_CONTAINER)
            };
            let port = reused("NATS", image, 4222).await?;
            let url = format!("nats://127.0.0.1:{port}");
            ready("NATS", || nats_answers(url.clone())).await?;
            servers.nats = Some(url);
            servers.containers.push(format!(
                "NATS: container {NATS_CONTAINER} ({}:{}) on 127.0.0.1:{port}",
                NATS_IMAGE.0, NATS_IMAGE.1
            ));
        }
        Ok(servers)
    })
}

/// Starts the named container, or reuses it if another process did; its host port for `port`.
/// Processes starting at once race to create it: the losers find it on their next try.
async fn reused<I: Image>(
    what: &'static str,
    image: impl Fn() -> ContainerRequest<I>,
    port: u16,
) -> Result<u16, Unavailable> {
    let mut last = String::new();
    for attempt in 0..5u64 {
        match image().with_reuse(ReuseDirective::Always).start().await {
            Ok(container) => return host_port(what, &container, port).await,
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200 * (attempt + 1))).await;
    }
    Err(Unavailable::Docker { what, reason: last })
}

async fn host_port<I: Image>(
    what: &'static str,
    container: &ContainerAsync<I>,
    port: u16,
) -> Result<u16, Unavailable> {
    container
        .get_host_port_ipv4(port)
        .await
        .map_err(|e| Unavailable::Docker {
            what,
            reason: e.to_string(),
        })
}

/// Waits until `check` passes: a reused container may still be starting in another process.
async fn ready<F, Fut>(what: &'static str, check: F) -> Result<(), Unavailable>
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        if started.elapsed() > READY_WITHIN {
            return Err(Unavailable::Docker {
                what,
                reason: format!("not answering {READY_WITHIN:?} after it started"),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

async fn postgres_answers(url: String) -> bool {
    use sqlx::Connection as _;
    sqlx::PgConnection::connect(&url).await.is_ok()
}

async fn nats_answers(url: String) -> bool {
    async_nats::connect(url).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn what_is_set_wins_then_what_runs_here_then_docker() {
        let cases = [
            ((true, false, false), Found::Configured),
            ((true, true, true), Found::Configured),
            ((false, true, true), Found::Local),
            ((false, true, false), Found::Local),
            ((false, false, true), Found::Container),
            ((false, false, false), Found::Missing),
        ];
        for ((configured, local, docker), expected) in cases {
            assert_eq!(
                choose(configured, local, docker),
                expected,
                "set {configured}, local {local}, docker {docker}"
            );
        }
    }

    #[test]
    fn without_servers_or_docker_one_message_names_both_ways() {
        let message = Unavailable::Nothing {
            missing: "PostgreSQL and NATS".into(),
            variables: "DATABASE_URL and NATS_URL".into(),
            ports: "5432 and 4222".into(),
        }
        .to_string();
        for needle in [
            "PostgreSQL and NATS",
            "nats-server -js",
            "Docker engine",
            "NATS_URL",
        ] {
            assert!(message.contains(needle), "{needle:?} in {message}");
        }
    }

    #[test]
    fn configured_servers_are_left_to_the_configuration() {
        // Both set: nothing probed or started, nothing filled in (elsewhere is never reached).
        let env: HashMap<String, String> = [
            ("DATABASE_URL", "postgres://elsewhere/db"),
            ("NATS_URL", "nats://elsewhere:4222"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(find(&env).ok(), Some(DevServers::default()));
    }
}
