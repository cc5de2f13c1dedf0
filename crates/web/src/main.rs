fn main() -> std::process::ExitCode {
    common::server::run_binary(web::Settings::from_source, web::build)
}
