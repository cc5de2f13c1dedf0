//! faults: under a steady open-loop load (orders, and one ticket read in ten), (a) kill -9 and
//! restart a private NATS, (b) kill -9 and restart orders, (c) the same for tickets. For each: the
//! errors clients saw from the fault until recovery, and the time until every order placed so far
//! had reached tickets (its holder) and payments (its replica). At the end, the full invariants.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use uuid::Uuid;

use super::load_log::LoadLog;
use crate::check::settle_and_check;
use crate::cli::Options;
use crate::http::{Client, wait_replicated};
use crate::report::Report;
use crate::system::{Config, Nats, System, core};

pub async fn run(options: &Options, args: crate::cli::Faults) -> anyhow::Result<Report> {
    let rate = options.or(args.rate, 100, 20) as f64;
    let phase = Duration::from_secs(options.or(args.phase, 3, 1));
    let mut report = Report::new("faults");
    let mut system = System::start(
        options,
        Config {
            services: core(),
            hold_seconds: 900,
            nats: Nats::Private,
            one_by_one: false,
        },
    )
    .await?;
    let client = Client::new(&system)?;
    let budget = (rate * (phase.as_secs_f64() * 4.0 + 20.0)) as usize;
    let tickets = Arc::new(client.seed_tickets(budget, 8, 32).await?);
    wait_replicated(&system, tickets.len(), Duration::from_secs(120)).await?;
    system.vacuum().await?;

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

    let mut faults = Vec::new();
    for fault in ["NATS", "orders", "tickets"] {
        let began = Instant::now();
        let back = match fault {
            "NATS" => {
                let nats = system
                    .nats
                    .as_mut()
                    .ok_or_else(|| anyhow::anyhow!("no private NATS"))?;
                tokio::task::block_in_place(|| nats.stop());
                tokio::time::sleep(phase).await;
                tokio::task::block_in_place(|| nats.resume());
                began.elapsed()
            }
            service => {
                let service = if service == "orders" {
                    "orders"
                } else {
                    "tickets"
                };
                system.kill9(service).await?;
                system.restart(service).await?;
                began.elapsed()
            }
        };
        let recovered = wait_effects(&system, &log, Duration::from_secs(60)).await;
        let recovered_after = began.elapsed();
        let (errors, requests) = log.errors_between(began, began + recovered_after)?;
        let what = match fault {
            "NATS" => format!("NATS killed for {:.1} s, back after", phase.as_secs_f64()),
            s => format!("{s} kill -9 → ready again after"),
        };
        report.row(
            &format!("fault: {fault}"),
            format!(
                "{what} {:.2} s; every order's effects in tickets and payments {:.2} s after the fault{}; client errors {errors} of {requests}",
                back.as_secs_f64(),
                recovered_after.as_secs_f64(),
                if recovered.is_ok() { "" } else { " (NOT within 60 s)" }
            ),
            "recovers; nothing lost or sold twice",
        );
        faults.push(json!({
            "fault": fault, "back_s": back.as_secs_f64(), "recovered_s": recovered_after.as_secs_f64(),
            "recovered": recovered.is_ok(), "client_errors": errors, "requests": requests,
        }));
        report.invariant(
            &format!("effects recovered after the {fault} fault"),
            recovered.is_ok(),
            match &recovered {
                Ok(()) => "yes".to_owned(),
                Err(e) => e.to_string(),
            },
        );
        tokio::time::sleep(phase).await;
    }
    stop.store(true, Ordering::Relaxed);
    load.await??;
    report.set("faults", faults);
    log.report(&mut report, rate)?;
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

/// Orders, one per ticket in turn, at `rate`; every tenth request reads a ticket instead.
pub(super) async fn steady_load(
    client: Client,
    tickets: Arc<Vec<String>>,
    rate: f64,
    log: LoadLog,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut next_ticket = 0;
    for i in 0.. {
        if stop.load(Ordering::Relaxed) || next_ticket >= tickets.len() {
            break;
        }
        tokio::time::sleep_until((started + Duration::from_secs_f64(i as f64 / rate)).into()).await;
        let (client, log) = (client.clone(), log.clone());
        let is_order = i % 10 != 9;
        let ticket = tickets[next_ticket].clone();
        if is_order {
            next_ticket += 1;
        }
        let token = client.session()?;
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let outcome = if is_order {
                client.order(&token, &ticket).await
            } else {
                let url = format!("{}/api/tickets/{ticket}", client.tickets);
                client.send(reqwest::Method::GET, &url, None, None).await
            };
            log.record(sent, is_order, outcome);
        }));
    }
    for task in tasks {
        task.await?;
    }
    Ok(())
}

/// Waits until every order answered 201 so far holds its ticket in tickets and is in payments.
pub(super) async fn wait_effects(
    system: &System,
    log: &LoadLog,
    limit: Duration,
) -> anyhow::Result<()> {
    let ids: Vec<Uuid> = super::created_ids(&log.orders()?);
    let started = Instant::now();
    loop {
        let held: i64 = sqlx::query_scalar("SELECT count(*) FROM tickets WHERE order_id = ANY($1)")
            .bind(&ids)
            .fetch_one(system.pool("tickets")?)
            .await
            .unwrap_or(0);
        let replicated: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_one(system.pool("payments")?)
            .await
            .unwrap_or(0);
        if held as usize == ids.len() && replicated as usize == ids.len() {
            return Ok(());
        }
        if started.elapsed() > limit {
            anyhow::bail!(
                "{held} of {} held in tickets, {replicated} in payments",
                ids.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
