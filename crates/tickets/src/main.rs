fn main() -> std::process::ExitCode {
    common::server::run_binary(tickets::Settings::from_source, tickets::build)
}
