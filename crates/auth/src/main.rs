fn main() -> std::process::ExitCode {
    common::server::run_binary(auth::Settings::from_source, auth::build)
}
