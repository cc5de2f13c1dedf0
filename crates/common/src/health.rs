//! `/healthz` (the process is up) and `/readyz` (it can serve its HTTP routes). Ready means the
//! process is not shutting down and every database its routes need answers. NATS is reported
//! beside it, not in it: the outbox lets writes go on while NATS is down, so a NATS blip must not
//! take every service out of routing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

use crate::bus::Bus;
use crate::db::DatabaseGate;

/// Something a service needs, or reports on.
#[derive(Clone, Debug)]
pub enum Dependency {
    /// Its database: readiness depends on it.
    Postgres(DatabaseGate),
    /// Its event bus: reported, not required.
    Nats {
        service: &'static str,
        bus: Box<Bus>,
    },
}

/// Whether one listener is consuming (its consumer exists and its messages flow).
#[derive(Debug, Clone)]
pub struct ListenerStatus {
    pub service: &'static str,
    pub subject: &'static str,
    pub consuming: Arc<AtomicBool>,
}

/// What `/readyz` looks at.
#[derive(Clone, Debug, Default)]
pub struct Readiness {
    pub dependencies: Vec<Dependency>,
    pub listeners: Vec<ListenerStatus>,
    /// Set on SIGTERM: stop routing traffic here.
    pub draining: Arc<AtomicBool>,
}

pub fn routes(cfg: &mut web::ServiceConfig, readiness: Readiness) {
    cfg.app_data(web::Data::new(readiness))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let mut failing = Vec::new();
    let mut postgres = Map::new();
    let mut nats = Map::new();
    for dependency in &readiness.dependencies {
        match dependency {
            Dependency::Postgres(gate) => {
                let up = gate.is_up();
                postgres.insert(gate.service().into(), up_or(up, "up", "unreachable"));
                if !up {
                    failing.push(format!("postgres ({})", gate.service()));
                }
            }
            Dependency::Nats { service, bus } => {
                let connected = bus.is_connected();
                nats.insert(
                    (*service).into(),
                    up_or(connected, "connected", "disconnected"),
                );
            }
        }
    }
    let draining = readiness.draining.load(Ordering::Relaxed);
    if draining {
        failing.push("shutting down".to_owned());
    }
    let stalled: Vec<String> = readiness
        .listeners
        .iter()
        .filter(|l| !l.consuming.load(Ordering::Relaxed))
        .map(|l| format!("{}:{}", l.service, l.subject))
        .collect();
    let mut body = json!({
        "postgres": postgres,
        "nats": nats,
        "listeners": {"total": readiness.listeners.len(), "not_consuming": stalled},
    });
    if failing.is_empty() {
        body["status"] = "ready".into();
        HttpResponse::Ok().json(body)
    } else {
        let errors: Vec<Value> = failing
            .iter()
            .map(|n| json!({"message": format!("{n}: not ready")}))
            .collect();
        body["status"] = "unavailable".into();
        body["failing"] = json!(failing);
        body["errors"] = json!(errors);
        HttpResponse::ServiceUnavailable().json(body)
    }
}

fn up_or(up: bool, yes: &str, no: &str) -> Value {
    Value::from(if up { yes } else { no })
}
