//! order-rush: T tickets, C concurrent buyers (distinct users), each ticket ordered once, as fast
//! as the system answers; then the db-limit baseline (pgbench, same SQL, same Postgres); then an
//! open-loop phase at 0.3 × the baseline's rate for the latency target (issue #20).

use std::time::Duration;

use super::{closed_loop, created_ids, paced, pgbench, record_rss, shed, status_counts};
use crate::check::settle_and_check;
use crate::cli::Options;
use crate::cpu::CpuTimes;
use crate::http::{Client, wait_replicated};
use crate::report::Report;
use crate::stats::{Latencies, round};
use crate::system::{Config, Nats, System, core};

/// The open loop's rate, as a share of the db-limit: below what the system sustains, so its
/// latency is the system's, not a queue's.
const PACED_SHARE_OF_DB_LIMIT: f64 = 0.3;

pub async fn run(options: &Options, args: crate::cli::OrderRush) -> anyhow::Result<Report> {
    let tickets = options.or(args.tickets, 3000, 60);
    let buyers = options.or(args.buyers, 32, 8);
    let paced_seconds = options.or(args.paced_seconds, 3, 1);
    let pgbench_seconds = options.or(args.pgbench_seconds, 5, 1);
    let mut report = Report::new("order-rush");
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

    // db-limit baseline first, on a scratch database, while the services idle.
    let scratch = format!("{}_pgbench", system.base);
    let pg_tickets = if options.smoke { 20_000 } else { 200_000 };
    pgbench::prepare(&options.database_url, &scratch, pg_tickets).await?;
    let mut baselines = Vec::new();
    for clients in [buyers, options.pool as usize] {
        baselines.push(
            pgbench::run(
                &options.database_url,
                &scratch,
                clients,
                pgbench_seconds,
                &options.out_dir,
            )
            .await?,
        );
    }
    crate::system::drop_databases(&options.database_url, &[scratch]).await?;
    for b in &baselines {
        report.row(
            &format!("db-limit: pgbench, reservation SQL, {} clients", b.clients),
            format!("{:.0} tx/s (latency avg {:.2} ms)", b.tps, b.latency_ms),
            "",
        );
    }
    let baseline = baselines.iter().map(|b| b.tps).fold(0.0, f64::max);
    report.set(
        "pgbench",
        baselines
            .iter()
            .map(|b| serde_json::json!({"clients": b.clients, "tps": round(b.tps), "latency_avg_ms": b.latency_ms}))
            .collect::<Vec<_>>(),
    );

    // Tickets for both phases, replicated into orders before the clock starts.
    let paced_rate = (baseline * PACED_SHARE_OF_DB_LIMIT).max(1.0);
    let cap = if options.smoke { 60 } else { 20_000 };
    let paced_count = ((paced_rate * paced_seconds as f64) as usize).min(cap);
    let ids = client.seed_tickets(tickets + paced_count, 16, 32).await?;
    wait_replicated(&system, ids.len(), Duration::from_secs(120)).await?;
    system.vacuum().await?;
    let (rush_ids, paced_ids) = ids.split_at(tickets);

    let cpu_before = CpuTimes::now(&system);
    let (outcomes, elapsed) = closed_loop(&client, rush_ids, buyers).await?;
    let ok = outcomes.iter().filter(|o| o.status == 201).count();
    // Up to the last answer: the events each order causes are still being applied, and the
    // figure counts them only as far as they got (settle_and_check waits for the rest).
    let rush_cpu = CpuTimes::now(&system).since(&cpu_before);
    let throughput = ok as f64 / elapsed.as_secs_f64();
    let mut latencies = Latencies::default();
    outcomes.iter().for_each(|o| latencies.push(o.latency));
    report.row(
        &format!("order-rush: {tickets} tickets, {buyers} buyers"),
        format!(
            "{throughput:.0} orders/s ({} in {:.2} s; {})",
            ok,
            elapsed.as_secs_f64(),
            status_counts(&outcomes)
        ),
        "",
    );
    report.row(
        "order-rush latency p50 / p95 / p99",
        format!(
            "{:.1} / {:.1} / {:.1} ms",
            latencies.percentile_ms(50.0),
            latencies.percentile_ms(95.0),
            latencies.percentile_ms(99.0)
        ),
        "",
    );
    let ratio = throughput / baseline.max(1.0);
    report.row(
        "order-rush / db-limit",
        format!("{ratio:.2}"),
        "≥ 0.45 (goal 0.70)",
    );
    report.set("rush", serde_json::json!({
        "tickets": tickets, "buyers": buyers, "orders_per_s": round(throughput),
        "elapsed_s": elapsed.as_secs_f64(), "latency": latencies.summary(), "ratio_to_db_limit": round(ratio),
    }));
    rush_cpu.report(&mut report, "order-rush", ok, "orders");
    record_rss(&system, &mut report, "after order-rush");

    let (paced_outcomes, paced_elapsed) = paced(&client, paced_ids, paced_rate).await?;
    let mut paced_latencies = Latencies::default();
    paced_outcomes
        .iter()
        .for_each(|o| paced_latencies.push(o.latency));
    let achieved = paced_outcomes.len() as f64 / paced_elapsed.as_secs_f64();
    report.row(
        &format!(
            "latency at 0.3 × the db-limit ({paced_rate:.0}/s offered, {achieved:.0}/s achieved)"
        ),
        format!(
            "p50 {:.1} / p95 {:.1} / p99 {:.1} ms ({})",
            paced_latencies.percentile_ms(50.0),
            paced_latencies.percentile_ms(95.0),
            paced_latencies.percentile_ms(99.0),
            status_counts(&paced_outcomes)
        ),
        "p99 < 50 ms",
    );
    report.set("paced", serde_json::json!({
        "offered_per_s": round(paced_rate), "achieved_per_s": round(achieved), "latency": paced_latencies.summary(),
    }));

    let mut created = created_ids(&outcomes);
    created.extend(created_ids(&paced_outcomes));
    let all_answered = outcomes
        .iter()
        .chain(&paced_outcomes)
        .all(|o| o.status == 201 || o.status == 503);
    let every: Vec<_> = outcomes.iter().chain(&paced_outcomes).cloned().collect();
    report.row(
        "orders shed with 503 (no pooled connection within 1 s), closed loop / open loop",
        format!("{} / {}", shed(&outcomes), shed(&paced_outcomes)),
        "none below the db-limit",
    );
    report.invariant(
        "every order of a free ticket answered 201, or 503 when shed",
        all_answered,
        status_counts(&every),
    );
    settle_and_check(&system, &mut report, &created, Duration::from_secs(60)).await?;
    system.stop().await?;
    Ok(report)
}
