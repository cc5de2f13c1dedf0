//! nats-cluster: the services on a three-server JetStream cluster, the stream kept on all three
//! (`NATS_STREAM_REPLICAS=3`). Under a steady open-loop load, the server leading the stream is
//! killed (`kill -9`): the clients' errors around the failover, the time until every order placed
//! so far had reached tickets and payments, then the server is restarted and the time until its
//! copy of the stream is current again. At the end, the full invariants.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::bus::{Bus, Namespace};
use serde_json::json;

use super::faults::{steady_load, wait_effects};
use super::load_log::LoadLog;
use crate::check::settle_and_check;
use crate::cli::Options;
use crate::http::{Client, wait_replicated};
use crate::report::Report;
use crate::system::{Config, Nats, System, core};

pub async fn run(options: &Options, args: crate::cli::Faults) -> anyhow::Result<Report> {
    let rate = options.or(args.rate, 100, 20) as f64;
    let phase = Duration::from_secs(options.or(args.phase, 3, 1));
    let mut report = Report::new("nats-cluster");
    let mut system = System::start(
        options,
        Config {
            services: core(),
            hold_seconds: 900,
            nats: Nats::Cluster,
            one_by_one: false,
        },
    )
    .await?;
    let bus = Bus::from_settings(&common::config::EventsSettings {
        nats_url: system.nats_url.clone(),
        namespace: Namespace::parse(&system.namespace)?,
        stream_replicas: 3,
    })
    .await?;
    let client = Client::new(&system)?;
    let budget = (rate * (phase.as_secs_f64() * 3.0 + 20.0)) as usize;
    let tickets = Arc::new(client.seed_tickets(budget, 8, 32).await?);
    wait_replicated(&system, tickets.len(), Duration::from_secs(120)).await?;
    let replicas = stream_replicas(&bus).await?;
    report.row(
        "stream",
        format!(
            "{} replicas, leader {}",
            replicas.peers + 1,
            replicas.leader
        ),
        "R3 on three servers",
    );

    let log = LoadLog::default();
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(steady_load(
        client.clone(),
        tickets.clone(),
        rate,
        log.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(phase).await;

    let leader = system
        .cluster
        .iter()
        .position(|node| node.name == replicas.leader)
        .ok_or_else(|| anyhow::anyhow!("the leader {} is not one of ours", replicas.leader))?;
    let killed_at = Instant::now();
    tokio::task::block_in_place(|| system.cluster[leader].stop());
    // The load goes on with two servers of three; then every order placed so far must have
    // reached tickets and payments.
    tokio::time::sleep(phase).await;
    let recovered = wait_effects(&system, &log, Duration::from_secs(60)).await;
    let recovered_after = killed_at.elapsed();
    let (errors, requests) = log.errors_between(killed_at, killed_at + recovered_after)?;
    let new_leader = stream_replicas(&bus)
        .await
        .map(|r| r.leader)
        .unwrap_or_default();
    report.row(
        &format!("kill -9 the stream's leader ({})", replicas.leader),
        format!(
            "{new_leader} leads; client errors {errors} of {requests} sent in the {:.1} s with a server down; every order's effects in tickets and payments {:.2} s after the kill{}",
            phase.as_secs_f64(),
            recovered_after.as_secs_f64(),
            if recovered.is_ok() { "" } else { " (NOT within 60 s)" }
        ),
        "no errors beyond the failover; nothing lost",
    );
    report.invariant(
        "effects recovered with a server down",
        recovered.is_ok(),
        match &recovered {
            Ok(()) => "yes".to_owned(),
            Err(e) => e.to_string(),
        },
    );

    tokio::time::sleep(phase).await;
    let restarted_at = Instant::now();
    tokio::task::block_in_place(|| system.cluster[leader].resume());
    let caught_up = wait_current(&bus, Duration::from_secs(60)).await;
    report.row(
        &format!("{} restarted", replicas.leader),
        match &caught_up {
            Ok(()) => format!(
                "its copy of the stream current {:.2} s later",
                restarted_at.elapsed().as_secs_f64()
            ),
            Err(e) => format!("NOT caught up: {e}"),
        },
        "catches up",
    );
    report.invariant(
        "the restarted server caught up",
        caught_up.is_ok(),
        "all replicas current",
    );

    stop.store(true, Ordering::Relaxed);
    load.await??;
    log.report(&mut report, rate)?;
    report.set(
        "nats_cluster",
        json!({
            "client_errors": errors, "requests": requests,
            "recovered_s": recovered_after.as_secs_f64(),
        }),
    );
    settle_and_check(
        &system,
        &mut report,
        &super::created_ids(&log.orders()?),
        Duration::from_secs(60),
    )
    .await?;
    system.stop().await?;
    Ok(report)
}

struct Replicas {
    leader: String,
    peers: usize,
}

async fn stream_replicas(bus: &Bus) -> anyhow::Result<Replicas> {
    let mut stream = bus.ensure_stream().await?;
    let info = stream.info().await?;
    let cluster = info
        .cluster
        .clone()
        .ok_or_else(|| anyhow::anyhow!("the stream has no cluster information"))?;
    Ok(Replicas {
        leader: cluster.leader.unwrap_or_default(),
        peers: cluster.replicas.len(),
    })
}

/// Waits until the stream has two followers besides its leader, each current.
async fn wait_current(bus: &Bus, limit: Duration) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        if let Ok(mut stream) = bus.ensure_stream().await
            && let Ok(info) = stream.info().await
            && let Some(cluster) = &info.cluster
            && cluster.replicas.len() == 2
            && cluster
                .replicas
                .iter()
                .all(|r| r.current && r.lag.unwrap_or(0) == 0)
        {
            return Ok(());
        }
        if started.elapsed() > limit {
            anyhow::bail!("not every replica current after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
