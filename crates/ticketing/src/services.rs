//! The one list of services. The launcher, the merged OpenAPI document, the metrics check, the
//! deployment drift test and `loadgen` all derive what they need from [`SERVICES`]: adding a
//! service means adding its entry here (and its deployment files, which the drift test checks).

use std::future::Future;
use std::pin::Pin;

use common::config::{ConfigError, Source};
use common::server::ServicePart;
use utoipa::openapi::OpenApi;

/// A service's part being built (database migrated, NATS connected).
pub type Building = Pin<Box<dyn Future<Output = anyhow::Result<ServicePart>>>>;

/// What the rest of the system knows of one service.
pub struct Service {
    /// Its name: `TICKETING_SERVICES` entries, metric labels, consumer prefixes, `<base>_<name>`
    /// databases, deployment names.
    pub name: &'static str,
    /// The public path prefix a gateway routes to it: `/api/...`, `/` for the storefront, none
    /// for a service without public routes.
    pub route: Option<&'static str>,
    /// Owns a database (every service but the storefront, a client of the others' API).
    pub database: bool,
    /// Publishes or consumes events through an outbox (so may hold dead letters).
    pub evented: bool,
    /// The OpenAPI document of its `/api` routes.
    pub openapi: Option<fn() -> OpenApi>,
    /// The metric names it adds to `common::metrics::ALL`.
    pub metrics: &'static [&'static str],
    /// Reads (and checks) its settings.
    pub settings: fn(&dyn Source) -> Result<(), ConfigError>,
    /// Reads its settings and builds it.
    pub build: fn(&dyn Source) -> Building,
}

/// The storefront's name.
pub const STOREFRONT: &str = storefront::NAME;

/// Every service, in start order. The storefront (a client of the others' API) comes last.
pub const SERVICES: &[Service] = &[
    Service {
        name: auth::NAME,
        route: Some(auth::API_PREFIX),
        database: true,
        // Publishes session.revoked; every service follows those per process, not through the
        // shared consumers that dead letters belong to.
        evented: false,
        openapi: Some(auth::openapi),
        metrics: &[],
        settings: |src| auth::Settings::from_source(src).map(drop),
        build: |src| {
            let settings = auth::Settings::from_source(src);
            Box::pin(async move { auth::build(settings?).await })
        },
    },
    Service {
        name: tickets::NAME,
        route: Some(tickets::API_PREFIX),
        database: true,
        evented: true,
        openapi: Some(tickets::openapi),
        metrics: &[],
        settings: |src| tickets::Settings::from_source(src).map(drop),
        build: |src| {
            let settings = tickets::Settings::from_source(src);
            Box::pin(async move { tickets::build(settings?).await })
        },
    },
    Service {
        name: orders::NAME,
        route: Some(orders::API_PREFIX),
        database: true,
        evented: true,
        openapi: Some(orders::openapi),
        metrics: &[],
        settings: |src| orders::Settings::from_source(src).map(drop),
        build: |src| {
            let settings = orders::Settings::from_source(src);
            Box::pin(async move { orders::build(settings?).await })
        },
    },
    Service {
        name: expiration::NAME,
        route: None,
        database: true,
        evented: true,
        openapi: None,
        metrics: expiration::metrics::NAMES,
        settings: |src| expiration::Settings::from_source(src).map(drop),
        build: |src| {
            let settings = expiration::Settings::from_source(src);
            Box::pin(async move { expiration::build(settings?).await })
        },
    },
    Service {
        name: payments::NAME,
        route: Some(payments::API_PREFIX),
        database: true,
        evented: true,
        openapi: Some(payments::openapi),
        metrics: payments::metrics::NAMES,
        settings: |src| payments::Settings::from_source(src).map(drop),
        build: |src| {
            let settings = payments::Settings::from_source(src);
            Box::pin(async move { payments::build(settings?).await })
        },
    },
    Service {
        name: storefront::NAME,
        // Every path outside the /api prefixes (the longest prefix wins in every router).
        route: Some("/"),
        database: false,
        evented: false,
        openapi: None,
        metrics: &[],
        settings: |src| storefront::Settings::from_source(src).map(drop),
        build: |src| {
            let settings = storefront::Settings::from_source(src);
            Box::pin(async move { storefront::build(settings?).await })
        },
    },
];

/// The service named `name`.
pub fn service(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

/// Every service's name, in start order.
pub fn names() -> Vec<&'static str> {
    SERVICES.iter().map(|s| s.name).collect()
}

/// The names of the services that own a database and keep events (every one a scenario or an
/// end-to-end test drives through the API, without the storefront).
pub fn evented() -> Vec<&'static str> {
    SERVICES
        .iter()
        .filter(|s| s.evented)
        .map(|s| s.name)
        .collect()
}

/// Every service that owns a database (the storefront does not), in start order.
pub fn with_database() -> Vec<&'static str> {
    SERVICES
        .iter()
        .filter(|s| s.database)
        .map(|s| s.name)
        .collect()
}

/// Every metric name a process of the system can expose: the shared ones and each service's own.
pub fn metric_names() -> Vec<&'static str> {
    let own = SERVICES.iter().flat_map(|s| s.metrics.iter().copied());
    common::metrics::ALL.iter().copied().chain(own).collect()
}
