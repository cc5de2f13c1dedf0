//! flash-sale: many more buyers than tickets, racing. Each buyer starts at a random ticket and
//! tries the next one after each "already reserved", until it wins one or everything is sold.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{Mutex, Semaphore};

use super::status_counts;
use crate::check::settle_and_check;
use crate::cli::Options;
use crate::cpu::CpuTimes;
use crate::http::{Client, Outcome, wait_replicated};
use crate::report::Report;
use crate::stats::{Latencies, round};
use crate::system::{Config, Nats, System, core};

pub async fn run(options: &Options, args: crate::cli::FlashSale) -> anyhow::Result<Report> {
    let ticket_count = options.or(args.tickets, 1000, 20);
    let buyers = options.or(args.buyers, 10_000, 200);
    let concurrency = options.or(args.concurrency, 64, 16);
    let mut report = Report::new("flash-sale");
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
    let tickets = Arc::new(client.seed_tickets(ticket_count, 8, 32).await?);
    wait_replicated(&system, tickets.len(), Duration::from_secs(60)).await?;
    system.vacuum().await?;

    let sold = Arc::new(AtomicUsize::new(0));
    let sold_out_at: Arc<Mutex<Option<Duration>>> = Default::default();
    let gate = Arc::new(Semaphore::new(concurrency));
    let cpu_before = CpuTimes::now(&system);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(buyers);
    for buyer in 0..buyers {
        let (client, tickets, sold, sold_out_at, gate) = (
            client.clone(),
            tickets.clone(),
            sold.clone(),
            sold_out_at.clone(),
            gate.clone(),
        );
        let token = client.session()?;
        let start = (splitmix(buyer as u64) % tickets.len() as u64) as usize;
        tasks.push(tokio::spawn(async move {
            let mut outcomes: Vec<Outcome> = Vec::new();
            for k in 0..tickets.len() {
                if sold.load(Ordering::Relaxed) >= tickets.len() {
                    break;
                }
                let Ok(_permit) = gate.acquire().await else {
                    break;
                };
                let outcome = client
                    .order(&token, &tickets[(start + k) % tickets.len()])
                    .await;
                let won = outcome.status == 201;
                outcomes.push(outcome);
                if won {
                    if sold.fetch_add(1, Ordering::Relaxed) + 1 == tickets.len() {
                        *sold_out_at.lock().await = Some(started.elapsed());
                    }
                    break;
                }
            }
            outcomes
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.extend(task.await?);
    }
    let elapsed = started.elapsed();
    let cpu = CpuTimes::now(&system).since(&cpu_before);
    let sold_out = *sold_out_at.lock().await;
    let mut latencies = Latencies::default();
    outcomes.iter().for_each(|o| latencies.push(o.latency));
    let won = outcomes.iter().filter(|o| o.status == 201).count();
    let per_second = sold_out.map(|d| ticket_count as f64 / d.as_secs_f64());
    report.row(
        &format!("{ticket_count} tickets, {buyers} buyers ({concurrency} requests in flight)"),
        format!("{} attempts: {}", outcomes.len(), status_counts(&outcomes)),
        "",
    );
    report.row(
        "time to sell out",
        sold_out.map_or("not sold out".into(), |d| {
            format!(
                "{:.2} s ({:.0} tickets/s)",
                d.as_secs_f64(),
                per_second.unwrap_or(0.0)
            )
        }),
        "≥ 1,000 tickets/s",
    );
    report.row(
        "attempts/s (every buyer until sold out or refused everywhere)",
        format!(
            "{:.0} ({} in {:.2} s)",
            outcomes.len() as f64 / elapsed.as_secs_f64(),
            outcomes.len(),
            elapsed.as_secs_f64()
        ),
        "",
    );
    cpu.report(&mut report, "flash-sale", outcomes.len(), "attempts");
    report.row(
        "attempt latency p50 / p99",
        format!(
            "{:.1} / {:.1} ms",
            latencies.percentile_ms(50.0),
            latencies.percentile_ms(99.0)
        ),
        "",
    );
    report.set("flash_sale", serde_json::json!({
        "tickets": ticket_count, "buyers": buyers, "concurrency": concurrency, "attempts": outcomes.len(), "attempts_per_s": round(outcomes.len() as f64 / elapsed.as_secs_f64()),
        "sold_out_s": sold_out.map(|d| d.as_secs_f64()), "tickets_per_s": per_second.map(round), "latency": latencies.summary(),
    }));
    let unexpected = outcomes
        .iter()
        .filter(|o| ![201, 400, 503].contains(&o.status))
        .count();
    report.row(
        "attempts shed with 503 (no pooled connection within 1 s)",
        super::shed(&outcomes),
        "",
    );
    report.invariant(
        "every attempt answered 201, 400 already reserved, or 503 when shed",
        unexpected == 0,
        format!("{unexpected} other answers"),
    );
    report.invariant(
        "each ticket sold exactly once (201s = tickets)",
        won == ticket_count,
        format!("{won} wins for {ticket_count} tickets"),
    );
    let active: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT ticket_id) FROM orders WHERE status <> 'cancelled'",
    )
    .fetch_one(system.pool("orders")?)
    .await?;
    report.invariant(
        "every ticket has an active order in orders",
        active as usize == ticket_count,
        format!("{active} tickets held"),
    );
    settle_and_check(
        &system,
        &mut report,
        &super::created_ids(&outcomes),
        Duration::from_secs(60),
    )
    .await?;
    system.stop().await?;
    Ok(report)
}

/// A well-mixed number from `x` (no rand dependency needed for a starting position).
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
