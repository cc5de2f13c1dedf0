//! What the server adds to every request for the people who run it: HTTP metrics by route
//! template, the request's `traceparent` on the response; and `GET /metrics` on its own port.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use futures::future::BoxFuture;

use crate::health::Dependency;
use crate::{metrics, trace_context};

/// Sets scrape-time gauges (a count in the database, say) just before `/metrics` renders.
pub type Collector = Arc<dyn Fn() -> BoxFuture<'static, ()> + Send + Sync>;

/// A collector gets this long; a slow database must not hang the scrape.
const COLLECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Served by the process itself, whatever its services.
const PLATFORM_PATHS: &[&str] = &["/healthz", "/readyz"];

/// Which service answers a path, for the `service` label: the part with the longest matching
/// prefix, else `default` (the only part, or `launcher` for the shared endpoints of local mode).
#[derive(Debug, Clone)]
pub struct ServiceMap {
    prefixes: Vec<(&'static str, &'static str)>,
    default: &'static str,
}

impl ServiceMap {
    pub fn new(parts: impl IntoIterator<Item = (&'static str, Vec<&'static str>)>) -> Self {
        let parts: Vec<_> = parts.into_iter().collect();
        let default = match parts.as_slice() {
            [(only, _)] => *only,
            _ => "launcher",
        };
        let mut prefixes: Vec<_> = parts
            .iter()
            .flat_map(|(name, prefixes)| prefixes.iter().map(move |p| (*p, *name)))
            .collect();
        prefixes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        Self { prefixes, default }
    }

    pub fn service_for(&self, path: &str) -> &'static str {
        if PLATFORM_PATHS.contains(&path) {
            return self.default;
        }
        self.prefixes
            .iter()
            .find(|(prefix, _)| {
                // A front end at the root answers every page, but not the API's unknown paths.
                (*prefix == "/" && !path.starts_with("/api"))
                    || path
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map_or(self.default, |(_, name)| *name)
    }
}

/// The middleware: runs inside the request's root span (tracing-actix-web wraps it).
pub async fn observe(
    services: Arc<ServiceMap>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let service = services.service_for(req.path());
    let method = method_label(req.method());
    let traceparent = trace_context::current_traceparent();
    let mut response = next.call(req).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    metrics::http_request(
        service,
        method,
        route,
        response.status().as_u16(),
        started.elapsed(),
    );
    if let Some(value) = traceparent.and_then(|t| HeaderValue::from_str(&t).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(trace_context::TRACEPARENT), value);
    }
    Ok(response)
}

/// The `method` label: clients may send any token as a method, and each would be a new series.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// What a scrape reads: the pools of the process's databases, its NATS connections, its
/// listeners, and its collectors.
#[derive(Clone)]
pub struct Scrape {
    pools: Vec<(&'static str, sqlx::PgPool)>,
    buses: Vec<(&'static str, crate::bus::Bus)>,
    listeners: Vec<crate::health::ListenerStatus>,
    collectors: Vec<Collector>,
}

impl Scrape {
    pub fn new(
        dependencies: &[Dependency],
        listeners: &[crate::health::ListenerStatus],
        collectors: Vec<Collector>,
    ) -> Self {
        let mut pools = Vec::new();
        let mut buses = Vec::new();
        for dependency in dependencies {
            match dependency {
                Dependency::Postgres(gate) => pools.push((gate.service(), gate.pool().clone())),
                Dependency::Nats { service, bus } => buses.push((*service, (**bus).clone())),
            }
        }
        Self {
            pools,
            buses,
            listeners: listeners.to_vec(),
            collectors,
        }
    }
}

/// `GET /metrics`, served on the internal metrics port only (`METRICS_PORT`).
pub fn routes(cfg: &mut web::ServiceConfig, scrape: Scrape) {
    cfg.app_data(web::Data::new(scrape))
        .route("/metrics", web::get().to(render));
}

async fn render(scrape: web::Data<Scrape>) -> HttpResponse {
    for (service, pool) in &scrape.pools {
        metrics::pool(service, pool);
    }
    for (service, bus) in &scrape.buses {
        metrics::nats_connected(service, bus.is_connected());
    }
    for listener in &scrape.listeners {
        let consuming = listener
            .consuming
            .load(std::sync::atomic::Ordering::Relaxed);
        metrics::listener_consuming(listener.service, listener.subject, consuming);
    }
    let collecting = scrape
        .collectors
        .iter()
        .map(|collect| tokio::time::timeout(COLLECT_TIMEOUT, collect()));
    futures::future::join_all(collecting).await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics::render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        use actix_web::http::Method;
        assert_eq!(method_label(&Method::POST), "POST");
        for odd in ["FOO", "BREW", "X1"] {
            let method = Method::from_bytes(odd.as_bytes()).expect("a method token");
            assert_eq!(method_label(&method), "other");
        }
    }

    #[test]
    fn the_longest_prefix_names_the_service() {
        let map = ServiceMap::new([
            ("tickets", vec!["/api/tickets"]),
            ("web", vec!["/"]),
            ("docs", vec!["/api/docs"]),
            ("expiration", vec![]),
        ]);
        assert_eq!(map.service_for("/api/tickets"), "tickets");
        assert_eq!(map.service_for("/api/tickets/123"), "tickets");
        assert_eq!(map.service_for("/api/ticketsx"), "launcher");
        assert_eq!(map.service_for("/tickets/new"), "web");
        assert_eq!(map.service_for("/api/docs/openapi.json"), "docs");
        assert_eq!(map.service_for("/orders/1"), "web");
        assert_eq!(map.service_for("/healthz"), "launcher");
        let alone = ServiceMap::new([("orders", vec!["/api/orders"])]);
        assert_eq!(alone.service_for("/readyz"), "orders");
        let two = ServiceMap::new([("orders", vec!["/api/orders"]), ("expiration", vec![])]);
        assert_eq!(two.service_for("/readyz"), "launcher");
    }
}
