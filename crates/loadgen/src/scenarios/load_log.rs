//! What a steady load sent and got back, shared by the scenarios that break something under it.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::http::Outcome;
use crate::report::Report;

/// Every request of a load: when it was sent, whether it was an order, and its answer.
#[derive(Clone, Default)]
pub(super) struct LoadLog(Arc<Mutex<Vec<(Instant, bool, Outcome)>>>);

impl LoadLog {
    pub fn record(&self, sent: Instant, is_order: bool, outcome: Outcome) {
        if let Ok(mut log) = self.0.lock() {
            log.push((sent, is_order, outcome));
        }
    }

    fn entries(&self) -> anyhow::Result<MutexGuard<'_, Vec<(Instant, bool, Outcome)>>> {
        self.0
            .lock()
            .map_err(|_| anyhow::anyhow!("load log poisoned"))
    }

    /// The answers to the orders.
    pub fn orders(&self) -> anyhow::Result<Vec<Outcome>> {
        Ok(self
            .entries()?
            .iter()
            .filter(|(_, is_order, _)| *is_order)
            .map(|(_, _, o)| o.clone())
            .collect())
    }

    /// Requests sent in [from, to) that did not succeed, and all requests sent then.
    pub fn errors_between(&self, from: Instant, to: Instant) -> anyhow::Result<(usize, usize)> {
        let log = self.entries()?;
        let window: Vec<&Outcome> = log
            .iter()
            .filter(|(sent, _, _)| *sent >= from && *sent < to)
            .map(|(_, _, o)| o)
            .collect();
        let failed = window
            .iter()
            .filter(|o| !matches!(o.status, 200 | 201))
            .count();
        Ok((failed, window.len()))
    }

    /// The "load" row: what was offered and how everything was answered.
    pub fn report(&self, report: &mut Report, rate: f64) -> anyhow::Result<()> {
        let outcomes: Vec<Outcome> = self.entries()?.iter().map(|(_, _, o)| o.clone()).collect();
        report.row(
            "load",
            format!(
                "{rate:.0} requests/s offered; {}",
                super::status_counts(&outcomes)
            ),
            "",
        );
        Ok(())
    }
}
