//! `/healthz` (the process is up) and `/readyz` (its databases and NATS are reachable).

use actix_web::{HttpResponse, web};
use serde_json::json;
use sqlx::PgPool;

use crate::bus::Bus;

/// Something a service needs in order to serve.
#[derive(Clone, Debug)]
pub enum Dependency {
    Postgres { service: &'static str, pool: PgPool },
    Nats(Box<Bus>),
}

impl Dependency {
    pub fn name(&self) -> String {
        match self {
            Self::Postgres { service, .. } => format!("postgres ({service})"),
            Self::Nats(_) => "nats".to_owned(),
        }
    }

    async fn is_ready(&self) -> bool {
        match self {
            Self::Postgres { pool, .. } => {
                let ping = sqlx::query("SELECT 1").execute(pool);
                matches!(
                    tokio::time::timeout(std::time::Duration::from_secs(2), ping).await,
                    Ok(Ok(_))
                )
            }
            Self::Nats(bus) => bus.is_connected(),
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig, dependencies: Vec<Dependency>) {
    cfg.app_data(web::Data::new(dependencies))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(dependencies: web::Data<Vec<Dependency>>) -> HttpResponse {
    let checks = futures::future::join_all(
        dependencies
            .iter()
            .map(|d| async move { (d.name(), d.is_ready().await) }),
    )
    .await;
    let failing: Vec<String> = checks
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(n, _)| n)
        .collect();
    if failing.is_empty() {
        HttpResponse::Ok().json(json!({"status": "ready"}))
    } else {
        let errors: Vec<_> = failing
            .iter()
            .map(|n| json!({"message": format!("{n} is unreachable")}))
            .collect();
        HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "failing": failing, "errors": errors}))
    }
}
