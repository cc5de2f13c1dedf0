//! One module per scenario; each starts its own system and returns its report.

mod expiry;
mod faults;
mod flash_sale;
mod footprint;
mod load_log;
mod marketplace;
mod nats_cluster;
mod order_rush;
mod pgbench;
mod replication_lag;
mod sign_in_storm;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::cli::{Options, Scenario};
use crate::http::{Client, Outcome};
use crate::report::Report;

/// Runs the scenarios in turn; `Ok(false)` when an invariant was violated.
pub async fn run(options: Options, chosen: Vec<Scenario>) -> anyhow::Result<bool> {
    let mut all_ok = true;
    let mut summary = String::new();
    for chosen in chosen {
        let scenario = chosen.name();
        let started = Instant::now();
        eprintln!("loadgen: {scenario}...");
        let report = match chosen {
            Scenario::OrderRush(args) => order_rush::run(&options, args).await?,
            Scenario::ReplicationLag(args) => replication_lag::run(&options, args).await?,
            Scenario::FlashSale(args) => flash_sale::run(&options, args).await?,
            Scenario::Expiry(args) => expiry::run(&options, args).await?,
            Scenario::Faults(args) => faults::run(&options, args).await?,
            Scenario::NatsCluster(args) => nats_cluster::run(&options, args).await?,
            Scenario::Footprint(args) => footprint::run(&options, args).await?,
            Scenario::SignInStorm(args) => sign_in_storm::run(&options, args).await?,
            Scenario::Marketplace(args) => marketplace::run(&options, args).await?,
        };
        let path = crate::system::out_file(&options, scenario);
        report.write(&path)?;
        let table = report.markdown();
        println!(
            "{table}\n(took {:.1} s; {} written)",
            started.elapsed().as_secs_f64(),
            path.display()
        );
        summary.push_str(&table);
        all_ok &= report.invariants_ok;
    }
    std::fs::write(options.out_dir.join("summary.md"), summary)?;
    Ok(all_ok)
}

/// `buyers` closed-loop clients, each with its own session, ordering tickets from a shared queue
/// (each ticket once) until it is empty.
pub async fn closed_loop(
    client: &Client,
    tickets: &[String],
    buyers: usize,
) -> anyhow::Result<(Vec<Outcome>, Duration)> {
    let next = Arc::new(AtomicUsize::new(0));
    let tickets = Arc::new(tickets.to_vec());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..buyers {
        let (client, next, tickets) = (client.clone(), next.clone(), tickets.clone());
        let token = client.session()?;
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(ticket) = tickets.get(i) else { break };
                outcomes.push(client.order(&token, ticket).await);
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await?);
    }
    Ok((outcomes, started.elapsed()))
}

/// Open loop: one order per ticket at `rate` per second, each by a new buyer, whatever the
/// latency of the previous ones (so a slow system cannot slow the offered load).
pub async fn paced(
    client: &Client,
    tickets: &[String],
    rate: f64,
) -> anyhow::Result<(Vec<Outcome>, Duration)> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(tickets.len());
    for (i, ticket) in tickets.iter().enumerate() {
        let due = started + Duration::from_secs_f64(i as f64 / rate.max(0.001));
        tokio::time::sleep_until(due.into()).await;
        let (client, ticket) = (client.clone(), ticket.clone());
        let token = client.session()?;
        tasks.push(tokio::spawn(
            async move { client.order(&token, &ticket).await },
        ));
    }
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await?);
    }
    Ok((outcomes, started.elapsed()))
}

/// The ids of the orders answered 201.
pub fn created_ids(outcomes: &[Outcome]) -> Vec<uuid::Uuid> {
    outcomes
        .iter()
        .filter(|o| o.status == 201)
        .filter_map(|o| o.body["id"].as_str().and_then(|s| s.parse().ok()))
        .collect()
}

/// "201: 950, 400: 50" for a report.
/// Answers that shed load: a service answers 503 (with `Retry-After`) when it cannot get a
/// database connection within a second, instead of queueing without bound.
pub fn shed(outcomes: &[Outcome]) -> usize {
    outcomes.iter().filter(|o| o.status == 503).count()
}

pub fn status_counts(outcomes: &[Outcome]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for o in outcomes {
        *counts.entry(o.status).or_insert(0usize) += 1;
    }
    counts
        .iter()
        .map(|(s, n)| {
            if *s == 0 {
                format!("no answer: {n}")
            } else {
                format!("{s}: {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// Reports each running service's RSS under `label`.
pub fn record_rss(system: &crate::system::System, report: &mut Report, label: &str) {
    let mut figures = serde_json::Map::new();
    for service in system.services() {
        let kib = system.rss_kib(service);
        report.row(
            &format!("RSS {service}, {label}"),
            mib(kib),
            "≤ 25 MiB idle",
        );
        figures.insert(service.into(), kib.into());
    }
    report.set(
        &format!("rss_kib_{}", label.replace(' ', "_")),
        serde_json::Value::Object(figures),
    );
}
