fn main() -> std::process::ExitCode {
    common::server::run_binary(storefront::Settings::from_source, storefront::build)
}
