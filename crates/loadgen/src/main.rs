//! `loadgen <scenario> [--flag value]...`: see `loadgen help`.

mod check;
mod cli;
mod cpu;
mod http;
mod report;
mod scenarios;
mod stats;
mod system;

use std::process::ExitCode;

fn main() -> ExitCode {
    use clap::Parser as _;
    let cli = cli::Cli::parse();
    let scenarios = match cli.command {
        // Services run in this process (a child of another loadgen): no runtime of ours.
        cli::Command::Serve => return serve(),
        cli::Command::Scenarios => {
            for scenario in cli::Scenario::every() {
                println!("{}", scenario.name());
            }
            return ExitCode::SUCCESS;
        }
        cli::Command::All => cli::Scenario::every(),
        cli::Command::Scenario(one) => vec![one],
    };
    let options = match cli::Options::resolve(&cli.common) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(scenarios::run(options, scenarios)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("loadgen: an invariant was violated (see the tables above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The launcher's `main`, inside loadgen: `TICKETING_SERVICES` from the environment.
fn serve() -> ExitCode {
    use common::config::Env;
    let src = ticketing::local_defaults(&Env);
    common::server::run_process(
        &src,
        common::telemetry::LogFormat::Json,
        |src| ticketing::parse_selection(&src.get("TICKETING_SERVICES").unwrap_or_default()),
        |selection| {
            let src = &src;
            async move { ticketing::build(&selection, src).await }
        },
    )
}
