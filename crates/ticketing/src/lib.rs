//! Local mode (docs/contract.md#local-mode): any set of services in one process, on one port, each
//! on its own database `<base>_<service>` on one Postgres server, all on one NATS.

pub mod contracts;
pub mod services;

use anyhow::Context as _;
use common::config::{ConfigError, Overlay, Source};
use common::dev_servers::DevServers;
use common::server::ServicePart;

pub use services::{SERVICES, Service};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/ticketing";
/// The JWT key used when `JWT_KEY` is unset: for a laptop only, and the log says so.
pub const DEVELOPMENT_JWT_KEY: &str = "ticketing-local-development-key-do-not-use-in-production";

/// Parses `TICKETING_SERVICES`: `all`, or a comma-separated subset of [`SERVICES`].
pub fn parse_selection(text: &str) -> Result<Vec<&'static str>, ConfigError> {
    let text = text.trim();
    if text.is_empty() || text == "all" {
        return Ok(services::names());
    }
    let mut selected = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let known = services::service(name).ok_or_else(|| ConfigError::Invalid {
            name: "TICKETING_SERVICES",
            value: text.to_owned(),
            reason: format!(
                "unknown service {name:?}; known: all, {}",
                services::names().join(", ")
            ),
        })?;
        if !selected.contains(&known.name) {
            selected.push(known.name);
        }
    }
    Ok(selected)
}

/// `postgres://host/base?opts` → `postgres://host/base_<service>?opts`.
pub fn service_database_url(base: &str, service: &str) -> String {
    let (url, query) = match base.split_once('?') {
        Some((url, query)) => (url, format!("?{query}")),
        None => (base, String::new()),
    };
    let url = url.trim_end_matches('/');
    match url.rsplit_once('/') {
        Some((server, name)) if !server.ends_with('/') && !name.is_empty() => {
            format!("{server}/{name}_{service}{query}")
        }
        _ => format!("{url}/ticketing_{service}{query}"),
    }
}

/// The settings local mode fills in where the environment leaves them unset. With the built-in
/// development key (no `JWT_KEY`), anyone who can reach the process could forge a session: it
/// then listens on loopback only, unless `BIND_ADDRESS` says otherwise.
pub fn local_defaults(env: &dyn Source) -> Overlay<'_> {
    with_servers(env, &DevServers::default())
}

/// [`local_defaults`], the databases and NATS being the development servers found (the local
/// ones, or containers: `common::dev_servers`) where the environment names none.
pub fn with_servers<'a>(env: &'a dyn Source, servers: &DevServers) -> Overlay<'a> {
    let development_key = env.get("JWT_KEY").is_none();
    let overlay = if development_key {
        Overlay::new(env).default("BIND_ADDRESS", "127.0.0.1")
    } else {
        Overlay::new(env)
    };
    overlay
        .default(
            "DATABASE_URL",
            servers
                .postgres
                .as_ref()
                .map_or(DEFAULT_DATABASE_URL.to_owned(), |server| {
                    format!("{server}/ticketing")
                }),
        )
        .default(
            "NATS_URL",
            servers
                .nats
                .clone()
                .unwrap_or_else(|| common::config::DEFAULT_NATS_URL.to_owned()),
        )
        .default("JWT_KEY", DEVELOPMENT_JWT_KEY)
        .default("COOKIE_SECURE", "false")
        .default("PAYMENTS_PROVIDER", "fake")
        .default("API_BASE_URL", local_api_base_url(env))
}

/// The storefront calls the API on the launcher's own port.
fn local_api_base_url(env: &dyn Source) -> String {
    let port = env
        .get("PORT")
        .and_then(|p| p.trim().parse::<u16>().ok())
        .unwrap_or(common::config::DEFAULT_PORT);
    format!("http://127.0.0.1:{port}")
}

/// The selected services that keep events, each with its database URL (`<base>_<service>`).
pub fn service_databases(
    selection: &[&str],
    src: &dyn Source,
) -> Result<Vec<(String, String)>, ConfigError> {
    let base = common::config::required(src, "DATABASE_URL")?;
    Ok(selection
        .iter()
        .filter(|name| services::service(name).is_some_and(|s| s.evented))
        .map(|name| ((*name).to_owned(), service_database_url(&base, name)))
        .collect())
}

async fn build_one(name: &str, src: &dyn Source) -> anyhow::Result<ServicePart> {
    match services::service(name) {
        Some(service) => (service.build)(src).await,
        None => anyhow::bail!("unknown service {name}"),
    }
}

/// Builds the selected services, each on its own database derived from `DATABASE_URL`, and the
/// OpenAPI document of their routes at `GET /api/docs/openapi.json`.
pub async fn build(selection: &[&str], src: &dyn Source) -> anyhow::Result<Vec<ServicePart>> {
    let base = common::config::required(src, "DATABASE_URL")?;
    let mut parts = Vec::with_capacity(selection.len());
    for name in selection {
        let service_src = Overlay::new(src).set("DATABASE_URL", service_database_url(&base, name));
        let part = build_one(name, &service_src)
            .await
            .with_context(|| format!("starting the {name} service"))?;
        parts.push(part);
    }
    parts.push(contracts::docs_part(selection)?);
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections() {
        let all = vec!["auth", "tickets", "orders", "expiration", "payments", "web"];
        assert_eq!(parse_selection("all").ok(), Some(all.clone()));
        assert_eq!(parse_selection("").ok(), Some(all));
        assert_eq!(
            parse_selection(" orders, tickets,orders").ok(),
            Some(vec!["orders", "tickets"])
        );
        let error = parse_selection("tickets,billing").map_err(|e| e.to_string());
        assert!(error.is_err_and(|e| e.contains("billing") && e.contains("TICKETING_SERVICES")));
    }

    #[test]
    fn the_development_key_listens_on_loopback_only() {
        use std::collections::HashMap;
        let bare: HashMap<String, String> = HashMap::new();
        let local = local_defaults(&bare);
        assert_eq!(local.get("BIND_ADDRESS").as_deref(), Some("127.0.0.1"));
        assert_eq!(local.get("JWT_KEY").as_deref(), Some(DEVELOPMENT_JWT_KEY));
        let keyed = HashMap::from([("JWT_KEY".to_owned(), "k".repeat(40))]);
        assert_eq!(
            local_defaults(&keyed).get("BIND_ADDRESS"),
            None,
            "0.0.0.0 then"
        );
        let chosen = HashMap::from([("BIND_ADDRESS".to_owned(), "0.0.0.0".to_owned())]);
        assert_eq!(
            local_defaults(&chosen).get("BIND_ADDRESS").as_deref(),
            Some("0.0.0.0"),
            "an explicit choice stands"
        );
    }

    #[test]
    fn each_service_gets_its_own_database() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/ticketing",
                "postgres://postgres@127.0.0.1:5432/ticketing_orders",
            ),
            (
                "postgres://u:p@db:5432/shop?sslmode=disable",
                "postgres://u:p@db:5432/shop_orders?sslmode=disable",
            ),
            ("postgres://db:5432/", "postgres://db:5432/ticketing_orders"),
        ];
        for (base, expected) in cases {
            assert_eq!(service_database_url(base, "orders"), expected, "{base}");
        }
    }
}
