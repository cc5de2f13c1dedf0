//! Invariants, checked in each service's own database once the system has settled.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::report::Report;
use crate::system::System;

/// Waits (up to `limit`) until the replicas agree with the owners, then records every invariant:
/// no ticket held by two active orders, every 201 order in orders, tickets' holder and the orders
/// and payments replicas equal to the owners' truth, outboxes drained.
pub async fn settle_and_check(
    system: &System,
    report: &mut Report,
    created: &[Uuid],
    limit: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let last = loop {
        let problems = divergences(system).await?;
        if problems.is_empty() || started.elapsed() > limit {
            break problems;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let converged = last.is_empty();
    report.row(
        "time for replicas to converge after the load",
        format!("{} ms", started.elapsed().as_millis()),
        "",
    );
    report.set("converge_ms", started.elapsed().as_millis() as u64);
    report.invariant(
        "replicas converge (tickets' holders, orders' ticket replica, payments' order replica, outboxes empty)",
        converged,
        if converged { "all equal".to_owned() } else { last.join("; ") },
    );

    let orders = system.pool("orders")?;
    let doubles: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT ticket_id FROM orders WHERE status <> 'cancelled'
         GROUP BY ticket_id HAVING count(*) > 1) d",
    )
    .fetch_one(orders)
    .await?;
    report.invariant(
        "no ticket held by two active orders",
        doubles == 0,
        format!("{doubles} tickets double-held"),
    );

    let found: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE id = ANY($1)")
        .bind(created)
        .fetch_one(orders)
        .await?;
    report.invariant(
        "every 201 order is in orders",
        found as usize == created.len(),
        format!("{found} of {} found", created.len()),
    );
    Ok(())
}

/// What still differs between owners and replicas (empty: converged).
async fn divergences(system: &System) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    let orders = system.pool("orders")?;
    let tickets = system.pool("tickets")?;

    // tickets: each ticket's holder is the orders service's active order for it.
    let active: HashMap<Uuid, Uuid> = sqlx::query_as::<_, (Uuid, Uuid)>(
        "SELECT ticket_id, id FROM orders WHERE status <> 'cancelled'",
    )
    .fetch_all(orders)
    .await?
    .into_iter()
    .collect();
    let holders: Vec<(Uuid, Option<Uuid>, i64)> =
        sqlx::query_as("SELECT id, order_id, version FROM tickets")
            .fetch_all(tickets)
            .await?;
    let wrong = holders
        .iter()
        .filter(|(ticket, holder, _)| active.get(ticket) != holder.as_ref())
        .count();
    if wrong > 0 {
        problems.push(format!("{wrong} tickets' holder differs from orders"));
    }

    // orders' replica of tickets: same versions as the owner.
    let owner: HashMap<Uuid, i64> = holders.iter().map(|(id, _, v)| (*id, *v)).collect();
    let replica: Vec<(Uuid, i64)> = sqlx::query_as("SELECT id, version FROM tickets")
        .fetch_all(orders)
        .await?;
    let stale = replica
        .iter()
        .filter(|(id, v)| owner.get(id) != Some(v))
        .count()
        + owner.len().saturating_sub(replica.len());
    if stale > 0 {
        problems.push(format!(
            "{stale} tickets stale or missing in the orders replica"
        ));
    }

    // payments' replica of orders.
    if let Ok(payments) = system.pool("payments") {
        let truth: HashSet<(Uuid, String, i64)> =
            sqlx::query_as("SELECT id, status, version FROM orders")
                .fetch_all(orders)
                .await?
                .into_iter()
                .collect();
        let copy: HashSet<(Uuid, String, i64)> =
            sqlx::query_as("SELECT id, status, version FROM orders")
                .fetch_all(payments)
                .await?
                .into_iter()
                .collect();
        let differ = truth.symmetric_difference(&copy).count();
        if differ > 0 {
            problems.push(format!(
                "{differ} order rows differ between orders and the payments replica"
            ));
        }
    }

    for service in system.services().into_iter().filter(|s| *s != "auth") {
        let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
            .fetch_one(system.pool(service)?)
            .await?;
        if pending > 0 {
            problems.push(format!("{pending} events unpublished in {service}"));
        }
    }
    Ok(problems)
}
