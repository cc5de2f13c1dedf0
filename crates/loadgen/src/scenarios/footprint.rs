//! footprint: each service's start-up time to `/readyz` (fresh database: created and migrated;
//! then a restart on the migrated database), RSS idle, and RSS after an order rush.

use std::time::Duration;

use serde_json::json;

use super::{mib, record_rss};
use crate::check::settle_and_check;
use crate::cli::Options;
use crate::http::{Client, wait_replicated};
use crate::report::Report;
use crate::system::{Config, Nats, System, all};

pub async fn run(options: &Options, args: crate::cli::Footprint) -> anyhow::Result<Report> {
    let tickets = options.or(args.tickets, 2000, 40);
    let buyers = options.or(args.buyers, 32, 8);
    let mut report = Report::new("footprint");
    let mut system = System::start(
        options,
        Config {
            services: all(),
            hold_seconds: 900,
            nats: Nats::Shared,
            one_by_one: true,
        },
    )
    .await?;
    let mut startup = serde_json::Map::new();
    let mut idle = serde_json::Map::new();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for service in all() {
        idle.insert(service.into(), system.rss_kib(service).into());
    }
    for service in all() {
        let fresh = system.first_ready.get(service).copied().unwrap_or_default();
        let warm = system.restart(service).await?;
        report.row(
            &format!("{service}: start → /readyz 200"),
            format!(
                "{} ms fresh database (create + migrate), {} ms migrated",
                fresh.as_millis(),
                warm.as_millis()
            ),
            "≤ 1000 ms after migrations",
        );
        startup.insert(
            service.into(),
            json!({"fresh_ms": fresh.as_millis() as u64, "migrated_ms": warm.as_millis() as u64}),
        );
    }
    for service in all() {
        let kib = idle.get(service).and_then(|v| v.as_u64());
        report.row(
            &format!("RSS {service}, idle after start"),
            mib(kib),
            "≤ 25 MiB",
        );
    }
    report.set("startup", serde_json::Value::Object(startup));
    report.set("rss_kib_idle", serde_json::Value::Object(idle));

    let client = Client::new(&system)?;
    let ids = client.seed_tickets(tickets, 16, 32).await?;
    wait_replicated(&system, ids.len(), Duration::from_secs(60)).await?;
    let (outcomes, elapsed) = super::closed_loop(&client, &ids, buyers).await?;
    report.row(
        &format!("order rush for the RSS figure: {tickets} tickets, {buyers} buyers"),
        format!(
            "{:.2} s ({})",
            elapsed.as_secs_f64(),
            super::status_counts(&outcomes)
        ),
        "",
    );
    settle_and_check(
        &system,
        &mut report,
        &super::created_ids(&outcomes),
        Duration::from_secs(60),
    )
    .await?;
    record_rss(&system, &mut report, "after order-rush");
    system.stop().await?;
    Ok(report)
}
