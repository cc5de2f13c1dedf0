fn main() -> std::process::ExitCode {
    common::server::run_binary(orders::Settings::from_source, orders::build)
}
