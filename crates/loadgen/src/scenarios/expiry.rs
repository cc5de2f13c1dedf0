//! expiry: N orders with a short hold; for each, (observed cancellation − `expiresAt`). A watcher
//! reads the orders database every 5 ms, so a figure is late by at most that much plus the query.

use std::collections::HashMap;
use std::time::Duration;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::check::settle_and_check;
use crate::cli::Options;
use crate::http::{Client, wait_replicated};
use crate::report::Report;
use crate::stats::Latencies;
use crate::system::{Config, Nats, System, core};

pub async fn run(options: &Options, args: crate::cli::Expiry) -> anyhow::Result<Report> {
    let count = options.or(args.orders, 1000, 20);
    let hold = options.or(args.hold, 3, 2);
    let mut report = Report::new("expiry");
    let system = System::start(
        options,
        Config {
            services: core(),
            hold_seconds: hold,
            nats: Nats::Shared,
            one_by_one: false,
        },
    )
    .await?;
    let client = Client::new(&system)?;
    let tickets = client.seed_tickets(count, 8, 32).await?;
    wait_replicated(&system, tickets.len(), Duration::from_secs(60)).await?;
    system.vacuum().await?;

    let (outcomes, elapsed) = super::closed_loop(&client, &tickets, 32).await?;
    let mut waiting: HashMap<Uuid, OffsetDateTime> = HashMap::new();
    for o in outcomes.iter().filter(|o| o.status == 201) {
        let id = o.body["id"].as_str().and_then(|s| s.parse().ok());
        let expires = o.body["expiresAt"].as_str().and_then(|s| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        });
        if let (Some(id), Some(expires)) = (id, expires) {
            waiting.insert(id, expires);
        }
    }
    let placed = waiting.len();
    let pool = system.pool("orders")?;
    let mut lateness: Vec<f64> = Vec::with_capacity(placed);
    let deadline = std::time::Instant::now() + Duration::from_secs(hold as u64 + 30);
    while !waiting.is_empty() && std::time::Instant::now() < deadline {
        let ids: Vec<Uuid> = waiting.keys().copied().collect();
        let cancelled: Vec<Uuid> =
            sqlx::query_scalar("SELECT id FROM orders WHERE status = 'cancelled' AND id = ANY($1)")
                .bind(&ids)
                .fetch_all(pool)
                .await?;
        let now = OffsetDateTime::now_utc();
        for id in cancelled {
            if let Some(expires) = waiting.remove(&id) {
                lateness.push((now - expires).as_seconds_f64() * 1000.0);
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut late = Latencies::default();
    let early = lateness.iter().filter(|ms| **ms < 0.0).count();
    for ms in &lateness {
        late.push(Duration::from_secs_f64(ms.max(0.0) / 1000.0));
    }
    let over_a_second = lateness.iter().filter(|ms| **ms > 1000.0).count() + waiting.len();
    report.row(
        &format!(
            "{placed} orders with a {hold} s hold (placed in {:.2} s)",
            elapsed.as_secs_f64()
        ),
        format!("{} cancelled, {} never", lateness.len(), waiting.len()),
        "",
    );
    report.row(
        "cancellation − expiresAt p50 / p95 / p99 / max",
        format!(
            "{:.0} / {:.0} / {:.0} / {:.0} ms",
            late.percentile_ms(50.0),
            late.percentile_ms(95.0),
            late.percentile_ms(99.0),
            late.max_ms()
        ),
        "every order ≤ 1000 ms",
    );
    report.row(
        "orders cancelled later than 1 s (or never)",
        over_a_second,
        "0",
    );
    report.set("lateness", late.summary());
    report.set("late_over_1s", over_a_second);
    report.invariant(
        "no order cancelled before its expiresAt",
        early == 0,
        format!("{early} early"),
    );
    report.invariant(
        "every order expired",
        waiting.is_empty() && placed == count,
        format!("{} of {count} placed, {} pending", placed, waiting.len()),
    );
    settle_and_check(
        &system,
        &mut report,
        &super::created_ids(&outcomes),
        Duration::from_secs(30),
    )
    .await?;
    system.stop().await?;
    Ok(report)
}
