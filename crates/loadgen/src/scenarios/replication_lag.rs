//! replication-lag: rate-limited `PUT /api/tickets/:id`; for each, the time from its 200 until the
//! orders replica holds that version (a watcher reads the replica in a tight loop, ~1 ms).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;

use crate::check::settle_and_check;
use crate::cli::Options;
use crate::cpu::CpuTimes;
use crate::http::{Client, wait_replicated};
use crate::report::Report;
use crate::stats::{Latencies, round};
use crate::system::{Config, Nats, System, core};

pub async fn run(options: &Options, args: crate::cli::ReplicationLag) -> anyhow::Result<Report> {
    let rate = options.or(args.rate, 500, 50) as f64;
    let seconds = options.or(args.seconds, 3, 1) as f64;
    let ticket_count = options.or(args.tickets, 100, 10);
    let mut report = Report::new("replication-lag");
    let system = System::start(
        options,
        Config {
            services: core(),
            hold_seconds: 900,
            nats: Nats::Shared,
            one_by_one: false,
        },
    )
    .await?;
    let client = Client::new(&system)?;
    let seller = client.session()?;
    let tickets = seed_owned(&client, &seller, ticket_count).await?;
    wait_replicated(&system, tickets.len(), Duration::from_secs(60)).await?;
    system.vacuum().await?;

    // (ticket, version) → when the update's 200 arrived; the watcher moves them to `lags`.
    let pending: Arc<Mutex<HashMap<(Uuid, i64), Instant>>> = Default::default();
    let lags: Arc<Mutex<Latencies>> = Default::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (pending, lags, done) = (pending.clone(), lags.clone(), done.clone());
        let pool = system.pool("orders")?.clone();
        tokio::spawn(async move {
            let mut idle_since: Option<Instant> = None;
            loop {
                let rows: Vec<(Uuid, i64)> = sqlx::query_as("SELECT id, version FROM tickets")
                    .fetch_all(&pool)
                    .await?;
                let now = Instant::now();
                let replica: HashMap<Uuid, i64> = rows.into_iter().collect();
                {
                    let mut pending = pending.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    let mut lags = lags.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
                    pending.retain(|(ticket, version), answered| {
                        let seen = replica.get(ticket).is_some_and(|v| v >= version);
                        if seen {
                            lags.push(now.saturating_duration_since(*answered));
                        }
                        !seen
                    });
                    if done.load(std::sync::atomic::Ordering::Relaxed) && pending.is_empty() {
                        return anyhow::Ok(());
                    }
                    if done.load(std::sync::atomic::Ordering::Relaxed) {
                        let since = *idle_since.get_or_insert(now);
                        if now - since > Duration::from_secs(30) {
                            anyhow::bail!(
                                "{} updates never reached the orders replica",
                                pending.len()
                            );
                        }
                    }
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };

    let total = (rate * seconds) as usize;
    let cpu_before = CpuTimes::now(&system);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        tokio::time::sleep_until((started + Duration::from_secs_f64(i as f64 / rate)).into()).await;
        let (client, seller, pending) = (client.clone(), seller.clone(), pending.clone());
        let ticket = tickets[i % tickets.len()];
        tasks.push(tokio::spawn(async move {
            let url = format!("{}/api/tickets/{ticket}", client.tickets);
            let body = json!({"title": "Load ticket", "price": 10 + i});
            let outcome = client
                .send(reqwest::Method::PUT, &url, Some(&seller), Some(&body))
                .await;
            if let (200, Some(version)) = (outcome.status, outcome.body["version"].as_i64())
                && let Ok(mut pending) = pending.lock()
            {
                pending.insert((ticket, version), Instant::now());
            }
            outcome
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await?);
    }
    let achieved = outcomes.len() as f64 / started.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let watched = watcher.await?;
    // Every update applied by the orders replica (or given up on) by now.
    let cpu = CpuTimes::now(&system).since(&cpu_before);
    let lags = lags
        .lock()
        .map_err(|_| anyhow::anyhow!("poisoned"))?
        .clone();
    let mut put_latencies = Latencies::default();
    outcomes.iter().for_each(|o| put_latencies.push(o.latency));

    report.row(
        &format!("updates: {total} over {ticket_count} tickets, {rate:.0}/s offered"),
        format!(
            "{achieved:.0}/s achieved ({})",
            super::status_counts(&outcomes)
        ),
        "500 updates/s",
    );
    report.row(
        "PUT latency p50 / p99",
        format!(
            "{:.1} / {:.1} ms",
            put_latencies.percentile_ms(50.0),
            put_latencies.percentile_ms(99.0)
        ),
        "",
    );
    report.row(
        "replication lag p50 / p99 / max (200 → orders replica has the version)",
        format!(
            "{:.1} / {:.1} / {:.1} ms",
            lags.percentile_ms(50.0),
            lags.percentile_ms(99.0),
            lags.max_ms()
        ),
        "p99 ≤ 20 ms",
    );
    cpu.report(&mut report, "replication-lag", outcomes.len(), "updates");
    report.set("updates", json!({"offered_per_s": rate, "achieved_per_s": round(achieved), "put_latency": put_latencies.summary()}));
    report.set("lag", lags.summary());
    let all_ok = outcomes.iter().all(|o| o.status == 200);
    report.invariant(
        "every update answered 200",
        all_ok,
        super::status_counts(&outcomes),
    );
    report.invariant(
        "every update reached the orders replica",
        watched.is_ok() && lags.len() == outcomes.iter().filter(|o| o.status == 200).count(),
        match &watched {
            Ok(()) => format!("{} of {}", lags.len(), outcomes.len()),
            Err(e) => e.to_string(),
        },
    );
    settle_and_check(&system, &mut report, &[], Duration::from_secs(30)).await?;
    system.stop().await?;
    Ok(report)
}

/// `count` tickets listed by one seller.
async fn seed_owned(client: &Client, seller: &str, count: usize) -> anyhow::Result<Vec<Uuid>> {
    let url = format!("{}/api/tickets", client.tickets);
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let outcome = client
            .send(
                reqwest::Method::POST,
                &url,
                Some(seller),
                Some(&json!({"title": format!("Lag {i}"), "price": 10})),
            )
            .await;
        let id = outcome.body["id"].as_str().and_then(|s| s.parse().ok());
        ids.push(id.ok_or_else(|| {
            anyhow::anyhow!(
                "listing a ticket answered {}: {}",
                outcome.status,
                outcome.body
            )
        })?);
    }
    Ok(ids)
}
