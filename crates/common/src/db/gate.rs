//! Failing fast while a service's database is unreachable. A prober pings the database every
//! second; when a ping fails the gate closes, and every request to the service is answered at once
//! with 503 and `Retry-After` (no request waits on the pool or opens a connection). Closed, the
//! prober tries again with a growing, jittered delay (100 ms to 2 s), so the replicas of a service
//! do not reconnect in step; the first ping that answers opens the gate again, without a restart.

use std::hash::BuildHasher as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// How often the prober pings a database that answers, and how long a ping may take.
const PROBE_EVERY: Duration = Duration::from_secs(1);
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(2);

/// One service's database and whether it answers.
#[derive(Debug, Clone)]
pub struct DatabaseGate {
    service: &'static str,
    pool: PgPool,
    up: Arc<AtomicBool>,
}

impl DatabaseGate {
    /// Open: a service starts after its migrations ran, so its database answered a moment ago.
    pub fn new(service: &'static str, pool: PgPool) -> Self {
        Self {
            service,
            pool,
            up: Arc::new(AtomicBool::new(true)),
        }
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    async fn ping(&self) -> bool {
        let ping = sqlx::query("SELECT 1").execute(&self.pool);
        matches!(tokio::time::timeout(PROBE_TIMEOUT, ping).await, Ok(Ok(_)))
    }

    /// Probes until `cancel`, opening and closing the gate.
    pub async fn watch(self, cancel: CancellationToken) {
        let mut retry = FIRST_RETRY;
        loop {
            let answered = self.ping().await;
            let was_up = self.up.swap(answered, Ordering::Relaxed);
            let wait = match (was_up, answered) {
                (_, true) => {
                    if !was_up {
                        tracing::warn!(service = self.service, "database reachable again");
                    }
                    retry = FIRST_RETRY;
                    PROBE_EVERY
                }
                (true, false) => {
                    tracing::warn!(
                        service = self.service,
                        "database unreachable: answering 503 until it is back"
                    );
                    jittered(retry)
                }
                (false, false) => {
                    retry = (retry * 2).min(LAST_RETRY);
                    jittered(retry)
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// `delay` give or take a quarter, so that replicas spread out.
fn jittered(delay: Duration) -> Duration {
    let random = std::collections::hash_map::RandomState::new().hash_one(std::time::Instant::now());
    let quarter = delay / 4;
    let spread = quarter.as_nanos() as u64 * 2;
    let offset = if spread == 0 { 0 } else { random % spread };
    delay - quarter + Duration::from_nanos(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_quarter() {
        for _ in 0..100 {
            let d = jittered(Duration::from_millis(800));
            assert!(
                (Duration::from_millis(600)..=Duration::from_millis(1000)).contains(&d),
                "{d:?}"
            );
        }
    }
}
