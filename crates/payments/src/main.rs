fn main() -> std::process::ExitCode {
    common::server::run_binary(payments::Settings::from_source, payments::build)
}
