fn main() -> std::process::ExitCode {
    common::server::run_binary(expiration::Settings::from_source, expiration::build)
}
