//! The db-limit baseline: `pgbench` running the SQL of one reservation (read the ticket, insert the
//! order, insert its outbox row, in one transaction, prepared statements as sqlx uses) on a scratch
//! database with the orders schema, on the same Postgres.

use std::time::Duration;

use anyhow::{Context as _, bail};

/// The orders service's schema, so the scratch database has the same indexes and trigger.
static ORDERS_SCHEMA: sqlx::migrate::Migrator = sqlx::migrate!("../orders/migrations");

/// A JSON order.created of the service's size.
const PAYLOAD: &str = r#"{"id":"0190a5b2-7d1c-7b3e-9f00-5a1b2c3d4e5f","version":0,"status":"created","userId":"6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b","expiresAt":"2026-11-24T10:15:00.000Z","ticket":{"id":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d","price":20}}"#;

pub struct Baseline {
    pub clients: usize,
    pub tps: f64,
    pub latency_ms: f64,
}

pub fn script() -> String {
    format!(
        "BEGIN;
WITH n AS (SELECT nextval('pgbench_ticket') AS n) SELECT t.id AS tid, t.title, t.price_cents, t.user_id, t.version FROM n JOIN tickets t ON t.id = md5(n.n::text)::uuid \\gset
INSERT INTO orders (id, user_id, ticket_id, status, expires_at, ticket_title, ticket_price_cents, ticket_version) SELECT gen_random_uuid(), gen_random_uuid(), t.id, 'created', now() + interval '900 seconds', t.title, t.price_cents, t.version FROM tickets t WHERE t.id = :tid RETURNING id, user_id, ticket_id, status, expires_at, version, ticket_title, ticket_price_cents, ticket_version;
INSERT INTO outbox (id, subject, payload) VALUES (gen_random_uuid(), 'order.created', '{PAYLOAD}');
END;
"
    )
}

/// Prepares `<base>_pgbench` with `tickets` tickets whose ids are `md5(n)`.
pub async fn prepare(server: &str, database: &str, tickets: u64) -> anyhow::Result<()> {
    let pool = common::db::connect(&format!("{server}/{database}"), 2).await?;
    common::db::migrate(&pool, &ORDERS_SCHEMA).await?;
    sqlx::query("CREATE SEQUENCE IF NOT EXISTS pgbench_ticket")
        .execute(&pool)
        .await?;
    sqlx::query(
        "INSERT INTO tickets (id, title, price_cents, user_id, version)
         SELECT md5(n::text)::uuid, 'Ticket ' || n, 2000, gen_random_uuid(), 0 FROM generate_series(1, $1) n",
    )
    .bind(tickets as i64)
    .execute(&pool)
    .await?;
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Runs the script with `clients` connections for `seconds`; clears the orders afterwards.
pub async fn run(
    server: &str,
    database: &str,
    clients: usize,
    seconds: u64,
    dir: &std::path::Path,
) -> anyhow::Result<Baseline> {
    let script_path = dir.join("reservation.pgbench.sql");
    std::fs::create_dir_all(dir)?;
    std::fs::write(&script_path, script())?;
    let url = format!("{server}/{database}");
    let output = tokio::process::Command::new("pgbench")
        .args([
            "-n",
            "-M",
            "prepared",
            "-j",
            "2",
            "-c",
            &clients.to_string(),
            "-T",
            &seconds.to_string(),
            "-f",
        ])
        .arg(&script_path)
        .arg(&url)
        .output()
        .await
        .context("running pgbench (postgresql-client)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tps = figure(&stdout, "tps = ").context("no tps in pgbench's output")?;
    let latency_ms = figure(&stdout, "latency average = ").unwrap_or(0.0);
    // The next run starts from the same state.
    let pool = common::db::connect(&url, 1).await?;
    sqlx::query("TRUNCATE orders, outbox")
        .execute(&pool)
        .await?;
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    pool.close().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(Baseline {
        clients,
        tps,
        latency_ms,
    })
}

fn figure(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_pgbench_figures() {
        let out = "number of transactions actually processed: 100\nlatency average = 3.201 ms\ntps = 2497.52 (without initial connection time)\n";
        assert_eq!(super::figure(out, "tps = "), Some(2497.52));
        assert_eq!(super::figure(out, "latency average = "), Some(3.201));
        assert_eq!(super::figure("nothing", "tps = "), None);
    }
}
