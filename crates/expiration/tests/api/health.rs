use crate::helpers::spawn;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_health_and_readiness_and_nothing_else() {
    let app = spawn().await;
    let cases = [
        ("/healthz", 200, "the process is up"),
        ("/readyz", 200, "Postgres and NATS are reachable"),
        ("/api/expirations", 404, "the service has no API routes"),
    ];
    for (path, status, case) in cases {
        let (actual, body) = app.api.get(path, None).await;
        assert_eq!(actual.as_u16(), status, "{case}: {path} answered {body}");
    }
}
