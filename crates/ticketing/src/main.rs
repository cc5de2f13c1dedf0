//! `ticketing`: every service (or `TICKETING_SERVICES`) in one process on `PORT`.

use common::config::{Env, Source};
use common::telemetry::LogFormat;

fn main() -> std::process::ExitCode {
    // PostgreSQL and NATS: as configured, else running here, else started in Docker.
    let servers = match common::dev_servers::find(&Env) {
        Ok(servers) => servers,
        Err(e) => {
            eprintln!("ticketing: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    for container in &servers.containers {
        eprintln!(
            "ticketing: {container} (nothing answered on the default port; the container stays \
             up for the next run: docker rm -f it to remove it)"
        );
    }
    let src = ticketing::with_servers(&Env, &servers);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(common::admin::DEAD_LETTERS) {
        return dead_letters(&args[1..], &src);
    }
    common::server::run_process(
        &src,
        LogFormat::Pretty,
        |src| ticketing::parse_selection(&src.get("TICKETING_SERVICES").unwrap_or_default()),
        |selection| {
            let src = &src;
            async move {
                if Env.get("JWT_KEY").is_none() {
                    tracing::warn!(
                        bind_address = src.get("BIND_ADDRESS").unwrap_or_default(),
                        "JWT_KEY is unset: using the fixed local development key, so listening on this address only; never do this in production"
                    );
                }
                ticketing::build(&selection, src).await
            }
        },
    )
}

/// `ticketing dead-letters ...` over the databases of the selected services (local mode).
fn dead_letters(args: &[String], src: &dyn Source) -> std::process::ExitCode {
    let databases = ticketing::parse_selection(&src.get("TICKETING_SERVICES").unwrap_or_default())
        .and_then(|selection| ticketing::service_databases(&selection, src));
    match databases {
        Ok(databases) => common::admin::main(args, src, databases),
        Err(e) => {
            eprintln!("configuration error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
