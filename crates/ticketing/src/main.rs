//! `ticketing`: every service (or `TICKETING_SERVICES`) in one process on `PORT`.

use common::config::{Env, Source};
use common::telemetry::LogFormat;

fn main() -> std::process::ExitCode {
    let src = ticketing::local_defaults(&Env);
    common::server::run_process(
        &src,
        LogFormat::Pretty,
        |src| ticketing::parse_selection(&src.get("TICKETING_SERVICES").unwrap_or_default()),
        |selection| {
            let src = &src;
            async move {
                if Env.get("JWT_KEY").is_none() {
                    tracing::warn!(
                        "JWT_KEY is unset: using the fixed local development key; never do this in production"
                    );
                }
                ticketing::build(&selection, src).await
            }
        },
    )
}
